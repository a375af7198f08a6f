"""Records.json decoded in pieces on several processes gives exactly the one-process result.

The persona's real-layout Records.json (40,785 points, 10.8 MB) is written out as a plain
file and read twice: once with ``AUDITOR_WORKERS=1``, once split into three pieces (a
threshold of 0 bytes forces the split; small blocks make each piece several blocks), two of
them in worker processes. Frames and reports must be identical, also when the file holds
skipped records, invalid JSON, a cut or an early close in different pieces.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import sources
from auditor.dataset import import_file
from auditor.importers import google_records
from auditor.importers import google_records_reader as reader_module
from auditor.importers.base import FileRef
from auditor.registry import by_id

REPO = Path(__file__).resolve().parent.parent
PERSONA = REPO / "sample_exports" / "night-shift-nurse" / "takeout-20240229T101500Z-001.zip"
MEMBER = "Takeout/Location History (Timeline)/Records.json"
IMPORTER = by_id("google-records")
PIECES = 3


@pytest.fixture(scope="module")
def persona() -> bytes:
    with zipfile.ZipFile(PERSONA) as archive:
        return archive.read(MEMBER)


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """The jobs handed to worker processes (each job: path, start, stop, ...)."""
    jobs: list[tuple] = []
    original = google_records._Worker.start.__func__  # type: ignore[attr-defined]

    def spy(cls, job):
        jobs.append(job)
        return original(cls, job)

    monkeypatch.setattr(google_records._Worker, "start", classmethod(spy))
    return jobs


def read_both(path: Path, monkeypatch: pytest.MonkeyPatch, block: int = 256 * 1024):
    """(frames, report) with one process, then with PIECES processes."""
    monkeypatch.setattr(google_records, "BLOCK_BYTES", block)
    monkeypatch.setattr(google_records, "SPLIT_BYTES", 0)
    ref = FileRef(path, (), path.stat().st_size)
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    one = import_file(ref, IMPORTER)
    monkeypatch.setenv("AUDITOR_WORKERS", str(PIECES))
    many = import_file(ref, IMPORTER)
    return one, many


def assert_identical(one, many) -> None:
    (frames_one, report_one), (frames_many, report_many) = one, many
    assert dataclasses.asdict(report_many) == dataclasses.asdict(report_one)
    assert frames_many.keys() == frames_one.keys()
    for kind in frames_one:
        pd.testing.assert_frame_equal(frames_many[kind], frames_one[kind], check_exact=True)


def damage(data: bytes, at: float, old: bytes, new: bytes) -> bytes:
    """Replace the first ``old`` after fraction ``at`` of the file with ``new``."""
    where = data.index(old, int(len(data) * at))
    return data[:where] + new + data[where + len(old) :]


def plain(tmp_path: Path, data: bytes) -> Path:
    """The bytes as a Records.json of their own (as google_records reads a plain file)."""
    path = tmp_path / "Records.json"
    path.write_bytes(data)
    return path


def small_member_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split any member, in blocks and search windows small enough for several per piece."""
    monkeypatch.setattr(google_records, "BLOCK_BYTES", 256 * 1024)
    monkeypatch.setattr(google_records, "_SPLIT_SEARCH_BYTES", 64 * 1024)
    monkeypatch.setattr(google_records, "SPLIT_BYTES", 0)


# Damage in one piece, after a record whose accuracy is emptied (its note must survive too).
DAMAGE_CASES = pytest.mark.parametrize(
    "case",
    [
        ("invalid JSON in the first piece", 0.1, b'"accuracy": ', b'"accuracy" '),
        ("invalid JSON in the middle piece", 0.5, b'"accuracy": ', b'"accuracy" '),
        ("invalid JSON in the last piece", 0.9, b'"source": "', b'"source": '),
        ("early close in the middle piece", 0.5, b"\n    },\n    {", b"\n    }]\n  , {"),
        ("a record with other indentation", 0.5, b"\n    },\n    {", b"\n  },\n    {"),
    ],
    ids=lambda case: case[0],
)


def damaged(persona: bytes, case: tuple[str, float, bytes, bytes]) -> bytes:
    """The persona with an emptied accuracy at 20% and one of DAMAGE_CASES."""
    _, at, old, new = case
    return damage(damage(persona, 0.2, b'"accuracy": ', b'"accuracy": "x", "was": '), at, old, new)


