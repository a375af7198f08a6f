"""A whole Uber "Download your data" zip, read in place through load_dataset.

The archive is built as Uber ships it (top folder ``Uber Data/``), from the real-layout
samples in tests/data plus the files auditor does not read, so that the test sees what a
person would: which importer took each file, which were listed as not read, and that
nothing personal or placeholder-dated slipped into a frame.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from auditor import model
from auditor.dataset import load_dataset

PROFILE = (
    "First Name,Last Name,E-Mail,Mobile,Signup Date,Signup City,Signup Lat,Signup Lng,Rating,Language\n"
    "Avery,Quintero-Lindqvist,avery.quintero.lindqvist@example.org,+12065550187,2014-06-02,Seattle,"
    "47.63917,-122.35711,4.91,en\n"
)
PII = (
    "Avery",
    "Quintero-Lindqvist",
    "avery.quintero.lindqvist@example.org",
    "+12065550187",
    "47.63917",
    "-122.35711",
)

# Files of the export that no importer here reads (formats.md §3.1): they must be listed.
NOT_READ = {
    "Uber Data/Account and Profile/payment_methods-0.csv": (
        "Payment Method Brand,Bank/Issuer Name,Last Four\nVisa,Chase,4242\n"
    ),
    "Uber Data/Account and Profile/customer_support_tickets-0.csv": (
        "Creator,Message,Date\nrider,Where is my order?,2023-05-20\n"
    ),
    "Uber Data/Rider/rider_app_analytics-0.csv": (
        "Analytics Event Type,Event Time,City\napp_open,2023-05-20T06:10:00.000Z,Seattle\n"
    ),
}


def _current_export(data_dir: Path, archive: Path) -> None:
    members = {
        "Uber Data/Rider/trips_data-0.csv": data_dir / "uber" / "2023" / "trips_data-0.csv",
        "Uber Data/Rider/trips_data-1.csv": data_dir / "uber" / "2023" / "trips_data-1.csv",
        "Uber Data/Rider/rider_lifetime_ratings_received-0.csv": data_dir
        / "uber-ratings"
        / "rider_lifetime_ratings_received-0.csv",
        "Uber Data/Eats/user_orders-0.csv": data_dir / "uber-eats" / "2023" / "user_orders-0.csv",
    }
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for inner, source in members.items():
            zf.write(source, inner)
        zf.writestr("Uber Data/Account and Profile/user_profile-0.csv", PROFILE)
        for inner, text in NOT_READ.items():
            zf.writestr(inner, text)


def _older_export(data_dir: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(data_dir / "uber" / "2022" / "trips_data.csv", "Uber Data/Rider/trips_data.csv")
        for name in ("eats_order_details.csv", "eats_restaurant_names.csv"):
            zf.write(data_dir / "uber-eats" / "2019" / name, f"Uber Data/Eats/{name}")


@pytest.fixture
def current(data_dir, tmp_path):
    archive = tmp_path / "Uber Data.zip"
    _current_export(data_dir, archive)
    return archive, load_dataset([archive])


def _importer_of(dataset, archive: Path) -> dict[str, str]:
    prefix = f"{archive}!"
    return {report.path.removeprefix(prefix): report.importer for report in dataset.reports}


def test_every_file_is_claimed_or_listed(current):
    archive, dataset = current
    claimed = _importer_of(dataset, archive)
    assert {name: claimed.get(name) for name in claimed if claimed[name].startswith("uber")} == {
        "Uber Data/Rider/trips_data-0.csv": "uber-trips",
        "Uber Data/Rider/trips_data-1.csv": "uber-trips",
        "Uber Data/Rider/rider_lifetime_ratings_received-0.csv": "uber-ratings",
        "Uber Data/Eats/user_orders-0.csv": "uber-eats",
        "Uber Data/Account and Profile/user_profile-0.csv": "uber-ratings",
    }
    listed = {item.path.removeprefix(f"{archive}!"): item.why for item in dataset.unclaimed}
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
    assert names == set(claimed) | set(listed)
    assert set(claimed).isdisjoint(listed)
    for name in NOT_READ:
        # Read by no Uber importer; listed with a reason unless another format claims it.
        assert not claimed.get(name, "").startswith(("uber", "lyft", "doordash"))
        if name in listed:
            assert listed[name].startswith("no importer recognises it")
    assert all(report.error is None for report in dataset.reports if report.importer.startswith("uber"))


def test_no_1970_anywhere(current):
    _, dataset = current
    for kind, frame in dataset.frames.items():
        for column in model.time_columns(kind):
            years = frame[column].dropna().dt.year
            assert not (years < 1990).any(), (kind, column)


def test_trips_statuses_fares_and_currencies(current):
    _, dataset = current
    trips = dataset["trips"]
    rides = trips[trips["service"] == "ride"]
    orders = trips[trips["service"] == "delivery"]
    assert len(rides) == 7 + 2 and len(orders) == 4
    assert rides["status"].value_counts().to_dict() == {
        "completed": 6,
        "rider_canceled": 1,
        "driver_canceled": 1,
        "unfulfilled": 1,
    }
    by_currency = rides.groupby("currency", observed=True)["fare"].sum().round(2).to_dict()
    assert by_currency == {
        "EUR": 18.40,
        "GBP": 21.34,
        "INR": 1012.50,
        "KES": 0.0,
        "USD": round(24.87 + 5.00 + 0.0 + 9.12 + 13.05, 2),
    }
    assert rides["utc_offset_min"].notna().all()
    assert orders["fare"].sum() == pytest.approx(38.72 + 19.36 + 14.99 + 11.48)
    assert set(orders["currency"]) == {"USD"}
    # Ordered by request time across the split files.
    assert trips["requested"].is_monotonic_increasing


def test_ratings_from_both_files(current):
    _, dataset = current
    ratings = dataset["ratings"]
    assert len(ratings) == 10 + 1
    current_rating = ratings[ratings["aggregate"]]
    assert current_rating["value"].tolist() == [4.91]
    assert current_rating["file"].iloc[0].endswith("Uber Data/Account and Profile/user_profile-0.csv")


def test_profile_details_reach_no_frame_or_report(current):
    _, dataset = current
    for kind, frame in dataset.frames.items():
        assert not {"First Name", "Last Name", "E-Mail", "Mobile"} & set(frame.columns), kind
        text = " ".join(frame.astype("string").fillna("").to_numpy().ravel())
        for secret in PII:
            assert secret not in text, (kind, secret)
    for report in dataset.reports:
        words = " ".join([*report.notes, report.detail, report.error or "", *report.skipped])
        for secret in PII:
            assert secret not in words


def test_older_export_joins_restaurant_names_in_the_archive(data_dir, tmp_path):
    archive = tmp_path / "uber-2019.zip"
    _older_export(data_dir, archive)
    dataset = load_dataset([archive])
    assert dataset.unclaimed == []
    trips = dataset["trips"]
    orders = trips[trips["service"] == "delivery"]
    assert orders["merchant"].tolist() == [
        "Chipotle Mexican Grill (W Madison St)",
        "Lou Malnati's Pizzeria",
        "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    ]
    rides = trips[trips["service"] == "ride"]
    assert len(rides) == 6 and rides["start"].isna().sum() == 3
    assert (
        not (trips[["requested", "start", "end"]].apply(lambda c: c.dt.year).fillna(2000) < 1990).any().any()
    )
    assert {r.importer for r in dataset.reports} == {"uber-trips", "uber-eats"}
    assert pd.api.types.is_float_dtype(orders["fare"])
