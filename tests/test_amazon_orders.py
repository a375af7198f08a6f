"""Amazon order history: one row per item, never an address, a card or a gift recipient."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from auditor.dataset import import_file, load_dataset
from auditor.importers import amazon_orders
from auditor.importers.base import FileRef
from auditor.sources import claim

IMPORTER = amazon_orders.IMPORTERS[0]
PRIVACY_CENTRAL = Path("Retail.OrderHistory.1") / "Retail.OrderHistory.1.csv"
PERSONAL = ("12 Elm St", "HOBOKEN", "Visa - 4421", "Mary Doe", "518 555 0101", "Happy birthday", "TBA3039")


def _load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("orders"), report


def test_privacy_central_items_with_utc_times_and_money(data_dir):
    orders, report = _load(data_dir / "amazon-orders" / PRIVACY_CENTRAL)
    assert report.error is None and report.rows_read == 6
    assert orders["record"].tolist() == [2, 3, 4, 7]
    assert orders["item"].iloc[0] == "First Response Early Result Pregnancy Test, 3 Count"
    assert orders["time"].iloc[0] == pd.Timestamp("2024-02-11 03:14:22", tz="UTC")
    assert orders["time"].iloc[2] == pd.Timestamp("2024-03-02 22:48:05", tz="UTC")  # with .000Z
    assert orders["has_time"].all() and orders["utc_offset_min"].isna().all()
    assert orders["total"].tolist() == [9.71, 23.21, 37.79, 237.59]
    assert orders["quantity"].tolist() == [1, 1, 2, 1]
    assert orders["order_id"].iloc[0] == orders["order_id"].iloc[1]  # two items of one order
    assert set(orders["status"]) == {"closed"} and set(orders["store"]) == {"Amazon.com"}
    assert set(orders["currency"]) == {"USD"} and set(orders["source"]) == {"amazon"}
    skipped = {group.reason: group.records for group in report.skipped.values()}
    assert skipped == {"no Order Date": [5], "Order Date is not a date (e.g. '2024-13-40T10:00:00Z')": [6]}


def test_addresses_cards_and_gift_recipients_never_reach_a_frame(data_dir):
    orders, report = _load(data_dir / "amazon-orders" / PRIVACY_CENTRAL)
    everything = " ".join(
        [*orders.astype("string").fillna("").to_numpy().ravel(), *report.notes, report.detail]
    )
    for secret in PERSONAL:
        assert secret not in everything


def test_order_report_layout_has_categories_and_dates_only(data_dir):
    orders, report = _load(data_dir / "amazon-orders" / "order_report_items.csv")
    assert orders["item"].tolist() == ["Coleman Sundome Tent, 4 Person", "Smirnoff Vodka 1.75 L"]
    assert orders["category"].tolist() == ["SPORTING_GOODS", "GROCERY"]
    assert orders["total"].tolist() == [68.19, 1060.60]  # "$1,060.60"
    assert orders["unit_price"].tolist() == [62.99, 27.99]
    assert not orders["has_time"].any()
    assert orders["time"].iloc[0] == pd.Timestamp("2019-01-14", tz="UTC")
    assert [g.records for g in report.skipped.values()] == [[3]]  # 02/30/19


def test_read_inside_the_request_your_data_zip(data_dir, tmp_path):
    archive = tmp_path / "Your Orders.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(
            data_dir / "amazon-orders" / PRIVACY_CENTRAL, f"Your Orders/{PRIVACY_CENTRAL.as_posix()}"
        )
    dataset = load_dataset([archive])
    orders = dataset.frames["orders"]
    assert len(orders) == 4
    assert set(orders["file"]) == {f"{archive}!Your Orders/{PRIVACY_CENTRAL.as_posix()}"}


def test_claimed_by_header_not_name(data_dir, tmp_path):
    renamed = tmp_path / "export.csv"
    shutil.copy(data_dir / "amazon-orders" / "order_report_items.csv", renamed)
    claims, _ = claim([FileRef(renamed)])
    assert [c.importer.id for c in claims] == ["amazon-orders"]


def test_missing_order_date_is_a_clear_message(data_dir):
    _, report = _load(data_dir / "amazon-orders" / "no_order_date.csv")
    assert report.error is not None and "missing column Order Date" in report.error


def test_header_only_file_loads_nothing_without_error(data_dir):
    orders, report = _load(data_dir / "amazon-orders" / "header_only.csv")
    assert report.error is None and len(orders) == 0


@pytest.mark.parametrize("rows", [10_000])
def test_ten_thousand_items_load_whole(tmp_path, data_dir, rows):
    source = (data_dir / "amazon-orders" / PRIVACY_CENTRAL).read_text(encoding="utf-8-sig").splitlines()
    header, good = source[0], source[1]
    path = tmp_path / "Retail.OrderHistory.1.csv"
    path.write_text("\n".join([header, *[good] * rows]) + "\n")
    orders, report = _load(path)
    assert len(orders) == rows and report.skipped_total == 0
    assert orders["record"].iloc[-1] == rows + 1
