"""Polarsteps trip locations.json: the real sample, our own samples, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from auditor.dataset import import_file
from auditor.importers.base import FileRef
from auditor.importers.polarsteps import IMPORTERS, sniff
from auditor.importers.tracker_common import NO_COORDINATES, NO_TIME, TIME_OUT_OF_RANGE
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "polarsteps"


def load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def test_claims_the_polarsteps_fixture_and_no_other(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    assert [Path(c.ref.path) for c in claims] == [shared_fixtures / "polarsteps/dawarich/locations.json"]


def test_sniff_is_zero_on_records_json_and_overland(shared_fixtures: Path) -> None:
    for path in [
        *(shared_fixtures / "google_records").rglob("*.json"),
        shared_fixtures / "overland/dawarich/geodata.json",
    ]:
        assert sniff(read_head(FileRef(path))) == 0, path
    assert sniff(read_head(FileRef(SAMPLES / "locations.json"))) == 0.9


def test_real_sample_with_iso_times(shared_fixtures: Path) -> None:
    path = shared_fixtures / "polarsteps/dawarich/locations.json"
    records = json.loads(path.read_text())["locations"]
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == len(records) and not report.skipped
    assert points["time"][0] == pd.Timestamp("2024-06-01T10:00:00Z")
    assert (points["lat"][2], points["lon"][2]) == (52.5220, 13.4070)


def test_export_layout_epoch_seconds_unsorted() -> None:
    path = SAMPLES / "locations.json"
    records = json.loads(path.read_text())["locations"]
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == len(records) and not report.skipped
    assert list(points["record"]) == list(range(len(records)))
    assert points["time"][0] == pd.Timestamp(1552311342, unit="s", tz="UTC")
    assert points["time"][3] == pd.Timestamp("2019-03-10T23:02:22Z")
    assert (points["lat"][3], points["lon"][3]) == (58.1226777, 6.6163907)
    assert points["utc_offset_min"].isna().all()


def test_odd_records_are_counted_and_the_rest_loads() -> None:
    frames, report = load(SAMPLES / "odd_records.json")
    points = frames["points"]
    assert list(points["record"]) == [0, 5]
    assert points["time"][1] == pd.Timestamp("2019-03-10T22:00:00Z")
    assert reasons(report) == {
        "the record does not have the expected fields and types ('time' is array)": [4],
        NO_COORDINATES: [1],
        NO_TIME: [2],
        TIME_OUT_OF_RANGE: [3],
    }


def test_a_record_that_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "locations.json"
    path.write_text('{"locations": [{"lon": 6.6, "lat": 58.1, "time": 1552258942.0}, 42]}')
    frames, report = load(path)
    assert list(frames["points"]["record"]) == [0]
    assert reasons(report) == {
        "the record does not have the expected fields and types (a JSON int where an object was expected)": [
            1
        ]
    }


def test_truncated_file() -> None:
    frames, report = load(SAMPLES / "truncated.json")
    assert frames == {}
    assert report.error.startswith("the JSON is invalid or truncated")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "locations.json"
    path.write_bytes(b"")
    _, report = load(path)
    assert report.error == "the file is empty; expected JSON"
