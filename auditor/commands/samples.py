"""``auditor samples list`` and ``auditor samples generate``: synthetic people to audit.

``generate`` simulates a persona's life and writes what that person would download, in the
providers' real formats, with a README and a ground-truth file (``truth.json``) beside it::

    auditor samples generate --persona gig-driver --output my-sample
    auditor samples generate --persona all --output sample_exports --force
    auditor samples generate --persona decade --years 10 --output /tmp/bench

The same persona, seed, years and density give byte-identical files. A folder that holds
files other than a generated persona is never written into without ``--force``; each file
is written under a temporary name and renamed into place.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor.samples import generate
from auditor.samples.personas import PERSONAS, SHIPPED

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``samples`` with its ``list`` and ``generate`` subcommands."""
    parser = subparsers.add_parser(
        "samples",
        help="list or generate synthetic personas whose exports look like the real thing",
        description="Synthetic personas in the providers' real export formats, with a ground truth of planted signals.",
    )
    actions = parser.add_subparsers(dest="samples_command", metavar="ACTION", required=True)
    actions.add_parser("list", help="the personas the generator knows", description="List the personas the generator knows.")
    make = actions.add_parser(
        "generate",
        help="write a persona's exports, README and truth.json",
        description="Simulate a persona's life and write their exports, a README and truth.json.",
    )
    make.add_argument("--persona", default="all", metavar="NAME|all",
                      help=f"one of {', '.join(PERSONAS)}, or 'all' for the shipped ones ({', '.join(SHIPPED)})")  # fmt: skip
    make.add_argument("--seed", type=int, default=generate.DEFAULT_SEED, help="random seed (default 1)")
    make.add_argument("--years", type=float, metavar="Y", help="length of the simulated period (default: the persona's)")
    make.add_argument("--density", type=float, metavar="D",
                      help="multiplies countable habits: purchases, rides, outings (default: the persona's)")  # fmt: skip
    make.add_argument("--output", type=Path, required=True, metavar="DIR",
                      help="folder for one persona; with --persona all, one subfolder per persona")  # fmt: skip
    make.add_argument("--force", action="store_true", help="write even into a folder that holds other files")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``auditor samples ...``; returns the exit code."""
    out, errors = Console(highlight=False), Console(stderr=True, highlight=False)
    if args.samples_command == "list":
        out.print(_persona_table())
        return EXIT_OK
    names = list(SHIPPED) if args.persona == "all" else [args.persona]
    if any(name not in PERSONAS for name in names):
        errors.print(f"[bold red]auditor:[/] unknown persona {escape(args.persona)!s}; known: {', '.join(PERSONAS)}, all")
        return EXIT_USAGE
    if (args.years is not None and args.years <= 0) or (args.density is not None and args.density <= 0):
        errors.print("[bold red]auditor:[/] --years and --density must be positive")
        return EXIT_USAGE
    for name in names:
        folder = args.output / name if args.persona == "all" else args.output
        started = time.perf_counter()
        try:
            written = generate.write(folder, name, args.seed, args.years, args.density, force=args.force)
        except generate.FolderNotEmpty as error:
            errors.print(f"[bold red]auditor:[/] {escape(str(error))}")
            return EXIT_FAILED
        size = sum(path.stat().st_size for path in written)
        errors.print(f"{name}: {len(written)} files, {size / 1e6:.1f} MB in {escape(str(folder))} ({time.perf_counter() - started:.1f} s)")
        for stranger in generate.strangers(folder, written):
            errors.print(f"  note: {escape(stranger.name)} was already there and was left as it is")
    return EXIT_OK


def _persona_table() -> Table:
    table = Table(title="Personas", show_lines=False)
    table.add_column("name")
    table.add_column("period")
    table.add_column("shipped")
    table.add_column("who")
    for persona in PERSONAS.values():
        period = f"{persona.years:g} years from {persona.start.isoformat()}"
        table.add_row(persona.name, period, "yes" if persona.shipped else "no", persona.summary)
    return table
