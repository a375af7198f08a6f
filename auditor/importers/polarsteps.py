"""Polarsteps ``locations.json``: the GPS trail of one trip in a Polarsteps data export.

Source: formats.md §2 ("Polarsteps"), the dawarich fixture, and the export itself as
published by people converting it (one file per trip, ``trip/<name>/locations.json``).

Layout: ``{"locations": [{"lon": 18.95, "lat": 69.64, "time": 1552311342.0}, ...]}``,
usually on one line, keys in any order, records not sorted by time.

Variants and quirks:

* ``time`` is epoch seconds as a float in the exports people publish; the dawarich
  fixture writes ISO-8601 text (``"2024-06-01T10:00:00Z"``). Both are read.
* There is no accuracy, altitude, speed or local offset: local time comes from
  ``--timezone``.
* Google's ``Records.json`` and Overland batches also start ``{"locations": [``; the
  sniff tells them apart by the record keys (``latitudeE7``, ``"type": "Feature"``).
"""

from __future__ import annotations

import re

import msgspec
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import FileRef, Head, Importer, ImportReport
from auditor.importers.tracker_common import (
    column,
    decode_records,
    epoch_or_iso_to_utc,
    offsets_where_stated,
    points_frame,
    present,
    usable_fixes,
)

ID = "polarsteps"
SOURCE = "polarsteps"

# The first record's keys: lat, lon and time, and nothing that belongs to Google or Overland.
_FIRST_RECORD = re.compile(r'^\{"locations":\[\{([^{}]*)\}')


class _Location(msgspec.Struct):
    lat: float | str | None = None
    lon: float | str | None = None
    time: float | str | None = None


class _File(msgspec.Struct):
    locations: list[_Location]


def sniff(head: Head) -> float:
    """0.9 for ``{"locations": [{"lat", "lon", "time"...`` with nothing else in the record."""
    compact = head.compact
    match = _FIRST_RECORD.match(compact)
    if not match:
        if compact.startswith('{"locations":[]') and head.name.lower() == "locations.json":
            return 0.3  # an empty trail: nothing to confuse, little to gain
        return 0.0
    keys = set(re.findall(r'"([^"]+)":', match.group(1)))
    if not {"lat", "lon", "time"} <= keys:
        return 0.0
    return 0.9 if keys <= {"lat", "lon", "time"} else 0.6


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read every location of the trip as a point; count the ones without a time or place."""
    items, records = decode_records(
        ref, ref.read_bytes(), _Location, report, container=_File, key="locations"
    )
    raw_time = column(items, "time")
    time = epoch_or_iso_to_utc(raw_time)
    lat = parsing.to_float(column(items, "lat"))
    lon = parsing.to_float(column(items, "lon"))
    keep = usable_fixes(report, records, time_written=present(raw_time), time=time, lat=lat, lon=lon)
    points = points_frame(
        {"time": time, "utc_offset_min": offsets_where_stated(raw_time), "lat": lat, "lon": lon},
        keep,
        ref=ref,
        importer=ID,
        source=SOURCE,
        records=records,
    )
    report.detail = "Polarsteps trip locations.json"
    report.timezone = "UTC in the file (epoch seconds or ISO-8601); local time comes from --timezone"
    return {"points": points}


IMPORTERS = (
    Importer(
        id=ID, title="Polarsteps trip locations (locations.json)", kinds=("points",), sniff=sniff, load=load
    ),
)
