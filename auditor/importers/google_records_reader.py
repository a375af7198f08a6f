"""Reading a Google ``Records.json`` stream into numpy columns: the decoding half of
:mod:`auditor.importers.google_records`, whose docstring describes the format and the method.

This module imports only numpy and msgspec, and pandas only for a time or a value that is
not in Google's usual shape (a damaged file), not the rest of auditor: a worker process that
decodes one piece of a large file imports no more than it needs.
"""

from __future__ import annotations

import io
import math
import pickle
import re
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import attrgetter, is_not, itemgetter
from typing import IO, Any, Literal

import msgspec
import numpy as np

from auditor.importers.gc_pause import gc_paused

# A stretch this long with no record boundary is not a list of location records.
MAX_RECORD_BYTES = 128 * 1024 * 1024
# Room kept beyond one block for the record carried over from the previous block.
_SLACK = 1024 * 1024
_FIRST_RECORDS_BYTES = 64 * 1024

_NAN = float("nan")
_NAT = np.iinfo(np.int64).min
_PREFIX = re.compile(rb'\s*\{\s*"locations"\s*:\s*\[\s*')
_COMMA = re.compile(rb"\s*,\s*")
_COMMA_TO_RECORD = re.compile(rb"\s*,\s*\{")
_UTF8_BOM = b"\xef\xbb\xbf"


# The record separator learnt from the file, the index of the record's closing brace in it,
# and the index of the next record's opening brace.
Separator = tuple[bytes, int, int]


class Unreadable(Exception):
    """Nothing at all could be read from the file; the message says why (a BadInput to callers)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Typed records: only the fields read here, so msgspec skips the rest in C ------------


class _ActivityType(msgspec.Struct, gc=False):
    type: str | None = None
    confidence: float = -1.0


# Empty tuples, not None, as defaults: numpy and itertools then take every reading alike.
class _ActivityReading(msgspec.Struct, gc=False):
    activity: list[_ActivityType] = ()  # type: ignore[assignment]


class _OldActivityReading(msgspec.Struct, gc=False):
    """The ``activitys`` entries of 2014-2017 files."""

    activities: list[_ActivityType] = ()  # type: ignore[assignment]


class _Record(msgspec.Struct, gc=False):
    # NaN defaults (not None) let numpy take the numbers without a Python-level check.
    latitudeE7: int = _NAN  # type: ignore[assignment]
    longitudeE7: int = _NAN  # type: ignore[assignment]
    timestamp: str | None = None
    timestampMs: str | int | None = None
    accuracy: float = _NAN
    altitude: float = _NAN
    velocity: float = _NAN
    source: str | None = None
    deviceTag: int = _NAN  # type: ignore[assignment]
    activity: list[_ActivityReading] | None = None
    activitys: list[_OldActivityReading] | None = None


_RECORD_FIELDS: dict[str, Any] = {info.name: info.type for info in msgspec.structs.fields(_Record)}
_ESSENTIAL = ("latitudeE7", "longitudeE7")
_PIECE = msgspec.json.Decoder(list[_Record])

# The same records with the strings Google usually writes as Literals: msgspec then hands
# back one shared string instead of a new one per value, which makes decoding 8-12% faster
# and the codes' dictionary lookups cheaper (identity, a cached hash). A piece holding any
# other value fails to decode this way and is decoded with _PIECE, which its reader then
# keeps (see _Reader._decode_piece): at most one piece per process is decoded twice.
_SOURCE_NAMES = ("WIFI", "CELL", "GPS", "UNKNOWN")
_ACTIVITY_NAMES = (
    "STILL",
    "ON_FOOT",
    "WALKING",
    "RUNNING",
    "ON_BICYCLE",
    "IN_VEHICLE",
    "IN_ROAD_VEHICLE",
    "IN_RAIL_VEHICLE",
    "IN_CAR",
    "IN_BUS",
    "IN_PASSENGER_VEHICLE",
    "IN_FOUR_WHEELER_VEHICLE",
    "IN_TWO_WHEELER_VEHICLE",
    "EXITING_VEHICLE",
    "TILTING",
    "UNKNOWN",
)


def _spellings(names: tuple[str, ...]) -> tuple[str, ...]:
    """``ON_FOOT``, ``on_foot`` and ``onFoot``: the spellings seen in Google's files."""
    camel = tuple(re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name.lower()) for name in names)
    return tuple(dict.fromkeys(names + tuple(name.lower() for name in names) + camel))


_UsualSource = Literal[_spellings(_SOURCE_NAMES)]  # type: ignore[valid-type]
_UsualActivity = Literal[_spellings(_ACTIVITY_NAMES)]  # type: ignore[valid-type]


class _UsualActivityType(_ActivityType, gc=False):
    type: _UsualActivity | None = None  # type: ignore[valid-type]


class _UsualActivityReading(_ActivityReading, gc=False):
    activity: list[_UsualActivityType] = ()  # type: ignore[assignment]


class _UsualOldActivityReading(_OldActivityReading, gc=False):
    activities: list[_UsualActivityType] = ()  # type: ignore[assignment]


class _UsualRecord(_Record, gc=False):
    source: _UsualSource | None = None  # type: ignore[valid-type]
    activity: list[_UsualActivityReading] | None = None  # type: ignore[assignment]
    activitys: list[_UsualOldActivityReading] | None = None  # type: ignore[assignment]


_USUAL_PIECE = msgspec.json.Decoder(list[_UsualRecord])
_ONE = msgspec.json.Decoder(_Record)
_RAW_PIECE = msgspec.json.Decoder(list[msgspec.Raw])
_ANY = msgspec.json.Decoder()

# --- Reading the stream -----------------------------------------------------------------


