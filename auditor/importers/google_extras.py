"""Google Takeout's Location History side files: ``Settings.json`` and ``Timeline Edits.json``.

Both sit beside ``Records.json`` in ``Location History/`` (``Location History (Timeline)/``
in 2023-2024 exports), research/formats.md §1.1 and §1.4. Names are localised in some
exports, so both are recognised by content.

``Settings.json`` (``createdTime``, ``modifiedTime``, ``deviceSettings[]``): each device has a
``deviceTag`` (the number Records.json and semantic files carry in ``deviceTag`` /
``sourceInfo.deviceTag``), ``devicePrettyName``, ``platformType`` (ANDROID, IOS),
``deviceSpec{manufacturer, brand, model, device, ...}`` and more. It holds no location and no
canonical rows, but it is read on purpose rather than left unclaimed: the report's notes name
the devices ("2 devices: Pixel 7 (ANDROID), Max's iPhone (IOS)") and the tag of each, so that a
person sees which phones reported their location. dawarich's sample has only ``deviceSpec``
(no pretty name, no platform): the model then names the device.

``Timeline Edits.json`` (``{"timelineEdits": [{"deviceId": ..., ...}]}``), one of:

* ``rawSignal.signal.position{point{latE7, lngE7}, accuracyMm, altitudeMeters, source,
  speedMetersPerSecond, timestamp}``: a raw fix with its own time -> a **point** (accuracy
  millimetres -> metres, ``deviceId`` as the device). Times are ISO 8601 in UTC (``Z``), so
  ``utc_offset_min`` stays missing.
* ``rawSignal.signal.activityRecord`` (detected activities, no position) and
  ``rawSignal.signal.wifiScan`` (nearby access points' MAC addresses, no position): no
  coordinates, so not points; the notes count them (a Wi-Fi scan locates a person to whoever
  holds a MAC-address map, which is worth saying).
* ``placeAggregates{placeAggregateInfo[{score, point, placeId, ...}], topRankedPlacesPlaceIds,
  processWindow{startTime, endTime}, windowSizeHrs}``: Google's own ranking of the places a
  person is most often at, over a window of weeks. They carry no visit times, so loading them
  as visits would invent times; the notes say how many there are, over which windows, and how
  many distinct places Google ranked.

Record numbers are indexes in ``deviceSettings`` or ``timelineEdits`` (0-based).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from auditor.importers.base import BadInput, FileRef, Head, ImportReport, Importer, frame
from auditor.importers.parsing import (
    decode_json,
    iso_to_utc,
    out_of_range,
    to_float,
    upper_snake,
    valid_coordinates,
)

SOURCE = "google-location"
SETTINGS_ID = "google-settings"
EDITS_ID = "google-timeline-edits"
# Keys only Location History's Settings.json combines at its top level.
_SETTINGS_KEYS = (
    '"hasReportedLocations":',
    '"timelineEnabled":',
    '"retentionControl":',
    '"hasSetRetention":',
)


# --- Settings.json -------------------------------------------------------------------------


def sniff_settings(head: Head) -> float:
    """``deviceSettings`` with device tags, or the account-level keys only this file has."""
    compact = head.compact
    if not compact.startswith("{"):
        return 0.0
    if '"deviceSettings":[' in compact:
        return 0.9
    if '"createdTime":' in compact and sum(key in compact for key in _SETTINGS_KEYS) >= 2:
        return 0.7
    return 0.0


def _device_name(device: dict[str, Any]) -> str:
    spec = device.get("deviceSpec") if isinstance(device.get("deviceSpec"), dict) else {}
    for value in (device.get("devicePrettyName"), spec.get("model"), spec.get("device")):
        if isinstance(value, str) and value.strip():
            return value.strip()
    return f"device with tag {device.get('deviceTag')}"


def _device_kind(device: dict[str, Any]) -> str | None:
    """The platform, or the maker where the file gives no platform (dawarich's sample)."""
    spec = device.get("deviceSpec") if isinstance(device.get("deviceSpec"), dict) else {}
    for value in (device.get("platformType"), spec.get("manufacturer")):
        if isinstance(value, str) and value.strip() and value != "UNKNOWN":
            return value.strip()
    return None


def load_settings(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read the device list into the report's notes; no canonical rows come from this file."""
    document = decode_json(ref)
    if not isinstance(document, dict):
        raise BadInput("expected Location History Settings.json: a JSON object with deviceSettings")
    report.detail = "Location History Settings.json (devices that reported location)"
    report.timezone = "no times loaded (the file dates the settings only)"
    devices = document.get("deviceSettings", [])
    if not isinstance(devices, list):
        raise BadInput("deviceSettings is not a list; expected one entry per device")
    described: list[str] = []
    tags: list[str] = []
    for index, device in enumerate(devices):
        if not isinstance(device, dict):
            report.skip(index, "deviceSettings entry is not a JSON object")
            continue
        name, kind = _device_name(device), _device_kind(device)
        described.append(f"{name} ({kind})" if kind else name)
        if device.get("deviceTag") is not None:
            tags.append(f"{device['deviceTag']} = {name}")
    report.notes.append(
        f"{_many(len(described), 'device')}: {', '.join(described)}" if described else "no devices listed"
    )
    if tags:
        report.notes.append("device tags (the deviceTag of location records): " + "; ".join(tags))
    dates = [document.get(key) for key in ("createdTime", "modifiedTime")]
    if all(isinstance(date, str) for date in dates):
        report.notes.append(
            f"Location History settings created {dates[0][:10]}, last modified {dates[1][:10]}"
        )
    return {}


# --- Timeline Edits.json -------------------------------------------------------------------


def sniff_edits(head: Head) -> float:
    """The file is one object whose only key is ``timelineEdits``."""
    compact = head.compact
    if compact.startswith('{"timelineEdits":['):
        return 0.95
    if compact.startswith("{") and '"timelineEdits":[' in compact[:512]:
        return 0.9
    return 0.0


class _Edits:
    """Column lists for the positions, and counts of what carries no position."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {
            name: []
            for name in (
                "record",
                "time",
                "lat",
                "lon",
                "accuracy_mm",
                "altitude_m",
                "speed_mps",
                "signal",
                "device",
            )
        }
        self.counts: Counter[str] = Counter()
        self.windows: list[tuple[str, str]] = []
        self.places: set[str] = set()

    def add(self, **values: Any) -> None:
        for name, column in self.columns.items():
            column.append(values.get(name))

    def read(self, record: int, edit: Any, report: ImportReport) -> None:
        if not isinstance(edit, dict):
            report.skip(record, "timeline edit is not a JSON object")
            return
        signal = _dict(_dict(edit.get("rawSignal")).get("signal"))
        if "placeAggregates" in edit:
            self._aggregates(_dict(edit["placeAggregates"]))
        elif "position" in signal:
            self._position(record, _dict(signal["position"]), edit.get("deviceId"), report)
        elif "activityRecord" in signal:
            self.counts["activity records"] += 1
        elif "wifiScan" in signal:
            self.counts["wifi scans"] += 1
        else:
            report.skip(record, "timeline edit holds neither placeAggregates nor a rawSignal position")

    def _position(self, record: int, position: dict[str, Any], device: Any, report: ImportReport) -> None:
        point = _dict(position.get("point"))
        if point.get("latE7") is None or point.get("lngE7") is None:
            report.skip(record, "rawSignal position has no point.latE7/lngE7")
            return
        self.add(
            record=record,
            time=position.get("timestamp"),
            lat=point["latE7"],
            lon=point["lngE7"],
            accuracy_mm=position.get("accuracyMm"),
            altitude_m=position.get("altitudeMeters"),
            speed_mps=position.get("speedMetersPerSecond"),
            signal=position.get("source"),
            device=str(device) if device is not None else None,
        )

    def _aggregates(self, aggregates: dict[str, Any]) -> None:
        self.counts["place aggregates"] += 1
        window = _dict(aggregates.get("processWindow"))
        if isinstance(window.get("startTime"), str) and isinstance(window.get("endTime"), str):
            self.windows.append((window["startTime"][:10], window["endTime"][:10]))
        for info in aggregates.get("placeAggregateInfo") or []:
            if isinstance(info, dict) and isinstance(info.get("placeId"), str):
                self.places.add(info["placeId"])


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _points(edits: _Edits, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    columns = edits.columns
    records = np.asarray(columns["record"], dtype="int64")
    time = iso_to_utc(pd.Series(columns["time"], dtype="object"))
    lat, lon = to_float(columns["lat"]) / 1e7, to_float(columns["lon"]) / 1e7
    keep = np.ones(len(records), dtype=bool)
    for mask, reason in (
        (out_of_range(time), "rawSignal position time is outside 1990-2100"),
        (time.isna(), "rawSignal position has no ISO 8601 timestamp"),
        (~valid_coordinates(lat, lon), "rawSignal position is not on the globe (latE7/lngE7)"),
    ):
        mask = mask.to_numpy(dtype=bool) & keep
        report.skip_many(records[mask], reason)
        keep &= ~mask

    def take(values: pd.Series) -> pd.Series:
        return values[keep].reset_index(drop=True)

    data = {
        "time": take(time.where(~out_of_range(time))),
        "lat": take(lat),
        "lon": take(lon),
        "accuracy_m": take(to_float(columns["accuracy_mm"]) / 1000),
        "altitude_m": take(to_float(columns["altitude_m"])),
        "speed_mps": take(to_float(columns["speed_mps"])),
        "signal": take(upper_snake(pd.Series(columns["signal"], dtype="object"))),
        "device": take(pd.Series(columns["device"], dtype="object")),
    }
    return frame("points", data, ref=ref, importer=EDITS_ID, source=SOURCE, records=records[keep])


def _edits_notes(edits: _Edits) -> list[str]:
    notes = []
    aggregates = edits.counts["place aggregates"]
    if aggregates:
        span = ""
        if edits.windows:
            span = (
                f" over windows from {min(w[0] for w in edits.windows)} to {max(w[1] for w in edits.windows)}"
            )
        notes.append(
            f"{_many(aggregates, 'place aggregate')}{span}, ranking {len(edits.places)} distinct places: "
            "Google's ranking of your most frequent places, not loaded as visits because they carry no times"
        )
    if edits.counts["activity records"]:
        notes.append(
            f"{_many(edits.counts['activity records'], 'raw activity record')} "
            "(detected activities, no position) not loaded"
        )
    if edits.counts["wifi scans"]:
        notes.append(
            f"{_many(edits.counts['wifi scans'], 'Wi-Fi scan')} (MAC addresses of nearby access points, "
            "no coordinates) not loaded; they locate you to anyone holding a map of access points"
        )
    return notes


def load_edits(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read the raw positions of Timeline Edits.json as points; describe the rest in notes."""
    document = decode_json(ref)
    if not isinstance(document, dict) or not isinstance(document.get("timelineEdits"), list):
        raise BadInput('expected Timeline Edits.json: a JSON object with a "timelineEdits" list')
    report.detail = "Location History Timeline Edits.json"
    report.timezone = "UTC in the file ('Z'); no local offset is given, so local time comes from --timezone"
    edits = _Edits()
    for record, edit in enumerate(document["timelineEdits"]):
        edits.read(record, edit, report)
    points = _points(edits, ref, report)
    report.notes.extend(_edits_notes(edits))
    return {"points": points}


IMPORTERS = (
    Importer(
        id=SETTINGS_ID,
        title="Google Location History Settings.json (devices)",
        kinds=(),
        sniff=sniff_settings,
        load=load_settings,
    ),
    Importer(
        id=EDITS_ID,
        title="Google Location History Timeline Edits.json",
        kinds=("points",),
        sniff=sniff_edits,
        load=load_edits,
    ),
)
