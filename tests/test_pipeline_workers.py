"""The money tables derived by an idle loading worker are the ones this process derives.

run_audit keeps the loading workers (auditor.workers.keep_pool) and sends the transactions to
one of them for payments, recurring, income and cashflow (auditor.engine.elsewhere) while it
derives the location tables itself. The personas are far below the sizes that start workers,
so the thresholds are lowered here to force the pool on real exports, as in
test_dataset_workers.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor import workers
from auditor.commands.scan import result_document
from auditor.dataset import load_dataset
from auditor.engine import elsewhere
from auditor.engine.context import AuditData
from auditor.pipeline import given_zone, run_audit

NURSE = Path(__file__).resolve().parent.parent / "sample_exports" / "night-shift-nurse"


def test_an_idle_loading_worker_derives_the_money_tables_as_this_process_would(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(workers, "MAIN_PROCESS_BYTES", 2**20)
    monkeypatch.setenv("AUDITOR_WORKERS", "2")
    taken: list[str] = []
    get = elsewhere.ElsewhereTables.get

    def spying_get(self, name, inputs):
        table = get(self, name, inputs)
        if table is not None:
            taken.append(name)
        return table

    monkeypatch.setattr(elsewhere.ElsewhereTables, "get", spying_get)
    local = given_zone([NURSE])
    pooled = run_audit([NURSE], local=local)
    assert sorted(set(taken)) == sorted(elsewhere.SENT)  # every money table came from the worker
    assert workers._kept.get() is None  # and the kept pool is gone with the audit

    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    taken.clear()
    alone = run_audit([NURSE], local=local)
    assert taken == [] and not isinstance(alone.data.store, elsewhere.ElsewhereTables)
    for name in elsewhere.SENT:
        pd.testing.assert_frame_equal(pooled.frame(name), alone.frame(name), check_exact=True, check_categorical=True)
    assert len(alone.frame("payments")) > 500 and len(alone.frame("recurring")) > 3  # real statements, real series
    assert result_document(pooled) == result_document(alone)  # findings, evidence, scores, ablation


def test_a_worker_that_fails_leaves_the_tables_to_this_process(monkeypatch: pytest.MonkeyPatch):
    """A broken worker (killed, out of memory) costs time, never a table or a traceback."""
    from concurrent.futures import Future

    failed: Future = Future()
    failed.set_exception(RuntimeError("the worker died"))
    monkeypatch.delenv("AUDITOR_STRICT", raising=False)
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    loaded = load_dataset([NURSE])
    now = loaded.frames["transactions"]["time"].max()

    class FailingPool:
        def submit(self, *args, **kwargs):
            return failed

    here = AuditData(loaded.frames, now=now, timezone="Europe/London")
    data = AuditData(loaded.frames, now=now, timezone="Europe/London")
    assert elsewhere.prefetch(FailingPool(), data) == elsewhere.SENT  # type: ignore[arg-type]
    for name in elsewhere.SENT:
        pd.testing.assert_frame_equal(data.view().table(name), here.view().table(name), check_exact=True)
    assert len(here.view().table("payments")) > 500
