"""What every report format shares: the audit date as the redaction level allows, the
evidence columns per kind, the top inferences, and the summary a report starts with."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from auditor.engine.findings import Finding
from auditor.pipeline import AuditResult, PackResult

# The columns that say what an evidence row is, per kind; provenance (file, record,
# source) always comes first. Derived tables show their own first columns.
EVIDENCE_COLUMNS: dict[str, tuple[str, ...]] = {
    "transactions": ("time", "amount", "currency", "description", "category"),
    "points": ("time", "lat", "lon", "accuracy_m"),
    "visits": ("start", "end", "name", "address", "semantic_type"),
    "activities": ("start", "end", "mode", "distance_m"),
    "trips": ("requested", "product", "status", "pickup_address", "dropoff_address", "fare", "currency"),
    "ratings": ("time", "value", "scale", "direction", "provider"),
    "tolls": ("time", "agency", "plaza", "amount", "currency"),
    "orders": ("time", "item", "category", "total", "currency"),
    "posts": ("time", "type", "text", "place"),
    "contacts": ("time", "name", "relation"),
}
PROVENANCE = ("file", "record", "source")
TRACE_COLUMNS = frozenset({"importer", "file", "record", "source", "evidence_kind", "records", "n_rows"})
TOP_INFERENCES = 10


def redaction_level(result: AuditResult) -> str:
    return getattr(result, "redaction", "none")


def as_of_label(result: AuditResult) -> str:
    """The audit date as far as the redaction level shows it: a day, a month or a year."""
    level = redaction_level(result)
    return f"{result.now:%Y}" if level == "strict" else f"{result.now:%Y-%m}" if level == "coarse" else f"{result.now:%Y-%m-%d}"


def evidence_columns(result: AuditResult, kind: str) -> tuple[str, ...]:
    frame = result.frame(kind)
    if frame is None:
        return PROVENANCE
    wanted = EVIDENCE_COLUMNS.get(kind) or tuple(c for c in frame.columns if c not in TRACE_COLUMNS)[:6]
    return PROVENANCE + tuple(c for c in wanted if c in frame.columns)


def evidence_table(result: AuditResult, finding: Finding, limit: int | None) -> tuple[tuple[str, ...], list[list[Any]]]:
    """A finding's evidence rows as plain Python values (numbers stay numbers, times ISO text)."""
    frame = result.frame(finding.kind)
    columns = evidence_columns(result, finding.kind)
    if frame is None or not len(finding.evidence):
        return columns, []
    rows = finding.evidence if limit is None else finding.evidence[:limit]
    picked = frame.iloc[rows][list(columns)]
    out = []
    for column in columns:
        out.append([plain(v) for v in picked[column].tolist()])
    return columns, [list(row) for row in zip(*out)] if out else []


def plain(value: Any) -> Any:
    """A cell as a JSON/CSV-ready value: None, int, float, bool or text (times as ISO 8601)."""
    if value is None:
        return None
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (int, float, str)) else str(value)


def top_inferences(result: AuditResult, limit: int = TOP_INFERENCES) -> list[tuple[PackResult, Finding]]:
    """Fired findings across packs, the biggest effect first (then severity, pack, rule)."""
    severity = {"high": 0, "medium": 1, "low": 2, "info": 3}
    fired = [(pack, f) for pack in result.packs for f in pack.findings if f.fired]
    fired.sort(key=lambda pf: (-abs(pf[1].effect), severity.get(pf[1].severity, 9), pf[0].pack.id, pf[1].rule))
    return fired[:limit]


def score_text(pack: PackResult) -> str:
    score = pack.score
    if score.score is None:
        return f"exposure report: {len(score.fired)} of {len(pack.findings)} rules fired"
    band = f", band {score.band.label}" if score.band else ""
    return (f"{score.score:,.0f} ({(score.change or 0):+,.0f} from {score.start:,.0f}; "
            f"scale {score.minimum:,.0f} to {score.maximum:,.0f}){band}")  # fmt: skip


def threshold_text(finding: Finding) -> str:
    words = {"at_least": "at least", "at_most": "at most", "more_than": "more than", "less_than": "less than"}
    return f"{words.get(finding.comparison, finding.comparison)} {finding.threshold:g}"
