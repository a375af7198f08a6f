"""Deterministic synthetic Google ``Records.json`` in Google's own layout, for benchmarks.

Not test data and not part of the product: ``records_bench.py`` uses it to make a file of
N points the size real exports reach (formats.md §1.2; performance.md §1 and §5: real files
hold 1-3M points, 0.4-1.2 GB). The same N, seed and variant give byte-identical output.

What the file looks like:

* Google's pretty-printing as the real samples show it (dawarich and kgeo fixtures): records
  at 4 spaces, keys at 6, ``"key": value``, records separated by ``},\\n    {``. With
  ``legacy=True`` the older ``Location History.json`` layout instead (Jackson style,
  ``"key" : value``, records separated by ``}, {``) with ``timestampMs`` strings and the
  ``activitys``/``activities`` spelling with lower-case types.
* One person: home, work and a few frequent places, with noise that depends on the source;
  one point every 1-5 min when still and every 20-90 s when moving; a new phone (a new
  ``deviceTag``) about every 2.5 years; 0.2% wild outliers.
* Points from 2018 on carry the later key set (velocity, heading, altitude,
  verticalAccuracy, platformType, server/device timestamps, batteryCharging, formFactor);
  about 10% carry an ``activity`` array and 2% a ``locationMetadata`` Wi-Fi scan, which the
  importer must skip over.
* Timestamps drop the fraction when the milliseconds are zero, and points before 2014 have
  whole-second precision, so the file mixes ``.123Z`` and ``Z`` as real files do.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np

START = np.datetime64("2009-06-01T00:00:00", "ms")
RICH_KEYS_FROM = np.datetime64("2018-01-01", "ms")
WHOLE_SECONDS_BEFORE = np.datetime64("2014-01-01", "ms")
BATCH = 20_000

# Home, work and frequent places (lat, lon in degrees): a person in Munich.
_PLACES = np.array(
    [
        (48.13743, 11.57549),  # home
        (48.17712, 11.55626),  # work
        (48.14511, 11.58213),  # supermarket
        (48.16093, 11.54821),  # gym
        (48.17603, 11.55905),  # cafe near work
        (48.11804, 11.60177),  # friend
        (48.17306, 11.59612),  # park
        (47.87121, 11.73420),  # parents, ~30 km away
        (48.13366, 11.56699),  # restaurant
    ]
)
_PLACE_WEIGHTS = np.array([0.50, 0.25, 0.05, 0.04, 0.04, 0.03, 0.04, 0.02, 0.03])
_SOURCES = np.array(["WIFI", "GPS", "CELL", "UNKNOWN", "wifi", "gps"])
_SOURCE_WEIGHTS = np.array([0.50, 0.29, 0.14, 0.05, 0.015, 0.005])
_SOURCE_ACCURACY = {"WIFI": 25, "GPS": 8, "CELL": 900, "UNKNOWN": 150, "wifi": 25, "gps": 8}
_ACTIVITY_NAMES = ["STILL", "ON_FOOT", "WALKING", "IN_VEHICLE", "ON_BICYCLE", "UNKNOWN", "TILTING", "RUNNING"]


def generate(n: int, out: Path, seed: int = 42, legacy: bool = False) -> None:
    """Write ``n`` points to ``out`` (see the module docstring for what they look like)."""
    rng = np.random.default_rng(seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".part")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.write('{\n  "locations" : [ ' if legacy else '{\n  "locations": [\n    ')
        state = _State(rng)
        first = True
        for batch in _batches(n, state):
            text = (_format_legacy if legacy else _format_records)(batch)
            if not first:
                handle.write(_LEGACY_SEP if legacy else _RECORDS_SEP)
            handle.write((_LEGACY_SEP if legacy else _RECORDS_SEP).join(text))
            first = False
        handle.write(" ]\n}" if legacy else "\n  ]\n}\n")
    tmp.replace(out)


_RECORDS_SEP = ",\n    "
_LEGACY_SEP = ", "


class _State:
    """What carries over between batches: the clock, the place, the phone."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.time = START
        self.device = int(rng.integers(-(2**31), 2**31))
        self.next_phone = START + np.timedelta64(int(2.5 * 365 * 86400_000), "ms")


