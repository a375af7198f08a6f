"""Derived tables: tables computed from the canonical kinds, read by rules like any kind.

Stays, places (home, work, frequent), recurring payments and income streams are derived
once per audit (and once per ablation variant, from that variant's rows) and shared by
every pack and rule that reads them. Each derived table is declared here with its
columns, so that packs can be linted against it, and registered with a ``build``
function that receives the canonical frames (already restricted to the variant's
sources), the clock and the time zone.

The builders live in :mod:`auditor.derive` (one module per family) and are imported on
first use, so that declaring the tables (what the linter needs) costs nothing. A builder
receives a mapping of this variant's canonical frames in which the other derived tables
can be read too (``frames["stays"]``), built once and cached like any derived table. A
table whose ``build`` is ``None`` is declared but not computed: a rule reading it abstains,
unless the caller hands the table in (the tests do, with hand-made frames).

What each table holds, how it is computed and which thresholds are design defaults:
docs/derived-tables.md.
"""

from __future__ import annotations

import importlib
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
    # the canonical kinds the builder reads (directly or through other derived tables); an
    # ablation variant that sees the same sources of these kinds shares the table. Empty: all.
    reads: tuple[str, ...] = ()


def _builder(module: str, function: str) -> Builder:
    """A builder that imports ``auditor.derive.<module>`` only when a table is first built."""

    def build(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
        return getattr(importlib.import_module(f"auditor.derive.{module}"), function)(frames, now, timezone)

    build.__name__ = build.__qualname__ = f"{module}.{function}"
    return build


C = model.Column
STR = model.STRING
TIME = model.UTC_TIME

# Every derived row is traceable to the person's own files: ``file`` and ``record`` name
# the first row it was computed from (so that evidence lists show ``file:record`` like any
# kind), ``evidence_kind`` says which kind that row is, and ``records`` lists the record
# numbers of every contributing row in that file (space-separated, at most
# EVIDENCE_RECORDS_SHOWN of them, then "+N"). The provenance columns come first, as on
# every kind; the other evidence columns come last, so that a table's first own columns
# are the ones worth showing in a one-line summary.
EVIDENCE_RECORDS_SHOWN = 50
PROVENANCE: tuple[model.Column, ...] = (
    C("importer", "category", "importer of the first row this derived row comes from"),
    C("file", "category", "file of the first contributing row (archive.zip!inner/path inside zips)"),
    C("record", "int64", "record number of the first contributing row in that file"),
    C("source", "category", "provider or account the row was derived from, the unit of ablation"),
)
EVIDENCE: tuple[model.Column, ...] = (
    C("evidence_kind", "category", "kind of the contributing rows: points, visits, transactions, trips"),
    C("records", STR, "record numbers of the contributing rows in ``file``, space-separated"),
    C("n_rows", "int64", "how many canonical rows contributed"),
)
TRACE = PROVENANCE + EVIDENCE  # every trace column, in no particular order (for builders)


LOCATION = ("points", "visits", "trips")  # trips: ride addresses name places
MONEY = ("transactions",)


def _traced(*columns: model.Column) -> tuple[model.Column, ...]:
    return PROVENANCE + columns + EVIDENCE


STAYS = DerivedTable(
    name="stays",
    doc="where the person stayed: the export's own visits plus stay points detected in raw points",
    columns=_traced(
        C("start", TIME, "arrival, UTC"),
        C("end", TIME, "departure, UTC"),
        C("utc_offset_min", "Int32", "local offset in minutes where the export gave one"),
        C("lat", "float64", "latitude of the stay (mean of its points, or the visit's place)"),
        C("lon", "float64", "longitude of the stay"),
        C("duration_min", "float64", "end - start in minutes"),
        C("n_points", "int64", "raw points inside the stay (0 for a visit without points)"),
        C("from_visit", "bool", "True when the export itself recorded the visit"),
        C("name", STR, "place name where the visit had one"),
        C("address", STR, "address where the visit had one"),
        C("place_id", STR, "the provider's place identifier where the visit had one"),
        C("semantic_type", "category", "HOME, WORK, INFERRED_HOME... where the visit had one"),
        C("place", "int64", "our place number: the ``place`` of the places row it belongs to; -1 none"),
        C("label", "category", "label of that place: home, work, frequent, overnight, other"),
        C("category", "category", "category of that place from the place lists (hospital, bar...)"),
        C("overnight", "bool", "the stay covers 03:00 local time"),
        C("local_date", TIME, "local calendar date of the arrival, at 00:00 (like date-only rows)"),
    ),
    build=_builder("stays", "build_stays"),
    reads=LOCATION,
)

PLACES = DerivedTable(
    name="places",
    doc="places that matter in a person's life, labelled: home, work, frequent, overnight, other",
    columns=_traced(
        C("label", STR, "home, work, frequent, overnight, other; 'not enough data' when too sparse"),
        C("lat", "float64", "latitude of the place's centre"),
        C("lon", "float64", "longitude of the place's centre"),
        C("radius_m", "float64", "how far from the centre still counts as the place"),
        C("first", TIME, "first time the place was seen (for a home: the start of that home period)"),
        C("last", TIME, "last time the place was seen (for a home: the end of that home period)"),
        C("place", "int64", "our place number, shared with stays.place and nights.place"),
        C("name", STR, "most common visit name at the place, if any"),
        C("address", STR, "most common address at the place (visits, ride pickups/drop-offs)"),
        C("semantic_type", "category", "most common semantic type the export gave it"),
        C("category", "category", "category from the place lists (hospital, bar, place_of_worship...)"),
        C("n_stays", "int64", "number of stays at the place"),
        C("hours", "float64", "total hours spent there"),
        C("nights", "int64", "local nights (03:00) spent there"),
        C("workday_hours", "float64", "hours there on weekdays 08:00-19:00 local"),
        C("days", "int64", "distinct local days with a stay there"),
        C("weeks", "int64", "distinct weeks with a stay there"),
        C("rank", "int64", "1 = where the person spent the most time"),
        C("home_period", "int64", "for label home: 1 for the first home, 2 after the first move...; 0 otherwise"),
        C("confidence", "float64", "0-1: how sure the label is (share of nights / of work hours it explains)"),
        C("status", STR, "ok, or 'not enough data' (too few points or days to say)"),
    ),
    build=_builder("places", "build_places"),
    reads=LOCATION,
)

NIGHTS = DerivedTable(
    name="nights",
    doc="one row per local night in the location record: at home, at work, away, or unknown",
    columns=_traced(
        C("night", TIME, "the evening's local date at 00:00 (the night from that evening to the next morning)"),
        C("status", STR, "home, work (a night shift), away, or unknown (no stay covering 03:00 local)"),
        C("place", "int64", "the place where the night was spent; -1 when unknown"),
        C("label", "category", "that place's label"),
        C("category", "category", "that place's category"),
        C("lat", "float64", "latitude of that place"),
        C("lon", "float64", "longitude of that place"),
        C("home_place", "int64", "the place that was home at that date; -1 when none known"),
    ),
    build=_builder("nights", "build_nights"),
    reads=LOCATION,
)

PAYMENTS = DerivedTable(
    name="payments",
    doc="every transaction, with a normalised merchant, its category and its role in recurring series",
    columns=model.PROVENANCE + tuple(sorted(
        model.KINDS["transactions"],
        key=lambda c: ("time", "amount", "currency", "merchant", "description").index(c.name)
        if c.name in ("time", "amount", "currency", "merchant", "description") else 5,
    )) + (
        C("merchant_category", "category", "category from the merchant lists (groceries, rent, payday_lender...)"),
        C("direction", "category", "in (money received) or out (money spent)"),
        C("p2p", "bool", "a person-to-person transfer (Venmo, Zelle, PayPal to a person, Monzo pot...)"),
        C("recurring", "bool", "part of a series in the recurring table"),
        C("series", "int64", "number of that recurring series (recurring.series); -1 none"),
        C("income_type", "category", "payroll, benefits, gig, loan, p2p, transfer, refund, other: for money in"),
        C("evidence_kind", "category", "always transactions: each row is one statement line"),
    ),
    build=_builder("merchants", "build_payments"),
    reads=MONEY,
)

RECURRING = DerivedTable(
    name="recurring",
    doc="recurring payments and receipts: same payee, similar amount, regular interval",
    columns=_traced(
        C("series", "int64", "series number, shared with payments.series"),
        C("merchant", STR, "the normalised payee or payer"),
        C("merchant_category", "category", "its category from the merchant lists"),
        C("direction", "category", "out (a bill, rent, a subscription) or in (pay, benefits)"),
        C("cadence", "category", "weekly, biweekly, monthly, quarterly, yearly"),
        C("interval_days", "float64", "median days between payments"),
        C("amount", "float64", "typical (median) signed amount"),
        C("amount_cv", "float64", "coefficient of variation of the amounts"),
        C("count", "int64", "payments in the series"),
        C("first", TIME, "first payment"),
        C("last", TIME, "last payment"),
        C("next_expected", TIME, "last + one interval"),
        C("active", "bool", "the next payment is not overdue at the audit's clock (now)"),
        C("day_of_month", "Int32", "usual local day of month, for monthly series"),
        C("late_count", "int64", "payments more than 5 days after their expected date"),
        C("on_time_share", "float64", "share of payments (after the first) not late"),
        C("currency", "category", "ISO 4217 code"),
    ),
    build=_builder("recurring", "build_recurring"),
    reads=MONEY,
)

INCOME = DerivedTable(
    name="income",
    doc="income streams: payroll, benefits, gig payouts, person-to-person money, by payer",
    columns=_traced(
        C("payer", STR, "normalised payer"),
        C("income_type", "category", "payroll, benefits, gig, loan, p2p, transfer, refund, other"),
        C("cadence", "category", "weekly, biweekly, monthly... or irregular"),
        C("count", "int64", "payments received"),
        C("first", TIME, "first payment"),
        C("last", TIME, "last payment"),
        C("total", "float64", "sum received"),
        C("monthly_amount", "float64", "mean received per calendar month of the stream's span"),
        C("monthly_cv", "float64", "coefficient of variation of the monthly sums (0 = steady)"),
        C("months", "int64", "calendar months in the stream's span"),
        C("share", "float64", "share of all money in over the same accounts"),
        C("stability", "float64", "0-1: 1 - monthly_cv, clipped; 0 for a single payment"),
        C("currency", "category", "ISO 4217 code"),
    ),
    build=_builder("income", "build_income"),
    reads=MONEY,
)

CASHFLOW = DerivedTable(
    name="cashflow",
    doc="monthly money in, money out, net and balance, per account and for all accounts together",
    columns=_traced(
        C("month", TIME, "first day of the local calendar month, at 00:00"),
        C("scope", "category", "account (one source) or all (every account of the audit together)"),
        C("inflow", "float64", "money in, positive"),
        C("outflow", "float64", "money out, positive"),
        C("net", "float64", "inflow - outflow"),
        C("balance_end", "float64", "balance at the month's last movement"),
        C("balance_min", "float64", "lowest end-of-day balance in the month"),
        C("balance_avg", "float64", "average end-of-day balance over the month's days"),
        C("balance_basis", "category", "statement (the bank's balance column) or cumulative (running sum from 0)"),
        C("days_negative", "int64", "days whose end-of-day balance was below zero"),
        C("overdraft_fees", "int64", "overdraft fees charged in the month"),
        C("returned_payments", "int64", "NSF / returned-item / unpaid-item fees or notices in the month"),
        C("n_transactions", "int64", "movements in the month"),
        C("currency", "category", "ISO 4217 code"),
    ),
    build=_builder("cashflow", "build_cashflow"),
    reads=MONEY,
)

REGISTRY: dict[str, DerivedTable] = {
    table.name: table for table in (STAYS, PLACES, NIGHTS, PAYMENTS, RECURRING, INCOME, CASHFLOW)
}


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


# Reference columns whose "none" is -1 (0 is a real place or series number).
_NONE_IS_MINUS_ONE = frozenset({"place", "home_place", "series"})


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
            if str(values.dtype) == column.dtype:  # builders mostly hand over the right dtype already
                out[column.name] = values
                continue
            if column.dtype == model.UTC_TIME:
                values = pd.to_datetime(values, utc=True)
            elif column.dtype == "int64" and values.isna().any():
                # Hand-made rows (a pack's test case) may leave a number out in some rows:
                # fill it as a builder would, rather than fail the cast.
                values = values.fillna(-1 if column.name in _NONE_IS_MINUS_ONE else 0)
            out[column.name] = values.astype(column.dtype)
        else:
            out[column.name] = model._missing(column.dtype, length)
    return pd.DataFrame(out, index=pd.RangeIndex(length))