@dataclass
class _Cut:
    """Records up to buffer index ``end`` (exclusive); the next value starts at ``next``."""

    end: int
    next: int


class _Reader:
    """Turns the byte stream into columns, one decoded piece at a time.

    ``buffer[0]`` is a spare byte and ``buffer[1]`` the start of a record (or of the
    array's end); ``size`` bytes are in use. The spare byte lets a piece be wrapped in
    ``[`` ``]`` in place, so each piece is decoded from a memoryview instead of a block-sized
    copy, and blocks are read straight into the one buffer (``readinto``) rather than into
    a new bytes object each time. ``offset`` is the file offset of ``buffer[0]``.
    """

    def __init__(self, stream: IO[bytes], block_bytes: int, bounds: tuple[int, int]):
        self.stream = stream
        self.block_bytes = block_bytes
        self.buffer = bytearray(block_bytes + _SLACK)
        self.size = 0
        self.offset = 0
        self.eof = False
        self.separator: bytes | None = None
        self.close_at = 0  # index of the record's closing brace within the separator
        self.open_at = 0  # index of the next record's opening brace within the separator
        self.streamed = True
        self.columns = _Columns(bounds)
        self.decoder = _USUAL_PIECE  # _PIECE from the first piece with an unusual string
        self.error: str | None = None  # the file could be read only in part: why
        # Records of the file before this reader's first one (a reader that starts mid-file).
        self.records_before = 0

    @property
    def records_read(self) -> int:
        """Records of the file read so far, this reader's and those before its start."""
        return self.records_before + self.columns.count

    def read(self) -> _Columns:
        """Read to the end of the array (or to the first damage) and return the columns."""
        self.begin()
        return self.read_rest()

    def begin(self) -> Separator | None:
        """Read past ``{"locations": [`` and learn the separator (None: not pretty-printed)."""
        self._start()
        self._learn_separator()
        return self.learnt()

    def read_rest(self) -> _Columns:
        """Read on from a record start to the end of the array (or to the first damage)."""
        while not self._step():
            pass
        return self.columns

    def start_at(self, position: int, separator: Separator, records_before: int) -> None:
        """Start at the record that begins at file offset ``position`` (the stream is there)."""
        self.size, self.offset = 1, position - 1  # buffer[0] is the spare byte
        self.separator, self.close_at, self.open_at = separator
        self.records_before = records_before

    @property
    def first_record(self) -> int:
        """File offset of the record (or the array's end) at ``buffer[1]``."""
        return self.offset + 1

    def learnt(self) -> Separator | None:
        """The separator learnt from the first records, with its brace positions."""
        return None if self.separator is None else (self.separator, self.close_at, self.open_at)

    def read_piece(self) -> bool:
        """Read a piece that ends with the ``{`` of the next piece's first record.

        Only the happy path runs here: True if every block was cut at the separator and
        decoded, and the piece ended exactly at that ``{``. Anything else (damage, a
        separator that is not one) returns False, and the caller reads from this piece's
        start in one process, where every problem gets its message.
        """
        while self._read_block():
            cut = self._separator_cut()
            if cut is None:
                if self.size > MAX_RECORD_BYTES:
                    return False
                continue
            if not self._decode_piece(cut.end):
                return False
            self._consume(cut.next)
        return self.size == 2 and self.buffer[1] == ord("{")

    def read_last_piece(self) -> bool:
        """Read the last piece, to the array's end; True if it all went the happy way."""
        try:
            self.read_rest()
        except Unreadable:
            return False
        return self.streamed and self.error is None

    # Start: BOM, the {"locations": [ prefix, the separator --------------------------------

    def _start(self) -> None:
        while self.size < 4096 and self._read_block():
            pass
        start = 3 if self.buffer.startswith(_UTF8_BOM) else 0
        if not self.buffer[start : min(self.size, 4096)].strip():
            raise Unreadable('the file is empty; expected {"locations": [...]}')
        match = _PREFIX.match(self.buffer, start, self.size)
        if match is None:
            start = bytes(self.buffer[start : min(self.size, start + 40)]).decode("utf-8", errors="replace")
            raise Unreadable(f'expected {{"locations": [ at the start of the file, found {start!r}')
        self._consume(match.end())

    def _learn_separator(self) -> None:
        """Take the bytes between the first two records as the separator, if pretty-printed."""
        window = _FIRST_RECORDS_BYTES  # the first records are small: scan a little at a time
        while True:
            ends, close = self._scan(upto=min(window, self.size))
            if len(ends) >= 2 or close >= 0 or window > MAX_RECORD_BYTES:
                break
            if window >= self.size and not self._read_block():
                break
            window *= 2
        self.streamed = False
        if not len(ends):
            return
        first_end = int(ends[0]) + 1
        after = _COMMA_TO_RECORD.match(self.buffer, first_end, self.size)
        newline = self.buffer.rfind(b"\n", 1, first_end - 1)
        if after is None or newline < 0 or not self.buffer[newline : first_end - 1].isspace():
            return  # minified or unusual: the structural scan reads it all
        closing = bytes(self.buffer[newline:first_end])
        self.separator = closing + bytes(self.buffer[first_end : after.end()])
        self.close_at = len(closing) - 1
        self.open_at = len(self.separator) - 1
        self.streamed = True

    # One step of the main loop; True when reading is over ---------------------------------

    def _step(self) -> bool:
        if not self.eof:
            self._read_block()
        if self.separator is not None and not self.eof:
            cut = self._separator_cut()
            if cut is not None and self._decode_piece(cut.end):
                self._consume(cut.next)
                return False
            if cut is None and self.size <= MAX_RECORD_BYTES:
                return False  # no separator in view yet: read on
            # The separator met something it does not describe: from here on the
            # structural scan decides, and it also finds where a problem lies.
            self.separator = None
            self.streamed = False
        return self._structural_step()

    def _separator_cut(self) -> _Cut | None:
        assert self.separator is not None
        found = self.buffer.rfind(self.separator, 1, self.size)
        if found < 0:
            return None
        return _Cut(found + self.close_at + 1, found + self.open_at)

    def _structural_step(self) -> bool:
        ends, close = self._scan()
        if close >= 0:
            return self._finish(close)
        cut = self._structural_cut(ends)
        if cut is None:
            if self.eof:
                return self._truncated(ends)
            if self.size > MAX_RECORD_BYTES:
                self._stop(f"no record boundary within {MAX_RECORD_BYTES // 2**20} MB", self.offset + 1)
                return True
            return False
        if not self._decode_piece(cut.end):
            return self._salvage(ends)
        self._consume(cut.next)
        return False

    def _structural_cut(self, ends: np.ndarray) -> _Cut | None:
        # The last record that a comma and another value follow within the buffer.
        for index in range(len(ends) - 1, max(-1, len(ends) - 4), -1):
            end = int(ends[index]) + 1
            comma = _COMMA.match(self.buffer, end, self.size)
            if comma is not None and comma.end() < self.size:
                return _Cut(end, comma.end())
        return None

    # End of the array, truncation, damage ---------------------------------------------

    def _finish(self, close: int) -> bool:
        """The array closes at buffer index ``close``: decode what is left, check the rest."""
        if close > 1 and not self._decode_piece(close):
            ends, _ = self._scan(upto=close)
            return self._salvage(ends)
        while not self.eof and self.size - close <= 1024:
            self._read_block()  # only a closing brace should follow
        trailer = bytes(self.buffer[close + 1 : min(self.size, close + 1025)]).strip()
        if trailer != b"}":
            # A stray bracket can close the array early: never drop the rest quietly.
            self.error = (
                f"the locations array closes at byte {self.offset + close:,}, but more follows "
                f"({trailer[:30]!r}...): the {self.records_read:,} records before it were read, "
                "the rest of the file was not"
            )
        return True

    def _truncated(self, ends: np.ndarray) -> bool:
        """The stream ended inside the array: keep the complete records, say where it stopped."""
        if len(ends) and not self._decode_piece(int(ends[-1]) + 1):
            return self._salvage(ends)
        size = self.offset + self.size
        if self.records_read == 0:
            raise Unreadable(f"the file is cut off at byte {size:,}, before its first record is complete")
        self.error = (
            f"the file is cut off at byte {size:,} (an interrupted download?): the "
            f"{self.records_read:,} complete records before the cut were read, the one cut "
            "through was not"
        )
        return True

    def _salvage(self, ends: np.ndarray) -> bool:
        """A piece is not valid JSON: read its records one by one up to the damage."""
        start = 1
        for end in (int(e) + 1 for e in ends):
            if start > 1:
                comma = _COMMA.match(self.buffer, start, self.size)
                if comma is None:
                    break
                start = comma.end()
            try:
                records = _decode_leniently(b"[" + self.buffer[start:end] + b"]", self.columns)
            except (msgspec.DecodeError, UnicodeDecodeError):
                break
            self.columns.append(records)
            start = end
        self._stop("the JSON is invalid", self.offset + start)
        return True

    def _stop(self, problem: str, where: int) -> None:
        if self.records_read == 0:
            raise Unreadable(f"{problem} at byte {where:,}, before the first record could be read")
        self.error = (
            f"{problem} at byte {where:,}: the {self.records_read:,} records before it were "
            "read, the rest of the file was not"
        )

    # Decoding a piece in place ------------------------------------------------------------

    def _decode_piece(self, end: int) -> bool:
        """Decode ``buffer[1:end]`` as a list of records; False if it is not valid JSON."""
        buffer = self.buffer
        saved = buffer[end]
        buffer[0], buffer[end] = ord("["), ord("]")
        try:
            with memoryview(buffer) as view, view[: end + 1] as piece:
                try:
                    records = self.decoder.decode(piece)
                except msgspec.ValidationError:
                    records = self._decode_unusual(piece)
        except (msgspec.DecodeError, UnicodeDecodeError):
            # msgspec raises UnicodeDecodeError for a string that is not UTF-8: invalid JSON too.
            return False
        finally:
            buffer[end] = saved
        self.columns.append(records)
        return True

    def _decode_unusual(self, piece: memoryview) -> list[_Record]:
        """A piece that the usual strings (:data:`_USUAL_PIECE`) or the types do not describe."""
        if self.decoder is _USUAL_PIECE:
            try:
                records = _PIECE.decode(piece)
            except msgspec.ValidationError:
                pass  # a value of the wrong type: the lenient path says which
            else:
                self.decoder = _PIECE  # a file with other strings likely holds more of them
                return records
        # Raw values would pin the buffer (it must stay growable): copy this once.
        return _decode_leniently(bytes(piece), self.columns)

    # Buffer -----------------------------------------------------------------------------

    def _read_block(self) -> bool:
        """Read one more block into the buffer; False at the end of the stream."""
        if len(self.buffer) - self.size < self.block_bytes:
            grown = bytearray(max(2 * len(self.buffer), self.size + self.block_bytes + _SLACK))
            grown[: self.size] = self.buffer[: self.size]
            self.buffer = grown
        with memoryview(self.buffer) as view, view[self.size : self.size + self.block_bytes] as room:
            got = self.stream.readinto(room)
        if not got:
            self.eof = True
            return False
        self.size += got
        return True

    def _consume(self, upto: int) -> None:
        """Drop the bytes before ``upto`` but one spare byte, so ``upto`` becomes index 1."""
        keep_from = upto - 1
        rest = self.size - keep_from
        # What is kept is the start of one record: a small move.
        self.buffer[:rest] = self.buffer[keep_from : self.size]
        self.size = rest
        self.offset += keep_from

    def _scan(self, upto: int | None = None) -> tuple[np.ndarray, int]:
        """Structural scan of ``buffer[1:upto]``; indices are buffer indices."""
        view = np.frombuffer(self.buffer, dtype=np.uint8)[1 : self.size if upto is None else upto]
        try:
            ends, close = _scan(view)
        finally:
            del view  # the buffer must not stay exported
        return ends + 1, (close + 1 if close >= 0 else -1)


