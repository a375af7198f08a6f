"""Google Takeout Semantic Location History: the month files behind the old Timeline.

Where it is (research/formats.md §1.1): ``Location History/Semantic Location History/YYYY/
YYYY_MONTH.json`` inside Takeout (``Location History (Timeline)`` in 2023-2024, a localised
parent folder such as ``Standortverlauf`` in older exports). The month names stay English and
upper-case even in German exports, but files are recognised by content, never by name.

The shape (formats.md §1.3)::

    {"timelineObjects": [ {"placeVisit": {...}} | {"activitySegment": {...}} , ...]}

* ``placeVisit`` becomes a **visit**: ``duration`` gives the times, ``location`` the place
  (``latitudeE7``/``longitudeE7``, ``name``, ``address`` which may hold ``\\n``, ``placeId``,
  ``semanticType``). Where ``location`` has no coordinates the visit's ``centerLatE7``/
  ``centerLngE7`` are used, and failing that the first of ``otherCandidateLocations`` (name,
  address and id then come from that candidate too; a note says how many). ``semanticType``
  loses its ``TYPE_`` prefix (``TYPE_HOME`` -> ``HOME``). ``confidence`` is ``visitConfidence``
  / 100, else ``placeConfidence`` read as LOW 0.25, MEDIUM 0.5, HIGH 0.75, USER_CONFIRMED 1.0
  (our reading of Google's words, not a number Google gives).
* ``childVisits`` (a shop inside a mall, nested ``placeVisit`` objects) are loaded as visits
  of their own, with the record number of their parent: a rule looking for "visited a casino"
  needs them. They overlap their parent in time and the visits table has no column to flag
  them, so the report's notes say how many there are.
* ``activitySegment`` becomes an **activity**: start/end coordinates from ``startLocation``/
  ``endLocation`` (else the first/last ``waypointPath`` waypoint, with a note), ``distance``
  (else ``waypointPath.distanceMeters`` or ``transitPath.distanceMeters``), ``mode`` from
  ``activityType``, else the first of ``activities[]`` when its probability is above 0, else
  ``waypointPath.travelMode`` (WALK, DRIVE, BICYCLE read as WALKING, IN_VEHICLE, CYCLING: old
  backfilled segments carry only that), each fallback counted in the notes; ``confidence``
  LOW 0.25, MEDIUM 0.5, HIGH 0.75 (UNKNOWN_CONFIDENCE stays missing). A segment with neither
  a location nor a mode says nothing and is skipped; one with a start only keeps a missing end.
* **Points** are emitted only where the file gives a time: the start and end location of a
  segment (at the segment's start and end), ``simplifiedRawPath.points`` (own ``timestamp``
  and ``accuracyMeters``) of segments and visits, and ``parkingEvent``. Points from a segment
  carry its mode as ``activity``. ``waypointPath.waypoints`` and ``transitPath`` stops have no
  times of their own; they are counted in the notes and never given invented times.

Timestamps: ``startTimestamp``/``endTimestamp`` in ISO 8601 with ``Z`` (newer files) or
``startTimestampMs``/``endTimestampMs`` as epoch-millisecond strings (older, up to ~2021).
dawarich's tests also put epoch seconds or milliseconds, or ``"2025-03-24 20:07:24 +0100"``,
inside ``startTimestamp``; these are read defensively (a number below 1e11 is seconds, above
it milliseconds). Google's times are UTC, so ``utc_offset_min`` stays missing; only a
timestamp written with its own non-``Z`` offset keeps that offset.

A UTF-8 BOM is tolerated (dawarich's ``semantic_history_with_bom.json``). A single timeline
object at the top level (``{"placeVisit": ...}``) is read as a one-object file. Objects that
cannot be read (no duration, no coordinates, unknown type) are skipped with a reason; the rest
loads. Record numbers are indexes in ``timelineObjects`` (0-based).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from auditor import model
from auditor.importers.base import BadInput, FileRef, Head, ImportReport, Importer
from auditor.importers.parsing import (
    arrow_strings,
    decode_json,
    iso_offsets_minutes,
    iso_to_utc,
    out_of_range,
    to_float,
    upper_snake,
    valid_coordinates,
)

IMPORTER_ID = "google-semantic"
SOURCE = "google-location"

# Google states confidence in words; these numbers are our reading of them, documented above.
PLACE_CONFIDENCE = {
    "LOW_CONFIDENCE": 0.25,
    "MEDIUM_CONFIDENCE": 0.5,
    "HIGH_CONFIDENCE": 0.75,
    "USER_CONFIRMED": 1.0,
}
SEGMENT_CONFIDENCE = {"LOW": 0.25, "MEDIUM": 0.5, "HIGH": 0.75}
# waypointPath.travelMode is the mode Google snapped the path with; the last word on the mode
# when a segment has no activityType (old backfilled segments).
TRAVEL_MODES = {"WALK": "WALKING", "DRIVE": "IN_VEHICLE", "BICYCLE": "CYCLING"}
# Child visits nest one level in real files; a deeper chain is malformed, not a mall in a mall.
MAX_CHILD_DEPTH = 4
# Epoch numbers at or above this are milliseconds (1e11 s is the year 5138).
MILLISECONDS_FROM = 1e11
UTC_NS = "datetime64[ns, UTC]"

_OBJECT_KEYS = ("placeVisit", "activitySegment")


# --- Sniffing ------------------------------------------------------------------------------


def sniff(head: Head) -> float:
    """A month file starts with ``{"timelineObjects":``; a bare timeline object is also read."""
    compact = head.compact
    if not compact.startswith("{"):
        return 0.0
    if compact.startswith('{"timelineObjects":['):
        return 0.95
    if '"timelineObjects":[' in compact[:4096] and any(f'"{key}":{{' in compact for key in _OBJECT_KEYS):
        return 0.9
    if compact.startswith(('{"placeVisit":{', '{"activitySegment":{')):
        return 0.8
    return 0.0


# --- Times ---------------------------------------------------------------------------------


@dataclass
class ParsedTimes:
    """Timestamps read from a column of Google's mixed spellings."""

    utc: pd.Series  # datetime64[ns, UTC]; NaT where missing, unreadable or out of range
    offset_min: pd.Series  # Int32: an offset written in the text (not "Z"), else missing
    given: pd.Series  # bool: a value was present
    out_of_range: pd.Series  # bool: read, but outside 1990-2100


def parse_times(values: list[Any], units: list[str | None]) -> ParsedTimes:
    """Read Google timestamps: ISO 8601, epoch-ms strings (``*Ms`` keys), epoch s or ms numbers.

    ``units`` holds ``"ms"`` where the key says milliseconds and ``None`` where the value
    decides: a number below 1e11 is seconds, above it milliseconds, text is ISO 8601.
    """
    usual = _zulu_times(values, units)
    if usual is not None:
        return usual
    raw = pd.Series(values, dtype="object")
    given = raw.notna().to_numpy()
    text = raw.astype("string").str.strip()
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    forced_ms = pd.Series([unit == "ms" for unit in units], dtype="bool")
    milliseconds = numbers.where(forced_ms | (numbers.abs() >= MILLISECONDS_FROM), numbers * 1000)
    epoch = pd.to_datetime(milliseconds, unit="ms", utc=True, errors="coerce")
    iso = iso_to_utc(text.where(numbers.isna()))
    outside = (out_of_range(epoch) | out_of_range(iso)).to_numpy()
    epoch = epoch.where(~outside).astype(UTC_NS)
    iso = iso.where(~outside).astype(UTC_NS)
    utc = epoch.where(numbers.notna(), iso)
    zulu = text.str.contains(r"[Zz]$", regex=True).fillna(False).astype("bool")
    offsets = iso_offsets_minutes(text.where(numbers.isna())).mask(zulu)
    return ParsedTimes(utc, offsets, pd.Series(given), pd.Series(outside))


def _zulu_times(values: list[Any], units: list[str | None]) -> ParsedTimes | None:
    """The usual file, fast: every time is ISO 8601 text ending in ``Z`` (or absent).

    pyarrow parses the column in one cast; the general path of :func:`parse_times` costs
    ~20 ms per call in pandas string operations, and a decade of month files makes ~600
    calls. Anything else (epoch numbers, ``*Ms`` keys, other offsets, spaces, a value
    pyarrow will not read) returns None and takes the general path, so results never differ.
    """
    if units.count(None) != len(units):
        return None
    text = arrow_strings(values)
    if text is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    present = text.is_valid()
    zulu = pc.ends_with(text, "Z")
    if pc.any(pc.and_(present, pc.invert(pc.fill_null(zulu, False)))).as_py():
        return None
    try:
        utc = text.cast(pa.timestamp("ns", tz="UTC")).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    outside = out_of_range(utc)
    given = pd.Series(present.to_numpy(zero_copy_only=False))
    count = len(values)
    offsets = pd.Series(pd.arrays.IntegerArray(np.zeros(count, np.int32), np.ones(count, dtype=bool)))
    return ParsedTimes(utc.where(~outside).astype(UTC_NS), offsets, given, pd.Series(outside.to_numpy()))


def _timestamp(holder: Any, key: str) -> tuple[Any, str | None]:
    """``key`` (any spelling) or ``key + "Ms"`` (epoch-ms string) from a dict."""
    if not isinstance(holder, dict):
        return None, None
    if holder.get(key) is not None:
        return holder[key], None
    if holder.get(key + "Ms") is not None:
        return holder[key + "Ms"], "ms"
    return None, None


# --- Walking the timeline objects ----------------------------------------------------------


class _Table:
    """Column lists for one kind, filled object by object, turned into Series at the end."""

    def __init__(self, *names: str):
        self.columns: dict[str, list[Any]] = {name: [] for name in names}

    def add(self, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))

    def __getitem__(self, name: str) -> list[Any]:
        return self.columns[name]

    def __len__(self) -> int:
        return len(self.columns["record"])


