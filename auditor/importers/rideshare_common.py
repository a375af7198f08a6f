"""Parsing shared by the ride-hail and delivery importers (Uber, Lyft, DoorDash).

These exports are small CSV files (a heavy rider has a few thousand trips, an eater a
few tens of thousands of item rows), written by the providers with a header line and
no preamble. What they share, and what lives here so that no importer copies it:

* reading the CSV with the physical line where each record starts (addresses are quoted
  and could hold a line break), counting rows with the wrong number of fields;
* finding columns by alias (Uber renamed ``begintrip_address`` to ``begintrip_string``
  in some 2023+ exports) and naming the missing ones in one clear message;
* times written as ``2018-08-15 19:27:02 +0000 UTC`` (Uber until 2022, Eats details),
  ``2024-03-14 06:51:38 UTC`` (Lyft) or ISO with ``Z``, and Uber's
  ``1970-01-01 00:00:00 +0000 UTC`` placeholder on trips that never began, which must
  become a missing time, never a trip in 1970 (formats.md §3.1 (A));
* the local offset from an IANA zone name per row (Uber's ``timezone`` column), computed
  once per distinct zone;
* statuses in one vocabulary and currencies as ISO 4217 codes, including Uber's 2025
  currency *names* (``United States Dollar``, ``Kenyan Shilling``; formats.md §3.1 (C)),
  mapped through the CLDR English names that Babel ships.

A regular CSV is parsed by Arrow's C++ reader (records numbered from the header down);
a file with blank lines, line breaks inside values or rows of the wrong width is read
row by row with the standard library's reader, so that each record keeps its physical
line and a malformed row is counted, not fatal. Every later step is vectorised: 105,000
rows of the 2023+ trips file (52 MB, ~90 columns) load in about 2 seconds.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from auditor.importers.base import BadInput, FileRef, Head, ImportReport, strip_bom
from auditor.importers.parsing import EARLIEST, LATEST, iso_to_utc, to_float, valid_coordinates

MILES_TO_KM = 1.609344

# Canonical trip statuses (model.py) and the spellings the providers use for them.
_STATUS_ALIASES: dict[str, str] = {
    "completed": "completed",
    "complete": "completed",
    "finished": "completed",  # Lyft
    "delivered": "completed",
    # A trip whose fare was split with a friend: one source calls these placeholder rows,
    # another counts them as completed trips (formats.md §3.1 (B)); the ride happened.
    "fare_split": "completed",
    "canceled": "rider_canceled",  # Uber (A): CANCELED is the rider's cancellation
    "cancelled": "rider_canceled",
    "rider_canceled": "rider_canceled",
    "rider_cancelled": "rider_canceled",
    "driver_canceled": "driver_canceled",
    "driver_cancelled": "driver_canceled",
    "unfulfilled": "unfulfilled",
    "no_car_available": "unfulfilled",
    "failed": "failed",
}

# Currency names seen in Uber's 2025 export that CLDR's English names do not spell the
# same way. Everything else comes from Babel (CLDR) so that this table stays short.
_CURRENCY_NAME_ALIASES: dict[str, str] = {
    "united states dollar": "USD",
    "pound sterling": "GBP",  # the ISO 4217 name; CLDR says "British Pound"
    "yuan renminbi": "CNY",
    "uae dirham": "AED",
}

_TRAILING_UTC = re.compile(r"\s*UTC\s*$", re.IGNORECASE)


# --- CSV --------------------------------------------------------------------------------


class LazyColumns(Mapping[str, pd.Series]):
    """A CSV's columns by header name, each turned into a pandas Series when first asked for.

    An importer reads a dozen known columns; a damaged or hostile header can name thousands,
    and a Series costs milliseconds to build and clean (1,453 columns: 7 s of 9 for one 22 KB
    file in the long fuzzing run). Names, order and the values of a column are those of
    building every column at once.
    """

    def __init__(self, builders: dict[str, Callable[[], pd.Series]]) -> None:
        self._builders = builders
        self._built: dict[str, pd.Series] = {}

    def __getitem__(self, name: str) -> pd.Series:
        if name not in self._built:
            self._built[name] = self._builders[name]()
        return self._built[name]

    def __contains__(self, name: object) -> bool:
        # Mapping's own test looks the column up, which here would build it just to see it is there
        return name in self._builders

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def renamed(self, rename: Callable[[str], str]) -> LazyColumns:
        """The same columns under ``rename(name)``; where two names meet, the later column wins."""
        return LazyColumns(
            {rename(name): functools.partial(self.__getitem__, name) for name in self._builders}
        )


@dataclass
class CsvTable:
    """A CSV file read into whole columns (strings, missing where empty) with line numbers."""

    header: list[str]
    columns: LazyColumns
    records: np.ndarray  # physical line (1-based) where each record starts

    def __len__(self) -> int:
        return len(self.records)

    def column(self, *aliases: str) -> pd.Series | None:
        """The first column present under any of ``aliases`` (exact header names)."""
        for alias in aliases:
            if alias in self.columns:
                return self.columns[alias]
        return None


def header_fields(head: Head) -> list[str]:
    """The header line's fields, stripped; empty when the head is not CSV-like text.

    Used by ``sniff``: it never raises on odd bytes.
    """
    line = head.first_line
    if not line or "\x00" in line:
        return []
    try:
        fields = next(csv.reader([line]))
    except (csv.Error, StopIteration):
        return []
    return [field.strip().lstrip("\ufeff") for field in fields]


def decode_text(ref: FileRef, report: ImportReport) -> str:
    """The whole file as text: UTF-8 (BOM stripped), else Windows-1252 with a note."""
    data = strip_bom(ref.read_bytes())
    if not data.strip():
        raise BadInput("the file is empty; expected a CSV header line")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.notes.append("the file is not UTF-8; it was read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def read_csv_table(
    ref: FileRef,
    report: ImportReport,
    keep: Callable[[str], bool] | None = None,
) -> CsvTable:
    """Read a headed CSV into string columns, counting rows with the wrong field count.

    ``keep`` chooses which header names are kept; the others are never turned into
    columns, so a file full of personal details (Uber's profile) never lands in a frame.
    A regular file (one physical line per record, every row as wide as the header) is
    read by Arrow's C++ reader, its records numbered from the header down; any other file
    is read row by row so that every record keeps its exact line and every bad row is
    counted where it is.
    """
    text = decode_text(ref, report)
    header, header_end = _read_header(csv.reader(io.StringIO(text, newline="")))
    names = [name for name in header if keep is None or keep(name)]
    table = _read_regular(text, header, header_end, names)
    if table is None:
        table = _read_row_by_row(text, header, header_end, names, report)
    report.rows_read = len(table) + report.skipped_total
    return table


def _read_regular(text: str, header: list[str], header_end: int, names: list[str]) -> CsvTable | None:
    """The fast path, or None when the file is not regular enough for exact line numbers."""
    if header_end != 1 or len(set(header)) != len(header) or text.count("\r") != text.count("\r\n"):
        return None
    irregular: list[int] = []

    def note_invalid(row: pacsv.InvalidRow) -> str:
        irregular.append(row.actual_columns)
        return "skip"

    try:
        arrow = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=note_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                include_columns=names,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if irregular or lines != 1 + arrow.num_rows:
        return None  # blank lines, line breaks inside values or bad rows: number them exactly
    columns = LazyColumns({name: functools.partial(_arrow_column, arrow, name) for name in names})
    return CsvTable(header, columns, np.arange(2, 2 + arrow.num_rows, dtype="int64"))


def _arrow_column(arrow: pa.Table, name: str) -> pd.Series:
    return _blank_to_missing(arrow.column(name).to_pandas(types_mapper=_as_string).reset_index(drop=True))


def _as_string(arrow_type: pa.DataType) -> pd.StringDtype | None:
    return pd.StringDtype() if arrow_type == pa.string() else None


def _read_row_by_row(
    text: str, header: list[str], header_end: int, names: list[str], report: ImportReport
) -> CsvTable:
    reader = csv.reader(io.StringIO(text, newline=""))
    # header_end counts lines, the reader counts records: a quoted field spanning lines (or an
    # unclosed quote running to the end) makes them differ, so skip by the lines consumed.
    while reader.line_num < header_end:
        if next(reader, None) is None:
            break
    wanted = [header.index(name) for name in names]
    width = len(header)
    rows: list[list[str]] = []
    starts: list[int] = []
    line_before = header_end
    try:
        for row in reader:
            start = line_before + 1
            line_before = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line is not a record
            if len(row) != width:
                report.skip(start, f"has {len(row)} fields where the header has {width}")
                continue
            rows.append([row[i] for i in wanted])
            starts.append(start)
    except csv.Error as error:
        # An unclosed quote swallows the rest of the file: keep what was read before it.
        report.notes.append(f"reading stopped at line {reader.line_num}: {error}")
    values = list(zip(*rows)) if rows else [() for _ in names]
    columns = LazyColumns(
        {name: functools.partial(_text_column, column) for name, column in zip(names, values)}
    )
    return CsvTable(header, columns, np.asarray(starts, dtype="int64"))


def _text_column(values: Sequence[str]) -> pd.Series:
    return _blank_to_missing(pd.Series(list(values), dtype="string"))


def _read_header(reader: Iterable[list[str]]) -> tuple[list[str], int]:
    try:
        for row in reader:
            if row and any(field.strip() for field in row):
                header = [field.strip().lstrip("\ufeff") for field in row]
                return header, reader.line_num  # type: ignore[attr-defined]
    except csv.Error as error:
        raise BadInput(f"the header line is not valid CSV: {error}") from None
    raise BadInput("the file has no CSV header line")


def _blank_to_missing(values: pd.Series) -> pd.Series:
    values = values.str.strip()
    return values.mask(values == "")


def require_columns(
    table: CsvTable, wanted: Mapping[str, tuple[str, ...]], what: str
) -> dict[str, pd.Series]:
    """The wanted columns by role; a clear error naming every missing one.

    ``wanted`` maps a role to the header names that can hold it (aliases), e.g.
    ``{"pickup_address": ("begintrip_address", "begintrip_string")}``.
    """
    found: dict[str, pd.Series] = {}
    missing: list[str] = []
    for role, aliases in wanted.items():
        column = table.column(*aliases)
        if column is None:
            missing.append(" or ".join(aliases))
        else:
            found[role] = column
    if missing:
        raise BadInput(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; expected {what}"
        )
    return found


def optional_columns(table: CsvTable, wanted: Mapping[str, tuple[str, ...]]) -> dict[str, pd.Series]:
    """The columns present among ``wanted`` (role -> aliases); absent roles are left out."""
    return {
        role: column for role, aliases in wanted.items() if (column := table.column(*aliases)) is not None
    }


# --- Times ------------------------------------------------------------------------------


def provider_times(values: pd.Series) -> pd.Series:
    """Parse ``... +0000 UTC``, ``... UTC`` and ISO strings to UTC; unreadable -> NaT.

    A time without an offset is read as UTC, the convention of every file these
    importers read. Placeholders (1970) are still present here; see :func:`clean_times`.
    """
    text = values.astype("string").str.replace(_TRAILING_UTC, "", regex=True)
    return iso_to_utc(text)


def clean_times(
    values: pd.Series, report: ImportReport, what: str, parsed: pd.Series | None = None
) -> pd.Series:
    """Times of an optional column: placeholders and unreadable values become missing.

    Each kind of problem is counted once in a note naming the column (``what``), so the
    person sees that Uber's 1970 placeholders were recognised and not taken as trips.
    """
    times = provider_times(values) if parsed is None else parsed
    present = values.notna()
    placeholder = times.notna() & (times < EARLIEST)
    too_late = times.notna() & (times >= LATEST)
    unreadable = present & times.isna()
    if placeholder.any():
        report.notes.append(
            f"{int(placeholder.sum())} {what} values were the 1970-01-01 placeholder written on trips "
            "that never began or ended; read as missing"
        )
    if too_late.any():
        report.notes.append(f"{int(too_late.sum())} {what} values were after 2100; read as missing")
    if unreadable.any():
        sample = values[unreadable].iloc[0]
        report.notes.append(
            f"{int(unreadable.sum())} {what} values were not a time (e.g. {sample!r}); read as missing"
        )
    return times.mask(placeholder | too_late)


def required_times(
    values: pd.Series, report: ImportReport, records: np.ndarray, what: str
) -> tuple[pd.Series, np.ndarray]:
    """Times a row cannot do without (the request time): rows without one are skipped.

    Returns the times and the mask of rows kept.
    """
    times = provider_times(values)
    missing = values.isna().to_numpy()
    bad = (times.isna() | (times < EARLIEST) | (times >= LATEST)).to_numpy() & ~missing
    report.skip_many(records[missing], f"no {what}")
    if bad.any():
        sample = values[bad].iloc[0]
        report.skip_many(records[bad], f"{what} is not a time between 1990 and 2100 (e.g. {sample!r})")
    return times, ~(missing | bad)


def offsets_from_zones(utc: pd.Series, zones: pd.Series, report: ImportReport) -> pd.Series:
    """Local UTC offset in minutes from an IANA zone name per row (Uber's ``timezone``).

    Converted once per distinct zone, so a file with thousands of trips in three cities
    costs three conversions. Unknown zone names leave the offset missing, with a note.
    """
    offsets = pd.Series(pd.NA, index=utc.index, dtype="Int32")
    zones = zones.astype("string").str.strip()
    unknown: list[str] = []
    for zone in zones.dropna().unique():
        rows = (zones == zone).fillna(False) & utc.notna()
        if not rows.any():
            continue
        try:
            local = utc[rows].dt.tz_convert(str(zone))
        except (KeyError, ValueError, OSError):
            # zoneinfo's "not found" is a KeyError; a name too long for a file name, or naming a
            # folder of zones ("America"), is an OSError from the lookup on disk.
            unknown.append(str(zone))
            continue
        minutes = (local.dt.tz_localize(None) - utc[rows].dt.tz_localize(None)) / pd.Timedelta(minutes=1)
        offsets[rows] = minutes.round().astype("Int32")
    if unknown:
        shown = [name if len(name) <= 40 else name[:37] + "..." for name in sorted(unknown)[:5]]
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        report.notes.append(f"time zone name(s) not recognised: {', '.join(shown)}{more}")
    return offsets


def offsets_from_wall_clock(local_text: pd.Series, utc: pd.Series) -> pd.Series:
    """Offset in minutes from a local wall-clock column that carries a false ``Z``.

    Uber's 2023+ ``*_local`` columns are local time written with a ``Z`` (formats.md
    §3.1 (B)): read as if UTC, their difference from the true UTC column is the offset.
    Rounded to 15 minutes; differences beyond ±14 h are not offsets and stay missing.
    """
    as_if_utc = iso_to_utc(local_text)
    minutes = (as_if_utc - utc) / pd.Timedelta(minutes=1)
    minutes = (minutes / 15).round() * 15
    minutes = minutes.where(minutes.abs() <= 14 * 60)
    return pd.Series(pd.array(minutes, dtype="Float64")).round().astype("Int32").set_axis(utc.index)


# --- Values -----------------------------------------------------------------------------


def coordinates(lat_text: pd.Series | None, lon_text: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Latitude and longitude as floats; missing, off-globe and (0, 0) become NaN."""
    if lat_text is None or lon_text is None:
        length = len(lat_text) if lat_text is not None else len(lon_text) if lon_text is not None else 0
        empty = pd.Series(np.full(length, np.nan))
        return empty, empty.copy()
    lat, lon = to_float(lat_text).reset_index(drop=True), to_float(lon_text).reset_index(drop=True)
    ok = valid_coordinates(lat, lon)
    return lat.where(ok), lon.where(ok)


def first_valid_point(
    *pairs: tuple[pd.Series, pd.Series],
) -> tuple[pd.Series, pd.Series]:
    """Row-wise the first pair whose coordinates are both present."""
    lat, lon = pairs[0]
    for other_lat, other_lon in pairs[1:]:
        use = lat.isna() | lon.isna()
        lat, lon = lat.where(~use, other_lat), lon.where(~use, other_lon)
    return lat, lon


def normalise_status(values: pd.Series, report: ImportReport) -> pd.Series:
    """Statuses in the canonical vocabulary; unknown ones kept in lower case, with a note."""
    folded = values.astype("string").str.strip().str.lower().str.replace(r"[\s-]+", "_", regex=True)
    mapped = folded.map(_STATUS_ALIASES).astype("string")
    split = folded == "fare_split"
    if split.any():
        report.notes.append(
            f"{plural(int(split.sum()), 'row')} with status fare_split read as completed "
            "(sources disagree whether these are trips or placeholders)"
        )
    unknown = folded.notna() & mapped.isna()
    if unknown.any():
        names = ", ".join(sorted(folded[unknown].unique()))
        report.notes.append(
            f"{int(unknown.sum())} rows have a status outside the usual ones ({names}); kept as written"
        )
    return mapped.where(~unknown, folded)


@functools.cache
def _currency_lookup() -> dict[str, str]:
    """Folded currency name or code -> ISO 4217 code, from CLDR (Babel) plus aliases."""
    from babel import Locale
    from babel.numbers import list_currencies

    lookup = {code.casefold(): code for code in list_currencies()}
    for code, name in Locale("en").currencies.items():
        lookup[_fold(name)] = code
    lookup.update(_CURRENCY_NAME_ALIASES)
    return lookup


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def currency_codes(values: pd.Series, report: ImportReport) -> pd.Series:
    """ISO 4217 codes from codes (``USD``) or English names (``Kenyan Shilling``).

    A name nobody recognises leaves the currency missing (the row and its amount are
    kept) and is counted in a note naming it, so the person can see what was not read.
    """
    text = values.astype("string").str.strip()
    lookup = _currency_lookup()
    distinct = text.dropna().unique()
    mapping = {value: lookup.get(_fold(str(value))) for value in distinct}
    codes = text.map(mapping).astype("string")
    unknown = text.notna() & codes.isna()
    for name, count in text[unknown].value_counts().sort_index().items():
        report.notes.append(
            f"currency name {name!r} not recognised ({plural(count, 'row')}); currency left missing"
        )
    return codes


def plural(count: int, noun: str) -> str:
    """``1 row``, ``3 rows``: notes read as plain words."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def miles_to_km(values: pd.Series | None) -> pd.Series | None:
    return None if values is None else to_float(values) * MILES_TO_KM


def amounts(values: pd.Series | None, report: ImportReport, what: str) -> pd.Series | None:
    """Money amounts as floats (a leading ``$`` and thousands commas allowed); notes bad ones."""
    if values is None:
        return None
    text = values.astype("string").str.replace(r"^\s*[$€£]|,", "", regex=True)
    numbers = to_float(text)
    bad = values.notna() & numbers.isna()
    if bad.any():
        report.notes.append(
            f"{int(bad.sum())} {what} values were not numbers (e.g. {values[bad].iloc[0]!r}); read as missing"
        )
    return numbers


# --- Orders -----------------------------------------------------------------------------


def group_orders(
    keys: pd.DataFrame,
    values: Mapping[str, pd.Series],
    records: np.ndarray,
    report: ImportReport,
    quantity: pd.Series | None = None,
    price_role: str = "fare",
) -> tuple[dict[str, pd.Series], np.ndarray]:
    """Fold one-row-per-item order files into one row per order, vectorised.

    Rows sharing ``keys`` are one order. Every value takes the order's first row (the
    order price repeats on each item row); ``items`` is the sum of ``quantity``, a
    missing quantity counting as one item. An order whose price differs between its rows
    keeps the first and is counted in a note. Returns columns and each order's first
    record (line), in file order.
    """
    group = (
        keys.reset_index(drop=True).groupby(list(keys.columns), sort=False, dropna=False).ngroup().to_numpy()
    )
    parts = {role: series.reset_index(drop=True) for role, series in values.items()}
    table = pd.DataFrame({"record": records, **parts})
    table["items"] = 1 if quantity is None else to_float(quantity).reset_index(drop=True).fillna(1)
    grouped = table.groupby(group, sort=False)
    orders = grouped.first()
    orders["record"] = grouped["record"].min()
    orders["items"] = grouped["items"].sum()
    if price_role in parts:
        varying = int((grouped[price_role].nunique() > 1).sum())
        if varying:
            report.notes.append(
                f"{plural(varying, 'order')} list different order prices on their item rows; "
                "the first was kept"
            )
    orders = orders.sort_values("record", kind="stable")
    columns = {name: orders[name].reset_index(drop=True) for name in orders.columns if name != "record"}
    return columns, orders["record"].to_numpy(dtype="int64")
