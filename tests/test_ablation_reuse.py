"""Ablation reuses findings across variants, and the result is the one measuring everything gives.

A rule's finding depends only on the rows of the tables it reads, so a variant that sees
the same rows of them as a view evaluated before takes that view's finding. This checks,
on a persona with location, rides and two bank accounts, that what each source gives away
is exactly what it is when every variant measures every rule, and that far fewer rules
are measured.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor.engine import compile as compile_module
from auditor.engine.context import AuditData, View
from auditor.engine.operators import OPERATORS
from auditor.pipeline import run_audit

REPO = Path(__file__).resolve().parent.parent
PERSONA = REPO / "sample_exports" / "gig-driver"


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """One entry per rule actually measured (not handed a finding from another view)."""
    calls: list[str] = []
    real = compile_module.CompiledRule._evaluate

    def counting(self, view, evidence):
        calls.append(self.id)
        return real(self, view, evidence)

    monkeypatch.setattr(compile_module.CompiledRule, "_evaluate", counting)
    return calls


def _effects(result) -> list:
    return [(p.pack.id, s.source, s.rows, s.without.score, s.without.fired, s.without.abstained, s.alone.score,
             s.alone.fired, s.alone.abstained, s.needs_it) for p in result.packs for s in p.sources]  # fmt: skip


def test_ablation_with_reused_findings_equals_measuring_every_variant(measured, monkeypatch):
    reused = run_audit([PERSONA], timezone="America/Chicago")
    measured_with_reuse = len(measured)
    assert len(reused.data.sources()) >= 4  # Google location, Uber, two Chase accounts, X
    measured.clear()
    monkeypatch.setattr(View, "inputs_of", lambda self, tables: None)  # every variant measures every rule
    everything = run_audit([PERSONA], timezone="America/Chicago")
    assert _effects(reused) == _effects(everything)
    assert any(s.needs_it for p in reused.packs for s in p.sources)  # the comparison is not vacuous
    assert measured_with_reuse < len(measured) / 2


def test_a_text_test_on_distinct_texts_answers_every_row():
    descriptions = ["TESCO STORES 1234", None, "Faith Direct", "tesco stores 1234", "TESCO STORES 1234", "", None]
    frame = pd.DataFrame({"description": pd.Series(descriptions, dtype="string"),
                          "amount": np.full(len(descriptions), -5.0)})  # fmt: skip
    data = AuditData({"transactions": frame}, now=pd.Timestamp("2024-01-01", tz="UTC"))
    view = data.view()
    contains = OPERATORS["contains"].evaluate(view, "transactions", "description", "tesco")
    assert contains.value.tolist() == [True, False, False, True, True, False, False]
    matches = OPERATORS["matches"].evaluate(view, "transactions", "description", "(?i)faith|^$")
    assert matches.value.tolist() == [False, False, True, False, False, True, False]
    listed = OPERATORS["in"].evaluate(view, "transactions", "description", ["tesco stores 1234"])
    assert listed.value.tolist() == [True, False, False, True, True, False, False]
