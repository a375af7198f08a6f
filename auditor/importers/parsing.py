"""Vectorised parsing helpers shared by importers: times, offsets, coordinates, JSON.

Everything here works on whole columns (pandas Series) so that importers never loop over
rows in Python on a hot path. Values that cannot be parsed become missing; the importer
decides whether a missing value means the record is skipped, and says why.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import pandas as pd

from auditor.importers.base import BadInput, FileRef, strip_bom

# Times outside this window are data errors (an epoch sentinel, a clock reset, a
# millisecond value read as seconds), never real fixes or payments.
EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
LATEST = pd.Timestamp("2100-01-01", tz="UTC")

_OFFSET_PATTERN = r"(?:(?P<z>[Zz])|(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2}))\s*$"


def iso_to_utc(values: pd.Series) -> pd.Series:
    """Parse ISO-8601 strings (any offset, with or without fraction) to UTC.

    Unparseable values become NaT. ``format="ISO8601"`` is ~9x faster than "mixed" and
    copes with files that mix ``...:00Z`` and ``...:00.123Z`` (performance.md §3).
    """
    text = values.astype("string").str.strip()
    try:
        return pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    except (ValueError, OverflowError):
        # A column that mixes ISO and garbage can still defeat the fast path; parse the
        # values one format at a time so that good rows keep their time.
        return pd.to_datetime(text, utc=True, errors="coerce", format="mixed")


def iso_offsets_minutes(values: pd.Series) -> pd.Series:
    """The UTC offset (minutes) written in ISO strings; missing where none is written.

    ``Z`` counts as an offset of 0 only when the caller trusts it; Uber's ``_local``
    columns carry a false ``Z`` and must not be read through here.
    """
    parts = values.astype("string").str.extract(_OFFSET_PATTERN)
    minutes = parts["hh"].astype("Float64") * 60 + parts["mm"].astype("Float64")
    minutes = minutes.where(parts["sign"] != "-", -minutes)
    minutes = minutes.mask(parts["z"].notna(), 0)
    return minutes.round().astype("Int32")


def epoch_to_utc(values: pd.Series, unit: str) -> pd.Series:
    """Epoch numbers (or numeric strings) in ``unit`` ("s", "ms") to UTC; bad values NaT."""
    numbers = pd.to_numeric(values, errors="coerce")
    return pd.to_datetime(numbers, unit=unit, utc=True, errors="coerce")


def out_of_range(times: pd.Series) -> pd.Series:
    """True where a parsed time is present but outside the plausible window."""
    return times.notna() & ((times < EARLIEST) | (times >= LATEST))


def to_float(values: pd.Series | list[Any]) -> pd.Series:
    """Numbers or numeric strings to float64; anything else becomes NaN."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    return pd.to_numeric(series, errors="coerce").astype("float64")


def split_lat_lon(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse Google's coordinate strings: ``"48.1°, 11.5°"``, ``"geo:27.7,-97.3"``, ``"48.1, 11.5"``.

    Returns (lat, lon) as float64 with NaN where the string is not a coordinate pair.
    """
    text = values.astype("string").str.replace("geo:", "", regex=False).str.replace("°", "", regex=False)
    parts = text.str.extract(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
    return to_float(parts[0]), to_float(parts[1])


def valid_coordinates(lat: pd.Series, lon: pd.Series) -> pd.Series:
    """True where both coordinates are present and on the globe; (0, 0) is a null fix."""
    ok = lat.between(-90, 90) & lon.between(-180, 180)
    return ok & ~((lat == 0) & (lon == 0))


def upper_snake(values: pd.Series) -> pd.Series:
    """``"in passenger vehicle"`` and ``"IN_PASSENGER_VEHICLE"`` to one spelling."""
    return values.astype("string").str.strip().str.upper().str.replace(r"[\s-]+", "_", regex=True)


def decode_json(ref: FileRef, data: bytes | None = None, type: Any = Any) -> Any:
    """Decode a whole JSON file with msgspec, optionally into typed structs.

    A BOM is stripped. Truncated or invalid JSON raises :class:`BadInput` naming the byte
    offset where decoding stopped, so the message points at the place to look.
    """
    if data is None:
        data = ref.read_bytes()
    data = strip_bom(data)
    if not data.strip():
        raise BadInput("the file is empty; expected JSON")
    try:
        return msgspec.json.decode(data, type=type)
    except msgspec.ValidationError as error:
        raise BadInput(f"the JSON does not have the expected shape: {error}") from None
    except msgspec.DecodeError as error:
        raise BadInput(f"the JSON is invalid or truncated: {error}") from None


def first_present(*columns: pd.Series) -> pd.Series:
    """Row-wise the first non-missing value of several aligned columns."""
    result = columns[0]
    for column in columns[1:]:
        result = result.where(result.notna(), column)
    return result


def nullable_int(values: pd.Series | np.ndarray | list[Any]) -> pd.Series:
    return pd.Series(pd.array(pd.to_numeric(pd.Series(values), errors="coerce").round(), dtype="Int32"))
