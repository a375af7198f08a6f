"""Google Timeline, on-device export (2024+): Android ``Timeline.json`` and iOS ``location-history.json``.

From late 2024 Google keeps Timeline on the phone; the person exports it from Maps or the
phone's settings (formats.md §1.5). The file name is localised (``Timeline.json``,
``Chronologie.json``, ``타임라인.json``...), so the file is recognised by its content.

Two layouts carry the same segments:

* **Android**: one object ``{"semanticSegments": [...], "rawSignals": [...],
  "userLocationProfile": {...}}``. Numbers are JSON numbers, coordinates are degree
  strings ``"50.0506312°, 14.3439906°"`` inside ``{"latLng": ...}`` objects, the place id
  key is ``placeId``, types are upper-snake (``INFERRED_HOME``, ``IN_PASSENGER_VEHICLE``).
* **iOS**: a top-level array of segments, pretty-printed with ``" : "``. Numbers are
  strings (``"0.710000"``, ``"0"``), coordinates are ``"geo:27.720022,-97.347951"``
  strings, the place id key is ``placeID``, activity types are lower case with spaces
  (``"in passenger vehicle"``), semantic types Title case (``"Home"``). timelinePath
  points carry ``durationMinutesOffsetFromStartTime`` (minutes after the segment's
  ``startTime``) instead of a time, and the path segments come last in the file.

Both spellings of every key and value are accepted in both layouts; types are normalised
to upper-snake. What each segment becomes:

* ``visit`` -> a **visit** (top candidate's place id, semantic type and location; the
  confidence is the visit's ``probability``, else the candidate's). Nested visits
  (``hierarchyLevel`` > 0, a shop inside a mall) are kept and counted in a note.
* ``activity`` -> an **activity** (start/end coordinates, ``distanceMeters``, top
  candidate's ``type`` as the mode; confidence as for visits).
* ``timelinePath`` -> **points** (``signal`` = ``TIMELINE_PATH``: Google's reconstructed
  path, not a device fix). The 2-hour path windows overlap visits and each other, so the
  same fix can appear twice; the importer keeps every copy and ``dataset.merge_kind``
  drops the repeats.
* ``timelineMemory`` (trip summaries: destinations and a distance, no location of its
  own) -> counted in a note.
* ``rawSignals[].position`` (Android only; key ``LatLng`` with a capital L) -> **points**
  with accuracy, altitude, speed and ``source`` (GPS, WIFI, CELL) as the signal.
  ``activityRecord`` and ``wifiScan`` items hold no position: counted in a note.
* ``userLocationProfile.frequentPlaces`` (Google's own HOME/WORK labels, no time) ->
  a note; no visit is invented from them.

Times are local ISO strings with an offset (``2019-04-03T08:00:00.000+02:00``): stored
in UTC, with the offset in ``utc_offset_min``, taken from
``startTimeTimezoneUtcOffsetMinutes`` where the segment has it. A ``Z`` time is a true UTC
instant in both layouts; as a *local* offset it counts as 0 in Android files, but iOS
writes its 2-hour path windows in ``Z`` for people anywhere (the sample has a Texas visit
at ``-05:00`` and the same fix in a ``Z`` window), so there it gives no local offset and
local time comes from ``--timezone``.

Record numbers: the 0-based index in ``semanticSegments`` (or in the iOS array) for
visits, activities and timelinePath points, and in ``rawSignals`` for raw positions.

Accepted deviations seen in hand-made shapes (dawarich ``timeline_new_format.json``,
kgeo ``test-data.json``): coordinates without the degree sign (``"48.8566, 2.3522"``),
visits without ``semanticType`` or ``probability``, a segment holding both a visit and
a timelinePath, a raw signal holding both an activityRecord and a position, and
frequent-place labels beyond HOME and WORK.

Size: an export can hold millions of raw positions. The whole file is decoded with
msgspec into structs that declare only the fields read (``strict=False`` turns the iOS
number strings into numbers in C); columns are then parsed as whole arrays. A file with
a malformed record is decoded again record by record, so that only the bad records are
skipped. From 128 MB, the largest array (Android rawSignals or semanticSegments, the iOS
array) is cut between elements and its pieces are decoded and turned into columns on the
processes ``workers.cpu_budget()`` allows (json_pieces.py), each piece in slices of 64 MB
so that a process holds the objects of one slice at a time; meanwhile the calling process
decodes the rest of the file. The pieces' and slices' skips are counted call by call, so
frames and report are those of one process, and anything unusual (broken JSON, a record
of the wrong shape) sends the file back to one process.
"""

from __future__ import annotations

import math
import mmap
import operator
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals

from auditor.importers import json_pieces, parsing
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame

IMPORTER_ID = "google-ondevice"
SOURCE = "google-location"
PATH_SIGNAL = "TIMELINE_PATH"
COORDINATE_FORMS = "'lat°, lon°' or 'geo:lat,lon'"
_BOM = b"\xef\xbb\xbf"
_BLANK = re.compile(rb"\s*")


# --- The shapes read: only the fields used, every one optional ----------------------------
# gc=False: these structs never form cycles, so the collector need not track millions of them.


class _LatLng(msgspec.Struct, gc=False):
    latLng: str | None = None


# Android writes {"latLng": "…°, …°"}, iOS a bare "geo:…" string.
_Location = str | _LatLng | None


class _Present(msgspec.Struct, gc=False):
    """An object whose content is skipped (in C) and only counted."""


class _Candidate(msgspec.Struct, gc=False):
    placeId: str | None = None
    placeID: str | None = None
    semanticType: str | None = None
    type: str | None = None
    probability: float | None = None
    placeLocation: _Location = None


class _Visit(msgspec.Struct, gc=False):
    hierarchyLevel: int | None = None
    probability: float | None = None
    topCandidate: _Candidate | None = None


class _Activity(msgspec.Struct, gc=False):
    start: _Location = None
    end: _Location = None
    distanceMeters: float | None = None
    probability: float | None = None
    topCandidate: _Candidate | None = None


# Numbers read only as float columns default to NaN rather than None: a column without a
# single None (JSON null) is built by np.fromiter without an intermediate list (see _floats).


class _PathPoint(msgspec.Struct, gc=False):
    point: str | None = None
    time: str | None = None
    durationMinutesOffsetFromStartTime: float | None = math.nan


class _Segment(msgspec.Struct, gc=False):
    startTime: str | None = None
    endTime: str | None = None
    startTimeTimezoneUtcOffsetMinutes: int | None = None
    visit: _Visit | None = None
    activity: _Activity | None = None
    timelinePath: list[_PathPoint] | None = None
    timelineMemory: _Present | None = None


class _Position(msgspec.Struct, gc=False):
    LatLng: str | None = None
    accuracyMeters: float | None = math.nan
    altitudeMeters: float | None = math.nan
    source: str | None = None
    timestamp: str | None = None
    speedMetersPerSecond: float | None = math.nan


class _RawSignal(msgspec.Struct, gc=False):
    position: _Position | None = None
    activityRecord: _Present | None = None
    wifiScan: _Present | None = None


class _FrequentPlace(msgspec.Struct, gc=False):
    placeId: str | None = None
    placeLocation: _Location = None
    label: str | None = None


