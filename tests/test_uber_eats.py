"""Uber Eats orders: one trips row per order from one-row-per-item files (formats.md §3.1)."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers import uber_eats
from auditor.importers.base import FileRef
from auditor.sources import read_head

IMPORTER = uber_eats.IMPORTERS[0]


def _load(ref: FileRef):
    frames, report = import_file(ref, IMPORTER)
    return frames.get("trips"), report


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_user_orders_fold_items_into_orders(data_dir):
    path = data_dir / "uber-eats" / "2023" / "user_orders-0.csv"
    rows = _rows(path)
    trips, report = _load(FileRef(path))
    assert report.error is None
    # Independent count: distinct (time, restaurant) among rows that have a time.
    orders = {(r["Request_Time_Local"], r["Restaurant_Name"]) for r in rows if r["Request_Time_Local"]}
    assert len(trips) == len(orders) == 4
    assert report.skipped["no Request_Time_Local"].records == [10]
    assert trips["record"].tolist() == [2, 5, 7, 8]
    first = trips.iloc[0]
    assert first["merchant"] == "Pho Bac Súp Shop"
    assert first["fare"] == pytest.approx(38.72)  # once, not once per item
    assert first["items"] == 4  # 1 + 2 + 1
    assert first["requested"] == pd.Timestamp("2023-04-14 02:41:09", tz="UTC")
    assert first["end"] == pd.Timestamp("2023-04-14 03:20:55", tz="UTC")
    assert first["currency"] == "USD" and first["city"] == "Seattle"
    assert trips["items"].tolist() == [4, 3, 1, 2]  # an empty quantity counts as one item
    assert trips["status"].astype(str).tolist() == ["completed", "completed", "rider_canceled", "completed"]
    assert pd.isna(trips.iloc[2]["end"])
    assert trips["fare"].sum() == pytest.approx(38.72 + 19.36 + 14.99 + 11.48)
    assert set(trips["service"]) == {"delivery"} and set(trips["product"]) == {"Eats"}
    assert set(trips["provider"]) == {"uber"} and set(trips["source"]) == {"uber"}
    assert "UNCERTAIN" in report.timezone and trips["utc_offset_min"].isna().all()


def test_item_text_never_reaches_the_frame(data_dir):
    trips, _ = _load(FileRef(data_dir / "uber-eats" / "2023" / "user_orders-0.csv"))
    text = " ".join(trips.astype("string").fillna("").to_numpy().ravel())
    assert "code 4417" not in text and "Spring Rolls" not in text


def test_order_details_join_restaurant_names_beside_them(data_dir):
    path = data_dir / "uber-eats" / "2019" / "eats_order_details.csv"
    trips, report = _load(FileRef(path))
    assert report.error is None
    assert len(trips) == len({r["Order ID"] for r in _rows(path)}) == 3
    assert trips["merchant"].tolist() == [
        "Chipotle Mexican Grill (W Madison St)",
        "Lou Malnati's Pizzeria",
        "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",  # not in the names file: the ID stands
    ]
    assert trips["items"].tolist() == [2, 1, 1]
    assert trips["requested"].iloc[0] == pd.Timestamp("2019-05-03 23:20:11", tz="UTC")
    assert trips["fare"].tolist() == [17.83, 31.40, 15.10]
    assert trips["city"].iloc[0] == "Chicago"
    assert "1 restaurant ID not in eats_restaurant_names.csv: the ID stands as the merchant" in report.notes


def test_order_details_alone_use_the_restaurant_id(data_dir, tmp_path):
    lonely = tmp_path / "eats_order_details.csv"
    lonely.write_bytes((data_dir / "uber-eats" / "2019" / "eats_order_details.csv").read_bytes())
    trips, report = _load(FileRef(lonely))
    assert trips["merchant"].iloc[0] == "b4f1c5de-2a17-4a6e-9a0c-5e3f1d2a7b11"
    assert (
        "eats_restaurant_names.csv was not found beside this file: merchants are the restaurant IDs"
        in report.notes
    )


def test_restaurant_names_are_joined_inside_an_archive(data_dir, tmp_path):
    archive = tmp_path / "uber.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("eats_order_details.csv", "eats_restaurant_names.csv"):
            zf.write(data_dir / "uber-eats" / "2019" / name, f"Uber Data/Eats/{name}")
    trips, _ = _load(FileRef(archive, ("Uber Data/Eats/eats_order_details.csv",)))
    assert trips["merchant"].iloc[1] == "Lou Malnati's Pizzeria"


def test_names_file_is_claimed_and_yields_no_rows(data_dir):
    ref = FileRef(data_dir / "uber-eats" / "2019" / "eats_restaurant_names.csv")
    assert uber_eats.sniff(read_head(ref)) == 0.9
    frames, report = import_file(ref, IMPORTER)
    assert frames == {} and report.error is None
    assert report.notes[0].startswith("2 restaurant names")


def test_sniff(data_dir, tmp_path):
    assert uber_eats.sniff(read_head(FileRef(data_dir / "uber-eats" / "2023" / "user_orders-0.csv"))) == 0.95
    assert (
        uber_eats.sniff(read_head(FileRef(data_dir / "uber-eats" / "2019" / "eats_order_details.csv")))
        == 0.95
    )
    for other in (
        "uber/2025/trips_data-0.csv",
        "doordash/consumer_order_details.csv",
        "lyft/lyft_payments_from_user.csv",
    ):
        assert uber_eats.sniff(read_head(FileRef(data_dir / other))) == 0.0


def test_missing_price_column_is_named(data_dir, tmp_path):
    source = (data_dir / "uber-eats" / "2023" / "user_orders-0.csv").read_text(encoding="utf-8")
    path = tmp_path / "user_orders-0.csv"
    path.write_text(source.replace(",Order_Price,Currency", ",Price,Money"), encoding="utf-8")
    assert uber_eats.sniff(read_head(FileRef(path))) == 0.6
    trips, report = _load(FileRef(path))
    assert trips is None
    assert report.error == "missing columns Order_Price, Currency; expected Uber Eats user_orders-0.csv"


def test_unreadable_price_is_counted_and_the_order_kept(data_dir, tmp_path):
    source = (data_dir / "uber-eats" / "2023" / "user_orders-0.csv").read_text(encoding="utf-8")
    path = tmp_path / "user_orders-0.csv"
    path.write_text(source.replace(",14.99,USD", ",n/a,USD"), encoding="utf-8")
    trips, report = _load(FileRef(path))
    assert len(trips) == 4 and pd.isna(trips.iloc[2]["fare"])
    assert "1 Order_Price values were not numbers (e.g. 'n/a'); read as missing" in report.notes
