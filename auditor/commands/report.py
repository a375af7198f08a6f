"""``auditor report PATH... --format html|markdown|json|csv [--output FILE] [--redact LEVEL]``.

Runs the audit (:func:`auditor.pipeline.run_audit`), redacts it (:func:`auditor.redact.redact`)
and writes one report file. By default the file goes to the current folder, named after the
audit date (``auditor-report-2024-02-29.html``); never beside the person's exports unless
``--output`` names such a place, and never over one of them. ``--output -`` prints to stdout.
Files are written atomically with mode 0600: they hold personal data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditor import resources
from auditor.commands import cache as cache_command
from auditor.pipeline import AuditResult, given_zone, run_audit
from auditor.redact import LEVELS, redact
from auditor.reports import FORMATS, default_name, render
from auditor.reports.atomic import write_atomic
from auditor.sources import PathNotFound

EXIT_OK, EXIT_NOTHING_READ, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``report`` and its options."""
    parser = subparsers.add_parser(
        "report",
        help="write a report file: self-contained HTML with charts, Markdown, JSON or CSV, optionally redacted",
        description=(
            "Write the audit as a report you can keep, print or share. HTML is one self-contained file that "
            "works offline; --redact coarse or strict hides places, merchants, amounts and dates."
        ),
    )
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files, folders or .zip archives")
    parser.add_argument("--format", choices=FORMATS, default="html", help="html (default), markdown, json or csv")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="where to write ('-' for stdout; default: auditor-report-DATE.EXT in the current folder)")  # fmt: skip
    parser.add_argument("--redact", choices=LEVELS, default="none",
                        help="none (default); coarse: places ~5 km, merchants as categories, amounts as bands, "
                             "dates as months; strict: none of those at all")  # fmt: skip
    parser.add_argument("--pack", action="append", metavar="ID|FILE", dest="packs",
                        help="a built-in pack id, a pack file or a folder (repeatable; default: the built-in packs)")  # fmt: skip
    parser.add_argument("--timezone", metavar="ZONE", help="IANA time zone for exports that give only UTC")
    parser.add_argument("--as-of", metavar="DATE", dest="as_of",
                        help="judge as of this date (default: the latest time in the data)")  # fmt: skip
    parser.add_argument("--no-ablation", action="store_true", help="skip 'what each source gives away'")
    cache_command.add_flags(parser)  # as scan: a report of the same exports again skips parsing and deriving
    return parser


class _Refused(Exception):
    """The report cannot be written where asked; the message says why."""


def run(args: argparse.Namespace) -> int:
    """Run ``auditor report``; returns the exit code."""
    from auditor.commands.scan import _check_args  # the same checks of --timezone and --as-of

    errors = Console(stderr=True, highlight=False)
    problem = _check_args(args)
    if problem:
        errors.print(f"[bold red]auditor:[/] {escape(problem)}")
        return EXIT_USAGE
    paths = list(args.paths) or [resources.persona_dir()]
    local = given_zone(paths, args.timezone)
    if args.output != "-":
        try:
            # before the audit, so a refusal costs nothing; the file name needs the audit's date
            output_path(args.output, paths, None, args.format)
        except _Refused as refused:
            errors.print(f"[bold red]auditor:[/] {escape(str(refused))}")
            return EXIT_USAGE
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
    for pack in result.skipped_packs:
        errors.print(f"[yellow]skipped the pack {escape(pack.file)}: it has errors (auditor rules lint {escape(pack.file)})[/]")
    shown = redact(result, args.redact)
    text = render(shown, args.format)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        try:
            target = output_path(args.output, paths, shown, args.format)
            write_atomic(target, text)
        except _Refused as refused:
            errors.print(f"[bold red]auditor:[/] {escape(str(refused))}")
            return EXIT_USAGE
        except OSError as failed:
            errors.print(f"[bold red]auditor:[/] could not write the report to {escape(str(failed.filename or args.output))}: "
                         f"{escape(failed.strerror or str(failed))}")  # fmt: skip
            return EXIT_USAGE
        level = "" if args.redact == "none" else f", redacted {args.redact}"
        errors.print(f"wrote {escape(str(target))} ({args.format}{level}, readable only by you)")
        if args.redact == "none":
            errors.print("[dim]It holds personal data from your exports; to share it, use --redact coarse or strict.[/]")
    return EXIT_OK if result.dataset.rows_kept else EXIT_NOTHING_READ


def output_path(output: str | None, inputs: list[Path], result: AuditResult | None, format: str) -> Path:
    """Where the report goes: ``--output``, else the current folder; refusing the person's own files.

    Without a result (the check before the audit) the default file name is a placeholder.
    """
    resolved_inputs = [p.resolve() for p in inputs]
    if output:
        target = Path(output).expanduser()
        if target.is_dir():
            target = target / (default_name(result, format) if result is not None else "report")
        if target.resolve() in resolved_inputs or any(target.resolve().is_relative_to(p) for p in resolved_inputs
                                                        if p.is_file()):  # fmt: skip
            raise _Refused(f"--output {output} is one of your input files; reports never replace your exports")
        if not target.parent.exists():
            raise _Refused(f"--output {output}: the folder {target.parent} does not exist")
        return target
    target = Path.cwd() / (default_name(result, format) if result is not None else "report")
    folder = Path.cwd().resolve()
    for given in resolved_inputs:
        beside = given if given.is_dir() else given.parent
        if folder == beside or folder.is_relative_to(beside):
            raise _Refused(
                f"the current folder holds your exports ({given}); reports are never written beside them "
                "unless you ask: run from another folder or pass --output FILE"
            )
    return target
