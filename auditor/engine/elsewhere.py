"""Derived tables built in another process while this one builds the others.

After loading a decade of exports, the audit's own process has the location tables to derive
(stays, places, nights: millions of points) while the loading workers sit idle on the other
cores. The money tables (payments, recurring, income, cashflow) read only the transactions, a
few MB to send: :func:`prefetch` hands them to a loading worker, and :class:`ElsewhereTables`,
the audit's derived-table store, gives the engine the worker's table when a rule first reads
it. The worker runs the same builders on the same rows, so the tables are the ones this
process would build; should the worker fail, the table is built here as usual.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from concurrent.futures import CancelledError, Executor, Future

import pandas as pd

from auditor.engine import derived
from auditor.engine.context import AuditData

# The derived tables sent to a worker: they read the transactions only (derived.MONEY).
SENT = ("payments", "recurring", "income", "cashflow")


def build_tables(frames: dict[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None,
                 names: Sequence[str]) -> dict[str, pd.DataFrame]:  # fmt: skip
    """Build ``names`` from ``frames`` as an audit would (run in a worker process)."""
    view = AuditData(frames, now=now, timezone=timezone).view()
    return {name: view.table(name) for name in names}  # type: ignore[misc]


class ElsewhereTables:
    """A :class:`~auditor.engine.context.DerivedTableStore` whose tables a worker builds.

    A table is taken from the worker only when asked with the key it was sent for (the
    sources the audit's full view sees); anything else is built here.
    """

    def __init__(self, keys: dict[str, Hashable], future: Future):
        self._keys = keys
        self._future = future

    def get(self, name: str, inputs: Hashable) -> pd.DataFrame | None:
        if name in self._keys and self._keys[name] == inputs:
            tables = self._result()
            if tables is not None and name in tables:
                return tables[name]
        return None

    def put(self, name: str, inputs: Hashable, frame: pd.DataFrame) -> None:
        pass  # tables built here are memoised by the audit itself (AuditData.memo)

    def _result(self) -> dict[str, pd.DataFrame] | None:
        try:
            return self._future.result()
        except CancelledError:  # the audit ended before any rule read it: built here if wanted now
            self._keys = {}
            return None
        except Exception:  # noqa: BLE001 - a worker that died or failed: the table is built here
            if os.environ.get("AUDITOR_STRICT") == "1":
                raise
            self._keys = {}
            return None


def prefetch(pool: Executor, data: AuditData) -> tuple[str, ...]:
    """Send the money tables to ``pool`` and make ``data`` take them from there; the tables sent.

    Nothing is sent when the audit has no transactions (the tables are then empty at once), nor
    when it has a store of its own (the cache's, which holds the tables already).
    """
    kinds = sorted({kind for name in SENT for kind in derived.REGISTRY[name].reads})
    if data.store is not None or not any(len(data.frames[kind]) for kind in kinds):
        return ()
    view = data.view()
    keys = {name: view.derived_key(name) for name in SENT}
    future = pool.submit(build_tables, {kind: data.frames[kind] for kind in kinds}, data.now, data.timezone, SENT)
    data.store = ElsewhereTables(keys, future)
    return SENT
