"""Google Semantic Location History month files: real samples, our own samples, bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.dataset import import_file
from auditor.importers.base import FileRef, Head
from auditor.importers.google_semantic import IMPORTERS, parse_times, sniff
from auditor.sources import claim, discover

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "google-semantic"
AUGUST = SAMPLES / "Takeout/Location History (Timeline)/Semantic Location History/2021/2021_AUGUST.json"
MAY_2016 = SAMPLES / "Takeout/Standortverlauf/Semantic Location History/2016/2016_MAY.json"
MALFORMED = SAMPLES / "malformed/2021_SEPTEMBER.json"


def load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames, report


def objects_of(path: Path, key: str) -> list[dict]:
    """The bodies of one object type, counted with the standard library, not the importer."""
    document = json.loads(path.read_text(encoding="utf-8-sig"))
    return [item[key] for item in document["timelineObjects"] if isinstance(item, dict) and key in item]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


# --- Recognition ---------------------------------------------------------------------------


def test_claims_every_semantic_fixture_and_no_other(shared_fixtures: Path) -> None:
    found = discover([shared_fixtures])
    claims, _ = claim(found.files, importers=IMPORTERS)
    claimed = {Path(c.ref.path) for c in claims}
    semantic = set((shared_fixtures / "google_semantic").rglob("*.json"))
    assert claimed == semantic
    assert len(semantic) == 16


def test_claims_own_samples_whatever_the_folder_language() -> None:
    claims, unclaimed = claim(discover([SAMPLES]).files)
    assert {c.importer.id for c in claims} == {"google-semantic"}
    assert len(claims) == 3 and not unclaimed


@pytest.mark.parametrize(
    "text",
    [
        '{"locations": [{"latitudeE7": 1}]}',
        '{"semanticSegments": [{"visit": {}}]}',
        '[{"endTime": "2024-01-01T00:00:00Z", "visit": {}}]',
        '{"timelineEdits": []}',
        "City,Product Type,Trip or Order Status",
        "",
    ],
)
def test_sniff_refuses_other_formats(text: str) -> None:
    assert sniff(Head(FileRef(Path("x.json")), text.encode())) == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_sniff_never_raises_on_odd_bytes(data: bytes) -> None:
    assert 0 <= sniff(Head(FileRef(Path("x.json")), data)) <= 1


# --- Real samples (dawarich) ---------------------------------------------------------------


def test_dawarich_month_file(shared_fixtures: Path) -> None:
    path = shared_fixtures / "google_semantic/semantic_history.json"
    frames, report = load(path)
    segments = objects_of(path, "activitySegment")
    activities = frames["activities"]
    assert report.error is None and report.skipped_total == 0
    assert len(activities) == len(segments) == 3
    assert activities["start"].iloc[0] == utc("2013-12-01T07:05:14.222Z")
    assert activities["end"].iloc[2] == utc("2013-12-01T09:11:45.637Z")
    # "distance" where given, else the waypoint path's distanceMeters.
    assert activities["distance_m"].tolist() == [pytest.approx(209.65263509609417), 3853.0, 413.0]
    # No activityType and all probabilities 0: the mode is waypointPath.travelMode.
    assert activities["mode"].tolist() == ["WALKING", "IN_VEHICLE", "WALKING"]
    assert activities["confidence"].tolist() == [0.25] * 3
    # startLocation/endLocation are empty: the first/last waypoint places the segment.
    assert activities["start_lat"].iloc[1] == pytest.approx(53.3410301)
    assert activities["end_lon"].iloc[1] == pytest.approx(83.7596359)
    # Waypoints have no times, so no points are invented from them.
    waypoint_count = sum(len(s["waypointPath"]["waypoints"]) for s in segments)
    assert len(frames["points"]) == 0
    assert f"{waypoint_count} waypoints (road-snapped path vertices" in " ".join(report.notes)
    assert activities["utc_offset_min"].isna().all()
    assert "--timezone" in report.timezone


def test_dawarich_file_with_bom(shared_fixtures: Path) -> None:
    path = shared_fixtures / "google_semantic/semantic_history_with_bom.json"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    frames, report = load(path)
    assert report.error is None
    assert len(frames["activities"]) == 1
    points = frames["points"]
    assert points["time"].tolist() == [utc("2024-01-01T10:00:00Z"), utc("2024-01-01T10:30:00Z")]
    assert points["lat"].tolist() == [pytest.approx(60.4518), pytest.approx(60.4519)]
    assert points["lon"].iloc[1] == pytest.approx(22.2667)


# Every variant dawarich tests, with the start time it must give. dawarich's file names
# swap "seconds" and "milliseconds"; the value's size decides, not the name.
VARIANTS = {
    "with_activitySegment_with_startLocation.json": ("activities", "2025-03-24T19:07:24Z", 60),
    "with_activitySegment_with_startLocation_timestampMs.json": (
        "activities",
        "2025-03-24T19:25:02.585Z",
        None,
    ),
    "with_activitySegment_with_startLocation_timestamp_in_milliseconds_format.json": (
        "activities",
        "2025-03-24T19:23:52Z",
        None,
    ),
    "with_activitySegment_with_startLocation_timestamp_in_seconds_format.json": (
        "activities",
        "2025-03-24T19:25:02.585Z",
        None,
    ),
    "with_activitySegment_with_startLocation_with_iso_timestamp.json": (
        "activities",
        "2025-03-24T19:20:23Z",
        60,
    ),
    "with_activitySegment_without_startLocation.json": ("activities", "2025-03-24T19:07:24Z", 60),
    "with_placeVisit_with_location_with_coordinates.json": ("visits", "2025-03-24T19:23:52Z", None),
    "with_placeVisit_with_location_with_coordinates_with_iso_timestamp.json": (
        "visits",
        "2025-03-24T19:25:02Z",
        60,
    ),
    "with_placeVisit_with_location_with_coordinates_with_milliseconds_timestamp.json": (
        "visits",
        "2025-03-24T19:25:02.585Z",
        None,
    ),
    "with_placeVisit_with_location_with_coordinates_with_seconds_timestamp.json": (
        "visits",
        "2025-03-24T19:25:02Z",
        None,
    ),
    "with_placeVisit_with_location_with_coordinates_with_timestampMs.json": (
        "visits",
        "2025-03-24T19:25:02.585Z",
        None,
    ),
    "with_placeVisit_without_location_with_coordinates_with_otherCandidateLocations.json": (
        "visits",
        "2025-03-24T19:25:02Z",
        60,
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_dawarich_variants_load(shared_fixtures: Path, name: str) -> None:
    path = shared_fixtures / "google_semantic/dawarich_variants" / name
    kind, start, offset = VARIANTS[name]
    frames, report = load(path)
    assert report.error is None and report.skipped_total == 0
    table = frames[kind]
    assert len(table) == 1
    assert table["start"].iloc[0] == utc(start)
    assert table["end"].isna().all()  # these variants give no end; none is invented
    written = table["utc_offset_min"].iloc[0]
    assert (pd.isna(written) and offset is None) or written == offset
    body = objects_of(path, "placeVisit" if kind == "visits" else "activitySegment")[0]
    where = (
        body.get("location") or body.get("startLocation") or (body.get("otherCandidateLocations") or [{}])[0]
    )
    lat_column = "lat" if kind == "visits" else "start_lat"
    expected = where["latitudeE7"] if where else body["waypointPath"]["waypoints"][0]["latE7"]
    assert table[lat_column].iloc[0] == pytest.approx(expected / 1e7)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        (
            "with_placeVisit_without_location_with_coordinates.json",
            "placeVisit has no coordinates (location.latitudeE7/longitudeE7, centerLatE7/centerLngE7 "
            "or otherCandidateLocations)",
        ),
        (
            "with_activitySegment_without_startLocation_without_waypointPath.json",
            "activitySegment has neither a location (startLocation, endLocation, waypointPath) "
            "nor an activityType",
        ),
    ],
)
def test_dawarich_variants_without_a_place_are_skipped_with_reason(
    shared_fixtures: Path, name: str, reason: str
) -> None:
    frames, report = load(shared_fixtures / "google_semantic/dawarich_variants" / name)
    assert report.error is None
    assert reasons(report) == {reason: [0]}
    assert sum(len(f) for f in frames.values()) == 0
    assert report.rows_read == 1


# --- Our own samples in the real layout ----------------------------------------------------


def test_august_sample_counts_match_an_independent_count() -> None:
    frames, report = load(AUGUST)
    visits = objects_of(AUGUST, "placeVisit")
    segments = objects_of(AUGUST, "activitySegment")
    children = sum(len(v.get("childVisits", [])) for v in visits)
    expected_points = sum(
        ("latitudeE7" in s.get("startLocation", {}))
        + ("latitudeE7" in s.get("endLocation", {}))
        + len(s.get("simplifiedRawPath", {}).get("points", []))
        + ("parkingEvent" in s)
        for s in segments
    ) + sum(len(v.get("simplifiedRawPath", {}).get("points", [])) for v in visits)
    assert report.error is None and report.skipped_total == 0
    assert len(frames["visits"]) == len(visits) + children == 4
    assert len(frames["activities"]) == len(segments) == 2
    assert len(frames["points"]) == expected_points == 9
    assert report.rows_read == 15
    assert report.detail == "Semantic Location History month file"


def test_august_sample_visit_values() -> None:
    visits = load(AUGUST)[0]["visits"]
    home = visits.iloc[0]
    assert home["start"] == utc("2021-08-01T01:22:24Z")
    assert home["end"] == utc("2021-08-01T12:05:10.123Z")
    assert home["name"] == "12 Example Crescent"
    assert home["address"] == "12 Example Crescent\nToronto, ON M5V 2T6\nCanada"
    assert home["place_id"] == "ChIJm0Y3nQs1K4gRqmJ3kWjT9_c"
    assert home["semantic_type"] == "HOME"
    assert home["confidence"] == pytest.approx(0.85)
    assert (home["lat"], home["lon"]) == (pytest.approx(43.653257), pytest.approx(-79.38324))
    assert pd.isna(home["utc_offset_min"])
    assert visits["semantic_type"].tolist()[:2] == ["HOME", "WORK"]
    # The child visit keeps its parent's record number and its own place and times.
    child = visits.iloc[2]
    assert (child["record"], child["name"]) == (2, "Sample Coffee Bar")
    assert child["start"] == utc("2021-08-01T16:03:00Z") and child["confidence"] == pytest.approx(0.64)
    assert pd.isna(child["semantic_type"])
    # A location without coordinates is placed at the visit's centre; USER_CONFIRMED reads 1.0.
    aliased = visits.iloc[3]
    assert aliased["semantic_type"] == "ALIASED_LOCATION"
    assert aliased["lat"] == pytest.approx(43.6532011)
    assert aliased["confidence"] == 1.0


def test_august_sample_activity_and_point_values() -> None:
    frames, report = load(AUGUST)
    drive = frames["activities"].iloc[0]
    assert drive["mode"] == "IN_PASSENGER_VEHICLE"
    assert drive["distance_m"] == 7040.0  # "distance", not waypointPath.distanceMeters
    assert drive["confidence"] == 0.75
    assert drive["start"] == utc("2021-08-01T12:05:10.123Z")
    assert (drive["end_lat"], drive["end_lon"]) == (pytest.approx(43.6480011), pytest.approx(-79.3960402))
    bus = frames["activities"].iloc[1]
    assert (bus["mode"], bus["distance_m"], bus["confidence"]) == ("IN_BUS", 2640.0, 0.5)

    points = frames["points"]
    from_drive = points[points["record"] == 1]
    assert set(from_drive["activity"]) == {"IN_PASSENGER_VEHICLE"}
    parking = from_drive[from_drive["time"] == utc("2021-08-01T12:31:40.512Z")].iloc[0]
    assert parking["accuracy_m"] == 19.0 and parking["lat"] == pytest.approx(43.647889)
    raw = from_drive[from_drive["time"] == utc("2021-08-01T12:11:48Z")].iloc[0]
    assert raw["accuracy_m"] == 10.0
    start = from_drive[from_drive["time"] == drive["start"]].iloc[0]
    assert start["device"] == "566860671"
    # The middle waypoint (no time) never becomes a point; the transit stops neither.
    assert not (points["lat"].round(7) == 43.6509921).any()
    assert not (points["lat"].round(7) == 43.653843).any()
    assert points.loc[points["record"] == 0, "activity"].isna().all()
    notes = " ".join(report.notes)
    assert "1 child visit (a place inside a larger visit" in notes
    assert "3 waypoints" in notes and "1 transit path" in notes


def test_old_style_epoch_millisecond_file() -> None:
    frames, report = load(MAY_2016)
    assert report.error is None and report.skipped_total == 0
    assert "epoch-millisecond" in report.detail
    visits = frames["visits"]
    assert len(visits) == len(objects_of(MAY_2016, "placeVisit")) == 2
    assert visits["start"].iloc[0] == utc("2016-05-01T00:00:00Z")  # "1462060800000"
    assert visits["end"].iloc[0] == utc("2016-05-01T07:02:03.456Z")
    assert visits["name"].iloc[0] == "Beispielstraße 5"
    assert visits["confidence"].tolist() == [
        pytest.approx(0.97),
        0.25,
    ]  # visitConfidence, then LOW_CONFIDENCE
    ride = frames["activities"].iloc[0]
    assert (ride["mode"], ride["distance_m"], ride["confidence"]) == ("CYCLING", 2104.0, 0.25)
    raw = frames["points"][frames["points"]["accuracy_m"] == 8.0]
    assert raw["time"].tolist() == [utc("2016-05-01T07:15:00Z")]  # simplifiedRawPath timestampMs
    assert frames["points"]["device"].dropna().unique().tolist() == ["-1182793264"]


# --- Bad input -----------------------------------------------------------------------------


def test_malformed_objects_are_skipped_with_reasons_and_the_rest_loads() -> None:
    frames, report = load(MALFORMED)
    assert report.error is None
    assert reasons(report) == {
        "placeVisit has no duration": [1],
        "placeVisit has no coordinates (location.latitudeE7/longitudeE7, centerLatE7/centerLngE7 "
        "or otherCandidateLocations)": [2],
        "unknown timeline object: expected a placeVisit or activitySegment key": [3],
        "activity start time is not a timestamp (expected ISO 8601 or epoch milliseconds)": [4],
        "visit start time is outside 1990-2100": [6],
        "activity coordinates are not on the globe (latitudeE7/longitudeE7)": [7],
        "timeline object is not a JSON object": [8],
        "simplifiedRawPath point has no timestamp": [9],
        "visit ends before it starts": [10],
    }
    visits, activities, points = frames["visits"], frames["activities"], frames["points"]
    assert visits["record"].tolist() == [0, 5]
    candidate = visits.iloc[1]
    assert (candidate["name"], candidate["place_id"], candidate["semantic_type"]) == (
        "Kandidat Bar",
        "ChIJcandidate",
        "SEARCHED_ADDRESS",
    )
    assert candidate["lat"] == pytest.approx(48.1400001)
    assert "otherCandidateLocations" in " ".join(report.notes)
    assert activities["record"].tolist() == [9]
    assert activities["distance_m"].iloc[0] == 1200.0  # a numeric string
    assert activities["mode"].iloc[0] == "IN_PASSENGER_VEHICLE"  # "in passenger vehicle"
    assert pd.isna(activities["confidence"].iloc[0])  # UNKNOWN_CONFIDENCE
    # Points of skipped segments go with them; the point without a timestamp is skipped.
    assert points["record"].tolist() == [9, 9, 9]
    assert report.rows_read == len(visits) + len(activities) + len(points) + report.skipped_total


def test_truncated_file_is_a_clear_error(tmp_path: Path) -> None:
    data = AUGUST.read_bytes()
    cut = tmp_path / "2021_AUGUST.json"
    cut.write_bytes(data[: len(data) // 2])
    frames, report = load(cut)
    assert frames == {}
    assert report.error is not None and "invalid or truncated" in report.error


def test_empty_file_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "2021_AUGUST.json"
    empty.write_bytes(b"\xef\xbb\xbf\n")
    _, report = load(empty)
    assert report.error == "the file is empty; expected JSON"


def test_utf16_file_is_a_clear_error(tmp_path: Path) -> None:
    wide = tmp_path / "2021_AUGUST.json"
    wide.write_bytes(AUGUST.read_text(encoding="utf-8").encode("utf-16"))
    _, report = load(wide)
    assert report.error is not None and report.error.startswith("the JSON is invalid or truncated")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([{"placeVisit": {}}], "expected a Semantic Location History month file"),
        ({"timelineObjects": {"placeVisit": {}}}, "timelineObjects is not a list"),
        ({"locations": []}, "expected a Semantic Location History month file"),
    ],
)
def test_wrong_shapes_are_clear_errors(tmp_path: Path, document: object, message: str) -> None:
    path = tmp_path / "2021_AUGUST.json"
    path.write_text(json.dumps(document))
    _, report = load(path)
    assert report.error is not None and message in report.error


def test_empty_month_loads_nothing_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "2021_AUGUST.json"
    path.write_text('{"timelineObjects": []}')
    frames, report = load(path)
    assert report.error is None
    assert all(len(f) == 0 for f in frames.values())
    assert "no timeline objects" in " ".join(report.notes)


def test_single_object_at_top_level(tmp_path: Path) -> None:
    body = objects_of(AUGUST, "placeVisit")[0]
    path = tmp_path / "visit.json"
    path.write_text(json.dumps({"placeVisit": body}))
    head = Head(FileRef(path), path.read_bytes()[:200])
    assert sniff(head) == 0.8
    frames, report = load(path)
    assert "single" in report.detail
    assert frames["visits"]["name"].tolist() == ["12 Example Crescent"]


def test_read_from_inside_a_takeout_zip(tmp_path: Path) -> None:
    archive = tmp_path / "takeout-20240101T000000Z-001.zip"
    member = "Takeout/Location History (Timeline)/Semantic Location History/2021/2021_AUGUST.json"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(AUGUST, member)
    claims, unclaimed = claim(discover([archive]).files)
    assert [c.importer.id for c in claims] == ["google-semantic"] and not unclaimed
    frames, report = import_file(claims[0].ref, claims[0].importer)
    assert len(frames["visits"]) == 4
    assert frames["visits"]["file"].iloc[0] == f"{archive}!{member}"


# --- Timestamps ----------------------------------------------------------------------------


def test_parse_times_reads_every_spelling() -> None:
    parsed = parse_times(
        [
            "2021-08-01T01:22:24Z",
            "1462060800000",
            1742844302,
            "1742844302585",
            "2025-03-24 20:07:24 +0100",
            None,
            "soon",
            "0",
            "9999-01-01T00:00:00Z",
        ],
        [None, "ms", None, None, None, None, None, "ms", None],
    )
    assert parsed.utc.tolist()[:5] == [
        utc("2021-08-01T01:22:24Z"),
        utc("2016-05-01T00:00:00Z"),
        utc("2025-03-24T19:25:02Z"),
        utc("2025-03-24T19:25:02.585Z"),
        utc("2025-03-24T19:07:24Z"),
    ]
    assert parsed.utc.iloc[5:].isna().all()
    assert parsed.offset_min.iloc[4] == 60 and pd.isna(parsed.offset_min.iloc[0])
    assert parsed.given.tolist() == [True] * 5 + [False, True, True, True]
    # Epoch 0 is a sentinel, not a fix in 1970; the year 9999 is no time at all.
    assert parsed.out_of_range.tolist() == [False] * 7 + [True, True]
