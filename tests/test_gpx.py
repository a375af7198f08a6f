"""GPX track logs: the real samples (Arc App, GPSLogger, Garmin, OsmAnd), our own, bad input."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers.base import FileRef
from auditor.importers.gpx import IMPORTERS, PLANNED_ROUTE, SAVED_PLACE, sniff
from auditor.importers.tracker_common import (
    BAD_COORDINATES,
    BAD_TIME,
    NO_COORDINATES,
    NO_TIME,
    NULL_ISLAND,
    TIME_OUT_OF_RANGE,
)
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "gpx"


def load(path: Path, members: tuple[str, ...] = ()):
    return import_file(FileRef(path, members), IMPORTER)


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def line_of(path: Path, pattern: str, occurrence: int = 0) -> int:
    """1-based line of the n-th line matching ``pattern``, found without the importer."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    hits = [number for number, line in enumerate(lines, start=1) if re.search(pattern, line)]
    return hits[occurrence]


def timed_named_waypoints(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    namespace = root.tag.partition("}")[0] + "}"
    return [
        wpt
        for wpt in root.iter(f"{namespace}wpt")
        if wpt.find(f"{namespace}name") is not None and wpt.find(f"{namespace}time") is not None
    ]


# --- Recognition ---------------------------------------------------------------------------


def test_claims_every_gpx_fixture_and_no_other(shared_fixtures: Path) -> None:
    found = discover([shared_fixtures])
    claims, _ = claim(found.files, importers=IMPORTERS)
    assert {Path(c.ref.path) for c in claims} == set((shared_fixtures / "gpx").rglob("*.gpx"))
    assert len(claims) == 5


def test_sniff_is_zero_on_google_records(shared_fixtures: Path) -> None:
    for path in (shared_fixtures / "google_records").rglob("*.json"):
        assert sniff(read_head(FileRef(path))) == 0


def test_sniff_refuses_xml_and_text_that_are_not_gpx() -> None:
    assert sniff(read_head(FileRef(SAMPLES / "not_gpx.kml"))) == 0
    assert sniff(read_head(FileRef(SAMPLES / "not_xml.gpx"))) == 0
    assert sniff(read_head(FileRef(SAMPLES / "arc_day.gpx"))) == pytest.approx(0.95)


# --- Real samples ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "dawarich/arc_example.gpx",
        "dawarich/garmin_example.gpx",
        "dawarich/gpx_track_multiple_segments.gpx",
        "dawarich/gpx_track_single_segment.gpx",
        "geopulse/gpx-sample.gpx",
    ],
)
def test_every_track_point_and_timed_waypoint_of_the_fixtures(shared_fixtures: Path, name: str) -> None:
    path = shared_fixtures / "gpx" / name
    frames, report = load(path)
    assert report.error is None and not report.skipped
    assert len(frames["points"]) == path.read_text(encoding="utf-8").count("<trkpt")
    assert len(frames["visits"]) == len(timed_named_waypoints(path))


def test_arc_app_taxi_track_and_visit(shared_fixtures: Path) -> None:
    path = shared_fixtures / "gpx/dawarich/arc_example.gpx"
    frames, report = load(path)
    points, visits = frames["points"], frames["visits"]
    first = points.iloc[0]
    assert first["time"] == pd.Timestamp("2024-12-18T01:44:09Z")
    assert first["utc_offset_min"] == 7 * 60
    assert first["lat"] == 16.82179723266299 and first["lon"] == 100.26501096574162
    assert first["altitude_m"] == pytest.approx(49.96302288016834)
    assert first["record"] == line_of(path, "<trkpt")
    # The walking track is empty, so every point is from the taxi ride.
    assert set(points["activity"]) == {"TAXI"}
    visit = visits.iloc[0]
    assert visit["name"] == "Topland Hotel & Convention Center"
    assert visit["start"] == pd.Timestamp("2024-12-17T12:40:05Z")
    assert pd.isna(visit["end"])
    assert report.detail == "GPX 1.1 by Arc App"
    assert "TAXI 6" in " ".join(report.notes)


def test_garmin_extensions_and_metadata_are_not_points(shared_fixtures: Path) -> None:
    frames, _ = load(shared_fixtures / "gpx/dawarich/garmin_example.gpx")
    points = frames["points"]
    assert len(points) == 1
    assert points["time"][0] == pd.Timestamp("2024-11-03T09:30:11.331Z")
    assert points["utc_offset_min"][0] == 420
    # <gpxtpx:speed> lives in the Garmin namespace: ignored, not read as GPX speed.
    assert np.isnan(points["speed_mps"][0])


def test_utc_times_carry_no_local_offset(shared_fixtures: Path) -> None:
    frames, _ = load(shared_fixtures / "gpx/dawarich/gpx_track_single_segment.gpx")
    points = frames["points"]
    assert points["utc_offset_min"].isna().all()
    assert points["time"][2] == pd.Timestamp("2024-03-16T12:30:23.015Z")


# --- Our samples -----------------------------------------------------------------------------


