"""Uber Eats orders: ``Eats/user_orders-N.csv`` (2023+) and ``eats_order_details.csv`` (older).

Both list one row per *item*, the order's price repeated on each; orders are folded
into one trips row each (service ``delivery``, product ``Eats``, provider ``uber``), with
``items`` the sum of the item quantities (formats.md §3.1, "Other files" and (A)).

2023+ ``user_orders-0.csv``: ``City_Name,Restaurant_Name,Request_Time_Local,
Final_Delivery_Time_Local,Order_Status,Item_Name,Item_quantity,Customizations,
Customization_Cost_Local,Special_Instructions,Item_Price,Order_Price,Currency``. An order
is the rows sharing (``Request_Time_Local``, ``Restaurant_Name``); its fare is
``Order_Price``; ``City_Name`` is the account's zone, not where the food went.
Time zone, UNCERTAIN: one parser says the "Local" stamps are really UTC, another treats
them like the trips' false-``Z`` local times (formats.md §6). This importer reads them as
UTC, as their ``Z`` says, and leaves the offset missing so that local hours come from
``--timezone``: the choice that keeps the time column truthful under the parser that
checked, and that needs no convention the model lacks. If they prove local, hours are
off by the local offset (docs/formats-uncertain.md).

Older ``eats_order_details.csv``: ``Territory?, Restaurant ID, Order ID, Order Time,
Order Status, Item Name, Customizations, Special Instructions, Item Price, Order Price,
Currency`` with ``Order Time`` as ``2019-05-03 18:20:11 +0000 UTC``. An order is an
``Order ID``. Restaurant names live in ``eats_restaurant_names.csv`` (``Restaurant ID,
Restaurant Name``) beside it: the importer reads that file from the same folder or archive
folder when it is there and names the merchant; otherwise the merchant is the restaurant
ID, with a note. The names file itself is claimed too and yields no rows, so that it is
listed as read rather than unknown.

Statuses read as in the trips files (``canceled`` becomes ``rider_canceled``; who
cancelled an order is not stated).

Item names, customisations and special instructions stay out of the frames: they are
free text (often with a door code or a name) that no rule needs.
"""

from __future__ import annotations

import posixpath
import zipfile

import numpy as np
import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import nullable_int

IMPORTER_ID = "uber-eats"
SOURCE = "uber"
RESTAURANT_NAMES_FILE = "eats_restaurant_names.csv"

USER_ORDERS_HEADER = (
    "City_Name,Restaurant_Name,Request_Time_Local,Final_Delivery_Time_Local,Order_Status,Item_Name,"
    "Item_quantity,Customizations,Customization_Cost_Local,Special_Instructions,Item_Price,Order_Price,Currency"
).split(",")
USER_ORDERS_REQUIRED = {
    "requested": ("Request_Time_Local",),
    "merchant": ("Restaurant_Name",),
    "fare": ("Order_Price",),
    "currency": ("Currency",),
}
USER_ORDERS_OPTIONAL = {
    "end": ("Final_Delivery_Time_Local",),
    "status": ("Order_Status",),
    "city": ("City_Name",),
    "quantity": ("Item_quantity",),
}

DETAILS_REQUIRED = {
    "order": ("Order ID",),
    "restaurant": ("Restaurant ID",),
    "requested": ("Order Time",),
    "fare": ("Order Price",),
    "currency": ("Currency",),
}
DETAILS_OPTIONAL = {"status": ("Order Status",), "city": ("Territory",)}
DETAILS_SIGNATURE = frozenset({"Restaurant ID", "Order ID", "Order Time"})
NAMES_HEADER = ["Restaurant ID", "Restaurant Name"]


