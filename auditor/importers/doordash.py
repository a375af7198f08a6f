"""DoorDash orders: ``consumer_order_details.csv`` (formats.md §3.3, LIKELY: one source).

Header known from one data-donation app: ``CREATED_AT, DELIVERY_TIME, SUBTOTAL,
STORE_NAME, ITEM, UNIT_PRICE, QUANTITY, DELIVERY_ADDRESS``. The item columns say that a
row is one item, so an order is the rows sharing (``CREATED_AT``, ``STORE_NAME``), folded
into one trips row (service ``delivery``, provider ``doordash``): ``SUBTOTAL`` as the
fare (taken as the order's subtotal, repeated on its rows; an order whose rows differ
keeps the first and is counted), ``items`` the sum of ``QUANTITY``, the delivery address
as the drop-off address, the store as merchant.

UNCERTAIN, as nothing was checked against a real file: the time format (read as ISO or
``YYYY-MM-DD HH:MM:SS``, taken as UTC, so local time from ``--timezone``); whether
SUBTOTAL repeats per order; the currency (no column is known: left missing, with a note,
since DoorDash also bills in CAD, AUD, JPY...). Status: ``completed`` where a delivery
time is given, missing otherwise (the file has no status column). Item names stay out of
the frames.
"""

from __future__ import annotations

import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import nullable_int

IMPORTER_ID = "doordash"
SOURCE = "doordash"
HEADER = [
    "CREATED_AT",
    "DELIVERY_TIME",
    "SUBTOTAL",
    "STORE_NAME",
    "ITEM",
    "UNIT_PRICE",
    "QUANTITY",
    "DELIVERY_ADDRESS",
]
REQUIRED = {
    "requested": ("CREATED_AT",),
    "merchant": ("STORE_NAME",),
    "fare": ("SUBTOTAL",),
}
OPTIONAL = {
    "end": ("DELIVERY_TIME",),
    "dropoff_address": ("DELIVERY_ADDRESS",),
    "quantity": ("QUANTITY",),
    "currency": ("CURRENCY",),
}


def sniff(head: Head) -> float:
    """The upper-case header; 0.6 when only its core shows, so load can name what lacks."""
    fields = rc.header_fields(head)
    if set(HEADER) <= set(fields):
        return 0.9
    return 0.6 if {"CREATED_AT", "STORE_NAME"} <= set(fields) else 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """One trips row per DoorDash order."""
    table = rc.read_csv_table(ref, report)
    report.detail = "DoorDash consumer order details (one row per item)"
    report.timezone = (
        "read as UTC (UNCERTAIN: the format is known from one source); local time from --timezone"
    )
    columns = {
        **rc.optional_columns(table, OPTIONAL),
        **rc.require_columns(
            table, REQUIRED, "DoorDash consumer_order_details.csv (CREATED_AT, STORE_NAME, SUBTOTAL, ...)"
        ),
    }
    requested, keep = rc.required_times(columns["requested"], report, table.records, "CREATED_AT")
    keys = pd.DataFrame({"time": requested[keep], "store": columns["merchant"][keep].fillna("")})
    values = {
        "requested": requested,
        "end": rc.clean_times(columns["end"], report, "DELIVERY_TIME") if "end" in columns else None,
        "fare": rc.amounts(columns["fare"], report, "SUBTOTAL"),
        "merchant": columns["merchant"],
        "dropoff_address": columns.get("dropoff_address"),
        "currency": columns.get("currency"),
    }
    kept = {role: series[keep] for role, series in values.items() if series is not None}
    quantity = columns["quantity"][keep] if "quantity" in columns else None
    orders, records = rc.group_orders(keys, kept, table.records[keep], report, quantity=quantity)
    data: dict[str, object] = {
        **{
            role: orders[role]
            for role in ("requested", "end", "fare", "merchant", "dropoff_address")
            if role in orders
        },
        "items": nullable_int(orders["items"]),
        "service": "delivery",
        "provider": SOURCE,
    }
    if "end" in orders:
        data["status"] = orders["end"].notna().map({True: "completed", False: pd.NA})
    if "currency" in orders:
        data["currency"] = rc.currency_codes(orders["currency"], report)
    else:
        report.notes.append("the file has no currency column; currency left missing")
    trips = frame("trips", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=records)
    return {"trips": trips}


IMPORTERS = (Importer(id=IMPORTER_ID, title="DoorDash orders", kinds=("trips",), sniff=sniff, load=load),)
