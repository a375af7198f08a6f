"""Benchmark: Google Records.json into a points frame, against two floors and a reference parser.

Run by hand, never in the test suite::

    /work/venv/bin/python bench/records_bench.py                 # 3M points (~1 GB)
    /work/venv/bin/python bench/records_bench.py --points 1000000 --repeat 3
    /work/venv/bin/python bench/records_bench.py --legacy        # timestampMs generation

It writes (or reuses) a deterministic synthetic file in ``bench/data/`` (git-ignored; see
``records_gen.py``), then runs each method in a fresh subprocess and reports wall time, CPU
time and peak RSS (the child's own ``ru_maxrss``, interpreter and imports included):

* ``floor_read``: read the file in 32 MB blocks, nothing else. The I/O floor.
* ``floor_msgspec_chunked``: the minimal chunked decode of performance.md §2: split 32 MB
  blocks on the generator's known record separator, decode with msgspec typed structs of
  the same fields the importer reads (coordinates, both timestamps, accuracy, altitude,
  velocity, source, deviceTag, nested activity), append numpy columns, parse times per
  block. No checks, no skips, no frame. The importer's time target is 1.2x this.
* ``auditor``: ``dataset.import_file`` with the ``google_records`` importer: the product.
* ``google_takeout_parser``: its location parser (``parse_json._parse_location_history``),
  then a frame of its Location objects, as performance.md measured it.

Methods run interleaved (the order rotates each repetition) because the machine is shared
and noisy; the table shows medians, and ratios are taken within each repetition. Results
go to ``bench/out/records_bench_<points>[_legacy].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import msgspec

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
# Bump when records_gen.py changes what it writes, so that an old file is not reused.
GENERATOR_VERSION = 1
METHODS = ("floor_read", "floor_msgspec_chunked", "auditor", "google_takeout_parser")
FLOOR = "floor_msgspec_chunked"
RSS_LIMIT_MB, RSS_AIM_MB, TIME_RATIO_LIMIT = 1024, 768, 1.2
BLOCK = 32 * 1024 * 1024


# --- The data file ------------------------------------------------------------------------


def data_file(points: int, seed: int, legacy: bool) -> Path:
    """The synthetic file for these parameters, generated once and then reused."""
    name = f"records_v{GENERATOR_VERSION}_{points}_s{seed}{'_legacy' if legacy else ''}.json"
    path = DATA / name
    if path.exists():
        return path
    sys.path.insert(0, str(HERE))
    from records_gen import generate

    started = time.perf_counter()
    generate(points, path, seed=seed, legacy=legacy)
    print(
        f"generated {path.name}: {path.stat().st_size / 2**20:,.0f} MB in "
        f"{time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return path


# --- Methods (each runs in its own process) --------------------------------------------


class _FloorType(msgspec.Struct, gc=False):
    type: str = ""
    confidence: float = 0.0


class _FloorReading(msgspec.Struct, gc=False):
    activity: list[_FloorType] = []
    activities: list[_FloorType] = []


class _FloorRecord(msgspec.Struct, gc=False):
    """The fields the importer reads, typed, for the floor."""

    latitudeE7: int = 0
    longitudeE7: int = 0
    timestamp: str | None = None
    timestampMs: str | None = None
    accuracy: float = float("nan")
    altitude: float = float("nan")
    velocity: float = float("nan")
    source: str | None = None
    deviceTag: int = 0
    activity: list[_FloorReading] | None = None
    activitys: list[_FloorReading] | None = None


def measure(method: str, path: Path, legacy: bool) -> dict:
    """Run one method here and return its timings and row count."""
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    rows = globals()[f"run_{method}"](path, legacy)
    wall, cpu = time.perf_counter() - started_wall, time.process_time() - started_cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"method": method, "wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak_kb / 1024, "rows": rows}


def run_floor_read(path: Path, legacy: bool) -> int:
    total = 0
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            total += len(block)
    return 0


def run_floor_msgspec_chunked(path: Path, legacy: bool) -> int:
    import gc
    from itertools import compress
    from operator import attrgetter

    import numpy as np
    import pandas as pd

    decoder = msgspec.json.Decoder(list[_FloorRecord])
    separator = b"\n  }, {" if legacy else b"\n    },\n    {"
    columns: dict[str, list] = {}

    def add(records: list) -> None:
        n = len(records)
        for name, getter, dtype in (
            ("lat", "latitudeE7", np.float64),
            ("lon", "longitudeE7", np.float64),
            ("accuracy", "accuracy", np.float32),
            ("altitude", "altitude", np.float32),
            ("speed", "velocity", np.float32),
            ("device", "deviceTag", np.float64),
        ):
            columns.setdefault(name, []).append(np.fromiter(map(attrgetter(getter), records), dtype, n))
        if legacy:
            millis = np.array(list(map(attrgetter("timestampMs"), records))).astype(np.int64)
            times = pd.to_datetime(millis, unit="ms", utc=True)
        else:
            times = pd.to_datetime(list(map(attrgetter("timestamp"), records)), format="ISO8601", utc=True)
        columns.setdefault("time", []).append(times.as_unit("ns").asi8)
        codes, _ = pd.factorize(np.array(list(map(attrgetter("source"), records)), dtype=object))
        columns.setdefault("source", []).append(codes)
        top: list = [None] * n
        readings = list(map(attrgetter("activitys" if legacy else "activity"), records))
        for i in compress(range(n), readings):  # only the ~10% of records with readings
            types = readings[i][0].activities if legacy else readings[i][0].activity
            if types:
                top[i] = max(types, key=attrgetter("confidence")).type
        columns.setdefault("activity", []).append(pd.factorize(np.array(top, dtype=object))[0])

    gc.disable()
    with open(path, "rb") as handle:
        head = handle.read(BLOCK)
        carry = head[head.index(b"{", head.index(b"[")) :]
        while True:
            block = handle.read(BLOCK)
            if not block:
                break
            data = carry + block
            cut = data.rfind(separator)
            add(decoder.decode(b"[" + data[: cut + separator.index(b"}") + 1] + b"]"))
            carry = data[cut + len(separator) - 1 :]
        add(decoder.decode(b"[" + carry[: carry.rindex(b"]")] + b"]"))
    joined = {name: np.concatenate(parts) for name, parts in columns.items()}
    return len(joined["lat"])


def run_auditor(path: Path, legacy: bool) -> int:
    sys.path.insert(0, str(REPO))
    from auditor.dataset import import_file
    from auditor.importers.base import FileRef
    from auditor.registry import by_id

    frames, report = import_file(FileRef(path, (), path.stat().st_size), by_id("google-records"))
    if report.error:
        raise SystemExit(f"auditor: {report.error}")
    return len(frames["points"])


def run_google_takeout_parser(path: Path, legacy: bool) -> int:
    import pandas as pd
    from google_takeout_parser.parse_json import _parse_location_history

    locations = [item for item in _parse_location_history(path) if not isinstance(item, Exception)]
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([loc.dt for loc in locations], utc=True),
            "lat": [loc.lat for loc in locations],
            "lon": [loc.lng for loc in locations],
            "accuracy": [loc.accuracy for loc in locations],
            "device": [loc.deviceTag for loc in locations],
            "source": pd.Categorical([loc.source for loc in locations]),
        }
    )
    return len(frame)


# --- The driver -----------------------------------------------------------------------------


def run_in_child(method: str, path: Path, legacy: bool) -> dict:
    command = [sys.executable, __file__, "--measure", method, str(path)] + (["--legacy"] if legacy else [])
    started = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"method": method, "error": reason, "process_s": elapsed}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = elapsed
    return result


def takeout_parser_available() -> str | None:
    try:
        import google_takeout_parser  # noqa: F401
    except ImportError:
        return "google_takeout_parser is not installed (pip install -e '.[bench]')"
    return None


def summarise(runs: list[list[dict]]) -> dict[str, dict]:
    """Medians per method, with wall and CPU ratios to the floor taken within each repetition."""
    summary: dict[str, dict] = {}
    for method in METHODS:
        mine = [next((r for r in rep if r["method"] == method), None) for rep in runs]
        good = [r for r in mine if r and "error" not in r]
        if not good:
            errors = [r["error"] for r in mine if r and "error" in r]
            if errors:
                summary[method] = {"error": errors[0]}
            continue
        entry = {
            key: statistics.median(r[key] for r in good)
            for key in ("wall_s", "cpu_s", "peak_rss_mb", "process_s")
        }
        entry["rows"] = good[0]["rows"]
        for key in ("wall_s", "cpu_s"):
            ratios = []
            for rep in runs:
                floor = next((r for r in rep if r["method"] == FLOOR and "error" not in r), None)
                this = next((r for r in rep if r["method"] == method and "error" not in r), None)
                if floor and this:
                    ratios.append(this[key] / floor[key])
            entry[f"{key.split('_')[0]}_ratio"] = statistics.median(ratios) if ratios else None
        summary[method] = entry
    return summary


def print_table(summary: dict[str, dict], path: Path) -> None:
    size_mb = path.stat().st_size / 2**20
    print(f"\n{path.name}: {size_mb:,.0f} MB")
    print(
        f"{'method':<24}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}{'x floor (wall)':>16}{'x floor (cpu)':>15}{'rows':>11}"
    )
    for method, entry in summary.items():
        if "error" in entry:
            print(f"{method:<24}  failed: {entry['error']}")
            continue
        wall_ratio = f"{entry['wall_ratio']:.2f}" if entry["wall_ratio"] is not None else "-"
        cpu_ratio = f"{entry['cpu_ratio']:.2f}" if entry["cpu_ratio"] is not None else "-"
        print(
            f"{method:<24}{entry['wall_s']:>9.2f}{entry['cpu_s']:>9.2f}{entry['peak_rss_mb']:>13,.0f}"
            f"{wall_ratio:>16}{cpu_ratio:>15}{entry['rows']:>11,}"
        )
    auditor = summary.get("auditor", {})
    if "wall_s" in auditor:
        rss_ok = auditor["peak_rss_mb"] <= RSS_LIMIT_MB
        time_ok = auditor["wall_ratio"] is not None and auditor["wall_ratio"] <= TIME_RATIO_LIMIT
        print(
            f"\ntargets: peak RSS <= {RSS_LIMIT_MB} MB (aim {RSS_AIM_MB}): "
            f"{'met' if rss_ok else 'MISSED'} ({auditor['peak_rss_mb']:,.0f} MB); "
            f"time <= {TIME_RATIO_LIMIT}x floor: {'met' if time_ok else 'MISSED'} "
            f"(wall {auditor['wall_ratio']:.2f}x, cpu {auditor['cpu_ratio']:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Records.json load benchmark (see the module docstring)")
    parser.add_argument("--points", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--legacy", action="store_true", help="the older timestampMs file")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {METHODS}")
    parser.add_argument("--measure", nargs=2, metavar=("METHOD", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), args.legacy)))
        return
    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods: {sorted(unknown)}")
    path = data_file(args.points, args.seed, args.legacy)
    missing_parser = takeout_parser_available() if "google_takeout_parser" in methods else None
    runs: list[list[dict]] = []
    for repetition in range(args.repeat):
        order = methods[repetition % len(methods) :] + methods[: repetition % len(methods)]
        this: list[dict] = []
        for method in order:
            if method == "google_takeout_parser" and missing_parser:
                this.append({"method": method, "error": missing_parser})
                continue
            result = run_in_child(method, path, args.legacy)
            print(f"  rep {repetition + 1} {method}: {result}", file=sys.stderr)
            this.append(result)
        runs.append(this)
    summary = summarise(runs)
    print_table(summary, path)
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"records_bench_{args.points}{'_legacy' if args.legacy else ''}.json"
    out.write_text(
        json.dumps(
            {
                "file": path.name,
                "bytes": path.stat().st_size,
                "points": args.points,
                "seed": args.seed,
                "legacy": args.legacy,
                "repeat": args.repeat,
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "summary": summary,
                "runs": runs,
            },
            indent=2,
        )
    )
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
