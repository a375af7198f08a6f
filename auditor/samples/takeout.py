"""Google Takeout location history, the 2023-2024 archive layout (formats.md §1.1-§1.4).

``Takeout/Location History (Timeline)/`` holds ``Records.json`` (every raw fix),
``Settings.json`` (the devices) and ``Semantic Location History/YYYY/YYYY_MONTH.json``
(visits and movements per local month, month names in English upper case), beside the
``archive_browser.html`` page every Takeout carries.

Records.json is written in Google's pretty-printed layout (records at four spaces, keys at
six, ``"key": value``) and key order, one fix per record: ``latitudeE7``/``longitudeE7``
integers, ``accuracy``, ``velocity`` while moving, an ``activity`` array on about one fix
in ten, ``source``, ``deviceTag``, ``platformType`` and the ISO ``timestamp`` (no fraction
when the milliseconds are zero). It is formatted and streamed in blocks, so a decade of
millions of fixes never sits in memory as one string.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import numpy as np

from auditor.samples.formatting import float32, iso_z, ms_to_iso_z
from auditor.samples.life import Life, Move, Points, Stay
from auditor.samples.output import Archive, ZipTime
from auditor.samples.truth import Truth

FOLDER = "Takeout/Location History (Timeline)"
MONTHS = ("JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER", "DECEMBER")
BLOCK = 50_000

ARCHIVE_BROWSER = b"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Archive Overview</title></head>
<body><h1>Your Google data archive</h1><p>This archive contains: Location History (Timeline)</p></body></html>
"""

_RECORD = """    {
      "latitudeE7": %d,
      "longitudeE7": %d,
      "accuracy": %d,%s%s
      "source": "%s",
      "deviceTag": %d,
      "platformType": "ANDROID",
      "timestamp": "%s"
    }"""
_VELOCITY = '\n      "velocity": %d,'
_ACTIVITY = """
      "activity": [
        {
          "activity": [
            {
              "type": "%s",
              "confidence": %d
            },
            {
              "type": "%s",
              "confidence": %d
            }
          ],
          "timestamp": "%s"
        }
      ],"""
# The record written broken on purpose: a fix without coordinates (see the persona README).
_NO_COORDINATES = """    {
      "accuracy": %d,
      "source": "%s",
      "deviceTag": %d,
      "platformType": "ANDROID",
      "timestamp": "%s"
    }"""
_SOURCES = ("WIFI", "GPS", "CELL")


def records_json(points: Points, device_tag: int, seed: int, broken: set[int]) -> Iterator[bytes]:
    """Records.json in blocks of bytes; indexes in ``broken`` lose their coordinates."""
    rng = np.random.default_rng(seed)
    n = len(points)
    with_activity = rng.random(n) < 0.1
    confidence = rng.integers(55, 100, n)
    yield b'{\n  "locations": [\n'
    for first in range(0, n, BLOCK):
        last = min(n, first + BLOCK)
        yield _records_block(points, first, last, device_tag, with_activity, confidence, broken).encode()
    yield b"\n  ]\n}\n"


def _records_block(
    points: Points, first: int, last: int, device_tag: int, with_activity: np.ndarray, confidence: np.ndarray, broken: set[int]
) -> str:
    window = slice(first, last)
    lat_e7 = np.round(points.lat[window] * 1e7).astype(np.int64).tolist()
    lon_e7 = np.round(points.lon[window] * 1e7).astype(np.int64).tolist()
    accuracy = points.accuracy[window].tolist()
    moving = points.moving[window].tolist()
    speed = np.round(points.speed[window]).astype(np.int64).tolist()
    source = points.source[window].tolist()
    stamps = ms_to_iso_z(points.time_ms[window])
    activity_stamps = ms_to_iso_z(points.time_ms[window] + 3_000)
    act = with_activity[window].tolist()
    conf = confidence[window].tolist()
    parts = []
    for i in range(last - first):
        if first + i in broken:
            parts.append(_NO_COORDINATES % (accuracy[i], _SOURCES[source[i]], device_tag, stamps[i]))
            continue
        velocity = _VELOCITY % speed[i] if moving[i] else ""
        activity = ""
        if act[i]:
            top, second = ("IN_VEHICLE", "ON_FOOT") if moving[i] else ("STILL", "TILTING")
            activity = _ACTIVITY % (top, conf[i], second, 100 - conf[i], activity_stamps[i])
        parts.append(_RECORD % (lat_e7[i], lon_e7[i], accuracy[i], velocity, activity, _SOURCES[source[i]], device_tag, stamps[i]))
    prefix = "" if first == 0 else ",\n"
    return prefix + ",\n".join(parts)


def settings_json(device_tag: int, created: str, modified: str, model: str, country: str) -> bytes:
    """Settings.json with one Android phone (formats.md §1.4)."""
    settings = {
        "createdTime": created,
        "modifiedTime": modified,
        "historyEnabled": True,
        "deviceSettings": [
            {
                "deviceTag": device_tag,
                "reportingEnabled": True,
                "legalCountryCode": country,
                "devicePrettyName": model,
                "platformType": "ANDROID",
                "deviceCreationTime": created,
                "latestLocationReportingSettingChange": {"reportingEnabledModificationTime": created},
                "androidOsLevel": 34,
                "deviceSpec": {"manufacturer": "Google", "brand": "google", "product": "panther", "device": "panther", "model": model, "isLowRam": False},
            }
        ],
        "retentionWindowDays": 0,
        "hasReportedLocations": True,
        "hasSetRetention": False,
    }
    return json.dumps(settings, indent=2).encode() + b"\n"


