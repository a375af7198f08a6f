"""CSV export of findings and their evidence that a spreadsheet cannot turn into formulas.

One row per evidence row of every finding (a finding without evidence gets one row), with
the finding's pack, rule, outcome, measured value, effect and inference, and the evidence
row's file, record, source, time, amount and a text summary.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some,
a tab or carriage return) as a formula: a bank description such as ``=HYPERLINK(...)``
would become a live link or worse (OWASP "CSV injection"). So every *text* cell that starts
with one of those characters is written with a leading ``'``, which spreadsheets show as
text. Numbers are written as numbers (unquoted, with a ``.`` decimal point), so a negative
amount stays ``-12.5``, a number the sheet can sum.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from auditor.pipeline import AuditResult
from auditor.reports.common import evidence_table

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ("pack", "rule", "title", "outcome", "measured", "effect", "severity", "basis", "inference", "kind", "file",
          "record", "source", "time", "amount", "currency", "detail")  # fmt: skip
TIME_COLUMNS = ("time", "start", "requested")
AMOUNT_COLUMNS = ("amount", "fare", "total", "value")
PROVENANCE = ("file", "record", "source")


def neutralise(value: Any) -> Any:
    """A cell as written: numbers unchanged, text starting like a formula prefixed with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(result: AuditResult) -> list[list[Any]]:
    """Every finding's evidence as rows of plain values, before neutralising."""
    out: list[list[Any]] = []
    for pack in result.packs:
        for f in pack.findings:
            head = [pack.pack.id, f.rule, f.title, f.outcome, f.shown_value, f.effect, f.severity, f.basis,
                    f.inference if f.fired else f.reason]  # fmt: skip
            columns, evidence = evidence_table(result, f, None) if f.fired else ((), [])
            if not evidence:
                out.append([*head, f.kind, *([None] * (len(HEADER) - len(head) - 1))])
                continue
            index = {c: i for i, c in enumerate(columns)}
            time_at = next((index[c] for c in TIME_COLUMNS if c in index), None)
            amount_at = next((index[c] for c in AMOUNT_COLUMNS if c in index), None)
            currency_at = index.get("currency")
            rest = [i for c, i in index.items() if c not in PROVENANCE and i not in (time_at, amount_at, currency_at)]
            for row in evidence:
                out.append([*head, f.kind, row[index["file"]], row[index["record"]], row[index["source"]],
                            row[time_at] if time_at is not None else None,
                            row[amount_at] if amount_at is not None else None,
                            row[currency_at] if currency_at is not None else None,
                            " | ".join(str(row[i]) for i in rest if row[i] is not None)])  # fmt: skip
    return out


def render_csv(result: AuditResult) -> str:
    """The findings and evidence as CSV text (RFC 4180, header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    for row in rows(result):
        writer.writerow([neutralise(v) for v in row])
    return buffer.getvalue()