# --- The structural scan ------------------------------------------------------------------

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENERS = (ord("{"), ord("["))
_CLOSERS = (ord("}"), ord("]"))


def _scan(view: np.ndarray) -> tuple[np.ndarray, int]:
    """Where depth-0 values end in ``view``, which starts outside any value.

    Returns the index of each closing brace that ends a top-level object, and the index of
    the first bracket that closes the enclosing array (-1 if not in view). Brackets inside
    strings are ignored: a bracket is inside a string when an odd number of unescaped
    quotes precede it. All of it is vectorised; only escaped quotes are counted one by one.
    """
    quotes = np.flatnonzero(view == _QUOTE)
    if quotes.size:
        quotes = _unescaped(view, quotes)
    delta = ((view == _OPENERS[0]) | (view == _OPENERS[1])).view(np.int8) - (
        (view == _CLOSERS[0]) | (view == _CLOSERS[1])
    ).view(np.int8)
    positions = np.flatnonzero(delta)
    steps = delta[positions]
    del delta
    outside = (np.searchsorted(quotes, positions) & 1) == 0
    positions, steps = positions[outside], steps[outside]
    depth = np.cumsum(steps, dtype=np.int64)
    below = np.flatnonzero(depth < 0)
    close = int(positions[below[0]]) if below.size else -1
    ends = positions[(steps == -1) & (depth == 0)]
    if close >= 0:
        ends = ends[ends < close]
    return ends, close


