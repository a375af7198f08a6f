"""The rule examples in docs/derived-tables.md load, lint clean and say true things about the personas.

The pack authors copy these examples; if a column is renamed or a table changes meaning,
this test fails before their packs do.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import yaml

from auditor.packs.loader import load_pack
from auditor.pipeline import run_audit

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "derived-tables.md"
SAMPLES = REPO / "sample_exports"
ZONES = {"night-shift-nurse": "Europe/London", "gig-driver": "America/Chicago", "comfortable-commuter": "America/New_York"}


def doc_pack_text() -> str:
    rules = [yaml.safe_load(block)[0] for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.DOTALL)]
    return yaml.safe_dump({"format": 1, "id": "derived-tables-doc", "title": "Examples of docs/derived-tables.md",
                           "version": "1", "scorer": "the examples", "rules": rules}, sort_keys=False)


def test_every_derived_table_has_an_example_and_they_load_without_errors():
    text = doc_pack_text()
    loaded = load_pack(DOC.with_suffix(".yaml"), text=text, display="docs/derived-tables.md")
    assert not loaded.errors, [str(e) for e in loaded.errors]
    kinds = {rule["kind"] for rule in yaml.safe_load(text)["rules"]}
    assert kinds == {"stays", "places", "nights", "payments", "recurring", "income", "cashflow"}


@cache
def outcomes(persona: str, tmp: Path) -> dict[str, str]:
    pack = tmp / f"doc-{persona}.yaml"
    pack.write_text(doc_pack_text())
    result = run_audit([SAMPLES / persona], packs=[pack], timezone=ZONES[persona], ablation=False)
    return {f.rule: f.outcome for f in result.packs[0].findings}


@pytest.mark.parametrize(("persona", "expected"), [
    ("night-shift-nurse", {"long-hospital-stays": "fired", "gig-income-share": "not_fired", "rent-on-time": "fired"}),
    ("gig-driver", {"home-moves": "fired", "gig-income-share": "fired", "negative-net-months": "fired"}),
    ("comfortable-commuter", {"rent-on-time": "fired", "home-moves": "not_fired", "negative-net-months": "not_fired",
                              "gig-income-share": "not_fired"}),
])  # fmt: skip
def test_the_examples_read_the_personas_right(persona, expected, tmp_path_factory):
    got = outcomes(persona, tmp_path_factory.getbasetemp())
    assert {rule: got[rule] for rule in expected} == expected
