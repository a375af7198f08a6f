"""Google Takeout raw location history (Records.json, Location History.json).

Real samples from ../shared/fixtures (dawarich, kgeo-timeline), our own samples in
tests/data/google-records (both timestamp generations, the older localised file, minified,
malformed and truncated variants), and the chunked reader driven with tiny blocks so that
every cut, carry-over and fallback path runs on small files.
"""

from __future__ import annotations

import gc
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.dataset import import_file
from auditor.importers import google_records
from auditor.importers.base import FileRef, Head
from auditor.importers.google_records import IMPORTERS, TIMEZONE_NOTE, sniff
from auditor.registry import REGISTRY
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "google-records"
TINY_BLOCKS = (1, 7, 64, 257, 1000, 4096)


def load(path: Path, members: tuple[str, ...] = ()):
    return import_file(FileRef(path, members), IMPORTER)


def points(path: Path, members: tuple[str, ...] = ()) -> pd.DataFrame:
    frames, report = load(path, members)
    assert report.error is None, report.error
    return frames["points"]


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def locations(path: Path) -> list:
    """The locations array read independently of the importer."""
    return json.loads(path.read_text(encoding="utf-8-sig"))["locations"]


def without_file(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["file"])


# --- Recognition -------------------------------------------------------------------------------


def test_claims_every_records_fixture_and_nothing_else(shared_fixtures: Path) -> None:
    found = discover([shared_fixtures])
    claims, _ = claim(found.files)
    mine = {Path(c.ref.path) for c in claims if c.importer.id == "google-records"}
    assert mine == set((shared_fixtures / "google_records").rglob("*.json"))


def test_sniff_is_zero_on_every_other_fixture(shared_fixtures: Path) -> None:
    others = [p for p in shared_fixtures.rglob("*") if p.is_file() and "google_records" not in p.parts]
    assert len(others) > 20
    for path in others:
        assert sniff(read_head(FileRef(path))) == 0, path


def test_sniff_scores() -> None:
    def head_of(data: bytes) -> float:
        return sniff(Head(FileRef(Path("x.json")), data))

    assert sniff(read_head(FileRef(SAMPLES / "Records.json"))) == pytest.approx(0.95)
    assert sniff(read_head(FileRef(SAMPLES / "Standortverlauf.json"))) == pytest.approx(0.95)
    assert sniff(read_head(FileRef(SAMPLES / "minified" / "Records.json"))) == pytest.approx(0.95)
    assert head_of(b'{"locations": []}') == pytest.approx(0.5)
    assert head_of(b'{"locations": [{"lat": 52.5, "lon": 13.4, "time": "2024-06-01T10:00:00Z"}]}') == 0
    assert head_of(b'{"timelineObjects": [{"placeVisit": {"latitudeE7": 1}}]}') == 0
    assert head_of(b'\xff\xfe{\x00"\x00\x80\x81') == 0


def test_registered_first_in_the_google_group() -> None:
    ids = [importer.id for importer in REGISTRY]
    assert "google-records" in ids
    google = [i for i in ids if i.startswith("google")]
    assert google[0] == "google-records"


# --- Real samples --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first_time", "first_lat", "first_lon"),
    [
        ("records.json", "2012-12-15T14:21:29.460Z", 53.369055, 83.6950010),
        ("dawarich_watched/Records.json", "2012-12-15T14:21:29.460Z", 53.369055, 83.6950010),
        ("kgeo/records.json", "2015-10-10T18:47:02.597Z", 43.7789954, -79.4176419),
    ],
)
def test_every_record_of_the_fixtures(
    shared_fixtures: Path, name: str, first_time: str, first_lat: float, first_lon: float
) -> None:
    path = shared_fixtures / "google_records" / name
    expected = locations(path)
    frames, report = load(path)
    frame = frames["points"]
    # None of the fixture records has a documented reason to be skipped.
    assert report.skipped_total == 0
    assert len(frame) == len(expected) == report.rows_read
    assert frame["record"].tolist() == list(range(len(expected)))
    assert frame["time"].iloc[0] == pd.Timestamp(first_time)
    assert frame["lat"].iloc[0] == pytest.approx(first_lat, abs=1e-9)
    assert frame["lon"].iloc[0] == pytest.approx(first_lon, abs=1e-9)
    assert frame["accuracy_m"].tolist() == [float(r["accuracy"]) for r in expected]
    assert frame["signal"].tolist() == [r["source"].upper() for r in expected]
    assert report.timezone == TIMEZONE_NOTE
    assert frame["utc_offset_min"].isna().all()
    assert (frame["source"] == "google-location").all()


