"""Uber rider trips: the three generations of ``trips_data*.csv`` (formats.md §3.1).

Recognised by the header, never by the file name (the 2023+ file is called
``trips_data-0.csv`` in some exports and ``rider_lifetime_trips-0.csv`` in others):

(A) up to about 2022, ``Uber Data/Rider/trips_data.csv``, Title Case:
    ``City,Product Type,Trip or Order Status,Request Time,Begin Trip Time,...,Fare Currency``.
    Times read ``2018-08-15 19:27:02 +0000 UTC``. Trips that never began carry
    ``1970-01-01 00:00:00 +0000 UTC`` in the begin and drop-off times: a placeholder, read
    as missing, never as a trip in 1970. Statuses ``COMPLETED, CANCELED, DRIVER_CANCELED,
    UNFULFILLED`` become ``completed, rider_canceled, driver_canceled, unfulfilled``.
    Distance is in miles; the fare has an ISO currency code. No local offset is given.

(B) 2023+, about 80 snake_case columns (``city_name, currency_code, timezone, ...,
    request_timestamp_local, request_timestamp_utc, ...``), split into ``-0``, ``-1``...
    files that each carry the header. The ``*_local`` columns end in a false ``Z`` (they
    are local wall-clock time), so times come from ``*_utc`` and the local offset from the
    IANA ``timezone`` column, per row; where that is missing or unknown, from the gap
    between the local and UTC columns. Addresses are ``begintrip_address`` or
    ``begintrip_string``, ``dropoff_address`` or ``destination_string``. ``fare_amount`` is
    the fare Uber charged (fees and tax included) in ``currency_code``. Tips
    (``tip_amount_local_currency``, present in some exports only) are NOT added to the
    fare: adding them where they exist would make fares incomparable across generations
    and exports; their count and total go into a note instead. ``no_car_available``
    reads as ``unfulfilled`` and ``fare_split`` as ``completed`` (sources disagree on
    these rows; docs/formats-uncertain.md). A cancelled trip's drop-off point is the
    destination the rider typed (``destination_lat``) where no drop-off happened.

(C) 2025 short file, 15 columns: ``city,product_type,status,request_time,
    begin_trip_time,...,distance,fare_currency,fare_amount``. Times are ISO with a real
    ``Z``; ``fare_currency`` is a currency *name* (``Kenyan Shilling``) mapped to its ISO
    code; an unknown name leaves the currency missing, with a counted note. Cancelled
    rows have empty begin and drop-off times and may carry a fare > 0 (a cancellation
    fee): the row and its fare are kept. A synthetic sample of this layout writes times
    without an offset and ISO codes: both are read (times as UTC).

Trips are places the person went, but this importer adds no points or visits: the same
ride is often in the location history too, and a later derive stage reads the trips'
coordinates once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import to_float

IMPORTER_ID = "uber-trips"
SOURCE = "uber"


@dataclass(frozen=True)
class Layout:
    """One generation of the trips file: which header names hold which canonical role."""

    name: str
    signature: frozenset[str]  # all present: this generation, even if others are missing
    required: dict[str, tuple[str, ...]]
    optional: dict[str, tuple[str, ...]] = field(default_factory=dict)
    expected: str = ""  # plain words for the missing-column message


TITLE_CASE = Layout(
    name="Uber trips_data.csv (Title Case, up to 2022)",
    signature=frozenset({"Trip or Order Status", "Request Time"}),
    required={
        "status": ("Trip or Order Status",),
        "requested": ("Request Time",),
        "start": ("Begin Trip Time",),
        "end": ("Dropoff Time",),
        "fare": ("Fare Amount",),
        "currency": ("Fare Currency",),
    },
    optional={
        "city": ("City",),
        "product": ("Product Type",),
        "pickup_lat": ("Begin Trip Lat",),
        "pickup_lon": ("Begin Trip Lng",),
        "pickup_address": ("Begin Trip Address",),
        "dropoff_lat": ("Dropoff Lat",),
        "dropoff_lon": ("Dropoff Lng",),
        "dropoff_address": ("Dropoff Address",),
        "distance_miles": ("Distance (miles)",),
    },
    expected="the Title Case header of Uber's trips_data.csv (City,Product Type,Trip or Order Status,...)",
)

FULL_EXPORT = Layout(
    name="Uber trips_data-N.csv (2023+ full export, snake_case)",
    signature=frozenset({"request_timestamp_utc", "status"}),
    required={
        "status": ("status",),
        "requested": ("request_timestamp_utc",),
        "start": ("begintrip_timestamp_utc",),
        "end": ("dropoff_timestamp_utc",),
        "fare": ("fare_amount",),
        "currency": ("currency_code",),
    },
    optional={
        "city": ("city_name",),
        "product": ("product_type_name", "global_product_name"),
        "timezone": ("timezone",),
        "requested_local": ("request_timestamp_local",),
        "request_lat": ("request_lat",),
        "request_lon": ("request_lng",),
        "pickup_lat": ("begintrip_lat",),
        "pickup_lon": ("begintrip_lng",),
        "pickup_address": ("begintrip_address", "begintrip_string"),
        "dropoff_lat": ("dropoff_lat",),
        "dropoff_lon": ("dropoff_lng",),
        "destination_lat": ("destination_lat",),
        "destination_lon": ("destination_lng",),
        "dropoff_address": ("dropoff_address", "destination_string"),
        "distance_miles": ("trip_distance_miles",),
        "tip": ("tip_amount_local_currency",),
        "tip_currency": ("tip_currency_code",),
    },
    expected="the snake_case header of Uber's 2023+ trips export (request_timestamp_utc, status, ...)",
)

SHORT_EXPORT = Layout(
    name="Uber trips_data-N.csv (2025 short export)",
    signature=frozenset({"request_time", "begin_trip_time", "status"}),
    required={
        "status": ("status",),
        "requested": ("request_time",),
        "start": ("begin_trip_time",),
        "end": ("dropoff_time",),
        "fare": ("fare_amount",),
        "currency": ("fare_currency",),
    },
    optional={
        "city": ("city",),
        "product": ("product_type",),
        "pickup_lat": ("begintrip_lat",),
        "pickup_lon": ("begintrip_lng",),
        "pickup_address": ("begintrip_address",),
        "dropoff_lat": ("dropoff_lat",),
        "dropoff_lon": ("dropoff_lng",),
        "dropoff_address": ("dropoff_address",),
        "distance_miles": ("distance",),
    },
    expected="the header of Uber's 2025 trips_data-0.csv (city,product_type,status,request_time,...)",
)

LAYOUTS: tuple[Layout, ...] = (TITLE_CASE, FULL_EXPORT, SHORT_EXPORT)
# The 2023+ file has ~90 columns; only these become columns in memory.
_KNOWN_COLUMNS = frozenset(
    alias
    for layout in LAYOUTS
    for aliases in (*layout.required.values(), *layout.optional.values())
    for alias in aliases
)


def _layout_for(fields: list[str]) -> tuple[Layout, bool] | None:
    """The generation whose signature the header carries, and whether it is complete."""
    present = set(fields)
    for layout in LAYOUTS:
        if layout.signature <= present:
            complete = all(any(a in present for a in aliases) for aliases in layout.required.values())
            return layout, complete
    return None


def _is_driver_file(head: Head) -> bool:
    # Drivers' own trips (Driver/driver_lifetime_trips-0.csv) are trips the person drove,
    # not rode; their columns are unseen (formats.md §3.1), so they are not claimed.
    path = head.inner_path.replace("\\", "/").lower()
    return head.name.lower().startswith("driver") or "/driver/" in f"/{path}"


def sniff(head: Head) -> float:
    """0.95 on a complete header of any generation; 0.6 when its signature shows but
    columns are missing (so that load can name them); 0 otherwise."""
    if _is_driver_file(head):
        return 0.0
    found = _layout_for(rc.header_fields(head))
    if found is None:
        return 0.0
    return 0.95 if found[1] else 0.6


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read one trips file of any generation into the trips kind."""
    table = rc.read_csv_table(ref, report, keep=_KNOWN_COLUMNS.__contains__)
    found = _layout_for(table.header)
    if found is None:
        raise BadInput(
            "the header is not one of Uber's trips layouts (expected 'Trip or Order Status', "
            "'request_timestamp_utc' or 'request_time' with 'begin_trip_time')"
        )
    layout = found[0]
    report.detail = layout.name
    needed = rc.require_columns(table, layout.required, layout.expected)
    columns = {**rc.optional_columns(table, layout.optional), **needed}
    requested, keep = rc.required_times(columns["requested"], report, table.records, "request time")
    columns = {role: values[keep].reset_index(drop=True) for role, values in columns.items()}
    requested = requested[keep].reset_index(drop=True)
    data = _trip_columns(columns, requested, layout, report)
    trips = frame("trips", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=table.records[keep])
    return {"trips": trips}