class _Profile(msgspec.Struct, gc=False):
    frequentPlaces: list[_FrequentPlace] = []


class _Android(msgspec.Struct, gc=False):
    # UNSET tells an object without any of these keys (not a Timeline) from empty lists.
    semanticSegments: list[_Segment] | msgspec.UnsetType = msgspec.UNSET
    rawSignals: list[_RawSignal] | msgspec.UnsetType = msgspec.UNSET
    userLocationProfile: _Profile | None | msgspec.UnsetType = msgspec.UNSET


class _AndroidUnread(msgspec.Struct):
    """The Android object with its parts left undecoded, to read them one record at a time."""

    semanticSegments: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    rawSignals: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    userLocationProfile: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


# The whole file in one typed pass; bench/ondevice_bench.py times this as a floor.
# strict=False reads iOS's "0.710000" and "49" as numbers, in C.
TIMELINE_TYPE = _Android | list[_Segment]
_WHOLE = msgspec.json.Decoder(TIMELINE_TYPE, strict=False)
_UNREAD = msgspec.json.Decoder(_AndroidUnread | list[msgspec.Raw])


# --- Sniff --------------------------------------------------------------------------------

_ANDROID_KEYS = ("semanticSegments", "rawSignals", "userLocationProfile")
_ANDROID_START = re.compile(r'^\{"(?:semanticSegments|rawSignals|userLocationProfile)":[\[{]')
_IOS_START = re.compile(r'^\[\{"(?:startTime|endTime)":"')
_SEGMENT_KEYS = ('"visit":{', '"activity":{', '"timelinePath":[', '"timelineMemory":{')


def sniff(head: Head) -> float:
    """0.95 for an Android object or an iOS array of Timeline segments; 0 otherwise."""
    compact = head.compact
    if _ANDROID_START.match(compact):
        return 0.95
    if compact.startswith("{") and '"semanticSegments":[' in compact:
        return 0.9
    if _IOS_START.match(compact) and '"endTime":"' in compact and any(k in compact for k in _SEGMENT_KEYS):
        return 0.95
    return 0.0


# --- Load ---------------------------------------------------------------------------------


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read one on-device Timeline export into visits, activities and points."""
    data = _file_bytes(ref)
    # A view, not a copy: the file can be a gigabyte.
    start = bytes(data[:4])
    body = memoryview(data)[len(_BOM) :] if start.startswith(_BOM) else memoryview(data)
    if _BLANK.match(data).end() == len(data):
        raise BadInput("the file is empty; expected a Timeline export (JSON)")
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInput("the file is UTF-16 text; a Timeline export is UTF-8 (was it re-saved by an editor?)")
    with parsing.gc_paused():
        parts = _decode_in_pieces(ref, data, body, report) or _decode(body, report)
    del body, data
    _describe_variant(report, parts)
    times = parts.times
    if times is None:
        times = _segment_times(parts.segments, zulu_is_local=parts.android)
    frames = {
        "visits": _visits(ref, report, parts, times),
        "activities": _activities(ref, report, parts, times),
        "points": _points(ref, report, parts, times),
    }
    _note_segments(report, parts)
    _note_raw_signals(report, parts)
    if parts.profile is not None:
        _note_frequent_places(report, parts.profile)
    return frames


def _file_bytes(ref: FileRef) -> bytes | mmap.mmap:
    """The file's bytes; a plain file is mapped read-only instead of read.

    Reading copies the whole file (1.35 GB for 3M raw positions) into fresh memory first:
    about 0.2 s per million points of page faults and copying before decoding starts.
    msgspec decodes from the mapping just as well; the strings it makes are copies, so
    nothing returned refers to the mapping.
    """
    if ref.members:
        return ref.read_bytes()
    with open(ref.path, "rb") as handle:
        try:
            return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (ValueError, OSError):  # an empty file cannot be mapped, nor some special files
            return handle.read()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _describe_variant(report: ImportReport, parts: _Parts) -> None:
    if parts.android:
        report.detail = "Android Timeline.json (semanticSegments, rawSignals, userLocationProfile)"
        report.timezone = "local offset given per record ('Z' read as offset 0)"
        return
    if parts.segments and not any(map(_is_segment, parts.segments)):
        raise BadInput(
            "a JSON array, but not of Timeline segments: no item has a visit, activity, "
            "timelinePath or timelineMemory"
        )
    report.detail = "iOS location-history.json (array of segments)"
    report.timezone = (
        "local offset given per record; path windows written in UTC ('Z') give no local "
        "offset, so their local time comes from --timezone"
    )


# --- Decoding -----------------------------------------------------------------------------


@dataclass
class _Parts:
    """The decoded file: each list with the record number of every item in the file."""

    android: bool
    segments: list[_Segment]
    segment_records: np.ndarray
    raw_signals: list[_RawSignal]
    raw_records: np.ndarray
    profile: _Profile | None
    # rawSignals, or the timelinePath points, already read in pieces by worker processes
    # (see _decode_in_pieces), if so.
    raw_pieces: list[_RawPiece] | None = None
    path_pieces: list[_PathPiece] | None = None
    # What this process read while the workers decoded their pieces: the segments' times,
    # and the rawSignals or timelinePath points of the part of the file not cut into pieces,
    # their skips logged to be counted where one process would count them.
    times: _SegmentTimes | None = None
    raw_ahead: _RawPiece | None = None
    path_ahead: _PathPiece | None = None

    def __post_init__(self) -> None:
        self._raw: _RawRead | None = None

    def raw(self, report: ImportReport | _SkipLog) -> _RawRead:
        """The raw positions' columns and the other signals' counts, read once.

        Read here from ``raw_signals``, or merged from the pieces, whose skips are counted
        now, where reading them here would have counted them.
        """
        if self._raw is None:
            if self.raw_pieces is not None:
                self._raw = _merge_raw_reads(self.raw_pieces, report)
            elif self.raw_ahead is not None:
                _replay(self.raw_ahead.read_skips, report)
                self._raw = self.raw_ahead.read
            else:
                self._raw = _read_raw_signals(self.raw_signals, self.raw_records, report)
        return self._raw


def _numbered(items: list[Any]) -> tuple[list[Any], np.ndarray]:
    return items, np.arange(len(items), dtype=np.int64)


def _decode(data: memoryview, report: ImportReport) -> _Parts:
    """The whole file typed in one pass, or record by record when some records are malformed."""
    try:
        try:
            whole = _WHOLE.decode(data)
        except msgspec.ValidationError:
            # Typing can fail before decoding reaches broken JSON further on: the record-by-record
            # pass can then still meet it, and must say so in the same words.
            return _decode_record_by_record(data, report)
    except msgspec.DecodeError as error:
        raise _invalid_json(error, len(data)) from None
    except UnicodeDecodeError as error:
        raise BadInput(
            f"the file is not UTF-8 text: a string holds the byte {error.object[error.start]:#04x}, "
            "which is not UTF-8 (was the export re-saved in another encoding?)"
        ) from None
    if isinstance(whole, list):
        return _Parts(False, *_numbered(whole), *_numbered([]), None)
    _require_timeline_keys(whole)
    return _Parts(
        True,
        *_numbered(whole.semanticSegments or []),
        *_numbered(whole.rawSignals or []),
        whole.userLocationProfile or None,
    )


def _invalid_json(error: msgspec.DecodeError, size: int) -> BadInput:
    if "truncated" in str(error):
        return BadInput(
            f"the JSON stops in the middle (after {size:,} bytes): the export or its copy was cut short"
        )
    return BadInput(f"the JSON is invalid: {error}")


def _require_timeline_keys(found: _Android | _AndroidUnread) -> None:
    unset = (msgspec.UNSET, msgspec.Raw())
    if all(getattr(found, name) in unset for name in _ANDROID_KEYS):
        raise BadInput(
            "a JSON object without semanticSegments, rawSignals or userLocationProfile: "
            "not an on-device Timeline export"
        )


def _decode_record_by_record(data: memoryview, report: ImportReport) -> _Parts:
    try:
        unread = _UNREAD.decode(data)
    except msgspec.ValidationError:
        raise BadInput(
            "expected an on-device Timeline export: an object with semanticSegments (Android) "
            "or an array of segments (iOS)"
        ) from None
    if isinstance(unread, list):
        return _Parts(False, *_decode_each(unread, _Segment, "segment", report), *_numbered([]), None)
    _require_timeline_keys(unread)
    segments = _decode_part(unread.semanticSegments, _Segment, "semanticSegments", "segment", report)
    raw_signals = _decode_part(unread.rawSignals, _RawSignal, "rawSignals", "raw signal", report)
    profile = None
    if len(unread.userLocationProfile):
        try:
            profile = msgspec.json.decode(unread.userLocationProfile, type=_Profile | None, strict=False)
        except msgspec.ValidationError as error:
            report.notes.append(
                f"userLocationProfile was not read: it is not in the expected shape ({error})"
            )
    return _Parts(True, *segments, *raw_signals, profile)


def _decode_part(
    raw: msgspec.Raw, item: type, name: str, what: str, report: ImportReport
) -> tuple[list[Any], np.ndarray]:
    """One array of the Android object: typed at once, else record by record."""
    if not len(raw) or bytes(raw) == b"null":
        return _numbered([])
    try:
        return _numbered(msgspec.json.decode(raw, type=list[item], strict=False))  # type: ignore[valid-type]
    except msgspec.ValidationError:
        pass
    try:
        raws = msgspec.json.decode(raw, type=list[msgspec.Raw])
    except msgspec.ValidationError:
        report.notes.append(f"{name} was not read: it is not a JSON array")
        return _numbered([])
    return _decode_each(raws, item, what, report)


def _decode_each(
    raws: Sequence[msgspec.Raw], item: type, what: str, report: ImportReport | _SkipLog
) -> tuple[list[Any], np.ndarray]:
    """Decode records one by one; a malformed one is skipped with msgspec's account of why."""
    decoder = msgspec.json.Decoder(item, strict=False)
    items: list[Any] = []
    records: list[int] = []
    for number, raw in enumerate(raws):
        try:
            items.append(decoder.decode(raw))
        except msgspec.ValidationError as error:
            report.skip(number, f"{what} is not in the expected shape ({error})")
            continue
        records.append(number)
    return items, np.asarray(records, dtype=np.int64)