def test_arc_day_modes_visits_and_line_numbers() -> None:
    path = SAMPLES / "arc_day.gpx"
    frames, report = load(path)
    points, visits = frames["points"], frames["visits"]
    assert len(points) == path.read_text().count("<trkpt")
    assert points["activity"].value_counts().to_dict() == {"TAXI": 3, "WALKING": 2}
    assert list(points["record"]) == [line_of(path, "<trkpt", n) for n in range(5)]
    assert list(visits["name"]) == ["Smith & Sons Bakery", "Office"]
    assert visits["start"][1] == pd.Timestamp("2024-06-03T07:53:30Z")
    assert set(visits["utc_offset_min"]) == {60}
    assert list(visits["record"]) == [line_of(path, "<wpt", 0), line_of(path, "<wpt", 1)]
    assert not report.skipped


def test_gpslogger_gpx_reads_only_gpx_fields() -> None:
    path = SAMPLES / "gpslogger_garmin.gpx"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == [line_of(path, "<trkpt", 0), line_of(path, "<trkpt", 1)]
    assert points["time"][1] == pd.Timestamp("2024-09-14T06:02:40.120Z")
    assert list(points["altitude_m"]) == pytest.approx([519.2, 519.9])
    assert points["speed_mps"].isna().all() and points["activity"].isna().all()
    assert not report.skipped and len(frames["visits"]) == 0


def test_gpx_1_0_routes_waypoints_and_speed() -> None:
    path = SAMPLES / "gpx10_route.gpx"
    frames, report = load(path)
    points = frames["points"].sort_values("time").reset_index(drop=True)
    # Two track points, the unnamed timed waypoint and the one timed route point.
    assert len(points) == 4
    assert list(points["record"]) == [
        line_of(path, "<trkpt", 0),
        line_of(path, "<trkpt", 1),
        line_of(path, "<wpt", 1),
        line_of(path, "<rtept", 2),
    ]
    assert list(points["speed_mps"][:2]) == [4.5, 5.25]
    assert list(points["activity"][:2]) == ["CYCLING", "CYCLING"]
    assert pd.isna(points["activity"][3])
    assert reasons(report) == {
        PLANNED_ROUTE: [line_of(path, "<rtept", 0), line_of(path, "<rtept", 1)],
        SAVED_PLACE: [line_of(path, "<wpt", 0)],
    }
    assert len(frames["visits"]) == 0
    assert report.detail.startswith("GPX 1.0")


def test_points_without_time_or_place_are_counted_with_reasons() -> None:
    path = SAMPLES / "no_time.gpx"
    frames, report = load(path)
    assert len(frames["points"]) == 1
    assert frames["points"]["time"][0] == pd.Timestamp("2024-04-21T09:07:37Z")
    lines = [line_of(path, "<trkpt", n) for n in range(7)]
    assert reasons(report) == {
        NO_TIME: [lines[0]],
        BAD_COORDINATES: [lines[2]],
        TIME_OUT_OF_RANGE: [lines[3]],
        NO_COORDINATES: [lines[4]],
        BAD_TIME: [lines[5]],
        NULL_ISLAND: [lines[6]],
    }
    assert report.rows_read == 7


def test_truncated_gpx_keeps_the_points_before_the_break() -> None:
    path = SAMPLES / "truncated.gpx"
    frames, report = load(path)
    assert len(frames["points"]) == path.read_text().count("</trkpt>")
    assert len(frames["visits"]) == 1
    last_line = len(path.read_text().splitlines())
    assert report.error.startswith(f"the GPX is broken at line {last_line}, ")
    assert report.error.endswith("the 5 points and waypoints before it were read")


def test_a_kml_file_is_refused_with_its_root_named() -> None:
    frames, report = load(SAMPLES / "not_gpx.kml")
    assert frames == {}
    assert report.error == "not GPX: the XML's root element is <kml>, expected <gpx>"


def test_json_named_gpx_is_not_xml() -> None:
    _, report = load(SAMPLES / "not_xml.gpx")
    assert report.error.startswith("not GPX: the file is not XML (")
    assert report.error.endswith("at line 1, column 1)")


def test_entity_declarations_are_refused_before_expansion() -> None:
    frames, report = load(SAMPLES / "entity_expansion.gpx")
    assert frames == {}
    assert "declares entities" in report.error


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gpx"
    empty.write_bytes(b"")
    _, report = load(empty)
    assert report.error == "the file is empty; expected GPX XML"


def test_read_from_inside_a_zip_without_extracting(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SAMPLES / "arc_day.gpx", "Arc Export/2024-06-03.gpx")
    frames, _ = load(archive, ("Arc Export/2024-06-03.gpx",))
    assert len(frames["points"]) == 5
    assert frames["points"]["file"][0] == f"{archive}!Arc Export/2024-06-03.gpx"


def test_a_large_log_streams_every_point(tmp_path: Path) -> None:
    count = 20_000
    body = "".join(
        f'<trkpt lat="{45 + i * 1e-5:.5f}" lon="{7 + i * 1e-5:.5f}"><ele>300</ele>'
        f"<time>2024-05-01T{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z</time>"
        "<extensions><gpxtpx:TrackPointExtension><gpxtpx:speed>1</gpxtpx:speed></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
        for i in range(count)
    )
    path = tmp_path / "big.gpx"
    path.write_text(
        '<?xml version="1.0"?>\n<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v2"><trk><type>running</type><trkseg>\n'
        f"{body}</trkseg></trk></gpx>\n"
    )
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == count and not report.skipped
    assert points["time"].iloc[-1] == pd.Timestamp("2024-05-01T05:33:19Z")
    assert points["record"].iloc[-1] == count + 2
    assert (points["activity"] == "RUNNING").all()
