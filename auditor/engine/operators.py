"""The operator table: every leaf test a condition can use, declared once.

Each :class:`Operator` names its argument type (the pack models and the JSON Schema are
generated from it), the field types it applies to, a one-line summary and an example
(rules/README.md documents each one, and a test checks the README against this table),
and the vectorised function that evaluates it over a whole column.

A leaf returns a :class:`Mask`: which rows pass, and which rows could be judged at all.
Rows that cannot be judged (the hour of a date-only bank row) make the condition
*unknown* for that row, with Kleene logic through ``all``/``any``/``not``, and the rule
leaves them out of what it measures instead of guessing.

Text tests are case-insensitive and run in Arrow (RE2 for ``matches``), on the categories
of categorical columns and on the whole column otherwise; nothing maps a Python function
over rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal, Union

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from auditor.engine.context import BOOL, NUMBER, POSITION, TEXT, TIME, View, position_columns
from auditor.safe_regex import check_regex  # RE2: linear time, the engine pyarrow matches with

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_PLACE_RADIUS_M = 150.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Mask:
    """Rows that pass a test, and rows that could be judged (None: every row)."""

    value: np.ndarray
    known: np.ndarray | None = None


# --- argument types ----------------------------------------------------------------------


def _hour_range(value: tuple[int, int]) -> tuple[int, int]:
    start, end = value
    if start == end:
        raise ValueError("the range is empty: from and to are the same hour (use [0, 24] for the whole day)")
    return value


def _weekdays(value: list[str]) -> list[str]:
    for item in value:
        parse_weekdays([item])
    return value


def parse_weekdays(items: list[str]) -> list[int]:
    """``["mon-fri", "sun"]`` -> ``[0, 1, 2, 3, 4, 6]``; raises ValueError naming a bad day."""
    days: set[int] = set()
    for item in items:
        parts = str(item).lower().split("-")
        if len(parts) > 2 or any(p[:3] not in WEEKDAYS for p in parts):
            raise ValueError(f"'{item}' is not a weekday or range; expected e.g. mon, sat, mon-fri")
        first, last = WEEKDAYS.index(parts[0][:3]), WEEKDAYS.index(parts[-1][:3])
        days.update(range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)])
    return sorted(days)


class DateRange(BaseModel):
    """A range of local calendar dates, both ends included; either end may be left open."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: dt.date | None = Field(default=None, alias="from", description="first date, YYYY-MM-DD")
    to: dt.date | None = Field(default=None, description="last date, YYYY-MM-DD")

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.from_ is None and self.to is None:
            raise ValueError("give 'from', 'to' or both")
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError(f"'from' ({self.from_}) is after 'to' ({self.to}): no date can match")
        return self


class Near(BaseModel):
    """Within a distance of a point, or of a derived place (home, work...)."""

    model_config = ConfigDict(extra="forbid")
    lat: float | None = Field(default=None, ge=-90, le=90, description="latitude of the point")
    lon: float | None = Field(default=None, ge=-180, le=180, description="longitude of the point")
    place: str | None = Field(default=None, description="label of a derived place: home, work, ...")
    within_m: float | None = Field(default=None, gt=0, le=100_000, description="radius in metres")

    @model_validator(mode="after")
    def _one_target(self) -> Near:
        point = self.lat is not None or self.lon is not None
        if point and self.place:
            raise ValueError("give either lat/lon or place, not both")
        if point and (self.lat is None or self.lon is None):
            raise ValueError("a point needs both lat and lon")
        if not point and not self.place:
            raise ValueError("give lat and lon, or a place (home, work...)")
        if point and self.within_m is None:
            raise ValueError("a point needs within_m (the radius in metres)")
        return self


Scalar = Union[bool, int, float, str]
Regex = Annotated[str, AfterValidator(check_regex)]
HourRange = Annotated[tuple[Annotated[int, Field(ge=0, le=24)], Annotated[int, Field(ge=0, le=24)]],
                      AfterValidator(_hour_range)]  # fmt: skip
