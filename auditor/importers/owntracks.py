"""OwnTracks: the Recorder's monthly ``.rec`` files and JSON arrays of OwnTracks messages.

Source: formats.md §2 ("OwnTracks Recorder .rec"), the dawarich fixtures
``owntracks/2024-03.rec`` and ``2023-02_old.rec``, geopulse's ``owntracks-sample.json``,
and the Recorder's own documentation (store layout, API).

``.rec`` layout: one message per line, ``<ISO-8601 Z receive time>\\t<relative topic,
padded>\\t<JSON payload>``, e.g. ``2024-03-01T09:03:09Z\\t*                 \\t{"_type":
"location","lat":52.225,"lon":13.332,"tst":1709283789,"acc":10,"alt":36,"vel":5,
"tid":"RO","topic":"owntracks/test/iPhone 12 Pro",...}``.

Variants and quirks:

* Older Recorder files separate the three fields with spaces instead of tabs; the
  payload is found as the line's first ``{`` either way.
* The relative topic is ``*`` for locations, ``event`` for region transitions, ``lwt``,
  ``waypoints`` and others for the rest.
* ``tst`` is the fix time in epoch seconds (UTC); the line's leading ISO time is when the
  Recorder received it, and is not used. ``vel`` is km/h (converted to m/s); ``acc`` and
  ``alt`` are metres. ``tid`` (tracker id) becomes the device, else the MQTT ``topic``.
  ``conn``, ``SSID``/``BSSID``, battery and ``inregions`` are not read.
* JSON exports: a top-level array of messages (geopulse writes ``"type"`` instead of
  ``"_type"``), or the Recorder API's ``{"count": n, "data": [...]}``.

Region transitions (``_type: transition``, ``event: enter|leave``, ``desc``: the region
name, ``lat``/``lon`` where the phone was): a transition is an event, not a stay. An
``enter`` followed by a ``leave`` of the same region from the same device becomes one
visit (start = enter, end = leave, place = where the phone was when it entered, name =
the region). A transition without its partner in the same file cannot say how long the
person stayed, so it is counted as skipped with that reason rather than guessed.
Other message types (lwt, waypoint, card, status...) are not fixes: they are counted in a
note. Encrypted payloads cannot be read without the key and are counted as skipped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import msgspec
import numpy as np
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame, strip_bom
from auditor.importers.tracker_common import (
    column,
    decode_records,
    non_negative,
    points_frame,
    present,
    usable_fixes,
)

ID = "owntracks"
SOURCE = "owntracks"
CHUNK_BYTES = 8 * 1024 * 1024
KMH_TO_MPS = 1 / 3.6

NOT_A_RECORDER_LINE = "not a Recorder line (time, topic and a JSON payload expected)"
BROKEN_PAYLOAD = "the JSON payload is broken or truncated"
ENCRYPTED = "an encrypted payload: it cannot be read without the key"
LEAVE_WITHOUT_ENTER = "region 'leave' without an earlier 'enter' in this file: a visit needs both"
ENTER_WITHOUT_LEAVE = "region 'enter' without a later 'leave' in this file: a visit needs both"
UNKNOWN_EVENT = "region transition that is neither 'enter' nor 'leave'"
TRANSITION_WITHOUT_PLACE = "region visit without a readable time, region name or position"

_REC_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\s+\S+\s+\{")


class _Message(msgspec.Struct, rename={"message_type": "_type", "plain_type": "type"}):
    """The fields read from any OwnTracks message; the rest of each payload is ignored."""

    message_type: str | None = None
    plain_type: str | None = None
    lat: float | str | None = None
    lon: float | str | None = None
    tst: float | str | None = None
    acc: float | str | None = None
    alt: float | str | None = None
    vel: float | str | None = None
    tid: str | None = None
    topic: str | None = None
    event: str | None = None
    desc: str | None = None


class _ApiResponse(msgspec.Struct):
    data: list[_Message]


_DECODER = msgspec.json.Decoder(_Message)


def sniff(head: Head) -> float:
    """0.95 for a ``.rec`` line; 0.9 for a JSON array of location messages (``tst``, ``lat``)."""
    if _REC_LINE.match(head.text.lstrip("\r\n")):
        return 0.95
    compact = head.compact[:4096]
    if not compact.startswith(("[{", '{"count":', '{"data":[{')):
        return 0.0
    if '"tst":' not in compact or '"lat":' not in compact or '"lon":' not in compact:
        return 0.0
    if '"_type":"location"' in compact or '"type":"location"' in compact:
        return 0.9
    return 0.6


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read location messages as points and paired region transitions as visits."""
    head = strip_bom(ref.read_head(4096)).lstrip()
    if not head:
        raise BadInput("the file is empty; expected OwnTracks messages")
    collected = _Collected()
    batches = _json_messages(ref, report) if head[:1] in (b"[", b"{") else _rec_messages(ref, report)
    for messages, records in batches:
        collected.add(messages, records, report)
    # Messages decoded plus lines that could not be: encrypted ones are both, counted once.
    report.rows_read = collected.messages + report.skipped_total - collected.encrypted
    _note_other_messages(collected.others, report)
    points = _points(collected.location_table(), ref, report)
    visits = _visits(
        collected.transitions, np.asarray(collected.transition_records, dtype="int64"), ref, report
    )
    report.timezone = "UTC in the file (tst, epoch seconds); local time comes from --timezone"
    return {"points": points, "visits": visits}


