"""The sources inventory as data: what was read from each file, what was skipped, what not.

:func:`sources_document` turns a :class:`~auditor.dataset.Dataset` into the JSON
document that ``auditor sources --format json`` prints. It is a contract other parts and
tools read; its JSON Schema is ``auditor/schemas/sources.schema.json`` and a test
validates every output against it. Bump :data:`SCHEMA_VERSION` on any breaking change.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from auditor import __version__
from auditor.dataset import Dataset
from auditor.importers.base import ImportReport

SCHEMA_VERSION = 1


def iso_utc(value: pd.Timestamp | None) -> str | None:
    """A UTC timestamp as ``2024-01-31T08:15:00Z`` (milliseconds only when present)."""
    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).tz_convert("UTC")
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond // 1000:03d}"
    return text + "Z"


def file_entry(report: ImportReport) -> dict[str, Any]:
    return {
        "path": report.path,
        "importer": report.importer,
        "title": report.title,
        "detail": report.detail or None,
        "rows_read": report.rows_read,
        "kinds": {
            kind: {"kept": summary.kept, "first": iso_utc(summary.first), "last": iso_utc(summary.last)}
            for kind, summary in sorted(report.kinds.items())
        },
        "skipped": {
            "total": report.skipped_total,
            "reasons": [
                {"reason": group.reason, "count": group.count, "records": list(group.records)}
                for group in sorted(report.skipped.values(), key=lambda g: (-g.count, g.reason))
            ],
        },
        "duplicates_dropped": report.duplicates_dropped,
        "timezone": report.timezone or None,
        "notes": list(report.notes),
        "error": report.error,
    }


def sources_document(dataset: Dataset, timezone: str | None = None) -> dict[str, Any]:
    """The whole inventory, files sorted by path, ready for ``json.dumps``."""
    files = [file_entry(report) for report in sorted(dataset.reports, key=lambda r: r.path)]
    return {
        "version": SCHEMA_VERSION,
        "generator": f"auditor {__version__}",
        "timezone": timezone,
        "files": files,
        "unclaimed": [{"path": item.path, "why": item.why} for item in dataset.unclaimed],
        "duplicates": [
            {"kind": d.kind, "kept": d.kept_file, "dropped": d.dropped_file, "count": d.count}
            for d in dataset.duplicates
        ],
        "totals": {
            "files_read": sum(1 for r in dataset.reports if r.kept_total),
            "rows_kept": {kind: len(frame) for kind, frame in dataset.frames.items() if len(frame)},
            "rows_skipped": sum(r.skipped_total for r in dataset.reports),
            "duplicates_dropped": sum(d.count for d in dataset.duplicates),
            "files_with_errors": sum(1 for r in dataset.reports if r.error),
            "unclaimed": len(dataset.unclaimed),
        },
    }
