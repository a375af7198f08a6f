"""GPX 1.0 and 1.1 track logs: the exchange format of GPS apps, watches and trackers.

Source: formats.md §2 ("GPX 1.1", "Arc App", "Garmin"), the dawarich and geopulse GPX
fixtures (Arc App, GPSLogger with Garmin extensions, Garmin Connect, OsmAnd).

Layout: ``<gpx version="1.1" creator="..." xmlns="http://www.topografix.com/GPX/1/1">``
with ``<wpt lat lon>`` waypoints, ``<rte><rtept>`` routes and
``<trk><name/><type/><trkseg><trkpt lat lon><ele/><time/></trkpt>...`` tracks.

What becomes what:

* ``trkpt`` -> points (lat, lon, ``ele`` -> altitude, ``time``; ``speed`` where a GPX 1.0
  file or a writer puts it directly in the point).
* ``rtept`` -> points only when it has a time: a route without times is a plan, not
  where the person was; those are counted as skipped with that reason.
* ``wpt`` with a ``name`` and a ``time`` -> visits: the Arc App (iOS) writes each visit
  so. The time is the arrival; GPX has no departure, so ``end`` stays empty. A named
  waypoint without a time is a saved place and is counted as skipped; an unnamed one
  with a time is a fix like any other.
* ``<trk><type>`` (Arc App: walking, car, taxi...) -> the activity of that track's
  points, upper snake case: ``TAXI`` marks ride-hail use.
* Points without a time cannot be placed in time and are counted as skipped.
* ``<extensions>`` (Garmin TrackPointExtension, OsmAnd...) are ignored, as is anything
  in another XML namespace than the file's GPX one.
* Times are ISO-8601, in UTC (``Z``) or with the writer's offset (Arc App writes
  ``+07:00``); an explicit offset is kept per point.
* Record numbers are the line numbers where each point's element starts.

Reading is streamed with the standard library's expat parser and event handlers, so
that a 200 MB GPX needs memory for the columns only, never a document tree (gpxpy
builds one, and through lxml when installed). Entity declarations and external
entities are refused outright, as defusedxml does: GPX never needs them and they are
how XML entity-expansion attacks work.
"""

from __future__ import annotations

import re
from collections import Counter
from xml.parsers import expat

import numpy as np
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.tracker_common import (
    non_negative,
    offsets_where_stated,
    points_frame,
    present,
    usable_fixes,
)

ID = "gpx"
SOURCE = "gpx"
READ_BYTES = 1024 * 1024
BATCH_ROWS = 100_000  # points buffered as text before they are typed
PLANNED_ROUTE = "route point without a time: a planned route, not where the person was"
SAVED_PLACE = "named waypoint without a time: a saved place, not a visit"

_GPX_ROOT = re.compile(r"<(?:[\w.-]+:)?gpx[\s>/]")
_POINT_ELEMENTS = ("trkpt", "rtept", "wpt")
_POINT_FIELDS = frozenset({"ele", "time", "name", "speed"})
_CONTAINERS = frozenset({"trk", "rte"})
_TEXT_COLUMNS = ("element", "line", "lat", "lon", "ele", "time", "name", "speed", "container")
NO_CONTAINER = -1


class _Refused(Exception):
    """The file is not read at all; the message says why."""