def _e7(holder: Any, lat_key: str, lon_key: str) -> tuple[Any, Any] | None:
    """The raw E7 pair of a dict, when both values are numbers (or numeric strings)."""
    if not isinstance(holder, dict):
        return None
    lat, lon = holder.get(lat_key), holder.get(lon_key)
    if _is_number(lat) and _is_number(lon):
        return lat, lon
    return None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    if isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return False
        return True
    return False


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _first_number(*values: Any) -> Any:
    return next((value for value in values if _is_number(value)), None)


def _device(location: dict[str, Any]) -> str | None:
    tag = _dict(location.get("sourceInfo")).get("deviceTag")
    return str(tag) if _is_number(tag) else None


class _Walker:
    """Reads timeline objects into column lists, skipping what cannot be read."""

    def __init__(self, report: ImportReport):
        self.report = report
        self.counts: Counter[str] = Counter()
        self.objects_read = 0
        time_columns = ("start", "start_unit", "end", "end_unit")
        self.visits = _Table(
            "record",
            *time_columns,
            "lat",
            "lon",
            "name",
            "address",
            "place_id",
            "semantic_type",
            "confidence",
        )
        self.activities = _Table(
            "record",
            *time_columns,
            "start_lat",
            "start_lon",
            "end_lat",
            "end_lon",
            "distance_m",
            "mode",
            "confidence",
        )
        # ``segment`` links a point placed at a segment's own start/end location to that
        # segment's row: when the segment is skipped, its skip says why and the point goes too.
        self.points = _Table(
            "record", "time", "unit", "lat", "lon", "accuracy_m", "activity", "device", "segment"
        )

    def read(self, record: int, item: Any) -> None:
        if not isinstance(item, dict):
            self.report.skip(record, "timeline object is not a JSON object")
        elif "placeVisit" in item:
            self.place_visit(record, item["placeVisit"], depth=0)
        elif "activitySegment" in item:
            self.activity_segment(record, item["activitySegment"])
        else:
            self.report.skip(record, "unknown timeline object: expected a placeVisit or activitySegment key")

    # placeVisit ----------------------------------------------------------------------------

    def place_visit(self, record: int, body: Any, depth: int) -> None:
        what = "placeVisit" if depth == 0 else "childVisit"
        if not isinstance(body, dict):
            self.report.skip(record, f"{what} is not a JSON object")
            return
        if self._visit_row(record, body, what) and depth:
            self.counts["child visits"] += 1
        self.raw_path(record, body.get("simplifiedRawPath"), activity=None)
        children = _list(body.get("childVisits"))
        if children and depth >= MAX_CHILD_DEPTH:
            self.report.skip_many(
                [record] * len(children), f"childVisits nested deeper than {MAX_CHILD_DEPTH} levels"
            )
            return
        for child in children:
            self.place_visit(record, child, depth + 1)

    def _visit_row(self, record: int, body: dict[str, Any], what: str) -> bool:
        """Add the visit's row; False (and a skip) when it cannot be placed in time and space."""
        if not isinstance(body.get("duration"), dict):
            self.report.skip(record, f"{what} has no duration")
            return False
        start, start_unit = _timestamp(body["duration"], "startTimestamp")
        end, end_unit = _timestamp(body["duration"], "endTimestamp")
        if start is None:
            self.report.skip(record, f"{what} duration has no startTimestamp or startTimestampMs")
            return False
        place, coordinates = self._place_of(body)
        if coordinates is None:
            self.report.skip(
                record,
                f"{what} has no coordinates (location.latitudeE7/longitudeE7, centerLatE7/centerLngE7 "
                "or otherCandidateLocations)",
            )
            return False
        self.visits.add(
            record=record,
            start=start,
            start_unit=start_unit,
            end=end,
            end_unit=end_unit,
            lat=coordinates[0],
            lon=coordinates[1],
            name=_text(place.get("name")),
            address=_text(place.get("address")),
            place_id=_text(place.get("placeId")),
            semantic_type=_text(place.get("semanticType")),
            confidence=_visit_confidence(body),
        )
        return True

    def _place_of(self, body: dict[str, Any]) -> tuple[dict[str, Any], tuple[Any, Any] | None]:
        """The place a visit names and where its coordinates come from."""
        location = _dict(body.get("location"))
        coordinates = _e7(location, "latitudeE7", "longitudeE7")
        if coordinates:
            return location, coordinates
        coordinates = _e7(body, "centerLatE7", "centerLngE7")
        if coordinates:
            self.counts["visits at centerLatE7"] += 1
            return location, coordinates
        candidates = _list(body.get("otherCandidateLocations"))
        candidate = _dict(candidates[0]) if candidates else {}
        coordinates = _e7(candidate, "latitudeE7", "longitudeE7")
        if coordinates:
            self.counts["visits at a candidate"] += 1
            return candidate, coordinates
        return location, None

    # activitySegment -----------------------------------------------------------------------

    def activity_segment(self, record: int, body: Any) -> None:
        if not isinstance(body, dict):
            self.report.skip(record, "activitySegment is not a JSON object")
            return
        if not isinstance(body.get("duration"), dict):
            self.report.skip(record, "activitySegment has no duration")
            return
        start, start_unit = _timestamp(body["duration"], "startTimestamp")
        end, end_unit = _timestamp(body["duration"], "endTimestamp")
        if start is None:
            self.report.skip(record, "activitySegment duration has no startTimestamp or startTimestampMs")
            return
        start_location, end_location = _dict(body.get("startLocation")), _dict(body.get("endLocation"))
        start_at = _e7(start_location, "latitudeE7", "longitudeE7")
        end_at = _e7(end_location, "latitudeE7", "longitudeE7")
        waypoint_path = _dict(body.get("waypointPath"))
        waypoints = [
            p for p in (_e7(w, "latE7", "lngE7") for w in _list(waypoint_path.get("waypoints"))) if p
        ]
        mode, mode_from = self._mode(body, waypoint_path)
        if start_at is None and end_at is None and not waypoints and mode is None:
            self.report.skip(
                record,
                "activitySegment has neither a location (startLocation, endLocation, waypointPath) "
                "nor an activityType",
            )
            return
        self.counts[mode_from] += 1
        self.counts["waypoints"] += len(waypoints)
        if (start_at is None or end_at is None) and waypoints:
            self.counts["segments placed by waypoints"] += 1
        first = start_at or (waypoints[0] if waypoints else (None, None))
        last = end_at or (waypoints[-1] if len(waypoints) > 1 else (None, None))
        transit = _dict(body.get("transitPath"))
        if transit:
            self.counts["transit paths"] += 1
        distance = _first_number(body.get("distance"))
        if distance is None:
            distance = _first_number(waypoint_path.get("distanceMeters"), transit.get("distanceMeters"))
            if distance is not None:
                self.counts["distances from a path"] += 1
        self.activities.add(
            record=record,
            start=start,
            start_unit=start_unit,
            end=end,
            end_unit=end_unit,
            start_lat=first[0],
            start_lon=first[1],
            end_lat=last[0],
            end_lon=last[1],
            distance_m=distance,
            mode=mode,
            confidence=SEGMENT_CONFIDENCE.get(body.get("confidence"))
            if isinstance(body.get("confidence"), str)
            else None,
        )
        if start_at:
            self._location_point(record, start_at, start, start_unit, start_location, mode)
        if end_at and end is not None:
            self._location_point(record, end_at, end, end_unit, end_location, mode)
        self.raw_path(record, body.get("simplifiedRawPath"), activity=mode)
        self.parking(record, body.get("parkingEvent"), activity=mode)

    @staticmethod
    def _mode(body: dict[str, Any], waypoint_path: dict[str, Any]) -> tuple[str | None, str]:
        """The segment's mode and where it came from (for the notes)."""
        if isinstance(body.get("activityType"), str) and body["activityType"].strip():
            return body["activityType"], "activityType"
        activities = _list(body.get("activities"))
        top = _dict(activities[0]) if activities else {}
        probability = top.get("probability")
        if isinstance(top.get("activityType"), str) and _is_number(probability) and float(probability) > 0:
            return top["activityType"], "modes from activities"
        travel_mode = TRAVEL_MODES.get(waypoint_path.get("travelMode"))  # type: ignore[arg-type]
        if travel_mode:
            return travel_mode, "modes from travelMode"
        return None, "segments without a mode"

    # points --------------------------------------------------------------------------------

    def _location_point(
        self,
        record: int,
        at: tuple[Any, Any],
        time: Any,
        unit: str | None,
        location: dict[str, Any],
        mode: str | None,
    ) -> None:
        self.points.add(
            record=record,
            time=time,
            unit=unit,
            lat=at[0],
            lon=at[1],
            accuracy_m=_first_number(location.get("accuracyMetres"), location.get("accuracyMeters")),
            activity=mode,
            device=_device(location),
            segment=len(self.activities) - 1,
        )

    def raw_path(self, record: int, path: Any, activity: str | None) -> None:
        """``simplifiedRawPath.points``: the few raw fixes Google kept, each with its own time."""
        for point in _list(_dict(path).get("points")):
            at = _e7(point, "latE7", "lngE7")
            time, unit = _timestamp(point, "timestamp")
            if at is None:
                self.report.skip(record, "simplifiedRawPath point has no latE7/lngE7")
            elif time is None:
                self.report.skip(record, "simplifiedRawPath point has no timestamp")
            else:
                self.points.add(
                    record=record,
                    time=time,
                    unit=unit,
                    lat=at[0],
                    lon=at[1],
                    accuracy_m=_first_number(point.get("accuracyMeters"), point.get("accuracyMetres")),
                    activity=activity,
                )

    def parking(self, record: int, event: Any, activity: str | None) -> None:
        """``parkingEvent``: where and when the car was left, a fix with its own time."""
        if not isinstance(event, dict):
            return
        location = _dict(event.get("location"))
        at = _e7(location, "latitudeE7", "longitudeE7")
        time, unit = _timestamp(event, "timestamp")
        if at is None or time is None:
            self.report.skip(record, "parkingEvent has no location.latitudeE7/longitudeE7 or no timestamp")
            return
        self._location_point(record, at, time, unit, location, activity)
        self.points["segment"][-1] = None  # the parking fix has its own time


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _visit_confidence(body: dict[str, Any]) -> float | None:
    visit_confidence = body.get("visitConfidence")
    if _is_number(visit_confidence):
        return float(visit_confidence) / 100
    place_confidence = body.get("placeConfidence")
    return PLACE_CONFIDENCE.get(place_confidence) if isinstance(place_confidence, str) else None


