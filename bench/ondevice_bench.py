"""Benchmark: the on-device Google Timeline importer on large synthetic exports.

Generates, deterministically (same N and seed give byte-identical files):

* an **Android** ``Timeline.json`` with N raw positions in ``rawSignals`` (interleaved
  with activityRecord and wifiScan items, as real exports are) plus a day-by-day plan of
  visits, activities, 2-hour timelinePath windows and a monthly timelineMemory, in the
  pretty-printed layout and key order of a real export (formats.md §1.5);
* an **iOS** ``location-history.json``: an array with N timelinePath vertices in 2-hour
  windows (written in ``Z``, grouped at the end as iOS does) after the visits and
  activities, with Apple's ``" : "`` spacing, string numbers and ``geo:`` strings.

Then, each in a fresh subprocess (so peak RSS is the method's own), it times:

* ``read``: the file's bytes through ``FileRef`` (the floor of any reader);
* ``decode_any``: ``msgspec.json.decode`` to dicts and lists (the generic floor);
* ``decode_typed``: msgspec into the importer's own structs (its decoding floor);
* ``import_one``: ``dataset.import_file`` with the importer in one process
  (``AUDITOR_WORKERS=1``), frames built;
* ``import``: the same with the processes ``workers.cpu_budget()`` allows: a large file
  is decoded in pieces by worker processes (json_pieces.py). Its CPU column adds the
  workers' CPU to the process's own; its peak RSS is the calling process's alone.

Usage::

    python bench/ondevice_bench.py                    # 3M points, both variants, 3 repeats
    python bench/ondevice_bench.py --points 1000000 --variant android --repeat 5
    python bench/ondevice_bench.py --check            # exit 1 above 2 s per million points

The target (issue): importing takes at most 2 s per million points on the 2-core reference
machine; a later issue asks for 1 s.

Measured on that machine (3M points, 2026-11-23, 19:03-19:06 UTC, median of 2) while other
jobs kept the load average at 5-6 on its 2 cores, so wall times are inflated ~2-3x and the
CPU columns (here: the calling process; workers: the piece workers) are the figures to
compare. Before (c12a692) and after the changes that followed it, alternately in one run,
each a fresh ``--measure`` child of this script from the two checkouts:

    android 1,350 MB, 3.28M points        decode_typed 3.71 CPU s (1.13 CPU s/M)
      import_one  before 8.97 CPU s, 13.8 s, 2,896 MB   after 8.42 CPU s, 12.8 s, 2,896 MB
      import      before 9.05 = 4.16 here + 4.89 worker, 14.1 s, 1,326 MB peak (caller)
                  after  8.53 = 4.89 here + 3.63 worker, 13.5 s,   826 MB peak (caller)
    ios       357 MB, 3.00M points        decode_typed 1.12 CPU s (0.37 CPU s/M)
      import_one  before 3.16 CPU s, 4.07 s, 1,305 MB   after 2.92 CPU s, 3.88 s, 1,341 MB
      import      before 4.91 = 2.34 here + 2.57 worker, 8.68 s,  867 MB peak (caller)
                  after  3.71 = 2.04 here + 1.68 worker, 5.54 s,  719 MB peak (caller)

On two free cores the busier process sets the time; its CPU alone is 1.49 s/M for Android
(4.89 CPU s here; decoding the file is 1.13 CPU s/M of all the work) and 0.68 s/M for iOS
(2.04 CPU s here). These are CPU figures, not a wall time measured on free cores. On a
busy host the pieces do not pay: at this load iOS in one process took 3.9 s, in two 5.5 s.

The Android file here is the worst case the issue describes (millions of raw positions,
with a quarter as many activityRecord and a twentieth as many wifiScan items). Real
exports seem to keep rawSignals for about the last month only (mahlernim/
google-timeline-visualizer#84, #145), so their bulk is timelinePath vertices, which the
iOS file measures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
TARGET_S_PER_MILLION = 2.0
LATER_TARGET_S_PER_MILLION = 1.0
METHODS = ("read", "decode_any", "decode_typed", "import_one", "import")
START = np.datetime64("2019-01-01T00:00:00", "s")
HOME = (50.0506312, 14.3439906)
WORK = (50.0872143, 14.4206532)
SOURCES = ("WIFI", "GPS", "CELL")
MODES = ("WALKING", "IN_PASSENGER_VEHICLE", "IN_BUS", "CYCLING", "IN_TRAIN")
IOS_MODES = ("walking", "in passenger vehicle", "in bus", "cycling", "in train")
ACTIVITY_TYPES = ("STILL", "IN_VEHICLE", "ON_FOOT", "WALKING", "UNKNOWN", "IN_ROAD_VEHICLE")
CHUNK = 20_000


# --- Generation ---------------------------------------------------------------------------


def _offset_minutes(utc: np.ndarray, summer: int, winter: int) -> np.ndarray:
    """A European or US style daylight-saving offset: summer from April to October."""
    month = utc.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where((month >= 4) & (month <= 10), summer, winter)


def _iso_local(utc: np.ndarray, offsets: np.ndarray, fraction: bool = True) -> list[str]:
    """Local ISO strings with the offset written, as the on-device export writes them."""
    local = utc + offsets.astype("timedelta64[m]")
    text = np.datetime_as_string(local.astype("datetime64[ms]"), unit="ms" if fraction else "s")
    signs = np.where(offsets < 0, "-", "+")
    hours, minutes = np.abs(offsets) // 60, np.abs(offsets) % 60
    return [
        f"{t}{s}{h:02d}:{m:02d}" for t, s, h, m in zip(text.tolist(), signs, hours.tolist(), minutes.tolist())
    ]


def _float32_text(values: np.ndarray) -> list[str]:
    # Google writes float32 values widened to double: 90.70000457763672.
    return [repr(v) for v in values.astype(np.float32).astype(np.float64).tolist()]


def generate_android(path: Path, points: int, seed: int) -> dict[str, int]:
    """Write an Android Timeline.json with ``points`` raw positions; return what it holds."""
    rng = np.random.default_rng(seed)
    gaps = rng.integers(20, 91, points)
    utc = START + np.cumsum(gaps).astype("timedelta64[s]")
    offsets = _offset_minutes(utc, 120, 60)
    stamps = _iso_local(utc, offsets)
    at_work = (utc.astype("datetime64[h]").astype(np.int64) % 24 >= 8) & (
        utc.astype("datetime64[h]").astype(np.int64) % 24 < 16
    )
    lat = np.where(at_work, WORK[0], HOME[0]) + rng.normal(0, 3e-4, points)
    lon = np.where(at_work, WORK[1], HOME[1]) + rng.normal(0, 3e-4, points)
    accuracy = rng.integers(3, 60, points).tolist()
    altitude = _float32_text(rng.uniform(180, 320, points))
    speed = _float32_text(rng.exponential(1.0, points))
    has_altitude = (rng.random(points) < 0.9).tolist()
    has_speed = (rng.random(points) < 0.7).tolist()
    source = rng.integers(0, 3, points).tolist()
    extra = rng.random(points).tolist()
    days = int((utc[-1] - utc[0]).astype("timedelta64[D]").astype(np.int64)) + 1
    counts = {"raw_positions": points, "activity_records": 0, "wifi_scans": 0}
    with open(path, "w", encoding="utf-8") as out:
        out.write('{\n  "semanticSegments": [')
        segment_counts = _android_segments(out, rng, days)
        counts.update(segment_counts)
        out.write('\n  ],\n  "rawSignals": [')
        first = True
        chunk: list[str] = []
        for i in range(points):
            fields = [
                f'"LatLng": "{lat[i]:.6f}°, {lon[i]:.6f}°"',
                f'"accuracyMeters": {accuracy[i]}',
            ]
            if has_altitude[i]:
                fields.append(f'"altitudeMeters": {altitude[i]}')
            fields.append(f'"source": "{SOURCES[source[i]]}"')
            fields.append(f'"timestamp": "{stamps[i]}"')
            if has_speed[i]:
                fields.append(f'"speedMetersPerSecond": {speed[i]}')
            body = ",\n        ".join(fields)
            chunk.append(
                ("" if first else ",") + f'\n    {{\n      "position": {{\n        {body}\n      }}\n    }}'
            )
            first = False
            if extra[i] < 0.25:
                chunk.append(_activity_record(rng, stamps[i]))
                counts["activity_records"] += 1
            elif extra[i] > 0.95:
                chunk.append(_wifi_scan(rng, stamps[i]))
                counts["wifi_scans"] += 1
            if len(chunk) >= CHUNK:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
        out.write(
            '\n  ],\n  "userLocationProfile": {\n    "frequentPlaces": [\n'
            f'      {{\n        "placeId": "ChIJhome",\n        "placeLocation": "{HOME[0]:.7f}°, {HOME[1]:.7f}°",\n'
            '        "label": "HOME"\n      },\n'
            f'      {{\n        "placeId": "ChIJwork",\n        "placeLocation": "{WORK[0]:.7f}°, {WORK[1]:.7f}°",\n'
            '        "label": "WORK"\n      }\n    ]\n  }\n}\n'
        )
    return counts


def _activity_record(rng: np.random.Generator, stamp: str) -> str:
    picks = rng.choice(len(ACTIVITY_TYPES), size=int(rng.integers(2, 5)), replace=False)
    confidences = rng.dirichlet(np.ones(len(picks)))
    items = ",\n".join(
        f'          {{\n            "type": "{ACTIVITY_TYPES[p]}",\n            "confidence": {c!r}\n          }}'
        for p, c in zip(picks.tolist(), confidences.tolist())
    )
    return (
        f',\n    {{\n      "activityRecord": {{\n        "probableActivities": [\n{items}\n        ],\n'
        f'        "timestamp": "{stamp}"\n      }}\n    }}'
    )


def _wifi_scan(rng: np.random.Generator, stamp: str) -> str:
    devices = ",\n".join(
        f'          {{\n            "mac": {int(m)},\n            "rawRssi": {int(r)}\n          }}'
        for m, r in zip(
            rng.integers(10**13, 3 * 10**14, int(rng.integers(5, 16))), rng.integers(-90, -40, 16)
        )
    )
    return (
        f',\n    {{\n      "wifiScan": {{\n        "deliveryTime": "{stamp}",\n        "devicesRecords": [\n'
        f"{devices}\n        ]\n      }}\n    }}"
    )


def _day_plan(
    rng: np.random.Generator, day: int, summer: int, winter: int
) -> list[tuple[np.datetime64, np.datetime64, str, tuple]]:
    """Home, commute, work, commute, home on a local day: (UTC start, UTC end, kind, place or route)."""
    noon = START + np.timedelta64(day, "D") + np.timedelta64(12, "h")
    offset = int(_offset_minutes(np.array([noon]), summer, winter)[0])
    midnight = START + np.timedelta64(day, "D") - np.timedelta64(offset, "m")
    leave = midnight + np.timedelta64(int(rng.integers(6 * 60 + 30, 8 * 60)), "m")
    arrive = leave + np.timedelta64(int(rng.integers(20, 50)), "m")
    back = midnight + np.timedelta64(int(rng.integers(15 * 60, 17 * 60)), "m")
    home = back + np.timedelta64(int(rng.integers(20, 50)), "m")
    end = midnight + np.timedelta64(1, "D") - np.timedelta64(1, "s")
    return [
        (midnight, leave, "visit", HOME),
        (leave, arrive, "activity", (HOME, WORK)),
        (arrive, back, "visit", WORK),
        (back, home, "activity", (WORK, HOME)),
        (home, end, "visit", HOME),
    ]


def _android_segments(out, rng: np.random.Generator, days: int) -> dict[str, int]:
    counts = {"visits": 0, "activities": 0, "path_points": 0, "memories": 0}
    first = True
    for day in range(days):
        items: list[tuple[np.datetime64, str]] = []
        for start, end, kind, where in _day_plan(rng, day, 120, 60):
            offset = int(_offset_minutes(np.array([start]), 120, 60)[0])
            start_text, end_text = _iso_local(np.array([start, end]), np.array([offset, offset]))
            head = (
                f'\n    {{\n      "startTime": "{start_text}",\n      "endTime": "{end_text}",\n'
                f'      "startTimeTimezoneUtcOffsetMinutes": {offset},\n      "endTimeTimezoneUtcOffsetMinutes": {offset},\n'
            )
            if kind == "visit":
                semantic = "INFERRED_HOME" if where == HOME else "INFERRED_WORK"
                body = (
                    f'      "visit": {{\n        "hierarchyLevel": 0,\n        "probability": {rng.uniform(0.5, 1)!r},\n'
                    f'        "topCandidate": {{\n          "placeId": "ChIJ{semantic.lower()}",\n'
                    f'          "semanticType": "{semantic}",\n          "probability": {rng.uniform(0.3, 1)!r},\n'
                    f'          "placeLocation": {{\n            "latLng": "{where[0]:.7f}°, {where[1]:.7f}°"\n'
                    "          }\n        }\n      }\n    }"
                )
                counts["visits"] += 1
            else:
                (a, b) = where
                body = (
                    f'      "activity": {{\n        "start": {{\n          "latLng": "{a[0]:.7f}°, {a[1]:.7f}°"\n        }},\n'
                    f'        "end": {{\n          "latLng": "{b[0]:.7f}°, {b[1]:.7f}°"\n        }},\n'
                    f'        "distanceMeters": {rng.uniform(6000, 7000)!r},\n        "probability": {rng.uniform(0.5, 1)!r},\n'
                    f'        "topCandidate": {{\n          "type": "{MODES[int(rng.integers(0, len(MODES)))]}",\n'
                    f'          "probability": {rng.uniform(0, 1)!r}\n        }}\n      }}\n    }}'
                )
                counts["activities"] += 1
            items.append((start, head + body))
        midnight = START + np.timedelta64(day, "D")
        for window in range(12):
            start = midnight + np.timedelta64(2 * window, "h")
            offset = int(_offset_minutes(np.array([start]), 120, 60)[0])
            minutes = np.sort(rng.choice(120, size=12, replace=False))
            vertex_utc = start + minutes.astype("timedelta64[m]")
            vertex_text = _iso_local(vertex_utc, np.full(12, offset))
            lat = HOME[0] + rng.normal(0, 2e-3, 12)
            lon = HOME[1] + rng.normal(0, 2e-3, 12)
            vertices = ",\n".join(
                f'        {{\n          "point": "{la:.7f}°, {lo:.7f}°",\n          "time": "{t}"\n        }}'
                for la, lo, t in zip(lat.tolist(), lon.tolist(), vertex_text)
            )
            start_text, end_text = _iso_local(
                np.array([start, start + np.timedelta64(2, "h")]), np.array([offset, offset])
            )
            items.append(
                (
                    start,
                    (
                        f'\n    {{\n      "startTime": "{start_text}",\n      "endTime": "{end_text}",\n'
                        f'      "timelinePath": [\n{vertices}\n      ]\n    }}'
                    ),
                )
            )
            counts["path_points"] += 12
        if day % 30 == 29:
            start_text, end_text = _iso_local(
                np.array([midnight - np.timedelta64(29, "D"), midnight]), np.array([60, 60])
            )
            items.append(
                (
                    midnight,
                    (
                        f'\n    {{\n      "startTime": "{start_text}",\n      "endTime": "{end_text}",\n'
                        '      "timelineMemory": {\n        "trip": {\n          "distanceFromOriginKms": 1594,\n'
                        '          "destinations": [\n            {\n              "identifier": {\n'
                        '                "placeId": "ChIJs9KSYYBfaIYRj5AOiZNQ0a4"\n              }\n'
                        "            }\n          ]\n        }\n      }\n    }"
                    ),
                )
            )
            counts["memories"] += 1
        items.sort(key=lambda item: item[0])
        out.write(("" if first else ",") + ",".join(text for _, text in items))
        first = False
    return counts


def generate_ios(path: Path, points: int, seed: int, per_window: int = 60) -> dict[str, int]:
    """Write an iOS location-history.json with ``points`` timelinePath vertices."""
    rng = np.random.default_rng(seed)
    windows = -(-points // per_window)
    days = -(-windows // 12)
    counts = {"visits": 0, "activities": 0, "path_points": 0}
    with open(path, "w", encoding="utf-8") as out:
        out.write("[")
        first = True
        for day in range(days):
            for start, end, kind, where in _day_plan(rng, day, -300, -360):
                offset = int(_offset_minutes(np.array([start]), -300, -360)[0])
                start_text, end_text = _iso_local(np.array([start, end]), np.array([offset, offset]))
                head = f'\n  {{\n    "endTime" : "{end_text}",\n    "startTime" : "{start_text}",\n'
                if kind == "visit":
                    semantic = "Home" if where == HOME else "Work"
                    body = (
                        f'    "visit" : {{\n      "hierarchyLevel" : "0",\n      "topCandidate" : {{\n'
                        f'        "probability" : "{rng.uniform(0.3, 1):.6f}",\n        "semanticType" : "{semantic}",\n'
                        f'        "placeID" : "ChIJ{semantic.lower()}",\n'
                        f'        "placeLocation" : "geo:{where[0]:.6f},{where[1]:.6f}"\n      }},\n'
                        f'      "probability" : "{rng.uniform(0.5, 1):.6f}"\n    }}\n  }}'
                    )
                    counts["visits"] += 1
                else:
                    (a, b) = where
                    body = (
                        f'    "activity" : {{\n      "start" : "geo:{a[0]:.6f},{a[1]:.6f}",\n'
                        f'      "end" : "geo:{b[0]:.6f},{b[1]:.6f}",\n'
                        f'      "distanceMeters" : "{rng.uniform(6000, 7000):.6f}",\n'
                        f'      "probability" : "{rng.uniform(0.5, 1):.6f}",\n'
                        f'      "topCandidate" : {{\n        "type" : "{IOS_MODES[int(rng.integers(0, len(IOS_MODES)))]}",\n'
                        f'        "probability" : "{rng.uniform(0, 1):.6f}"\n      }}\n    }}\n  }}'
                    )
                    counts["activities"] += 1
                out.write(("" if first else ",") + head + body)
                first = False
        written = 0
        for window in range(windows):
            start = START + np.timedelta64(2 * window, "h")
            size = min(per_window, points - written)
            minutes = np.sort(rng.integers(0, 120, size))
            lat = HOME[0] + rng.normal(0, 2e-3, size)
            lon = HOME[1] + rng.normal(0, 2e-3, size)
            vertices = ",\n".join(
                f'      {{\n        "point" : "geo:{la:.6f},{lo:.6f}",\n'
                f'        "durationMinutesOffsetFromStartTime" : "{m}"\n      }}'
                for la, lo, m in zip(lat.tolist(), lon.tolist(), minutes.tolist())
            )
            start_text = np.datetime_as_string(start.astype("datetime64[ms]"), unit="ms") + "Z"
            end_text = (
                np.datetime_as_string((start + np.timedelta64(2, "h")).astype("datetime64[ms]"), unit="ms")
                + "Z"
            )
            out.write(
                f',\n  {{\n    "endTime" : "{end_text}",\n    "startTime" : "{start_text}",\n'
                f'    "timelinePath" : [\n{vertices}\n    ]\n  }}'
            )
            written += size
        counts["path_points"] = written
        out.write("\n]\n")
    return counts


# --- Measuring (child process) ------------------------------------------------------------


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    """CPU of the worker processes this process has waited for (json_pieces waits for each)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(method: str, path: Path) -> dict[str, object]:
    """Run one method once in this (fresh) process; report seconds and peak RSS."""
    sys.path.insert(0, str(REPO))
    import msgspec

    from auditor.dataset import import_file
    from auditor.importers import google_ondevice
    from auditor.importers.base import FileRef

    ref = FileRef(path, (), path.stat().st_size)
    baseline = _rss_mb()
    rows = 0
    if method == "import_one":
        os.environ["AUDITOR_WORKERS"] = "1"
    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    if method == "read":
        rows = len(ref.read_bytes())
    elif method == "decode_any":
        decoded = msgspec.json.decode(ref.read_bytes())
        rows = len(decoded["rawSignals"]) if isinstance(decoded, dict) else len(decoded)
    elif method == "decode_typed":
        decoded = msgspec.json.decode(ref.read_bytes(), type=google_ondevice.TIMELINE_TYPE, strict=False)
        rows = len(decoded) if isinstance(decoded, list) else len(decoded.rawSignals)
    elif method in ("import", "import_one"):
        frames, report = import_file(ref, google_ondevice.IMPORTERS[0])
        if report.error:
            raise SystemExit(f"import failed: {report.error}")
        rows = len(frames["points"])
    else:
        raise SystemExit(f"unknown method {method!r}")
    seconds = time.perf_counter() - began
    here = _cpu_seconds() - cpu_before
    in_workers = _children_cpu()
    return {
        "method": method,
        "seconds": seconds,
        "cpu": here + in_workers,
        "cpu_here": here,
        "cpu_workers": in_workers,
        "peak_rss_mb": _rss_mb(),
        "baseline_rss_mb": baseline,
        "rows": rows,
    }