def _unescaped(view: np.ndarray, quotes: np.ndarray) -> np.ndarray:
    """Drop quotes escaped by an odd run of backslashes (rare: only these are looped over)."""
    after_backslash = np.flatnonzero((quotes > 0) & (view[np.maximum(quotes - 1, 0)] == _BACKSLASH))
    if not after_backslash.size:
        return quotes
    keep = np.ones(quotes.size, dtype=bool)
    for index in after_backslash:
        position = int(quotes[index]) - 1
        run = 0
        while position >= 0 and view[position] == _BACKSLASH:
            run += 1
            position -= 1
        keep[index] = run % 2 == 0
    return quotes[keep]


# --- Lenient decoding: only for pieces holding a record of the wrong shape -----------------


def _decode_leniently(piece: bytes, columns: _Columns) -> list[_Record]:
    """Decode a piece record by record; a field of the wrong type is emptied and counted.

    Raises ``msgspec.DecodeError`` if the piece is not valid JSON at all.
    """
    records: list[_Record] = []
    for raw in _RAW_PIECE.decode(piece):
        try:
            records.append(_ONE.decode(raw))
        except msgspec.ValidationError:
            records.append(_salvage_record(_ANY.decode(raw), columns.count + len(records), columns))
    return records


def _salvage_record(value: Any, index: int, columns: _Columns) -> _Record:
    """Keep the fields of the right type; a bad coordinate or time marks the record skipped."""
    if not isinstance(value, dict):
        columns.problems[index] = "the record is not a JSON object"
        return _Record()
    clean: dict[str, Any] = {}
    for name, kind in _RECORD_FIELDS.items():
        if value.get(name) is None:
            continue
        try:
            clean[name] = msgspec.convert(value[name], kind)
        except msgspec.ValidationError:
            if name in _ESSENTIAL:
                columns.problems.setdefault(index, "latitudeE7/longitudeE7 is not an integer")
            elif name in ("timestamp", "timestampMs"):
                columns.problems.setdefault(index, f"{name} is neither text nor a number")
            else:
                columns.emptied[name] = columns.emptied.get(name, 0) + 1
    return _Record(**clean)


# --- Columns ------------------------------------------------------------------------------


class _Vocabulary(dict):
    """Strings to small integer codes, growing as new strings appear.

    Looking codes up with ``map(vocabulary.__getitem__, values)`` runs in C; only a string
    never seen before reaches ``__missing__``.
    """

    def __missing__(self, key: Any) -> int:
        code = len(self)
        self[key] = code
        return code

    def absorb(self, other: _Vocabulary) -> np.ndarray:
        """Add ``other``'s strings; returns, per code of ``other``, the code here."""
        return np.array([self[key] for key in other] or [0], dtype=np.int32)


_LAT = attrgetter("latitudeE7")
_LON = attrgetter("longitudeE7")
_ISO = attrgetter("timestamp")
_MS = attrgetter("timestampMs")
_ACCURACY = attrgetter("accuracy")
_ALTITUDE = attrgetter("altitude")
_VELOCITY = attrgetter("velocity")
_SIGNAL = attrgetter("source")
_DEVICE = attrgetter("deviceTag")
_TYPE = attrgetter("type")
_CONFIDENCE = attrgetter("confidence")
_FIRST = itemgetter(0)
# Both spellings of the activity list: (record field, field inside each reading).
_ACTIVITY_SPELLINGS = (
    (attrgetter("activitys"), attrgetter("activities")),
    (attrgetter("activity"), attrgetter("activity")),  # the later spelling wins if both
)

