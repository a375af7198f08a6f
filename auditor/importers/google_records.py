"""Google Takeout raw location history: ``Records.json`` and the older ``Location History.json``.

The format (formats.md §1.1, §1.2):

* One object, ``{"locations": [ {...}, {...} ]}``, one entry per raw fix the phone sent.
  Coordinates are integers times 1e7 (``latitudeE7``, ``longitudeE7``); negative values
  are normal. Some old files carry values above the E7 range, a 32-bit overflow in
  Google's export: latitudes above 900000000 and longitudes above 1800000000 are wrapped
  by subtracting 2**32, as the parsers that met it do (Google support thread 4595364,
  quoted in several Takeout readers).
* Two timestamp generations: ``"timestampMs": "1512947698030"`` (a string of epoch
  milliseconds) in older files, ``"timestamp": "2017-12-10T23:14:58.030Z"`` (ISO 8601,
  the fraction sometimes absent) in newer ones. As google_takeout_parser does,
  ``timestampMs`` wins where a record has both. Times are UTC only; the local offset is
  not in the file, so local time comes from ``--timezone``.
* Optional per record: ``accuracy`` (m), ``altitude`` (m), ``velocity`` (m/s),
  ``source`` (``WIFI|CELL|GPS|UNKNOWN``, sometimes lower case), ``deviceTag`` (an int
  that links to Settings.json), and ``activity``: a list of activity readings, each with
  its own list of ``{"type", "confidence"}``. The point's activity is the most confident
  type of the first reading. Files from about 2014-2017 spell it ``"activitys"`` with
  ``"activities"`` inside and lower-case or camelCase types (``still``, ``onFoot``), as
  the test data of several Location History readers shows; both spellings are read and
  types are normalised to ``ON_FOOT`` style.
* File names: ``Records.json`` (2020-2024, under ``Location History/`` or
  ``Location History (Timeline)/``) and, before that, ``Location History.json`` with a
  localised name (``Standortverlauf.json``, ``Historique des positions.json``...). The
  file is recognised by content, never by name.

Size is the hard part: real files are 0.5-2 GB and 1-6 million points
(performance.md §5). They are read as a stream in blocks (``BLOCK_BYTES``), never whole:

1. Google pretty-prints the file, one key per line, and the bytes between two records
   (``\\n    },\\n    {`` in Records.json, ``\\n  }, {`` in the older file) carry the
   indentation of the array's own depth. Nested objects sit deeper, and a JSON string
   cannot hold a raw newline, so that separator only ever occurs between records. It
   is learnt from the first two records of the file, found by a structural scan.
2. Each block is cut at its last separator and decoded with msgspec into typed structs
   holding only the fields read here; the columns go to numpy arrays at once.
3. Decoding is also the check: a piece that starts at a record and decodes as a list of
   records ends at a record, so a wrong cut cannot pass unnoticed. If a piece does not
   decode, or the file is not pretty-printed (minified), record boundaries come from a
   vectorised structural scan instead (quotes, escapes and brackets with numpy), which
   is correct for any layout and slower.
4. A file cut short (an interrupted download) keeps every record before the cut and says
   where the cut is; invalid JSON in the middle keeps what came before it, likewise.
5. A plain file of ``SPLIT_BYTES`` or more is cut at separators into one piece per process
   that ``workers.cpu_budget()`` allows, about as much work each (``_planned_offsets``);
   this process reads the first, fresh worker processes the others (``_read_plain_file``),
   and the columns are joined in file order. Only clean pieces are taken from workers:
   from the first piece with anything unusual in it, this process reads on alone, so the
   result (rows, record numbers, skips, messages) is the one-process result. The decoding
   itself lives in :mod:`auditor.importers.google_records_reader`, which a worker imports
   alone.
6. A Records.json inside a Takeout zip (deflated, not encrypted, not in a nested zip, of
   ``SPLIT_BYTES`` or more) is cut the same way (``_read_member``), but a member cannot be
   sought in: each worker opens the member itself, inflates and throws away the bytes
   before its piece, and every process finds the pieces' edges by one rule in the bytes it
   inflates (the first separator at or beyond an offset planned from the declared size),
   so the pieces meet without a word between processes. The same guarantees hold.

Records that cannot be used are skipped with a reason and their index in the
``locations`` array: no or non-integer coordinates, coordinates off the globe, no time,
a time that does not parse, or a time outside the plausible window of
``parsing.out_of_range`` (``parsing.EARLIEST`` to ``parsing.LATEST``).
"""