def _is_segment(segment: _Segment) -> bool:
    return (
        segment.visit is not None
        or segment.activity is not None
        or segment.timelinePath is not None
        or segment.timelineMemory is not None
    )


# --- Decoding a large array in pieces, on several processes ---------------------------------

# Below this many bytes (rawSignals, semanticSegments or the iOS array) one process reads
# the file: a worker's start-up (a fresh Python importing numpy, pandas and pyarrow) costs
# about 0.5 s of CPU, which pieces win back from about 300,000 Android raw positions (440
# bytes each) or 1M iOS path points (120 bytes each) on two idle cores (bench/ondevice_bench.py).
PIECES_MIN_BYTES = 128_000_000
# rawSignals is cut only when its key lies within this many bytes of the file's start, that
# is after a small semanticSegments; a larger semanticSegments is cut instead.
RAW_KEY_WITHIN = 64_000_000
# The calling process's share of the array, relative to an even split: a little more than a
# worker's. A worker first spends ~0.7 s of CPU starting Python and importing pandas; this
# process decodes the rest of the file meanwhile and builds the frames once the workers are
# done. CPU before waiting here against the worker's CPU, 3M points on 2 cores: iOS 2.26
# and 2.53 s at a share of 1.0, 2.44 and 2.15 s at 1.15; Android 4.33 and 4.73 s at 1.0,
# 4.88 and 3.78 s at 1.15.
CALLER_SHARE = 1.05
# Each piece is decoded and turned into columns in slices of about this many bytes, so that
# a process holds the decoded objects of one slice at a time (see json_pieces.slices_of).
SLICE_BYTES = 64_000_000
_RAW_SIGNALS = msgspec.json.Decoder(list[_RawSignal], strict=False)
_RAW_KEY = b'"rawSignals"'
_PROFILE_KEY = b'"userLocationProfile"'


class _SkipLog:
    """Skips counted in a worker, kept in order so the caller counts them as one process would."""

    def __init__(self) -> None:
        self.events: list[tuple[np.ndarray, str]] = []

    def skip(self, record: int, reason: str) -> None:
        self.events.append((np.array([record], dtype=np.int64), reason))

    def skip_many(self, records: np.ndarray, reason: str) -> None:
        self.events.append((np.asarray(records, dtype=np.int64), reason))

    def take(self) -> list[tuple[np.ndarray, str]]:
        events, self.events = self.events, []
        return events


@dataclass
class _RawPiece:
    """One run of rawSignals read apart; record numbers count from the piece's first item."""

    items: int
    decode_skips: list[tuple[np.ndarray, str]]
    read: _RawRead
    read_skips: list[tuple[np.ndarray, str]]


def _raw_piece(path: str, low: int, high: int, slice_bytes: int) -> _RawPiece | None:
    """Decode and read the raw signals in bytes ``low:high`` of the file; None if it is not JSON.

    Runs in a worker process (and in the caller for the first piece); everything returned
    is numpy, pandas or plain data, cheap to send back. The piece is read in slices of about
    ``slice_bytes`` (see json_pieces.slices_of), each turned into columns before the next
    is decoded, and the slices' columns and skips are put together as _merge_pieces does.
    """
    slices: list[_RawPiece] = []
    with parsing.gc_paused():
        try:
            for piece in json_pieces.slices_of(path, low, high, slice_bytes):
                slices.append(_raw_slice(piece))
        except (msgspec.DecodeError, UnicodeDecodeError):
            # Not JSON (or cut at a comma inside a nested object): the caller reads the whole
            # file in one process, which finds the same problem and words it as usual.
            return None
    if len(slices) == 1:
        return slices[0]
    log = _SkipLog()
    decode_skips: list[tuple[np.ndarray, str]] = []
    for piece, first in zip(slices, _starts([s.items for s in slices])):
        decode_skips.extend(_shifted(piece.decode_skips, first))
    read = _merge_raw_reads(slices, log, _merge_runs)
    joined = _RawRead([_joined(read.columns)], read.activity_records, read.wifi_scans, read.unknown)
    return _RawPiece(sum(s.items for s in slices), decode_skips, joined, log.take())


