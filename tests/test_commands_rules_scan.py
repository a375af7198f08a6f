"""`auditor rules ...` and `auditor scan ...`, called through their run(args) functions."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from rich.console import Console

from auditor import resources
from auditor.commands import rules as rules_command
from auditor.commands import scan as scan_command
from auditor.packs.loader import load_pack
from auditor.pipeline import run_audit

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "rules" / "example.yaml"
NURSE = REPO / "sample_exports" / "night-shift-nurse"


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="auditor")
    commands = parser.add_subparsers(dest="command")
    rules_command.add_parser(commands)
    scan_command.add_parser(commands)
    args = parser.parse_args(list(argv))
    return (rules_command if args.command == "rules" else scan_command).run(args)


def test_rules_test_prints_a_table_and_passes_on_the_built_in_packs(capsys):
    assert run("rules", "test") == 0
    out = capsys.readouterr().out
    # every case of every built-in pack (the scorer packs joined the example in issue 7)
    packs = [path for path in (REPO / "rules").glob("*.yaml") if path.name != "signals.yaml"]
    cases = sum(len(rule.cases) for path in packs for rule in load_pack(path).pack.rules)
    assert "gambling" in out and f"{cases} passed, 0 failed" in out


def test_a_failing_case_shows_the_rule_the_rows_and_the_measured_value(tmp_path, capsys):
    text = EXAMPLE.read_text().replace("        expect: fired\n        value: 2\n", "        expect: fired\n        value: 3\n", 1)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "gambling.yaml").write_text((REPO / "rules" / "lists" / "gambling.yaml").read_text())
    pack = tmp_path / "example.yaml"
    pack.write_text(text)
    assert run("rules", "test", str(pack)) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "rule gambling" in out
    assert "expected the value 3, got 2" in out
    assert "CARD PAYMENT TO BET365" in out  # the rows it was given
    assert "measured: 2" in out
    assert "6 passed, 1 failed" in out


def test_rules_test_json_and_list_json(capsys):
    assert run("rules", "test", "--format", "json", str(EXAMPLE)) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["passed"] == 7 and document["failed"] == 0
    assert run("rules", "list", "--format", "json") == 0
    listed = {pack["id"]: pack for pack in json.loads(capsys.readouterr().out)}
    assert listed["example"]["rules"][0]["basis"] == "design"


def test_rules_lint_is_clean_on_the_built_in_rules_and_strict_fails_on_warnings(tmp_path, capsys):
    assert run("rules", "lint") == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out
    untested = tmp_path / "u.yaml"
    untested.write_text("id: u\ntitle: t\nversion: '1'\nscorer: s\nrules:\n"
                        "  - {id: r, title: r, kind: trips, threshold: 1, infers: x, basis: design, signals: [nightlife]}\n")  # fmt: skip
    assert run("rules", "lint", str(untested)) == 0
    assert run("rules", "lint", "--strict", str(untested)) == 1
    assert "warning[untested-rule]" in capsys.readouterr().out


def test_rules_schema_prints_or_writes_the_generated_schema(tmp_path, capsys):
    assert run("rules", "schema") == 0
    assert json.loads(capsys.readouterr().out)["title"] == "Pack"
    target = tmp_path / "schema.json"
    assert run("rules", "schema", "--output", str(target)) == 0
    assert target.read_text() == (REPO / "rules" / "schema.json").read_text()


def test_rules_on_a_missing_path_is_a_usage_error(capsys):
    assert run("rules", "lint", "/no/such/pack.yaml") == 2
    assert "no such file or folder" in capsys.readouterr().err


@pytest.fixture(scope="module")
def nurse_result():
    return run_audit([NURSE], [str(EXAMPLE)])


def test_scan_json_carries_a_schema_version_and_evidence_that_traces_to_records(capsys):
    assert run("scan", "--format", "json", "--pack", str(EXAMPLE), str(NURSE)) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["schema_version"] == "1"
    pack = document["packs"][0]
    assert pack["id"] == "example" and pack["score"]["value"] is not None
    assert {f["rule"] for f in pack["findings"]} == {"gambling", "late-night-spending", "salary-streak", "rider-rating"}
    rating = next(f for f in pack["findings"] if f["rule"] == "rider-rating")
    assert rating["evidence"]["count"] == len(rating["evidence"]["rows"]) >= 1
    assert all(row["file"] and row["record"] is not None for row in rating["evidence"]["rows"])
    sources = {s["source"] for s in pack["sources"]}
    assert "uber" in sources and "google-location" in sources


def test_scan_text_and_markdown(capsys):
    assert run("scan", "--pack", "example", "--no-ablation", str(NURSE)) == 0
    text = capsys.readouterr().out
    assert "Example cash-flow scorer" in text and "Did not fire" in text
    assert "What each source gives away" not in text
    assert run("scan", "--format", "markdown", "--pack", "example", str(NURSE)) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Audit as of ") and "| rule | outcome |" in markdown


@pytest.mark.parametrize(
    "args, message",
    [
        (["scan", "--pack", "exampel"], "did you mean 'example'"),
        (["scan", "--timezone", "Mars/Base"], "not a known time zone"),
        (["scan", "--as-of", "someday"], "is not a date"),
        (["scan", "/no/such/export.zip"], "no such file or folder"),
    ],
)
def test_scan_usage_errors_exit_2_with_a_message(args, message, capsys):
    assert run(*args) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err


def test_the_summary_for_bare_auditor_shows_each_pack_score_and_the_disclaimer(nurse_result):
    console = Console(record=True, width=120)
    scan_command.render_summary(nurse_result, console)
    text = console.export_text()
    example = nurse_result.packs[0]
    assert example.score.score != example.score.start  # the nurse's salary streak moves it
    assert "Example cash-flow scorer" in text and f"score {example.score.score:,.0f}" in text
    for finding in (f for f in example.findings if f.fired):
        assert finding.inference in text
    assert "illustrations" in text


def test_as_of_defaults_to_the_latest_time_in_the_data(nurse_result):
    ratings_and_more = [frame for frame in nurse_result.dataset.frames.values() if len(frame)]
    assert ratings_and_more
    assert run_audit([NURSE], [str(EXAMPLE)], now="2030-01-01", ablation=False).now.year == 2030
    assert nurse_result.now.year < 2030
