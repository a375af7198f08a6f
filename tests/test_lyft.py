"""Lyft rides, payments and ratings (formats.md §3.2, one source only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor import model
from auditor.dataset import import_file
from auditor.importers import lyft
from auditor.importers.base import FileRef, Head
from auditor.sources import read_head

RIDES, PAYMENTS, RATINGS = lyft.IMPORTERS


def _load(path: Path, importer):
    return import_file(FileRef(path), importer)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _data_lines(path: Path) -> int:
    return len(path.read_text().splitlines()) - 1


def test_rides_become_trips_without_fares(data_dir):
    path = data_dir / "lyft" / "lyft_passenger_rides.csv"
    frames, report = _load(path, RIDES)
    trips = frames["trips"]
    assert report.error is None
    assert len(trips) == _data_lines(path) == 4
    first = trips.iloc[0]
    assert first["requested"] == _utc("2024-03-14 06:51:38")
    assert first["start"] == _utc("2024-03-14 06:58:02")
    assert first["end"] == _utc("2024-03-14 07:19:45")
    assert (first["pickup_lat"], first["pickup_lon"]) == (37.78861, -122.40739)
    assert (first["dropoff_lat"], first["dropoff_lon"]) == (37.61521, -122.38999)
    assert trips["status"].astype(str).tolist() == ["completed", "rider_canceled", "completed", "completed"]
    cancelled = trips.iloc[1]
    assert (cancelled["pickup_lat"], cancelled["pickup_lon"]) == (37.77643, -122.41713)  # the request point
    assert pd.isna(cancelled["start"]) and pd.isna(cancelled["dropoff_lat"])
    assert trips["fare"].isna().all()
    assert (
        set(trips["provider"]) == {"lyft"}
        and set(trips["source"]) == {"lyft"}
        and set(trips["service"]) == {"ride"}
    )


def test_payments_become_money_out(data_dir):
    path = data_dir / "lyft" / "lyft_payments_from_user.csv"
    frames, report = _load(path, PAYMENTS)
    money = frames["transactions"]
    assert len(money) == _data_lines(path) == 5
    assert money["amount"].tolist() == [-48.27, -5.00, -61.90, -14.13, 14.13]  # the refund comes back in
    assert money["time"].iloc[0] == _utc("2024-03-14 07:20:31")
    assert set(money["currency"]) == {"USD"} and money["has_time"].all()
    assert set(money["counterparty"]) == {"Lyft"} and set(money["source"]) == {"lyft"}


def test_attach_payments_matches_within_two_minutes_once_each(data_dir):
    trips = _load(data_dir / "lyft" / "lyft_passenger_rides.csv", RIDES)[0]["trips"]
    money = _load(data_dir / "lyft" / "lyft_payments_from_user.csv", PAYMENTS)[0]["transactions"]
    with_fares = lyft.attach_payments(trips, money)
    # Rides 1 and 3 were paid 46 s and 50 s after drop-off; ride 2's payment came 6 min
    # after its request and ride 4's 8 min after drop-off: too far to be sure.
    assert with_fares["fare"].tolist()[0] == pytest.approx(48.27)
    assert with_fares["fare"].tolist()[2] == pytest.approx(61.90)
    assert with_fares["fare"].isna().tolist() == [False, True, False, True]
    assert with_fares["currency"].astype("string").tolist()[0] == "USD"
    assert trips["fare"].isna().all()  # the input is not changed
    assert list(with_fares.columns) == [c.name for c in model.columns("trips")]


def test_attach_payments_gives_a_shared_payment_to_the_closest_ride():
    trips = model.conform(
        "trips",
        {
            "requested": pd.to_datetime(
                ["2024-01-01 10:00:00Z", "2024-01-01 10:00:30Z", "2024-01-01 10:00:00Z"]
            ),
            "end": pd.to_datetime(["2024-01-01 10:20:00Z", "2024-01-01 10:21:00Z", "2024-01-01 10:20:30Z"]),
            "provider": ["lyft", "lyft", "uber"],
            "source": ["lyft", "lyft", "uber"],
        },
    )
    money = model.conform(
        "transactions",
        {
            "time": pd.to_datetime(["2024-01-01 10:20:50Z"]),
            "amount": [-12.5],
            "currency": ["USD"],
            "source": ["lyft"],
        },
    )
    result = lyft.attach_payments(trips, money)
    assert result["fare"].isna().tolist() == [True, False, True]  # 10 s beats 50 s; Uber is never touched
    assert result["fare"].iloc[1] == 12.5


def test_ratings_per_role(data_dir):
    frames, report = _load(data_dir / "lyft" / "lyft_user_ratings.csv", RATINGS)
    ratings = frames["ratings"]
    assert ratings["value"].tolist() == [4.9, 4.82]
    assert ratings["aggregate"].all() and set(ratings["direction"]) == {"received"}
    assert ratings["role"].tolist() == ["rider", "driver"]
    assert "1 rating received as a driver" in report.notes[0]


def test_sniffers_pick_their_own_file_only(data_dir):
    files = {
        RIDES: data_dir / "lyft" / "lyft_passenger_rides.csv",
        PAYMENTS: data_dir / "lyft" / "lyft_payments_from_user.csv",
        RATINGS: data_dir / "lyft" / "lyft_user_ratings.csv",
    }
    others = [
        data_dir / "uber" / "2025" / "trips_data-0.csv",
        data_dir / "uber-ratings" / "user_profile-0.csv",
    ]
    for importer, own in files.items():
        assert importer.sniff(read_head(FileRef(own))) == 0.9
        for path in [*(p for i, p in files.items() if i is not importer), *others]:
            assert importer.sniff(read_head(FileRef(path))) == 0.0, (importer.id, path)


def test_payments_sniff_needs_the_name_for_confidence(tmp_path):
    head = b"created_at,amount\n2024-01-01 10:00:00 UTC,3.50\n"
    assert PAYMENTS.sniff(Head(FileRef(tmp_path / "export.csv"), head)) == 0.3
    assert PAYMENTS.sniff(Head(FileRef(tmp_path / "x_payments_from_user.csv"), head)) == 0.9
    wide = b"id,created_at,amount,customer,description,status\n"
    assert PAYMENTS.sniff(Head(FileRef(tmp_path / "stripe.csv"), wide)) == 0.0


def test_missing_columns_and_bad_rows(tmp_path):
    rides = tmp_path / "lyft_passenger_rides.csv"
    rides.write_text("status,requested_timestamp,pickup_timestamp\nfinished,2024-03-14 06:51:38 UTC,\n")
    frames, report = _load(rides, RIDES)
    assert report.error == (
        "missing column dropoff_timestamp; expected Lyft passenger_rides (status, requested_timestamp, ...)"
    )
    payments = tmp_path / "lyft_payments_from_user.csv"
    payments.write_text(
        "created_at,amount\n2024-03-14 07:20:31 UTC,12.00\nnot a date,3\n2024-03-15 07:00:00 UTC,free\n"
    )
    frames, report = _load(payments, PAYMENTS)
    assert frames["transactions"]["amount"].tolist() == [-12.0]
    assert report.skipped["created_at is not a time between 1990 and 2100 (e.g. 'not a date')"].records == [3]
    assert report.skipped["amount is not a number"].records == [4]
    assert "the file has no currency column; currency left missing" in report.notes
    ratings = tmp_path / "lyft_user_ratings.csv"
    ratings.write_text("average_rating,role\n0,passenger\n4.7,passenger\n")
    frames, report = _load(ratings, RATINGS)
    assert frames["ratings"]["value"].tolist() == [4.7]
    assert report.skipped_total == 1