# Why a row's time cannot be used.
_TIME_OK, _TIME_MISSING, _ISO_BAD, _MS_BAD, _TIME_OUT_OF_RANGE = range(5)


@dataclass
class _Columns:
    """Numpy arrays per field, one per decoded piece, joined at the end.

    Every conversion maps a C-level getter over the structs (``map``, ``compress``,
    ``np.fromiter``): no Python code runs per record.
    """

    # Nanoseconds since the epoch of the plausible window (parsing.EARLIEST, parsing.LATEST),
    # given by the caller: this module does not import pandas.
    bounds: tuple[int, int]
    parts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    count: int = 0
    ms_count: int = 0
    signals: _Vocabulary = field(default_factory=_Vocabulary)
    devices: _Vocabulary = field(default_factory=_Vocabulary)  # deviceTag ints (NaN: absent)
    activities: _Vocabulary = field(default_factory=_Vocabulary)
    problems: dict[int, str] = field(default_factory=dict)  # record index -> why skipped
    emptied: dict[str, int] = field(default_factory=dict)  # field -> values of a wrong type

    def append(self, records: list[_Record]) -> None:
        n = len(records)
        if not n:
            return
        time_ns, time_status = self._times(records, n)
        self._add("lat", _e7(_LAT, records, n))
        self._add("lon", _e7(_LON, records, n))
        self._add("time", time_ns)
        self._add("time_status", time_status)
        self._add("accuracy", _numbers(_ACCURACY, records, np.float32, n))
        self._add("altitude", _numbers(_ALTITUDE, records, np.float32, n))
        self._add("speed", _numbers(_VELOCITY, records, np.float32, n))
        self._add("device", self._codes(self.devices, list(map(_DEVICE, records)), n))
        self._add("signal", np.fromiter(map(self.signals.__getitem__, map(_SIGNAL, records)), np.int32, n))
        self._add("activity", self._top_activities(records, n))
        self.count += n

    def extend(self, other: _Columns) -> None:
        """Append the columns of the records that follow these (another piece of the file)."""
        recode = {
            "signal": self.signals.absorb(other.signals),
            "device": self.devices.absorb(other.devices),
            "activity": self.activities.absorb(other.activities),
        }
        for name, parts in other.parts.items():
            if name in recode:
                parts = [recode[name][codes] for codes in parts]
            self.parts.setdefault(name, []).extend(parts)
        self.problems.update((index + self.count, why) for index, why in other.problems.items())
        for name, count in other.emptied.items():
            self.emptied[name] = self.emptied.get(name, 0) + count
        self.ms_count += other.ms_count
        self.count += other.count

    def take(self, name: str, dtype: type) -> np.ndarray:
        """One field for the whole file; its pieces are released as they are joined."""
        parts = self.parts.pop(name, None)
        return np.concatenate(parts) if parts else np.empty(0, dtype)

    def _add(self, name: str, values: np.ndarray) -> None:
        self.parts.setdefault(name, []).append(values)

    def _times(self, records: list[_Record], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Nanoseconds since the epoch (UTC) and a status code per record."""
        ns = np.full(n, _NAT, dtype=np.int64)
        status = np.full(n, _TIME_MISSING, dtype=np.int8)
        iso = list(map(_ISO, records))
        millis = list(map(_MS, records))
        if millis.count(None) == n:  # ISO only, the usual case: no per-row selection
            _iso_times(iso, slice(None), ns, status, self.bounds)
            return ns, status
        has_ms = np.fromiter(map(is_not, millis, repeat(None)), bool, n)
        self.ms_count += int(has_ms.sum())
        _epoch_ms_times(list(compress(millis, has_ms)), has_ms, ns, status, self.bounds)
        if not has_ms.all():
            _iso_times(list(compress(iso, ~has_ms)), ~has_ms, ns, status, self.bounds)
        return ns, status

    @staticmethod
    def _codes(vocabulary: _Vocabulary, values: list[Any], n: int) -> np.ndarray:
        """The values' codes; one lookup when they are all one value (a file from one phone)."""
        if values.count(values[0]) == n:
            return np.full(n, vocabulary[values[0]], dtype=np.int32)
        return np.fromiter(map(vocabulary.__getitem__, values), np.int32, n)

    def _top_activities(self, records: list[_Record], n: int) -> np.ndarray:
        """Per record, the code of the most confident type in its first activity reading.

        Like ``max(types, key=confidence)``: the first of equal maxima wins (Google lists
        types most confident first), and a record whose first reading lists no type has
        none. Only the records with readings are visited, by C-level ``map``; their types'
        confidences are compared in numpy, a segment per record, and only the winners'
        names are looked up: no Python code runs per record.
        """
        codes = np.full(n, self.activities[None], dtype=np.int32)
        for readings_of, types_of in _ACTIVITY_SPELLINGS:
            readings = list(map(readings_of, records))
            # None is the default and a singleton, so this count runs by identity in C: a file
            # without this spelling (most files lack one of the two) costs one pass, no more.
            if readings.count(None) == n:
                continue
            rows = np.fromiter(compress(range(n), readings), np.intp)  # an empty list is no reading
            type_lists = list(map(types_of, map(_FIRST, compress(readings, readings))))
            lengths = np.fromiter(map(len, type_lists), np.intp, len(rows))
            listed = lengths > 0
            if not listed.any():
                continue
            entries = list(chain.from_iterable(type_lists))
            confidence = np.fromiter(map(_CONFIDENCE, entries), np.float64, len(entries))
            starts = (np.cumsum(lengths) - lengths)[listed]
            best = np.maximum.reduceat(confidence, starts)
            position = np.arange(len(entries))
            candidate = np.where(confidence == np.repeat(best, lengths[listed]), position, len(entries))
            winners = np.minimum.reduceat(candidate, starts).tolist()  # numpy ints index a list slowly
            codes[rows[listed]] = np.fromiter(
                map(self.activities.__getitem__, map(_TYPE, map(entries.__getitem__, winners))),
                np.int32,
                len(winners),
            )
        return codes


def _epoch_ms_times(
    values: list[Any], rows: np.ndarray, ns: np.ndarray, status: np.ndarray, bounds: tuple[int, int]
) -> None:
    """``timestampMs`` (digit strings, or numbers) into ``ns``/``status`` at ``rows``."""
    try:
        millis = np.array(values).astype(np.int64)
        bad = np.zeros(len(values), dtype=bool)
    except (ValueError, OverflowError, TypeError):
        import pandas as pd  # only a damaged file gets here

        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(np.float64)
        bad = ~np.isfinite(numbers) | (np.abs(numbers) > 1e15)
        millis = np.where(bad, 0, np.floor(np.nan_to_num(numbers))).astype(np.int64)
    earliest, latest = bounds
    in_range = ~bad & (millis >= earliest // 1_000_000) & (millis < latest // 1_000_000)
    ns[rows] = np.where(in_range, millis * 1_000_000, _NAT)
    status[rows] = np.where(bad, _MS_BAD, np.where(in_range, _TIME_OK, _TIME_OUT_OF_RANGE))


def _iso_times(
    values: list[Any], rows: np.ndarray | slice, ns: np.ndarray, status: np.ndarray, bounds: tuple[int, int]
) -> None:
    """ISO 8601 ``timestamp`` strings (None where absent) into ``ns``/``status`` at ``rows``.

    Google's own shape (:func:`_google_iso_times`) is read with numpy: 0.08 s per million
    against pandas' ISO 8601 parser's 0.11 s, and a worker reading it never imports pandas
    (0.7 s of CPU). Whatever is not in that shape, and a list holding None, goes to pandas,
    whose verdict stands.
    """
    parsed = _google_iso_times(values, bounds)
    if parsed is None:
        ns[rows], status[rows] = _iso_times_pandas(values, bounds)
        return
    got_ns, got_status, others = parsed
    if others.size:
        got_ns[others], got_status[others] = _iso_times_pandas(list(map(values.__getitem__, others)), bounds)
    ns[rows], status[rows] = got_ns, got_status


# Google writes "2017-12-10T23:14:58Z" or "2017-12-10T23:14:58.030Z": a fixed head of 19
# characters, then "Z", or a fraction of 1-9 digits and "Z".
# Where year, month, day, hour, minute and second start, and their digits.
_HEAD_NUMBERS = ((0, 4), (5, 2), (8, 2), (11, 2), (14, 2), (17, 2))
_HEAD_PUNCTUATION = {4: "-", 7: "-", 10: "T", 13: ":", 16: ":"}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int32)
_FRACTION_PLACES = 9


def _google_iso_times(
    values: list[str], bounds: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Nanoseconds and a status per value in Google's shape, and the indices of the others.

    None if the values cannot be joined into one ASCII text (a None among them, a
    non-ASCII character, a newline inside a value): pandas then takes them all. The values
    are joined with newlines and each character position read for all values at once (a
    numpy gather from the values' starts): no Python code runs per value. A value is taken
    only if every digit, separator, the month's day count and the clock's ranges check
    out, for years 1-9999; anything else is left to pandas.
    """
    n = len(values)
    try:
        text = "\n".join(values).encode("ascii")  # TypeError: a None among them
    except (TypeError, UnicodeEncodeError):
        return None
    # Padded, so that reading a short value's missing positions stays inside the buffer.
    flat = np.frombuffer(text + b"\n" * (_FRACTION_PLACES + 21), dtype=np.uint8)
    ends = np.flatnonzero(flat[: len(text) + 1] == 10)
    if not n or len(ends) != n:
        return None  # a value holds a newline of its own
    starts = np.empty(n, dtype=np.int64)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    lengths = ends - starts

    def at(position: int | np.ndarray) -> np.ndarray:
        return flat[starts + position]

    worst = np.zeros(n, dtype=np.uint8)  # the largest "digit" seen: above 9 is not a digit

    def number(first: int, places: int) -> np.ndarray:
        value = np.zeros(n, dtype=np.int32)
        for position in range(first, first + places):
            digit = at(position) - np.uint8(48)  # below "0" wraps past 9
            np.maximum(worst, digit, out=worst)
            value *= 10
            value += digit
        return value

    year, month, day, hour, minute, second = (number(*place) for place in _HEAD_NUMBERS)
    ok = worst <= 9
    for position, character in _HEAD_PUNCTUATION.items():
        ok &= at(position) == ord(character)
    ok &= flat[ends - 1] == ord("Z")
    places = lengths - 21  # fraction digits, or -1: none
    ok &= (places == -1) | ((places >= 1) & (places <= _FRACTION_PLACES))
    ok &= at(19) == np.where(places == -1, ord("Z"), ord("."))
    fraction = np.zeros(n, dtype=np.int64)
    for place in range(int(places[ok].max(initial=0))):  # at most _FRACTION_PLACES
        digit = at(20 + place) - np.uint8(48)
        inside = place < places
        ok &= ~inside | (digit <= 9)
        fraction += np.where(inside, digit, 0).astype(np.int64) * 10 ** (_FRACTION_PLACES - 1 - place)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + (leap & (month == 2))
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour < 24) & (minute < 60) & (second < 60)
    # Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    march_year = year - (month <= 2)
    era = march_year // 400
    year_of_era = march_year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = (era * 146_097 + day_of_era - 719_468).astype(np.int64)
    seconds = days * 86_400 + (hour * 3_600 + minute * 60 + second)
    # Compared in seconds first: nanoseconds of years far from 1970 would overflow.
    earliest, latest = bounds
    near = ok & (seconds >= earliest // 1_000_000_000) & (seconds <= latest // 1_000_000_000)
    ticks = np.where(near, seconds, 0) * 1_000_000_000 + fraction
    in_range = near & (ticks >= earliest) & (ticks < latest)
    status = np.where(in_range, _TIME_OK, _TIME_OUT_OF_RANGE).astype(np.int8)
    return np.where(in_range, ticks, _NAT), status, np.flatnonzero(~ok)


def _iso_times_pandas(values: list[Any], bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Nanoseconds and a status per value (imports pandas: a worker reading timestampMs never does)."""
    import pandas as pd

    from auditor.importers import parsing

    text = np.array(values, dtype=object)
    try:
        parsed = pd.DatetimeIndex(pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce"))
    except (ValueError, OverflowError):
        parsed = pd.DatetimeIndex(parsing.iso_to_utc(pd.Series(text)))
    # Compare in the parsed unit first: a year like 9999 would overflow nanoseconds.
    ticks = parsed.asi8
    per_tick = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}[parsed.unit]
    parsed_ok = ticks != _NAT
    earliest, latest = bounds
    in_range = parsed_ok & (ticks >= earliest // per_tick) & (ticks < latest // per_tick)
    verdict = np.where(in_range, _TIME_OK, _TIME_OUT_OF_RANGE).astype(np.int8)
    if not parsed_ok.all():
        failed = np.flatnonzero(~parsed_ok)
        verdict[failed] = np.where(pd.isna(text[failed]), _TIME_MISSING, _ISO_BAD)
    return np.where(in_range, ticks * per_tick, _NAT), verdict


def _e7(getter: Callable[[Any], Any], records: list[Any], n: int) -> np.ndarray:
    """An E7 coordinate of every record, as float64 (NaN where absent).

    Taken as int64 and converted in numpy: numpy makes a float object of each Python int on
    its way into a float64 array (92 against 79 ns a record; most of the rest is the first
    pass over a piece's structs bringing them into the cache). A piece with a record lacking
    the coordinate (a NaN default) or beyond int64 is taken as floats instead, with the same
    result.
    """
    try:
        return np.fromiter(map(getter, records), np.int64, n).astype(np.float64)
    except (ValueError, OverflowError):
        return _numbers(getter, records, np.float64, n)


def _numbers(getter: Callable[[Any], Any], records: list[Any], dtype: type, n: int) -> np.ndarray:
    """One numeric field of every record; an integer beyond float range becomes infinite."""
    try:
        return np.fromiter(map(getter, records), dtype, n)
    except OverflowError:
        # Only a damaged file holds such numbers: the slow path runs for it alone, and the
        # range checks then skip the rows (coordinates off the globe) or drop the values.
        return np.fromiter((_finite_or_inf(getter(record)) for record in records), dtype, n)


def _finite_or_inf(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


# --- One piece of a large file, in a worker process or here ----------------------------------


def read_range(
    path: str, start: int, stop: int | None, separator: Separator, block_bytes: int, bounds: tuple[int, int]
) -> _Columns | None:
    """The records in the file's bytes ``start:stop``, or None if they did not read cleanly.

    ``start`` is the offset of a record's ``{``; ``stop`` is one past the ``{`` of the record
    after the piece, or None for the last piece, which runs to the array's end. Only the
    happy path is taken (see :meth:`_Reader.read_piece`): a piece with anything unusual in
    it is read again by the caller in one process, where problems get their messages.
    """
    with open(path, "rb") as handle, gc_paused():
        handle.seek(start)
        stream: IO[bytes] = handle if stop is None else _Bounded(handle, stop - start)
        reader = _Reader(stream, block_bytes, bounds)
        reader.start_at(start, separator, 0)
        clean = reader.read_piece() if stop is not None else reader.read_last_piece()
    return reader.columns if clean else None


class _Bounded(io.RawIOBase):
    """The next ``limit`` bytes of a stream, then its end."""

    def __init__(self, inner: IO[bytes], limit: int):
        self.inner = inner
        self.left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        if self.left <= 0:
            return 0
        with memoryview(buffer) as view, view[: min(len(view), self.left)] as room:
            got = self.inner.readinto(room)
        self.left -= got or 0
        return got or 0


def serve(job: tuple[Any, ...]) -> None:
    """A worker process's work: :func:`run_job` of ``job``, its result pickled to stdout."""
    from auditor import workers  # a worker starts no processes of its own

    workers.mark_worker()
    result = run_job(job)
    pickle.dump(result, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


# --- One piece of a zip member, in a worker process or here --------------------------------


@dataclass(frozen=True)
class MemberJob:
    """A piece of a Records.json that is a member of a zip archive (not nested, deflated).

    A member is inflated as a stream: it has no offsets to seek to. So a piece is defined by
    the member's bytes alone and every process finds its edges itself: a piece starts at
    the ``{`` after the first record separator at or beyond ``cut_from`` (uncompressed
    offset) and ends at the ``{`` after the first separator at or beyond ``cut_to`` (None:
    the array's end). The process that reads the piece before it ends there by the same
    rule, in the same bytes (:class:`_CutAfter`), so the pieces meet without a word between
    them. ``declared`` is the member's ZipInfo as the calling process checked it against
    the archive-bomb limits of ``auditor.sources`` (size, ratio); a member that reads
    otherwise here is not read (None), and never more than its declared size is inflated.
    """

    archive: str
    member: str
    declared: tuple[int, ...]
    cut_from: int
    cut_to: int | None
    separator: Separator
    search_bytes: int
    block_bytes: int
    bounds: tuple[int, int]

    def run(self) -> tuple[int, int | None, _Columns] | None:
        """(start, stop, columns) of the piece, or None if it did not read cleanly.

        ``start`` is the offset of the piece's first ``{``; ``stop`` that of the next piece's
        first ``{`` (None for the last piece).
        """
        try:
            return self._read()
        except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):
            # A damaged archive (a bad CRC at the end, say): the calling process reads on
            # alone and meets the problem itself, with the message one process gives.
            return None

    def _read(self) -> tuple[int, int | None, _Columns] | None:
        with zipfile.ZipFile(self.archive) as archive:
            info = archive.getinfo(self.member)
            if declared(info) != self.declared or not splittable(info):
                return None
            with archive.open(info) as member, gc_paused():
                if _skip(member, self.cut_from) < self.cut_from:
                    return None
                finding = _CutAfter(member, self.cut_from, self.cut_from, self.separator, self.search_bytes)
                start = finding.find_cut()
                if start is None or (self.cut_to is not None and start >= self.cut_to):
                    return None
                stream: IO[bytes] = finding.rest()  # type: ignore[assignment]
                cutting: _CutAfter | None = None
                if self.cut_to is not None:
                    cutting = _CutAfter(stream, start, self.cut_to, self.separator, self.search_bytes)
                    stream = cutting  # type: ignore[assignment]
                reader = _Reader(stream, self.block_bytes, self.bounds)
                reader.start_at(start, self.separator, 0)
                clean = reader.read_piece() if cutting is not None else reader.read_last_piece()
        if not clean or (cutting is not None and cutting.cut is None):
            return None
        return start, (cutting.cut if cutting is not None else None), reader.columns


def declared(info: zipfile.ZipInfo) -> tuple[int, ...]:
    """What a worker checks that it reads the very member the caller checked."""
    return (
        info.header_offset,
        info.compress_type,
        info.flag_bits,
        info.compress_size,
        info.file_size,
        info.CRC,
    )


def splittable(info: zipfile.ZipInfo) -> bool:
    """Deflated and not encrypted: the usual Takeout member (anything else: one process)."""
    return info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 0x1


def _skip(stream: IO[bytes], count: int) -> int:
    """Inflate and throw away the next ``count`` bytes; how many there were."""
    skipped = 0
    while skipped < count:
        chunk = stream.read(min(count - skipped, 4 * 1024 * 1024))
        if not chunk:
            break
        skipped += len(chunk)
    return skipped


class _CutAfter(io.RawIOBase):
    """``inner`` (whose next byte is at member offset ``position``), ending just after the
    ``{`` that follows the first record separator at or beyond offset ``cut_from``.

    The separator is looked for in the ``search_bytes`` from ``cut_from`` on, as
    :func:`google_records._piece_starts` does in a plain file; if it is not there, the stream
    ends at that window's end and ``cut`` stays None (the reader then finds the piece not
    clean, and the caller reads on in one process).
    """

    def __init__(
        self, inner: IO[bytes], position: int, cut_from: int, separator: Separator, search_bytes: int
    ):
        self.inner = inner
        self.position = position
        self.cut_from = cut_from
        self.text, _, self.open_at = separator
        self.search_bytes = search_bytes
        self.pending = memoryview(b"")  # bytes of the window not yet handed on
        self.limit: int | None = None  # the offset where this stream ends, once known
        self.cut: int | None = None  # the offset of the next piece's first "{"

    def readable(self) -> bool:
        return True

    def find_cut(self) -> int | None:
        """Read the window at ``cut_from`` (the stream must be there) and find the cut in it."""
        assert self.position == self.cut_from
        window = bytearray()
        while len(window) < self.search_bytes:
            chunk = self.inner.read(self.search_bytes - len(window))
            if not chunk:
                break
            window += chunk
        found = window.find(self.text)
        self.pending = memoryview(bytes(window))
        if found < 0:
            self.limit = self.cut_from + len(window)
            return None
        self.cut = self.cut_from + found + self.open_at
        self.limit = self.cut + 1
        return self.cut

    def rest(self) -> _Prepended:
        """The member from the cut on (after :meth:`find_cut` found one)."""
        assert self.cut is not None
        return _Prepended(self.pending[self.cut - self.cut_from :], self.inner)

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        with memoryview(buffer) as view:
            if self.limit is None:
                if self.position < self.cut_from:
                    with view[: min(len(view), self.cut_from - self.position)] as room:
                        got = self.inner.readinto(room) or 0  # type: ignore[attr-defined]
                    self.position += got
                    return got
                self.find_cut()
            assert self.limit is not None
            want = min(len(view), self.limit - self.position)
            if want <= 0:
                return 0
            if len(self.pending):
                got = min(want, len(self.pending))
                view[:got] = self.pending[:got]
                self.pending = self.pending[got:]
            else:
                with view[:want] as room:
                    got = self.inner.readinto(room) or 0  # type: ignore[attr-defined]
            self.position += got
            return got


class _Prepended(io.RawIOBase):
    """``head``, then the rest of ``inner``."""

    def __init__(self, head: memoryview, inner: IO[bytes]):
        self.head = head
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        if len(self.head):
            got = min(len(buffer), len(self.head))
            with memoryview(buffer) as view:
                view[:got] = self.head[:got]
            self.head = self.head[got:]
            return got
        return self.inner.readinto(buffer) or 0  # type: ignore[attr-defined]


def run_job(job: tuple[Any, ...] | MemberJob) -> Any:
    """A worker's job, run here or there: a :class:`MemberJob`, or :func:`read_range`'s arguments."""
    return job.run() if isinstance(job, MemberJob) else read_range(*job)
