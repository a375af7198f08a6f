"""On-device Timeline exports decoded in pieces on several processes.

A large Android rawSignals or semanticSegments array, or a large iOS array of segments, is
cut between elements and its pieces are read by worker processes
(auditor/importers/json_pieces.py), each piece in slices. Whatever the cuts, the frames and
the report must be exactly those of one process: the same rows, record numbers, skip
reasons in the same order, notes and errors. The files are bench/ondevice_bench.py's
generator at a small size, with records broken on purpose in different pieces; the
thresholds are lowered so that a 2 MB file is cut, and its pieces sliced.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
import json
import operator
import subprocess
import sys
from pathlib import Path

import msgspec
import numpy as np
import pandas as pd
import pytest

from auditor import sources
from auditor.dataset import import_file
from auditor.importers import google_ondevice, json_pieces
from auditor.importers.base import FileRef

REPO = Path(__file__).resolve().parent.parent
POSITIONS = 4_000


def _bench():
    spec = importlib.util.spec_from_file_location("ondevice_bench", REPO / "bench" / "ondevice_bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def android_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ondevice-pieces") / "Timeline.json"
    _bench().generate_android(path, POSITIONS, seed=11)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ios_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ondevice-pieces") / "location-history.json"
    _bench().generate_ios(path, POSITIONS, seed=11)
    return path.read_text(encoding="utf-8")


def _replace_nth(text: str, old: str, new: str, n: int) -> str:
    """``text`` with the n-th (1-based) occurrence of ``old`` replaced."""
    at = -1
    for _ in range(n):
        at = text.index(old, at + 1)
    return text[:at] + new + text[at + len(old) :]


def _one_process(path: Path, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setenv("AUDITOR_WORKERS", "1")
        return import_file(FileRef(path), google_ondevice.IMPORTERS[0])


class _Spy:
    """Records the pieces each load was cut into (their item counts)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.items: list[list[int]] = []
        merge = google_ondevice._merge_pieces

        def spy(pieces, report):
            self.items.append([items for items, _, _ in pieces])
            return merge(pieces, report)

        monkeypatch.setattr(google_ondevice, "_merge_pieces", spy)


def _in_pieces(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    workers: int = 2,
    min_bytes: int = 100_000,
    slice_bytes: int = 0,
    raw_key_within: int | None = None,
):
    monkeypatch.setattr(google_ondevice, "PIECES_MIN_BYTES", min_bytes)
    monkeypatch.setattr(google_ondevice, "SLICE_BYTES", slice_bytes)
    if raw_key_within is not None:
        monkeypatch.setattr(google_ondevice, "RAW_KEY_WITHIN", raw_key_within)
    monkeypatch.setenv("AUDITOR_WORKERS", str(workers))
    return import_file(FileRef(path), google_ondevice.IMPORTERS[0])


def _both_ways(text: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **options):
    """Import ``text`` (written as ``name``) in one process and in pieces; they must be identical.

    Returns the one-process result and the item counts of the pieces each load was cut
    into (none when the file went back to one process). ``options`` go to _in_pieces.
    """
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    one = _one_process(path, monkeypatch)
    spy = _Spy(monkeypatch)
    _assert_identical(one, _in_pieces(path, monkeypatch, **options))
    return one, spy.items


def _assert_identical(one, pieces) -> None:
    (one_frames, one_report), (piece_frames, piece_report) = one, pieces
    assert one_frames.keys() == piece_frames.keys()
    for kind in one_frames:
        pd.testing.assert_frame_equal(piece_frames[kind], one_frames[kind], check_exact=True)
    assert dataclasses.asdict(piece_report) == dataclasses.asdict(one_report)
    assert list(piece_report.skipped) == list(one_report.skipped)


def _claimed(*folders: Path) -> list[Path]:
    """The files under ``folders`` that the on-device importer claims (by their content)."""
    claims, _ = sources.claim(sources.discover(list(folders)).files)
    found = [claim.ref.path for claim in claims if claim.importer.id == google_ondevice.IMPORTER_ID]
    assert found, f"no on-device export under {folders}"
    return found