def _trip_columns(
    columns: dict[str, pd.Series], requested: pd.Series, layout: Layout, report: ImportReport
) -> dict[str, object]:
    data: dict[str, object] = {
        "requested": requested,
        "start": rc.clean_times(columns["start"], report, "begin trip time"),
        "end": rc.clean_times(columns["end"], report, "drop-off time"),
        "status": rc.normalise_status(columns["status"], report),
        "fare": rc.amounts(columns["fare"], report, "fare"),
        "currency": rc.currency_codes(columns["currency"], report),
        "distance_km": rc.miles_to_km(columns.get("distance_miles")),
        "product": columns.get("product"),
        "city": columns.get("city"),
        "pickup_address": columns.get("pickup_address"),
        "dropoff_address": columns.get("dropoff_address"),
        "service": "ride",
        "provider": SOURCE,
    }
    pickup = rc.coordinates(columns.get("pickup_lat"), columns.get("pickup_lon"))
    dropoff = rc.coordinates(columns.get("dropoff_lat"), columns.get("dropoff_lon"))
    if layout is FULL_EXPORT:
        # A trip that never began has no begin point; where the rider stood when asking
        # for it is still a place they were. No drop-off: the destination they typed.
        pickup = rc.first_valid_point(
            pickup, rc.coordinates(columns.get("request_lat"), columns.get("request_lon"))
        )
        dropoff = rc.first_valid_point(
            dropoff, rc.coordinates(columns.get("destination_lat"), columns.get("destination_lon"))
        )
        data["utc_offset_min"] = _full_export_offsets(columns, requested, report)
        _note_tips(columns, report)
    data["pickup_lat"], data["pickup_lon"] = pickup
    data["dropoff_lat"], data["dropoff_lon"] = dropoff
    report.timezone = _timezone_words(layout)
    if layout is not FULL_EXPORT:
        _note_times_without_offset(columns["requested"], report)
    return {key: value for key, value in data.items() if value is not None}


