"""The command line: ``auditor`` and its subcommands.

Results go to stdout, diagnostics and progress to stderr. Exit codes: 0 when any row was
read, 1 when nothing could be read, 2 for usage errors (a missing path, an unknown time
zone). Bare ``auditor`` runs the main job on the default sample persona; what that job
shows grows with the product (today: the sources inventory).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor import __version__, resources
from auditor.dataset import Dataset, load_dataset
from auditor.sources import PathNotFound
from auditor.sources_report import iso_utc, sources_document

EXIT_OK, EXIT_NOTHING_READ, EXIT_USAGE = 0, 1, 2
COMMANDS = ("sources",)


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
        epilog="Commands: auditor sources PATH...  (what each file holds). Run 'auditor sources -h' for options.",
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
    if not argv or argv[0] not in COMMANDS and not argv[0].startswith("-"):
        # Bare ``auditor [PATH...]``: the main job on the given paths or the sample.
        argv = ["sources", *argv]
    elif argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv = ["sources", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return run_sources(args, errors)
    except UsageError as problem:
        errors.print(f"[bold red]auditor:[/] {escape(str(problem))}")
        return EXIT_USAGE


def _timezone(name: str | None) -> str | None:
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--timezone {name!r} is not a known time zone (try e.g. Europe/London)") from None
    return name


def run_sources(args: argparse.Namespace, errors: Console) -> int:
    timezone = _timezone(args.timezone)
    paths: list[Path] = list(args.paths)
    on_sample = not paths
    if on_sample:
        paths = [resources.persona_dir()]
    try:
        dataset = _load_with_progress(paths, errors)
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
        render_sources(dataset, timezone, out)
    return EXIT_OK if dataset.rows_kept else EXIT_NOTHING_READ


def _load_with_progress(paths: list[Path], errors: Console) -> Dataset:
    if not errors.is_terminal:
        return load_dataset(paths)
    with errors.status("Reading exports...") as status:
        return load_dataset(paths, on_file=lambda claim: status.update(f"Reading {escape(claim.ref.display)}"))


def render_sources(dataset: Dataset, timezone: str | None, out: Console) -> None:
    """The sources inventory as rich tables: files, then skips, then what was not read."""
    table = Table(title="What each file holds", title_justify="left", show_lines=False)
    table.add_column("File", overflow="fold", ratio=3)
    table.add_column("Read as", overflow="fold", ratio=2)
    table.add_column("Kept", justify="right", no_wrap=True)
    table.add_column("Skipped", justify="right", no_wrap=True)
    table.add_column("From", no_wrap=True)
    table.add_column("To", no_wrap=True)
    table.add_column("Times", overflow="fold", ratio=2)
    for report in sorted(dataset.reports, key=lambda r: r.path):
        kept = ", ".join(f"{s.kept:,} {kind}" for kind, s in sorted(report.kinds.items()) if s.kept) or "-"
        if report.duplicates_dropped:
            kept += f" ({report.duplicates_dropped:,} duplicates dropped)"
        firsts = [s.first for s in report.kinds.values() if s.first is not None]
        lasts = [s.last for s in report.kinds.values() if s.last is not None]
        read_as = report.title + (f": {report.detail}" if report.detail else "")
        skipped = f"{report.skipped_total:,}" if report.skipped_total else "-"
        if report.error:
            skipped = f"[red]{skipped}, error[/]"
        table.add_row(
            escape(report.path),
            escape(read_as),
            kept,
            skipped,
            _day(min(firsts)) if firsts else "-",
            _day(max(lasts)) if lasts else "-",
            escape(_times_note(report.timezone, timezone)),
        )
    out.print(table)
    problems = [r for r in sorted(dataset.reports, key=lambda r: r.path) if r.skipped or r.error or r.notes]
    if problems:
        out.print("\n[bold]Details[/]")
        for report in problems:
            out.print(f"  [bold]{escape(report.path)}[/]")
            if report.error:
                out.print(f"    [red]error:[/] {escape(report.error)}")
            for group in sorted(report.skipped.values(), key=lambda g: (-g.count, g.reason)):
                where = ", ".join(str(r) for r in group.records[:5])
                more = ", ..." if group.count > 5 else ""
                out.print(f"    skipped {group.count:,}: {escape(group.reason)} (records {where}{more})")
            for note in report.notes:
                out.print(f"    note: {escape(note)}")
    if dataset.duplicates:
        out.print("\n[bold]Overlaps merged[/] (the same record in two places is counted once)")
        for d in dataset.duplicates:
            same = d.kept_file == d.dropped_file
            where = f"within {d.kept_file}" if same else f"{d.dropped_file} repeats {d.kept_file}"
            out.print(f"  {d.count:,} {d.kind}: {escape(where)}; kept the first copy")
    if dataset.unclaimed:
        out.print(f"\n[bold]Not read[/] ({len(dataset.unclaimed):,} files no importer recognises)")
        for item in dataset.unclaimed[:50]:
            out.print(f"  {escape(item.path)}: {escape(item.why)}")
        if len(dataset.unclaimed) > 50:
            out.print(f"  ... and {len(dataset.unclaimed) - 50:,} more (--format json lists them all)")
    totals = ", ".join(f"{len(frame):,} {kind}" for kind, frame in dataset.frames.items() if len(frame))
    out.print(f"\n[bold]In all:[/] {totals or 'nothing read'} from {sum(1 for r in dataset.reports if r.kept_total)} files.")


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
