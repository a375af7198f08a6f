"""Broken packs: each mistake gives its located message, and none gives a traceback.

Every file in tests/data/packs/broken/ starts with ``# expect: LINE:COL CHECK: FRAGMENT``,
the first error the loader must report for it.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from auditor.commands import rules as rules_command
from auditor.packs.loader import load_pack

BROKEN = Path(__file__).parent / "data" / "packs" / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) ([a-z-]+): (.+)$")


def test_there_are_at_least_fifteen_different_mistakes():
    checks = {EXPECT.match(f.read_text().splitlines()[0]).group(3) for f in FILES}
    assert len(FILES) >= 15
    assert len(checks) >= 12  # different kinds of mistake, not one mistake fifteen times


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_broken_pack_reports_the_expected_located_message(path):
    line, column, check, fragment = EXPECT.match(path.read_text().splitlines()[0]).groups()
    loaded = load_pack(path)
    assert loaded.compiled is None and not loaded.ok
    first = loaded.errors[0]
    assert (first.line, first.column, first.check) == (int(line), int(column), check), first.render()
    assert fragment in first.message + first.hint
    assert first.render().startswith(f"{path}:{line}:{column}: error[{check}]: ")


def test_lint_of_the_whole_folder_lists_every_file_and_exits_1_without_traceback(capsys):
    parser = argparse.ArgumentParser()
    rules_command.add_parser(parser.add_subparsers(dest="command"))
    code = rules_command.run(parser.parse_args(["rules", "lint", str(BROKEN)]))
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.out + captured.err
    for path in FILES:
        assert f"{path}:" in captured.out
    assert f"{len(FILES)} packs checked" in captured.out


def test_every_error_of_a_pack_is_reported_at_once(tmp_path):
    pack = tmp_path / "three.yaml"
    pack.write_text(
        "id: three\ntitle: t\nversion: '1'\nscorer: s\nrules:\n"
        "  - {id: a, title: a, kind: transactions, threshold: 1, infers: x, basis: design, signals: [gamblng]}\n"
        "  - {id: b, title: b, kind: transactions, thresold: 1, infers: x, basis: design, signals: [gambling]}\n"
        "  - {id: c, title: c, kind: points, where: {lat: {contains: x}}, threshold: 1, infers: x, basis: design, signals: [gambling]}\n"
        "  - {id: a, title: d, kind: trip, threshold: 1, infers: x, basis: design, signals: [gambling]}\n"
    )
    issues = load_pack(pack).errors
    found = {(i.line, i.check) for i in issues}
    assert found == {(6, "unknown-signal"), (7, "unknown-key"), (8, "operator-type"), (9, "duplicate-rule-id"), (9, "unknown-kind")}


def test_a_structurally_broken_rule_still_gets_its_condition_checked(tmp_path):
    pack = tmp_path / "two.yaml"
    pack.write_text(
        "id: two\ntitle: t\nversion: '1'\nscorer: s\nrules:\n"
        "  - id: a\n    title: a\n    kind: transactions\n    where: {amout: {less: 0}}\n"
        "    treshold: 1\n    infers: x\n    basis: design\n    signals: [gambling]\n"
    )
    messages = [i.message for i in load_pack(pack).errors]
    assert any("did you mean 'threshold'" in m for m in messages)
    assert any("did you mean 'amount'" in m for m in messages)
