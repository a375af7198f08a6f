"""Overland (iOS) GeoJSON batches: the real sample, our own sample, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from auditor.dataset import import_file
from auditor.importers.base import FileRef
from auditor.importers.overland import IMPORTERS, NO_GEOMETRY, sniff
from auditor.importers.tracker_common import NO_TIME
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "overland"


def load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def point_features(path: Path) -> list[int]:
    """Indexes of the features with a Point geometry, found with the standard library."""
    features = json.loads(path.read_text())["locations"]
    return [i for i, f in enumerate(features) if (f.get("geometry") or {}).get("type") == "Point"]


def test_claims_the_overland_fixture_and_no_other(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    assert [Path(c.ref.path) for c in claims] == [shared_fixtures / "overland/dawarich/geodata.json"]


def test_sniff_is_zero_on_records_json_and_polarsteps(shared_fixtures: Path) -> None:
    for path in [
        *(shared_fixtures / "google_records").rglob("*.json"),
        shared_fixtures / "polarsteps/dawarich/locations.json",
    ]:
        assert sniff(read_head(FileRef(path))) == 0, path
    assert sniff(read_head(FileRef(SAMPLES / "batch.json"))) == 0.95


def test_real_batch_point_and_app_event(shared_fixtures: Path) -> None:
    path = shared_fixtures / "overland/dawarich/geodata.json"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == point_features(path) == [0]
    point = points.iloc[0]
    # GeoJSON order: [lon, lat].
    assert (point["lat"], point["lon"]) == (37.3318, -122.030581)
    assert point["time"] == pd.Timestamp("2015-10-01T15:00:00Z")
    assert point["utc_offset_min"] == -7 * 60
    assert point["speed_mps"] == 4 and point["accuracy_m"] == 30
    # vertical_accuracy -1: iOS did not measure the altitude, whatever the 0 says.
    assert np.isnan(point["altitude_m"])
    assert point["activity"] == "DRIVING"
    assert reasons(report) == {NO_GEOMETRY: [1]}


def test_own_batch_motion_offsets_and_missing_time() -> None:
    path = SAMPLES / "batch.json"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == [0, 1]
    assert list(points["activity"]) == ["DRIVING", "WALKING"]
    assert list(points["utc_offset_min"]) == [-480, -480]
    assert points["time"][1] == pd.Timestamp("2023-11-07T16:17:40Z")
    assert points["altitude_m"][0] == 16 and np.isnan(points["altitude_m"][1])
    assert np.isnan(points["speed_mps"][1]) and points["accuracy_m"][1] == 65
    assert set(points["device"]) == {"ipho"}
    assert reasons(report) == {NO_TIME: [2], NO_GEOMETRY: [3]}
    assert report.rows_read == len(json.loads(path.read_text())["locations"])


def test_wrongly_typed_feature_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "batch.json"
    good = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
        "properties": {"timestamp": "2024-01-01T10:00:00Z"},
    }
    odd = {"type": "Feature", "geometry": {"type": "Point", "coordinates": "48.85,2.35"}, "properties": {}}
    path.write_text(json.dumps({"locations": [good, odd, good]}))
    frames, report = load(path)
    assert list(frames["points"]["record"]) == [0, 2]
    assert frames["points"]["utc_offset_min"].isna().all()
    [(reason, records)] = reasons(report).items()
    assert records == [1] and "'geometry.coordinates' is str" in reason


def test_truncated_batch_and_wrong_top_level(tmp_path: Path) -> None:
    truncated = tmp_path / "cut.json"
    truncated.write_text((SAMPLES / "batch.json").read_text()[:700])
    _, report = load(truncated)
    assert report.error.startswith("the JSON is invalid or truncated")
    other = tmp_path / "other.json"
    other.write_text('{"features": []}')
    _, report = load(other)
    assert report.error == 'expected a JSON object with a "locations" list'
