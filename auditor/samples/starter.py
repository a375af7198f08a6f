"""The starter persona: two months of one Londoner's life, in the providers' real formats.

It writes what "Sam" would download: a Google Takeout zip (Records.json, Settings.json,
Semantic Location History month files and the archive browser page every Takeout has),
a Monzo current-account CSV, and an Uber data export zip. The same life is seen from
every source: the Friday pub visit in the location history is also a card payment and a
ride home. Deterministic: the same seed writes byte-identical files (zip entries carry a
fixed date), and ``tests/test_samples.py`` checks the committed files against it.

The formats follow ``../shared/research/formats.md`` (§1.2, §1.3, §1.4, §3.1, §4.2).
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

SEED = 20240101
FIRST_DAY = date(2024, 1, 1)
DAYS = 60
ZIP_TIME = (2024, 3, 1, 10, 15, 0)  # fixed entry dates keep the archives byte-identical
TAKEOUT_NAME = "takeout-20240301T101500Z-001.zip"
UBER_NAME = "uber-data-export-2024-03-01.zip"
MONZO_NAME = "Monzo Data Export - CSV (Monday, January 1, 2024 to Thursday, February 29, 2024).csv"
UTC = timezone.utc


@dataclass(frozen=True)
class Place:
    name: str
    address: str
    lat: float
    lon: float
    place_id: str
    semantic: str = "TYPE_UNKNOWN"


HOME = Place("Home", "14 Elmore Street, London N1 3AL, UK", 51.541204, -0.090731, "ChIJstarterHome0001", "TYPE_HOME")
WORK = Place("Work", "1 Finsbury Avenue, London EC2M 2PF, UK", 51.519840, -0.083520, "ChIJstarterWork0001", "TYPE_WORK")
GYM = Place("PureGym London Shoreditch", "Shoreditch High Street, London E1 6JE, UK", 51.524960, -0.077320, "ChIJstarterGym00001")
PUB = Place("The Old Blue Last", "38 Great Eastern Street, London EC2A 3ES, UK", 51.525590, -0.080130, "ChIJstarterPub00001")
SHOP = Place("Tesco Express", "254 Essex Road, London N1 3AR, UK", 51.539810, -0.094380, "ChIJstarterShop0001")


def _utc(day: date, hour: float) -> datetime:
    # London is on GMT (UTC+0) throughout January and February, so wall clock = UTC.
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour)


def _iso(moment: datetime) -> str:
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    millis = moment.microsecond // 1000
    return text + (f".{millis:03d}Z" if millis else "Z")


@dataclass
class Stay:
    place: Place
    start: datetime
    end: datetime


def _days() -> list[date]:
    return [FIRST_DAY + timedelta(days=i) for i in range(DAYS)]


def _stays(rng: random.Random) -> list[Stay]:
    """Sam's days: home at night, work on weekdays, gym twice a week, the pub on Fridays."""
    stays: list[Stay] = []
    for day in _days():
        weekday = day.weekday()
        leave = 8.0 + rng.random() * 0.75
        if weekday < 5:
            stays.append(Stay(HOME, _utc(day, 0), _utc(day, leave)))
            back = 17.5 + rng.random()
            stays.append(Stay(WORK, _utc(day, leave + 0.5), _utc(day, back)))
            if weekday in (1, 3):
                stays.append(Stay(GYM, _utc(day, back + 0.25), _utc(day, back + 1.5)))
                back += 1.5
            if weekday == 4:
                stays.append(Stay(PUB, _utc(day, back + 0.25), _utc(day, 23.25)))
                back = 23.25
            stays.append(Stay(HOME, _utc(day, back + 0.4), _utc(day, 24)))
        else:
            stays.append(Stay(HOME, _utc(day, 0), _utc(day, 10.5)))
            stays.append(Stay(SHOP, _utc(day, 10.75), _utc(day, 11.25)))
            stays.append(Stay(HOME, _utc(day, 11.5), _utc(day, 24)))
    return stays


