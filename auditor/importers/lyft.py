"""Lyft rider export: rides, payments and ratings (formats.md §3.2, LIKELY: one source).

What is known comes from one rideshare data-donation app, which matches the files of
the Lyft zip by substring. Nothing here was checked against a real Lyft export:

* ``*passenger_rides*.csv``: ``status`` (``finished``), ``requested_timestamp,
  requested_lat, requested_lng, pickup_timestamp, pickup_lat, pickup_lng,
  dropoff_timestamp, dropoff_lat, dropoff_lng``. Rows become trips (service ``ride``,
  provider ``lyft``). ``finished`` reads as ``completed`` and ``canceled`` as
  ``rider_canceled`` (who cancelled is not stated). Rides carry no fare.
* ``*payments_from_user*.csv``: ``created_at, amount``. Amounts live here, not on the
  rides. The importer contract reads one file at a time, so payments load as what they
  are, money the person paid Lyft: transactions (amount negative = money out,
  counterparty ``Lyft``, currency from a ``currency`` column when there is one, else
  missing). Giving each ride its fare needs both files: :func:`attach_payments` does it
  on the canonical frames (nearest payment within ±2 minutes of the ride's end, else its
  request, each payment used once), for the derive stage to call once everything is
  loaded. The importer never guesses a fare onto a ride.
* ``*user_ratings*.csv``: ``average_rating, role`` (``passenger`` or ``driver``): the
  person's current average in each role, an aggregate rating received, scale 5, with
  the role kept in the ratings table's ``role`` column.

Timestamps look like ``2024-03-14 06:51:38 UTC``; ISO strings are read too. No local
offset is given, so local time comes from ``--timezone``. The exact file names and full
column sets are UNCERTAIN (docs/formats-uncertain.md); the importers go by header and
name the columns they lack.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import to_float

SOURCE = "lyft"
PAYMENT_MATCH_TOLERANCE = pd.Timedelta(minutes=2)

RIDES_REQUIRED = {
    "status": ("status",),
    "requested": ("requested_timestamp",),
    "start": ("pickup_timestamp",),
    "end": ("dropoff_timestamp",),
}
RIDES_OPTIONAL = {
    "requested_lat": ("requested_lat",),
    "requested_lon": ("requested_lng",),
    "pickup_lat": ("pickup_lat",),
    "pickup_lon": ("pickup_lng",),
    "dropoff_lat": ("dropoff_lat",),
    "dropoff_lon": ("dropoff_lng",),
}
PAYMENTS_REQUIRED = {"time": ("created_at",), "amount": ("amount",)}
PAYMENTS_OPTIONAL = {"currency": ("currency", "currency_code")}
RATINGS_REQUIRED = {"value": ("average_rating",), "role": ("role",)}
TIMEZONE_WORDS = "UTC in the file (... UTC); local time from --timezone"


# --- Rides ------------------------------------------------------------------------------


def sniff_rides(head: Head) -> float:
    """``requested_timestamp`` with Lyft's pickup/dropoff timestamps."""
    present = set(rc.header_fields(head))
    if "requested_timestamp" not in present:
        return 0.0
    if set(sum(RIDES_REQUIRED.values(), ())) <= present:
        return 0.9
    return 0.6 if present & {"pickup_timestamp", "dropoff_timestamp"} else 0.0