def test_kgeo_activity_is_the_most_confident_type_of_the_first_reading(shared_fixtures: Path) -> None:
    path = shared_fixtures / "google_records" / "kgeo" / "records.json"
    frame = points(path)
    for index, record in enumerate(locations(path)):
        readings = record.get("activity")
        expected = max(readings[0]["activity"], key=lambda t: t["confidence"])["type"] if readings else None
        got = frame["activity"].iloc[index]
        assert (got if isinstance(got, str) else None) == expected
    # Record 0: UNKNOWN 58 wins over STILL 25 in the first reading (the second says STILL 54).
    assert frame["activity"].iloc[0] == "UNKNOWN"
    assert frame["device"].iloc[0] == "1433424142"


# --- Our samples ----------------------------------------------------------------------------------


def test_records_json_both_timestamp_generations_and_values() -> None:
    path = SAMPLES / "Records.json"
    frames, report = load(path)
    frame = frames["points"]
    assert len(frame) == len(locations(path)) == 6
    assert "Records.json" in report.detail and "pretty-printed" in report.detail
    assert frame["time"].tolist() == [
        pd.Timestamp("2015-10-10T18:49:04.612Z"),
        pd.Timestamp("2019-06-01T08:00:00Z"),  # no fraction
        pd.Timestamp(1559376060000, unit="ms", tz="UTC"),  # timestampMs only
        pd.Timestamp(1559376120000, unit="ms", tz="UTC"),  # both: timestampMs wins
        pd.Timestamp("2022-01-12T17:18:24.190Z"),
        pd.Timestamp("2022-01-12T17:20:24.190Z"),
    ]
    assert frame["lat"].iloc[4] == pytest.approx(-33.8155191, abs=1e-9)
    assert frame["lon"].iloc[0] == pytest.approx(-79.4176419, abs=1e-9)
    assert frame["signal"].tolist() == ["WIFI", "WIFI", "GPS", "GPS", "CELL", "UNKNOWN"]
    assert frame["activity"].iloc[0] == "IN_VEHICLE"  # first reading only, not STILL 100
    assert frame["activity"].iloc[4] == "STILL"
    assert frame["activity"].isna().tolist() == [False, True, True, True, False, True]
    assert frame["device"].iloc[1] == "-1764153720"
    assert pd.isna(frame["device"].iloc[5])
    assert frame["speed_mps"].iloc[1] == 3 and frame["altitude_m"].iloc[1] == 521
    assert np.isnan(frame["speed_mps"].iloc[0])


def test_frame_has_the_declared_columns_and_dtypes() -> None:
    frame = points(SAMPLES / "Records.json")
    declared = model.columns("points")
    assert list(frame.columns) == [c.name for c in declared]
    for column in declared:
        assert str(frame[column.name].dtype) == column.dtype, column.name


def test_minified_file_gives_the_same_points_by_the_structural_scan() -> None:
    frames, report = load(SAMPLES / "minified" / "Records.json")
    assert "structural scan" in report.detail
    pd.testing.assert_frame_equal(
        without_file(frames["points"]), without_file(points(SAMPLES / "Records.json"))
    )


