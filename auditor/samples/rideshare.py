"""Uber and Lyft data exports (formats.md §3.1, §3.2).

Uber ("Download your data", a zip with the top folder ``Uber Data/``):

* ``Rider/trips_data-0.csv`` in one of two generations: the **2023 full export**
  (``generation="2023"``: about 90 snake_case columns, ``*_local`` times with a false
  ``Z``, fare components in local currency and USD) or the **2025 short file**
  (``generation="2025"``: 15 columns, real ``Z`` times, the currency as a *name*,
  addresses always quoted, floats as Python prints them: ``721.0``, ``0.0``).
  Cancelled trips have no begin or drop-off time and may carry a cancellation fee.
* ``Eats/user_orders-0.csv``: one row per item, the order price repeated on each.
* ``Rider/rider_lifetime_ratings_received-0.csv``: one ``five_star_rating`` per rating.
* ``Account and Profile/user_profile-0.csv``: the current ``Rating`` among profile fields.

Lyft (formats.md §3.2, LIKELY, one source): rides in ``*passenger_rides*.csv`` (no fares),
what was paid in ``*payments_from_user*.csv`` (``created_at, amount``, matched to rides by
time), the average in ``*user_ratings*.csv``. Times read ``2024-03-14 06:51:38 UTC``. The
real file names and full column sets are not known; the columns here are exactly the ones
formats.md names, nothing invented beside them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from auditor.samples.formatting import csv_text, iso_z_ms
from auditor.samples.life import Life, Ride
from auditor.samples.output import Archive, ZipTime
from auditor.samples.truth import Truth

UBER_ROOT = "Uber Data"

TRIPS_2023 = [
    "city_name", "currency_code", "timezone", "flow", "client_device", "product_type_name", "global_product_name",
    "profile_type", "request_timestamp_local", "request_timestamp_utc", "request_lat", "request_lng",
    "begintrip_timestamp_local", "begintrip_timestamp_utc", "begintrip_lat", "begintrip_lng", "begintrip_address",
    "dropoff_timestamp_local", "dropoff_timestamp_utc", "dropoff_lat", "dropoff_lng", "destination_lat",
    "destination_lng", "has_destination", "dropoff_address", "eta", "surge_multiplier", "is_surged",
    "is_pool_matched", "request_to_begin_distance_miles", "request_to_begin_duration_seconds", "trip_distance_miles",
    "trip_duration_seconds", "status", "is_completed", "fare_amount", "is_fare_split", "is_flat_rate", "is_cash_trip",
    "promotion_local", "promotion_usd", "credits_local", "credits_usd", "has_client_upfront_fare",
    "client_upfront_fare_local", "client_upfront_fare_usd", "original_fare_local", "original_fare_usd",
    "base_fare_local", "base_fare_usd", "surge_fare_local", "surge_fare_usd", "minimum_fare_roundup_local",
    "minimum_fare_roundup_usd", "per_mile_fare_local", "per_mile_fare_usd", "per_minute_fare_local",
    "per_minute_fare_usd", "cancellation_fee_local", "cancellation_fee_usd", "rounding_down_amount_local",
    "rounding_down_amount_usd", "service_fee_local", "service_fee_usd", "toll_amount_local", "toll_amount_usd",
    "booking_fee_local", "booking_fee_usd", "earnings_boost_local", "earnings_boost_usd",
    "long_distance_surcharge_local", "long_distance_surcharge_usd", "wait_time_fare_local", "wait_time_fare_usd",
    "fare_distance_miles", "fare_duration_minutes", "concierge_source_type", "driver_cancellation_reason",
    "is_multidestination", "cancellation_type", "is_directed_dispatch_trip", "wait_duration_minutes",
    "is_scheduled_trip", "is_airport_trip", "tip_amount_local_currency", "tip_currency_code", "payment_type",
    "client_app_version", "card_number",
]  # fmt: skip
TRIPS_2025 = ["city", "product_type", "status", "request_time", "begin_trip_time", "begintrip_lat", "begintrip_lng", "begintrip_address", "dropoff_time", "dropoff_lat", "dropoff_lng", "dropoff_address", "distance", "fare_currency", "fare_amount"]
USER_ORDERS = ["City_Name", "Restaurant_Name", "Request_Time_Local", "Final_Delivery_Time_Local", "Order_Status", "Item_Name", "Item_quantity", "Customizations", "Customization_Cost_Local", "Special_Instructions", "Item_Price", "Order_Price", "Currency"]
PROFILE = ["First Name", "Last Name", "E-Mail", "Mobile", "Rating", "Signup Date", "Signup Lat", "Signup Lng"]
CURRENCY_NAMES = {"USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound"}
USD_PER = {"USD": 1.0, "GBP": 1.27, "EUR": 1.09}


@dataclass(frozen=True)
class RiderAccount:
    """Who the export belongs to and where the account lives."""

    first_name: str
    last_name: str
    email: str
    mobile: str
    signup: str
    signup_lat: float
    signup_lon: float
    rating: float
    city: str
    timezone: str
    client_device: str = "android"
    card_last4: str = "4417"


def _local_false_z(life: Life, moment: datetime | None) -> str:
    """Uber's ``*_local`` columns: local wall-clock time wearing a ``Z`` it has no right to."""
    if moment is None:
        return ""
    return life.local(moment).strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def _utc(moment: datetime | None) -> str:
    return iso_z_ms(moment) if moment is not None else ""


