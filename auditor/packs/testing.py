"""Run the test cases that rules carry: a few given rows, the expected outcome and value.

``auditor rules test`` runs every case of every rule and prints a table; a failing case
shows the rule, the rows it was given and what the rule measured. Cases are built into
real canonical frames (provenance filled in), so a case exercises exactly the code that
an audit runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from auditor import model
from auditor.engine import derived
from auditor.engine.compile import CompiledRule
from auditor.engine.context import AuditData
from auditor.engine.findings import Finding
from auditor.packs.loader import LoadedPack
from auditor.packs.model import Case

DEFAULT_NOW = pd.Timestamp("2024-01-01", tz="UTC")
REL_TOLERANCE = 1e-4


@dataclass
class CaseResult:
    """One case's outcome: passed or not, and what the rule actually said."""

    pack: str
    file: str
    rule: str
    case: str
    expected: str
    expected_value: float | None
    finding: Finding | None
    passed: bool
    problem: str
    given: dict[str, list[dict]]


def case_frames(case: Case, label: str) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The case's rows as canonical frames (kinds) and derived frames, with provenance."""
    kinds: dict[str, pd.DataFrame] = {}
    derived_tables: dict[str, pd.DataFrame] = {}
    for table, rows in case.given.items():
        data = pd.DataFrame(rows) if rows else pd.DataFrame()
        columns = derived.columns_of(table) or ()
        for column in columns:
            if column.dtype == model.UTC_TIME and column.name in data:
                text = data[column.name].astype("string")
                # Any kind that records whether its rows have a time of day (transactions, tolls,
                # orders...) learns it from how the case wrote its main time: "2024-06-01" is a date.
                main_time = table in model.KINDS and column.name == model.time_columns(table)[0]
                if main_time and "has_time" not in data and any(c.name == "has_time" for c in columns):
                    data["has_time"] = (text.str.len() > 10).fillna(False).astype(bool)
                    if "utc_offset_min" not in data:
                        # as importers store date-only rows: the local date at 00:00, offset 0
                        data["utc_offset_min"] = pd.array([pd.NA if t else 0 for t in data["has_time"]], dtype="Int32")
                data[column.name] = pd.to_datetime(text, utc=True, format="ISO8601")
        if table in model.KINDS:
            data = data.assign(
                importer=data["importer"] if "importer" in data else "case",
                file=data["file"] if "file" in data else label,
                record=range(1, len(data) + 1),
                source=data["source"] if "source" in data else "case",
            )
            kinds[table] = model.conform(table, data, length=len(data))
        else:
            derived_tables[table] = derived.conform(table, data, length=len(data))
    return kinds, derived_tables


def case_now(case: Case, frames: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The case's clock: as given, else the latest time in its rows."""
    if case.now is not None:
        stamp = pd.Timestamp(case.now)
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    latest = [
        frame[column].max()
        for frame in frames.values()
        for column in frame.columns
        if isinstance(frame[column].dtype, pd.DatetimeTZDtype) and frame[column].notna().any()
    ]
    return max(latest) if latest else DEFAULT_NOW


def run_case(rule: CompiledRule, case: Case, file: str) -> CaseResult:
    """Evaluate one case and compare the outcome (and value) with what it expects."""
    label = f"{rule.pack.id}/{rule.id}: {case.name}"
    kinds, derived_tables = case_frames(case, label)
    now = case_now(case, {**kinds, **derived_tables})
    data = AuditData(kinds, now=now, timezone=case.timezone, derived_tables=derived_tables)
    finding = rule.evaluate(data.view())
    problems = []
    if finding.outcome != case.expect:
        problems.append(f"expected {case.expect}, got {finding.outcome}")
    if case.value is not None:
        if finding.value is None:
            problems.append(f"expected the value {case.value:g}, got none")
        elif not math.isclose(finding.value, case.value, rel_tol=REL_TOLERANCE, abs_tol=1e-9):
            problems.append(f"expected the value {case.value:g}, got {finding.value:g}")
    return CaseResult(rule.pack.id, file, rule.id, case.name, case.expect, case.value, finding, not problems,
                      "; ".join(problems), case.given)  # fmt: skip


def run_cases(loaded: LoadedPack) -> list[CaseResult]:
    """Every case of every rule of a loaded (error-free) pack."""
    if loaded.compiled is None:
        return []
    results = []
    for rule in loaded.compiled.rules:
        for case in rule.rule.cases:
            results.append(run_case(rule, case, loaded.file))
    return results
