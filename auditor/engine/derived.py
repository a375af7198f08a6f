"""Derived tables: tables computed from the canonical kinds, read by rules like any kind.

Stays, places (home, work, frequent), recurring payments and income streams are derived
once per audit (and once per ablation variant, from that variant's rows) and shared by
every pack and rule that reads them. Each derived table is declared here with its
columns, so that packs can be linted against it, and registered with a ``build``
function that receives the canonical frames (already restricted to the variant's
sources), the clock and the time zone.

The builders arrive with the built-in packs; until then a table whose ``build`` is
``None`` is declared but not computed, and a rule reading it abstains ("needs the
derived table 'places', which this version does not compute"), unless the caller hands
the table in (the tests do, with hand-made frames).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from auditor import model

Builder = Callable[[Mapping[str, pd.DataFrame], pd.Timestamp, "str | None"], pd.DataFrame]


@dataclass(frozen=True)
class DerivedTable:
    """The declaration of one derived table."""

    name: str
    doc: str
    columns: tuple[model.Column, ...]
    build: Builder | None = None


PLACES = DerivedTable(
    name="places",
    doc="places that matter in a person's life, labelled: home, work, frequent, overnight",
    columns=(
        model.Column("source", "category", "provider or account the place was derived from"),
        model.Column("label", model.STRING, "home, work, frequent, overnight..."),
        model.Column("lat", "float64", "latitude of the place's centre"),
        model.Column("lon", "float64", "longitude of the place's centre"),
        model.Column("radius_m", "float64", "how far from the centre still counts as the place"),
        model.Column("first", model.UTC_TIME, "first time the place was seen"),
        model.Column("last", model.UTC_TIME, "last time the place was seen"),
    ),
)

REGISTRY: dict[str, DerivedTable] = {PLACES.name: PLACES}


def register(table: DerivedTable) -> None:
    """Declare (or replace) a derived table; the derive layer calls this at import time."""
    REGISTRY[table.name] = table


def columns_of(table: str) -> tuple[model.Column, ...] | None:
    """Declared columns of a canonical kind or derived table; None when unknown."""
    if table in model.KINDS:
        return model.columns(table)
    derived = REGISTRY.get(table)
    return derived.columns if derived else None


def table_names() -> tuple[str, ...]:
    """Every name a rule's ``kind`` may take."""
    return (*model.KIND_NAMES, *REGISTRY)


def conform(table: str, data: Mapping[str, object] | pd.DataFrame, length: int | None = None) -> pd.DataFrame:
    """Build a derived frame with the declared dtypes (missing columns filled)."""
    if table in model.KINDS:
        return model.conform(table, data, length)
    declared = REGISTRY[table].columns
    frame = pd.DataFrame(data) if not isinstance(data, pd.DataFrame) else data
    length = len(frame) if length is None else length
    out = {}
    for column in declared:
        if column.name in frame:
            values = frame[column.name].reset_index(drop=True)
            if column.dtype == model.UTC_TIME:
                values = pd.to_datetime(values, utc=True)
            out[column.name] = values.astype(column.dtype)
        else:
            out[column.name] = model._missing(column.dtype, length)  # noqa: SLF001 - same contract
    return pd.DataFrame(out, index=pd.RangeIndex(length))
