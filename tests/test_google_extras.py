"""Takeout Location History side files: Settings.json (devices) and Timeline Edits.json."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dataset import import_file, load_dataset
from auditor.importers.base import FileRef, Head
from auditor.importers.google_extras import IMPORTERS, sniff_edits, sniff_settings
from auditor.sources import claim, discover

SETTINGS, EDITS = IMPORTERS
SAMPLES = Path(__file__).parent / "data" / "google-extras" / "Takeout" / "Location History (Timeline)"


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


# --- Recognition ---------------------------------------------------------------------------


def test_claims_the_side_files_among_all_fixtures_and_nothing_else(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    claimed = {c.ref.path.relative_to(shared_fixtures).as_posix(): c.importer.id for c in claims}
    assert claimed == {
        "google_other/device_settings.json": "google-settings",
        "google_other/kgeo/settings.json": "google-settings",
        "google_other/timeline_edits.json": "google-timeline-edits",
        "google_other/kgeo/timeline-edits.json": "google-timeline-edits",
    }


def test_settings_file_is_read_not_left_unclaimed() -> None:
    dataset = load_dataset([SAMPLES])
    assert dataset.unclaimed == []
    by_importer = {report.importer: report for report in dataset.reports}
    assert set(by_importer) == {"google-settings", "google-timeline-edits"}
    assert by_importer["google-settings"].notes[0] == "2 devices: Pixel 7 (ANDROID), iPhone (IOS)"


@pytest.mark.parametrize(
    "text",
    [
        '{"timelineObjects": [{"placeVisit": {}}]}',
        '{"locations": [{"latitudeE7": 1, "deviceTag": 5}]}',
        '{"semanticSegments": [], "userLocationProfile": {"frequentPlaces": []}}',
        '[{"createdTime": "2020-01-01T00:00:00Z"}]',
        "",
    ],
)
def test_sniffs_refuse_other_formats(text: str) -> None:
    head = Head(FileRef(Path("Settings.json")), text.encode())
    assert sniff_settings(head) == 0 and sniff_edits(head) == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_sniffs_never_raise_on_odd_bytes(data: bytes) -> None:
    head = Head(FileRef(Path("x.json")), data)
    assert 0 <= sniff_settings(head) <= 1 and 0 <= sniff_edits(head) <= 1


def test_settings_sniff_without_device_list_in_the_head() -> None:
    text = (
        '{"createdTime": "2013-08-10T18:07:41.251Z", "modifiedTime": "x", '
        '"hasReportedLocations": true, "hasSetRetention": false}'
    )
    assert sniff_settings(Head(FileRef(Path("Einstellungen.json")), text.encode())) == 0.7


# --- Settings.json -------------------------------------------------------------------------


def test_kgeo_settings_names_every_device(shared_fixtures: Path) -> None:
    path = shared_fixtures / "google_other/kgeo/settings.json"
    devices = json.loads(path.read_text())["deviceSettings"]
    frames, report = import_file(FileRef(path), SETTINGS)
    assert frames == {} and report.error is None
    assert report.notes[0] == (
        f"{len(devices)} devices: SM-S911W (ANDROID), Pixel 2 (ANDROID), "
        "sp9853i_1h10_vmm (ANDROID), Max’s iPhone (IOS)"
    )
    assert "-1182793264 = Pixel 2" in report.notes[1]
    assert report.notes[2] == "Location History settings created 2013-08-10, last modified 2023-07-06"


def test_dawarich_settings_without_pretty_name_uses_the_model(shared_fixtures: Path) -> None:
    frames, report = import_file(FileRef(shared_fixtures / "google_other/device_settings.json"), SETTINGS)
    assert frames == {} and report.error is None
    assert report.notes[:2] == [
        "1 device: Pixel 7 (Google)",
        "device tags (the deviceTag of location records): -1234567890 = Pixel 7",
    ]


def test_own_settings_sample() -> None:
    frames, report = import_file(FileRef(SAMPLES / "Settings.json"), SETTINGS)
    assert frames == {}
    assert report.notes[0] == "2 devices: Pixel 7 (ANDROID), iPhone (IOS)"
    assert report.notes[1].endswith("566860671 = Pixel 7; -1379988581 = iPhone")


@pytest.mark.parametrize(
    ("document", "error", "skipped"),
    [
        ([], "expected Location History Settings.json", {}),
        ({"deviceSettings": {"deviceTag": 1}}, "deviceSettings is not a list", {}),
        (
            {"deviceSettings": ["Pixel", {"deviceTag": 7, "deviceSpec": {"model": "Pixel 8"}}]},
            None,
            {"deviceSettings entry is not a JSON object": [0]},
        ),
    ],
)
def test_bad_settings(tmp_path: Path, document: object, error: str | None, skipped: dict) -> None:
    path = tmp_path / "Settings.json"
    path.write_text(json.dumps(document))
    _, report = import_file(FileRef(path), SETTINGS)
    assert (report.error is None) if error is None else (error in report.error)
    assert reasons(report) == skipped
    if error is None:
        assert report.notes[0] == "1 device: Pixel 8"


# --- Timeline Edits.json -------------------------------------------------------------------


def test_dawarich_timeline_edits_position(shared_fixtures: Path) -> None:
    frames, report = import_file(FileRef(shared_fixtures / "google_other/timeline_edits.json"), EDITS)
    points = frames["points"]
    assert report.error is None and len(points) == 1
    point = points.iloc[0]
    assert point["time"] == utc("2025-08-15T14:32:18Z")
    assert (point["lat"], point["lon"]) == (pytest.approx(35.5831402), pytest.approx(-119.3393903))
    assert point["accuracy_m"] == 12.0  # accuracyMm 12000
    assert point["device"] == "-1613859921"
    assert pd.isna(point["utc_offset_min"])


def test_kgeo_place_aggregates_are_described_not_loaded(shared_fixtures: Path) -> None:
    path = shared_fixtures / "google_other/kgeo/timeline-edits.json"
    edits = json.loads(path.read_text())["timelineEdits"]
    places = {info["placeId"] for edit in edits for info in edit["placeAggregates"]["placeAggregateInfo"]}
    frames, report = import_file(FileRef(path), EDITS)
    assert len(frames["points"]) == 0 and report.skipped_total == 0
    assert report.notes == [
        f"{len(edits)} place aggregates over windows from 2023-09-12 to 2023-12-13, "
        f"ranking {len(places)} distinct places: Google's ranking of your most frequent places, "
        "not loaded as visits because they carry no times"
    ]


def test_own_timeline_edits_sample() -> None:
    path = SAMPLES / "Timeline Edits.json"
    edits = json.loads(path.read_text())["timelineEdits"]
    with_point = [
        i
        for i, e in enumerate(edits)
        if "point" in e.get("rawSignal", {}).get("signal", {}).get("position", {})
    ]
    frames, report = import_file(FileRef(path), EDITS)
    points = frames["points"]
    assert points["record"].tolist() == [0, 4] == with_point[:2]
    assert reasons(report) == {
        "rawSignal position has no point.latE7/lngE7": [5],
        "rawSignal position has no ISO 8601 timestamp": [6],
    }
    first = points.iloc[0]
    assert first["time"] == utc("2023-10-02T04:14:41.412Z")
    assert (first["accuracy_m"], first["altitude_m"], first["speed_mps"], first["signal"]) == (
        13.0,
        91.0,
        0.0,
        "WIFI",
    )
    assert points["accuracy_m"].iloc[1] == 4.5 and points["signal"].iloc[1] == "GPS"
    notes = " ".join(report.notes)
    assert "1 place aggregate over windows from 2023-07-10 to 2023-10-02, ranking 2 distinct places" in notes
    assert "1 raw activity record" in notes and "1 Wi-Fi scan" in notes
    assert report.rows_read == len(points) + report.skipped_total


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"timelineEdits": [{"deviceId": "0", "rawSignal": {"sig', "invalid or truncated"),
        (b"", "the file is empty"),
        (b'{"timelineEdits": {"deviceId": "0"}}', 'a "timelineEdits" list'),
    ],
)
def test_bad_timeline_edits_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "Timeline Edits.json"
    path.write_bytes(content)
    frames, report = import_file(FileRef(path), EDITS)
    assert frames == {} and report.error is not None and message in report.error


def test_odd_timeline_edits_are_skipped_and_the_rest_loads(tmp_path: Path) -> None:
    good = {
        "deviceId": "1",
        "rawSignal": {
            "signal": {
                "position": {
                    "point": {"latE7": 481372300, "lngE7": 115754900},
                    "accuracyMm": 9000,
                    "timestamp": "2024-02-17T04:14:41Z",
                }
            }
        },
    }
    far = {
        "deviceId": "1",
        "rawSignal": {
            "signal": {
                "position": {
                    "point": {"latE7": 1481372300, "lngE7": 115754900},
                    "timestamp": "2024-02-17T04:15:00Z",
                }
            }
        },
    }
    early = {
        "deviceId": "1",
        "rawSignal": {
            "signal": {
                "position": {
                    "point": {"latE7": 481372300, "lngE7": 115754900},
                    "timestamp": "1970-01-01T00:00:00Z",
                }
            }
        },
    }
    path = tmp_path / "Timeline Edits.json"
    path.write_text(json.dumps({"timelineEdits": [good, 42, {"deviceId": "1"}, far, early]}))
    frames, report = import_file(FileRef(path), EDITS)
    assert frames["points"]["lat"].tolist() == [pytest.approx(48.13723)]
    assert frames["points"]["accuracy_m"].tolist() == [9.0]
    assert reasons(report) == {
        "timeline edit is not a JSON object": [1],
        "timeline edit holds neither placeAggregates nor a rawSignal position": [2],
        "rawSignal position is not on the globe (latE7/lngE7)": [3],
        "rawSignal position time is outside 1990-2100": [4],
    }