def sniff(head: Head) -> float:
    """Recognise the orders files and the restaurant-names file by their headers."""
    fields = rc.header_fields(head)
    present = set(fields)
    if fields == USER_ORDERS_HEADER:
        return 0.95
    if {"Request_Time_Local", "Restaurant_Name"} <= present:
        return 0.6  # columns are missing or renamed: load names what it lacks
    if DETAILS_SIGNATURE <= present:
        return 0.95 if {"Order Price", "Currency"} <= present else 0.6
    if fields == NAMES_HEADER:
        return 0.9
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read one Eats file: orders become trips rows; the names file yields none."""
    table = rc.read_csv_table(ref, report)
    present = set(table.header)
    if table.header == NAMES_HEADER:
        report.detail = "Uber Eats restaurant names"
        report.notes.append(
            f"{rc.plural(len(table), 'restaurant name')}; they name the merchants of eats_order_details.csv "
            "when it is read from the same folder"
        )
        return {}
    if DETAILS_SIGNATURE <= present:
        return _load_order_details(ref, table, report)
    if {"Request_Time_Local", "Restaurant_Name"} <= present:
        return _load_user_orders(ref, table, report)
    raise BadInput("the header is not an Uber Eats orders layout (expected Request_Time_Local or Order ID)")


def _load_user_orders(ref: FileRef, table: rc.CsvTable, report: ImportReport) -> dict[str, pd.DataFrame]:
    report.detail = "Uber Eats user_orders (2023+, one row per item)"
    report.timezone = (
        "Request_Time_Local read as UTC, as its Z says (UNCERTAIN: it may be local wall-clock time); "
        "local time from --timezone"
    )
    columns = {
        **rc.optional_columns(table, USER_ORDERS_OPTIONAL),
        **rc.require_columns(table, USER_ORDERS_REQUIRED, "Uber Eats user_orders-0.csv"),
    }
    requested, keep = rc.required_times(columns["requested"], report, table.records, "Request_Time_Local")
    keys = pd.DataFrame({"time": requested[keep], "merchant": columns["merchant"][keep].fillna("")})
    values = {
        "requested": requested,
        "end": rc.clean_times(columns["end"], report, "Final_Delivery_Time_Local")
        if "end" in columns
        else None,
        "fare": rc.amounts(columns["fare"], report, "Order_Price"),
        "currency": columns["currency"],
        "merchant": columns["merchant"],
        "status": columns.get("status"),
        "city": columns.get("city"),
    }
    return _orders_frame(ref, report, keys, values, table, keep, columns.get("quantity"))


def _load_order_details(ref: FileRef, table: rc.CsvTable, report: ImportReport) -> dict[str, pd.DataFrame]:
    report.detail = "Uber Eats eats_order_details (older export, one row per item)"
    report.timezone = "UTC in the file (+0000 UTC); local time from --timezone"
    columns = {
        **rc.optional_columns(table, DETAILS_OPTIONAL),
        **rc.require_columns(table, DETAILS_REQUIRED, "Uber Eats eats_order_details.csv"),
    }
    requested, keep = rc.required_times(columns["requested"], report, table.records, "Order Time")
    # An order is its Order ID; rows without one fall back to the time and restaurant.
    order = columns["order"].fillna(columns["requested"] + "|" + columns["restaurant"].fillna(""))
    keys = pd.DataFrame({"order": order[keep]})
    values = {
        "requested": requested,
        "fare": rc.amounts(columns["fare"], report, "Order Price"),
        "currency": columns["currency"],
        "merchant": _restaurant_names(ref, columns["restaurant"], report),
        "status": columns.get("status"),
        "city": columns.get("city"),
    }
    return _orders_frame(ref, report, keys, values, table, keep, None)


def _orders_frame(
    ref: FileRef,
    report: ImportReport,
    keys: pd.DataFrame,
    values: dict[str, pd.Series | None],
    table: rc.CsvTable,
    keep: np.ndarray,
    quantity: pd.Series | None,
) -> dict[str, pd.DataFrame]:
    kept = {role: series[keep] for role, series in values.items() if series is not None}
    orders, records = rc.group_orders(
        keys, kept, table.records[keep], report, quantity=None if quantity is None else quantity[keep]
    )
    data: dict[str, object] = {
        **{role: orders[role] for role in ("requested", "end", "fare", "merchant", "city") if role in orders},
        "currency": rc.currency_codes(orders["currency"], report),
        "items": nullable_int(orders["items"]),
        "service": "delivery",
        "product": "Eats",
        "provider": SOURCE,
    }
    if "status" in orders:
        data["status"] = rc.normalise_status(orders["status"], report)
    trips = frame("trips", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=records)
    return {"trips": trips}


def _restaurant_names(ref: FileRef, restaurant_ids: pd.Series, report: ImportReport) -> pd.Series:
    """Restaurant names from the names file beside the details file, else the IDs."""
    names = _read_names_beside(ref, report)
    if names is None:
        report.notes.append(
            f"{RESTAURANT_NAMES_FILE} was not found beside this file: merchants are the restaurant IDs"
        )
        return restaurant_ids
    named = restaurant_ids.map(names).astype("string")
    unnamed = restaurant_ids.notna() & named.isna()
    if unnamed.any():
        report.notes.append(
            f"{rc.plural(int(restaurant_ids[unnamed].nunique()), 'restaurant ID')} not in "
            f"{RESTAURANT_NAMES_FILE}: the ID stands as the merchant"
        )
    return named.where(~unnamed, restaurant_ids)


def _read_names_beside(ref: FileRef, report: ImportReport) -> dict[str, str] | None:
    sibling = _sibling(ref, RESTAURANT_NAMES_FILE)
    side_report = ImportReport(path=sibling.display)
    try:
        table = rc.read_csv_table(sibling, side_report)
    except (FileNotFoundError, KeyError, zipfile.BadZipFile, BadInput):
        return None
    ids, names = table.column("Restaurant ID"), table.column("Restaurant Name")
    if ids is None or names is None:
        return None
    report.notes.append(f"restaurant names read from {sibling.display}")
    pairs = pd.DataFrame({"id": ids, "name": names}).dropna().drop_duplicates("id")
    return dict(zip(pairs["id"], pairs["name"]))


def _sibling(ref: FileRef, name: str) -> FileRef:
    """The file called ``name`` in the same folder (of the same archive) as ``ref``."""
    if ref.members:
        folder = posixpath.dirname(ref.members[-1])
        return FileRef(ref.path, (*ref.members[:-1], posixpath.join(folder, name) if folder else name))
    return FileRef(ref.path.with_name(name))


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Uber Eats orders",
        kinds=("trips",),
        sniff=sniff,
        load=load,
    ),
)
