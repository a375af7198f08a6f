"""rules/README.md: every YAML example loads cleanly and its cases pass; every key,
operator, measure and lint check of the format is documented there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from auditor.engine.measures import MEASURES
from auditor.engine.operators import OPERATORS, DateRange, Near
from auditor.packs import model as fmt
from auditor.packs.lint import CHECKS
from auditor.packs.loader import load_pack
from auditor.packs.testing import run_cases

RULES = Path(__file__).resolve().parent.parent / "rules"
README = (RULES / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)
WRAPPER = """id: readme
title: README examples
version: "1"
scorer: the README
scale: {min: 0, max: 100, start: 50}
dimensions: {behaviour: {title: Behaviour}}
include: [lists/gambling.yaml, lists/credit.yaml]
references: {carrington: {title: Cashflow Score, source: Carrington Labs}}
rules:
"""


def _blocks() -> list[tuple[int, str]]:
    return [(README[: m.start()].count("\n") + 2, m.group(1)) for m in BLOCK.finditer(README)]


BLOCKS = _blocks()


def _as_pack(text: str) -> str:
    if text.lstrip().startswith("- id:"):
        return WRAPPER + "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())
    return text


def test_the_readme_has_an_example_for_every_operator_and_measure():
    assert len(BLOCKS) >= len(OPERATORS) + len(MEASURES)
    for name in (*OPERATORS, *MEASURES):
        assert f"### `{name}`" in README, f"rules/README.md has no section for {name}"


@pytest.mark.parametrize("line, text", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_every_readme_example_loads_cleanly_and_its_cases_pass(line, text):
    loaded = load_pack(RULES / "README-example.yaml", text=_as_pack(text), display=f"README.md:{line}")
    assert loaded.ok, [i.render() for i in loaded.issues]
    assert not [i for i in loaded.issues if i.severity == "warning"], [i.render() for i in loaded.issues]
    results = run_cases(loaded)
    assert results, "every example carries at least one case, so that it is evaluated"
    assert [f"{r.rule}/{r.case}: {r.problem}" for r in results if not r.passed] == []


def _keys(model: type[BaseModel]) -> set[str]:
    return {(field.alias or name) for name, field in model.model_fields.items()}


@pytest.mark.parametrize(
    "model",
    [fmt.Pack, fmt.Rule, fmt.Scale, fmt.Band, fmt.Dimension, fmt.Reference, fmt.Threshold, fmt.Effect, fmt.Basis,
     fmt.MinData, fmt.Case, fmt.ListFile, fmt.Signal, Near, DateRange],
    ids=lambda m: m.__name__,
)  # fmt: skip
def test_every_key_of_the_format_is_documented(model):
    missing = [key for key in _keys(model) if f"`{key}`" not in README]
    assert missing == [], f"rules/README.md does not mention {missing} ({model.__name__})"


def test_every_lint_check_is_documented():
    assert [name for name in CHECKS if f"| `{name}` |" not in README] == []