def _raw_slice(piece: memoryview) -> _RawPiece:
    """The raw signals of one JSON array: decoded (record by record if need be) and read."""
    log = _SkipLog()
    try:
        signals: list[_RawSignal] = _RAW_SIGNALS.decode(piece)
        items = len(signals)
        records = np.arange(items, dtype=np.int64)
    except msgspec.ValidationError:
        raws = msgspec.json.decode(piece, type=list[msgspec.Raw])
        items = len(raws)
        # Decoded copies: the Raw views must not outlive the mapping.
        signals, records = _decode_each(raws, _RawSignal, "raw signal", log)
        del raws
    decode_skips = log.take()
    read = _read_raw_signals(signals, records, log)
    json_pieces.keep_until_exit(signals)
    return _RawPiece(items, decode_skips, read, log.take())


def _starts(items: list[int]) -> list[int]:
    """Where each run of records starts, given the runs' lengths."""
    return np.cumsum([0] + items[:-1]).tolist()


class _Runs(list):  # type: ignore[type-arg]
    """One column of a piece kept as its slices' runs, concatenated once, with every piece's, in _points.

    Concatenating the slices in each piece first copied the columns twice (0.4 s per 3M
    raw positions), and made categorical columns whose categories had another type than
    those of a piece read at once.
    """