from __future__ import annotations

import contextlib
import math
import os
import pickle
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import IO, Any

import numpy as np
import pandas as pd

from auditor import workers
from auditor.importers import parsing
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, Prefetched, frame
from auditor.importers.google_records_reader import (
    _ISO_BAD,
    _MS_BAD,
    _TIME_MISSING,
    _TIME_OUT_OF_RANGE,
    MemberJob,
    Separator,
    Unreadable,
    _Bounded,
    _Columns,
    _CutAfter,
    _Reader,
    _skip,
    _Vocabulary,
    declared,
    run_job,
    splittable,
)

IMPORTER_ID = "google-records"
SOURCE = "google-location"
# performance.md §2 used 32 MB blocks; 8 MB measured ~7% faster here at 3M points, and
# 2 MB 10-20% less CPU again (a piece's decoded structs, ~1.5 MB of them, stay in the
# core's cache while each column is taken from them; 1 MB gained nothing more). It also
# keeps the read phase's memory lower still (bench/records_bench.py).
BLOCK_BYTES = 2 * 1024 * 1024
# A plain file at least this large is decoded in pieces on several processes, when
# workers.cpu_budget() allows: below it, starting a process costs more than it saves.
SPLIT_BYTES = 48 * 1024 * 1024
# How far past a piece's planned start the next record separator is looked for.
_SPLIT_SEARCH_BYTES = 4 * 1024 * 1024
# A zip member's first piece, read here, as a share of an even split (see _member_cuts).
_MEMBER_FIRST_SHARE = 1.3
# Where the records are counted to share them out (see _planned_offsets).
_DENSITY_SAMPLES, _SAMPLE_BYTES = 32, 128 * 1024
# What a piece costs to read, in records: each record, and each this many bytes (decoding and
# columns, 8 MB pieces of the 3M bench file: about 1,040 ns a record and 0.95 ns a byte).
_BYTES_PER_RECORD = 1100
# A plain file's first piece, read here, as a share of an even split of that cost: a worker
# starts Python and pickles its columns, which this process does not.
_FIRST_SHARE = 1.05
TIMEZONE_NOTE = "UTC only in the file; local time from --timezone"
_E7_LAT_WRAP = 900_000_000
_E7_LON_WRAP = 1_800_000_000
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_EARLIEST_NS = parsing.EARLIEST.as_unit("ns").value
_LATEST_NS = parsing.LATEST.as_unit("ns").value
_BOUNDS = (_EARLIEST_NS, _LATEST_NS)

# --- Sniff ------------------------------------------------------------------------------


def sniff(head: Head) -> float:
    """0.95 for ``{"locations": [ {"latitudeE7"...`` (either generation), else 0.

    An empty ``{"locations": []}`` gets 0.5: Polarsteps uses the same key.
    """
    compact = head.compact
    if not compact.startswith('{"locations":['):
        return 0.0
    if compact.startswith('{"locations":[]'):
        return 0.5
    if '"latitudeE7":' in compact or '"timestampMs":' in compact:
        return 0.95
    return 0.0


# --- Load -------------------------------------------------------------------------------


def load(ref: FileRef, report: ImportReport, *, split_bytes: int | None = None) -> dict[str, pd.DataFrame]:
    """Read the file as a stream of blocks into the ``points`` frame; see the module docstring.

    ``split_bytes`` overrides :data:`SPLIT_BYTES` (tests split small files this way).
    """
    report.timezone = TIMEZONE_NOTE
    try:
        with ref.open() as stream, parsing.gc_paused():
            if ref.members:
                columns, streamed, error = _read_member(
                    ref, stream, SPLIT_BYTES if split_bytes is None else split_bytes
                )
            else:
                columns, streamed, error = _read_plain_file(
                    ref, stream, SPLIT_BYTES if split_bytes is None else split_bytes
                )
    except Unreadable as problem:
        raise BadInput(problem.message) from None
    report.error = error
    report.rows_read = columns.count
    report.detail = _describe(columns, streamed)
    return {"points": _points_frame(columns, ref, report)}


