"""Reports people keep and share: self-contained HTML, Markdown, versioned JSON and CSV.

Every format reads one :class:`~auditor.pipeline.AuditResult` (redacted or not, see
:mod:`auditor.redact`) and returns text; :func:`write_report` writes it atomically with
mode 0600 (:mod:`auditor.reports.atomic`). The renderers never read files and never import
the UI, so the app's export calls the same functions.

Modules: ``html`` (one offline file with inline SVG charts, printable), ``markdown`` (the
scan's Markdown, extended), ``json_report`` (schema ``auditor/schemas/report.schema.json``),
``csv_export`` (findings and evidence, safe from spreadsheet formulas), ``charts`` (chart
data and matplotlib SVG), ``compare`` (several audits, or one under every pack), ``atomic``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from auditor.pipeline import AuditResult
from auditor.reports.atomic import write_atomic

FORMATS: tuple[str, ...] = ("html", "markdown", "json", "csv")
EXTENSIONS = {"html": ".html", "markdown": ".md", "json": ".json", "csv": ".csv"}


def renderer(format: str) -> Callable[[AuditResult], str]:
    """The function that renders ``format``; modules are imported on use (matplotlib is slow to load)."""
    if format == "html":
        from auditor.reports.html import render_html

        return render_html
    if format == "markdown":
        from auditor.reports.markdown import render_report_markdown

        return render_report_markdown
    if format == "json":
        from auditor.reports.json_report import render_json

        return render_json
    if format == "csv":
        from auditor.reports.csv_export import render_csv

        return render_csv
    raise ValueError(f"unknown report format {format!r}: choose one of {', '.join(FORMATS)}")


def render(result: AuditResult, format: str) -> str:
    """The report as text in ``format`` (html, markdown, json, csv)."""
    return renderer(format)(result)


def write_report(result: AuditResult, format: str, path: Path) -> Path:
    """Render and write atomically (mode 0600). For the app's export and ``auditor report``."""
    return write_atomic(path, render(result, format))


def default_name(result: AuditResult, format: str) -> str:
    """``auditor-report-2024-02-29.html``, or ``...-coarse.html`` when redacted (in the current folder)."""
    from auditor.reports.common import as_of_label, redaction_level

    level = redaction_level(result)
    suffix = "" if level == "none" else f"-{level}"
    return f"auditor-report-{as_of_label(result)}{suffix}{EXTENSIONS[format]}"