class _Collected:
    """What the batches of messages add up to; fixes are typed per batch, not kept as messages."""

    def __init__(self) -> None:
        self.messages = 0
        self.encrypted = 0
        self.location_parts: list[pd.DataFrame] = []
        self.transitions: list[_Message] = []
        self.transition_records: list[int] = []
        self.others: Counter[str] = Counter()

    def add(self, messages: list[_Message], records: np.ndarray, report: ImportReport) -> None:
        self.messages += len(messages)
        kinds = np.array([_kind_of(message) for message in messages], dtype=object)
        encrypted = kinds == "encrypted"
        self.encrypted += int(encrypted.sum())
        report.skip_many(records[encrypted], ENCRYPTED)
        self.others.update(str(kind) for kind in kinds if kind not in ("location", "transition", "encrypted"))
        is_location = kinds == "location"
        fixes = [message for message, ok in zip(messages, is_location) if ok]
        self.location_parts.append(_location_table(fixes, records[is_location]))
        is_transition = kinds == "transition"
        self.transitions.extend(message for message, ok in zip(messages, is_transition) if ok)
        self.transition_records.extend(int(record) for record in records[is_transition])

    def location_table(self) -> pd.DataFrame:
        if not self.location_parts:
            return _location_table([], np.zeros(0, dtype="int64"))
        return pd.concat(self.location_parts, ignore_index=True)


# --- Reading messages ---------------------------------------------------------------------


def _json_messages(ref: FileRef, report: ImportReport) -> Iterator[tuple[list[_Message], np.ndarray]]:
    data = ref.read_bytes()
    if strip_bom(data).lstrip()[:1] == b"[":
        report.detail = "OwnTracks JSON array of messages"
        yield decode_records(ref, data, _Message, report)
    else:
        report.detail = "OwnTracks Recorder API JSON (data list)"
        yield decode_records(ref, data, _Message, report, container=_ApiResponse, key="data")


def _rec_messages(ref: FileRef, report: ImportReport) -> Iterator[tuple[list[_Message], np.ndarray]]:
    """The payloads of a ``.rec`` file, decoded batch by batch; record numbers are line numbers."""
    tabs = payload_lines = decoded_lines = 0
    for lines, first_line in _line_batches(ref):
        starts = [line.find(b"{") for line in lines]
        numbers = np.arange(first_line, first_line + len(lines), dtype="int64")
        has_payload = np.array([start >= 0 for start in starts], dtype=bool)
        blank = np.array([not line.strip() for line in lines], dtype=bool)
        report.skip_many(numbers[~has_payload & ~blank], NOT_A_RECORDER_LINE)
        payloads = [line[start:].rstrip() for line, start in zip(lines, starts) if start >= 0]
        payload_lines += len(payloads)
        tabs += sum(1 for line in lines[:50] if b"\t" in line)
        decoded, ok = _decode_payloads(payloads)
        report.skip_many(numbers[has_payload][~ok], BROKEN_PAYLOAD)
        decoded_lines += len(decoded)
        yield decoded, numbers[has_payload][ok]
    if not payload_lines:
        raise BadInput("no OwnTracks Recorder lines found (time, topic and a JSON payload expected)")
    if not decoded_lines:
        raise BadInput(f"none of the {payload_lines:,} JSON payloads could be read (broken or truncated)")
    report.detail = "OwnTracks Recorder .rec" + ("" if tabs else " (older, space-separated)")


def _line_batches(ref: FileRef) -> Iterator[tuple[list[bytes], int]]:
    """The file's lines in batches of about CHUNK_BYTES, with the number of each batch's first line."""
    first_line = 1
    with ref.open() as handle:
        while True:
            lines = handle.readlines(CHUNK_BYTES)
            if not lines:
                return
            if first_line == 1:
                lines[0] = strip_bom(lines[0])
            yield lines, first_line
            first_line += len(lines)


def _decode_payloads(payloads: list[bytes]) -> tuple[list[_Message], np.ndarray]:
    """Decode many one-line JSON payloads at once; only a batch with a broken one goes line by line.

    JSON Lines decoding keeps each payload apart, so a broken line cannot merge with
    its neighbours and shift the rest.
    """
    if not payloads:
        return [], np.zeros(0, dtype=bool)
    try:
        decoded = _DECODER.decode_lines(b"\n".join(payloads))
        if len(decoded) == len(payloads):
            return decoded, np.ones(len(payloads), dtype=bool)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
        pass  # some payload is broken (or not UTF-8): find which, one by one
    good: list[_Message] = []
    ok = np.zeros(len(payloads), dtype=bool)
    for index, payload in enumerate(payloads):
        try:
            good.append(_DECODER.decode(payload))
            ok[index] = True
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
            continue  # counted by the caller from ``ok``
    return good, ok