def _e7(value: float) -> int:
    return round(value * 1e7)


def _place_visit(stay: Stay, device_tag: int) -> dict[str, object]:
    place = stay.place
    location: dict[str, object] = {"latitudeE7": _e7(place.lat), "longitudeE7": _e7(place.lon), "placeId": place.place_id, "address": place.address}
    if place.semantic != "TYPE_HOME":
        location["name"] = place.name
    location.update({"semanticType": place.semantic, "sourceInfo": {"deviceTag": device_tag}, "locationConfidence": 92.41387})
    return {
        "placeVisit": {
            "location": location,
            "duration": {"startTimestamp": iso_z(stay.start), "endTimestamp": iso_z(stay.end)},
            "placeConfidence": "HIGH_CONFIDENCE",
            "centerLatE7": _e7(place.lat + 0.00004),
            "centerLngE7": _e7(place.lon - 0.00003),
            "visitConfidence": 93,
            "editConfirmationStatus": "NOT_CONFIRMED",
            "locationConfidence": 91,
            "placeVisitType": "SINGLE_PLACE",
            "placeVisitImportance": "MAIN",
        }
    }


def _activity_segment(move: Move, device_tag: int) -> dict[str, object]:
    mode = move.mode
    segment: dict[str, object] = {
        "startLocation": {"latitudeE7": _e7(move.origin.lat), "longitudeE7": _e7(move.origin.lon), "sourceInfo": {"deviceTag": device_tag}},
        "endLocation": {"latitudeE7": _e7(move.dest.lat), "longitudeE7": _e7(move.dest.lon), "sourceInfo": {"deviceTag": device_tag}},
        "duration": {"startTimestamp": iso_z(move.start), "endTimestamp": iso_z(move.end)},
        "distance": round(move.distance_m),
        "activityType": mode,
        "confidence": "HIGH",
        "activities": [
            {"activityType": mode, "probability": float32(91.25)},
            {"activityType": "WALKING" if mode != "WALKING" else "IN_PASSENGER_VEHICLE", "probability": float32(6.5)},
        ],
    }
    if mode in ("IN_PASSENGER_VEHICLE", "IN_BUS", "IN_TAXI"):
        mid_lat = (move.origin.lat + move.dest.lat) / 2 + 0.0011
        mid_lon = (move.origin.lon + move.dest.lon) / 2 - 0.0009
        segment["waypointPath"] = {
            "waypoints": [
                {"latE7": _e7(move.origin.lat), "lngE7": _e7(move.origin.lon)},
                {"latE7": _e7(mid_lat), "lngE7": _e7(mid_lon)},
                {"latE7": _e7(move.dest.lat), "lngE7": _e7(move.dest.lon)},
            ],
            "source": "INFERRED",
            "distanceMeters": float32(move.distance_m * 1.02),
            "travelMode": "DRIVE",
            "confidence": float32(0.87),
        }
    segment["editConfirmationStatus"] = "NOT_CONFIRMED"
    return {"activitySegment": segment}


def semantic_months(life: Life, device_tag: int, truth: Truth, archive_name: str) -> list[tuple[str, bytes]]:
    """One ``YYYY_MONTH.json`` per local month, visits and movements in time order."""
    months: dict[tuple[int, int], list[tuple[datetime, int, Stay | Move]]] = {}
    for order, item in enumerate([*life.stays, *life.moves()]):
        local = life.local(item.start)
        months.setdefault((local.year, local.month), []).append((item.start, order, item))
    files = []
    for (year, month), items in sorted(months.items()):
        items.sort(key=lambda entry: (entry[0], entry[1]))
        path = f"{FOLDER}/Semantic Location History/{year}/{year}_{MONTHS[month - 1]}.json"
        objects = []
        for index, (_, _, item) in enumerate(items):
            if isinstance(item, Stay):
                objects.append(_place_visit(item, device_tag))
                truth.mark(item.tags, f"{archive_name}!{path}", "visits", index, item.place.address)
            else:
                objects.append(_activity_segment(item, device_tag))
                truth.mark(item.tags, f"{archive_name}!{path}", "activities", index, item.mode)
        files.append((path, json.dumps({"timelineObjects": objects}, indent=2, ensure_ascii=False).encode() + b"\n"))
    return files


def takeout_archive(
    life: Life,
    points: Points,
    truth: Truth,
    archive_name: str,
    date_time: ZipTime,
    device_tag: int,
    settings: bytes,
    broken_records: dict[int, str],
    seed: int,
    compresslevel: int | None = None,
) -> Archive:
    """The whole Takeout zip; ``broken_records`` maps Records.json indexes to what is wrong."""
    records_path = f"{FOLDER}/Records.json"
    for index, what in broken_records.items():
        truth.malformed(f"{archive_name}!{records_path}", index, what)
    members: list[tuple[str, object]] = [("Takeout/archive_browser.html", ARCHIVE_BROWSER)]
    members.append((records_path, lambda: records_json(points, device_tag, seed, set(broken_records))))
    members.append((f"{FOLDER}/Settings.json", settings))
    members.extend(semantic_months(life, device_tag, truth, archive_name))
    return Archive(members, date_time, compresslevel)  # type: ignore[arg-type]