def test_three_pieces_give_the_one_process_frame(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple]
) -> None:
    path = plain(tmp_path, persona)
    one, many = read_both(path, monkeypatch)
    assert_identical(one, many)
    frame, report = one[0]["points"], one[1]
    assert len(frame) == 40_785
    assert len(frame) + report.skipped_total == report.rows_read  # the persona plants a skip
    assert (np.diff(frame["record"].to_numpy()) > 0).all() and frame["record"].iloc[
        -1
    ] == report.rows_read - 1
    assert frame["activity"].notna().sum() > 1000  # the activity readings survive the split
    # Two pieces went to workers, each starting at a record's "{" further into the file.
    assert len(started) == PIECES - 1
    starts = [job[1] for job in started]
    assert starts == sorted(starts) and all(persona[start : start + 1] == b"{" for start in starts)
    assert len(persona) // 4 < starts[0] < len(persona) // 2 < starts[1]


def test_one_process_when_the_budget_is_one_or_the_file_is_small(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple]
) -> None:
    path = plain(tmp_path, persona)
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    monkeypatch.setattr(google_records, "SPLIT_BYTES", 0)
    import_file(FileRef(path, (), len(persona)), IMPORTER)
    monkeypatch.setenv("AUDITOR_WORKERS", "2")
    monkeypatch.setattr(google_records, "SPLIT_BYTES", len(persona) + 1)
    import_file(FileRef(path, (), len(persona)), IMPORTER)
    assert started == []


# Records that are skipped or partly emptied, one in each piece and at the pieces' edges.
SKIPPED_IN_EVERY_PIECE = [
    (0.02, b'"accuracy": ', b'"accuracy": "x", "was": '),  # wrong type: emptied, noted
    (0.30, b'"latitudeE7": ', b'"latitudeE7": "515263242", "was": '),  # not an integer: skipped
    (0.34, b'"timestamp": "', b'"timestamp": "not a time'),
    (0.55, b'"timestamp": "2', b'"timestamp": "1'),  # 1023: outside the plausible window
    (0.66, b'"source": "', b'"source": 7, "was": "'),
    (0.70, b'"timestamp": "', b'"timestampMs": "1678000000000", "timestamp": "'),
    (0.97, b'"latitudeE7": ', b'"latitudeE7": 0, "longitudeE7": 0, "was": '),
]


def test_skipped_records_in_every_piece(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple]
) -> None:
    data = persona
    for at, old, new in SKIPPED_IN_EVERY_PIECE:
        data = damage(data, at, old, new)
    path = plain(tmp_path, data)
    one, many = read_both(path, monkeypatch)
    assert_identical(one, many)
    report = one[1]
    assert report.error is None
    assert report.skipped_total == 4
    assert len(report.notes) == 2
    assert len(started) == PIECES - 1


@DAMAGE_CASES
def test_damage_in_one_piece(
    persona: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[tuple],
    case: tuple[str, float, bytes, bytes],
) -> None:
    name = case[0]
    data = damaged(persona, case)
    path = plain(tmp_path, data)
    one, many = read_both(path, monkeypatch)
    assert_identical(one, many)
    assert (one[1].error is None) == (name == "a record with other indentation")
    assert len(started) == PIECES - 1


@pytest.mark.parametrize("keep", [0.8, 0.999])
def test_a_file_cut_short(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple], keep: float
) -> None:
    path = plain(tmp_path, persona[: int(len(persona) * keep)])
    one, many = read_both(path, monkeypatch)
    assert_identical(one, many)
    assert "cut off" in one[1].error