def _describe(columns: _Columns, streamed: bool) -> str:
    if columns.ms_count and columns.ms_count >= columns.count // 2:
        kind = "Location History.json (timestampMs, the format before 2019-21)"
    else:
        kind = "Records.json (ISO 8601 timestamps)"
    layout = (
        "Google's pretty-printed layout, read in blocks"
        if streamed
        else "not Google's pretty-printed layout, read with a structural scan"
    )
    return f"{kind}; {layout}"


# --- A large plain file: pieces on several processes -----------------------------------------


def _read_plain_file(ref: FileRef, stream: IO[bytes], split_bytes: int) -> tuple[_Columns, bool, str | None]:
    """Columns, whether the separator held throughout, and the error if the file was cut short.

    A large pretty-printed file is cut at record separators into one piece per process
    (:func:`workers.cpu_budget`); this process reads the first piece with the reader that
    read the file's start, worker processes the others (:func:`read_range`), and the
    pieces' columns are joined in file order, so rows, record numbers, skips and messages
    are those of one process reading it all. From the first piece that did not read
    cleanly (damage, a cut short file), this process reads on alone as before.
    """
    reader = _Reader(stream, BLOCK_BYTES, _BOUNDS)
    size = os.fstat(stream.fileno()).st_size
    processes = workers.cpu_budget()
    if processes < 2 or size < split_bytes:
        return reader.read(), reader.streamed, reader.error
    separator = reader.begin()
    starts = [reader.first_record]
    if separator is not None:
        starts += _piece_starts(stream, separator, reader.offset + reader.size, size, processes)
    if len(starts) < 2:
        return reader.read_rest(), reader.streamed, reader.error
    assert separator is not None
    path = os.path.abspath(ref.path)  # workers start in this directory too; be exact anyway
    jobs = [
        (path, start, stops, separator, BLOCK_BYTES, _BOUNDS)
        for start, stops in zip(starts[1:], [s + 1 for s in starts[2:]] + [None])
    ]
    pieces = _in_workers(jobs, first=lambda: _first_piece(reader, stream, starts[1] + 1))
    columns = _Columns(_BOUNDS)
    for start, piece in zip(starts, pieces):
        if piece is not None and not columns.count:
            columns = piece  # the first piece's codes need no translating
            continue
        if piece is None:  # from here on, one process reads on alone and says what it found
            with open(path, "rb") as rest:
                rest.seek(start)
                tail = _Reader(rest, BLOCK_BYTES, _BOUNDS)
                tail.start_at(start, separator, columns.count)
                columns.extend(tail.read_rest())
            return columns, tail.streamed, tail.error
        columns.extend(piece)
    return columns, True, None


def _first_piece(reader: _Reader, stream: IO[bytes], stop: int) -> _Columns | None:
    """The first piece, read on by the reader that read the file's start."""
    position = reader.offset + reader.size  # _piece_starts moved the stream: come back
    stream.seek(position)
    reader.stream = _Bounded(stream, stop - position)
    return reader.columns if reader.read_piece() else None


def _piece_starts(
    stream: IO[bytes], separator: Separator, after: int, size: int, processes: int
) -> list[int]:
    """File offsets of the records where pieces 2, 3... start, sharing the records about evenly.

    Each is the ``{`` that follows the first separator at or beyond its planned offset
    (:func:`_planned_offsets`), and beyond ``after`` (what the first piece's reader has
    already read).
    """
    text, _, open_at = separator
    starts: list[int] = []
    for planned in _planned_offsets(stream, text, after, size, processes):
        planned = max(planned, after, starts[-1] + 1 if starts else 0)
        stream.seek(planned)
        window = stream.read(_SPLIT_SEARCH_BYTES)
        found = window.find(text)
        if found < 0:
            break
        starts.append(planned + found + open_at)
    return starts


