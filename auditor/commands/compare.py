"""``auditor compare A B... [--pack ...] [--format text|markdown|html]``.

Each PATH is one person's exports (a folder, a file or an archive). With several, their
audits side by side: each pack's score and the rules whose outcome differs (for workshops:
how different lives are scored). With one, that person under every pack.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditor.pipeline import given_zone, run_audit
from auditor.reports.atomic import write_atomic
from auditor.reports.compare import compare, render_html, render_markdown, render_text
from auditor.sources import PathNotFound

EXIT_OK, EXIT_NOTHING_READ, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``compare`` and its options."""
    parser = subparsers.add_parser(
        "compare",
        help="several people's exports side by side (scores per pack, findings that differ), or one under every pack",
        description=("Audit each PATH (one person's exports: a folder, file or archive) and show them side by "
                     "side: each pack's score, and the rules whose outcome differs. With one PATH: that person "
                     "under every pack."),
    )  # fmt: skip
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="one person's exports per PATH")
    parser.add_argument("--pack", action="append", metavar="ID|FILE", dest="packs",
                        help="a built-in pack id, a pack file or a folder (repeatable; default: every built-in pack)")  # fmt: skip
    parser.add_argument("--format", choices=("text", "markdown", "html"), default="text")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE (atomically, mode 0600) instead of stdout")
    parser.add_argument("--timezone", metavar="ZONE", help="IANA time zone for exports that give only UTC")
    parser.add_argument("--as-of", metavar="DATE", dest="as_of", help="judge every audit as of this date")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``auditor compare``; returns the exit code."""
    from auditor.commands.scan import _check_args

    errors = Console(stderr=True, highlight=False)
    problem = _check_args(args)
    if problem:
        errors.print(f"[bold red]auditor:[/] {escape(problem)}")
        return EXIT_USAGE
    audits = []
    for path in args.paths:
        try:
            local = given_zone([path], args.timezone)
            result = run_audit([path], args.packs, args.as_of, ablation=False, local=local)
        except PathNotFound as missing:
            errors.print(f"[bold red]auditor:[/] {escape(str(missing))}")
            return EXIT_USAGE
        if result.unknown_packs:
            for unknown in result.unknown_packs:
                errors.print(f"[bold red]auditor:[/] {escape(unknown)}")
            return EXIT_USAGE
        if not result.dataset.rows_kept:
            errors.print(f"[yellow]nothing could be read from {escape(str(path))} (auditor sources {escape(str(path))})[/]")
        audits.append((path.name or str(path), result))
    comparison = compare(audits)
    if args.format == "text" and not args.output:
        render_text(comparison, Console(highlight=False, soft_wrap=False))
    else:
        if args.format == "text":
            console = Console(record=True, highlight=False, soft_wrap=False, width=120, file=io.StringIO())
            render_text(comparison, console)
            text = console.export_text()
        else:
            text = render_markdown(comparison) if args.format == "markdown" else render_html(comparison)
        if args.output and args.output != "-":
            try:
                write_atomic(Path(args.output), text)
            except OSError as failed:
                errors.print(f"[bold red]auditor:[/] could not write {escape(args.output)}: {escape(failed.strerror or str(failed))}")
                return EXIT_USAGE
            errors.print(f"wrote {escape(args.output)}")
        else:
            sys.stdout.write(text)
    return EXIT_OK if all(r.dataset.rows_kept for _, r in audits) else EXIT_NOTHING_READ