def _joined(columns: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Runs of point columns (records already shifted) as one set, or None if none held rows."""
    present = [c for c in columns if c is not None]
    if not present:
        return None
    return {name: _Runs(_flattened([c[name] for c in present])) for name in present[0]}


def _flattened(columns: list[Any]) -> list[Any]:
    """Columns, any of them held as runs (see _Runs) given run by run."""
    return [run for column in columns for run in (column if isinstance(column, _Runs) else (column,))]


def _shifted_records(records: Any, by: int) -> Any:
    if isinstance(records, _Runs):
        return _Runs(run + by for run in records)
    return records + by


class _SkippedArray(msgspec.Struct, array_like=True, gc=False):
    """Any JSON array, its elements skipped in C: one object for the whole array.

    A struct read from an array takes its fields from the first elements and, having none,
    ignores them all; ``list[_Present]`` made an object per element (3M per 3M iOS points).
    """


class _LightSegment(_Segment, gc=False):
    """A segment whose timelinePath vertices are skipped (in C): only their presence is kept.

    The vertices' shapes are checked where the pieces are decoded in full.
    """

    timelinePath: _SkippedArray | None = None  # type: ignore[assignment]


class _AndroidLight(_Android, gc=False):
    """The Android object with its segments' timelinePath vertices skipped (see _LightSegment)."""

    semanticSegments: list[_LightSegment] | msgspec.UnsetType = msgspec.UNSET  # type: ignore[assignment]


_SEGMENTS = msgspec.json.Decoder(list[_Segment], strict=False)
_LIGHT_SEGMENTS = msgspec.json.Decoder(list[_LightSegment], strict=False)
_LIGHT_ANDROID = msgspec.json.Decoder(_AndroidLight, strict=False)
_SEGMENTS_KEY = b'"semanticSegments"'


@dataclass
class _PathPiece:
    """The timelinePath points of one run of segments read apart (records count from its first)."""

    items: int
    columns: dict[str, Any] | None
    skips: list[tuple[np.ndarray, str]]


def _path_piece(path: str, low: int, high: int, android: bool, slice_bytes: int) -> _PathPiece | None:
    """Decode the segments in bytes ``low:high`` and read their timelinePath points.

    None when they are not JSON or a segment is of the wrong shape: the caller then reads
    the whole file in one process, which skips such a segment with its reason. Read in
    slices as _raw_piece does.
    """
    slices: list[tuple[int, dict[str, Any] | None, list[tuple[np.ndarray, str]]]] = []
    log = _SkipLog()
    with parsing.gc_paused():
        try:
            for piece in json_pieces.slices_of(path, low, high, slice_bytes):
                segments: list[_Segment] = _SEGMENTS.decode(piece)
                parts = _Parts(android, *_numbered(segments), *_numbered([]), None)
                columns = _path_points(log, parts, _segment_times(segments, zulu_is_local=android))
                slices.append((len(segments), columns, log.take()))
                json_pieces.keep_until_exit(segments)
        except (msgspec.DecodeError, UnicodeDecodeError):  # ValidationError is a DecodeError
            return None
    if len(slices) == 1:
        return _PathPiece(*slices[0])
    columns = _joined(_merge_runs(slices, log))
    return _PathPiece(sum(items for items, _, _ in slices), columns, log.take())


def _shifted(events: list[tuple[np.ndarray, str]], by: int) -> list[tuple[np.ndarray, str]]:
    return [(records + by, reason) for records, reason in events]


def _replay(events: list[tuple[np.ndarray, str]], report: ImportReport | _SkipLog) -> None:
    """Count skips logged earlier (see _SkipLog), in their order."""
    for records, reason in events:
        report.skip_many(records, reason)


def _merge_pieces(
    pieces: list[tuple[int, dict[str, Any] | None, list[tuple[np.ndarray, str]]]],
    report: ImportReport | _SkipLog,
) -> list[dict[str, Any] | None]:
    """The pieces' columns put together as one process would have read them (see _merge_runs)."""
    return _merge_runs(pieces, report)


def _merge_runs(
    pieces: list[tuple[int, dict[str, Any] | None, list[tuple[np.ndarray, str]]]],
    report: ImportReport | _SkipLog,
) -> list[dict[str, Any] | None]:
    """Runs of records read apart (items, columns, skips each) as one: skips counted call by call.

    Every piece that held rows made the same drop calls in the same order, so the i-th
    calls of all pieces together are the one call a single process would have made.
    Record numbers are shifted by the items of the pieces before.
    """
    columns: list[dict[str, Any] | None] = []
    calls: list[list[tuple[np.ndarray, str]]] = []
    for (_, piece_columns, skips), start in zip(pieces, _starts([items for items, _, _ in pieces])):
        if piece_columns is None:
            continue
        piece_columns["record"] = _shifted_records(piece_columns["record"], start)
        columns.append(piece_columns)
        calls.append(_shifted(skips, start))
    for same_call in zip(*calls):
        report.skip_many(np.concatenate([records for records, _ in same_call]), same_call[0][1])
    return columns


_Merge = Callable[
    [list[tuple[int, dict[str, Any] | None, list[tuple[np.ndarray, str]]]], ImportReport | _SkipLog],
    list[dict[str, Any] | None],
]


def _merge_raw_reads(
    pieces: list[_RawPiece], report: ImportReport | _SkipLog, merge: _Merge | None = None
) -> _RawRead:
    """The rawSignals pieces' reads as one (see _merge_pieces; ``merge``: another such function)."""
    return _RawRead(
        (merge or _merge_pieces)([(p.items, p.read.columns[0], p.read_skips) for p in pieces], report),
        activity_records=sum(p.read.activity_records for p in pieces),
        wifi_scans=sum(p.read.wifi_scans for p in pieces),
        unknown=sum(p.read.unknown for p in pieces),
    )


def _array_after_key(data: Any, key_text: bytes, body_start: int, limit: int | None = None) -> int | None:
    """The position of the ``[`` that opens the value of the first ``key_text`` key, or None.

    ``limit``: search only the first bytes, where the key is if the array before it is small.
    """
    key = data.find(key_text, body_start, len(data) if limit is None else body_start + limit)
    # A quote after a backslash would be inside a string, not the key's own.
    if key <= body_start or data[key - 1] == ord("\\"):
        return None
    colon = json_pieces.skip_whitespace(data, key + len(key_text))
    if data[colon : colon + 1] != b":":
        return None
    start = json_pieces.skip_whitespace(data, colon + 1)
    return start if data[start : start + 1] == b"[" else None


def _segments_span(data: Any, body_start: int) -> tuple[int, int] | None:
    """Where semanticSegments lies: its ``[`` and one past its ``]``, found by searching bytes.

    The end is the ``]`` before the next top-level key (searched from the file's end,
    where rawSignals and userLocationProfile lie) or before the object's closing brace.
    The caller proves it by counting: the pieces' segments must be all the file's.
    """
    start = _array_after_key(data, _SEGMENTS_KEY, body_start)
    if start is None:
        return None
    following = [at for at in (data.rfind(_RAW_KEY), data.rfind(_PROFILE_KEY)) if at > start]
    end_of_value = min(following) if following else data.rfind(b"}")
    if end_of_value <= start:
        return None
    if following:
        comma = _last_before_whitespace(data, start, end_of_value)
        if data[comma : comma + 1] != b",":
            return None
        end_of_value = comma
    close = _last_before_whitespace(data, start, end_of_value)
    return (start, close + 1) if data[close : close + 1] == b"]" else None


def _raw_signals_span(data: Any, body_start: int, limit: int) -> tuple[int, int] | None:
    """Where the top-level rawSignals array lies: its ``[`` and one past its ``]``; or None.

    Found by searching bytes, not parsing, and only where semanticSegments before it is
    smaller than ``limit``: the caller proves the find right by decoding the rest of the
    file with an empty array in its place (see _decode_in_pieces).
    """
    start = _array_after_key(data, _RAW_KEY, body_start, limit)
    if start is None:
        return None
    # The array's end is searched from the file's end: a real export ends with rawSignals
    # or with a small userLocationProfile after it.
    brace = data.rfind(b"}")
    if brace < start or json_pieces.skip_whitespace(data, brace + 1) != len(data):
        return None
    close = _last_before_whitespace(data, start, brace)
    if data[close : close + 1] != b"]":
        profile = data.rfind(_PROFILE_KEY, start)
        if profile < 0:
            return None
        comma = _last_before_whitespace(data, start, profile)
        close = _last_before_whitespace(data, start, comma)
        if data[comma : comma + 1] != b"," or data[close : close + 1] != b"]":
            return None
    if close <= start or data.find(_RAW_KEY, close) >= 0:
        return None
    return start, close + 1


def _last_before_whitespace(data: Any, start: int, end: int) -> int:
    """The position of the last byte before ``end`` (and after ``start``) that is not whitespace."""
    position = end - 1
    while position > start and data[position] in b" \t\r\n":
        position -= 1
    return position


def _decode_in_pieces(ref: FileRef, data: Any, body: memoryview, report: ImportReport) -> _Parts | None:
    """A large file decoded on several processes; None to decode it in one.

    Android: the rest of the file is decoded here with ``[]`` in place of rawSignals, while
    workers decode the array's pieces. If that rest is an Android Timeline whose rawSignals
    is that empty array and every piece is a JSON array, the whole file is exactly those
    pieces put back (json_pieces explains why), and the result is the one-process result.
    iOS: workers read the timelinePath points of runs of segments, while the segments are
    decoded here without their vertices for the visits, activities and notes.

    Anything else (a zip member, a small file, broken JSON or a record of the wrong shape)
    returns None and the file is decoded in one process, which words any problem.
    """
    processes = json_pieces.budget()
    if ref.members or processes < 2 or len(data) < PIECES_MIN_BYTES:
        return None
    body_start = len(data) - len(body)
    first = json_pieces.skip_whitespace(data, body_start)
    if data[first : first + 1] == b"[":
        return _ios_in_pieces(ref, data, body, first, processes)
    # Which array to cut: a rawSignals key near the start means semanticSegments is small
    # (the benchmark's worst case, millions of raw positions); otherwise the bulk is
    # timelinePath, as in real exports, which seem to keep rawSignals for about a month.
    # Searching only the first bytes never scans a gigabyte for a key that is at its end.
    raw = _raw_signals_span(data, body_start, RAW_KEY_WITHIN)
    if raw is not None and raw[1] - raw[0] >= PIECES_MIN_BYTES:
        return _android_in_pieces(ref, data, body_start, raw, processes, report)
    segments = _segments_span(data, body_start)
    if segments is None or segments[1] - segments[0] < PIECES_MIN_BYTES:
        return None
    return _android_paths_in_pieces(ref, data, body, segments, processes)


def _shares(processes: int, size: int) -> list[float]:
    processes = max(1, min(processes, size // (PIECES_MIN_BYTES // 2)))
    caller = CALLER_SHARE / processes
    return [caller] + [(1 - caller) / (processes - 1)] * (processes - 1)


def _ios_in_pieces(ref: FileRef, data: Any, body: memoryview, start: int, processes: int) -> _Parts | None:
    close = data.rfind(b"]")
    if close < start or json_pieces.skip_whitespace(data, close + 1) != len(data):
        return None
    cuts = json_pieces.element_cuts(data, start, close + 1, _shares(processes, close - start))
    if len(cuts) < 2:
        return None

    def segments_and_times() -> tuple[list[_Segment], _SegmentTimes]:
        segments: list[_Segment] = _LIGHT_SEGMENTS.decode(body)
        return segments, _segment_times(segments, zulu_is_local=False)

    try:
        pieces, (segments, times) = json_pieces.map_pieces(
            _path_piece,
            [(os.path.abspath(ref.path), low, high, False, SLICE_BYTES) for low, high in cuts],
            meanwhile=segments_and_times,
        )
    except (msgspec.DecodeError, UnicodeDecodeError, json_pieces.PiecesFailed):
        return None
    if any(p is None for p in pieces) or sum(p.items for p in pieces) != len(segments):  # type: ignore[union-attr]
        return None
    return _Parts(
        False,
        *_numbered(segments),
        *_numbered([]),
        None,
        path_pieces=pieces,  # type: ignore[arg-type]
        times=times,
    )


def _android_paths_in_pieces(
    ref: FileRef, data: Any, body: memoryview, span: tuple[int, int], processes: int
) -> _Parts | None:
    """Workers read the timelinePath points of runs of semanticSegments; the rest is decoded here."""
    start, end = span
    cuts = json_pieces.element_cuts(data, start, end, _shares(processes, end - start))
    if len(cuts) < 2:
        return None

    def rest() -> tuple[_AndroidLight, _SegmentTimes, _RawPiece]:
        whole = _LIGHT_ANDROID.decode(body)
        raw_signals = whole.rawSignals or []
        log = _SkipLog()
        raw = _read_raw_signals(raw_signals, np.arange(len(raw_signals), dtype=np.int64), log)
        times = _segment_times(whole.semanticSegments or [], zulu_is_local=True)
        return whole, times, _RawPiece(len(raw_signals), [], raw, log.take())

    try:
        pieces, (whole, times, raw) = json_pieces.map_pieces(
            _path_piece,
            [(os.path.abspath(ref.path), low, high, True, SLICE_BYTES) for low, high in cuts],
            meanwhile=rest,
        )
    except (msgspec.DecodeError, UnicodeDecodeError, json_pieces.PiecesFailed):
        return None
    segments = whole.semanticSegments or []
    if any(p is None for p in pieces) or sum(p.items for p in pieces) != len(segments):  # type: ignore[union-attr]
        return None
    _require_timeline_keys(whole)
    return _Parts(
        True,
        *_numbered(segments),
        *_numbered(whole.rawSignals or []),
        whole.userLocationProfile or None,
        path_pieces=pieces,  # type: ignore[arg-type]
        times=times,
        raw_ahead=raw,
    )


def _android_in_pieces(
    ref: FileRef, data: Any, body_start: int, span: tuple[int, int], processes: int, report: ImportReport
) -> _Parts | None:
    start, end = span
    cuts = json_pieces.element_cuts(data, start, end, _shares(processes, end - start))
    if len(cuts) < 2:
        return None
    rest = b"".join((bytes(data[body_start : start + 1]), bytes(data[end - 1 :])))

    def read_rest() -> tuple[Any, _SegmentTimes | None, _PathPiece | None]:
        whole = _WHOLE.decode(rest)
        if not isinstance(whole, _Android) or whole.rawSignals != []:
            return whole, None, None
        segments = whole.semanticSegments or []
        times = _segment_times(segments, zulu_is_local=True)
        log = _SkipLog()
        paths = _path_points(log, _Parts(True, *_numbered(segments), *_numbered([]), None), times)
        return whole, times, _PathPiece(len(segments), paths, log.take())

    try:
        pieces, (whole, times, paths) = json_pieces.map_pieces(
            _raw_piece,
            [(os.path.abspath(ref.path), low, high, SLICE_BYTES) for low, high in cuts],
            meanwhile=read_rest,
        )
    except (msgspec.DecodeError, UnicodeDecodeError, json_pieces.PiecesFailed):
        return None
    if not isinstance(whole, _Android) or whole.rawSignals != [] or any(p is None for p in pieces):
        return None
    for piece, first in zip(pieces, _starts([p.items for p in pieces])):  # type: ignore[union-attr]
        for records, reason in _shifted(piece.decode_skips, first):  # type: ignore[union-attr]
            report.skip_many(records, reason)
    return _Parts(
        True,
        *_numbered(whole.semanticSegments or []),
        *_numbered([]),
        whole.userLocationProfile or None,
        raw_pieces=pieces,  # type: ignore[arg-type]
        times=times,
        path_ahead=paths,
    )


# --- Shared column work -------------------------------------------------------------------


class _Sieve:
    """Rows still kept, and the skips counted against the report: one reason per row."""

    def __init__(self, report: ImportReport | _SkipLog, records: np.ndarray):
        self.report = report
        self.records = records
        self.kept = np.ones(len(records), dtype=bool)

    def drop(self, condition: np.ndarray, reason: str) -> None:
        bad = condition & self.kept
        # Called even when nothing is dropped (the report ignores an empty call) so that the
        # logs of pieces read apart hold the same calls in the same order (see _SkipLog).
        self.report.skip_many(self.records[bad], reason)
        self.kept &= ~bad


def _values(items: Sequence[Any], name: str) -> list[Any]:
    """One field of every struct, as a list (C-level iteration, no Python loop)."""
    return list(map(attrgetter(name), items))


def _is_none(values: Sequence[Any]) -> np.ndarray:
    return np.fromiter(map(operator.is_, values, repeat(None)), dtype=bool, count=len(values))


def _floats(items: Sequence[Any], name: str) -> np.ndarray:
    """One number field of every struct as float64, NaN where absent or null."""
    try:
        return np.fromiter(map(attrgetter(name), items), dtype="float64", count=len(items))
    except TypeError:  # a JSON null (None) among them: numpy reads None as NaN from a list
        return np.asarray(_values(items, name), dtype="float64")


@dataclass
class _Times:
    """Parsed ISO times: naive UTC nanoseconds (NaT where unusable) and why they are unusable."""

    utc: np.ndarray
    absent: np.ndarray
    unreadable: np.ndarray
    outside: np.ndarray  # outside 1990-2100: an epoch sentinel or a clock reset


def _parse_times(texts: Any, absent: np.ndarray) -> _Times:
    parsed = parsing.iso_to_utc_fast(texts)
    outside = parsing.out_of_range(parsed).to_numpy()
    parsed = parsed.mask(outside)
    utc = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[ns]")
    unreadable = np.isnat(utc) & ~absent & ~outside
    return _Times(utc, absent, unreadable, outside)


def _no_times(count: int) -> _Times:
    """What :func:`_parse_times` makes of ``count`` missing times, without parsing them."""
    nowhere = np.zeros(count, dtype=bool)
    return _Times(np.full(count, np.datetime64("NaT"), dtype="datetime64[ns]"), ~nowhere, nowhere, nowhere)


def _drop_bad_times(sieve: _Sieve, times: _Times, what: str) -> None:
    sieve.drop(times.absent, f"{what} is missing")
    sieve.drop(times.unreadable, f"{what} is not an ISO 8601 time")
    sieve.drop(times.outside, f"{what} is outside 1990-2100")


@dataclass
class _SegmentTimes:
    """Start, end and local offset of every segment, aligned with the segment list."""

    start: _Times
    end: _Times
    offset: pd.Series  # Int32 minutes, RangeIndex


def _segment_times(segments: list[_Segment], zulu_is_local: bool) -> _SegmentTimes:
    starts = _values(segments, "startTime")
    ends = _values(segments, "endTime")
    stated = parsing.nullable_int(
        pd.Series(_values(segments, "startTimeTimezoneUtcOffsetMinutes"), dtype=object)
    )
    written = _written_offsets(starts, zulu_is_local)
    offset = parsing.first_present(stated, written).astype("Int32")
    return _SegmentTimes(_parse_times(starts, _is_none(starts)), _parse_times(ends, _is_none(ends)), offset)


def _written_offsets(texts: Any, zulu_is_local: bool) -> pd.Series:
    """The offset written in each ISO time; a 'Z' counts only where it states local time."""
    offsets = parsing.iso_offsets_minutes_fast(texts)
    if not zulu_is_local:
        text = parsing.arrow_strings(texts)
        zulu = pc.fill_null(pc.match_substring_regex(text, r"[Zz]\s*$"), False).to_numpy(zero_copy_only=False)
        offsets = offsets.mask(zulu)
    return offsets.reset_index(drop=True)


def _location_text(location: str | _LatLng | None) -> str | None:
    return location.latLng if isinstance(location, _LatLng) else location


def _coordinates(texts: Any) -> tuple[np.ndarray, np.ndarray]:
    text = parsing.arrow_strings(texts)
    if text is not None and len(text) and text.null_count == 0:
        # The usual case (every value a Google coordinate string): split in one RE2 pass and
        # cast each half, skipping the filtering and fallback bookkeeping of the general helper.
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        parts = pc.extract_regex(text, parsing._FAST_LAT_LON)
        if parts.null_count == 0:
            return (
                pc.cast(pc.struct_field(parts, "lat"), pa.float64()).to_numpy(zero_copy_only=False),
                pc.cast(pc.struct_field(parts, "lon"), pa.float64()).to_numpy(zero_copy_only=False),
            )
    lat, lon = parsing.split_lat_lon_fast(text if text is not None else texts)
    return lat.to_numpy(), lon.to_numpy()


def _drop_bad_place(
    sieve: _Sieve, absent: np.ndarray, lat: np.ndarray, lon: np.ndarray, what: str, required: bool
) -> None:
    if required:
        sieve.drop(absent, f"{what} is missing (expected {COORDINATE_FORMS})")
    unreadable = ~absent & np.isnan(lat)
    sieve.drop(unreadable, f"{what} is not a coordinate (expected {COORDINATE_FORMS})")
    on_globe = parsing.valid_coordinates(pd.Series(lat), pd.Series(lon)).to_numpy()
    sieve.drop(~absent & ~unreadable & ~on_globe, f"{what} is off the globe or (0, 0)")


def _utc(times: np.ndarray) -> pd.Series:
    return pd.Series(times).dt.tz_localize("UTC")


def _empty(kind: str, ref: FileRef) -> pd.DataFrame:
    return frame(kind, {}, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=[])


def _segments_with(parts: _Parts, field: str) -> np.ndarray:
    """Positions (in the segment list) of the segments that carry ``field``."""
    present = ~_is_none(_values(parts.segments, field))
    return np.flatnonzero(present)


# --- Visits and activities ----------------------------------------------------------------


def _visits(ref: FileRef, report: ImportReport, parts: _Parts, times: _SegmentTimes) -> pd.DataFrame:
    where = _segments_with(parts, "visit")
    if not len(where):
        return _empty("visits", ref)
    visits: list[_Visit] = [parts.segments[i].visit for i in where]  # type: ignore[misc]
    tops = [v.topCandidate or _Candidate() for v in visits]
    places = [_location_text(t.placeLocation) for t in tops]
    lat, lon = _coordinates(places)
    sieve = _Sieve(report, parts.segment_records[where])
    _drop_bad_times(sieve, _pick(times.start, where), "visit startTime")
    _drop_bad_times(sieve, _pick(times.end, where), "visit endTime")
    _drop_bad_place(sieve, _is_none(places), lat, lon, "visit placeLocation", required=True)
    nested = sum(1 for v in visits if (v.hierarchyLevel or 0) > 0)
    if nested:
        report.notes.append(
            f"{_plural(nested, 'visit')} nested in a larger place (hierarchyLevel > 0), kept: "
            "it overlaps the visit to the larger place in time"
        )
    keep = sieve.kept
    kept_tops = list(compress(tops, keep))
    data = {
        "start": _utc(times.start.utc[where][keep]),
        "end": _utc(times.end.utc[where][keep]),
        "utc_offset_min": times.offset.iloc[where[keep]],
        "lat": lat[keep],
        "lon": lon[keep],
        "place_id": [t.placeId or t.placeID for t in kept_tops],
        "semantic_type": parsing.upper_snake(pd.Series(_values(kept_tops, "semanticType"), dtype=object)),
        "confidence": _confidence(visits, tops)[keep],
    }
    return frame("visits", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=sieve.records[keep])


def _pick(times: _Times, where: np.ndarray) -> _Times:
    return _Times(times.utc[where], times.absent[where], times.unreadable[where], times.outside[where])


def _confidence(segments: Sequence[_Visit | _Activity], tops: list[_Candidate]) -> np.ndarray:
    """The segment's own probability, else its top candidate's."""
    values = [s.probability if s.probability is not None else t.probability for s, t in zip(segments, tops)]
    return np.asarray(values, dtype="float64")


def _activities(ref: FileRef, report: ImportReport, parts: _Parts, times: _SegmentTimes) -> pd.DataFrame:
    where = _segments_with(parts, "activity")
    if not len(where):
        return _empty("activities", ref)
    activities: list[_Activity] = [parts.segments[i].activity for i in where]  # type: ignore[misc]
    tops = [a.topCandidate or _Candidate() for a in activities]
    starts = [_location_text(a.start) for a in activities]
    ends = [_location_text(a.end) for a in activities]
    start_lat, start_lon = _coordinates(starts)
    end_lat, end_lon = _coordinates(ends)
    sieve = _Sieve(report, parts.segment_records[where])
    _drop_bad_times(sieve, _pick(times.start, where), "activity startTime")
    _drop_bad_times(sieve, _pick(times.end, where), "activity endTime")
    # An activity without coordinates still says when and how the person moved.
    _drop_bad_place(sieve, _is_none(starts), start_lat, start_lon, "activity start", required=False)
    _drop_bad_place(sieve, _is_none(ends), end_lat, end_lon, "activity end", required=False)
    keep = sieve.kept
    data = {
        "start": _utc(times.start.utc[where][keep]),
        "end": _utc(times.end.utc[where][keep]),
        "utc_offset_min": times.offset.iloc[where[keep]],
        "start_lat": start_lat[keep],
        "start_lon": start_lon[keep],
        "end_lat": end_lat[keep],
        "end_lon": end_lon[keep],
        "distance_m": _floats(activities, "distanceMeters")[keep],
        "mode": parsing.upper_snake(pd.Series(_values(list(compress(tops, keep)), "type"), dtype=object)),
        "confidence": _confidence(activities, tops)[keep],
    }
    return frame(
        "activities", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=sieve.records[keep]
    )


# --- Points -------------------------------------------------------------------------------


def _points(ref: FileRef, report: ImportReport, parts: _Parts, times: _SegmentTimes) -> pd.DataFrame:
    if parts.path_pieces is not None:
        paths = _merge_pieces([(p.items, p.columns, p.skips) for p in parts.path_pieces], report)
    elif parts.path_ahead is not None:
        _replay(parts.path_ahead.skips, report)
        paths = [parts.path_ahead.columns]
    else:
        paths = [_path_points(report, parts, times)]
    pieces = [p for p in (*paths, *parts.raw(report).columns) if p is not None]
    if not pieces:
        return _empty("points", ref)
    joined = {name: _concat(_flattened([p[name] for p in pieces])) for name in pieces[0]}
    records = joined.pop("record")
    count = len(records)
    joined["time"] = _utc(joined["time"])
    # Filled here rather than by model.conform, whose filler for a category column builds
    # a Python list of n missing values (0.13 s per million rows).
    joined["activity"] = joined["device"] = pd.Categorical.from_codes(np.full(count, -1, dtype=np.int8), [])
    return frame("points", joined, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=records)


def _concat(columns: list[Any]) -> Any:
    if len(columns) == 1:
        return columns[0]
    if isinstance(columns[0], pd.Categorical):
        return union_categoricals(columns)
    if isinstance(columns[0], pd.Series):
        return pd.concat(columns, ignore_index=True)
    return np.concatenate(columns)


def _categorical(values: list[str | None]) -> pd.Categorical:
    """A categorical from a million strings of a few distinct values, encoded in pyarrow."""
    encoded = pa.array(values, type=pa.string()).dictionary_encode()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return pd.Categorical.from_codes(codes, categories=pd.Index(encoded.dictionary.to_pylist(), dtype=object))


def _path_points(
    report: ImportReport | _SkipLog, parts: _Parts, times: _SegmentTimes
) -> dict[str, Any] | None:
    """timelinePath vertices: a time of their own (Android) or minutes after the segment start (iOS)."""
    where = _segments_with(parts, "timelinePath")
    if not len(where):
        return None
    paths: list[list[_PathPoint]] = [parts.segments[i].timelinePath for i in where]  # type: ignore[misc]
    counts = np.fromiter(map(len, paths), dtype=np.int64, count=len(paths))
    vertices: list[_PathPoint] = list(chain.from_iterable(paths))
    segment_of = np.repeat(where, counts)
    texts = _values(vertices, "point")
    written = _values(vertices, "time")
    minutes = _floats(vertices, "durationMinutesOffsetFromStartTime")
    no_minutes = np.isnan(minutes)
    # iOS writes no vertex time and Android no minutes: a field absent from every vertex is
    # not parsed (3M iOS vertices: 0.6 s of parsing 3M missing times and their offsets).
    if written.count(None) == len(written):
        own = _no_times(len(written))
    else:
        own = _parse_times(written, _is_none(written))
    if no_minutes.all():
        after_start = np.full(len(minutes), np.datetime64("NaT"), dtype="datetime64[ns]")
    else:
        after_start = times.start.utc[segment_of] + (minutes * 60e9).astype("timedelta64[ns]")
    use_own = ~np.isnat(own.utc)
    time = np.where(use_own, own.utc, after_start)
    offset = times.offset.iloc[segment_of].reset_index(drop=True)
    if use_own.any():
        written_offset = _written_offsets(written, zulu_is_local=parts.android).where(use_own)
        offset = parsing.first_present(written_offset, offset)
    lat, lon = _coordinates(texts)
    sieve = _Sieve(report, parts.segment_records[segment_of])
    sieve.drop(own.unreadable & no_minutes, "timelinePath point time is not an ISO 8601 time")
    sieve.drop(
        own.absent & no_minutes, "timelinePath point has no time or durationMinutesOffsetFromStartTime"
    )
    sieve.drop(own.outside & no_minutes, "timelinePath point time is outside 1990-2100")
    sieve.drop(np.isnat(time), "timelinePath point is timed from its segment's startTime, which is unusable")
    sieve.drop(parsing.out_of_range(_utc(time)).to_numpy(), "timelinePath point time is outside 1990-2100")
    _drop_bad_place(sieve, _is_none(texts), lat, lon, "timelinePath point", required=True)
    keep = sieve.kept
    kept = int(keep.sum())
    return {
        "record": sieve.records[keep],
        "time": time[keep],
        "utc_offset_min": offset[keep].reset_index(drop=True).astype("Int32"),
        "lat": lat[keep],
        "lon": lon[keep],
        "accuracy_m": np.full(kept, np.nan),
        "altitude_m": np.full(kept, np.nan),
        "speed_mps": np.full(kept, np.nan),
        "signal": pd.Categorical.from_codes(
            np.zeros(kept, dtype=np.int8), pd.Index([PATH_SIGNAL], dtype=object)
        ),
    }


def _raw_points(
    report: ImportReport | _SkipLog, positions: list[_Position], records: np.ndarray
) -> dict[str, Any]:
    """rawSignals positions: the device's own fixes."""
    texts = parsing.arrow_strings(_values(positions, "LatLng"))
    stamps = parsing.arrow_strings(_values(positions, "timestamp"))
    lat, lon = _coordinates(texts)
    when = _parse_times(stamps, stamps.is_null().to_numpy(zero_copy_only=False))
    sieve = _Sieve(report, records)
    _drop_bad_times(sieve, when, "raw position timestamp")
    _drop_bad_place(
        sieve, texts.is_null().to_numpy(zero_copy_only=False), lat, lon, "raw position LatLng", required=True
    )
    keep = sieve.kept
    return {
        "record": sieve.records[keep],
        "time": when.utc[keep],
        "utc_offset_min": parsing.iso_offsets_minutes_fast(stamps)[keep].reset_index(drop=True),
        "lat": lat[keep],
        "lon": lon[keep],
        "accuracy_m": _floats(positions, "accuracyMeters")[keep],
        "altitude_m": _floats(positions, "altitudeMeters")[keep],
        "speed_mps": _floats(positions, "speedMetersPerSecond")[keep],
        "signal": _categorical(_values(positions, "source"))[keep],
    }


@dataclass
class _RawRead:
    """What rawSignals became: raw point columns (one set per piece) and the other kinds' counts."""

    columns: list[dict[str, Any] | None]
    activity_records: int
    wifi_scans: int
    unknown: int


def _read_raw_signals(
    raw_signals: list[_RawSignal], records: np.ndarray, report: ImportReport | _SkipLog
) -> _RawRead:
    positions: list[_Position | None] = _values(raw_signals, "position")
    has_position = ~_is_none(positions)
    columns = None
    if has_position.any():
        columns = _raw_points(report, list(compress(positions, has_position)), records[has_position])
    # The signals without a position (a few hundred thousand at most), by kind.
    others: list[_RawSignal] = list(compress(raw_signals, ~has_position))
    no_activity = _is_none(_values(others, "activityRecord"))
    no_wifi = _is_none(_values(others, "wifiScan"))
    return _RawRead(
        [columns],
        activity_records=int((~no_activity).sum()),
        wifi_scans=int((~no_wifi).sum()),
        unknown=int((no_activity & no_wifi).sum()),
    )


# --- Notes on what is not turned into rows ------------------------------------------------


def _note_segments(report: ImportReport, parts: _Parts) -> None:
    memories = int((~_is_none(_values(parts.segments, "timelineMemory"))).sum())
    if memories:
        report.notes.append(
            f"{_plural(memories, 'timelineMemory segment')} not read (trip summaries: destinations "
            "and a distance, no location of their own)"
        )
    empty = [number for s, number in zip(parts.segments, parts.segment_records) if not _is_segment(s)]
    report.skip_many(empty, "segment has none of visit, activity, timelinePath or timelineMemory")


def _note_raw_signals(report: ImportReport, parts: _Parts) -> None:
    """Count the raw signals without a position, by kind."""
    raw = parts.raw(report)
    unread = [
        f"{count} {name}"
        for name, count in (
            ("activityRecord (activity guesses)", raw.activity_records),
            ("wifiScan (nearby access points)", raw.wifi_scans),
            ("of another kind", raw.unknown),
        )
        if count
    ]
    if unread:
        report.notes.append(f"rawSignals items not read (they hold no position): {', '.join(unread)}")


def _note_frequent_places(report: ImportReport, profile: _Profile) -> None:
    places = profile.frequentPlaces
    if not places:
        return
    lat, lon = _coordinates([_location_text(p.placeLocation) for p in places])
    described = [
        f"{p.label or 'unlabelled'} at {la:.4f}, {lo:.4f}"
        if not np.isnan(la)
        else f"{p.label or 'unlabelled'} (location unreadable)"
        for p, la, lo in zip(places, lat, lon)
    ]
    report.notes.append(
        "Google's own frequent places (userLocationProfile; no times, so no visits are made "
        f"from them): {'; '.join(described)}"
    )


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Google Timeline on-device export (Android Timeline.json, iOS location-history.json)",
        kinds=("visits", "activities", "points"),
        sniff=sniff,
        load=load,
    ),
)