class _GpxReader:
    """Expat handlers that collect one column entry per point, without keeping a tree.

    Text is buffered for at most ``batch_rows`` points, then turned into typed columns
    (floats, UTC times), so that memory grows by tens of bytes per point, not hundreds.
    """

    def __init__(self, batch_rows: int) -> None:
        self.batch_rows = batch_rows
        self.parts: list[pd.DataFrame] = []
        self.container_types: list[str | None] = []  # a track's or route's <type>, by its number
        self.version: str | None = None
        self.creator: str | None = None
        self.root_seen = False
        self.points_read = 0
        self._buffer: dict[str, list[object]] = {name: [] for name in _TEXT_COLUMNS}
        self._namespace = ""
        self._depth = 0
        self._point_depth: int | None = None
        self._container_depth: int | None = None
        self._field: str | None = None
        self._field_depth = 0
        self._text: list[str] = []
        self._local_names: dict[str, str | None] = {}
        self.parser = self._new_parser()

    def _new_parser(self) -> expat.XMLParserType:
        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        return parser

    def feed(self, data: bytes, final: bool = False) -> None:
        self.parser.Parse(data, final)
        if len(self._buffer["line"]) >= self.batch_rows:
            self._flush()

    def finish(self) -> pd.DataFrame:
        """Every point read, as typed columns (see :func:`_typed`)."""
        self._flush(keep_open_point=False)
        if not self.parts:
            return _typed({name: [] for name in _TEXT_COLUMNS})
        return pd.concat(self.parts, ignore_index=True) if len(self.parts) > 1 else self.parts[0]

    def _flush(self, keep_open_point: bool = True) -> None:
        # A point still open gets more fields from the next bytes: it stays in the buffer.
        keep = 1 if keep_open_point and self._point_depth is not None else 0
        done = len(self._buffer["line"]) - keep
        if done <= 0:
            return
        self.parts.append(_typed({name: values[:done] for name, values in self._buffer.items()}))
        self._buffer = {name: values[done:] for name, values in self._buffer.items()}

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._depth += 1
        if not self.root_seen:
            self._open_root(name, attributes)
            return
        local = self._local_names.get(name, "")
        if local == "":
            local = self._local_names[name] = self._gpx_local_name(name)
        if local is None:
            return  # extensions and other vocabularies
        if self._point_depth is not None:
            if self._depth == self._point_depth + 1 and local in _POINT_FIELDS:
                self._capture(local)
            return
        if local in _POINT_ELEMENTS:
            self._open_point(local, attributes)
        elif local in _CONTAINERS:
            self._container_depth = self._depth
            self.container_types.append(None)
        elif local == "type" and self._container_depth == self._depth - 1:
            self._capture("type")

    def _open_root(self, name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition(" ")
        if local != "gpx":
            raise _Refused(f"not GPX: the XML's root element is <{local}>, expected <gpx>")
        self.root_seen = True
        self._namespace = namespace
        self.version = attributes.get("version")
        self.creator = attributes.get("creator")

    def _gpx_local_name(self, name: str) -> str | None:
        """The element's local name when it is in the file's GPX namespace, else None."""
        namespace, _, local = name.rpartition(" ")
        return local if namespace == self._namespace else None

    def _open_point(self, element: str, attributes: dict[str, str]) -> None:
        buffer = self._buffer
        buffer["element"].append(element)
        buffer["line"].append(self.parser.CurrentLineNumber)
        buffer["lat"].append(attributes.get("lat"))
        buffer["lon"].append(attributes.get("lon"))
        for name in ("ele", "time", "name", "speed"):
            buffer[name].append(None)
        # Tracks and routes are numbered as they open; their <type> may come at any point.
        inside = self._container_depth is not None
        buffer["container"].append(len(self.container_types) - 1 if inside else NO_CONTAINER)
        self._point_depth = self._depth
        self.points_read += 1

    def _capture(self, field: str) -> None:
        self._field = field
        self._field_depth = self._depth
        self._text = []
        # Text is collected only inside a field: the whitespace between elements of a
        # large file would otherwise cost one Python call per indentation run.
        self.parser.CharacterDataHandler = self._text.append

    def _end(self, name: str) -> None:
        if self._field is not None and self._depth == self._field_depth:
            self.parser.CharacterDataHandler = None
            text = "".join(self._text).strip()
            if self._field == "type":
                self.container_types[-1] = text or None
            else:
                self._buffer[self._field][-1] = text
            self._field = None
        elif self._depth == self._point_depth:
            self._point_depth = None
        elif self._depth == self._container_depth:
            self._container_depth = None
        self._depth -= 1

    def _refuse_entity(self, *_: object) -> None:
        raise _Refused(
            "the XML declares entities (<!ENTITY>), which GPX never needs and which can be used "
            "to exhaust memory; the file was not read"
        )

    def _refuse_external(self, *_: object) -> int:
        raise _Refused("the XML refers to external entities, which GPX never needs; the file was not read")


def _typed(buffer: dict[str, list[object]]) -> pd.DataFrame:
    """Buffered point text as typed columns; ``time_written`` tells a missing time from a bad one."""
    time_text = pd.Series(buffer["time"], dtype="object")
    return pd.DataFrame(
        {
            "element": pd.Categorical(buffer["element"], categories=_POINT_ELEMENTS),
            "line": np.asarray(buffer["line"], dtype="int64"),
            "lat": parsing.to_float(buffer["lat"]),
            "lon": parsing.to_float(buffer["lon"]),
            "altitude_m": parsing.to_float(buffer["ele"]),
            "speed_mps": non_negative(parsing.to_float(buffer["speed"])),
            "time_written": present(time_text),
            "time": parsing.iso_to_utc(time_text),
            "utc_offset_min": offsets_where_stated(time_text),
            "name": pd.Series(buffer["name"], dtype="object"),
            "container": np.asarray(buffer["container"], dtype="int64"),
        }
    )


def sniff(head: Head) -> float:
    """0.95 for XML whose root is ``<gpx ...>``."""
    text = head.text.lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return 0.0
    return 0.95 if _GPX_ROOT.search(text) else 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Stream the GPX; track and timed route points become points, named timed waypoints visits."""
    reader = _read(ref, report)
    table = reader.finish()
    report.detail = f"GPX {reader.version or '(no version)'}" + (
        f" by {reader.creator}" if reader.creator else ""
    )
    report.timezone = (
        "UTC (Z) or the writer's offset, kept per point where written; else local time from --timezone"
    )
    records = table["line"].to_numpy()
    has_time = table["time_written"].to_numpy(dtype=bool)
    named_waypoint = ((table["element"] == "wpt") & present(table["name"])).to_numpy(dtype=bool)
    planned = (table["element"] == "rtept").to_numpy(dtype=bool) & ~has_time
    report.skip_many(records[planned], PLANNED_ROUTE)
    report.skip_many(records[named_waypoint & ~has_time], SAVED_PLACE)
    # Spelled once per track, then spread to its points; NO_CONTAINER (-1) picks the None.
    types = parsing.upper_snake(pd.Series([*reader.container_types, None], dtype="object"))
    table["activity"] = pd.Series(types.to_numpy(dtype=object)[table["container"].to_numpy()], dtype="object")
    points = _points(table, ~named_waypoint & ~planned, ref, report)
    visits = _visits(table, named_waypoint & has_time, ref, report)
    _note_modes(points, report)
    return {"points": points, "visits": visits}


def _read(ref: FileRef, report: ImportReport) -> _GpxReader:
    reader = _GpxReader(BATCH_ROWS)
    try:
        with ref.open() as handle:
            chunk = handle.read(READ_BYTES)
            if not chunk.strip():
                raise BadInput("the file is empty; expected GPX XML")
            while chunk:
                reader.feed(chunk)
                chunk = handle.read(READ_BYTES)
            reader.feed(b"", final=True)
    except _Refused as refused:
        raise BadInput(str(refused)) from None
    except LookupError as error:
        # expat looks up the encoding the XML declaration names, and fails on a made-up one.
        raise BadInput(f"the XML declaration names an encoding Python does not know ({error}); "
                       "expected UTF-8 or another standard encoding") from None  # fmt: skip
    except expat.ExpatError as error:
        where = f"line {error.lineno}, column {error.offset + 1}"
        problem = expat.ErrorString(error.code)
        if not reader.root_seen:
            raise BadInput(f"not GPX: the file is not XML ({problem} at {where})") from None
        if reader.points_read == 0:
            raise BadInput(
                f"the GPX is broken at {where} ({problem}) before any point", record=error.lineno
            ) from None
        # A GPX cut short (a copy interrupted, a logger that died) still holds every point
        # written before the break: keep them, and say that the rest is missing.
        report.error = (
            f"the GPX is broken at {where} ({problem}); "
            f"the {reader.points_read:,} points and waypoints before it were read"
        )
    return reader


def _usable(rows: np.ndarray, table: pd.DataFrame, report: ImportReport) -> np.ndarray:
    """Positions of the ``rows`` with a plausible time and place; the others are counted."""
    candidates = np.flatnonzero(rows)
    chosen = table.iloc[candidates]
    usable = usable_fixes(
        report,
        chosen["line"].to_numpy(),
        time_written=chosen["time_written"],
        time=chosen["time"],
        lat=chosen["lat"],
        lon=chosen["lon"],
    )
    return candidates[usable]


def _points(table: pd.DataFrame, rows: np.ndarray, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    keep = np.zeros(len(table), dtype=bool)
    keep[_usable(rows, table, report)] = True
    names = ("time", "utc_offset_min", "lat", "lon", "altitude_m", "speed_mps", "activity")
    data = {name: table[name] for name in names}
    return points_frame(data, keep, ref=ref, importer=ID, source=SOURCE, records=table["line"].to_numpy())


def _visits(table: pd.DataFrame, rows: np.ndarray, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    chosen = table.iloc[_usable(rows, table, report)].reset_index(drop=True)
    data = {name: chosen[name] for name in ("utc_offset_min", "lat", "lon", "name")}
    if len(chosen):
        report.notes.append(
            f"{len(chosen)} named waypoints read as visits (arrival time only: GPX gives no departure)"
        )
    return frame(
        "visits",
        {"start": chosen["time"], **data},
        ref=ref,
        importer=ID,
        source=SOURCE,
        records=chosen["line"].to_numpy(),
    )


def _note_modes(points: pd.DataFrame, report: ImportReport) -> None:
    modes = Counter(points["activity"].dropna().astype(str))
    if modes:
        listed = ", ".join(f"{mode} {count}" for mode, count in sorted(modes.items()))
        report.notes.append(f"points by track type: {listed}")


IMPORTERS = (
    Importer(id=ID, title="GPX track log (1.0, 1.1)", kinds=("points", "visits"), sniff=sniff, load=load),
)
