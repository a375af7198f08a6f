"""Google Timeline exported from the phone (2024+): Android ``Timeline.json``, iOS ``location-history.json``.

Both layouts follow formats.md §1.5 and the real samples in ``fixtures/google_ondevice_*``.

Android: one object ``{"semanticSegments", "rawSignals", "userLocationProfile"}``, pretty
printed with two spaces. Segments are in time order: the 2-hour ``timelinePath`` windows
(local time, even hours) come before the visits and activities that start inside them;
times are local with their offset and milliseconds (``2019-04-03T08:13:57.000+02:00``) and
the offset is repeated in ``start/endTimeTimezoneUtcOffsetMinutes``; coordinates are
``"50.0506312°, 14.3439906°"`` strings (seven decimals, inside ``{"latLng": ...}`` except on
path points and frequent places); numbers are JSON numbers with the float32 noise a phone
writes (``0.8500000238418579``). ``rawSignals`` holds device positions (``LatLng`` with a
capital L), activity records and Wi-Fi scans. How far back real exports keep raw signals
is not documented; this generator keeps the last two weeks, which also keeps files small.

iOS: a top-level array written by Apple's serializer (``" : "`` between key and value);
visits and activities first, then every ``timelinePath`` window grouped at the end, in
UTC (``Z``) with ``durationMinutesOffsetFromStartTime`` instead of point times; numbers are
strings (``"0.710000"``), coordinates ``geo:lat,lon`` with six decimals, the place id key
is ``placeID``, activity types lower case with spaces, semantic types Title case.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from auditor.samples.formatting import float32, iso_local, iso_z_ms
from auditor.samples.life import Life, Move, Points, Stay
from auditor.samples.truth import Truth

PATH_WINDOW = timedelta(hours=2)
RAW_SIGNAL_DAYS = 14

_ANDROID_SEMANTIC = {"TYPE_HOME": "INFERRED_HOME", "TYPE_WORK": "INFERRED_WORK"}
_IOS_SEMANTIC = {"TYPE_HOME": "Home", "TYPE_WORK": "Work"}
_IOS_MODE = {
    "WALKING": "walking",
    "CYCLING": "cycling",
    "IN_PASSENGER_VEHICLE": "in passenger vehicle",
    "IN_TAXI": "in passenger vehicle",
    "IN_BUS": "in bus",
    "IN_SUBWAY": "in subway",
    "IN_TRAIN": "in train",
    "FLYING": "flying",
}


def _degrees(lat: float, lon: float) -> str:
    return f"{lat:.7f}°, {lon:.7f}°"


def _geo(lat: float, lon: float) -> str:
    return f"geo:{lat:.6f},{lon:.6f}"


def _segments_in_order(life: Life) -> list[Stay | Move]:
    items: list[Stay | Move] = [*life.stays, *life.moves()]
    items.sort(key=lambda item: (item.start, 0 if isinstance(item, Move) else 1))
    return items


def _path_windows(life: Life, points: Points, every: int, local_hours: bool) -> list[tuple[datetime, np.ndarray]]:
    """2-hour windows on even hours (local for Android, UTC for iOS) and the moving fixes in each."""
    chosen = np.flatnonzero(points.moving)[::every]
    if chosen.size == 0:
        return []
    utc = pd.to_datetime(points.time_ms[chosen], unit="ms", utc=True)
    clock = utc.tz_convert(life.tz).tz_localize(None) if local_hours else utc.tz_localize(None)
    window_of = np.asarray(clock.as_unit("s").asi8 // 7200)
    windows = []
    for window in np.unique(window_of):
        naive = datetime(1970, 1, 1) + timedelta(seconds=int(window) * 7200)
        start = naive.replace(tzinfo=life.tz if local_hours else UTC).astimezone(UTC)
        windows.append((start, chosen[window_of == window]))
    return windows


# --- Android ----------------------------------------------------------------------------


def android_timeline(life: Life, points: Points, truth: Truth, file: str, broken_visit: int | None, path_every: int = 1) -> bytes:
    """``Timeline.json``; the visit numbered ``broken_visit`` gets a coordinate cut short."""
    segments: list[tuple[datetime, int, dict[str, object], tuple[str, ...], str, str]] = []
    for order, item in enumerate(_segments_in_order(life)):
        if isinstance(item, Stay):
            segments.append((item.start, 1, _android_visit(life, item), item.tags, "visits", item.place.place_id))
        else:
            segments.append((item.start, 1, _android_activity(life, item), item.tags, "activities", item.mode))
    for start, members in _path_windows(life, points, path_every, local_hours=True):
        offset = life.offset_minutes(start)
        path = [
            {"point": _degrees(points.lat[i], points.lon[i]), "time": iso_local(datetime.fromtimestamp(points.time_ms[i] / 1000, UTC), offset)}
            for i in members
        ]
        segment = {"startTime": iso_local(start, offset), "endTime": iso_local(start + PATH_WINDOW, offset), "timelinePath": path}
        segments.append((start, 0, segment, (), "points", ""))
    segments.sort(key=lambda entry: (entry[0], entry[1]))
    visit_number = 0
    out_segments = []
    for index, (_, _, segment, tags, kind, text) in enumerate(segments):
        if kind == "visits":
            if visit_number == broken_visit:
                location = segment["visit"]["topCandidate"]["placeLocation"]  # type: ignore[index]
                location["latLng"] = location["latLng"].split(",")[0]  # cut after the latitude
                truth.malformed(file, index, "visit placeLocation latLng cut after the latitude (no longitude)")
                tags = ()
            visit_number += 1
        truth.mark(tags, file, kind, index, text)
        out_segments.append(segment)
    document = {
        "semanticSegments": out_segments,
        "rawSignals": _raw_signals(life, points),
        "userLocationProfile": _frequent_places(life),
    }
    return json.dumps(document, indent=2, ensure_ascii=False).encode()


def _android_times(life: Life, start: datetime, end: datetime) -> dict[str, object]:
    start_offset, end_offset = life.offset_minutes(start), life.offset_minutes(end)
    return {
        "startTime": iso_local(start, start_offset),
        "endTime": iso_local(end, end_offset),
        "startTimeTimezoneUtcOffsetMinutes": start_offset,
        "endTimeTimezoneUtcOffsetMinutes": end_offset,
    }


def _android_visit(life: Life, stay: Stay) -> dict[str, object]:
    place = stay.place
    return {
        **_android_times(life, stay.start, stay.end),
        "visit": {
            "hierarchyLevel": 0,
            "probability": float32(0.85),
            "topCandidate": {
                "placeId": place.place_id,
                "semanticType": _ANDROID_SEMANTIC.get(place.semantic, "UNKNOWN"),
                "probability": float32(0.62 if place.semantic == "TYPE_UNKNOWN" else 0.91),
                "placeLocation": {"latLng": _degrees(place.lat, place.lon)},
            },
        },
    }


def _android_activity(life: Life, move: Move) -> dict[str, object]:
    return {
        **_android_times(life, move.start, move.end),
        "activity": {
            "start": {"latLng": _degrees(move.origin.lat, move.origin.lon)},
            "end": {"latLng": _degrees(move.dest.lat, move.dest.lon)},
            "distanceMeters": float32(move.distance_m),
            "probability": float32(0.93),
            "topCandidate": {"type": "IN_PASSENGER_VEHICLE" if move.mode == "IN_TAXI" else move.mode, "probability": float32(0.88)},
        },
    }


def _raw_signals(life: Life, points: Points) -> list[dict[str, object]]:
    """Device positions of the last two weeks (one in three), with activity records and Wi-Fi scans."""
    last_ms = int(points.time_ms[-1]) if len(points) else 0
    recent = np.flatnonzero(points.time_ms >= last_ms - RAW_SIGNAL_DAYS * 86_400_000)[::3]
    signals: list[dict[str, object]] = []
    sources = ("WIFI", "GPS", "CELL")
    for count, i in enumerate(recent.tolist()):
        moment = datetime.fromtimestamp(points.time_ms[i] / 1000, UTC)
        stamp = iso_local(moment, life.offset_minutes(moment))
        signals.append(
            {
                "position": {
                    "LatLng": f"{points.lat[i]:.6f}°, {points.lon[i]:.6f}°",
                    "accuracyMeters": int(points.accuracy[i]),
                    "altitudeMeters": float32(180.0 + (i % 7) * 0.3),
                    "source": sources[points.source[i]],
                    "timestamp": stamp,
                    "speedMetersPerSecond": float32(points.speed[i]),
                }
            }
        )
        if count % 12 == 0:
            still = not points.moving[i]
            signals.append(
                {
                    "activityRecord": {
                        "probableActivities": [
                            {"type": "STILL" if still else "IN_VEHICLE", "confidence": float32(0.96)},
                            {"type": "UNKNOWN", "confidence": float32(0.02)},
                        ],
                        "timestamp": stamp,
                    }
                }
            )
        if count % 40 == 0:
            signals.append({"wifiScan": {"deliveryTime": stamp, "devicesRecords": [{"mac": 70474800562644 + (i % 97), "rawRssi": -60 - (i % 25)}]}})
    return signals


def _frequent_places(life: Life) -> dict[str, object]:
    home = life.homes[-1][1]
    places = [{"placeId": home.place_id, "placeLocation": _degrees(home.lat, home.lon), "label": "HOME"}]
    work = next((s.place for s in reversed(life.stays) if s.place.semantic == "TYPE_WORK"), None)
    if work is not None:
        places.append({"placeId": work.place_id, "placeLocation": _degrees(work.lat, work.lon), "label": "WORK"})
    return {"frequentPlaces": places}


# --- iOS --------------------------------------------------------------------------------


def ios_location_history(life: Life, points: Points, truth: Truth, file: str, broken_activity: int | None, path_every: int = 1) -> bytes:
    """``location-history.json``; the activity numbered ``broken_activity`` loses its end longitude."""
    array: list[dict[str, object]] = []
    activity_number = 0
    for item in _segments_in_order(life):
        index = len(array)
        if isinstance(item, Stay):
            array.append(_ios_visit(life, item))
            truth.mark(item.tags, file, "visits", index, item.place.place_id)
            continue
        segment = _ios_activity(life, item)
        if activity_number == broken_activity:
            segment["activity"]["end"] = segment["activity"]["end"].split(",")[0]  # type: ignore[index]
            truth.malformed(file, index, "activity end 'geo:' string cut after the latitude (no longitude)")
        else:
            truth.mark(item.tags, file, "activities", index, _IOS_MODE.get(item.mode, "unknown"))
        activity_number += 1
        array.append(segment)
    for start, members in _path_windows(life, points, path_every, local_hours=False):
        path = [
            {"point": _geo(points.lat[i], points.lon[i]), "durationMinutesOffsetFromStartTime": str(int((points.time_ms[i] / 1000 - start.timestamp()) // 60))}
            for i in members
        ]
        array.append({"endTime": iso_z_ms(start + PATH_WINDOW), "startTime": iso_z_ms(start), "timelinePath": path})
    return json.dumps(array, indent=2, separators=(",", " : "), ensure_ascii=False).encode() + b"\n"


def _ios_times(life: Life, start: datetime, end: datetime) -> dict[str, object]:
    return {"endTime": iso_local(end, life.offset_minutes(end)), "startTime": iso_local(start, life.offset_minutes(start))}


def _ios_visit(life: Life, stay: Stay) -> dict[str, object]:
    place = stay.place
    return {
        **_ios_times(life, stay.start, stay.end),
        "visit": {
            "hierarchyLevel": "0",
            "probability": "0.710000" if place.semantic == "TYPE_UNKNOWN" else "0.940000",
            "topCandidate": {
                "probability": "0.785181" if place.semantic == "TYPE_UNKNOWN" else "0.962350",
                "semanticType": _IOS_SEMANTIC.get(place.semantic, "Unknown"),
                "placeID": place.place_id,
                "placeLocation": _geo(place.lat, place.lon),
            },
        },
    }


def _ios_activity(life: Life, move: Move) -> dict[str, object]:
    return {
        **_ios_times(life, move.start, move.end),
        "activity": {
            "start": _geo(move.origin.lat, move.origin.lon),
            "end": _geo(move.dest.lat, move.dest.lon),
            "distanceMeters": f"{move.distance_m:.6f}",
            "probability": "0.571617",
            "topCandidate": {"type": _IOS_MODE.get(move.mode, "unknown"), "probability": "0.500112"},
        },
    }