def test_timestamp_ms_generation(persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def to_millis(match: re.Match[bytes]) -> bytes:
        millis = pd.Timestamp(match.group(1).decode()).value // 1_000_000
        return b'"timestampMs": "%d"' % millis

    legacy = re.sub(rb'"timestamp": "([^"]+)"', to_millis, persona)
    path = tmp_path / "Location History.json"
    path.write_bytes(legacy)
    one, many = read_both(path, monkeypatch, block=128 * 1024)
    assert_identical(one, many)
    assert one[1].detail.startswith("Location History.json (timestampMs")


def test_a_worker_that_fails_leaves_its_piece_to_this_process(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = plain(tmp_path, persona)
    monkeypatch.setattr(google_records, "_WORKER_CODE", "import sys; sys.exit(3)")
    monkeypatch.setenv("AUDITOR_STRICT", "0")
    one, many = read_both(path, monkeypatch)
    assert_identical(one, many)
    monkeypatch.setenv("AUDITOR_STRICT", "1")
    with pytest.raises(RuntimeError, match="worker process failed"):
        import_file(FileRef(path, (), len(persona)), IMPORTER)


# --- A Records.json inside a zip: each process inflates its own piece ------------------------


def zipped(
    tmp_path: Path, data: bytes, method: int = zipfile.ZIP_DEFLATED, name: str = "takeout.zip"
) -> Path:
    """The bytes as the Takeout member, in a zip of their own (compressed as Google does)."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        archive.writestr(MEMBER, data)
    return path


def read_member_both(path: Path, monkeypatch: pytest.MonkeyPatch, processes: int = PIECES):
    """(frames, report) of the member with one process, then split for ``processes``.

    Small blocks and search windows make a 10.8 MB member several blocks per piece.
    """
    small_member_pieces(monkeypatch)
    ref = FileRef(path, (MEMBER,))
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    one = import_file(ref, IMPORTER)
    monkeypatch.setenv("AUDITOR_WORKERS", str(processes))
    many = import_file(ref, IMPORTER)
    return one, many


@pytest.fixture
def member_pieces(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """What each member piece read: (job, start, stop) where it read cleanly, (job, None) if not."""
    seen: list[tuple] = []
    original = reader_module.MemberJob.run

    def spy(job):
        result = original(job)
        seen.append((job, None) if result is None else (job, result[0], result[1]))
        return result

    monkeypatch.setattr(reader_module.MemberJob, "run", spy)
    return seen


@pytest.fixture
def read_on_alone(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The offsets from which this process read a member on alone (a piece was not taken)."""
    starts: list[int] = []
    original = google_records._read_member_from

    def spy(ref, start, separator, columns):
        starts.append(start)
        return original(ref, start, separator, columns)

    monkeypatch.setattr(google_records, "_read_member_from", spy)
    return starts


def test_a_zip_member_in_pieces_gives_the_one_process_frame(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple]
) -> None:
    data = persona
    for at, old, new in SKIPPED_IN_EVERY_PIECE:  # skipped records in every piece
        data = damage(data, at, old, new)
    path = zipped(tmp_path, data)
    one, many = read_member_both(path, monkeypatch)
    assert_identical(one, many)
    frame, report = one[0]["points"], one[1]
    assert report.error is None and report.skipped_total == 4 and len(report.notes) == 2
    assert len(frame) + 4 == report.rows_read and frame["record"].iloc[-1] == report.rows_read - 1
    assert frame["file"].iloc[0] == f"{path}!{MEMBER}"
    # Two pieces went to workers, planned in order past the first piece's start.
    assert [type(job) for job in started] == [reader_module.MemberJob] * (PIECES - 1)
    cuts = [job.cut_from for job in started]
    assert cuts == sorted(cuts) and len(data) // 4 < cuts[0] < len(data) // 2 < cuts[1] < len(data)
    assert [job.cut_to for job in started] == [cuts[1], None]


def test_each_member_piece_starts_at_the_record_where_the_one_before_stops(
    persona: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    member_pieces: list[tuple],
    read_on_alone: list[int],
) -> None:
    path = zipped(tmp_path, persona)
    monkeypatch.setattr(google_records, "_Worker", _NoWorker)  # run the jobs here, to watch them
    one, many = read_member_both(path, monkeypatch)
    assert_identical(one, many)
    (_, start_2, stop_2), (_, start_3, stop_3) = member_pieces
    assert stop_2 == start_3 and stop_3 is None
    assert read_on_alone == []  # every piece was taken as its process read it
    for job, start in ((member_pieces[0][0], start_2), (member_pieces[1][0], start_3)):
        assert persona[start : start + 1] == b"{" and job.cut_from <= start - job.separator[2]
        assert persona[start - job.separator[2] : start + 1] == job.separator[0]
        # the first separator at or beyond the planned offset: none before it
        assert persona.find(job.separator[0], job.cut_from) == start - job.separator[2]


class _NoWorker:
    """Stands for _Worker when no process may be started: the piece is read here."""

    @classmethod
    def start(cls, job):
        return None


@DAMAGE_CASES
def test_damage_in_one_piece_of_a_zip_member(
    persona: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    member_pieces: list[tuple],
    read_on_alone: list[int],
    case: tuple[str, float, bytes, bytes],
) -> None:
    name = case[0]
    data = damaged(persona, case)
    data = damage(data, 0.8, b'"timestamp": "', b'"timestamp": "not a time')
    monkeypatch.setattr(google_records, "_Worker", _NoWorker)
    one, many = read_member_both(zipped(tmp_path, data), monkeypatch)
    assert_identical(one, many)
    assert (one[1].error is None) == (name == "a record with other indentation")
    assert len(member_pieces) == PIECES - 1
    if name == "invalid JSON in the middle piece":
        assert member_pieces[0][1] is None  # the piece was not taken: this process read on
        assert len(read_on_alone) == 1 and data[read_on_alone[0] : read_on_alone[0] + 1] == b"{"
        assert len(data) // 4 < read_on_alone[0] < len(data) // 2


@pytest.mark.parametrize("keep", [0.8, 0.999])
def test_a_zip_member_cut_short(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple], keep: float
) -> None:
    one, many = read_member_both(zipped(tmp_path, persona[: int(len(persona) * keep)]), monkeypatch)
    assert_identical(one, many)
    assert "cut off" in one[1].error
    assert len(started) == PIECES - 1


