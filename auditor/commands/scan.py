"""``auditor scan PATH... [--pack ID|FILE ...] [--format text|json|markdown]``.

Runs the whole pipeline (:func:`auditor.pipeline.run_audit`) and prints, per pack, the
score and band, what fired with its evidence rows, what did not fire and how far it was,
what abstained and why, and what each source gives away. The renderers here are shared:
bare ``auditor`` prints :func:`render_summary`, and the ``report`` command writes the same
JSON and Markdown to files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor import __version__, resources
from auditor.commands import cache as cache_command
from auditor.engine.findings import Finding
from auditor.pipeline import RESULT_SCHEMA_VERSION, AuditResult, PackResult, given_zone, run_audit
from auditor.sources import PathNotFound

EXIT_OK, EXIT_NOTHING_READ, EXIT_USAGE = 0, 1, 2
EVIDENCE_SHOWN = 5
EVIDENCE_IN_JSON = 50
DISCLAIMER = "Scores are illustrations of how such a scorer works, not a reproduction of any real score."


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``scan`` and its options."""
    parser = subparsers.add_parser(
        "scan",
        help="run the rule packs over your exports: scores, findings and their evidence",
        description="Run rule packs over your exports and print scores, findings and the evidence rows behind them.",
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files, folders or .zip archives")
    parser.add_argument("--pack", action="append", metavar="ID|FILE", dest="packs",
                        help="a built-in pack id, a pack file or a folder (repeatable; default: the built-in packs)")  # fmt: skip
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    parser.add_argument("--timezone", metavar="ZONE", help="IANA time zone for exports that give only UTC")
    parser.add_argument("--as-of", metavar="DATE", dest="as_of",
                        help="judge as of this date (default: the latest time in the data)")  # fmt: skip
    parser.add_argument("--no-ablation", action="store_true", help="skip 'what each source gives away'")
    cache_command.add_flags(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``auditor scan``; returns the exit code."""
    errors = Console(stderr=True, highlight=False)
    problem = _check_args(args)
    if problem:
        errors.print(f"[bold red]auditor:[/] {escape(problem)}")
        return EXIT_USAGE
    paths = list(args.paths) or [resources.persona_dir()]
    # A shipped persona's exports are read in the zone its person lived in, as report, compare
    # and the app do; without it a Chicago driver's 1 am rides were judged at 7 am UTC.
    local = given_zone(paths, args.timezone)
    try:
        result = run_audit(paths, args.packs, args.as_of, ablation=not args.no_ablation,
                           cache=cache_command.from_args(args), local=local)  # fmt: skip
    except PathNotFound as missing:
        errors.print(f"[bold red]auditor:[/] {escape(str(missing))}")
        return EXIT_USAGE
    for unknown in result.unknown_packs:
        errors.print(f"[bold red]auditor:[/] {escape(unknown)}")
    if result.unknown_packs:
        return EXIT_USAGE
    for issue in result.pack_issues:
        if issue.severity == "error":
            errors.print(escape(issue.render()))
    for pack in result.skipped_packs:
        errors.print(f"[yellow]skipped the pack {escape(pack.file)}: it has errors (auditor rules lint {escape(pack.file)})[/]")
    if args.format == "json":
        sys.stdout.write(json.dumps(result_document(result), indent=2, ensure_ascii=False) + "\n")
    elif args.format == "markdown":
        sys.stdout.write(render_markdown(result))
    else:
        render_text(result, Console(highlight=False, soft_wrap=False))
    return EXIT_OK if result.dataset.rows_kept else EXIT_NOTHING_READ


def _check_args(args: argparse.Namespace) -> str:
    if args.timezone:
        try:
            ZoneInfo(args.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return f"--timezone {args.timezone!r} is not a known time zone (try e.g. Europe/London)"
    if args.as_of:
        try:
            pd.Timestamp(args.as_of)
        except ValueError:
            return f"--as-of {args.as_of!r} is not a date (try e.g. 2024-06-30)"
    return ""


# --- evidence ---------------------------------------------------------------------------------


def evidence_rows(result: AuditResult, finding: Finding, limit: int | None = EVIDENCE_SHOWN) -> list[dict[str, Any]]:
    """The first evidence rows of a finding: where each comes from and what it says."""
    frame = result.frame(finding.kind)
    if frame is None or not len(finding.evidence):
        return []
    rows = finding.evidence if limit is None else finding.evidence[:limit]
    # Column by column, not row by row: iterrows builds a Series per row (0.3 s for the
    # decade persona's JSON); the values and their text are the same.
    kind = finding.kind
    default = tuple(c for c in frame.columns if c not in ("importer", "file", "record", "source"))[:4]
    wanted = [c for c in ("file", "record", "source", *_SUMMARY_COLUMNS.get(kind, default)) if c in frame]
    picked = frame[list(dict.fromkeys(wanted))].iloc[rows]  # only the columns shown: 3.3M points have 14
    files, records, sources = (_column_values(picked, column, _plain) for column in ("file", "record", "source"))
    return [
        {"row": int(position), "file": file, "record": record, "source": source, "summary": summary}
        for position, file, record, source, summary in zip(rows, files, records, sources, _summaries(kind, default, picked))
    ]


def _column_values(picked: pd.DataFrame, column: str, convert: Callable[[object], Any]) -> list[Any]:
    if column not in picked:
        return [convert(None)] * len(picked)
    return [convert(value) for value in picked[column].tolist()]


def _summaries(kind: str, default: tuple[str, ...], picked: pd.DataFrame) -> list[str]:
    """Each row's summary: its kind's telling columns (else ``default``), present values only, joined by ' | '."""
    texts = [_column_values(picked, column, _summary_text) for column in _SUMMARY_COLUMNS.get(kind, default)]
    return [" | ".join(text for text in row if text is not None) for row in zip(*texts)] if texts else [""] * len(picked)


def _summary_text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


_SUMMARY_COLUMNS = {
    "transactions": ("time", "amount", "currency", "description"),
    "points": ("time", "lat", "lon"),
    "visits": ("start", "name", "semantic_type"),
    "activities": ("start", "mode", "distance_m"),
    "trips": ("requested", "product", "dropoff_address", "fare"),
    "ratings": ("time", "value", "direction", "provider"),
}


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, (int, float, str)) else str(value)


# --- JSON ----------------------------------------------------------------------------------------


def result_document(result: AuditResult) -> dict[str, Any]:
    """The audit as a JSON-ready document (versioned by ``schema_version``)."""
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "generated_by": f"auditor {__version__}",
        "as_of": result.now.isoformat().replace("+00:00", "Z"),
        "timezone": result.timezone,
        "timezone_basis": result.timezone_basis,
        "note": DISCLAIMER,
        "sources": [{"source": s, "rows": rows} for s, rows in sorted(result.data.rows_by_source().items())],
        "packs": [_pack_document(result, p) for p in result.packs],
        "pack_issues": [issue.as_dict() for issue in result.pack_issues],
    }


def _pack_document(result: AuditResult, pack: PackResult) -> dict[str, Any]:
    score = pack.score
    return {
        "id": pack.pack.id,
        "title": pack.pack.title,
        "scorer": pack.pack.scorer,
        "version": pack.pack.version,
        "file": pack.loaded.file,
        "score": None if score.score is None else {
            "value": score.score, "start": score.start, "min": score.minimum, "max": score.maximum,
            "band": None if score.band is None else score.band.model_dump(),
        },  # fmt: skip
        "dimensions": [
            {"name": d.name, "title": d.title, "weight": d.weight, "effect": d.applied, "uncapped": d.raw, "rules": d.rules}
            for d in score.dimensions
        ],
        "findings": [_finding_document(result, f) for f in pack.findings],
        "sources": [
            {
                "source": s.source,
                "rows": s.rows,
                "score_without": s.without.score,
                "score_alone": s.alone.score,
                "fired_without": s.without.fired,
                "fired_alone": s.alone.fired,
                "needs_this_source": s.needs_it,
            }
            for s in pack.sources
        ],
    }


def _finding_document(result: AuditResult, finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "title": finding.title,
        "kind": finding.kind,
        "outcome": finding.outcome,
        "measure": finding.measure,
        "value": finding.value,
        "shown_value": finding.shown_value,
        "threshold": {"comparison": finding.comparison, "value": finding.threshold},
        "distance": finding.distance,
        "effect": finding.effect,
        "dimension": finding.dimension,
        "severity": finding.severity,
        "inference": finding.inference,
        "reason": finding.reason,
        "basis": finding.basis,
        "signals": list(finding.signals),
        "legal": finding.legal,
        "references": list(finding.references),
        "judged_rows": finding.judged_rows,
        "unjudged_rows": finding.unjudged_rows,
        "groups": [{"label": g.label, "value": g.value, "passed": g.passed, "rows": g.rows} for g in finding.groups],
        "evidence": {"count": len(finding.evidence), "rows": evidence_rows(result, finding, EVIDENCE_IN_JSON)},
    }


# --- text ------------------------------------------------------------------------------------------


def _score_line(pack: PackResult) -> str:
    score = pack.score
    if score.score is None:
        return f"exposure report: {len(score.fired)} of {len(pack.findings)} rules fired"
    band = f", band [bold]{escape(score.band.label)}[/]" if score.band else ""
    change = score.change or 0.0
    return f"score [bold]{score.score:,.0f}[/] ({change:+,.0f} from {score.start:,.0f}; scale {score.minimum:,.0f}-{score.maximum:,.0f}){band}"


def render_summary(result: AuditResult, out: Console) -> None:
    """The short overview bare ``auditor`` prints: per pack the score, band and top inferences."""
    for pack in result.packs:
        out.print(f"[bold]{escape(pack.pack.title)}[/] ({escape(pack.pack.scorer)}): {_score_line(pack)}")
        band = pack.score.band
        if band and (band.unlocks or band.blocks):
            if band.unlocks:
                out.print(f"  unlocks: {escape(', '.join(band.unlocks))}")
            if band.blocks:
                out.print(f"  blocks: {escape(', '.join(band.blocks))}")
        fired = [f for f in pack.findings if f.fired]
        for finding in sorted(fired, key=lambda f: (-abs(f.effect), f.rule))[:5]:
            effect = f" ({finding.effect:+g})" if finding.effect else ""
            out.print(f"  - {escape(finding.inference)}{effect}  [dim]{len(finding.evidence):,} rows[/]")
        if not fired:
            out.print("  nothing fired")
        quiet = sum(1 for f in pack.findings if f.abstained)
        if quiet:
            out.print(f"  [dim]{quiet} rules abstained (not enough data)[/]")
    if not result.packs:
        out.print("No rule pack could be evaluated.")
    out.print(f"[dim]As of {result.now:%Y-%m-%d}. {DISCLAIMER} Details: auditor scan PATH...[/]")
    out.print(f"[dim]Local time: {escape(result.timezone_basis)}.[/]")


def render_text(result: AuditResult, out: Console) -> None:
    """The full scan as rich text: per pack, score, findings with evidence, what each source gives away."""
    out.print(f"[dim]As of {result.now:%Y-%m-%d %H:%M} UTC. {DISCLAIMER}[/]")
    out.print(f"[dim]Local time: {escape(result.timezone_basis)}.[/]")
    for pack in result.packs:
        out.print()
        out.print(f"[bold underline]{escape(pack.pack.title)}[/] [dim]({escape(pack.pack.id)} {escape(pack.pack.version)}, "
                  f"plays {escape(pack.pack.scorer)})[/]")  # fmt: skip
        out.print(_score_line(pack))
        if pack.score.band is not None:
            for word, items in (("unlocks", pack.score.band.unlocks), ("blocks", pack.score.band.blocks)):
                if items:
                    out.print(f"  {word}: {escape(', '.join(items))}")
        for dimension in pack.score.dimensions:
            if dimension.rules or dimension.weight:
                capped = f" (capped from {dimension.raw:+g})" if dimension.applied != dimension.raw else ""
                out.print(f"  {escape(dimension.title)}: {dimension.applied:+g}{capped}")
        _findings_table(result, pack, out)
        _sources_table(pack, out)


def _findings_table(result: AuditResult, pack: PackResult, out: Console) -> None:
    for finding in pack.findings:
        if finding.fired:
            effect = f" [bold]{finding.effect:+g}[/]" if finding.effect else ""
            out.print(f"\n  [red]fired[/] [bold]{escape(finding.rule)}[/]{effect}: {escape(finding.inference)}")
            out.print(f"    measured {escape(finding.shown_value)} against {escape(_threshold(finding))}; basis {escape(finding.basis)}")
            if finding.legal:
                out.print(f"    [yellow]legal:[/] {escape(finding.legal)}")
            for row in evidence_rows(result, finding):
                out.print(f"    [dim]{escape(str(row['file']))}:{row['record']}[/]  {escape(row['summary'])}")
            if len(finding.evidence) > EVIDENCE_SHOWN:
                out.print(f"    [dim]... {len(finding.evidence) - EVIDENCE_SHOWN:,} more rows (--format json lists {EVIDENCE_IN_JSON})[/]")
    quiet = [f for f in pack.findings if not f.fired]
    if quiet:
        table = Table(title="Did not fire", title_justify="left", show_edge=False, padding=(0, 1))
        table.add_column("Rule")
        table.add_column("Outcome")
        table.add_column("Measured", justify="right")
        table.add_column("Fires at")
        table.add_column("Why", overflow="fold")
        for finding in quiet:
            outcome = "abstained" if finding.abstained else "not fired"
            distance = "" if finding.distance is None else f"{finding.distance:g} away"
            table.add_row(escape(finding.rule), outcome, escape(finding.shown_value) if not finding.abstained else "-",
                          escape(_threshold(finding)), escape(finding.reason or distance))  # fmt: skip
        out.print()
        out.print(table)


def _sources_table(pack: PackResult, out: Console) -> None:
    if not pack.sources:
        return
    table = Table(title="What each source gives away", title_justify="left", show_edge=False, padding=(0, 1))
    table.add_column("Source", overflow="fold")
    table.add_column("Rows", justify="right")
    table.add_column("Without it", justify="right")
    table.add_column("It alone", justify="right")
    table.add_column("Fires only with it", overflow="fold")
    for effect in pack.sources:
        def shown(score) -> str:
            return f"{score.score:,.0f}" if score.score is not None else f"{len(score.fired)} fired"

        table.add_row(escape(effect.source), f"{sum(effect.rows.values()):,}", shown(effect.without), shown(effect.alone),
                      escape(", ".join(effect.needs_it) or "-"))  # fmt: skip
    out.print()
    out.print(table)


_WORDS = {"at_least": "at least", "more_than": "more than", "at_most": "at most", "less_than": "less than"}


def _threshold(finding: Finding) -> str:
    return f"{_WORDS[finding.comparison]} {finding.threshold:g}"


# --- Markdown -------------------------------------------------------------------------------------


def render_markdown(result: AuditResult) -> str:
    """The scan as Markdown (the report command writes the same text to a file)."""
    lines = [f"# Audit as of {result.now:%Y-%m-%d}", "", f"_{DISCLAIMER}_", "", f"Local time: {result.timezone_basis}.", ""]
    for pack in result.packs:
        lines += [f"## {pack.pack.title}", "", f"Plays {pack.pack.scorer}. " + _score_line(pack).replace("[bold]", "**").replace("[/]", "**"), ""]
        lines += ["| rule | outcome | measured | threshold | effect | inference or reason |", "| --- | --- | --- | --- | --- | --- |"]
        for f in pack.findings:
            said = f.inference if f.fired else (f.reason or (f"{f.distance:g} from firing" if f.distance is not None else ""))
            lines.append(f"| {f.rule} | {f.outcome.replace('_', ' ')} | {f.shown_value if not f.abstained else '-'} | "
                         f"{_threshold(f)} | {f.effect:+g} | {_cell(said)} |")  # fmt: skip
        for f in pack.findings:
            if f.fired and len(f.evidence):
                lines += ["", f"### Evidence: {f.rule}", ""]
                for row in evidence_rows(result, f):
                    lines.append(f"- `{row['file']}:{row['record']}` {_cell(row['summary'])}")
                if len(f.evidence) > EVIDENCE_SHOWN:
                    lines.append(f"- ... {len(f.evidence) - EVIDENCE_SHOWN:,} more rows")
        if pack.sources:
            lines += ["", "### What each source gives away", "", "| source | rows | without it | it alone | fires only with it |", "| --- | --- | --- | --- | --- |"]
            for s in pack.sources:
                without = f"{s.without.score:,.0f}" if s.without.score is not None else f"{len(s.without.fired)} fired"
                alone = f"{s.alone.score:,.0f}" if s.alone.score is not None else f"{len(s.alone.fired)} fired"
                lines.append(f"| {_cell(s.source)} | {sum(s.rows.values()):,} | {without} | {alone} | {', '.join(s.needs_it) or '-'} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