# --- Columns to frames ---------------------------------------------------------------------
#
# A decade of Takeout holds 120 month files of a few hundred objects each, and every pandas
# step costs about the same whatever the length of its column: built file by file, the frames
# cost ~30 ms a file, ten times the walk. So the files read together (:func:`assemble`) are
# turned into frames at once: their column lists laid end to end, rows grouped by file in
# reading order, each row knowing the file it came from (its "owner"). The result is exactly the
# per-file frames concatenated, and every skip is counted in the report of its own file.


@dataclass
class _Month:
    """One file decoded and walked, waiting to be turned into frames with the others."""

    ref: FileRef
    report: ImportReport
    walker: _Walker


def _joined(tables: list[_Table]) -> tuple[_Table, np.ndarray]:
    """The tables' rows end to end, and the index of the table each row came from."""
    if len(tables) == 1:
        return tables[0], np.zeros(len(tables[0]), dtype=np.int64)
    joined = _Table(*tables[0].columns)
    for name, column in joined.columns.items():
        for table in tables:
            column.extend(table[name])
    return joined, np.repeat(np.arange(len(tables)), [len(table) for table in tables])


class _Batch:
    """The months of one batch: joined column lists and which file owns each row."""

    def __init__(self, months: list[_Month]):
        self.months = months
        self.reports = [month.report for month in months]
        self.visits, self.visit_owners = _joined([month.walker.visits for month in months])
        self.activities, self.activity_owners = _joined([month.walker.activities for month in months])
        self.points, self.point_owners = _joined([month.walker.points for month in months])
        # A point's link to its segment is a row number in its own file's segments: shifted by
        # the segments of the files before it, it points into the joined segments.
        shift = np.cumsum([0, *[len(month.walker.activities) for month in months[:-1]]])
        self.point_segments = pd.Series(self.points["segment"], dtype="float64") + shift[self.point_owners]
        labels = sorted({month.ref.display for month in months})
        position = {label: code for code, label in enumerate(labels)}
        self.file_labels = labels
        self.file_codes = np.array([position[month.ref.display] for month in months], dtype=np.int64)

    def times(self, table: _Table, owners: np.ndarray, column: str, unit: str) -> ParsedTimes:
        """A time column parsed in one go when every file writes ``...Z`` times, else file by file.

        :func:`parse_times` chooses its way of reading for a whole column; a batch must not let
        one file's odd spelling change how another file's times are read.
        """
        values, units = table[column], table[unit]
        if len(self.months) == 1:
            return parse_times(values, units)
        usual = _zulu_times(values, units)
        if usual is not None:
            return usual
        bounds = np.searchsorted(owners, np.arange(len(self.months) + 1))
        parts = [parse_times(values[a:b], units[a:b]) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
        return ParsedTimes(
            *(pd.concat([getattr(part, name) for part in parts], ignore_index=True)
              for name in ("utc", "offset_min", "given", "out_of_range"))
        )  # fmt: skip

    def frame(self, kind: str, data: dict[str, pd.Series], rows: _Filter) -> pd.DataFrame:
        """A canonical frame of the rows kept, with each row's own file in its provenance."""
        owners = rows.owners[rows.keep]
        files = pd.Categorical.from_codes(self.file_codes[owners], self.file_labels, validate=False)
        if len(self.months) > 1:
            # as when each file's frame is concatenated: only files with rows of this kind are named
            files = files.remove_unused_categories()
        provenance = {
            "importer": model.constant_categorical(IMPORTER_ID, len(owners)),
            "file": files,
            "record": rows.records[rows.keep],
            "source": model.constant_categorical(SOURCE, len(owners)),
        }
        return model.conform(kind, {**provenance, **data}, length=len(owners))

    def per_file(self, owners: np.ndarray, counted: pd.Series | np.ndarray) -> np.ndarray:
        """How many rows of each file ``counted`` holds."""
        weights = np.asarray(counted, dtype="float64")
        return np.bincount(owners, weights=weights, minlength=len(self.months)).astype(np.int64)


class _Filter:
    """Rows kept so far, and the skips (with reasons, in each row's own report) that removed the others."""

    def __init__(self, records: list[int], owners: np.ndarray, reports: list[ImportReport]):
        self.records = np.asarray(records, dtype="int64")
        self.owners = owners
        self.keep = np.ones(len(records), dtype=bool)
        self.reports = reports

    def drop(self, mask: pd.Series | np.ndarray, reason: str | None) -> None:
        """Drop rows where ``mask`` holds; count them as skipped unless ``reason`` is None."""
        mask = np.asarray(mask, dtype=bool) & self.keep
        if reason is not None and mask.any():
            rows = np.flatnonzero(mask)
            owners = self.owners[rows]
            # rows are grouped by file: one skip_many per file that lost any
            firsts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
            for part in np.split(rows, firsts[1:]):
                self.reports[self.owners[part[0]]].skip_many(self.records[part], reason)
        self.keep &= ~mask

    def take(self, values: pd.Series) -> pd.Series:
        return values[self.keep].reset_index(drop=True)


def _degrees(values: list[Any]) -> pd.Series:
    return to_float(values) / 1e7


def _drop_bad_start(rows: _Filter, start: ParsedTimes, what: str) -> None:
    rows.drop(start.out_of_range, f"{what} start time is outside 1990-2100")
    rows.drop(
        start.utc.isna(), f"{what} start time is not a timestamp (expected ISO 8601 or epoch milliseconds)"
    )


def _end_times(end: ParsedTimes, start: ParsedTimes, rows: _Filter, what: str) -> pd.Series:
    """End times, missing where absent or unreadable; rows that end before they start go."""
    rows.drop((end.utc < start.utc).fillna(False), f"{what} ends before it starts")
    return end.utc


def _semantic_type(values: list[Any]) -> pd.Series:
    return upper_snake(pd.Series(values, dtype="object")).str.replace(r"^TYPE_", "", regex=True)


def _visits_frame(batch: _Batch) -> tuple[pd.DataFrame, ParsedTimes, _Filter]:
    table, owners = batch.visits, batch.visit_owners
    start = batch.times(table, owners, "start", "start_unit")
    end = batch.times(table, owners, "end", "end_unit")
    lat, lon = _degrees(table["lat"]), _degrees(table["lon"])
    rows = _Filter(table["record"], owners, batch.reports)
    _drop_bad_start(rows, start, "visit")
    rows.drop(~valid_coordinates(lat, lon), "visit coordinates are not on the globe (latitudeE7/longitudeE7)")
    end_utc = _end_times(end, start, rows, "visit")
    data = {
        "start": rows.take(start.utc),
        "end": rows.take(end_utc),
        "utc_offset_min": rows.take(start.offset_min),
        "lat": rows.take(lat),
        "lon": rows.take(lon),
        "name": rows.take(pd.Series(table["name"], dtype="object")),
        "address": rows.take(pd.Series(table["address"], dtype="object")),
        "place_id": rows.take(pd.Series(table["place_id"], dtype="object")),
        "semantic_type": rows.take(_semantic_type(table["semantic_type"])),
        "confidence": rows.take(to_float(table["confidence"])),
    }
    return batch.frame("visits", data, rows), start, rows


def _activities_frame(batch: _Batch) -> tuple[pd.DataFrame, ParsedTimes, _Filter]:
    """The activities, their start times, and which segment rows were kept."""
    table, owners = batch.activities, batch.activity_owners
    start = batch.times(table, owners, "start", "start_unit")
    end = batch.times(table, owners, "end", "end_unit")
    start_lat, start_lon = _degrees(table["start_lat"]), _degrees(table["start_lon"])
    end_lat, end_lon = _degrees(table["end_lat"]), _degrees(table["end_lon"])
    rows = _Filter(table["record"], owners, batch.reports)
    _drop_bad_start(rows, start, "activity")
    bad_start = start_lat.notna() & ~valid_coordinates(start_lat, start_lon)
    bad_end = end_lat.notna() & ~valid_coordinates(end_lat, end_lon)
    rows.drop(bad_start | bad_end, "activity coordinates are not on the globe (latitudeE7/longitudeE7)")
    end_utc = _end_times(end, start, rows, "activity")
    data = {
        "start": rows.take(start.utc),
        "end": rows.take(end_utc),
        "utc_offset_min": rows.take(start.offset_min),
        "start_lat": rows.take(start_lat),
        "start_lon": rows.take(start_lon),
        "end_lat": rows.take(end_lat),
        "end_lon": rows.take(end_lon),
        "distance_m": rows.take(to_float(table["distance_m"])),
        "mode": rows.take(upper_snake(pd.Series(table["mode"], dtype="object"))),
        "confidence": rows.take(to_float(table["confidence"])),
    }
    return batch.frame("activities", data, rows), start, rows


def _points_frame(batch: _Batch, segments_kept: np.ndarray) -> tuple[pd.DataFrame, ParsedTimes]:
    table, owners = batch.points, batch.point_owners
    time = batch.times(table, owners, "time", "unit")
    lat, lon = _degrees(table["lat"]), _degrees(table["lon"])
    segment = batch.point_segments
    linked = segment.notna().to_numpy()
    rows = _Filter(table["record"], owners, batch.reports)
    # A point at its segment's own start or end goes with the segment, whose skip says why.
    segment_gone = np.zeros(len(segment), dtype=bool)
    segment_gone[linked] = ~segments_kept[segment[linked].astype("int64").to_numpy()]
    rows.drop(segment_gone, None)
    rows.drop(time.out_of_range, "point time is outside 1990-2100")
    rows.drop(time.utc.isna(), "point timestamp is not a timestamp (expected ISO 8601 or epoch milliseconds)")
    rows.drop(~valid_coordinates(lat, lon), "point coordinates are not on the globe (latE7/lngE7)")
    data = {
        "time": rows.take(time.utc),
        "utc_offset_min": rows.take(time.offset_min),
        "lat": rows.take(lat),
        "lon": rows.take(lon),
        "accuracy_m": rows.take(to_float(table["accuracy_m"])),
        "activity": rows.take(upper_snake(pd.Series(table["activity"], dtype="object"))),
        "device": rows.take(pd.Series(table["device"], dtype="object")),
    }
    return batch.frame("points", data, rows), time


# --- Loading -------------------------------------------------------------------------------


def _timeline_objects(document: Any, report: ImportReport) -> list[Any]:
    if isinstance(document, dict) and "timelineObjects" in document:
        objects = document["timelineObjects"]
        if not isinstance(objects, list):
            raise BadInput("timelineObjects is not a list; expected a Semantic Location History month file")
        report.detail = "Semantic Location History month file"
        return objects
    if isinstance(document, dict) and any(key in document for key in _OBJECT_KEYS):
        report.detail = "a single Semantic Location History timeline object at the top level"
        return [document]
    raise BadInput(
        'expected a Semantic Location History month file: a JSON object with "timelineObjects" '
        "(placeVisit and activitySegment objects)"
    )


def parse(ref: FileRef, report: ImportReport) -> _Walker:
    """Decode one month file and walk its timeline objects into column lists (no frames yet)."""
    objects = _timeline_objects(decode_json(ref), report)
    walker = _Walker(report)
    for record, item in enumerate(objects):
        walker.read(record, item)
    walker.objects_read = len(objects)
    return walker


def assemble(parsed: list[tuple[FileRef, ImportReport, _Walker]]) -> dict[str, pd.DataFrame]:
    """The visits, activities and points of month files parsed by :func:`parse`, all at once.

    Rows stay grouped by file in the order given, so the frames equal each file's own
    frames concatenated; skips and notes go to each file's own report.
    """
    batch = _Batch([_Month(ref, report, walker) for ref, report, walker in parsed])
    visits, visit_start, visit_rows = _visits_frame(batch)
    activities, activity_start, segment_rows = _activities_frame(batch)
    points, point_time = _points_frame(batch, segment_rows.keep)
    times = (visit_start, activity_start, point_time)
    _describe(batch, visits, activities, (visit_rows, segment_rows), times)
    return {"visits": visits, "activities": activities, "points": points}


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read one month file into visits, activities and the points that carry their own time."""
    return assemble([(ref, report, parse(ref, report))])


def _describe(
    batch: _Batch,
    visits: pd.DataFrame,
    activities: pd.DataFrame,
    kept: tuple[_Filter, _Filter],
    times: tuple[ParsedTimes, ...],
) -> None:
    """Timezone, variant and notes of each file: what was read, guessed or left out, in plain words."""
    visit_rows, activity_rows = kept
    owners = (batch.visit_owners, batch.activity_owners, batch.point_owners)
    with_offset = sum(batch.per_file(own, t.offset_min.notna()) for own, t in zip(owners, times))
    open_visits = batch.per_file(visit_rows.owners[visit_rows.keep], visits["end"].isna())
    open_activities = batch.per_file(activity_rows.owners[activity_rows.keep], activities["end"].isna())
    for index, month in enumerate(batch.months):
        report, walker = month.report, month.walker
        units = walker.visits["start_unit"] + walker.activities["start_unit"]
        if units and all(unit == "ms" for unit in units):
            report.detail += " (older style: epoch-millisecond startTimestampMs/endTimestampMs)"
        elif "ms" in units:
            report.detail += " (mixed startTimestamp and startTimestampMs)"
        report.timezone = (
            "UTC in the file (Google writes 'Z' or epoch milliseconds); no local offset is given, "
            "so local time comes from --timezone"
        )
        if with_offset[index]:
            report.timezone += (
                f"; {with_offset[index]} timestamps carried their own UTC offset, kept as utc_offset_min"
            )
        if not walker.objects_read:
            report.notes.append("the file holds no timeline objects (an empty month)")
        for note in _count_notes(walker.counts, int(open_visits[index]), int(open_activities[index])):
            report.notes.append(note)


def _many(count: int, noun: str, plural: str | None = None) -> str:
    """``3 waypoints``, ``1 waypoint``: counts in notes read as sentences."""
    return f"{count} {noun}" if count == 1 else f"{count} {plural or noun + 's'}"


# What each counter means, as the start of a sentence that follows the count.
_COUNT_NOTES: tuple[tuple[str, str, str], ...] = (
    (
        "child visits",
        "child visit",
        "(a place inside a larger visit, such as a shop in a mall) loaded as visits of their own; "
        "they overlap their parent visit in time",
    ),
    ("visits at centerLatE7", "visit", "without location coordinates placed at centerLatE7/centerLngE7"),
    (
        "visits at a candidate",
        "visit",
        "without location coordinates placed at the first of otherCandidateLocations, Google's next guess",
    ),
    (
        "segments placed by waypoints",
        "activity segment",
        "without startLocation/endLocation placed at the first/last waypointPath waypoint",
    ),
    ("waypoints", "waypoint", "(road-snapped path vertices with no time of their own) not loaded as points"),
    (
        "transit paths",
        "transit path",
        "with line and stops not loaded (the stops are the line's, not your own fixes)",
    ),
    ("distances from a path", "activity distance", "taken from waypointPath/transitPath distanceMeters"),
    (
        "modes from activities",
        "activity segment",
        "without activityType given the first mode of activities[]",
    ),
    (
        "modes from travelMode",
        "activity segment",
        "without activityType or activities[] probabilities given the mode of waypointPath.travelMode "
        "(WALK as WALKING, DRIVE as IN_VEHICLE, BICYCLE as CYCLING)",
    ),
    (
        "segments without a mode",
        "activity segment",
        "without any mode (no activityType, activities[] or travelMode)",
    ),
)


def _count_notes(counts: Counter[str], open_visits: int, open_activities: int) -> list[str]:
    notes = [f"{_many(counts[key], noun)} {text}" for key, noun, text in _COUNT_NOTES if counts[key]]
    if open_visits or open_activities:
        notes.append(
            f"{_many(open_visits, 'visit')} and {_many(open_activities, 'activity', 'activities')} "
            "without a readable end time (end left missing)"
        )
    return notes


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Google Semantic Location History (Takeout month files)",
        kinds=("visits", "activities", "points"),
        sniff=sniff,
        load=load,
        parse=parse,
        assemble=assemble,  # type: ignore[arg-type]
    ),
)
