"""The ground truth beside each persona: every planted signal and where it landed.

While the writers format a persona's files they note, record by record, which signals
each record carries (:meth:`Truth.mark`), the deliberately malformed records
(:meth:`Truth.malformed`) and the events that several sources see at once
(:meth:`Truth.link`: a bar visit, the card payment at the bar and the ride home). The
result, ``truth.json``, is what tests of the rule packs are measured against.

Record numbers follow the importers' convention (``importers/base.py``): the physical CSV
line (1-based, header and preamble counted), the 0-based index in a JSON file's record
array (``locations``, ``timelineObjects``, ``semanticSegments`` or ``rawSignals``, the
top-level iOS array), the 0-based position of a transaction in an OFX file. ``file`` is
the path inside the persona folder, with ``!`` before the member of a zip archive, as
``auditor sources`` shows it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

SCHEMA = "auditor-sample-truth/1"


@dataclass
class Evidence:
    """Records of one file that carry one signal."""

    file: str
    kind: str
    records: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


@dataclass
class Truth:
    """Collects the planted signals while the files are written."""

    persona: str
    descriptions: dict[str, str]
    meta: dict[str, object] = field(default_factory=dict)
    _evidence: dict[tuple[str, str, str], Evidence] = field(default_factory=dict)
    _malformed: list[dict[str, object]] = field(default_factory=list)
    _links: dict[str, dict[str, object]] = field(default_factory=dict)

    def mark(self, tags: tuple[str, ...], file: str, kind: str, record: int, text: str) -> None:
        """Record ``record`` of ``file`` carries each signal in ``tags``; ``text`` is in it."""
        for tag in tags:
            if tag.startswith("link:"):
                self._link_evidence(tag[5:], file, kind, record)
                continue
            if tag not in self.descriptions:
                raise KeyError(f"signal {tag!r} is planted but not described in persona {self.persona!r}")
            evidence = self._evidence.setdefault((tag, file, kind), Evidence(file, kind))
            evidence.records.append(record)
            evidence.text.append(text)

    def malformed(self, file: str, record: int, what: str) -> None:
        """A record written broken on purpose; importers must skip exactly these."""
        self._malformed.append({"file": file, "record": record, "what": what})

    def link(self, key: str, description: str, when: str, lat: float, lon: float) -> None:
        """Declare a cross-source event; the records join it through ``link:<key>`` tags."""
        self._links[key] = {"event": description, "time": when, "lat": round(lat, 6), "lon": round(lon, 6), "evidence": []}

    def _link_evidence(self, key: str, file: str, kind: str, record: int) -> None:
        self._links[key]["evidence"].append({"file": file, "kind": kind, "record": record})  # type: ignore[union-attr]

    def as_dict(self) -> dict[str, object]:
        signals = []
        for name, description in self.descriptions.items():
            entries = [e for (tag, _, _), e in sorted(self._evidence.items()) if tag == name]
            if not entries:
                continue
            signals.append(
                {
                    "signal": name,
                    "description": description,
                    "evidence": [_evidence_dict(e) for e in entries],
                }
            )
        return {
            "schema": SCHEMA,
            "persona": self.persona,
            **self.meta,
            "signals": signals,
            "malformed": self._malformed,
            "linked_events": list(self._links.values()),
        }

    def to_json(self) -> bytes:
        return dumps_compact_lists(self.as_dict())


def _evidence_dict(evidence: Evidence) -> dict[str, object]:
    # Each record contains one of these texts; listing each distinct text once keeps the file small.
    distinct = list(dict.fromkeys(evidence.text))
    return {"file": evidence.file, "kind": evidence.kind, "records": evidence.records, "text": distinct}


def dumps_compact_lists(value: object) -> bytes:
    """Pretty JSON where lists of numbers or short strings stay on one line."""

    def render(item: object, indent: int) -> str:
        pad = "  " * indent
        if isinstance(item, dict):
            if not item:
                return "{}"
            inner = ",\n".join(f'{pad}  {json.dumps(k)}: {render(v, indent + 1)}' for k, v in item.items())
            return "{\n" + inner + "\n" + pad + "}"
        if isinstance(item, list):
            if all(isinstance(v, (int, float, str)) for v in item):
                return json.dumps(item, ensure_ascii=False)
            if not item:
                return "[]"
            inner = ",\n".join(pad + "  " + render(v, indent + 1) for v in item)
            return "[\n" + inner + "\n" + pad + "]"
        return json.dumps(item, ensure_ascii=False)

    return (render(value, 0) + "\n").encode()
