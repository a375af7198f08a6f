"""``auditor cache info|clear``: where the parse cache is, what it holds, and removing it.

The cache (:mod:`auditor.cache`) keeps the parsed frames of exports read with ``--cache``
(or ``AUDITOR_CACHE=1``) so that a second audit skips parsing. It holds personal data, so
``info`` says where it is and ``clear`` deletes it. Also home of the cache flags that
``scan`` and the bare ``auditor`` share (:func:`add_flags`, :func:`from_args`).
"""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape

from auditor import cache

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``cache`` and its two actions."""
    parser = subparsers.add_parser(
        "cache",
        help="show or clear the cache of parsed exports (it holds your data)",
        description=(
            "The cache keeps parsed exports so that a second audit of the same files skips parsing. "
            "It is used only with --cache or AUDITOR_CACHE=1, lives in AUDITOR_CACHE_DIR, "
            "$XDG_CACHE_HOME/auditor or ~/.cache/auditor (owner-only), and holds your personal data."
        ),
    )
    parser.add_argument("action", choices=("info", "clear"), help="info: where it is and what it holds; clear: delete it")
    return parser


def add_flags(parser: argparse.ArgumentParser) -> None:
    """``--cache``, ``--no-cache`` and ``--cache-verify`` for the commands that read exports."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--cache", dest="cache", action="store_true", default=None,
                       help="keep parsed exports in the cache and reuse them (also: AUDITOR_CACHE=1); "
                            "the cache holds your data, see 'auditor cache info'")  # fmt: skip
    group.add_argument("--no-cache", dest="cache", action="store_false",
                       help="neither read nor write the cache, whatever AUDITOR_CACHE says")  # fmt: skip
    parser.add_argument("--cache-verify", action="store_true",
                        help="with the cache, also compare each file's content hash (slower: reads every byte)")  # fmt: skip


def from_args(args: argparse.Namespace) -> cache.ParseCache | None:
    """The cache these arguments ask for, or None."""
    if not cache.wanted(getattr(args, "cache", None)):
        return None
    return cache.ParseCache(verify=bool(getattr(args, "cache_verify", False)))


def run(args: argparse.Namespace) -> int:
    """Run ``auditor cache info`` or ``auditor cache clear``."""
    out = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False)
    if args.action == "clear":
        try:
            removed = cache.clear()
        except cache.NotOurCache as problem:
            errors.print(f"[bold red]auditor:[/] {escape(str(problem))}")
            return EXIT_USAGE
        except OSError as problem:
            errors.print(f"[bold red]auditor:[/] could not clear the cache: {escape(str(problem))}")
            return EXIT_USAGE
        out.print(f"Cleared the cache at {escape(str(cache.default_dir()))}: {removed} entr{'y' if removed == 1 else 'ies'} removed.")
        return EXIT_OK
    found = cache.info()
    state = "on (AUDITOR_CACHE is set)" if cache.wanted(None) else "off unless --cache or AUDITOR_CACHE=1"
    out.print(f"Cache folder: {escape(str(found.root))}{'' if found.exists else ' (not created yet)'}")
    out.print(f"Use: {state}")
    out.print(f"Entries: {found.entries} ({found.bytes / 2**20:,.1f} MB)")
    for name in found.files:
        out.print(f"  {escape(name)}")
    if found.entries:
        out.print("It holds your personal data (every location fix and payment read). Remove it: auditor cache clear")
    return EXIT_OK