def test_older_localised_location_history_file() -> None:
    path = SAMPLES / "Standortverlauf.json"
    frames, report = load(path)
    frame = frames["points"]
    assert len(frame) == len(locations(path)) == 4
    assert "Location History.json" in report.detail
    # Newest first, as these files were written; times from timestampMs.
    assert frame["time"].iloc[0] == pd.Timestamp(1491801919709, unit="ms", tz="UTC")
    assert frame["time"].iloc[3] == pd.Timestamp("2013-12-07T21:56:24.596Z")
    # camelCase and lower-case types, "activity" and the older "activitys"/"activities".
    assert frame["activity"].tolist()[:2] == ["ON_FOOT", "STILL"]
    # latitudeE7 3956812105 is -338155191 overflowed past 2^31: wrapped back.
    assert frame["lat"].iloc[1] == pytest.approx(-33.8155191, abs=1e-9)
    assert any("2^32" in note for note in report.notes)
    assert frame["signal"].isna().all() and frame["device"].isna().all()


# --- Chunked reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("block", TINY_BLOCKS)
@pytest.mark.parametrize("name", ["Records.json", "minified/Records.json", "Standortverlauf.json"])
def test_tiny_blocks_give_the_same_frame(monkeypatch: pytest.MonkeyPatch, name: str, block: int) -> None:
    expected = points(SAMPLES / name)
    monkeypatch.setattr(google_records, "BLOCK_BYTES", block)
    pd.testing.assert_frame_equal(points(SAMPLES / name), expected)


def _google_layout(records: list[dict]) -> str:
    """Records as Records.json lays them out: records at 4 spaces, keys at 6."""
    body = ",\n".join("    " + json.dumps(r, indent=2).replace("\n", "\n    ") for r in records)
    return '{\n  "locations": [\n' + body + "\n  ]\n}\n"


def _synthetic(n: int) -> list[dict]:
    return [
        {
            "latitudeE7": 481376308 + i,
            "longitudeE7": -794176419 - i,
            "accuracy": i % 50,
            "source": ("WIFI", "gps", "CELL")[i % 3],
            "timestamp": f"2020-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
        }
        for i in range(n)
    ]


@pytest.mark.parametrize("block", [97, 1024])
def test_strings_with_brackets_and_escaped_quotes_do_not_cut_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    records = _synthetic(40)
    for i in range(0, 40, 3):
        records[i]["placeId"] = 'a"}, {"latitudeE7": 1}\\'  # brackets, quotes, a backslash
    minified = tmp_path / "Records.json"
    minified.write_text(json.dumps({"locations": records}, separators=(",", ":")))
    monkeypatch.setattr(google_records, "BLOCK_BYTES", block)
    frame = points(minified)
    assert len(frame) == 40
    assert frame["lat"].tolist() == pytest.approx([r["latitudeE7"] / 1e7 for r in records])


def test_a_separator_that_also_occurs_inside_a_record_falls_back_correctly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hand-indented: a nested list written at the records' own indentation, so the learnt
    # separator also matches inside record 30. Decoding must catch the wrong cut.
    records = _synthetic(60)
    text = _google_layout(records)
    nested = '      "accuracy": 30,\n      "extra": [\n    {\n    },\n    {\n    }\n      ],'
    text = text.replace('      "accuracy": 30,', nested, 1)
    path = tmp_path / "Records.json"
    path.write_text(text)
    assert len(locations(path)) == 60  # still valid JSON
    monkeypatch.setattr(google_records, "BLOCK_BYTES", 512)
    frames, report = load(path)
    assert report.error is None
    assert len(frames["points"]) == 60
    assert "structural scan" in report.detail


def test_reads_from_inside_a_takeout_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "takeout-20240101T000000Z-001.zip"
    member = "Takeout/Location History (Timeline)/Records.json"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SAMPLES / "Records.json", member)
    monkeypatch.setattr(google_records, "BLOCK_BYTES", 300)
    frame = points(archive, (member,))
    pd.testing.assert_frame_equal(without_file(frame), without_file(points(SAMPLES / "Records.json")))
    assert frame["file"].iloc[0] == f"{archive}!{member}"


def test_gc_is_restored_after_loading() -> None:
    assert gc.isenabled()
    points(SAMPLES / "Records.json")
    assert gc.isenabled()


