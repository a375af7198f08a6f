"""The JSON report: ``auditor scan --format json`` plus what a report adds, under a versioned schema.

The document is :func:`auditor.commands.scan.result_document` (scores, findings with their
evidence, sources) extended with the report's own block (``report``: schema name, version,
redaction level and how precise the audit date is), the top inferences and every chart's
data. Its JSON Schema is ``auditor/schemas/report.schema.json``; a change that removes or
renames a field raises :data:`REPORT_SCHEMA_VERSION`.
"""

from __future__ import annotations

import json
import math
from typing import Any

from auditor.commands.scan import result_document
from auditor.pipeline import AuditResult
from auditor.reports import charts as charts_module
from auditor.reports.common import as_of_label, redaction_level, top_inferences

REPORT_SCHEMA = "auditor-report"
REPORT_SCHEMA_VERSION = "1"
PRECISION = {"none": "day", "coarse": "month", "strict": "year"}


def report_document(result: AuditResult) -> dict[str, Any]:
    """The audit as a JSON-ready report document."""
    level = redaction_level(result)
    document = result_document(result)
    document["report"] = {
        "schema": REPORT_SCHEMA,
        "version": REPORT_SCHEMA_VERSION,
        "redaction": level,
        "as_of": as_of_label(result),
        "as_of_precision": PRECISION[level],
    }
    document["top_inferences"] = [
        {"pack": p.pack.id, "rule": f.rule, "inference": f.inference, "effect": f.effect,
         "severity": f.severity, "basis": f.basis, "evidence_rows": len(f.evidence)}
        for p, f in top_inferences(result)
    ]  # fmt: skip
    document["charts"] = [
        {"id": c.id, "title": c.title, "note": c.note, "data": c.data} for c in charts_module.chart_data(result)
    ]
    return _finite(document)


def render_json(result: AuditResult) -> str:
    return json.dumps(report_document(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    """NaN and infinity are not JSON: they become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
