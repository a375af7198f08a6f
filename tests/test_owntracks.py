"""OwnTracks Recorder .rec files and JSON exports: real samples, our own samples, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers.base import FileRef
from auditor.importers.owntracks import (
    BROKEN_PAYLOAD,
    ENCRYPTED,
    ENTER_WITHOUT_LEAVE,
    IMPORTERS,
    LEAVE_WITHOUT_ENTER,
    NOT_A_RECORDER_LINE,
    sniff,
)
from auditor.importers.tracker_common import NO_TIME
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "owntracks"


def load(path: Path):
    return import_file(FileRef(path), IMPORTER)


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def rec_payloads(path: Path) -> list[tuple[int, dict]]:
    """(line number, payload) of every readable line, parsed with the standard library."""
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "{" in line:
            try:
                found.append((number, json.loads(line[line.index("{") :])))
            except json.JSONDecodeError:
                continue
    return found


def location_lines(path: Path) -> list[int]:
    return [number for number, payload in rec_payloads(path) if payload.get("_type") == "location"]


# --- Recognition ---------------------------------------------------------------------------


def test_claims_every_owntracks_fixture_and_no_other(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    assert {Path(c.ref.path) for c in claims} == {
        p for p in (shared_fixtures / "owntracks").rglob("*") if p.is_file()
    }
    assert len(claims) == 3


def test_sniff_is_zero_on_google_records_and_arrays(shared_fixtures: Path) -> None:
    for folder in ("google_records", "google_ondevice_ios", "google_ondevice_android"):
        for path in (shared_fixtures / folder).rglob("*.json"):
            assert sniff(read_head(FileRef(path))) == 0, path


def test_own_samples_are_claimed() -> None:
    claims, unclaimed = claim(discover([SAMPLES]).files)
    assert {c.importer.id for c in claims} == {"owntracks"} and len(claims) == 3 and not unclaimed


# --- Real samples ----------------------------------------------------------------------------


def test_recorder_file_of_2024(shared_fixtures: Path) -> None:
    path = shared_fixtures / "owntracks/dawarich/2024-03.rec"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == location_lines(path)
    first = points.iloc[0]
    assert first["time"] == pd.Timestamp(1709283789, unit="s", tz="UTC")
    assert (first["lat"], first["lon"]) == (52.225, 13.332)
    assert first["accuracy_m"] == 10 and first["altitude_m"] == 36
    assert first["speed_mps"] == pytest.approx(5 / 3.6)
    assert first["device"] == "RO"
    # The file has a 'leave home' without an enter, and an 'enter Home' (another device)
    # without a leave: neither says how long anyone stayed.
    assert len(frames["visits"]) == 0
    assert reasons(report) == {LEAVE_WITHOUT_ENTER: [3], ENTER_WITHOUT_LEAVE: [11]}
    assert report.notes == ["2 messages are not location fixes and were not read: lwt 1, waypoint 1"]
    assert report.detail == "OwnTracks Recorder .rec"


def test_older_space_separated_recorder_file(shared_fixtures: Path) -> None:
    path = shared_fixtures / "owntracks/dawarich/2023-02_old.rec"
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == location_lines(path) == list(range(1, 11))
    assert points["lat"].iloc[0] == 22.0687934 and points["lon"].iloc[0] == 24.7941786
    assert points["time"].iloc[0] == pd.Timestamp("2023-02-20T18:46:22Z")
    assert set(points["device"]) == {"l6"}
    assert report.detail == "OwnTracks Recorder .rec (older, space-separated)"


def test_json_array_export(shared_fixtures: Path) -> None:
    path = shared_fixtures / "owntracks/geopulse/owntracks-sample.json"
    messages = json.loads(path.read_text())
    frames, report = load(path)
    points = frames["points"]
    assert len(points) == len(messages) and not report.skipped
    assert list(points["record"]) == list(range(len(messages)))
    assert points["time"].iloc[-1] == pd.Timestamp(messages[-1]["tst"], unit="s", tz="UTC")
    assert points["speed_mps"].iloc[1] == pytest.approx(messages[1]["vel"] / 3.6)
    assert set(points["device"]) == {"test-device"}


# --- Our samples -----------------------------------------------------------------------------


def test_enter_and_leave_of_one_region_make_a_visit() -> None:
    frames, _ = load(SAMPLES / "2024-05.rec")
    visits = frames["visits"]
    assert len(visits) == 1
    visit = visits.iloc[0]
    assert visit["name"] == "Office"
    assert visit["start"] == pd.Timestamp(1714636964, unit="s", tz="UTC")
    assert visit["end"] == pd.Timestamp(1714671340, unit="s", tz="UTC")
    assert (visit["lat"], visit["lon"]) == (51.5155, -0.0922)
    assert visit["record"] == 4


def test_broken_lines_are_counted_and_the_rest_loads() -> None:
    path = SAMPLES / "2024-05.rec"
    frames, report = load(path)
    points = frames["points"]
    readable = [number for number in location_lines(path) if "tst" in dict(rec_payloads(path))[number]]
    assert list(points["record"]) == readable == [1, 3, 5, 12, 13]
    assert reasons(report) == {
        NOT_A_RECORDER_LINE: [10],
        BROKEN_PAYLOAD: [8],
        ENCRYPTED: [9],
        NO_TIME: [14],
        LEAVE_WITHOUT_ENTER: [2],
    }
    assert report.rows_read == len(path.read_text().splitlines())


def test_minus_one_means_not_measured_and_topic_names_the_device() -> None:
    frames, _ = load(SAMPLES / "2024-05.rec")
    points = frames["points"].set_index("record")
    assert np.isnan(points.loc[5, "accuracy_m"]) and np.isnan(points.loc[5, "speed_mps"])
    assert points.loc[12, "speed_mps"] == pytest.approx(10.0)
    assert points.loc[13, "device"] == "owntracks/jane/ipad"


def test_recorder_api_json_with_a_wrongly_typed_record() -> None:
    path = SAMPLES / "api-locations.json"
    data = json.loads(path.read_text())["data"]
    frames, report = load(path)
    points = frames["points"]
    assert list(points["record"]) == [0, 2]
    assert points["lat"].tolist() == [data[0]["lat"], data[2]["lat"]]
    assert reasons(report) == {"the record does not have the expected fields and types ('acc' is bool)": [1]}
    assert report.detail == "OwnTracks Recorder API JSON (data list)"


def test_old_recorder_sample() -> None:
    frames, report = load(SAMPLES / "2023-01_old.rec")
    assert frames["points"]["speed_mps"].tolist() == pytest.approx([0.0, 7 / 3.6])
    assert not report.skipped


def test_truncated_json_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[{"_type":"location","lat":50.45,"lon":30.52,"tst":1722772800},{"_type":"loc')
    frames, report = load(path)
    assert frames == {}
    assert report.error.startswith("the JSON is invalid or truncated")


def test_file_without_any_recorder_line(tmp_path: Path) -> None:
    path = tmp_path / "2024-01.rec"
    path.write_text("this is not\na recorder file\n")
    _, report = load(path)
    assert report.error == "no OwnTracks Recorder lines found (time, topic and a JSON payload expected)"


def test_file_whose_every_payload_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "2024-04.rec"
    path.write_text('2024-04-01T00:00:00Z\t*                 \t{"_type":"location","lat":5\n' * 2)
    _, report = load(path)
    assert report.error == "none of the 2 JSON payloads could be read (broken or truncated)"


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "2024-02.rec"
    path.write_bytes(b"")
    _, report = load(path)
    assert report.error == "the file is empty; expected OwnTracks messages"


def test_many_lines_decode_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from auditor.importers import owntracks

    monkeypatch.setattr(owntracks, "CHUNK_BYTES", 4096)  # many batches, one broken line among them
    lines = [
        f'2024-03-01T00:00:00Z\t*                 \t{{"_type":"location","lat":52.{i:04d},"lon":13.4,"tst":{1709251200 + i},"tid":"ab"}}'
        for i in range(3000)
    ]
    lines[1234] = lines[1234][:-10]
    path = tmp_path / "2024-03.rec"
    path.write_text("\n".join(lines) + "\n")
    frames, report = load(path)
    assert len(frames["points"]) == 2999
    assert reasons(report) == {BROKEN_PAYLOAD: [1235]}
    assert frames["points"]["record"].iloc[-1] == 3000
    assert frames["points"]["time"].iloc[-1] == pd.Timestamp(1709251200 + 2999, unit="s", tz="UTC")