def _records_json(stays: list[Stay], rng: random.Random) -> bytes:
    """Records.json in Google's own pretty-printed layout and key order (formats.md §1.2)."""
    locations = []
    for stay in stays:
        moment = stay.start
        while moment < stay.end:
            jitter_lat = (rng.random() - 0.5) * 0.0004
            jitter_lon = (rng.random() - 0.5) * 0.0006
            source = rng.choice(["WIFI", "WIFI", "GPS", "CELL"])
            record: dict[str, object] = {
                "latitudeE7": round((stay.place.lat + jitter_lat) * 1e7),
                "longitudeE7": round((stay.place.lon + jitter_lon) * 1e7),
                "accuracy": {"WIFI": 18, "GPS": 6, "CELL": 900}[source] + rng.randrange(0, 10),
            }
            if rng.random() < 0.1:
                record["activity"] = [
                    {
                        "activity": [
                            {"type": "STILL", "confidence": 80 + rng.randrange(0, 20)},
                            {"type": "ON_FOOT", "confidence": rng.randrange(0, 10)},
                        ],
                        "timestamp": _iso(moment + timedelta(seconds=5)),
                    }
                ]
            record.update(
                {
                    "source": source,
                    "deviceTag": -1374917325,
                    "platformType": "ANDROID",
                    "timestamp": _iso(moment.replace(microsecond=rng.choice([0, 123000, 571000]))),
                }
            )
            locations.append(record)
            moment += timedelta(minutes=rng.randrange(8, 20))
    return json.dumps({"locations": locations}, indent=2).encode() + b"\n"


def _semantic_month(stays: list[Stay], year: int, month: int) -> bytes:
    """A Semantic Location History month file: placeVisit and activitySegment objects."""
    objects: list[dict[str, object]] = []
    month_stays = [s for s in stays if s.start.year == year and s.start.month == month]
    for previous, stay in zip([None, *month_stays], month_stays):
        if previous is not None and previous.place is not stay.place:
            objects.append(
                {
                    "activitySegment": {
                        "startLocation": _e7(previous.place),
                        "endLocation": _e7(stay.place),
                        "duration": {"startTimestamp": _iso(previous.end), "endTimestamp": _iso(stay.start)},
                        "distance": round(_metres(previous.place, stay.place)),
                        "activityType": "IN_PASSENGER_VEHICLE" if stay.place is HOME and previous.place is PUB else "WALKING",
                        "confidence": "HIGH",
                    }
                }
            )
        if stay.place is HOME and previous is not None and previous.place is HOME:
            continue
        objects.append(
            {
                "placeVisit": {
                    "location": {
                        **_e7(stay.place),
                        "placeId": stay.place.place_id,
                        "address": stay.place.address,
                        "name": stay.place.name,
                        "semanticType": stay.place.semantic,
                        "locationConfidence": 91.5,
                    },
                    "duration": {"startTimestamp": _iso(stay.start), "endTimestamp": _iso(stay.end)},
                    "placeConfidence": "HIGH_CONFIDENCE",
                    "visitConfidence": 88,
                    "placeVisitType": "SINGLE_PLACE",
                }
            }
        )
    return json.dumps({"timelineObjects": objects}, indent=2).encode() + b"\n"


def _e7(place: Place) -> dict[str, int]:
    return {"latitudeE7": round(place.lat * 1e7), "longitudeE7": round(place.lon * 1e7)}


def _metres(a: Place, b: Place) -> float:
    import math

    lat = math.radians((a.lat + b.lat) / 2)
    dx = (b.lon - a.lon) * 111_320 * math.cos(lat)
    dy = (b.lat - a.lat) * 110_540
    return math.hypot(dx, dy)


SETTINGS_JSON = {
    "createdTime": "2019-06-02T09:12:44.120Z",
    "modifiedTime": "2024-02-28T21:03:10.556Z",
    "historyEnabled": True,
    "deviceSettings": [
        {
            "deviceTag": -1374917325,
            "reportingEnabled": True,
            "legalCountryCode": "gb",
            "devicePrettyName": "Pixel 7",
            "platformType": "ANDROID",
            "deviceCreationTime": "2023-03-11T14:20:05.912Z",
            "latestLocationReportingSettingChange": {"reportingEnabledModificationTime": "2023-03-11T14:22:31.004Z"},
            "androidOsLevel": 34,
            "deviceSpec": {"manufacturer": "Google", "brand": "google", "product": "panther", "device": "panther", "model": "Pixel 7", "isLowRam": False},
        }
    ],
    "retentionWindowDays": 0,
    "hasReportedLocations": True,
    "hasSetRetention": False,
}

