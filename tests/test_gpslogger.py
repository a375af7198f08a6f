"""GPSLogger for Android CSV logs: the real sample, our own samples by era, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers.base import FileRef, Head
from auditor.importers.gpslogger import IMPORTERS, TOO_MANY_FIELDS, sniff
from auditor.importers.tracker_common import BAD_TIME, NO_COORDINATES
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "gpslogger"


def load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def data_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [row for row in csv.reader(handle)][1:]


def test_claims_the_gpslogger_fixture_and_no_other(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    assert [Path(c.ref.path) for c in claims] == [shared_fixtures / "location_csv/dawarich/gpslogger.csv"]
    assert claims[0].confidence == 0.95


def test_sniff_levels() -> None:
    assert sniff(read_head(FileRef(SAMPLES / "20170813.csv"))) == 0.95
    any_ref = FileRef(SAMPLES / "20250124.csv")  # only the head's bytes matter
    for header, expected in (
        ("time,lat,lon,alt\n", 0.5),
        ("Date,Description,Amount\n", 0.0),
        ("lat,lon,time\n", 0.0),
    ):
        assert sniff(Head(any_ref, header.encode())) == expected


def test_real_sample(shared_fixtures: Path) -> None:
    path = shared_fixtures / "location_csv/dawarich/gpslogger.csv"
    rows = data_rows(path)
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == len(rows) and not report.skipped
    assert list(points["record"]) == list(range(2, len(rows) + 2))
    first = points.iloc[0]
    assert first["time"] == pd.Timestamp("2024-06-15T10:30:00Z")
    assert (first["lat"], first["lon"]) == (52.52, 13.405)
    assert first["accuracy_m"] == 8 and first["altitude_m"] == 34 and first["speed_mps"] == pytest.approx(1.5)
    assert first["signal"] == "GPS" and first["activity"] == "WALKING"
    assert points["utc_offset_min"].isna().all()


def test_current_header_with_time_offset_and_bad_lines() -> None:
    path = SAMPLES / "20250124.csv"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == [2, 3, 4]
    assert list(points["utc_offset_min"]) == [-420, -420, -420]
    assert list(points["signal"]) == ["GPS", "NETWORK", "GPS"]
    assert points["time"][2] == pd.Timestamp("2025-01-24T07:04:29.171Z")
    assert points["lat"][1] == 39.7385121 and points["accuracy_m"][1] == 24
    # Line 5 is blank (not a record); 6 has no place, 7 one field too many, 8 a non-ISO time.
    assert reasons(report) == {NO_COORDINATES: [6], TOO_MANY_FIELDS: [7], BAD_TIME: [8]}


def test_old_header_with_trailing_commas() -> None:
    path = SAMPLES / "20170813.csv"
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == len(data_rows(path)) and not report.skipped
    assert points["speed_mps"][2] == pytest.approx(9.415813)
    assert points["activity"].isna().all()


def test_time_with_offset_written_in_the_time_column(tmp_path: Path) -> None:
    path = tmp_path / "20240101.csv"
    path.write_text(
        "time,lat,lon,elevation,accuracy,bearing,speed\n2024-01-01T09:00:00.000+05:30,12.97,77.59,920,5,0,0\n"
    )
    frames, _ = load(path)
    assert frames["points"]["time"][0] == pd.Timestamp("2024-01-01T03:30:00Z")
    assert frames["points"]["utc_offset_min"][0] == 330


def test_bom_and_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "20240102.csv"
    path.write_bytes(b"\xef\xbb\xbftime,lat,lon,elevation,accuracy\n")
    frames, report = load(path)
    assert len(frames["points"]) == 0 and report.error is None


def test_header_without_coordinates_and_empty_file(tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("time,latitude,longitude\n2024-01-01T00:00:00Z,1,2\n")
    _, report = load(wrong)
    assert report.error == "the header has no lat, lon column; expected time,lat,lon,..."
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _, report = load(empty)
    assert report.error == "the file is empty; expected a GPSLogger CSV with a header line"


def test_line_numbers_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.importers import gpslogger

    monkeypatch.setattr(gpslogger, "CHUNK_ROWS", 100)
    lines = [f"2024-02-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,45.{i:04d},7.5,300,5" for i in range(1000)]
    lines[449] += ",x,y,z,extra"  # line 451 of the file
    path = tmp_path / "20240201.csv"
    path.write_text("time,lat,lon,elevation,accuracy\n" + "\n".join(lines) + "\n")
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == 999
    assert reasons(report) == {TOO_MANY_FIELDS: [451]}
    assert points["record"].iloc[-1] == 1001
    assert points.set_index("record").loc[452, "lat"] == 45.0450


def test_a_first_row_wider_than_the_header_is_skipped_not_made_an_index(tmp_path: Path) -> None:
    # pandas reads a first data row wider than the header as an index column: every field moved
    # one column left (the time read as a latitude...), and a row of thousands of fields made an
    # index of thousands of levels (seconds per file, found by the long fuzzing run).
    path = tmp_path / "20240301.csv"
    path.write_text(
        "time,lat,lon,elevation,accuracy\n"
        "2024-03-01T08:00:00Z,45.1,7.5,300,5," + ",".join(["9"] * 5000) + "\n"
        "2024-03-01T08:01:00Z,45.2,7.6,301,6\n"
        "2024-03-01T08:02:00Z,45.3,7.7,302,7,extra\n"
        "2024-03-01T08:03:00Z,45.4,7.8,303,8\n"
    )
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == [3, 5]
    assert list(points["lat"]) == [45.2, 45.4] and list(points["altitude_m"]) == [301, 303]
    assert points["time"].iloc[0] == pd.Timestamp("2024-03-01T08:01:00Z")
    assert reasons(report) == {TOO_MANY_FIELDS: [2, 4]}


def test_a_header_of_thousands_of_columns_is_refused_with_its_count(tmp_path: Path) -> None:
    # pandas spends milliseconds per column and renames repeated names with a quadratic search:
    # 20,000 names took 10 s for a 40 KB file. No GPSLogger version writes more than about 25.
    wide = tmp_path / "20240302.csv"
    wide.write_text("time,lat,lon," + ",".join(["x"] * 20000) + "\n2024-03-02T08:00:00Z,45.1,7.5\n")
    frames, report = load(wide)
    assert report.error == (
        "the header names 20,003 columns; a GPSLogger log has at most about 25 (time,lat,lon,...), so this is not read"
    )
    assert len(frames.get("points", [])) == 0
    endless = tmp_path / "20240303.csv"
    endless.write_text("time,lat,lon," + "y" * 70000 + "\n2024-03-03T08:00:00Z,45.1,7.5\n")
    _, report = load(endless)
    assert report.error == "the header line is longer than 64 KB; a GPSLogger header is one short line"
    widest = tmp_path / "20250124.csv"  # the current app's header, 24 names, still reads
    widest.write_text((SAMPLES / "20250124.csv").read_text())
    assert load(widest)[1].error is None