def _planned_offsets(stream: IO[bytes], separator: bytes, start: int, size: int, processes: int) -> list[int]:
    """Offsets that cut ``start:size`` into ``processes`` parts of about as much work each.

    Equal bytes are not equal work: older records carry fewer keys, so the first half of a
    decade's file holds far more records than the second (the 3M bench file: 58% of them).
    The work of a stretch is its records plus its bytes over :data:`_BYTES_PER_RECORD`; the
    separators are counted in a small window at the start of each of ``_DENSITY_SAMPLES``
    equal stretches, and the cuts placed by the estimated work, the first piece (this
    process's) taking :data:`_FIRST_SHARE` of an even split.
    """
    edges = np.linspace(start, size, _DENSITY_SAMPLES + 1)
    estimated = [0.0]
    for low, high in pairwise(edges):
        stream.seek(int(low))
        window = stream.read(min(_SAMPLE_BYTES, int(high - low)))
        work = window.count(separator) + len(window) / _BYTES_PER_RECORD
        estimated.append(estimated[-1] + work * (high - low) / max(len(window), 1))
    first = min(_FIRST_SHARE / processes, 1.0)
    shares = [first + (1 - first) * number / (processes - 1) for number in range(processes - 1)]
    if estimated[-1] <= 0:  # nothing read at all: cut by bytes
        return [start + int((size - start) * share) for share in shares]
    return [
        int(offset) for offset in np.interp([estimated[-1] * share for share in shares], estimated, edges)
    ]


def _in_workers(jobs: list[tuple[Any, ...]], first: Callable[[], _Columns | None]) -> list[_Columns | None]:
    """``first()`` here and :func:`run_job` for each job in a worker process, in order.

    A worker is a fresh Python (``sys.executable -c``) that imports this module's reader
    and nothing else of auditor (numpy and msgspec: about 0.15 s of CPU; pandas, 0.7 s more,
    only for a damaged file), and never the
    caller's ``__main__``: a script that calls auditor without an ``if __name__ ==
    "__main__"`` guard is not run again in every worker, as it is with multiprocessing's
    spawn and forkserver (seen while testing). Nor is it a ``fork()`` of this process: the TUI
    runs the audit on a thread, and a forked copy of a threaded process can hold locks no
    thread will release. It inherits the environment (the test suite's offline guard
    comes with PYTHONPATH). A worker that cannot be started or fails leaves its piece
    to this process (with ``AUDITOR_STRICT=1``, the test suite, its failure is raised).
    """
    started = [_Worker.start(job) for job in jobs]
    try:
        results = [first()]
        results += [worker.result() if worker else run_job(job) for job, worker in zip(jobs, started)]
        return results
    finally:
        for worker in started:
            if worker:
                worker.close()


# --- A large zip member: pieces on several processes ---------------------------------------


