"""The canonical kinds: the one place where each table's columns and dtypes are declared.

Every importer produces frames of these kinds and nothing else, so the engine, the
reports and the app can rely on a column existing with a known dtype. Every row carries
provenance (which importer read it, from which file, at which record) so that any piece
of evidence can be traced back to a line the person can open.

Time conventions (see DESIGN.md, "Canonical kinds"):

* Times are stored in UTC (``datetime64[ns, UTC]``).
* ``utc_offset_min`` holds the local offset in minutes where the export states one
  (on-device Timeline, Uber's ``timezone`` column, Monzo...); it is missing where the
  export is UTC only (Records.json, GPX), and local time then comes from ``--timezone``.
* Date-only rows (most bank statements) store the local calendar date at 00:00 with
  ``utc_offset_min = 0`` and ``has_time = False``: the date is exact, the hour is unknown,
  and hour-of-day rules abstain on such rows rather than guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np
import pandas as pd

UTC_TIME = "datetime64[ns, UTC]"
STRING = "string"  # pandas' string dtype (pyarrow-backed where available)


@dataclass(frozen=True)
class Column:
    """One declared column of a canonical kind."""

    name: str
    dtype: str
    doc: str


# Provenance comes first on every kind. ``source`` is the unit of ablation: a provider or
# an account ("google-location", "uber", "bank:Monzo 1234"), so that the audit can show
# what each source alone gives away.
PROVENANCE: tuple[Column, ...] = (
    Column("importer", "category", "id of the importer that read the row"),
    Column("file", "category", "display path of the file, with the member path inside an archive"),
    Column("record", "int64", "record number in that file: CSV line (1-based), JSON array index (0-based)"),
    Column("source", "category", "provider or account the row belongs to, the unit of ablation"),
)

KINDS: dict[str, tuple[Column, ...]] = {
    "points": (
        Column("time", UTC_TIME, "when the fix was taken, UTC"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("lat", "float64", "latitude, WGS84 degrees"),
        Column("lon", "float64", "longitude, WGS84 degrees"),
        Column("accuracy_m", "float32", "horizontal accuracy radius in metres"),
        Column("altitude_m", "float32", "altitude in metres"),
        Column("speed_mps", "float32", "speed in metres per second"),
        Column("signal", "category", "how the fix was made: GPS, WIFI, CELL..."),
        Column("activity", "category", "most likely activity at the fix (WALKING, IN_VEHICLE...)"),
        Column("device", "category", "device tag or name where the export gives one"),
    ),
    "visits": (
        Column("start", UTC_TIME, "arrival, UTC"),
        Column("end", UTC_TIME, "departure, UTC"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("lat", "float64", "latitude of the place"),
        Column("lon", "float64", "longitude of the place"),
        Column("name", STRING, "place name as the export gives it"),
        Column("address", STRING, "address as the export gives it"),
        Column("place_id", STRING, "provider's place identifier"),
        Column("semantic_type", "category", "HOME, WORK, ... normalised to upper case with underscores"),
        Column("confidence", "float32", "provider's confidence, 0-1"),
    ),
    "activities": (
        Column("start", UTC_TIME, "start of the movement, UTC"),
        Column("end", UTC_TIME, "end of the movement, UTC"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("start_lat", "float64", "where the movement began"),
        Column("start_lon", "float64", "where the movement began"),
        Column("end_lat", "float64", "where the movement ended"),
        Column("end_lon", "float64", "where the movement ended"),
        Column("distance_m", "float64", "distance in metres"),
        Column("mode", "category", "WALKING, IN_PASSENGER_VEHICLE, IN_TAXI, FLYING... upper case"),
        Column("confidence", "float32", "provider's confidence, 0-1"),
    ),
    "transactions": (
        Column("time", UTC_TIME, "when the money moved; the local date at 00:00 when has_time is False"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("has_time", "bool", "False for date-only exports: hour-of-day rules abstain"),
        Column("amount", "float64", "signed, from the account holder's view: money out < 0"),
        Column("currency", "category", "ISO 4217 code"),
        Column("description", STRING, "the raw statement text"),
        Column("counterparty", STRING, "payee or payer where the layout has its own column"),
        Column("merchant", STRING, "normalised merchant name (filled by derive)"),
        Column("category", "category", "the bank's or app's own category where the export has one"),
        Column("mcc", STRING, "merchant category code where the export has one"),
        Column("type", "category", "the bank's transaction type code (DD, SO, Card Payment...)"),
        Column("balance", "float64", "running balance where the export gives one"),
        Column("account", "category", "account name or number as the export gives it"),
        Column("local_amount", "float64", "amount in the currency spent, for foreign spending"),
        Column("local_currency", "category", "currency of local_amount"),
    ),
    "trips": (
        Column("requested", UTC_TIME, "when the ride or order was requested, UTC"),
        Column("start", UTC_TIME, "pickup or preparation start, UTC; missing when it never began"),
        Column("end", UTC_TIME, "drop-off or delivery, UTC; missing when it never ended"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("pickup_lat", "float64", "pickup latitude"),
        Column("pickup_lon", "float64", "pickup longitude"),
        Column("pickup_address", STRING, "pickup address"),
        Column("dropoff_lat", "float64", "drop-off latitude"),
        Column("dropoff_lon", "float64", "drop-off longitude"),
        Column("dropoff_address", STRING, "drop-off or delivery address"),
        Column("distance_km", "float64", "trip distance in kilometres"),
        Column("fare", "float64", "what the rider paid, positive, in currency"),
        Column("currency", "category", "ISO 4217 code"),
        Column("status", "category", "completed, rider_canceled, driver_canceled, unfulfilled, failed"),
        Column("product", "category", "UberX, Comfort, Eats, ..."),
        Column("service", "category", "ride or delivery"),
        Column("provider", "category", "uber, lyft, doordash..."),
        Column("city", STRING, "city as the export gives it"),
        Column("merchant", STRING, "restaurant or store, for orders"),
        Column("items", "Int32", "number of items, for orders"),
    ),
    "ratings": (
        Column("time", UTC_TIME, "when the rating was given; missing where the export has no date"),
        Column("value", "float64", "the rating"),
        Column("scale", "float64", "the top of the scale (5 for stars)"),
        Column("direction", "category", "received or given"),
        Column("role", "category", "whose rating: rider, driver, eater... where the export says"),
        Column("aggregate", "bool", "True for a current average, False for one rating"),
        Column("provider", "category", "uber, lyft..."),
    ),
    "tolls": (
        Column("time", UTC_TIME, "when the vehicle passed the (exit) plaza, UTC; local date at 00:00 if no time"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("has_time", "bool", "False where the statement gives only a date"),
        Column("agency", "category", "toll agency or road as the statement names it (NJTP, GSP, MTAB&T...)"),
        Column("plaza", STRING, "exit plaza (or the single plaza) as the statement names it"),
        Column("entry_plaza", STRING, "entry plaza on a ticketed road, where given"),
        Column("lane", STRING, "lane at the exit plaza, where given"),
        Column("lat", "float64", "latitude of the plaza where the statement gives it"),
        Column("lon", "float64", "longitude of the plaza where the statement gives it"),
        Column("amount", "float64", "toll charged, positive"),
        Column("currency", "category", "ISO 4217 code"),
        Column("tag", "category", "transponder or plate the crossing was billed to"),
        Column("vehicle_class", "category", "vehicle class code as the statement gives it"),
        Column("provider", "category", "the account's toll programme: ezpass, fastrak, sunpass..."),
    ),
    "orders": (
        Column("time", UTC_TIME, "when the order was placed, UTC; local date at 00:00 if no time"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("has_time", "bool", "False where the export gives only a date"),
        Column("order_id", STRING, "the shop's order number (one order has one row per item)"),
        Column("item", STRING, "product name as the export gives it"),
        Column("product_id", STRING, "the shop's product id (ASIN...)"),
        Column("category", "category", "the shop's own product category where the export has one"),
        Column("quantity", "Int32", "units of the item"),
        Column("unit_price", "float64", "price of one unit"),
        Column("total", "float64", "what the row cost, positive, tax and shipping included where given"),
        Column("currency", "category", "ISO 4217 code"),
        Column("status", "category", "order or shipment status, lower case (closed, shipped, cancelled)"),
        Column("store", "category", "the shop's site (Amazon.com, Amazon.de...)"),
        Column("provider", "category", "amazon..."),
    ),
    "posts": (
        Column("time", UTC_TIME, "when it was posted, UTC"),
        Column("utc_offset_min", "Int32", "local offset in minutes where the export gives one"),
        Column("text", STRING, "the text as posted (mojibake repaired)"),
        Column("type", "category", "post, reply, repost, photo, check_in"),
        Column("lang", "category", "language code where the export gives one"),
        Column("hashtags", STRING, "hashtags, lower case, space separated"),
        Column("likes", "Int32", "likes or favourites where the export counts them"),
        Column("place", STRING, "tagged place name (check-ins)"),
        Column("lat", "float64", "latitude of a tagged place"),
        Column("lon", "float64", "longitude of a tagged place"),
        Column("provider", "category", "x, facebook, instagram"),
    ),
    "contacts": (
        Column("time", UTC_TIME, "when the connection was made, UTC; missing where not given (vCard)"),
        Column("name", STRING, "display name, kept only to show evidence"),
        Column("key", STRING, "one-way hash of the handle, e-mail or phone: tells people apart, keeps none"),
        Column("relation", "category", "contact, friend, follower, following, close_friend..."),
        Column("organization", STRING, "organisation (vCard ORG), where given"),
        Column("groups", STRING, "the person's own labels for the contact (vCard CATEGORIES), comma separated"),
        Column("provider", "category", "vcard, facebook, instagram, x"),
    ),
}

KIND_NAMES: tuple[str, ...] = tuple(KINDS)


def columns(kind: str) -> tuple[Column, ...]:
    """All columns of a kind, provenance first."""
    return PROVENANCE + KINDS[kind]


def time_columns(kind: str) -> tuple[str, ...]:
    """The UTC time columns of a kind, in declaration order; the first one orders rows."""
    return tuple(c.name for c in KINDS[kind] if c.dtype == UTC_TIME)


def empty_frame(kind: str) -> pd.DataFrame:
    """A frame of the kind with no rows and every declared column."""
    return conform(kind, {}, length=0)


def conform(kind: str, data: Mapping[str, object] | pd.DataFrame, length: int | None = None) -> pd.DataFrame:
    """Build a frame of ``kind`` from column data, casting to the declared dtypes.

    Columns the importer did not provide are filled with missing values, so importers
    only name what their format has. Unknown columns are an importer bug and raise.
    """
    if isinstance(data, pd.DataFrame):
        length = len(data)
        data = {name: data[name] for name in data.columns}
    declared = columns(kind)
    unknown = set(data) - {c.name for c in declared}
    if unknown:
        raise KeyError(f"columns not declared for kind {kind!r}: {sorted(unknown)}")
    if length is None:
        length = _length_of(data)
    out: dict[str, object] = {}
    for column in declared:
        if column.name in data:
            out[column.name] = _cast(data[column.name], column.dtype, length)
        else:
            out[column.name] = _missing(column.dtype, length)
    # The Series built above are already new objects: no need for the frame to copy them again.
    return pd.DataFrame(out, index=pd.RangeIndex(length), copy=False)


def _length_of(data: Mapping[str, object]) -> int:
    for value in data.values():
        if not np.isscalar(value) and value is not None:
            return len(value)  # type: ignore[arg-type]
    return 0


def constant_categorical(label: str, length: int) -> pd.Categorical:
    """``length`` copies of one label, built from integer codes.

    A list of millions of equal strings costs seconds to build and factorise again
    (provenance columns of a 3M-point file); the codes cost a few milliseconds.
    """
    return pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), [label], validate=False)


def _cast(values: object, dtype: str, length: int) -> pd.Series:
    if values is None or (np.isscalar(values) and pd.isna(values)):
        return _missing(dtype, length)
    if np.isscalar(values):
        if dtype == "category" and isinstance(values, str):
            return pd.Series(constant_categorical(values, length))
        values = [values] * length
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if not _default_index(series.index):
        series = series.reset_index(drop=True)
    if _already(series.dtype, dtype):
        # Importers mostly hand over columns of the right dtype already; a no-op astype still
        # costs ~0.1 ms per column, which adds up over hundreds of small files.
        return series
    if dtype == UTC_TIME:
        if not isinstance(series.dtype, pd.DatetimeTZDtype):
            series = pd.to_datetime(series, utc=True)
        return series.astype(UTC_TIME)
    if dtype == "bool":
        return series.fillna(False).astype("bool")
    if dtype == STRING:
        return series.astype(STRING)
    return series.astype(dtype)


def _default_index(index: pd.Index) -> bool:
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


_DTYPES: dict[str, object] = {}


def _already(actual: object, declared: str) -> bool:
    """Whether a column's dtype is exactly the declared one (a category of any categories)."""
    if declared == "category":
        return isinstance(actual, pd.CategoricalDtype)
    if declared not in _DTYPES:
        _DTYPES[declared] = pd.api.types.pandas_dtype(declared)
    return actual == _DTYPES[declared]


def _missing(dtype: str, length: int) -> pd.Series:
    """A column of missing values, built from arrays: a list of NA per row costs ~0.2 s per million."""
    if dtype == UTC_TIME:
        return pd.Series(np.full(length, np.iinfo(np.int64).min).view("datetime64[ns]")).dt.tz_localize("UTC")
    if dtype == "bool":
        return pd.Series(np.zeros(length, dtype=bool))
    if dtype in ("float64", "float32"):
        return pd.Series(np.full(length, np.nan, dtype=dtype))
    if dtype == "int64":
        return pd.Series(np.zeros(length, dtype="int64"))
    if dtype == "category":
        # Empty categories of float64, as pandas infers them for a column of NA only.
        empty = pd.CategoricalDtype(pd.Index([], dtype="float64"))
        return pd.Series(pd.Categorical.from_codes(np.full(length, -1, dtype=np.int8), dtype=empty))
    if dtype == "Int32":
        return pd.Series(pd.arrays.IntegerArray(np.zeros(length, np.int32), np.ones(length, dtype=bool)))
    if dtype == STRING:
        import pyarrow as pa

        return pd.Series(pd.array(pa.nulls(length, pa.large_string()), dtype=STRING))
    return pd.Series([pd.NA] * length, dtype=dtype)
