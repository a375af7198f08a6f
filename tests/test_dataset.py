"""Merging overlapping exports: what counts as the same record, and which copy wins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from auditor.dataset import merge_kind
from auditor.importers.base import FileRef, frame


def _transactions(path: str, rows: list[tuple[str, float, str]]) -> pd.DataFrame:
    return frame(
        "transactions",
        {
            "time": pd.to_datetime([day for day, _, _ in rows], utc=True),
            "amount": [amount for _, amount, _ in rows],
            "description": [text for _, _, text in rows],
            "account": ["Monzo ****1234"] * len(rows),
            "currency": ["GBP"] * len(rows),
        },
        ref=FileRef(Path(path)),
        importer="bank-csv",
        source="bank:Monzo ****1234",
        records=range(2, 2 + len(rows)),
    )


def test_two_identical_coffees_in_one_statement_both_stay():
    coffees = [("2024-01-05", -3.2, "PRET A MANGER"), ("2024-01-05", -3.2, "PRET A MANGER")]
    merged, dropped = merge_kind("transactions", [_transactions("jan.csv", coffees)])
    assert len(merged) == 2 and dropped == []


def test_a_statement_downloaded_twice_keeps_one_copy_of_each_transaction():
    rows = [("2024-01-05", -3.2, "PRET A MANGER"), ("2024-01-05", -3.2, "PRET A MANGER"), ("2024-01-06", 900.0, "SALARY")]
    overlapping = rows[1:] + [("2024-01-07", -12.0, "TESCO STORES 2931")]
    merged, dropped = merge_kind("transactions", [_transactions("a.csv", rows), _transactions("b.csv", overlapping)])
    # b repeats the first coffee and the salary; its one new row is kept, and since a holds
    # two coffees while b holds one, b's coffee is the first occurrence and counts as a repeat.
    assert len(merged) == 4
    assert [(d.kept_file, d.dropped_file, d.count) for d in dropped] == [("a.csv", "b.csv", 2)]
    assert sorted(merged["description"].tolist()) == ["PRET A MANGER", "PRET A MANGER", "SALARY", "TESCO STORES 2931"]


def _points(path: str, importer: str, rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    return frame(
        "points",
        {
            "time": pd.to_datetime([t for t, _, _ in rows], utc=True, format="ISO8601"),
            "lat": [lat for _, lat, _ in rows],
            "lon": [lon for _, _, lon in rows],
        },
        ref=FileRef(Path(path)),
        importer=importer,
        source="google-location",
        records=range(len(rows)),
    )


def test_the_same_fix_in_two_exports_is_one_point_and_raw_fixes_win(monkeypatch):
    from auditor import dataset

    monkeypatch.setattr(dataset, "_IMPORTER_RANK", {"google-records": 0, "google-ondevice": 1})
    raw = _points("z-records.json", "google-records", [("2024-01-01T10:00:00.400Z", 51.5412041, -0.0907311)])
    device = _points(
        "a-timeline.json",
        "google-ondevice",
        [("2024-01-01T10:00:00Z", 51.541204, -0.090731), ("2024-01-01T10:00:00Z", 51.541204, -0.090731),
         ("2024-01-01T10:05:00Z", 51.5, -0.09)],
    )  # fmt: skip
    merged, dropped = merge_kind("points", [device, raw])
    assert len(merged) == 2
    # The raw Records.json fix wins although its file sorts last.
    assert merged.iloc[0]["file"] == "z-records.json"
    assert sorted((d.kept_file, d.dropped_file, d.count) for d in dropped) == [("z-records.json", "a-timeline.json", 2)]


def test_points_a_few_metres_apart_are_different_points():
    rows = [("2024-01-01T10:00:00Z", 51.541204, -0.090731), ("2024-01-01T10:00:00Z", 51.541304, -0.090731)]
    merged, dropped = merge_kind("points", [_points("x.json", "gpx", rows)])
    assert len(merged) == 2 and dropped == []


def test_local_time_uses_the_stated_offset_else_the_timezone_setting():
    from auditor.dataset import local_times

    points = _points(
        "x.json",
        "gpx",
        [("2024-07-01T22:30:00Z", 51.5, -0.1), ("2024-07-01T22:30:00Z", 40.7, -74.0)],
    )
    points["utc_offset_min"] = pd.array([pd.NA, -240], dtype="Int32")
    london = local_times(points, "time", "Europe/London")
    assert [str(t) for t in london] == ["2024-07-01 23:30:00", "2024-07-01 18:30:00"]
    assert str(local_times(points, "time")[0]) == "2024-07-01 22:30:00"