def test_a_failed_member_worker_leaves_its_piece_to_this_process(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = zipped(tmp_path, damage(persona, 0.7, b'"timestamp": "', b'"timestamp": "not a time'))
    monkeypatch.setattr(google_records, "_WORKER_CODE", "import sys; sys.exit(3)")
    monkeypatch.setenv("AUDITOR_STRICT", "0")
    one, many = read_member_both(path, monkeypatch, processes=2)
    assert_identical(one, many)


def test_a_member_that_changed_since_it_was_checked_is_not_read_by_a_worker(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, member_pieces: list[tuple]
) -> None:
    monkeypatch.setattr(google_records, "_Worker", _NoWorker)
    # As if the archive were replaced between the check here and the worker's read.
    monkeypatch.setattr(google_records, "declared", lambda info: (*reader_module.declared(info)[:-1], 0))
    one, many = read_member_both(zipped(tmp_path, persona), monkeypatch, processes=2)
    assert_identical(one, many)
    assert [piece[1] for piece in member_pieces] == [None]


@pytest.mark.parametrize(
    "case",
    [
        "stored, not deflated",
        "under the threshold",
        "refused by the bomb limits",
        "budget of one",
        "nested zip",
    ],
)
def test_a_zip_member_read_in_one_process(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[tuple], case: str
) -> None:
    small_member_pieces(monkeypatch)
    monkeypatch.setenv("AUDITOR_WORKERS", "1" if case == "budget of one" else "2")
    path = zipped(
        tmp_path, persona, zipfile.ZIP_STORED if case == "stored, not deflated" else zipfile.ZIP_DEFLATED
    )
    ref = FileRef(path, (MEMBER,))
    if case == "under the threshold":
        monkeypatch.setattr(google_records, "SPLIT_BYTES", len(persona) + 1)
    if case == "refused by the bomb limits":
        monkeypatch.setattr(sources, "MAX_COMPRESSION_RATIO", 2)  # the persona inflates ~5 times
    if case == "nested zip":
        outer = tmp_path / "outer.zip"
        with zipfile.ZipFile(outer, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.write(path, "takeout.zip")
        ref = FileRef(outer, ("takeout.zip", MEMBER))
    frames, report = import_file(ref, IMPORTER)
    assert len(frames["points"]) == 40_785 and report.error is None
    assert started == []


def test_a_member_with_a_bad_crc_fails_as_in_one_process(
    persona: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, member_pieces: list[tuple]
) -> None:
    # The last piece's worker meets the bad CRC at the member's end; it gives the piece up,
    # and this process, reading on alone, meets it as one process does.
    path = zipped(tmp_path, persona)
    crc = zipfile.ZipFile(path).getinfo(MEMBER).CRC.to_bytes(4, "little")
    path.write_bytes(
        path.read_bytes().replace(crc, (int.from_bytes(crc, "little") ^ 1).to_bytes(4, "little"))
    )
    monkeypatch.setattr(google_records, "_Worker", _NoWorker)
    small_member_pieces(monkeypatch)
    problems = []
    for processes in ("1", "3"):
        monkeypatch.setenv("AUDITOR_WORKERS", processes)
        with pytest.raises(zipfile.BadZipFile) as raised:
            import_file(FileRef(path, (MEMBER,)), IMPORTER)
        problems.append(str(raised.value))
    assert problems[0] == problems[1] and "Bad CRC-32" in problems[0]
    assert [piece[1] is None for piece in member_pieces] == [False, True]


@pytest.mark.parametrize("processes", [2, 3])
def test_pieces_share_the_work_with_more_for_this_process(
    persona: bytes, tmp_path: Path, processes: int
) -> None:
    # Work is records plus bytes over _BYTES_PER_RECORD; this process's first piece takes
    # _FIRST_SHARE of an even split (a worker starts Python first), the others the rest evenly.
    path = plain(tmp_path, persona)
    separator = b"\n    },\n    {"
    start = persona.index(b"{", persona.index(b"["))
    with open(path, "rb") as stream:
        cuts = google_records._planned_offsets(stream, separator, start, len(persona), processes)

    def work(low: int, high: int) -> float:
        return persona.count(separator, low, high) + (high - low) / google_records._BYTES_PER_RECORD

    edges = [start, *cuts, len(persona)]
    shares = [work(low, high) / work(start, len(persona)) for low, high in pairwise(edges)]
    first = google_records._FIRST_SHARE / processes
    assert shares[0] == pytest.approx(first, abs=0.02)
    assert shares[1:] == pytest.approx([(1 - first) / (processes - 1)] * (processes - 1), abs=0.02)