def _money(value: float) -> str:
    return f"{value:.2f}"


def _trip_row_2023(life: Life, account: RiderAccount, ride: Ride) -> list[object]:
    done = ride.status == "completed"
    usd = USD_PER.get(ride.currency, 1.0)
    miles = round(ride.distance_miles, 2)
    seconds = int((ride.end - ride.begin).total_seconds()) if done and ride.end and ride.begin else 0
    booking = 2.5 if done else 0.0
    per_mile = round(miles * 1.25, 2) if done else 0.0
    per_minute = round(seconds / 60 * 0.15, 2) if done else 0.0
    cancellation = ride.fare if not done else 0.0
    base = round(ride.fare - booking - per_mile - per_minute, 2) if done else 0.0
    wait = int((ride.begin - ride.requested).total_seconds()) if ride.begin else 0
    origin, dest = ride.origin, ride.dest
    begin_lat, begin_lon = (origin.lat, origin.lon) if done else ("", "")
    drop_lat, drop_lon = (dest.lat, dest.lon) if done else ("", "")

    def both(value: float) -> list[str]:
        return [_money(value), _money(value * usd)]

    return [
        account.city, ride.currency, account.timezone, "rides", account.client_device, ride.product, ride.product,
        "Personal", _local_false_z(life, ride.requested), _utc(ride.requested), f"{origin.lat + 0.00011:.6f}",
        f"{origin.lon - 0.00008:.6f}", _local_false_z(life, ride.begin), _utc(ride.begin), begin_lat, begin_lon,
        origin.address if done else "", _local_false_z(life, ride.end), _utc(ride.end), drop_lat, drop_lon,
        dest.lat, dest.lon, "true", dest.address if done else "", 240 + wait % 180, ride.surge,
        "true" if ride.surge > 1 else "false", "false", 0.4 if done else 0, wait, miles, seconds, ride.status,
        "true" if done else "false", _money(ride.fare), "false", "false", "false", "0.00", "0.00", "0.00", "0.00",
        "true" if done else "false", _money(ride.fare) if done else "", _money(ride.fare * usd) if done else "",
        _money(ride.fare) if done else "", _money(ride.fare * usd) if done else "",
        *both(base), *both(0.0), *both(0.0), *both(per_mile), *both(per_minute), *both(cancellation), *both(0.0),
        *both(0.0), *both(0.0), *both(booking), *both(0.0), *both(0.0), *both(0.0),
        miles, round(seconds / 60, 2), "", "", "false", "rider" if ride.status == "rider_canceled" else "", "false",
        round(wait / 60, 2), "false", "false", "", "", "card", "3.598.10001", account.card_last4,
    ]  # fmt: skip


def _trip_row_2025(account: RiderAccount, ride: Ride) -> str:
    """One line of the 2025 short file; written by hand because addresses are always quoted."""
    done = ride.status == "completed"
    origin, dest = ride.origin, ride.dest
    begin_address = origin.address if done else ""
    fields = [
        account.city, ride.product.lower(), ride.status, _utc(ride.requested), _utc(ride.begin) if done else "",
        f"{origin.lat:.6f}", f"{origin.lon:.6f}", _quoted(begin_address), _utc(ride.end) if done else "",
        f"{dest.lat:.6f}", f"{dest.lon:.6f}", _quoted(dest.address), repr(round(ride.distance_miles, 2)),
        CURRENCY_NAMES[ride.currency], repr(round(ride.fare, 2)),
    ]  # fmt: skip
    return ",".join(str(field) for field in fields) + "\n"


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def uber_archive(
    life: Life,
    account: RiderAccount,
    truth: Truth,
    archive_name: str,
    date_time: ZipTime,
    generation: str,
    broken_trip: int | None = None,
) -> Archive:
    """The Uber zip: trips, Eats orders, ratings received and the profile."""
    rides = [r for r in life.rides if r.provider == "uber"]
    trips_path = f"{UBER_ROOT}/Rider/trips_data-0.csv"
    where = f"{archive_name}!{trips_path}"
    if generation == "2023":
        rows = [_trip_row_2023(life, account, ride) for ride in rides]
        if broken_trip is not None:
            rows[broken_trip][9] = "2023-13-32T25:61:00.000Z"  # request_timestamp_utc
            truth.malformed(where, broken_trip + 2, "request_timestamp_utc is not a time (2023-13-32T25:61:00.000Z)")
        trips = csv_text([TRIPS_2023, *rows]).encode()
    else:
        lines = [_trip_row_2025(account, ride) for ride in rides]
        if broken_trip is not None:
            fields = lines[broken_trip].split(",")
            fields[3] = "2025-02-30T08:15:00.000Z"  # request_time: 30 February
            lines[broken_trip] = ",".join(fields)
            truth.malformed(where, broken_trip + 2, "request_time is not a date (2025-02-30T08:15:00.000Z)")
        trips = (",".join(TRIPS_2025) + "\n" + "".join(lines)).encode()
    for number, ride in enumerate(rides):
        if number != broken_trip:
            truth.mark(ride.tags, where, "trips", number + 2, ride.dest.address if ride.status == "completed" else ride.status)
    members: list[tuple[str, bytes]] = [
        (f"{UBER_ROOT}/Account and Profile/user_profile-0.csv", _profile(account)),
        (f"{UBER_ROOT}/Eats/user_orders-0.csv", _user_orders(life, account, truth, archive_name)),
        (f"{UBER_ROOT}/Rider/rider_lifetime_ratings_received-0.csv", _ratings(life, truth, archive_name)),
        (trips_path, trips),
    ]
    return Archive(members, date_time)  # type: ignore[arg-type]


