"""Overland (iOS) GeoJSON batches: the location fixes the Overland app sends to a server.

Source: formats.md §2 ("Overland"), the dawarich fixture ``overland/geodata.json``.

Layout: ``{"locations": [Feature, ...]}`` where each Feature is
``{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
"properties": {"timestamp": "2015-10-01T08:00:00-0700", "speed": 4,
"horizontal_accuracy": 30, "altitude": 0, "vertical_accuracy": -1,
"motion": ["driving", "stationary"], "device_id": "", "wifi": "...", ...}}``.

Variants and quirks:

* Coordinates are GeoJSON order: longitude first.
* ``timestamp`` carries the phone's local offset (``-0700``, without a colon) or ``Z``;
  the offset is kept per point.
* iOS writes -1 for a measurement it did not make: a negative speed or accuracy is
  missing, and the altitude is missing when ``vertical_accuracy`` is negative.
* ``motion`` lists every motion state iOS reported at once; the most telling one
  (driving, then cycling, running, walking, stationary) becomes the point's activity.
* The app also sends events without a geometry (``"action": "will_terminate"``); they
  are not fixes and are counted as skipped with that reason.
* ``wifi`` (the network name) and battery fields are not read.
* Google's ``Records.json`` and Polarsteps also start ``{"locations": [``; only Overland
  has ``"type": "Feature"`` records.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import FileRef, Head, Importer, ImportReport
from auditor.importers.tracker_common import (
    decode_records,
    epoch_or_iso_to_utc,
    non_negative,
    offsets_where_stated,
    points_frame,
    present,
    usable_fixes,
)

ID = "overland"
SOURCE = "overland"
NO_GEOMETRY = "no Point geometry: an app event (such as will_terminate), not a location fix"
# iOS may report several motion states at once; the first of these that is present wins.
MOTION_PRIORITY = ("driving", "automotive", "cycling", "running", "walking", "stationary")


class _Geometry(msgspec.Struct):
    type: str | None = None
    coordinates: list[float | str | None] | None = None


class _Properties(msgspec.Struct):
    timestamp: str | float | None = None
    speed: float | str | None = None
    horizontal_accuracy: float | str | None = None
    altitude: float | str | None = None
    vertical_accuracy: float | str | None = None
    motion: list[str] | None = None
    device_id: str | None = None


class _Feature(msgspec.Struct):
    type: str | None = None
    geometry: _Geometry | None = None
    properties: _Properties | None = None


class _Batch(msgspec.Struct):
    locations: list[_Feature]


def sniff(head: Head) -> float:
    """0.95 for ``{"locations": [{... "type": "Feature" ...``: GeoJSON features, not Google's records."""
    compact = head.compact
    if not compact.startswith('{"locations":[{'):
        return 0.0
    first_records = compact[:4096]
    if '"type":"Feature"' in first_records:
        return 0.95
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read every Point feature as a point; events without a geometry are counted, not kept."""
    features, records = decode_records(
        ref, ref.read_bytes(), _Feature, report, container=_Batch, key="locations"
    )
    has_point = np.array([_point_of(feature) is not None for feature in features], dtype=bool)
    report.skip_many(records[~has_point], NO_GEOMETRY)
    features = [feature for feature, ok in zip(features, has_point) if ok]
    records = records[has_point]

    properties = [feature.properties or _Properties() for feature in features]
    coordinates = [_point_of(feature) for feature in features]
    lon = parsing.to_float([pair[0] for pair in coordinates])
    lat = parsing.to_float([pair[1] for pair in coordinates])
    raw_time = pd.Series([p.timestamp for p in properties], dtype="object")
    time = epoch_or_iso_to_utc(raw_time)
    keep = usable_fixes(report, records, time_written=present(raw_time), time=time, lat=lat, lon=lon)

    altitude = parsing.to_float([p.altitude for p in properties])
    vertical_accuracy = parsing.to_float([p.vertical_accuracy for p in properties])
    columns = {
        "time": time,
        "utc_offset_min": offsets_where_stated(raw_time),
        "lat": lat,
        "lon": lon,
        "accuracy_m": non_negative(parsing.to_float([p.horizontal_accuracy for p in properties])),
        "altitude_m": altitude.mask(vertical_accuracy < 0),
        "speed_mps": non_negative(parsing.to_float([p.speed for p in properties])),
        "activity": parsing.upper_snake(
            pd.Series([_telling_motion(p.motion) for p in properties], dtype="object")
        ),
        "device": pd.Series([p.device_id or None for p in properties], dtype="object"),
    }
    points = points_frame(columns, keep, ref=ref, importer=ID, source=SOURCE, records=records)
    report.detail = "Overland GeoJSON batch"
    report.timezone = "local offset given per point (or UTC where the time ends in Z)"
    return {"points": points}


def _point_of(feature: _Feature) -> list[float | str | None] | None:
    """The [lon, lat] of a Point feature, or None for anything else."""
    geometry = feature.geometry
    if geometry is None or geometry.type != "Point" or not geometry.coordinates:
        return None
    if len(geometry.coordinates) < 2:
        return None
    return geometry.coordinates


def _telling_motion(motion: list[str] | None) -> str | None:
    if not motion:
        return None
    states = {state.lower() for state in motion}
    for state in MOTION_PRIORITY:
        if state in states:
            return state
    return motion[0]


IMPORTERS = (
    Importer(id=ID, title="Overland (iOS) GeoJSON batch", kinds=("points",), sniff=sniff, load=load),
)
