"""Subcommands of the ``auditor`` command line, one module each.

Each module exposes ``add_parser(subparsers)`` and ``run(args) -> int``; ``auditor/cli.py``
wires them. Results go to stdout, diagnostics to stderr.
"""