def _read_member(ref: FileRef, stream: IO[bytes], split_bytes: int) -> tuple[_Columns, bool, str | None]:
    """Columns, whether the separator held throughout, and the error, for a zip member.

    The next blocks are inflated on the other core while this one decodes
    (:class:`~auditor.importers.base.Prefetched`). A large deflated member of a zip that is
    not itself inside a zip is cut, like a plain file (:func:`_read_plain_file`), into
    one piece per process; but a member cannot be sought in, so its pieces are cut at
    planned uncompressed offsets (shares of the declared size) that every process finds in
    the bytes it inflates itself (:class:`MemberJob`): a worker inflates and throws away
    what comes before its piece, which costs CPU (zlib: about 1.9 s per GB inflated) but
    not this process's time, when the second core is free. The result is the one-process result: from the first piece that did
    not read cleanly, this process reads on alone.
    """
    info = _splittable_member(ref, split_bytes)
    with Prefetched(stream, BLOCK_BYTES) as ahead:
        reader = _Reader(ahead, BLOCK_BYTES, _BOUNDS)  # type: ignore[arg-type]
        if info is None:
            return reader.read(), reader.streamed, reader.error
        separator = reader.begin()
        after = reader.offset + reader.size
        cuts = _member_cuts(after, info.file_size, workers.cpu_budget())
        if separator is None or reader.eof or not cuts:
            return reader.read_rest(), reader.streamed, reader.error
        first_record = reader.first_record
        jobs = [
            MemberJob(
                str(os.path.abspath(ref.path)),
                ref.members[0],
                declared(info),
                cut_from,
                cut_to,
                separator,
                _SPLIT_SEARCH_BYTES,
                BLOCK_BYTES,
                _BOUNDS,
            )
            for cut_from, cut_to in zip(cuts, [*cuts[1:], None])
        ]

        def first() -> tuple[int, int | None, _Columns] | None:
            cutting = _CutAfter(ahead, after, cuts[0], separator, _SPLIT_SEARCH_BYTES)  # type: ignore[arg-type]
            reader.stream = cutting  # type: ignore[assignment]
            clean = reader.read_piece() and cutting.cut is not None
            return (first_record, cutting.cut, reader.columns) if clean else None

        pieces = _in_workers(jobs, first=first)  # type: ignore[arg-type]
    columns, resume_at = _Columns(_BOUNDS), first_record
    for piece in pieces:
        if piece is None or piece[0] != resume_at:  # from here on, one process reads on alone
            return _read_member_from(ref, resume_at, separator, columns)
        _, resume_at, piece_columns = piece  # type: ignore[misc]
        if columns.count:
            columns.extend(piece_columns)
        else:
            columns = piece_columns  # the first piece's codes need no translating
    return columns, True, None


def _splittable_member(ref: FileRef, split_bytes: int) -> zipfile.ZipInfo | None:
    """The member's ZipInfo if it is to be read in pieces, else None (one process).

    Not for a member of a nested archive, an encrypted or not deflated member, one under
    ``split_bytes``, one that the archive-bomb limits of :mod:`auditor.sources` refuse
    (discovery refuses it first; a caller may build a FileRef itself), or a budget of one.
    """
    if len(ref.members) != 1 or workers.cpu_budget() < 2:
        return None
    from auditor.sources import _member_problem  # the one place the limits are decided

    try:
        with zipfile.ZipFile(ref.path) as archive:
            info = archive.getinfo(ref.members[0])
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None  # the one-process read says what is wrong, if anything
    if not splittable(info) or info.file_size < split_bytes or _member_problem(info) is not None:
        return None
    return info


def _member_cuts(after: int, size: int, processes: int) -> list[int]:
    """The planned uncompressed offsets where pieces 2, 3... start looking for their first record.

    Shares of the declared size: a member's record density cannot be sampled without
    inflating it. The first piece is given :data:`_MEMBER_FIRST_SHARE` of an even split:
    a worker inflates and throws away everything before its piece, and starts Python first.
    Cuts are at least one search window apart and beyond what was already read.
    """
    cuts: list[int] = []
    share = _MEMBER_FIRST_SHARE / processes
    rest = (1 - share) / max(processes - 1, 1)
    for number in range(processes - 1):
        planned = int(size * (share + rest * number))
        planned = max(planned, after, cuts[-1] + _SPLIT_SEARCH_BYTES if cuts else 0)
        if planned + _SPLIT_SEARCH_BYTES > size:
            break
        cuts.append(planned)
    return cuts


def _read_member_from(
    ref: FileRef, start: int, separator: Separator, columns: _Columns
) -> tuple[_Columns, bool, str | None]:
    """Read the member on alone from the record at ``start``, after ``columns``' records."""
    with ref.open() as again, Prefetched(again, BLOCK_BYTES) as ahead:
        _skip(ahead, start)  # type: ignore[arg-type]  # inflated and thrown away: a rare path
        tail = _Reader(ahead, BLOCK_BYTES, _BOUNDS)  # type: ignore[arg-type]
        tail.start_at(start, separator, columns.count)
        rest = tail.read_rest()
    if columns.count:
        columns.extend(rest)
    else:
        columns = rest
    return columns, tail.streamed, tail.error


