"""The fast paths give the same answers as the plain ones.

Read-ahead of zip members (``base.Prefetched``), the merge of many parts with different
categories, and Records.json read from a zip versus the same file on disk.
"""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.dataset import import_file, merge_kind
from auditor.importers.base import FileRef, Prefetched, frame
from auditor.registry import by_id

REPO = Path(__file__).resolve().parent.parent
RECORDS = REPO / "tests" / "data" / "google-records" / "Records.json"


def test_prefetched_stream_yields_the_same_bytes_in_any_read_size():
    data = bytes(range(256)) * 4099
    with Prefetched(io.BytesIO(data), block_bytes=1000) as ahead:
        got = bytearray()
        sizes = [1, 7, 4096, 333, 100_000]
        while True:
            buffer = bytearray(sizes[len(got) % len(sizes)])
            count = ahead.readinto(buffer)
            if not count:
                break
            got += buffer[:count]
    assert bytes(got) == data


def test_prefetched_stream_raises_the_readers_error_and_stops_when_closed_early():
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, size=-1):
            raise zipfile.BadZipFile("Bad CRC-32 for file 'Records.json'")

    with Prefetched(Broken(), block_bytes=10) as ahead, pytest.raises(zipfile.BadZipFile, match="CRC"):
        ahead.readinto(bytearray(10))

    endless = io.BytesIO(b"x" * 10_000_000)
    before = threading.active_count()
    with Prefetched(endless, block_bytes=1000, ahead=2) as ahead:
        ahead.readinto(bytearray(10))  # read a little, then give up
    assert threading.active_count() == before


def test_records_from_a_zip_equal_the_same_file_on_disk(tmp_path):
    archive = tmp_path / "takeout-001.zip"
    member = "Takeout/Location History (Timeline)/Records.json"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.write(RECORDS, member)
    importer = by_id("google-records")
    plain, plain_report = import_file(FileRef(RECORDS, (), RECORDS.stat().st_size), importer)
    zipped, zipped_report = import_file(FileRef(archive, (member,), 0), importer)
    assert len(plain["points"]) > 0
    columns = [c for c in plain["points"].columns if c != "file"]
    pd.testing.assert_frame_equal(plain["points"][columns], zipped["points"][columns])
    assert (plain_report.rows_read, plain_report.skipped_total) == (zipped_report.rows_read, zipped_report.skipped_total)


def _points(file: str, importer: str, times: list[str], lat: list[float], activity: list[str | None]) -> pd.DataFrame:
    return frame(
        "points",
        {"time": pd.to_datetime(times, utc=True), "lat": lat, "lon": [0.5] * len(times),
         "activity": pd.Series(activity, dtype="string").astype("category")},
        ref=FileRef(Path(file)), importer=importer, source="google-location", records=np.arange(len(times)),
    )  # fmt: skip


def test_merge_of_parts_with_different_categories_stays_categorical_and_ordered():
    a = _points("b.json", "google-semantic", ["2024-01-01T10:00Z", "2024-01-01T09:00Z"], [1.0, 2.0], ["WALKING", None])
    b = _points("a.json", "google-records", ["2024-01-01T09:00Z", "2024-01-01T08:00Z"], [2.0, 3.0], [None, "STILL"])
    no_time = _points("c.json", "gpx", ["2024-01-01T07:00Z"], [4.0], ["CYCLING"])
    no_time["time"] = pd.Series([pd.NaT], dtype=model.UTC_TIME)
    merged, dropped = merge_kind("points", [a, b, no_time])
    # The 09:00 fix at lat 2 is in both files: the raw Records.json copy wins.
    assert [(d.kept_file, d.dropped_file, d.count) for d in dropped] == [("a.json", "b.json", 1)]
    assert merged["lat"].tolist() == [3.0, 2.0, 1.0, 4.0]  # by time, the row without a time last
    assert merged["file"].tolist() == ["a.json", "a.json", "b.json", "c.json"]
    for column in ("importer", "file", "source", "activity"):
        assert isinstance(merged[column].dtype, pd.CategoricalDtype), column
        categories = list(merged[column].cat.categories)
        assert categories == sorted(categories), column
    activity = merged["activity"]
    assert [None if pd.isna(v) else v for v in activity.tolist()] == ["STILL", None, "WALKING", "CYCLING"]
    assert list(merged["activity"].cat.categories) == ["CYCLING", "STILL", "WALKING"]