def load_rides(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Lyft rides into trips; fares come later from the payments (see attach_payments)."""
    table = rc.read_csv_table(ref, report)
    report.detail = "Lyft passenger rides"
    report.timezone = TIMEZONE_WORDS
    columns = {
        **rc.optional_columns(table, RIDES_OPTIONAL),
        **rc.require_columns(
            table, RIDES_REQUIRED, "Lyft passenger_rides (status, requested_timestamp, ...)"
        ),
    }
    requested, keep = rc.required_times(columns["requested"], report, table.records, "requested_timestamp")
    columns = {role: values[keep].reset_index(drop=True) for role, values in columns.items()}
    pickup = rc.first_valid_point(
        rc.coordinates(columns.get("pickup_lat"), columns.get("pickup_lon")),
        rc.coordinates(columns.get("requested_lat"), columns.get("requested_lon")),
    )
    dropoff = rc.coordinates(columns.get("dropoff_lat"), columns.get("dropoff_lon"))
    data = {
        "requested": requested[keep].reset_index(drop=True),
        "start": rc.clean_times(columns["start"], report, "pickup_timestamp"),
        "end": rc.clean_times(columns["end"], report, "dropoff_timestamp"),
        "status": rc.normalise_status(columns["status"], report),
        "pickup_lat": pickup[0],
        "pickup_lon": pickup[1],
        "dropoff_lat": dropoff[0],
        "dropoff_lon": dropoff[1],
        "service": "ride",
        "provider": SOURCE,
    }
    report.notes.append("Lyft rides carry no fare; the payments file holds the amounts")
    trips = frame("trips", data, ref=ref, importer="lyft-rides", source=SOURCE, records=table.records[keep])
    return {"trips": trips}


# --- Payments ---------------------------------------------------------------------------


def sniff_payments(head: Head) -> float:
    """``created_at, amount``: generic words, so the file name must agree for confidence."""
    fields = rc.header_fields(head)
    if not {"created_at", "amount"} <= set(fields):
        return 0.0
    if "payments_from_user" in head.name.lower():
        return 0.9
    return 0.3 if len(fields) <= 3 else 0.0


def load_payments(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Payments to Lyft as transactions (money out negative)."""
    table = rc.read_csv_table(ref, report)
    report.detail = "Lyft payments from the user"
    report.timezone = TIMEZONE_WORDS
    columns = {
        **rc.optional_columns(table, PAYMENTS_OPTIONAL),
        **rc.require_columns(table, PAYMENTS_REQUIRED, "Lyft payments_from_user (created_at, amount)"),
    }
    times, keep = rc.required_times(columns["time"], report, table.records, "created_at")
    paid = rc.amounts(columns["amount"], report, "amount")
    no_amount = keep & paid.isna().to_numpy()
    report.skip_many(table.records[no_amount], "amount is not a number")
    keep &= ~no_amount
    # A payment from the user is money out of their pocket; a negative one (a refund) in.
    data: dict[str, object] = {
        "time": times[keep],
        "has_time": True,
        "amount": -paid[keep],
        "description": "Lyft payment",
        "counterparty": "Lyft",
    }
    if "currency" in columns:
        data["currency"] = rc.currency_codes(columns["currency"][keep], report)
    else:
        report.notes.append("the file has no currency column; currency left missing")
    frames = frame(
        "transactions", data, ref=ref, importer="lyft-payments", source=SOURCE, records=table.records[keep]
    )
    return {"transactions": frames}


def attach_payments(
    trips: pd.DataFrame, transactions: pd.DataFrame, tolerance: pd.Timedelta = PAYMENT_MATCH_TOLERANCE
) -> pd.DataFrame:
    """Lyft rides with their fare from the nearest Lyft payment in time (derive stage).

    A ride's time is its drop-off, else its request; the nearest payment within
    ``tolerance`` is its fare, and each payment pays at most one ride (the closest).
    Rides that already have a fare, and everything not from Lyft, are left as they are.
    Returns a new frame; the inputs are not changed.
    """
    result = trips.copy()
    rides = result.index[
        (result["provider"] == SOURCE).fillna(False).to_numpy() & result["fare"].isna().to_numpy()
    ]
    paid = transactions[(transactions["source"] == SOURCE) & transactions["time"].notna()]
    if len(rides) == 0 or len(paid) == 0:
        return result
    ride_time = result.loc[rides, "end"].fillna(result.loc[rides, "requested"])
    left = pd.DataFrame({"ride": rides, "at": ride_time.to_numpy()}).dropna().sort_values("at")
    right = pd.DataFrame(
        {
            "payment": np.arange(len(paid)),
            "paid_at": paid["time"].to_numpy(),
            "amount": -paid["amount"].to_numpy(),
            "currency": paid["currency"].astype("object").to_numpy(),
        }
    ).sort_values("paid_at")
    matched = pd.merge_asof(
        left, right, left_on="at", right_on="paid_at", direction="nearest", tolerance=tolerance
    ).dropna(subset=["payment"])
    matched["gap"] = (matched["at"] - matched["paid_at"]).abs()
    matched = matched.sort_values(["gap", "ride"], kind="stable").drop_duplicates("payment")
    result.loc[matched["ride"].to_numpy(), "fare"] = matched["amount"].to_numpy()
    currency = pd.Series(matched["currency"].to_numpy(), index=matched["ride"].to_numpy())
    with_currency = currency.dropna()
    if len(with_currency):
        result["currency"] = result["currency"].cat.add_categories(
            sorted(set(with_currency) - set(result["currency"].cat.categories))
        )
        result.loc[with_currency.index, "currency"] = with_currency.to_numpy()
    return result


# --- Ratings ----------------------------------------------------------------------------


def sniff_ratings(head: Head) -> float:
    """``average_rating, role``."""
    present = set(rc.header_fields(head))
    if {"average_rating", "role"} <= present:
        return 0.9
    return 0.5 if "average_rating" in present and "user_ratings" in head.name.lower() else 0.0


def load_ratings(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """The person's current average rating per role, as aggregate ratings received."""
    table = rc.read_csv_table(ref, report)
    report.detail = "Lyft user ratings (average per role)"
    report.timezone = "no times in the file: ratings carry no date"
    columns = rc.require_columns(table, RATINGS_REQUIRED, "Lyft user_ratings (average_rating, role)")
    values = to_float(columns["value"])
    bad = ~values.between(1, 5).to_numpy()
    if bad.any():
        report.skip_many(
            table.records[bad], "average_rating is not a rating from 1 to 5 (0 or empty: no ratings yet)"
        )
    roles = columns["role"].astype("string").str.strip().str.lower()
    as_driver = int((roles[~bad] == "driver").sum())
    if as_driver:
        report.notes.append(f"{rc.plural(as_driver, 'rating')} received as a driver (role column 'driver')")
    keep = ~bad
    data = {
        "value": values[keep].to_numpy(),
        "scale": 5.0,
        "direction": "received",
        # One vocabulary across providers: Lyft's "passenger" is Uber's "rider".
        "role": roles[keep].replace({"passenger": "rider"}).to_numpy(),
        "aggregate": True,
        "provider": SOURCE,
    }
    ratings = frame(
        "ratings", data, ref=ref, importer="lyft-ratings", source=SOURCE, records=table.records[keep]
    )
    return {"ratings": ratings}


IMPORTERS = (
    Importer(
        id="lyft-rides", title="Lyft passenger rides", kinds=("trips",), sniff=sniff_rides, load=load_rides
    ),
    Importer(
        id="lyft-payments",
        title="Lyft payments from the user",
        kinds=("transactions",),
        sniff=sniff_payments,
        load=load_payments,
    ),
    Importer(
        id="lyft-ratings",
        title="Lyft ratings (average per role)",
        kinds=("ratings",),
        sniff=sniff_ratings,
        load=load_ratings,
    ),
)
