"""``auditor rules list|lint|test|schema``: the tools pack authors need.

* ``list [PATH...]``: the packs and their rules (kind, signals, basis, cases).
* ``lint [PATH...]``: every problem of every pack, compiler-style
  (``file:line:col: error[check]: message``); exit 1 on errors (``--strict``: on warnings too).
* ``test [PATH...]``: run the cases rules carry; a table, then each failing case with the
  rule, the rows it was given and what it measured; exit 1 on a failure.
* ``schema``: print the pack format's JSON Schema (``--output FILE`` writes it).

PATH is a pack file or a folder (default: the built-in rules/); in a folder, the signal
vocabulary and the shared lists in lists/ are not packs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from auditor import resources
from auditor.packs.lint import CHECKS
from auditor.packs.loader import LoadedPack, load_pack, load_signals, pack_files
from auditor.packs.schema import schema_text
from auditor.packs.testing import CaseResult, run_cases

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Declare ``rules`` and its four actions."""
    parser = subparsers.add_parser("rules", help="list, lint and test rule packs; print the pack schema",
                                   description="Tools for rule packs: list, lint, test, schema.")  # fmt: skip
    actions = parser.add_subparsers(dest="rules_action", metavar="ACTION", required=True)
    for name, help_text in (
        ("list", "the packs and their rules"),
        ("lint", "check packs: every problem at once, with file:line:column"),
        ("test", "run the test cases rules carry"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:] + ".")
        action.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="pack files or folders (default: built-in rules/)")
        action.add_argument("--format", choices=("text", "json"), default="text")
        if name == "lint":
            action.add_argument("--strict", action="store_true", help="fail on warnings too")
    schema = actions.add_parser("schema", help="print the pack format's JSON Schema", description="Print the JSON Schema of the pack format.")
    schema.add_argument("--output", type=Path, metavar="FILE", help="write it to FILE instead of stdout")
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``auditor rules ACTION``; returns the exit code."""
    if args.rules_action == "schema":
        return _schema(args)
    errors = Console(stderr=True, highlight=False)
    paths = list(args.paths) or [resources.rules_dir()]
    missing = [p for p in paths if not p.exists()]
    if missing:
        errors.print(f"[bold red]auditor:[/] no such file or folder: {escape(str(missing[0]))}")
        return EXIT_USAGE
    files = pack_files(paths)
    vocabulary = load_signals()
    loaded = [load_pack(path, vocabulary=vocabulary) for path in files]
    if args.rules_action == "lint":
        return _lint(loaded, args, vocabulary.issues)
    if args.rules_action == "test":
        return _test(loaded, args)
    return _list(loaded, args)


def _schema(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _lint(loaded: list[LoadedPack], args: argparse.Namespace, vocabulary_issues: list) -> int:
    issues = [*vocabulary_issues, *(issue for pack in loaded for issue in pack.issues)]
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    if args.format == "json":
        sys.stdout.write(json.dumps({"packs": [p.file for p in loaded], "issues": [i.as_dict() for i in issues]}, indent=2) + "\n")
    else:
        for issue in issues:
            sys.stdout.write(issue.render() + "\n")
        sys.stdout.write(f"{len(loaded)} pack{'s' if len(loaded) != 1 else ''} checked: "
                         f"{len(errors)} error{'s' if len(errors) != 1 else ''}, "
                         f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}\n")  # fmt: skip
        if issues:
            sys.stdout.write("Checks are described in rules/README.md (section 'Lint checks').\n")
    failed = bool(errors) or (args.strict and bool(warnings))
    return EXIT_FAILED if failed else EXIT_OK


def _test(loaded: list[LoadedPack], args: argparse.Namespace) -> int:
    broken = [p for p in loaded if not p.ok]
    results = [r for p in loaded for r in run_cases(p)]
    untested = [(p.pack.id, r.id) for p in loaded if p.pack for r in p.pack.rules if not r.cases]
    failed = [r for r in results if not r.passed]
    if args.format == "json":
        document = {
            "cases": [_case_document(r) for r in results],
            "broken_packs": [{"file": p.file, "issues": [i.as_dict() for i in p.errors]} for p in broken],
            "untested_rules": [f"{pack}/{rule}" for pack, rule in untested],
            "passed": len(results) - len(failed),
            "failed": len(failed),
        }
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return EXIT_FAILED if failed or broken else EXIT_OK
    out = Console(highlight=False, soft_wrap=True)  # given rows stay one per line, whole
    table = Table(show_edge=False, padding=(0, 1))
    for column in ("Pack", "Rule", "Case", "Expected", "Got", "Value", ""):
        table.add_column(column, overflow="fold")
    for r in results:
        got = r.finding.outcome if r.finding else "-"
        value = r.finding.shown_value if r.finding and r.finding.value is not None else "-"
        mark = "[green]ok[/]" if r.passed else "[bold red]FAIL[/]"
        table.add_row(escape(r.pack), escape(r.rule), escape(r.case), _expected(r), got, escape(value), mark)
    if results:
        out.print(table)
    for r in failed:
        _explain(r, out)
    for pack in broken:
        out.print(f"\n[bold red]{escape(pack.file)}[/] has errors; its cases did not run:")
        for issue in pack.errors:
            out.print(f"  {escape(issue.render())}")
    if untested:
        out.print(f"\n[dim]{len(untested)} rules have no cases: {escape(', '.join(f'{p}/{r}' for p, r in untested[:10]))}"
                  + (" ..." if len(untested) > 10 else "") + "[/]")  # fmt: skip
    out.print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_FAILED if failed or broken else EXIT_OK


def _expected(result: CaseResult) -> str:
    if result.expected_value is None:
        return result.expected
    return f"{result.expected} ({result.expected_value:g})"


def _explain(result: CaseResult, out: Console) -> None:
    """A failing case: the rule, the rows it was given and what it measured."""
    finding = result.finding
    out.print(f"\n[bold red]FAIL[/] {escape(result.file)}: rule [bold]{escape(result.rule)}[/], case '{escape(result.case)}'")
    out.print(f"  {escape(result.problem)}")
    if finding is not None:
        out.print(f"  measured: {escape(finding.shown_value)} (value {finding.value!r}), threshold {finding.comparison} {finding.threshold:g}")
        if finding.reason:
            out.print(f"  reason: {escape(finding.reason)}")
        out.print(f"  rows judged: {finding.judged_rows}, not judged: {finding.unjudged_rows}, evidence rows: {list(map(int, finding.evidence[:10]))}")
    for table, rows in result.given.items():
        out.print(f"  given {escape(table)}:")
        for index, row in enumerate(rows):
            out.print(f"    [{index}] {escape(json.dumps(row, default=str))}")
    if not result.given:
        out.print("  given: no rows")


def _case_document(r: CaseResult) -> dict:
    f = r.finding
    return {
        "pack": r.pack, "file": r.file, "rule": r.rule, "case": r.case, "passed": r.passed, "problem": r.problem,
        "expected": r.expected, "expected_value": r.expected_value,
        "got": f.outcome if f else None, "value": f.value if f else None, "reason": f.reason if f else None,
    }  # fmt: skip


def _list(loaded: list[LoadedPack], args: argparse.Namespace) -> int:
    packs = [p for p in loaded if p.pack is not None]
    if args.format == "json":
        document = [
            {
                "id": p.pack.id, "file": p.file, "title": p.pack.title, "scorer": p.pack.scorer, "version": p.pack.version,
                "ok": p.ok, "run_by_default": p.pack.run_by_default,
                "rules": [{"id": r.id, "title": r.title, "kind": r.kind, "signals": r.signals, "basis": r.basis.label,
                           "cases": len(r.cases)} for r in p.pack.rules],
            }
            for p in packs
        ]  # fmt: skip
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return EXIT_OK if all(p.ok for p in loaded) else EXIT_FAILED
    out = Console(highlight=False, soft_wrap=False)
    for p in packs:
        status = "" if p.ok else " [red](has errors: auditor rules lint)[/]"
        if not p.pack.run_by_default:
            status += f" [yellow](runs only when named: --pack {escape(p.pack.id)})[/]"
        out.print(f"\n[bold]{escape(p.pack.id)}[/] {escape(p.pack.version)}: {escape(p.pack.title)} [dim]({escape(p.file)})[/]{status}")
        out.print(f"  plays {escape(p.pack.scorer)}")
        table = Table(show_edge=False, padding=(0, 1))
        for column in ("Rule", "Kind", "Signals", "Basis", "Cases"):
            table.add_column(column, overflow="fold")
        for r in p.pack.rules:
            table.add_row(escape(r.id), escape(r.kind), escape(", ".join(r.signals)), escape(r.basis.label), str(len(r.cases)))
        out.print(table)
    for p in loaded:
        if p.pack is None:
            out.print(f"\n[red]{escape(p.file)}: could not be read ({len(p.errors)} errors; auditor rules lint)[/]")
    return EXIT_OK if all(p.ok for p in loaded) else EXIT_FAILED


def checks_table() -> str:
    """The named lint checks as Markdown rows (rules/README.md quotes them)."""
    return "\n".join(f"| `{name}` | {text} |" for name, text in CHECKS.items())