Weekdays = Annotated[list[str], Field(min_length=1), AfterValidator(_weekdays)]
Range = Annotated[tuple[float, float], AfterValidator(lambda v: _ordered_pair(v))]
NonEmptyText = Annotated[str, Field(min_length=1)]
TextList = Annotated[list[NonEmptyText], Field(min_length=1)]
ListName = Annotated[str, Field(min_length=1)]


def _ordered_pair(value: tuple[float, float]) -> tuple[float, float]:
    if value[0] > value[1]:
        raise ValueError(f"the low end {value[0]} is above the high end {value[1]}: nothing can match")
    return value


# --- the table ---------------------------------------------------------------------------

Evaluate = Callable[[View, str, str, object], Mask]


@dataclass(frozen=True)
class Operator:
    """One leaf operator."""

    name: str
    argument: object
    applies_to: frozenset[str]
    summary: str
    example: str
    evaluate: Evaluate
    uses_list: bool = False
    needs: tuple[str, ...] = ()


def _text_mask(view: View, table: str, field: str, test: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """Run an Arrow test on a text column: on the categories when it is categorical."""
    series = view.table(table)[field]
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pa.array(series.cat.categories.astype("string").array)
        on_categories = _bools(test(categories)) if len(categories) else np.zeros(0, dtype=bool)
        codes = series.cat.codes.to_numpy()
        padded = np.append(on_categories, False)  # code -1 (missing) reads the padding
        return padded[codes]
    # Statement texts repeat (the same shop, the same transfer): the test runs once per
    # distinct text, and the rows read its answer (50k transactions hold a few thousand).
    codes, distinct = view.memo(("text-codes", table, field), lambda: _text_codes(series), table=table)  # type: ignore[misc]
    on_distinct = _bools(test(distinct)) if len(distinct) else np.zeros(0, dtype=bool)
    return np.append(on_distinct, False)[codes]  # code -1 (missing) reads the padding


def _text_codes(series: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Each row's position among the distinct texts of a text column (-1: missing), and those texts."""
    if not isinstance(series.dtype, pd.StringDtype) or series.dtype.storage != "pyarrow":
        series = series.astype("string[pyarrow]")
    arrow = pa.array(series.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    encoded = arrow.dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def _bools(result: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(result, False).to_numpy(zero_copy_only=False).astype(bool, copy=False)


def _numbers(view: View, table: str, field: str) -> np.ndarray:
    series = view.table(table)[field]
    if series.dtype == bool:
        return series.to_numpy(dtype="float64")
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _field_type(view: View, table: str, field: str) -> str:
    series = view.table(table)[field]
    if series.dtype == bool:
        return BOOL
    if isinstance(series.dtype, (pd.CategoricalDtype, pd.StringDtype)) or series.dtype == object:
        return TEXT
    return NUMBER


def _lower(values: list[object]) -> list[str]:
    return [str(v).lower() for v in values]


def _equals(view: View, table: str, field: str, arg: object) -> Mask:
    return _in(view, table, field, [arg])


def _in(view: View, table: str, field: str, arg: object) -> Mask:
    values = list(arg)  # type: ignore[call-overload]
    kind = _field_type(view, table, field)
    if kind == TEXT:
        wanted = pa.array(_lower(values), type=pa.large_string())
        return Mask(_text_mask(view, table, field, lambda a: pc.is_in(pc.utf8_lower(a), value_set=wanted)))
    if kind == BOOL:
        flags = [bool(v) for v in values if isinstance(v, bool)]
        column = view.table(table)[field].to_numpy(dtype=bool)
        return Mask(np.isin(column, flags))
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return Mask(np.isin(_numbers(view, table, field), numbers))


def _contains(view: View, table: str, field: str, arg: object) -> Mask:
    text = str(arg)
    return Mask(_text_mask(view, table, field, lambda a: pc.match_substring(a, text, ignore_case=True)))


def _contains_any(view: View, table: str, field: str, arg: object) -> Mask:
    alternatives = "|".join(re.escape(str(v)) for v in arg)  # type: ignore[attr-defined]
    pattern = f"(?i)(?:{alternatives})"
    return Mask(_text_mask(view, table, field, lambda a: pc.match_substring_regex(a, pattern)))


def _starts_with(view: View, table: str, field: str, arg: object) -> Mask:
    prefixes = [arg] if isinstance(arg, str) else list(arg)  # type: ignore[call-overload]
    pattern = "(?i)^(?:" + "|".join(re.escape(str(p)) for p in prefixes) + ")"
    return Mask(_text_mask(view, table, field, lambda a: pc.match_substring_regex(a, pattern)))


def _matches(view: View, table: str, field: str, arg: object) -> Mask:
    pattern = str(arg)
    return Mask(_text_mask(view, table, field, lambda a: pc.match_substring_regex(a, pattern)))


def _greater(view: View, table: str, field: str, arg: object) -> Mask:
    return Mask(_numbers(view, table, field) > float(arg))  # type: ignore[arg-type]


def _less(view: View, table: str, field: str, arg: object) -> Mask:
    return Mask(_numbers(view, table, field) < float(arg))  # type: ignore[arg-type]


def _between(view: View, table: str, field: str, arg: object) -> Mask:
    low, high = arg  # type: ignore[misc]
    values = _numbers(view, table, field)
    return Mask((values >= low) & (values <= high))


def _hour(view: View, table: str, field: str, arg: object) -> Mask:
    start, end = arg  # type: ignore[misc]
    clock = view.clock(table, field)
    hour = clock.hour
    inside = (hour >= start) & (hour < end) if start < end else (hour >= start) | (hour < end)
    known = clock.hour_known
    return Mask(inside & known, known)


def _weekday(view: View, table: str, field: str, arg: object) -> Mask:
    clock = view.clock(table, field)
    days = parse_weekdays(list(arg))  # type: ignore[call-overload]
    return Mask(np.isin(clock.weekday, days) & clock.valid, clock.valid)


def _date(view: View, table: str, field: str, arg: object) -> Mask:
    clock = view.clock(table, field)
    span: DateRange = arg  # type: ignore[assignment]
    inside = clock.valid.copy()
    epoch = dt.date(1970, 1, 1)
    if span.from_ is not None:
        inside &= clock.day >= (span.from_ - epoch).days
    if span.to is not None:
        inside &= clock.day <= (span.to - epoch).days
    return Mask(inside, clock.valid)


def _near(view: View, table: str, field: str, arg: object) -> Mask:
    near: Near = arg  # type: ignore[assignment]
    frame = view.table(table)
    lat_column, lon_column = position_columns(field)
    lat = frame[lat_column].to_numpy(dtype="float64", na_value=np.nan)
    lon = frame[lon_column].to_numpy(dtype="float64", na_value=np.nan)
    if near.place is None:
        targets = [(float(near.lat), float(near.lon), float(near.within_m))]  # type: ignore[arg-type]
    else:
        targets = place_targets(view, near.place, near.within_m)
    result = np.zeros(len(frame), dtype=bool)
    for target_lat, target_lon, radius in targets:
        result |= within(lat, lon, target_lat, target_lon, radius)
    return Mask(result)


def place_targets(view: View, label: str, within_m: float | None) -> list[tuple[float, float, float]]:
    """Centres and radii of the derived places with this label (home may have moved: several)."""
    places = view.table("places")
    if places is None or not len(places):
        return []
    chosen = places[places["label"].astype("string").str.lower() == label.lower()]
    radii = chosen["radius_m"].to_numpy(dtype="float64", na_value=np.nan)
    out = []
    for lat, lon, radius in zip(chosen["lat"].to_numpy(dtype="float64"), chosen["lon"].to_numpy(dtype="float64"), radii):
        if within_m is not None:
            radius = within_m
        elif np.isnan(radius):
            radius = DEFAULT_PLACE_RADIUS_M
        out.append((float(lat), float(lon), float(radius)))
    return out


def within(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, radius_m: float) -> np.ndarray:
    """Rows within ``radius_m`` of a point: a bounding-box pass, then haversine on the few left."""
    dlat = np.degrees(radius_m / EARTH_RADIUS_M) * 1.01
    cos0 = max(np.cos(np.radians(lat0)), 1e-6)
    dlon = min(dlat / cos0, 360.0)
    box = (np.abs(lat - lat0) <= dlat) & (np.abs(((lon - lon0 + 180.0) % 360.0) - 180.0) <= dlon)
    candidates = np.flatnonzero(box)
    result = np.zeros(len(lat), dtype=bool)
    if len(candidates):
        result[candidates] = haversine_m(lat[candidates], lon[candidates], lat0, lon0) <= radius_m
    return result


def haversine_m(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    """Great-circle distance in metres from each row to one point."""
    phi, phi0 = np.radians(lat), np.radians(lat0)
    dphi = phi - phi0
    dlambda = np.radians(lon - lon0)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi) * np.cos(phi0) * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _missing(view: View, table: str, field: str, arg: object) -> Mask:
    frame = view.table(table)
    if field in frame:
        absent = frame[field].isna().to_numpy()
    else:
        lat_column, lon_column = position_columns(field)
        absent = frame[lat_column].isna().to_numpy() | frame[lon_column].isna().to_numpy()
    return Mask(absent if arg else ~absent)


_ALL = frozenset({TEXT, NUMBER, TIME, BOOL, POSITION})
_SCALARS = frozenset({TEXT, NUMBER, BOOL})

OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("equals", Scalar, _SCALARS, "equal to a value (text: ignoring case)",
                 "status: {equals: completed}", _equals),
        Operator("in", Annotated[list[Scalar], Field(min_length=1)], _SCALARS,
                 "equal to one of the values (text: ignoring case)", "mcc: {in: ['7995', '7801', '7802']}", _in),
        Operator("contains", NonEmptyText, frozenset({TEXT}), "contains the text, ignoring case",
                 "description: {contains: overdraft}", _contains),
        Operator("contains_any", TextList, frozenset({TEXT}), "contains any of the texts, ignoring case",
                 "description: {contains_any: [NSF, returned item]}", _contains_any),
        Operator("starts_with", Union[NonEmptyText, TextList], frozenset({TEXT}),
                 "starts with the text (or any of the texts), ignoring case",
                 "description: {starts_with: 'DD '}", _starts_with),
        Operator("matches", Regex, frozenset({TEXT}),
                 "matches an RE2 regular expression (case-sensitive; start it with (?i) to ignore case)",
                 "description: {matches: '(?i)^tfl.*travel'}", _matches),
        Operator("in_list", ListName, _SCALARS, "equal to one of the values of a named list (text: ignoring case)",
                 "mcc: {in_list: gambling_mcc}", _in, uses_list=True),
        Operator("contains_list", ListName, frozenset({TEXT}), "contains any value of a named list, ignoring case",
                 "description: {contains_list: gambling_merchants}", _contains_any, uses_list=True),
        Operator("greater", float, frozenset({NUMBER}), "greater than the number", "amount: {greater: 0}", _greater),
        Operator("less", float, frozenset({NUMBER}), "less than the number", "amount: {less: -500}", _less),
        Operator("between", Range, frozenset({NUMBER}), "between two numbers, both included",
                 "value: {between: [1, 3]}", _between),
        Operator("hour", HourRange, frozenset({TIME}),
                 "local hour of day in [from, to): [22, 6] wraps past midnight; abstains on date-only rows",
                 "time: {hour: [0, 6]}", _hour),
        Operator("weekday", Weekdays, frozenset({TIME}), "local day of the week: mon..sun, or ranges like mon-fri",
                 "time: {weekday: [sat, sun]}", _weekday),
        Operator("date", DateRange, frozenset({TIME}), "local calendar date between from and to, both included",
                 "time: {date: {from: 2024-01-01, to: 2024-03-31}}", _date),
        Operator("near", Near, frozenset({POSITION}),
                 "within within_m metres of a point (lat, lon) or of a derived place (place: home)",
                 "position: {near: {place: home, within_m: 200}}", _near),
        Operator("missing", bool, _ALL, "the value is missing (true) or present (false)",
                 "mcc: {missing: false}", _missing),
    )
}  # fmt: skip


def needs_of(name: str, arg: object) -> tuple[str, ...]:
    """Derived tables a leaf reads besides its own table."""
    if name == "near" and getattr(arg, "place", None):
        return ("places",)
    return ()


def operator_names() -> tuple[str, ...]:
    return tuple(OPERATORS)


Op = Literal[tuple(OPERATORS)]  # type: ignore[valid-type]
