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

from auditor.engine import derived
from auditor.pipeline import AuditResult, run_audit

REPO = Path(__file__).resolve().parent.parent
PERSONAS = ("night-shift-nurse", "gig-driver", "comfortable-commuter")
GOLDEN = REPO / "tests" / "golden"

# Words in truth.json that are not names, places or merchants but the vocabulary of the
# exports themselves (bank categories, activity types, fee words): a redacted report may
# still show them.
NOT_PERSONAL = {"finished", "in passenger vehicle", "IN_PASSENGER_VEHICLE", "LATE FEE", "PURCHASE INTEREST CHARGE",
                "Savings", "Sent from Monzo"}  # fmt: skip


# None: the built-in packs, what a person gets (and the derived tables they read).
PACKS: list[str] | None = None


EXAMPLE_PACK = str(REPO / "tests" / "golden" / "pack.yaml")


@functools.cache
def audit(persona: str) -> AuditResult:
    """The persona's audit with :data:`PACKS`, judged as of its export. Without ablation:
    with the built-in packs it costs 15-25 s a persona; :func:`audit_with_sources` has it."""
    return run_audit([REPO / "sample_exports" / persona], PACKS, ablation=False)


@functools.cache
def audit_with_sources(persona: str) -> AuditResult:
    """The persona under the pinned example pack (tests/golden/pack.yaml), with "what each
    source gives away" (ablation), the way the golden files are made."""
    return run_audit([REPO / "sample_exports" / persona], [EXAMPLE_PACK])


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
                if text not in NOT_PERSONAL and re.search(r"[A-Za-z]{3}", text) and not text.startswith("BEGIN:"):
                    found.add(text.strip())
    for name in truth(persona)["files"]:
        if re.search(r"\d", name):  # dated or numbered names (statement-4471-...); not "Timeline.json"
            found.add(Path(name).stem)
    # Positions to about 10 m, as any renderer would print them
    for kind, (lat, lon) in (("visits", ("lat", "lon")), ("points", ("lat", "lon"))):
        frame = result.dataset.frames[kind]
        if len(frame):
            sample = frame[[lat, lon]].head(2000).dropna().drop_duplicates().head(200)
            for value in (*sample[lat], *sample[lon]):
                whole, _, decimals = repr(float(value)).partition(".")
                # the first four decimals (any renderer printing 10 m shows them); not a value
                # that happens to sit on the redaction grid (39.9500...), which coarse may show
                if len(decimals) >= 4 and not decimals[:4].endswith("0"):
                    found.add(f"{whole}.{decimals[:4]}")
    # people's names from an address book or a social network export
    contacts = result.dataset.frames.get("contacts")
    if contacts is not None and len(contacts):
        found.update(str(n) for n in contacts["name"].dropna().unique()[:100] if len(str(n)) >= 5)
    amounts = result.dataset.frames["transactions"]["amount"].dropna().abs()
    # sums with cents that cannot be mistaken for a count or a score
    found.update(f"{v:.2f}" for v in amounts[(amounts >= 100) & (amounts.round(2) % 1 != 0)].head(100))
    return sorted(found)


def leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets that appear in ``text``. Sums (two decimals) count only as whole numbers,
    also as JSON (2583.5) and the findings (2,583.50) write them, so that a duration of
    124.8035 minutes is not taken for a payment of 124.80."""
    found = []
    for secret in secrets:
        if re.fullmatch(r"-?\d+\.\d\d", secret):
            value = float(secret)
            forms = {secret, secret.rstrip("0").rstrip("."), f"{value:,.2f}"}
            pattern = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
            if re.search(rf"(?<![\d.,])(?:{pattern})(?![\d])", text):
                found.append(secret)
        elif secret in text:
            found.append(secret)
    return found


def frames_text(result: AuditResult) -> str:
    """Every table of the result (kinds and every derived table) as CSV text."""
    parts = []
    for name, frame in result.dataset.frames.items():
        # points: the first rows, which hold the sampled coordinates of planted(); writing
        # 40k fixes as CSV would cost seconds per check for nothing more
        parts.append((frame.head(2000) if name == "points" else frame).to_csv(index=False))
    for name in derived.REGISTRY:
        table = result.frame(name)
        if table is not None:
            parts.append(table.to_csv(index=False))
    parts.append(pd.Series(result.data.sources()).to_csv(index=False))
    return "\n".join(parts)
