"""The ``auditor`` command's first step: open the app at once, or hand over to the CLI.

Bare ``auditor [PATH...]`` in a terminal opens the app. Importing the CLI means importing
pandas, the engine and every importer (about a second), so this module decides with the
standard library alone; the app then draws its first frame and imports the rest in its
worker. Everything else (subcommands, options, pipes, a path that does not exist, an
unknown time zone) goes to :func:`auditor.cli.main`, which parses and reports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The CLI's subcommands (auditor.cli.COMMANDS), so that `auditor rules` never opens the app
# on a folder named rules; tests/test_tui.py checks that the two lists agree.
COMMAND_NAMES = ("sources", "scan", "report", "compare", "cache", "rules", "samples")


def app_request(argv: Sequence[str]) -> tuple[list[Path], str | None] | None:
    """The paths and time zone to open the app on, or None when the CLI should run."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return None
    if argv and argv[0] in COMMAND_NAMES:
        return None
    paths: list[Path] = []
    timezone: str | None = None
    items = iter(argv)
    for item in items:
        if item == "--timezone":
            timezone = next(items, None)
            if timezone is None:
                return None
        elif item.startswith("--timezone="):
            timezone = item.partition("=")[2]
        elif item.startswith("-"):
            return None  # --no-tui, --format, --help, --version: the CLI's
        else:
            paths.append(Path(item))
    if timezone is not None and not _known_zone(timezone):
        return None
    if not all(path.exists() for path in paths):
        return None
    return paths, timezone


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``auditor`` console script and of ``python -m auditor``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    request = app_request(argv)
    if request is not None:
        from auditor.tui import run_app

        paths, timezone = request
        return run_app(paths, timezone=timezone)
    _start_loading_workers(argv)
    from auditor.cli import main as cli_main

    return cli_main(argv)


# Commands that read exports once, into run_audit or load_dataset ('compare' reads several
# folders one by one: only the first could use them).
_READING_COMMANDS = ("scan", "report", "sources")


def _start_loading_workers(argv: Sequence[str]) -> None:
    """Start the loading workers before the CLI imports pandas, when the exports named will want them.

    Only for a cold read: from the cache (``--cache``, ``AUDITOR_CACHE``) no file is parsed. The
    paths are guessed from the arguments that name files or folders that exist; a wrong guess
    only costs a worker's start (see :func:`auditor.workers.start_early`).
    """
    command = argv[0] if argv and argv[0] in COMMAND_NAMES else "sources"
    if command not in _READING_COMMANDS or any(a in ("-h", "--help", "--version") for a in argv):
        return
    # "--cache" exactly: --cache-verify alone does not switch the cache on (auditor.cache.wanted)
    if "--no-cache" not in argv and (
        "--cache" in argv or os.environ.get("AUDITOR_CACHE", "").strip().lower() in _YES
    ):
        return
    named = argv[1:] if argv and argv[0] == command else argv
    paths = [Path(a) for a in named if not a.startswith("-") and Path(a).exists()]
    if paths:
        from auditor import workers

        workers.start_early(paths)


_YES = ("1", "true", "yes", "on")  # as auditor.cache.wanted reads AUDITOR_CACHE
