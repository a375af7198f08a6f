"""The command line: ``auditor`` and its subcommands.

Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 when any row was
read, 1 when nothing could be read, 2 for usage errors (a missing path, an unknown time
zone). Bare ``auditor [PATH...]`` runs the main job on the given exports, or on the
default sample persona: the sources inventory, then the scan summary of every built-in
pack. Each subcommand lives in its own module under :mod:`auditor.commands` and declares
itself with ``add_parser`` and ``run``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor import __version__, model, resources
from auditor.commands import cache as cache_command
from auditor.commands import compare as compare_command
from auditor.commands import report as report_command
from auditor.commands import rules as rules_command
from auditor.commands import samples as samples_command
from auditor.commands import scan as scan_command
from auditor.cache import ParseCache
from auditor.dataset import Dataset, load_dataset
from auditor.pipeline import given_zone, run_audit
from auditor.sources import PathNotFound
from auditor.sources_report import iso_utc, sources_document

EXIT_OK, EXIT_NOTHING_READ, EXIT_USAGE = 0, 1, 2
# Subcommands with their own module: ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMAND_MODULES = {"scan": scan_command, "report": report_command, "compare": compare_command,
                   "rules": rules_command, "samples": samples_command, "cache": cache_command}  # fmt: skip
COMMANDS = ("sources", *COMMAND_MODULES)


class UsageError(Exception):
    """The command line asks for something that cannot be done; exit 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="auditor",
        description=(
            "See what banks, insurers, landlords and social-credit scorers could infer from your own "
            "data exports. Run with no arguments for a sample persona, or point it at your exports "
            "(files, folders or .zip archives exactly as downloaded). Fully offline."
        ),
        epilog=(
            "Bare 'auditor [PATH...]' opens the app in a terminal (--no-tui, or a pipe, prints what your exports "
            "hold and how each built-in scorer reads them instead). "
            "Commands: sources (what each file holds), scan (scores, findings, evidence), "
            "report (an HTML, Markdown, JSON or CSV file to keep or share, optionally redacted), "
            "compare (people side by side, or one under every pack), rules (lint, test, list packs), "
            "samples (list or generate personas). 'auditor COMMAND -h' for options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"auditor {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    sources = commands.add_parser(
        "sources",
        help="list what each file holds, what was skipped and why, and what nothing could read",
        description="List what each file holds, what was skipped and why, and the files nothing could read.",
    )
    sources.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files, folders or .zip archives")
    _add_common(sources)
    cache_command.add_flags(sources)
    sources.add_argument("--no-tui", action="store_true", dest="no_tui",
                         help="bare 'auditor' in a terminal opens the app; print the inventory and summary instead")  # fmt: skip
    for module in COMMAND_MODULES.values():
        module.add_parser(commands)
    return parser


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (a table) or json (the sources schema)"
    )
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        help="IANA time zone (e.g. Europe/London) for local times where an export gives only UTC",
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``auditor`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    errors = Console(stderr=True, highlight=False)
    main_job = not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"))
    if main_job:
        # Bare ``auditor [PATH...] [--format ...] [--timezone ...]``: the main job.
        argv = ["sources", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in COMMAND_MODULES:
        return COMMAND_MODULES[args.command].run(args)
    try:
        if main_job and _opens_app(args):
            from auditor.tui import run_app  # Textual only when the app opens

            return run_app(args.paths, timezone=_timezone(args.timezone))
        return run_sources(args, errors, summary=main_job)
    except UsageError as problem:
        errors.print(f"[bold red]auditor:[/] {escape(str(problem))}")
        return EXIT_USAGE


def _opens_app(args: argparse.Namespace) -> bool:
    """Bare ``auditor`` opens the app in a terminal; pipes, tests and CI keep the printed summary."""
    return not args.no_tui and args.format == "text" and sys.stdin.isatty() and sys.stdout.isatty()


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {name!r} is not a known time zone (try e.g. Europe/London)") from None
    return name


def run_sources(args: argparse.Namespace, errors: Console, *, summary: bool = False) -> int:
    """The sources inventory; with ``summary`` (bare ``auditor``) also every pack's score."""
    timezone = _timezone(args.timezone)
    paths: list[Path] = list(args.paths)
    on_sample = not paths
    if on_sample:
        paths = [resources.persona_dir()]
    local = given_zone(paths, timezone)  # truth.json read once, here
    timezone = local.zone if local else None
    try:
        dataset = _load_with_progress(paths, errors, cache_command.from_args(args))
    except PathNotFound as problem:
        raise UsageError(str(problem)) from None
    if args.format == "json":
        sys.stdout.write(json.dumps(sources_document(dataset, timezone), indent=2, ensure_ascii=False) + "\n")
    else:
        out = Console(highlight=False, soft_wrap=False)
        if on_sample:
            out.print(
                f"[bold]Sample persona '{resources.DEFAULT_PERSONA}'[/] ({escape(str(paths[0]))}). "
                "To audit your own data: [bold]auditor PATH...[/] (exports as downloaded: files, folders, .zip)."
            )
        render_sources(dataset, timezone, out, root=_common_root(paths))
        if summary and dataset.rows_kept:
            out.print()
            out.rule("What scorers could infer")
            scan_command.render_summary(run_audit(paths, dataset=dataset, local=local), out)
    return EXIT_OK if dataset.rows_kept else EXIT_NOTHING_READ


def _common_root(paths: list[Path]) -> Path | None:
    """The folder the paths share, so the table can show shorter names."""
    folders = [str(p if p.is_dir() else p.parent) for p in paths]
    try:
        common = os.path.commonpath(folders)
    except ValueError:
        return None
    return Path(common) if common not in ("", os.sep) else None


def _load_with_progress(paths: list[Path], errors: Console, cache: ParseCache | None = None) -> Dataset:
    if not errors.is_terminal:
        return load_dataset(paths, cache=cache)
    with errors.status("Reading exports...") as status:
        return load_dataset(
            paths, on_file=lambda claim: status.update(f"Reading {escape(claim.ref.display)}"), cache=cache
        )


def render_sources(dataset: Dataset, timezone: str | None, out: Console, root: Path | None = None) -> None:
    """The sources inventory: one small table per file, then overlaps, unread files, totals.

    A block per file (rather than one wide table) stays readable in an 80-column terminal
    even with the long member paths that Takeout archives have.
    """
    prefix = f"{root}{os.sep}" if root else ""
    for report in sorted(dataset.reports, key=lambda r: r.path):
        shown = report.path[len(prefix):] if prefix and report.path.startswith(prefix) else report.path
        out.print(f"\n[bold]{escape(shown)}[/]")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("read as", escape(report.title + (f": {report.detail}" if report.detail else "")))
        kept = [
            f"{s.kept:,} {kind}" + (f"  {_day(s.first)} to {_day(s.last)}" if s.first is not None else "")
            for kind, s in sorted(report.kinds.items())
            if s.kept
        ]
        grid.add_row("kept", "\n".join(kept) if kept else "nothing")
        if report.duplicates_dropped:
            grid.add_row("overlaps", f"{report.duplicates_dropped:,} rows already read from another file, counted once")
        for group in sorted(report.skipped.values(), key=lambda g: (-g.count, g.reason)):
            where = ", ".join(str(r) for r in group.records[:5]) + (", ..." if group.count > 5 else "")
            grid.add_row("[yellow]skipped[/]", f"{group.count:,}: {escape(group.reason)} (records {where})")
        if report.error:
            grid.add_row("[red]error[/]", escape(report.error))
        if report.timezone:
            grid.add_row("times", escape(_times_note(report.timezone, timezone)))
        for note in report.notes:
            grid.add_row("note", escape(note))
        out.print(grid)
    if dataset.duplicates:
        out.print("\n[bold]Overlaps merged[/] (a record found in two places is counted once; the first copy is kept)")
        for d in dataset.duplicates:
            kept, dropped = (_relative(d.kept_file, prefix), _relative(d.dropped_file, prefix))
            where = f"repeated within {kept}" if kept == dropped else f"{dropped} repeats {kept}"
            out.print(f"  {d.count:,} {d.kind}: {escape(where)}")
    if dataset.unclaimed:
        out.print(f"\n[bold]Not read[/] ({len(dataset.unclaimed):,} files no importer recognises)")
        for item in dataset.unclaimed[:50]:
            out.print(f"  {escape(_relative(item.path, prefix))}: {escape(item.why)}")
        if len(dataset.unclaimed) > 50:
            out.print(f"  ... and {len(dataset.unclaimed) - 50:,} more (--format json lists them all)")
    totals = Table(title="In all", title_justify="left", show_edge=False, box=None, padding=(0, 2))
    totals.add_column("table")
    totals.add_column("rows", justify="right")
    totals.add_column("from", no_wrap=True)
    totals.add_column("to", no_wrap=True)
    for kind, frame in dataset.frames.items():
        if len(frame):
            times = frame[model.time_columns(kind)[0]].dropna()
            first, last = (times.min(), times.max()) if len(times) else (None, None)
            totals.add_row(kind, f"{len(frame):,}", _day(first), _day(last))
    files_read = sum(1 for r in dataset.reports if r.kept_total)
    skipped = sum(r.skipped_total for r in dataset.reports)
    out.print()
    if totals.row_count:
        out.print(totals)
    out.print(
        f"{files_read} files read, {skipped:,} records skipped, {len(dataset.unclaimed)} files not read."
        if totals.row_count
        else "[bold red]Nothing could be read.[/] See the reasons above."
    )


def _relative(path: str, prefix: str) -> str:
    return path[len(prefix):] if prefix and path.startswith(prefix) else path


def _day(value) -> str:
    text = iso_utc(value)
    return text[:10] if text else "-"


def _times_note(file_note: str, timezone: str | None) -> str:
    if not file_note:
        return "-"
    if "--timezone" in file_note:
        return file_note.replace("--timezone", f"--timezone ({timezone})" if timezone else "--timezone (not set: UTC)")
    return file_note


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
