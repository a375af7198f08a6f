"""A pack using every operator and every measure, on hand-made rows with known answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.engine.measures import MEASURES
from auditor.engine.operators import OPERATORS
from auditor.packs import model as fmt
from auditor.packs.lint import _leaves
from auditor.packs.loader import load_pack
from auditor.packs.testing import run_cases

PACK = Path(__file__).parent / "data" / "packs" / "every-feature.yaml"


@pytest.fixture(scope="module")
def loaded():
    pack = load_pack(PACK)
    assert pack.ok, [i.render() for i in pack.issues]
    return pack


def _used(pack: fmt.Pack) -> tuple[set[str], set[str]]:
    operators, measures = set(), set()
    for rule in pack.rules:
        for condition in (rule.where, rule.measure.among):
            if condition is not None:
                operators.update(name for *_, name, _ in _leaves((), condition))
        measures.add(fmt.measure_name_and_argument(rule.measure)[0])
    return operators, measures


def test_the_pack_covers_the_whole_operator_and_measure_tables(loaded):
    operators, measures = _used(loaded.pack)
    assert operators == set(OPERATORS)
    assert measures == set(MEASURES)


def test_every_case_gives_the_hand_computed_answer(loaded):
    results = run_cases(loaded)
    assert len(results) == len(loaded.pack.rules)
    failures = [f"{r.rule}: {r.problem}" for r in results if not r.passed]
    assert failures == []


def test_evidence_row_ids_index_the_kinds_frame(loaded):
    results = {r.rule: r for r in run_cases(loaded)}
    # rows 1 and 2 (0-based) are the bet and the bar: the only ones under -30
    assert results["op-less"].finding.evidence.tolist() == [1, 2]
    assert results["op-hour"].finding.evidence.tolist() == [1, 2]
    # with groups, evidence is the rows of the groups that passed: both coffees
    assert results["m-count-groups"].finding.evidence.tolist() == [0, 5]
    assert results["m-count-groups"].finding.group_label == "costa"
