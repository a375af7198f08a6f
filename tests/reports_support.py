"""Shared by the redaction and report tests: each persona's audit, run once per test session.

The audits use the built-in packs (what a person gets), except where a test pins its own
pack (the golden files use tests/golden/pack.yaml, so that edits to the built-in packs do not
churn them).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pandas as pd

from auditor.pipeline import AuditResult, run_audit

REPO = Path(__file__).resolve().parent.parent
PERSONAS = ("night-shift-nurse", "gig-driver", "comfortable-commuter")
GOLDEN = REPO / "tests" / "golden"

# Words in truth.json that are not names, places or merchants but the vocabulary of the
# exports themselves (bank categories, activity types, fee words): a redacted report may
# still show them.
NOT_PERSONAL = {"finished", "in passenger vehicle", "IN_PASSENGER_VEHICLE", "LATE FEE", "PURCHASE INTEREST CHARGE",
                "Savings", "Sent from Monzo"}  # fmt: skip


# The built-in packs are being written while this lands; until every one of them evaluates,
# the tests read the example pack (every measure kind a report must show) from rules/.
PACKS: list[str] | None = [str(REPO / "rules" / "example.yaml")]


@functools.cache
def audit(persona: str) -> AuditResult:
    """The persona's audit with :data:`PACKS`, judged as of its export."""
    return run_audit([REPO / "sample_exports" / persona], PACKS)


def truth(persona: str) -> dict:
    return json.loads((REPO / "sample_exports" / persona / "truth.json").read_text(encoding="utf-8"))


def planted(persona: str, result: AuditResult) -> list[str]:
    """What must not survive redaction: names, addresses, merchants, coordinates and file
    names from the persona's truth and files, and the exact places and sums in its data."""
    found: set[str] = set()
    for signal in truth(persona)["signals"]:
        for evidence in signal["evidence"]:
            for text in evidence.get("text", []):
                # ratings and fares ("4.62", "12.01") are checked through the data below
                if text not in NOT_PERSONAL and re.search(r"[A-Za-z]{3}", text):
                    found.add(text.strip())
    for name in truth(persona)["files"]:
        if name not in ("README.md", "truth.json"):
            found.add(Path(name).stem)
    # Positions to about 10 m, as any renderer would print them
    for kind, (lat, lon) in (("visits", ("lat", "lon")), ("points", ("lat", "lon"))):
        frame = result.dataset.frames[kind]
        if len(frame):
            sample = frame[[lat, lon]].dropna().drop_duplicates().head(200)
            for value in (*sample[lat], *sample[lon]):
                whole, _, decimals = repr(float(value)).partition(".")
                # the first four decimals (any renderer printing 10 m shows them); not a value
                # that happens to sit on the redaction grid (39.9500...), which coarse may show
                if len(decimals) >= 4 and not decimals[:4].endswith("0"):
                    found.add(f"{whole}.{decimals[:4]}")
    amounts = result.dataset.frames["transactions"]["amount"].dropna().abs()
    # sums with cents that cannot be mistaken for a count or a score
    found.update(f"{v:.2f}" for v in amounts[(amounts >= 100) & (amounts.round(2) % 1 != 0)].head(100))
    return sorted(found)


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets that appear in ``text`` (numbers also as JSON writes them: 2583.5)."""
    found = []
    for secret in secrets:
        variants = {secret}
        if re.fullmatch(r"-?\d+\.\d+", secret):
            variants.add(secret.rstrip("0").rstrip("."))
        if any(v in text for v in variants):
            found.append(secret)
    return found


def frames_text(result: AuditResult) -> str:
    """Every table of the result (kinds and derived tables present) as CSV text."""
    parts = []
    for name, frame in result.dataset.frames.items():
        parts.append(frame.to_csv(index=False))
    parts.append(pd.Series(result.data.sources()).to_csv(index=False))
    return "\n".join(parts)