def _kind_of(message: _Message) -> str | None:
    kind = message.message_type or message.plain_type
    if kind is None and message.lat is not None and message.tst is not None:
        return "location"  # some exports drop the type of plain fixes
    return kind


def _note_other_messages(others: Counter[str], report: ImportReport) -> None:
    if others:
        listed = ", ".join(f"{kind} {count}" for kind, count in sorted(others.items()))
        report.notes.append(
            f"{sum(others.values())} messages are not location fixes and were not read: {listed}"
        )


# --- Frames -------------------------------------------------------------------------------


def _device(messages: list[_Message]) -> pd.Series:
    tid = column(messages, "tid")
    topic = column(messages, "topic").astype("string").str.removesuffix("/event")
    return parsing.first_present(tid.where(present(tid)), topic.where(present(topic)).astype(object))


def _location_table(messages: list[_Message], records: np.ndarray) -> pd.DataFrame:
    """Location messages as typed columns (the messages themselves are then let go)."""
    raw_time = column(messages, "tst")
    return pd.DataFrame(
        {
            "record": np.asarray(records, dtype="int64"),
            "time_written": present(raw_time).to_numpy(dtype=bool),
            "time": parsing.epoch_to_utc(raw_time, "s"),
            "lat": parsing.to_float(column(messages, "lat")),
            "lon": parsing.to_float(column(messages, "lon")),
            "accuracy_m": non_negative(parsing.to_float(column(messages, "acc"))),
            "altitude_m": parsing.to_float(column(messages, "alt")),
            "speed_mps": non_negative(parsing.to_float(column(messages, "vel"))) * KMH_TO_MPS,
            "device": _device(messages).astype("string"),
        }
    )


def _points(table: pd.DataFrame, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    records = table["record"].to_numpy()
    keep = usable_fixes(
        report,
        records,
        time_written=table["time_written"],
        time=table["time"],
        lat=table["lat"],
        lon=table["lon"],
    )
    names = ("time", "lat", "lon", "accuracy_m", "altitude_m", "speed_mps", "device")
    return points_frame(
        {name: table[name] for name in names}, keep, ref=ref, importer=ID, source=SOURCE, records=records
    )


def _visits(
    messages: list[_Message], records: np.ndarray, ref: FileRef, report: ImportReport
) -> pd.DataFrame:
    """Pair each region 'enter' with the next 'leave' of the same region and device."""
    devices = _device(messages).tolist() if messages else []
    times = parsing.epoch_to_utc(column(messages, "tst"), "s")
    order = np.argsort(times.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT")), kind="stable")
    open_enters: dict[tuple[object, str], int] = {}
    pairs: list[tuple[int, int]] = []
    for index in order:
        message = messages[index]
        key = (devices[index], (message.desc or "").casefold())
        if message.event == "enter":
            if key in open_enters:
                report.skip(records[open_enters[key]], ENTER_WITHOUT_LEAVE)
            open_enters[key] = int(index)
        elif message.event == "leave":
            entered = open_enters.pop(key, None)
            if entered is None:
                report.skip(records[index], LEAVE_WITHOUT_ENTER)
            else:
                pairs.append((entered, int(index)))
        else:
            report.skip(records[index], UNKNOWN_EVENT)
    for index in open_enters.values():
        report.skip(records[index], ENTER_WITHOUT_LEAVE)
    return _visit_frame(messages, records, pairs, times, ref, report)


def _visit_frame(
    messages: list[_Message],
    records: np.ndarray,
    pairs: list[tuple[int, int]],
    times: pd.Series,
    ref: FileRef,
    report: ImportReport,
) -> pd.DataFrame:
    enters = [enter for enter, _ in sorted(pairs)]
    leaves = [leave for _, leave in sorted(pairs)]
    lat_all = parsing.to_float(column(messages, "lat"))
    lon_all = parsing.to_float(column(messages, "lon"))
    start = times.iloc[enters].reset_index(drop=True)
    end = times.iloc[leaves].reset_index(drop=True)
    lat = parsing.first_present(
        lat_all.iloc[enters].reset_index(drop=True), lat_all.iloc[leaves].reset_index(drop=True)
    )
    lon = parsing.first_present(
        lon_all.iloc[enters].reset_index(drop=True), lon_all.iloc[leaves].reset_index(drop=True)
    )
    name = pd.Series([messages[i].desc for i in enters], dtype="object")
    pair_records = records[enters] if enters else np.zeros(0, dtype="int64")
    usable = (
        start.notna() & end.notna() & present(name) & parsing.valid_coordinates(lat, lon) & (end >= start)
    ).to_numpy(dtype=bool)
    report.skip_many(pair_records[~usable], TRANSITION_WITHOUT_PLACE)
    data = {"start": start, "end": end, "lat": lat, "lon": lon, "name": name}
    kept = {key: values[usable].reset_index(drop=True) for key, values in data.items()}
    return frame("visits", kept, ref=ref, importer=ID, source=SOURCE, records=pair_records[usable])


IMPORTERS = (
    Importer(
        id=ID,
        title="OwnTracks (Recorder .rec, JSON export)",
        kinds=("points", "visits"),
        sniff=sniff,
        load=load,
    ),
)