def _full_export_offsets(
    columns: dict[str, pd.Series], requested: pd.Series, report: ImportReport
) -> pd.Series:
    offsets = pd.Series(pd.NA, index=requested.index, dtype="Int32")
    if "timezone" in columns:
        offsets = rc.offsets_from_zones(requested, columns["timezone"], report)
    if "requested_local" in columns:
        fallback = rc.offsets_from_wall_clock(columns["requested_local"], requested)
        filled = offsets.isna() & fallback.notna()
        if filled.any():
            report.notes.append(
                f"{rc.plural(int(filled.sum()), 'trip')} without a usable timezone name: local offset taken "
                "from the gap between request_timestamp_local and request_timestamp_utc"
            )
        offsets = offsets.where(offsets.notna(), fallback)
    return offsets


def _note_tips(columns: dict[str, pd.Series], report: ImportReport) -> None:
    if "tip" not in columns:
        return
    tips = to_float(columns["tip"])
    tipped = tips.fillna(0) > 0
    if not tipped.any():
        return
    currencies = columns.get("tip_currency")
    totals = (
        tips[tipped].groupby(currencies[tipped].fillna("?")).sum()
        if currencies is not None
        else pd.Series({"(no currency)": tips[tipped].sum()})
    )
    total = ", ".join(f"{amount:.2f} {code}" for code, amount in totals.items())
    report.notes.append(
        f"{int(tipped.sum())} trips have a tip (tip_amount_local_currency, {total} in all); "
        "tips are not added to the fare"
    )


def _note_times_without_offset(requested_text: pd.Series, report: ImportReport) -> None:
    # Real files always say UTC (Z or +0000 UTC); a file without it was made by hand or
    # by another tool, and the person should know its times were taken as UTC.
    stated = requested_text.str.contains(r"(?:Z|[+-]\d{2}:?\d{2}|UTC)\s*$", regex=True, case=False)
    bare = int((~stated.fillna(True)).sum())
    if bare:
        report.notes.append(f"{rc.plural(bare, 'request time')} carry no UTC offset; read as UTC")


def _timezone_words(layout: Layout) -> str:
    if layout is FULL_EXPORT:
        return (
            "UTC from the *_utc columns; local offset per trip from the timezone column "
            "(the *_local columns carry a false Z and are only a fallback)"
        )
    if layout is TITLE_CASE:
        return "UTC in the file (+0000 UTC); local time from --timezone"
    return "UTC in the file (Z); local time from --timezone"


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Uber rider trips (trips_data, every generation)",
        kinds=("trips",),
        sniff=sniff,
        load=load,
    ),
)
