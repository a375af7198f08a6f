"""DoorDash consumer order details (formats.md §3.3, one source only)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers import doordash
from auditor.importers.base import FileRef
from auditor.sources import read_head

IMPORTER = doordash.IMPORTERS[0]


def test_items_fold_into_orders(data_dir):
    path = data_dir / "doordash" / "consumer_order_details.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    frames, report = import_file(FileRef(path), IMPORTER)
    trips = frames["trips"]
    assert report.error is None
    assert len(trips) == len({(r["CREATED_AT"], r["STORE_NAME"]) for r in rows}) == 3
    assert trips["merchant"].tolist() == ["Shake Shack", "Joe's Pizza", "CVS Pharmacy"]
    assert trips["items"].tolist() == [5, 5, 3]
    assert trips["fare"].tolist() == [34.50, 22.15, 18.99]
    assert trips["requested"].iloc[0] == pd.Timestamp("2023-10-06 01:12:45", tz="UTC")
    assert trips["end"].iloc[0] == pd.Timestamp("2023-10-06 01:51:02", tz="UTC")
    assert trips["dropoff_address"].iloc[2] == "88 Pine St, New York, NY 10005"
    assert trips["status"].astype("string").tolist() == ["completed", "completed", pd.NA]
    assert trips["currency"].isna().all()
    assert "the file has no currency column; currency left missing" in report.notes
    assert set(trips["provider"]) == {"doordash"} and set(trips["service"]) == {"delivery"}
    assert trips["record"].tolist() == [2, 5, 7]


def test_sniff(data_dir):
    assert doordash.sniff(read_head(FileRef(data_dir / "doordash" / "consumer_order_details.csv"))) == 0.9
    assert doordash.sniff(read_head(FileRef(data_dir / "uber-eats" / "2023" / "user_orders-0.csv"))) == 0.0
    assert doordash.sniff(read_head(FileRef(data_dir / "uber" / "2022" / "trips_data.csv"))) == 0.0


def test_missing_subtotal_is_named(tmp_path):
    path = tmp_path / "consumer_order_details.csv"
    path.write_text("CREATED_AT,STORE_NAME,ITEM\n2023-10-06 01:12:45,Shake Shack,Fries\n")
    frames, report = import_file(FileRef(path), IMPORTER)
    assert frames == {}
    assert report.error.startswith("missing column SUBTOTAL; expected DoorDash consumer_order_details.csv")


def test_conflicting_subtotals_keep_the_first_and_say_so(data_dir, tmp_path):
    source = (data_dir / "doordash" / "consumer_order_details.csv").read_text()
    path = tmp_path / "consumer_order_details.csv"
    path.write_text(source.replace("22.15,Joe's Pizza,Garlic Knots", "11.90,Joe's Pizza,Garlic Knots"))
    frames, report = import_file(FileRef(path), IMPORTER)
    assert frames["trips"]["fare"].iloc[1] == pytest.approx(22.15)
    assert "1 order list different order prices on their item rows; the first was kept" in report.notes