def _profile(account: RiderAccount) -> bytes:
    row = [account.first_name, account.last_name, account.email, account.mobile, account.rating, account.signup, account.signup_lat, account.signup_lon]
    return csv_text([PROFILE, row]).encode()


def _user_orders(life: Life, account: RiderAccount, truth: Truth, archive_name: str) -> bytes:
    rows: list[list[object]] = [USER_ORDERS]
    where = f"{archive_name}!{UBER_ROOT}/Eats/user_orders-0.csv"
    for order in (o for o in life.orders if o.provider == "uber"):
        truth.mark(order.tags, where, "trips", len(rows) + 1, order.restaurant)
        for item, quantity, price in order.items:
            rows.append([
                account.city, order.restaurant, iso_z_ms(order.requested), _utc(order.delivered), order.status, item,
                quantity, "", 0, "", _money(price), _money(order.total), order.currency,
            ])  # fmt: skip
    return csv_text(rows).encode()


def _ratings(life: Life, truth: Truth, archive_name: str) -> bytes:
    where = f"{archive_name}!{UBER_ROOT}/Rider/rider_lifetime_ratings_received-0.csv"
    for line, value in enumerate(life.ratings_received, start=2):
        if value <= 3 and "service-rating" in truth.descriptions:
            truth.mark(("service-rating",), where, "ratings", line, str(value))
    return ("five_star_rating\n" + "".join(f"{value}\n" for value in life.ratings_received)).encode()


# --- Lyft -------------------------------------------------------------------------------

LYFT_RIDES = [
    "status", "requested_timestamp", "requested_lat", "requested_lng", "pickup_timestamp", "pickup_lat", "pickup_lng",
    "dropoff_timestamp", "dropoff_lat", "dropoff_lng",
]  # fmt: skip


def _lyft_time(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment is not None else ""


def lyft_archive(life: Life, average: float, truth: Truth, archive_name: str, date_time: ZipTime) -> Archive:
    """A Lyft export zip: passenger rides, payments from the user, ratings."""
    rides = [r for r in life.rides if r.provider == "lyft"]
    ride_rows: list[list[object]] = [LYFT_RIDES]
    payment_rows: list[list[object]] = [["created_at", "amount"]]
    rides_file = f"{archive_name}!Lyft/passenger_rides.csv"
    payments_file = f"{archive_name}!Lyft/payments_from_user.csv"
    for ride in rides:
        done = ride.status == "completed"
        origin, dest = ride.origin, ride.dest
        truth.mark(ride.tags, rides_file, "trips", len(ride_rows) + 1, "finished" if done else "canceled")
        ride_rows.append([
            "finished" if done else "canceled", _lyft_time(ride.requested), f"{origin.lat:.5f}", f"{origin.lon:.5f}",
            _lyft_time(ride.begin) if done else "", f"{origin.lat + 0.00008:.5f}" if done else "",
            f"{origin.lon - 0.00005:.5f}" if done else "", _lyft_time(ride.end) if done else "",
            f"{dest.lat:.5f}" if done else "", f"{dest.lon:.5f}" if done else "",
        ])  # fmt: skip
        if ride.fare > 0:
            paid_at = (ride.end or ride.requested) + timedelta(seconds=41)
            truth.mark(ride.tags, payments_file, "transactions", len(payment_rows) + 1, _money(ride.fare))
            payment_rows.append([_lyft_time(paid_at), _money(ride.fare)])
    ratings = csv_text([["average_rating", "role"], [average, "passenger"]]).encode()
    members: list[tuple[str, bytes]] = [
        ("Lyft/passenger_rides.csv", csv_text(ride_rows).encode()),
        ("Lyft/payments_from_user.csv", csv_text(payment_rows).encode()),
        ("Lyft/user_ratings.csv", ratings),
    ]
    return Archive(members, date_time)  # type: ignore[arg-type]