def _batches(n: int, state: _State) -> Iterator[dict[str, np.ndarray]]:
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        yield _batch(size, state)
        done += size


def _batch(size: int, state: _State) -> dict[str, np.ndarray]:
    rng = state.rng
    moving = rng.random(size) < 0.25
    step_ms = np.where(moving, rng.integers(20_000, 90_000, size), rng.integers(60_000, 240_000, size))
    # Phone-off gaps: now and then a few hours to a day with no fix.
    gaps = rng.random(size) < 0.0005
    step_ms = step_ms + gaps * rng.integers(3_600_000, 86_400_000, size)
    times = state.time + np.cumsum(step_ms).astype("timedelta64[ms]")
    state.time = times[-1]
    whole = times < WHOLE_SECONDS_BEFORE
    times = np.where(whole, times.astype("datetime64[s]").astype("datetime64[ms]"), times)
    devices = np.empty(size, dtype=np.int64)
    for i, when in enumerate(times):  # a handful of phone changes: not worth vectorising
        if when >= state.next_phone:
            state.device = int(rng.integers(-(2**31), 2**31))
            state.next_phone = when + np.timedelta64(int(2.5 * 365 * 86400_000), "ms")
        devices[i] = state.device
    # Dwell at one place for a stretch of points, then move to another.
    place_runs = np.repeat(rng.choice(len(_PLACES), size // 20 + 1, p=_PLACE_WEIGHTS), 20)[:size]
    sources = rng.choice(_SOURCES, size, p=_SOURCE_WEIGHTS)
    accuracy = np.array([_SOURCE_ACCURACY[s] for s in sources]) * rng.uniform(0.5, 2.0, size)
    noise_deg = accuracy / 111_000 * rng.standard_normal((2, size))
    lat = _PLACES[place_runs, 0] + noise_deg[0] + moving * rng.normal(0, 0.01, size)
    lon = _PLACES[place_runs, 1] + noise_deg[1] + moving * rng.normal(0, 0.01, size)
    outliers = rng.random(size) < 0.002
    lat = np.where(outliers, rng.uniform(-60, 70, size), lat)
    lon = np.where(outliers, rng.uniform(-170, 170, size), lon)
    return {
        "time": times,
        "whole": whole,
        "lat": np.round(lat * 1e7).astype(np.int64),
        "lon": np.round(lon * 1e7).astype(np.int64),
        "accuracy": np.maximum(1, np.round(accuracy)).astype(np.int64),
        "source": sources,
        "device": devices,
        "rich": times >= RICH_KEYS_FROM,
        "velocity": np.where(moving, rng.integers(1, 30, size), 0),
        "heading": rng.integers(0, 360, size),
        "altitude": rng.integers(480, 560, size),
        "vertical": rng.integers(2, 40, size),
        "activity": rng.random(size) < 0.10,
        "wifi": rng.random(size) < 0.02,
        "seed": rng.integers(0, 2**31, size),
    }


def _iso(times: np.ndarray, whole: np.ndarray) -> list[str]:
    with_ms = np.datetime_as_string(times, unit="ms")
    seconds = np.datetime_as_string(times, unit="s")
    no_fraction = whole | (times.astype(np.int64) % 1000 == 0)
    return [
        (s if nf else m) + "Z" for m, s, nf in zip(with_ms.tolist(), seconds.tolist(), no_fraction.tolist())
    ]


def _activity_entries(seed: int, legacy: bool) -> list[list[tuple[str, int]]]:
    # random.Random is ~10x cheaper to seed than a numpy Generator, and this runs per point.
    rng = random.Random(seed)
    entries = []
    for _ in range(rng.randint(1, 3)):
        kinds = rng.sample(_ACTIVITY_NAMES, rng.randint(1, 5))
        confidences = sorted((rng.randint(1, 100) for _ in kinds), reverse=True)
        types = [k.lower() if legacy else k for k in kinds]
        entries.append(list(zip(types, confidences)))
    return entries


def _format_records(batch: dict[str, np.ndarray]) -> list[str]:
    iso = _iso(batch["time"], batch["whole"])
    out = []
    columns = zip(
        batch["lat"].tolist(),
        batch["lon"].tolist(),
        batch["accuracy"].tolist(),
        batch["source"].tolist(),
        batch["device"].tolist(),
        batch["rich"].tolist(),
        batch["velocity"].tolist(),
        batch["heading"].tolist(),
        batch["altitude"].tolist(),
        batch["vertical"].tolist(),
        batch["activity"].tolist(),
        batch["wifi"].tolist(),
        batch["seed"].tolist(),
        iso,
        batch["time"].astype(np.int64).tolist(),
    )
    for lat, lon, acc, src, dev, rich, vel, head, alt, vert, act, wifi, seed, when, ms in columns:
        lines = [f'{{\n      "latitudeE7": {lat},\n      "longitudeE7": {lon},\n      "accuracy": {acc},']
        if rich:
            lines.append(
                f'\n      "velocity": {vel},\n      "heading": {head},\n      "altitude": {alt},'
                f'\n      "verticalAccuracy": {vert},'
            )
        if act:
            lines.append(_records_activity(seed, when))
        if wifi and rich:
            lines.append(
                _WIFI_SCAN % (seed % 1_000_000_000_000, seed % 1_000_000_000_000 + 7, -60 - seed % 30)
            )
        lines.append(f'\n      "source": "{src}",\n      "deviceTag": {dev},')
        if rich:
            lines.append(
                f'\n      "platformType": "ANDROID",\n      "serverTimestamp": "{when}",'
                f'\n      "deviceTimestamp": "{when}",\n      "batteryCharging": false,'
                '\n      "formFactor": "PHONE",'
            )
        lines.append(f'\n      "timestamp": "{when}"\n    }}')
        out.append("".join(lines))
    return out


_WIFI_SCAN = (
    '\n      "locationMetadata": [\n        {\n          "timestamp": "2020-01-01T00:00:00Z",'
    '\n          "wifiScan": {\n            "accessPoints": [\n              {\n                "mac": "%d",'
    '\n                "strength": -71,\n                "frequencyMhz": 0\n              },\n              {'
    '\n                "mac": "%d",\n                "strength": %d,\n                "frequencyMhz": 0'
    "\n              }\n            ]\n          }\n        }\n      ],"
)


def _records_activity(seed: int, when: str) -> str:
    entries = []
    for entry in _activity_entries(seed, legacy=False):
        types = ",\n".join(
            f'            {{\n              "type": "{t}",\n              "confidence": {c}\n            }}'
            for t, c in entry
        )
        entries.append(
            f'        {{\n          "activity": [\n{types}\n          ],\n          "timestamp": "{when}"\n        }}'
        )
    return '\n      "activity": [\n' + ",\n".join(entries) + "\n      ],"


def _format_legacy(batch: dict[str, np.ndarray]) -> list[str]:
    out = []
    columns = zip(
        batch["time"].astype(np.int64).tolist(),
        batch["lat"].tolist(),
        batch["lon"].tolist(),
        batch["accuracy"].tolist(),
        batch["rich"].tolist(),
        batch["velocity"].tolist(),
        batch["heading"].tolist(),
        batch["altitude"].tolist(),
        batch["vertical"].tolist(),
        batch["activity"].tolist(),
        batch["seed"].tolist(),
    )
    for ms, lat, lon, acc, rich, vel, head, alt, vert, act, seed in columns:
        lines = [
            (
                f'{{\n    "timestampMs" : "{ms}",\n    "latitudeE7" : {lat},\n    "longitudeE7" : {lon},'
                f'\n    "accuracy" : {acc}'
            )
        ]
        if rich:
            lines.append(
                f',\n    "velocity" : {vel},\n    "heading" : {head},\n    "altitude" : {alt},'
                f'\n    "verticalAccuracy" : {vert}'
            )
        if act:
            entries = []
            for entry in _activity_entries(seed, legacy=True):
                types = ", ".join(
                    f'{{\n        "type" : "{t}",\n        "confidence" : {c}\n      }}' for t, c in entry
                )
                entries.append(f'{{\n      "timestampMs" : "{ms}",\n      "activities" : [ {types} ]\n    }}')
            lines.append(',\n    "activitys" : [ ' + ", ".join(entries) + " ]")
        lines.append("\n  }")
        out.append("".join(lines))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--legacy", action="store_true")
    args = parser.parse_args()
    generate(args.n, args.out, args.seed, args.legacy)


if __name__ == "__main__":
    main()