# --- Bad input -------------------------------------------------------------------------------------


def test_malformed_records_are_skipped_with_reasons_and_the_rest_loads() -> None:
    path = SAMPLES / "malformed" / "Records.json"
    frames, report = load(path)
    frame = frames["points"]
    assert report.error is None
    assert reasons(report) == {
        "no latitudeE7/longitudeE7": [1],
        "latitudeE7/longitudeE7 is not an integer": [2, 3],
        "timestamp is not an ISO 8601 time": [4],
        "no timestamp or timestampMs": [5],
        "time before 1990 or from 2100 on (a clock error, not a real fix)": [6, 7],
        "timestampMs is not a number of epoch milliseconds": [8],
        "latitudeE7/longitudeE7 off the globe (beyond ±90°/±180°)": [9],
        "the record is not a JSON object": [11],
        "coordinates 0, 0 (a null fix, not a place)": [12],
    }
    documented_skips = 11
    assert len(frame) == len(locations(path)) - documented_skips == 3
    assert frame["record"].tolist() == [0, 10, 13]
    # A wrong-typed optional value empties that value, not the record.
    assert np.isnan(frame["accuracy_m"].iloc[1])
    assert frame["signal"].iloc[1] == "GPS"
    assert any("accuracy of the wrong type" in note for note in report.notes)


@pytest.mark.parametrize("block", [64, 8 * 1024 * 1024])
def test_truncated_file_keeps_the_records_before_the_cut(monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    path = SAMPLES / "truncated" / "Records.json"
    monkeypatch.setattr(google_records, "BLOCK_BYTES", block)
    frames, report = load(path)
    assert len(frames["points"]) == 3
    assert frames["points"]["record"].tolist() == [0, 1, 2]
    assert report.error is not None
    assert f"cut off at byte {path.stat().st_size:,}" in report.error
    assert "3 complete records" in report.error


def test_cut_before_the_first_record_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "Records.json"
    path.write_bytes((SAMPLES / "Records.json").read_bytes()[:200])
    frames, report = load(path)
    assert frames == {}
    assert "cut off at byte 200, before its first record is complete" in report.error


def test_invalid_json_in_the_middle_keeps_what_came_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = _synthetic(50)
    text = _google_layout(records)
    damaged = text.replace('"accuracy": 25,', '"accuracy": 25,, oops', 1)  # inside record 25
    path = tmp_path / "Records.json"
    path.write_text(damaged)
    monkeypatch.setattr(google_records, "BLOCK_BYTES", 700)
    frames, report = load(path)
    assert len(frames["points"]) == 25
    assert "the JSON is invalid at byte" in report.error
    assert "the 25 records before it were read" in report.error
    where = int(report.error.split("at byte ")[1].split(":")[0].replace(",", ""))
    assert (
        damaged.encode().rfind(b"{", 0, damaged.encode().index(b"oops"))
        <= where
        <= damaged.encode().index(b"oops")
    )


def test_a_stray_bracket_that_closes_the_array_early_is_an_error(tmp_path: Path) -> None:
    text = _google_layout(_synthetic(10))
    cut = text.index("    },\n    {", text.index('"accuracy": 4,')) + len("    }")
    path = tmp_path / "Records.json"
    path.write_text(text[:cut] + "]" + text[cut:])
    frames, report = load(path)
    assert len(frames["points"]) == 5
    assert "closes at byte" in report.error and "the 5 records before it were read" in report.error


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b"[]", 'expected {"locations": [ at the start of the file'),
        (b'{"semanticSegments": []}', 'expected {"locations": [ at the start of the file'),
        ('{"locations": []}'.encode("utf-16"), 'expected {"locations": [ at the start of the file'),
    ],
)
def test_files_that_are_not_records_are_refused_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "Records.json"
    path.write_bytes(content)
    frames, report = load(path)
    assert frames == {}
    assert message in report.error


