"""Amazon order history: what a person bought, item by item (the ``orders`` kind).

"What you buy" is one of the signals scorers name outright: Sesame's behaviour and
preferences dimension, the Target pregnancy model, Canadian Tire's risky purchases. Two
layouts are read, recognised by their header (the file name never decides):

* **Privacy Central** ("Request Your Data", ``Retail.OrderHistory.1/Retail.OrderHistory.1.csv``
  in the zip, 2020 to today): one row per shipped item::

      Website,Order ID,Order Date,Purchase Order Number,Currency,Unit Price,Unit Price Tax,
      Shipping Charge,Total Discounts,Total Owed,Shipment Item Subtotal,
      Shipment Item Subtotal Tax,ASIN,Product Condition,Quantity,Payment Instrument Type,
      Order Status,Shipment Status,Ship Date,Shipping Option,Shipping Address,
      Billing Address,Carrier Name & Tracking Number,Product Name,Gift Message,
      Gift Sender Name,Gift Recipient Contact Details

  Times are ISO UTC (``2024-10-21T12:00:00Z``, some with milliseconds); empty values are
  written ``Not Applicable`` or ``Not Available``. Exports from 2025 name the total
  ``Total Amount`` and the card ``Payment Method Type``, and may add ``Item Serial Number``.
* **Order history report** (the older "Download order reports" items CSV, also what
  Amazon Business gives): ``Order Date,Order ID,Title,Category,ASIN/ISBN,...,Quantity,
  Purchase Price Per Unit,...,Item Total,...,Currency`` with ``MM/DD/YY`` dates and
  ``$12.99`` amounts. It has Amazon's own product category, which the newer export lacks.

Privacy: addresses, the payment card, gift messages and the gift recipient's contact
details (another person's data) are never read into a frame: only the columns below are
kept as the file is parsed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import EARLIEST, LATEST, iso_to_utc, nullable_int

IMPORTER_ID = "amazon-orders"
SOURCE = "amazon"

_ROLES: dict[str, tuple[str, ...]] = {
    "store": ("Website",),
    "order_id": ("Order ID",),
    "time": ("Order Date",),
    "currency": ("Currency",),
    "unit_price": ("Unit Price", "Purchase Price Per Unit"),
    "total": ("Total Owed", "Total Amount", "Item Total"),
    "product_id": ("ASIN", "ASIN/ISBN"),
    "quantity": ("Quantity",),
    "status": ("Order Status",),
    "item": ("Product Name", "Title"),
    "category": ("Category",),
}
_KEPT = frozenset(name for names in _ROLES.values() for name in names)
_PLACEHOLDERS = ("Not Applicable", "Not Available", "N/A")


def sniff(head: Head) -> float:
    """An order id, an order date, an ASIN and a product name in the header."""
    fields = set(rc.header_fields(head))
    if (
        {"Order ID", "Order Date"} <= fields
        and fields & {"ASIN", "ASIN/ISBN"}
        and fields
        & {
            "Product Name",
            "Title",
        }
    ):
        return 0.95
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read every ordered item; rows without a readable order date are skipped."""
    # Only the columns named in _ROLES are ever turned into columns: never an address.
    table = rc.read_csv_table(ref, report, keep=lambda name: name in _KEPT)
    columns = {
        role: _clean(column)
        for role, column in rc.require_columns(
            table,
            {r: _ROLES[r] for r in ("order_id", "time", "item")},
            "an Amazon order history CSV (Order ID, Order Date, Product Name)",
        ).items()
    }
    columns.update(
        {role: _clean(c) for role, c in rc.optional_columns(table, _ROLES).items() if role not in columns}
    )
    records = table.records
    with_t = columns["time"].str.contains("T", regex=False).fillna(False).to_numpy(dtype=bool)
    iso = bool(with_t.sum() * 2 > len(with_t))  # ISO times hold a "T"; report dates never do
    report.detail = "Privacy Central order history" if iso else "order history report (dates only)"

    if iso:
        times = iso_to_utc(columns["time"])
        has_time = times.notna().to_numpy()
        report.timezone = "UTC as written (ISO with Z); local time comes from --timezone"
    else:
        times = pd.to_datetime(columns["time"].str.strip(), format="%m/%d/%y", errors="coerce")
        long = pd.to_datetime(columns["time"].str.strip(), format="%m/%d/%Y", errors="coerce")
        times = times.where(times.notna(), long).dt.tz_localize("UTC")
        has_time = np.zeros(len(records), dtype=bool)
        report.timezone = "dates only: hour-of-day rules abstain"
    missing = columns["time"].isna().to_numpy()
    bad = (times.isna() | (times < EARLIEST) | (times >= LATEST)).to_numpy() & ~missing
    report.skip_many(records[missing], "no Order Date")
    if bad.any():
        sample = columns["time"][bad].iloc[0]
        report.skip_many(records[bad], f"Order Date is not a date (e.g. {sample!r})")
    no_item = columns["item"].isna().to_numpy() & ~(missing | bad)
    report.skip_many(records[no_item], "no product name")
    keep = ~(missing | bad | no_item)

    data: dict[str, object] = {
        "time": times[keep],
        "utc_offset_min": pd.array(np.where(has_time[keep], pd.NA, 0), dtype="Int32"),
        "has_time": has_time[keep],
        "order_id": columns["order_id"][keep].to_numpy(),
        "item": columns["item"][keep].to_numpy(),
        "provider": SOURCE,
    }
    for role in ("product_id", "store", "category"):
        if role in columns:
            data[role] = columns[role][keep].to_numpy()
    for role in ("unit_price", "total"):
        if role in columns:
            data[role] = rc.amounts(columns[role].str.strip("'"), report, _ROLES[role][0])[keep].to_numpy()
    if "quantity" in columns:
        data["quantity"] = nullable_int(columns["quantity"][keep].to_numpy())
    if "status" in columns:
        data["status"] = columns["status"][keep].str.strip().str.lower().to_numpy()
    if "currency" in columns:
        data["currency"] = rc.currency_codes(
            columns["currency"][keep].reset_index(drop=True), report
        ).to_numpy()
    return {
        "orders": frame("orders", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=records[keep])
    }


def _clean(values: pd.Series) -> pd.Series:
    """Amazon's ``Not Applicable`` / ``Not Available`` placeholders become missing."""
    text = values.astype("string")
    return text.mask(text.str.strip().isin(_PLACEHOLDERS))


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Amazon order history (Request Your Data, order reports)",
        kinds=("orders",),
        sniff=sniff,
        load=load,
    ),
)