# The worker's whole program: the job comes on stdin, its columns go to stdout (pickled).
_WORKER_CODE = (
    "import pickle, sys; path, job = pickle.load(sys.stdin.buffer); sys.path[:0] = path; "
    "from auditor.importers.google_records_reader import serve; serve(job)"
)


@dataclass
class _Worker:
    """One worker process reading one piece (see :func:`_in_workers`)."""

    job: tuple[Any, ...]
    process: subprocess.Popen[bytes]
    errors: IO[bytes]  # its stderr, read only to explain a failure

    @classmethod
    def start(cls, job: tuple[Any, ...]) -> _Worker | None:
        if not sys.executable:  # an embedded interpreter: no Python to start
            return None
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), after the worker ends
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
            )
        except OSError:
            errors.close()
            return None
        worker = cls(job, process, errors)
        assert process.stdin is not None
        # If it died at once, the write fails; result() then reports it or reads the piece here.
        with contextlib.suppress(BrokenPipeError), process.stdin:
            process.stdin.write(pickle.dumps((list(sys.path), job)))
        return worker

    def result(self) -> _Columns | None:
        """The worker's columns (None: the piece did not read cleanly); read here if it failed."""
        assert self.process.stdout is not None
        try:
            with self.process.stdout:
                columns = pickle.load(self.process.stdout)
            if self.process.wait() == 0:
                return columns
        except (EOFError, pickle.UnpicklingError, OSError):
            self.process.wait()
        if os.environ.get("AUDITOR_STRICT") == "1":
            self.errors.seek(0)
            problem = self.errors.read().decode("utf-8", errors="replace").strip()
            raise RuntimeError(
                f"a Records.json worker process failed (exit {self.process.returncode}): {problem}"
            )
        return run_job(self.job)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.errors.close()


# --- The frame ----------------------------------------------------------------------------

_TIME_REASONS = {
    _TIME_MISSING: "no timestamp or timestampMs",
    _ISO_BAD: "timestamp is not an ISO 8601 time",
    _MS_BAD: "timestampMs is not a number of epoch milliseconds",
    _TIME_OUT_OF_RANGE: (
        f"time before {parsing.EARLIEST.year} or from {parsing.LATEST.year} on (a clock error, not a real fix)"
    ),
}