def _run_child(method: str, path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, __file__, "--measure", method, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Driver -------------------------------------------------------------------------------


def run(
    points: int,
    variants: list[str],
    repeat: int,
    folder: Path,
    seed: int,
    reuse: bool = False,
    methods: tuple[str, ...] = METHODS,
) -> bool:
    """Generate, measure each method ``repeat`` times (order rotated), print a table."""
    within_target = True
    for variant in variants:
        path = folder / ("Timeline.json" if variant == "android" else "location-history.json")
        began = time.perf_counter()
        if reuse and path.exists():
            counts: dict[str, int] | str = "reused from an earlier run with --dir"
        else:
            counts = (generate_android if variant == "android" else generate_ios)(path, points, seed)
        size_mb = path.stat().st_size / 1e6
        print(
            f"\n{variant}: {path.name}, {size_mb:,.0f} MB, generated in {time.perf_counter() - began:.1f} s; {counts}",
            flush=True,
        )
        results: dict[str, list[dict[str, object]]] = {m: [] for m in methods}
        load_before = os.getloadavg()[0]
        for round_number in range(repeat):
            order = methods[round_number % len(methods) :] + methods[: round_number % len(methods)]
            for method in order:
                results[method].append(_run_child(method, path))
        point_rows = int(results["import"][0]["rows"])
        print(f"points imported: {point_rows:,}", flush=True)
        print(f"load average before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} (2 cores)")
        print(
            f"{'method':<14}{'median s':>10}{'min s':>8}{'s per 1M pts':>14}{'CPU s':>8}"
            f"{'here':>7}{'workers':>9}{'peak RSS MB':>13}{'x file':>8}"
        )
        for method in methods:
            seconds = [float(r["seconds"]) for r in results[method]]
            cpu, here, workers = (
                statistics.median(float(r[key]) for r in results[method])
                for key in ("cpu", "cpu_here", "cpu_workers")
            )
            rss = max(float(r["peak_rss_mb"]) for r in results[method])
            median = statistics.median(seconds)
            print(
                f"{method:<14}{median:>10.2f}{min(seconds):>8.2f}{median / point_rows * 1e6:>14.2f}"
                f"{cpu:>8.2f}{here:>7.2f}{workers:>9.2f}{rss:>13,.0f}{rss / size_mb:>8.2f}"
            )
        per_million = statistics.median(float(r["seconds"]) for r in results["import"]) / point_rows * 1e6
        verdict = "within" if per_million <= TARGET_S_PER_MILLION else "ABOVE"
        later = "within" if per_million <= LATER_TARGET_S_PER_MILLION else "above"
        print(
            f"import: {per_million:.2f} s per million points: {verdict} the {TARGET_S_PER_MILLION} s target, "
            f"{later} the later {LATER_TARGET_S_PER_MILLION} s one"
        )
        within_target &= per_million <= TARGET_S_PER_MILLION
    return within_target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--points", type=int, default=3_000_000, help="raw points (Android) or path points (iOS)"
    )
    parser.add_argument("--variant", choices=("android", "ios", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--dir", type=Path, help="keep the generated files here (default: a temporary folder)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when import is above the target")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --dir: measure the files already there instead of generating",
    )
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated, from {','.join(METHODS)} (import is always measured)",
    )
    parser.add_argument("--measure", nargs=2, metavar=("METHOD", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return 0
    variants = ["android", "ios"] if args.variant == "both" else [args.variant]
    chosen = {name.strip() for name in args.methods.split(",")} | {"import"}
    if chosen - set(METHODS):
        parser.error(f"unknown methods: {', '.join(sorted(chosen - set(METHODS)))}")
    methods = tuple(m for m in METHODS if m in chosen)
    if args.dir:
        args.dir.mkdir(parents=True, exist_ok=True)
        ok = run(args.points, variants, args.repeat, args.dir, args.seed, args.reuse, methods)
    else:
        with tempfile.TemporaryDirectory(prefix="ondevice-bench-") as folder:
            ok = run(args.points, variants, args.repeat, Path(folder), args.seed, methods=methods)
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
