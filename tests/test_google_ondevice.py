"""Google Timeline on-device export (2024+): Android Timeline.json and iOS location-history.json.

Real samples from ../shared/fixtures (dawarich, geopulse, kgeo-device-timeline; two of
them hand-made shapes that must still load), our own samples in tests/data/google-ondevice
(each layout in its exact style, and malformed variants), and the overlap merge through
dataset.load_dataset that drops the fixes repeated by overlapping path windows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.dataset import import_file, load_dataset
from auditor.importers.base import FileRef
from auditor.importers.google_ondevice import IMPORTER_ID, IMPORTERS, PATH_SIGNAL, sniff
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "google-ondevice"
ANDROID = "google_ondevice_android"
IOS = "google_ondevice_ios"


def load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def loaded(path: Path) -> dict[str, pd.DataFrame]:
    frames, report = load(path)
    assert report.error is None, report.error
    return frames


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def expected_counts(path: Path) -> dict[str, int]:
    """Rows each kind should hold, counted from the JSON read independently."""
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    segments = data if isinstance(data, list) else data.get("semanticSegments", [])
    raw = [] if isinstance(data, list) else data.get("rawSignals", [])
    return {
        "visits": sum("visit" in s for s in segments),
        "activities": sum("activity" in s for s in segments),
        "points": sum(len(s.get("timelinePath", [])) for s in segments) + sum("position" in r for r in raw),
    }


def fixture_files(shared_fixtures: Path) -> list[Path]:
    return sorted((shared_fixtures / ANDROID).rglob("*.json")) + sorted(
        (shared_fixtures / IOS).rglob("*.json")
    )


# --- Recognition -------------------------------------------------------------------------


def test_claims_every_ondevice_fixture(shared_fixtures: Path) -> None:
    found = discover([shared_fixtures / ANDROID, shared_fixtures / IOS])
    claims, unclaimed = claim(found.files)
    assert unclaimed == []
    assert len(claims) == 8
    assert {c.importer.id for c in claims} == {IMPORTER_ID}


def test_sniff_is_zero_for_every_other_fixture(shared_fixtures: Path) -> None:
    others = [
        ref
        for ref in discover([shared_fixtures]).files
        if "/google_ondevice_" not in ref.display and not ref.display.endswith("MANIFEST.md")
    ]
    assert len(others) > 30
    claimed = [ref.display for ref in others if sniff(read_head(ref)) > 0]
    assert claimed == []


def test_sniff_reads_our_samples_and_refuses_other_arrays() -> None:
    for name in ("Timeline.json", "location-history.json", "bad-values.json", "missing-times.json"):
        assert sniff(read_head(FileRef(SAMPLES / name))) >= 0.9, name
    assert sniff(read_head(FileRef(SAMPLES / "not-a-timeline.json"))) == 0


def test_sniff_survives_odd_bytes(tmp_path: Path) -> None:
    odd = tmp_path / "odd.json"
    for content in (b"\xff\xfe\x00[{", b"[", b"{", b'{"semanticSegments":', b"\x00" * 100):
        odd.write_bytes(content)
        assert sniff(read_head(FileRef(odd))) in (0.0, 0.95)


# --- Real samples ------------------------------------------------------------------------


def test_every_fixture_loads_with_independent_counts(shared_fixtures: Path) -> None:
    files = fixture_files(shared_fixtures)
    assert len(files) == 8
    for path in files:
        frames, report = load(path)
        assert report.error is None, (path, report.error)
        assert report.skipped_total == 0, (path, reasons(report))
        counts = {kind: len(frames[kind]) for kind in ("visits", "activities", "points")}
        assert counts == expected_counts(path), path
        for kind, frame in frames.items():
            assert list(frame.columns) == [c.name for c in model.columns(kind)]
            assert (frame["source"] == "google-location").all()


def test_android_fixture_exact_values(shared_fixtures: Path) -> None:
    frames, report = load(shared_fixtures / ANDROID / "phone-takeout_w_3_duplicates.json")
    visit = frames["visits"].iloc[0]
    # "2019-04-03T08:13:57.000+02:00" with startTimeTimezoneUtcOffsetMinutes 120.
    assert visit["start"] == utc("2019-04-03T06:13:57")
    assert visit["end"] == utc("2019-04-03T18:10:18")
    assert visit["utc_offset_min"] == 120
    # From the degree string "50.0506312°, 14.3439906°".
    assert (visit["lat"], visit["lon"]) == (50.0506312, 14.3439906)
    assert visit["place_id"] == "some random id"
    assert visit["semantic_type"] == "UNKNOWN"
    assert visit["confidence"] == pytest.approx(0.85)
    assert visit["record"] == 1
    points = frames["points"]
    path = points[points["signal"] == PATH_SIGNAL]
    assert path["time"].tolist() == [utc("2019-04-03T06:14:00"), utc("2019-04-03T06:46:00")]
    assert path["record"].tolist() == [0, 0]
    raw = points[points["signal"] == "WIFI"].iloc[0]
    # rawSignals[1]: key LatLng with a capital L, "2024-06-06T11:44:37.000+01:00".
    assert raw["time"] == utc("2024-06-06T10:44:37")
    assert raw["utc_offset_min"] == 60
    assert (raw["lat"], raw["lon"], raw["accuracy_m"]) == (48.833657, 2.256223, 13.0)
    assert raw["speed_mps"] == pytest.approx(0.0709548)
    assert raw["record"] == 1
    assert report.detail.startswith("Android")
    assert any("1 wifiScan" in note and "2 activityRecord" in note for note in report.notes)
    profile = [note for note in report.notes if note.startswith("Google's own frequent places")]
    assert profile and "WORK at 50.0506, 14.3440" in profile[0] and "HOME at 50.0506, 14.3440" in profile[0]


def test_ios_fixture_exact_values(shared_fixtures: Path) -> None:
    frames, report = load(shared_fixtures / IOS / "location-history.json")
    visit = frames["visits"].iloc[0]
    # "2023-08-27T15:48:56.000-05:00": offset from the string (iOS has no offset field).
    assert visit["start"] == utc("2023-08-27T20:48:56")
    assert visit["end"] == utc("2023-08-27T22:04:26.999")
    assert visit["utc_offset_min"] == -300
    # From "geo:27.720022,-97.347951"; placeID spelled the iOS way; numbers were strings.
    assert (visit["lat"], visit["lon"]) == (27.720022, -97.347951)
    assert visit["place_id"] == "ChIJxxP_Qwb2aIYRTwDNDLkUmD0"
    assert visit["semantic_type"] == "UNKNOWN"
    assert visit["confidence"] == pytest.approx(0.71)
    points = frames["points"]
    # Segment 1 starts "2023-08-27T20:00:00.000Z"; its vertex is 49 minutes after.
    first = points.iloc[0]
    assert first["time"] == utc("2023-08-27T20:49:00")
    assert (first["lat"], first["lon"], first["record"]) == (27.720007, -97.348044, 1)
    # A 'Z' path window says nothing of the local offset on iOS.
    assert points["utc_offset_min"].isna().all()
    assert points["time"].iloc[-1] == utc("2023-08-27T23:52:00")  # 22:00Z + 112 minutes
    assert any(note.startswith("1 timelineMemory segment") for note in report.notes)
    assert "--timezone" in report.timezone


def test_ios_activity_strings_become_numbers_and_modes(shared_fixtures: Path) -> None:
    activities = loaded(shared_fixtures / IOS / "geopulse" / "google-timeline-sample.json")["activities"]
    assert activities["mode"].tolist() == ["WALKING", "IN_VEHICLE"]
    assert activities["distance_m"].tolist() == [4500.0, 3800.0]
    assert activities["confidence"].tolist() == pytest.approx([0.95, 0.92])
    assert (activities["start_lat"].iloc[0], activities["end_lon"].iloc[1]) == (50.4501, 30.532)


def test_hand_made_shapes_load_as_documented(shared_fixtures: Path) -> None:
    # dawarich timeline_new_format.json: raw LatLng and frequent places without the degree
    # sign, a visit without semanticType or visit probability.
    frames, report = load(shared_fixtures / ANDROID / "timeline_new_format.json")
    raw = frames["points"][frames["points"]["signal"] != PATH_SIGNAL].iloc[0]
    assert (raw["lat"], raw["lon"]) == (48.8566, 2.3522)
    assert raw["utc_offset_min"] == 0  # "…09:05:00.000Z" on Android reads as offset 0
    assert pd.isna(frames["visits"]["semantic_type"].iloc[0])
    assert frames["visits"]["confidence"].iloc[0] == pytest.approx(0.95)  # the candidate's
    assert any("HOME at 48.8566, 2.3522" in note for note in report.notes)
    # kgeo test-data.json: segments with both a visit and a path, signals with both an
    # activityRecord and a position, labels beyond HOME and WORK, nested visits.
    frames, report = load(shared_fixtures / ANDROID / "kgeo" / "test-data.json")
    assert len(frames["visits"]) == 2 and len(frames["points"]) == 12
    assert frames["visits"]["semantic_type"].tolist() == ["INFERRED_WORK", "INFERRED_WORK"]
    assert any("GYM at 40.7148, -74.0080" in note for note in report.notes)
    assert any(note.startswith("2 visits nested") for note in report.notes)


# --- Our samples in their exact styles ---------------------------------------------------


def test_android_sample() -> None:
    path = SAMPLES / "Timeline.json"
    frames, report = load(path)
    assert report.error is None and report.skipped_total == 0
    assert {kind: len(frames[kind]) for kind in expected_counts(path)} == expected_counts(path)
    visits = frames["visits"]
    assert visits["semantic_type"].tolist() == ["INFERRED_HOME", "INFERRED_WORK", "UNKNOWN"]
    # After the switch to summer time the stated offset is 120.
    assert visits["utc_offset_min"].tolist() == [60, 60, 120]
    assert visits["start"].iloc[2] == utc("2024-03-31T17:30:00")
    activity = frames["activities"].iloc[0]
    assert activity["mode"] == "IN_PASSENGER_VEHICLE"
    assert activity["distance_m"] == pytest.approx(2841.5249)
    assert (activity["end_lat"], activity["end_lon"]) == (50.0874654, 14.4212535)
    points = frames["points"]
    raw = points[points["signal"] != PATH_SIGNAL]
    assert raw["signal"].tolist() == ["WIFI", "GPS", "CELL"]
    assert raw["record"].tolist() == [0, 3, 4]  # indexes in rawSignals
    assert raw["time"].tolist() == [
        utc("2024-03-10T09:30:12"),
        utc("2024-03-10T16:31:40"),
        utc("2024-03-31T19:05:09"),
    ]
    assert raw["utc_offset_min"].tolist() == [60, 60, 120]
    assert np.isnan(raw["speed_mps"].iloc[1]) and np.isnan(raw["altitude_m"].iloc[2])
    assert raw["accuracy_m"].tolist() == [12.0, 4.0, 1500.0]
    assert any(note.startswith("1 visit nested") for note in report.notes)
    assert report.timezone.startswith("local offset given per record")


def test_ios_sample() -> None:
    path = SAMPLES / "location-history.json"
    frames, report = load(path)
    assert report.error is None and report.skipped_total == 0
    assert {kind: len(frames[kind]) for kind in expected_counts(path)} == expected_counts(path)
    visits = frames["visits"]
    assert visits["semantic_type"].tolist() == ["HOME", "WORK"]  # Title case in the file
    assert visits["place_id"].tolist() == ["ChIJ_sampleIosHome", "ChIJ_sampleIosWork"]
    assert visits["confidence"].tolist() == pytest.approx([0.88, 0.79])
    assert visits["end"].iloc[0] == utc("2024-05-04T13:41:55.999")
    activity = frames["activities"].iloc[0]
    assert activity["mode"] == "IN_PASSENGER_VEHICLE"  # "in passenger vehicle"
    assert activity["distance_m"] == 4123.0
    assert activity["utc_offset_min"] == -300
    points = frames["points"]
    # 12:00Z + 5, 44, 44 minutes; 14:00Z + 10.
    assert points["time"].tolist() == [
        utc("2024-05-04T12:05"),
        utc("2024-05-04T12:44"),
        utc("2024-05-04T12:44"),
        utc("2024-05-04T14:10"),
    ]
    assert points["record"].tolist() == [4, 4, 4, 5]


def test_bom_is_stripped(tmp_path: Path) -> None:
    with_bom = tmp_path / "Timeline.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (SAMPLES / "Timeline.json").read_bytes())
    assert sniff(read_head(FileRef(with_bom))) >= 0.9
    frames = loaded(with_bom)
    plain = loaded(SAMPLES / "Timeline.json")
    for kind in frames:
        pd.testing.assert_frame_equal(frames[kind].drop(columns="file"), plain[kind].drop(columns="file"))


def test_reads_from_a_zip_member(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(SAMPLES / "location-history.json", "Maps/location-history.json")
    frames, report = import_file(FileRef(archive, ("Maps/location-history.json",)), IMPORTER)
    assert report.error is None
    assert len(frames["points"]) == 4
    assert frames["points"]["file"].iloc[0].endswith("!Maps/location-history.json")


# --- Malformed ---------------------------------------------------------------------------


def test_bad_values_are_skipped_with_reasons_and_the_rest_loads() -> None:
    frames, report = load(SAMPLES / "bad-values.json")
    assert report.error is None
    assert reasons(report) == {
        "visit placeLocation is not a coordinate (expected 'lat°, lon°' or 'geo:lat,lon')": [0],
        "activity startTime is not an ISO 8601 time": [3],
        "timelinePath point time is not an ISO 8601 time": [2],
        "timelinePath point is off the globe or (0, 0)": [2, 2],
        "raw position timestamp is missing": [2],
        "raw position timestamp is outside 1990-2100": [0],
        "raw position LatLng is not a coordinate (expected 'lat°, lon°' or 'geo:lat,lon')": [1],
        "segment has none of visit, activity, timelinePath or timelineMemory": [4],
    }
    assert frames["visits"]["place_id"].tolist() == ["ChIJ_goodPlace"]
    assert len(frames["activities"]) == 0
    assert frames["points"]["record"].tolist() == [2, 3]
    assert frames["points"]["time"].tolist() == [utc("2024-03-11T09:10"), utc("2024-03-11T09:31:12")]
    # Every record is accounted for: kept or skipped.
    assert report.rows_read == len(frames["visits"]) + len(frames["points"]) + report.skipped_total


def test_missing_times_are_skipped_with_reasons() -> None:
    frames, report = load(SAMPLES / "missing-times.json")
    assert report.error is None
    assert reasons(report) == {
        "visit startTime is missing": [0],
        "timelinePath point is timed from its segment's startTime, which is unusable": [2, 2],
        "timelinePath point has no time or durationMinutesOffsetFromStartTime": [3],
    }
    assert frames["visits"]["record"].tolist() == [1]
    assert frames["points"]["time"].tolist() == [utc("2024-05-04T14:10")]


def test_wrong_types_skip_only_the_records_that_have_them() -> None:
    frames, report = load(SAMPLES / "wrong-types.json")
    assert report.error is None
    assert reasons(report) == {
        "segment is not in the expected shape (Expected `float | null`, got `str` - at `$.visit.probability`)": [
            0
        ],
        "raw signal is not in the expected shape (Expected `object | null`, got `str` - at `$.position`)": [
            0
        ],
    }
    assert frames["visits"]["place_id"].tolist() == ["ChIJ_fine"]
    assert frames["points"]["record"].tolist() == [1]


def test_ios_record_of_the_wrong_shape_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "location-history.json"
    segments = json.loads((SAMPLES / "location-history.json").read_text())
    segments[1]["activity"]["topCandidate"] = "in passenger vehicle"
    segments[2]["startTime"] = 1714831651
    segments.insert(0, 42)
    path.write_text(json.dumps(segments, indent=2))
    frames, report = load(path)
    assert report.error is None
    assert sorted(reasons(report).values()) == [[0], [2], [3]]
    assert any("$.activity.topCandidate" in reason for reason in reasons(report))
    assert len(frames["visits"]) == 1 and len(frames["activities"]) == 0 and len(frames["points"]) == 4


def test_truncated_json_is_a_clear_error() -> None:
    frames, report = load(SAMPLES / "truncated.json")
    assert frames == {}
    assert (
        report.error
        == "the JSON stops in the middle (after 2,600 bytes): the export or its copy was cut short"
    )


def test_array_that_is_not_a_timeline_is_refused() -> None:
    frames, report = load(SAMPLES / "not-a-timeline.json")
    assert frames == {}
    assert report.error.startswith("a JSON array, but not of Timeline segments")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t ", "the file is empty"),
        (b'"just a string"', "expected an on-device Timeline export"),
        (b'{"locations": []}', "not an on-device Timeline export"),
        (b'{"semanticSegments": [}', "the JSON is invalid"),
        (
            '[{"startTime": "2024-05-04T09:07:31.000-05:00", "visit": {"topCandidate": {"semanticType": "Café"}}}]'.encode(
                "latin-1"
            ),
            "not UTF-8 text: a string holds the byte 0xe9",
        ),
        ('{"semanticSegments": []}'.encode("utf-16"), "the file is UTF-16 text"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "Timeline.json"
    path.write_bytes(content)
    frames, report = load(path)
    assert frames == {}
    assert report.error is not None and message in report.error


def test_empty_timeline_loads_to_empty_frames(tmp_path: Path) -> None:
    path = tmp_path / "Timeline.json"
    path.write_text('{"semanticSegments": [], "rawSignals": []}')
    frames = loaded(path)
    assert {kind: len(frame) for kind, frame in frames.items()} == {"visits": 0, "activities": 0, "points": 0}


# --- Overlapping path windows: duplicates go in the merge, not in the importer -----------


def test_ios_fixture_repeats_are_dropped_and_counted_by_the_merge(shared_fixtures: Path) -> None:
    path = shared_fixtures / IOS / "location-history.json"
    assert len(loaded(path)["points"]) == 10  # the importer keeps every copy
    dataset = load_dataset([path])
    # Offsets 4, 10 and 112 each appear twice at the same place in the last window.
    assert len(dataset["points"]) == 7
    assert dataset.reports[0].duplicates_dropped == 3
    assert sum(d.count for d in dataset.duplicates if d.kind == "points") == 3


def test_android_duplicates_fixture_through_load_dataset(shared_fixtures: Path, tmp_path: Path) -> None:
    # dawarich counts 3 duplicates in this file among the points it makes itself (one per
    # visit and per frequent place); we make points only from the path and raw positions,
    # and those 3 fixes are distinct in time. The same export read twice (a second copy
    # on disk) drops all 3 from one of the copies.
    original = shared_fixtures / ANDROID / "phone-takeout_w_3_duplicates.json"
    alone = load_dataset([original])
    assert len(alone["points"]) == 3 and alone.duplicates == []
    copy = tmp_path / "Timeline.json"
    shutil.copyfile(original, copy)
    both = load_dataset([original, copy])
    assert len(both["points"]) == 3
    assert sum(d.count for d in both.duplicates if d.kind == "points") == 3
    assert len(both["visits"]) == 1  # the visit is repeated too, and dropped once


def test_android_sample_repeat_in_one_window_is_dropped() -> None:
    dataset = load_dataset([SAMPLES / "Timeline.json"])
    assert len(dataset["points"]) == 7
    assert dataset.reports[0].duplicates_dropped == 1