def _points_frame(columns: _Columns, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    # Each column is joined, filtered and handed over one at a time, and arrays are scaled
    # in place: a 3M-point file must not hold several copies of its columns at once.
    lat, lon = _wrap_e7_overflow(columns.take("lat", np.float64), columns.take("lon", np.float64), report)
    lat /= 1e7
    lon /= 1e7
    keep = _skip_unusable(columns, lat, lon, report)
    kept = slice(None) if keep.all() else keep

    def take(name: str, dtype: type) -> np.ndarray:
        return columns.take(name, dtype)[kept]

    time_ns = take("time", np.int64)
    # Handed over as Series that share the arrays: pandas copies a bare array into a Series
    # (fresh pages: ~17 ms CPU per column of 3M rows, 0.24 s for the frame).
    data = {
        # Nanoseconds since the epoch, UTC: read as such, with no localising pass.
        "time": pd.Series(pd.DatetimeIndex(time_ns, dtype="datetime64[ns, UTC]", copy=False), copy=False),
        # Missing everywhere (the file has no offsets), built directly: much cheaper than
        # letting the model fill a list of NA for millions of rows.
        "utc_offset_min": pd.Series(
            pd.arrays.IntegerArray(np.zeros(len(time_ns), np.int32), np.ones(len(time_ns), bool)), copy=False
        ),
        "lat": pd.Series(lat[kept], copy=False),
        "lon": pd.Series(lon[kept], copy=False),
        "accuracy_m": pd.Series(take("accuracy", np.float32), copy=False),
        "altitude_m": pd.Series(take("altitude", np.float32), copy=False),
        "speed_mps": pd.Series(take("speed", np.float32), copy=False),
        "signal": pd.Series(
            _categorical(columns.signals, take("signal", np.int32), _signal_name), copy=False
        ),
        "activity": pd.Series(
            _categorical(columns.activities, take("activity", np.int32), _activity_name), copy=False
        ),
        "device": pd.Series(
            _categorical(columns.devices, take("device", np.int32), _device_name), copy=False
        ),
    }
    del lat, lon, time_ns
    for name, count in sorted(columns.emptied.items()):
        report.notes.append(f"{count:,} records had a {name} of the wrong type; it was left empty")
    return frame("points", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=np.flatnonzero(keep))


def _wrap_e7_overflow(
    lat: np.ndarray, lon: np.ndarray, report: ImportReport
) -> tuple[np.ndarray, np.ndarray]:
    """Undo Google's 32-bit overflow of E7 values (see the module docstring)."""
    lat_over, lon_over = lat > _E7_LAT_WRAP, lon > _E7_LON_WRAP
    wrapped = int((lat_over | lon_over).sum())
    if wrapped:
        lat = np.where(lat_over, lat - 2**32, lat)
        lon = np.where(lon_over, lon - 2**32, lon)
        report.notes.append(
            f"{wrapped:,} records had E7 coordinates above the valid range (Google's 32-bit "
            "overflow); they were wrapped by subtracting 2^32"
        )
    return lat, lon


def _skip_unusable(columns: _Columns, lat: np.ndarray, lon: np.ndarray, report: ImportReport) -> np.ndarray:
    """The rows to keep; every other row is counted once, under its first reason."""
    keep = np.ones(columns.count, dtype=bool)

    def skip(mask: np.ndarray, reason: str) -> None:
        report.skip_many(np.flatnonzero(mask & keep), reason)
        keep[mask] = False

    by_reason: dict[str, list[int]] = {}
    for index, reason in sorted(columns.problems.items()):
        by_reason.setdefault(reason, []).append(index)
    for reason, indices in by_reason.items():
        mask = np.zeros(columns.count, dtype=bool)
        mask[indices] = True
        skip(mask, reason)
    missing = np.isnan(lat) | np.isnan(lon)
    skip(missing, "no latitudeE7/longitudeE7")
    skip(
        ~missing & ((np.abs(lat) > 90) | (np.abs(lon) > 180)),
        "latitudeE7/longitudeE7 off the globe (beyond ±90°/±180°)",
    )
    skip((lat == 0) & (lon == 0), "coordinates 0, 0 (a null fix, not a place)")
    status = columns.take("time_status", np.int8)
    for code, reason in _TIME_REASONS.items():
        skip(status == code, reason)
    return keep


def _signal_name(name: str | None) -> str | None:
    return name.strip().upper() if name else None


def _activity_name(name: str | None) -> str | None:
    """``onFoot``, ``on_foot`` and ``ON_FOOT`` to one spelling."""
    if not name:
        return None
    return _CAMEL_HUMP.sub("_", name.strip()).upper().replace(" ", "_").replace("-", "_")


def _device_name(tag: float) -> str | None:
    """A deviceTag as its integer's digits; NaN (absent) is missing."""
    if isinstance(tag, float) and not math.isfinite(tag):
        return None
    return str(int(tag))  # an int of any size (math.isnan of one past 1e308 overflowed)


def _categorical(
    vocabulary: _Vocabulary, codes: np.ndarray, normalise: Callable[[Any], str | None]
) -> pd.Categorical:
    """The codes as a categorical of normalised names (None and "" become missing)."""
    names = [normalise(key) for key in vocabulary]
    categories = sorted({name for name in names if name})
    position = {name: i for i, name in enumerate(categories)}
    # The smallest code type up front, so that pandas need not copy the codes again.
    code_type = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
    remap = np.array([position[name] if name else -1 for name in names] or [-1], dtype=code_type)
    return pd.Categorical.from_codes(remap[codes], categories, validate=False)


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Google location history, raw points (Records.json / Location History.json)",
        kinds=("points",),
        sniff=sniff,
        load=load,
    ),
)