def _assert_every_cut_identical(paths: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file cut in two, each piece in about ten slices, Android's segments cut too: as one process."""
    for path in paths:
        one = _one_process(path, monkeypatch)
        slice_bytes = max(300, path.stat().st_size // 20)
        android = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
        for raw_key_within in (None, 10) if android else (None,):
            pieces = _in_pieces(
                path, monkeypatch, min_bytes=2_000, slice_bytes=slice_bytes, raw_key_within=raw_key_within
            )
            try:
                _assert_identical(one, pieces)
            except AssertionError as error:
                raise AssertionError(f"{path} (RAW_KEY_WITHIN {raw_key_within}): {error}") from None


def test_repo_samples_and_personas_in_sliced_pieces_equal_one_process(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The personas' exports have several raw signal sources whose first appearances differ
    # from slice to slice: their categorical columns must still come out as from one run.
    _assert_every_cut_identical(_claimed(data_dir / "google-ondevice", REPO / "sample_exports"), monkeypatch)


def test_shared_fixtures_in_sliced_pieces_equal_one_process(
    shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = [shared_fixtures / "google_ondevice_android", shared_fixtures / "google_ondevice_ios"]
    _assert_every_cut_identical(_claimed(*folders), monkeypatch)


def _piece_of(record: int, items: list[int]) -> int:
    end = 0
    for number, count in enumerate(items):
        end += count
        if record < end:
            return number
    raise AssertionError(f"record {record} is beyond the pieces {items}")


@pytest.mark.parametrize("slice_bytes", [0, 40_000])
def test_clean_file_in_pieces_equals_one_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    one, pieces = _both_ways(
        android_text, "Timeline.json", tmp_path, monkeypatch, workers=3, slice_bytes=slice_bytes
    )
    assert [len(items) for items in pieces] == [3]
    assert sum(pieces[0]) == len(json.loads(android_text)["rawSignals"])
    assert one[1].error is None and len(one[0]["points"]) > POSITIONS


@pytest.mark.parametrize("slice_bytes", [0, 40_000])
def test_broken_records_in_different_pieces_are_skipped_as_by_one_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_bytes: int
) -> None:
    # Wrong shapes (decoded record by record in their piece) and bad values (dropped by the
    # column checks), early and late in rawSignals, so that both pieces have some.
    text = _replace_nth(android_text, '"accuracyMeters": ', '"accuracyMeters": "far", "x": ', 40)
    text = _replace_nth(text, '"accuracyMeters": ', '"accuracyMeters": [1], "x": ', POSITIONS - 30)
    text = _replace_nth(text, '"timestamp": "2019', '"timestamp": "garbage', 60)
    text = _replace_nth(text, '"timestamp": "2019', '"timestamp": "garbage', POSITIONS - 50)
    text = _replace_nth(text, '"LatLng": "', '"LatLngX": "', POSITIONS - 10)
    text = _replace_nth(text, '"speedMetersPerSecond": ', '"speedMetersPerSecond": null, "y": ', 2000)
    one, pieces = _both_ways(text, "Timeline.json", tmp_path, monkeypatch, slice_bytes=slice_bytes)
    (items,) = pieces
    skipped: dict[str, list[int]] = {}
    for group in one[1].skipped.values():
        skipped.setdefault(group.reason.split(" (")[0], []).extend(group.records)
    shape = skipped["raw signal is not in the expected shape"]
    times = skipped["raw position timestamp is not an ISO 8601 time"]
    assert len(shape) == 2 and len(times) == 2
    assert {_piece_of(r, items) for r in shape} == {0, 1}
    assert {_piece_of(r, items) for r in times} == {0, 1}
    assert "raw position LatLng is missing" in skipped


def test_a_signal_source_first_seen_in_a_late_slice_comes_out_as_from_one_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Slices whose sets of sources differ: the slices' categorical columns are put together
    # as new categories, which must be of the same type as those of a piece read at once.
    cell = android_text.count('"source": "CELL"')
    text = android_text.replace('"source": "CELL"', '"source": "GPS"', cell - 1)
    one, pieces = _both_ways(text, "Timeline.json", tmp_path, monkeypatch, slice_bytes=40_000)
    assert [len(items) for items in pieces] == [2]
    signals = one[0]["points"]["signal"]
    assert (signals == "CELL").sum() == 1


def test_broken_json_in_a_later_piece_is_the_usual_error(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _replace_nth(android_text, '"source": "', '"source": ,"', 1900)
    one, _ = _both_ways(text, "Timeline.json", tmp_path, monkeypatch, slice_bytes=40_000)
    assert one[1].error.startswith("the JSON is invalid")


def test_a_segment_of_the_wrong_shape_falls_back_to_one_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _replace_nth(android_text, '"distanceMeters": ', '"distanceMeters": "far", "y": ', 2)
    one, pieces = _both_ways(text, "Timeline.json", tmp_path, monkeypatch)
    assert pieces == []
    assert any("segment is not in the expected shape" in reason for reason in one[1].skipped)


def test_compact_file_gives_the_same_result(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compact = json.dumps(json.loads(android_text), separators=(",", ":"), ensure_ascii=False)
    _, pieces = _both_ways(compact, "Timeline.json", tmp_path, monkeypatch, slice_bytes=40_000)
    assert [len(items) for items in pieces] == [2]


def test_one_worker_budget_starts_no_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Timeline.json"
    path.write_text(android_text, encoding="utf-8")
    started: list[int] = []
    monkeypatch.setattr(json_pieces, "_Worker", lambda *args: started.append(1))
    frames, report = _in_pieces(path, monkeypatch, workers=1)
    assert started == [] and report.error is None and len(frames["points"]) > POSITIONS


@pytest.mark.parametrize("shares", [[0.5, 0.5], [0.2, 0.3, 0.5], [0.9, 0.1], [0.01, 0.99]])
def test_cuts_fall_between_elements_or_the_pieces_do_not_decode(shares: list[float]) -> None:
    items = [{"a": [{"b": "},{"}, {"c": i}], "d": {"e": "x"}} for i in range(50)]
    for text in (json.dumps(items), json.dumps(items, indent=2), json.dumps(items, separators=(",", ":"))):
        data = text.encode()
        cuts = json_pieces.element_cuts(data, 0, len(data), shares)
        assert cuts[0][0] == 1 and cuts[-1][1] == len(data) - 1
        try:
            decoded = [msgspec.json.decode(b"[" + data[low:high] + b"]") for low, high in cuts]
        except msgspec.DecodeError:
            continue  # a cut inside a nested object: the importer reads the file in one process
        assert [item for piece in decoded for item in piece] == items
        if "\n" in text:
            assert len(cuts) == len(shares)  # pretty-printed: cut at the elements' own indentation


def test_empty_array_has_no_pieces() -> None:
    assert json_pieces.element_cuts(b"[ \n ]", 0, 5, [0.5, 0.5]) == []


@pytest.mark.parametrize("indent", [2, None])
def test_slices_hold_the_piece_in_order_and_leave_the_file_as_it_was(
    indent: int | None, tmp_path: Path
) -> None:
    items = [{"a": [{"b": "},{"}, {"c": i}], "d": {"e": "x" * 200}} for i in range(300)]
    path = tmp_path / "array.json"
    path.write_text(json.dumps(items, indent=indent), encoding="utf-8")
    before = path.read_bytes()
    low, high = 1, len(before) - 1  # the whole array as one piece: its bracket and ']' outside
    decoded = [msgspec.json.decode(view) for view in json_pieces.slices_of(str(path), low, high, 4_096)]
    assert [item for piece in decoded for item in piece] == items
    # Pretty-printed: cut again at the elements' own indentation; compact: one slice (a "},"
    # there can be inside a nested object, as in "b" above).
    assert len(decoded) == ((high - low) // 4_096 if indent else 1) and len(decoded) > (3 if indent else 0)
    assert path.read_bytes() == before


def test_ios_points_in_pieces_with_bad_points_in_both_equal_one_process(
    ios_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _replace_nth(ios_text, '"point" : "geo:', '"point" : "geo:x', 100)
    text = _replace_nth(text, '"point" : "geo:', '"point" : "geo:9', POSITIONS - 100)
    one, pieces = _both_ways(text, "location-history.json", tmp_path, monkeypatch, slice_bytes=20_000)
    (items,) = pieces
    skipped = {group.reason: group.records for group in one[1].skipped.values()}
    unreadable = skipped["timelinePath point is not a coordinate (expected 'lat°, lon°' or 'geo:lat,lon')"]
    off_globe = skipped["timelinePath point is off the globe or (0, 0)"]
    assert {_piece_of(unreadable[0], items), _piece_of(off_globe[0], items)} == {0, 1}
    assert len(one[0]["visits"]) > 0 and len(one[0]["points"]) == POSITIONS - 2


def test_ios_segment_of_the_wrong_shape_in_a_later_piece_falls_back(
    ios_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = _replace_nth(ios_text, '"point" : "geo:', '"point" : 5, "was" : "geo:', POSITIONS - 5)
    one, pieces = _both_ways(text, "location-history.json", tmp_path, monkeypatch, slice_bytes=20_000)
    assert pieces == []
    assert any("segment is not in the expected shape" in reason for reason in one[1].skipped)


def test_android_path_points_in_pieces_equal_one_process(
    android_text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real export's bulk is timelinePath (rawSignals hold about a month): keep 30 raw
    # signals, so that semanticSegments is the array cut, and break path points in both pieces.
    timeline = json.loads(android_text)
    timeline["rawSignals"] = timeline["rawSignals"][:30]
    text = json.dumps(timeline, indent=2, ensure_ascii=False)
    paths = text.count('"point": "')
    text = _replace_nth(text, '"point": "', '"point": "x', 20)
    text = _replace_nth(text, '"time": "2019', '"time": "garbage', paths - 20)
    # As in a large export, the rawSignals key is not within the first bytes searched for it.
    one, pieces = _both_ways(
        text,
        "Timeline.json",
        tmp_path,
        monkeypatch,
        min_bytes=10_000,
        slice_bytes=20_000,
        raw_key_within=1_000,
    )
    (items,) = pieces  # the path pieces (rawSignals are read here, not merged)
    assert len(items) == 2 and sum(items) == len(timeline["semanticSegments"])
    skipped = {group.reason: group.records for group in one[1].skipped.values()}
    unreadable = skipped["timelinePath point is not a coordinate (expected 'lat°, lon°' or 'geo:lat,lon')"]
    bad_time = skipped["timelinePath point time is not an ISO 8601 time"]
    assert {_piece_of(unreadable[0], items), _piece_of(bad_time[0], items)} == {0, 1}


def test_a_script_without_a_main_guard_is_not_run_again_by_the_workers(
    android_text: str, tmp_path: Path
) -> None:
    # multiprocessing's spawn and forkserver import the caller's __main__ in every worker:
    # a script without an `if __name__ == "__main__":` guard would run again, side effects
    # and all. The piece workers import only the importer's module.
    path = tmp_path / "Timeline.json"
    path.write_text(android_text, encoding="utf-8")
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import os\n"
        "os.environ['AUDITOR_WORKERS'] = '2'\n"
        "from pathlib import Path\n"
        "from auditor.dataset import import_file\n"
        "from auditor.importers import google_ondevice\n"
        "from auditor.importers.base import FileRef\n"
        "google_ondevice.PIECES_MIN_BYTES = 100_000\n"
        "merge = google_ondevice._merge_pieces\n"
        "google_ondevice._merge_pieces = lambda p, r: print('PIECES', len(p)) or merge(p, r)\n"
        "print('SCRIPT RAN')\n"
        f"frames, report = import_file(FileRef(Path({str(path)!r})), google_ondevice.IMPORTERS[0])\n"
        "print('POINTS', len(frames['points']), report.error)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], check=False, capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("SCRIPT RAN") == 1
    assert "PIECES 2" in done.stdout and "None" in done.stdout.splitlines()[-1]


def test_workers_send_arrays_back_whole_and_in_order() -> None:
    # numpy.arange runs in a worker for every piece but the first; the arrays' bytes travel
    # beside their pickle (protocol 5 out of band) and must arrive intact.
    results, meanwhile = json_pieces.map_pieces(
        np.arange, [(3,), (5, 2_000_005), (7, 9)], meanwhile=lambda: "here"
    )
    assert meanwhile == "here"
    assert [len(r) for r in results] == [3, 2_000_000, 2]
    assert results[1][0] == 5 and results[1][-1] == 2_000_004 and results[2].tolist() == [7, 8]


def test_a_failing_worker_is_reported_with_its_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_STRICT", raising=False)
    with pytest.raises(json_pieces.PiecesFailed, match="ZeroDivisionError"):
        json_pieces.map_pieces(operator.truediv, [(4, 2), (1, 0)], meanwhile=lambda: None)


def test_a_result_cut_short_is_no_result() -> None:
    out = io.BytesIO()
    json_pieces.send_result({"lat": np.linspace(0, 1, 1_000), "name": "x"}, out)
    whole = out.getvalue()
    complete, result = json_pieces._receive_result(io.BytesIO(whole))
    assert complete and result["name"] == "x" and result["lat"].tolist() == np.linspace(0, 1, 1_000).tolist()
    for cut in (0, 5, len(whole) // 2, len(whole) - 1):
        assert json_pieces._receive_result(io.BytesIO(whole[:cut])) == (False, None)