def test_byte_order_mark_and_empty_array(tmp_path: Path) -> None:
    with_bom = tmp_path / "bom.json"
    with_bom.write_bytes(b"\xef\xbb\xbf" + (SAMPLES / "Records.json").read_bytes())
    assert len(points(with_bom)) == 6
    empty = tmp_path / "empty.json"
    empty.write_text('{\n  "locations": [ ]\n}\n')
    frames, report = load(empty)
    assert report.error is None and len(frames["points"]) == 0
    assert list(frames["points"].columns) == [c.name for c in model.columns("points")]


@pytest.mark.parametrize("block", [512, 1 << 20])
def test_strings_outside_the_usual_names_are_read_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # The usual sources and activity types are decoded as shared strings; any other value
    # (here in the second block of 512 bytes, and in the one block of 1 MB) must come out
    # exactly as the file writes it, and the records around it as before.
    records = _synthetic(60)
    for index, record in enumerate(records):
        if index % 7 == 0:
            record["activity"] = [
                {"activity": [{"type": "STILL", "confidence": 60}, {"type": "onFoot", "confidence": 70}]}
            ]
    records[3]["source"] = "BACKFILLED"
    records[14]["activity"][0]["activity"][1]["type"] = "IN_HOVERCRAFT"
    records[40]["source"] = "visit"
    path = tmp_path / "Records.json"
    path.write_text(_google_layout(records))
    monkeypatch.setattr(google_records, "BLOCK_BYTES", block)
    frame = points(path)
    usual = ["WIFI", "GPS", "CELL"]
    expected_signal = [usual[i % 3] for i in range(60)]
    expected_signal[3], expected_signal[40] = "BACKFILLED", "VISIT"
    assert frame["signal"].tolist() == expected_signal
    expected_activity = [("ON_FOOT" if i % 7 == 0 else None) for i in range(60)]
    expected_activity[14] = "IN_HOVERCRAFT"
    assert [a if isinstance(a, str) else None for a in frame["activity"]] == expected_activity
    assert frame["lat"].tolist() == pytest.approx([r["latitudeE7"] / 1e7 for r in records])


def test_activity_is_the_first_most_confident_type_of_the_first_reading(tmp_path: Path) -> None:
    # Ties, empty lists, a reading without types, a winner without a name, both spellings.
    readings = [
        [{"activity": [{"type": "STILL", "confidence": 50}, {"type": "WALKING", "confidence": 50}]}],
        [{"activity": [{"type": "STILL", "confidence": 10}, {"type": "IN_CAR", "confidence": 90}]}],
        [{"activity": []}, {"activity": [{"type": "STILL", "confidence": 100}]}],
        [{"timestamp": "2020-01-01T00:00:00Z"}],
        [],
        [{"activity": [{"confidence": 80}, {"type": "ON_FOOT", "confidence": 20}]}],
        [{"activity": [{"type": "ON_FOOT", "confidence": 20}, {"type": "TILTING", "confidence": 20.5}]}],
        None,
        [
            {"activity": [{"type": "RUNNING", "confidence": 3}]},
            {"activity": [{"type": "STILL", "confidence": 99}]},
        ],
    ]
    records = _synthetic(len(readings) + 2)
    for record, reading in zip(records, readings):
        if reading is not None:
            record["activity"] = reading
    records[-2]["activitys"] = [{"activities": [{"type": "onBicycle", "confidence": 70}]}]
    records[-1]["activitys"] = [{"activities": [{"type": "still", "confidence": 70}]}]
    records[-1]["activity"] = [
        {"activity": [{"type": "IN_BUS", "confidence": 60}]}
    ]  # the later spelling wins
    path = tmp_path / "Records.json"
    path.write_text(_google_layout(records))
    got = [a if isinstance(a, str) else None for a in points(path)["activity"]]
    expected = [
        "STILL", "IN_CAR", None, None, None, None, "TILTING", None, "RUNNING", "ON_BICYCLE", "IN_BUS"
    ]  # fmt: skip
    assert got == expected
    # The categories hold the winners only, not every type listed.
    assert sorted(points(path)["activity"].cat.categories) == sorted({a for a in expected if a})