ARCHIVE_BROWSER = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Archive Overview</title></head>
<body><h1>Your Google data archive</h1><p>This archive contains: Location History (Timeline)</p></body></html>
"""


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


MONZO_HEADER = [
    "Transaction ID", "Date", "Time", "Type", "Name", "Emoji", "Category", "Amount", "Currency",
    "Local amount", "Local currency", "Notes and #tags", "Address", "Receipt", "Description",
    "Category split", "Money Out", "Money In", "Balance", "Balance currency",
]  # fmt: skip


def _monzo_csv(stays: list[Stay], rng: random.Random) -> tuple[bytes, list[datetime]]:
    """A Monzo current-account export (formats.md §4.2), with the pub nights on the card."""
    rows: list[tuple[datetime, str, str, str, str, float, str]] = []
    for day in _days():
        if day.day == 1:
            rows.append((_utc(day, 9.1), "Direct Debit", "Islington Lettings Ltd", "Bills", "ISLINGTON LETTINGS LTD RENT", -1450.00, ""))
        if day.day == 23:
            rows.append((_utc(day, 6.5), "Faster payment", "ACME ANALYTICS LTD", "Income", "ACME ANALYTICS LTD SALARY", 3120.55, ""))
        if day.day == 12:
            rows.append((_utc(day, 7.0), "Direct Debit", "PureGym Ltd", "Entertainment", "PUREGYM LTD", -24.99, ""))
        if day.weekday() < 5 and rng.random() < 0.6:
            rows.append((_utc(day, 12.5 + rng.random()), "Card payment", "Pret A Manger", "Eating out", "PRET A MANGER LONDON GBR", -round(4 + rng.random() * 4, 2), "1 Finsbury Avenue, London, EC2M 2PF"))
        if day.weekday() >= 5:
            rows.append((_utc(day, 10.9), "Card payment", "Tesco", "Groceries", "TESCO STORES 2931 LONDON GBR", -round(18 + rng.random() * 30, 2), "254 Essex Road, London, N1 3AR"))
    pub_nights = [s for s in stays if s.place is PUB]
    ride_times: list[datetime] = []
    for stay in pub_nights:
        for round_number in range(2 + rng.randrange(0, 3)):
            moment = stay.start + timedelta(minutes=30 + 45 * round_number)
            rows.append((moment, "Card payment", "The Old Blue Last", "Eating out", "THE OLD BLUE LAST LONDON GBR", -round(5.8 + rng.random() * 3, 2), "38 Great Eastern Street, London, EC2A 3ES"))
        ride_times.append(stay.end)
        rows.append((stay.end + timedelta(minutes=22), "Card payment", "Uber", "Transport", "UBER *TRIP HELP.UBER.COM GBR", -round(11 + rng.random() * 6, 2), ""))
    rows.sort(key=lambda row: row[0])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MONZO_HEADER)
    balance = 2200.00
    for number, (moment, kind, name, category, description, amount, address) in enumerate(rows):
        balance = round(balance + amount, 2)
        money = f"{amount:.2f}"
        writer.writerow([
            f"tx_0000{number:04d}{rng.randrange(16**8):08x}", moment.strftime("%d/%m/%Y"), moment.strftime("%H:%M:%S"),
            kind, name, "", category, money, "GBP", money, "GBP", "", address, "", description, "",
            money if amount < 0 else "", money if amount > 0 else "", f"{balance:.2f}", "GBP",
        ])  # fmt: skip
    return out.getvalue().encode(), ride_times


UBER_TRIP_COLUMNS = [
    "city_name", "currency_code", "timezone", "flow", "client_device", "product_type_name", "global_product_name",
    "profile_type", "request_timestamp_local", "request_timestamp_utc", "request_lat", "request_lng",
    "begintrip_timestamp_local", "begintrip_timestamp_utc", "begintrip_lat", "begintrip_lng", "begintrip_address",
    "dropoff_timestamp_local", "dropoff_timestamp_utc", "dropoff_lat", "dropoff_lng", "destination_lat",
    "destination_lng", "has_destination", "dropoff_address", "eta", "surge_multiplier", "is_surged",
    "is_pool_matched", "request_to_begin_distance_miles", "request_to_begin_duration_seconds", "trip_distance_miles",
    "trip_duration_seconds", "status", "is_completed", "fare_amount", "is_fare_split", "is_flat_rate", "is_cash_trip",
    "promotion_local", "promotion_usd", "credits_local", "credits_usd", "has_client_upfront_fare",
    "client_upfront_fare_local", "client_upfront_fare_usd", "original_fare_local", "original_fare_usd",
]  # fmt: skip


def _uber_zip(ride_times: list[datetime], rng: random.Random) -> bytes:
    """An Uber data export (formats.md §3.1 B): trips, Eats orders, ratings, profile."""
    trips = io.StringIO()
    writer = csv.writer(trips, lineterminator="\n")
    writer.writerow(UBER_TRIP_COLUMNS)
    for end in ride_times:
        request = end - timedelta(minutes=4)
        begin = end + timedelta(minutes=1)
        drop = begin + timedelta(minutes=19)
        fare = round(11 + rng.random() * 6, 2)
        local = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731 - false Z, as Uber writes
        writer.writerow([
            "London", "GBP", "Europe/London", "rides", "android", "UberX", "UberX", "Personal",
            local(request), local(request), PUB.lat, PUB.lon, local(begin), local(begin), PUB.lat, PUB.lon,
            "38 Great Eastern St, London EC2A 3ES, UK", local(drop), local(drop), HOME.lat, HOME.lon, HOME.lat,
            HOME.lon, "true", "14 Elmore St, London N1 3AL, UK", 240, 1.0, "false", "false", 0.3, 210, 2.41, 1140,
            "completed", "true", fare, "false", "false", "false", 0, 0, 0, 0, "true", fare, round(fare * 1.27, 2),
            fare, round(fare * 1.27, 2),
        ])  # fmt: skip
    cancelled = _utc(FIRST_DAY + timedelta(days=33), 23.4)
    writer.writerow([
        "London", "GBP", "Europe/London", "rides", "android", "UberX", "UberX", "Personal",
        cancelled.strftime("%Y-%m-%dT%H:%M:%S.000Z"), cancelled.strftime("%Y-%m-%dT%H:%M:%S.000Z"), PUB.lat, PUB.lon,
        "", "", "", "", "", "", "", "", "", HOME.lat, HOME.lon, "true", "", 360, 1.3, "true", "false", 0, 0, 0, 0,
        "rider_canceled", "false", 5.0, "false", "false", "false", 0, 0, 0, 0, "false", "", "", "", "",
    ])  # fmt: skip
    orders = io.StringIO()
    order_writer = csv.writer(orders, lineterminator="\n")
    order_writer.writerow([
        "City_Name", "Restaurant_Name", "Request_Time_Local", "Final_Delivery_Time_Local", "Order_Status", "Item_Name",
        "Item_quantity", "Customizations", "Customization_Cost_Local", "Special_Instructions", "Item_Price",
        "Order_Price", "Currency",
    ])  # fmt: skip
    for week in range(8):
        day = FIRST_DAY + timedelta(days=6 + 7 * week)  # Sundays
        request = _utc(day, 19.2 + rng.random())
        items = [("Chicken Katsu Curry", 11.95), ("Gyoza (5)", 5.50)][: 1 + week % 2]
        total = round(sum(price for _, price in items) + 2.49, 2)
        for item, price in items:
            order_writer.writerow([
                "London", "Wagamama Islington", request.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                (request + timedelta(minutes=38)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "completed", item, 1, "", 0, "",
                price, total, "GBP",
            ])  # fmt: skip
    ratings = "five_star_rating\n" + "".join(f"{value}\n" for value in [5, 5, 5, 4, 5, 5, 3, 5, 5, 4])
    profile = (
        "First Name,Last Name,Email,Mobile,Rating,Signup Date,Signup Lat,Signup Lng\n"
        "Sam,Example,sam@example.invalid,+44 7700 900123,4.79,2016-05-14,51.54,-0.09\n"
    )
    return _zip(
        [
            ("Uber Data/Account and Profile/user_profile-0.csv", profile.encode()),
            ("Uber Data/Eats/user_orders-0.csv", orders.getvalue().encode()),
            ("Uber Data/Rider/rider_lifetime_ratings_received-0.csv", ratings.encode()),
            ("Uber Data/Rider/trips_data-0.csv", trips.getvalue().encode()),
        ]
    )


def build(seed: int = SEED) -> dict[str, bytes]:
    """Every file of the starter persona, by name, as bytes."""
    rng = random.Random(seed)
    stays = _stays(rng)
    records = _records_json(stays, rng)
    folder = "Takeout/Location History (Timeline)"
    takeout = _zip(
        [
            ("Takeout/archive_browser.html", ARCHIVE_BROWSER),
            (f"{folder}/Records.json", records),
            (f"{folder}/Settings.json", json.dumps(SETTINGS_JSON, indent=2).encode() + b"\n"),
            (f"{folder}/Semantic Location History/2024/2024_JANUARY.json", _semantic_month(stays, 2024, 1)),
            (f"{folder}/Semantic Location History/2024/2024_FEBRUARY.json", _semantic_month(stays, 2024, 2)),
        ]
    )
    monzo, ride_times = _monzo_csv(stays, rng)
    return {TAKEOUT_NAME: takeout, MONZO_NAME: monzo, UBER_NAME: _uber_zip(ride_times, rng)}


def write(folder: Path, seed: int = SEED) -> list[Path]:
    """Write the persona into ``folder`` (created if needed); returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in build(seed).items():
        path = folder / name
        path.write_bytes(data)
        written.append(path)
    return written
