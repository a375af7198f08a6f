"""Benchmark: Google Records.json into a points frame, against two floors and a reference parser.

Run by hand, never in the test suite::

    /work/venv/bin/python bench/records_bench.py                 # 3M points (~1 GB)
    /work/venv/bin/python bench/records_bench.py --points 1000000 --repeat 3
    /work/venv/bin/python bench/records_bench.py --legacy        # timestampMs generation
    /work/venv/bin/python bench/records_bench.py --zip --methods floor_read,auditor,auditor_1proc

``--zip`` reads the same file as the member of a Takeout zip (deflated once, next to it), as
Takeout delivers it: ``floor_read`` then inflates it, and ``auditor`` cuts the member in
pieces that each process inflates itself (issue 10); the other methods read plain files only.

It writes (or reuses) a deterministic synthetic file in ``bench/data/`` (git-ignored; see
``records_gen.py``), then runs each method in a fresh subprocess and reports wall time, CPU
time and peak RSS (the child's own ``ru_maxrss``, interpreter and imports included), and,
for the whole process tree (the child and the worker processes it starts), CPU seconds and
the peak of the summed RSS, sampled from /proc every 50 ms (a worker's last few ms of CPU
can be missed):

* ``floor_read``: read the file in 32 MB blocks, nothing else. The I/O floor.
* ``floor_msgspec_chunked``: the minimal chunked decode of performance.md §2: split 32 MB
  blocks on the generator's known record separator, decode with msgspec typed structs of
  the same fields the importer reads (coordinates, both timestamps, accuracy, altitude,
  velocity, source, deviceTag, nested activity), append numpy columns, parse times per
  block. No checks, no skips, no frame, one process: a CPU yardstick for the importer.
* ``auditor``: ``dataset.import_file`` with the ``google_records`` importer: the product,
  which decodes a large file in pieces on ``workers.cpu_budget()`` processes.
* ``auditor_1proc``: the same with ``AUDITOR_WORKERS=1``: the single-process decoder.
* ``google_takeout_parser``: its location parser (``parse_json._parse_location_history``),
  then a frame of its Location objects, as performance.md measured it.

Methods run interleaved (the order rotates each repetition) because the machine is shared
and noisy; the table shows medians, and ratios are taken within each repetition. Results
go to ``bench/out/records_bench_<points>[_legacy].json``.

``--baseline DIR`` adds ``auditor_baseline``: the ``auditor`` method run from another
checkout (``git archive <rev> | tar -x -C DIR``), interleaved with the rest, so that a
change's before and after come from one session::

    /work/venv/bin/python bench/records_bench.py --repeat 3 --baseline /tmp/before
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
import threading
import time
import zipfile
from pathlib import Path
from typing import IO

import msgspec

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
# Bump when records_gen.py changes what it writes, so that an old file is not reused.
GENERATOR_VERSION = 1
ZIP_MEMBER = "Takeout/Location History (Timeline)/Records.json"
ZIP_METHODS = ("floor_read", "auditor", "auditor_1proc")
METHODS = ("floor_read", "floor_msgspec_chunked", "auditor", "auditor_1proc", "google_takeout_parser")
BASELINE = "auditor_baseline"  # only with --baseline DIR
BASELINE_ENV = "RECORDS_BENCH_BASELINE"
REFERENCE = "google_takeout_parser"
# The targets (issue 10): 3M points in <= 3 s wall, <= 0.75 GB, >= 6x the reference.
TARGET_WALL_S, TARGET_RSS_MB, TARGET_SPEEDUP = 3.0, 768, 6.0
FLOOR = "floor_msgspec_chunked"
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


def zipped_file(path: Path) -> Path:
    """``path`` as the Records.json member of a deflated zip beside it, written once."""
    archive = path.with_suffix(".zip")
    if not archive.exists():
        partial = archive.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as out:
            out.write(path, ZIP_MEMBER)
        partial.rename(archive)
    return archive


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
    with _open(path) as handle:
        while block := handle.read(BLOCK):
            total += len(block)
    return 0


def _open(path: Path) -> IO[bytes]:
    """The file, or (a .zip) its Records.json member, inflated as it is read."""
    if path.suffix == ".zip":
        return zipfile.ZipFile(path).open(ZIP_MEMBER)
    return open(path, "rb")


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
    # The baseline's checkout comes first on the path; worker processes inherit the path.
    sys.path.insert(0, os.environ.get(BASELINE_ENV, str(REPO)))
    from auditor.dataset import import_file
    from auditor.importers.base import FileRef
    from auditor.registry import by_id

    if path.suffix == ".zip":
        ref = FileRef(path, (ZIP_MEMBER,))
    else:
        ref = FileRef(path, (), path.stat().st_size)
    frames, report = import_file(ref, by_id("google-records"))
    if report.error:
        raise SystemExit(f"auditor: {report.error}")
    return len(frames["points"])


def run_auditor_baseline(path: Path, legacy: bool) -> int:
    if BASELINE_ENV not in os.environ:
        raise SystemExit("auditor_baseline needs --baseline DIR")
    return run_auditor(path, legacy)


def run_auditor_1proc(path: Path, legacy: bool) -> int:
    os.environ["AUDITOR_WORKERS"] = "1"
    return run_auditor(path, legacy)


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


def run_in_child(method: str, path: Path, legacy: bool, baseline: Path | None = None) -> dict:
    command = [sys.executable, __file__, "--measure", method, str(path)] + (["--legacy"] if legacy else [])
    environment = dict(os.environ)
    if method == BASELINE and baseline is not None:
        environment[BASELINE_ENV] = str(baseline)
    started = time.perf_counter()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=environment
    ) as child:
        sampler = _TreeSampler(child.pid)
        sampler.start()
        stdout, stderr = child.communicate()
        sampler.stop()
    elapsed = time.perf_counter() - started
    if child.returncode != 0:
        reason = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"method": method, "error": reason, "process_s": elapsed}
    result = json.loads(stdout.strip().splitlines()[-1])
    result["process_s"] = elapsed
    # The child's own CPU is exact; its workers' is what the sampler last saw.
    result["tree_cpu_s"] = result["cpu_s"] + sum(cpu for pid, cpu in sampler.cpu.items() if pid != child.pid)
    result["tree_peak_rss_mb"] = max(sampler.peak_rss_mb, result["peak_rss_mb"])
    result["workers"] = len(sampler.cpu) - 1
    return result


class _TreeSampler(threading.Thread):
    """Polls /proc for a process and its descendants: peak summed RSS, CPU per process."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root = root
        self.cpu: dict[int, float] = {}
        self.peak_rss_mb = 0.0
        self.done = threading.Event()
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.tick = os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.done.set()
        self.join()

    def run(self) -> None:
        while not self.done.wait(0.05):
            stats = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open(f"/proc/{entry}/stat") as handle:
                            fields = handle.read().rsplit(")", 1)[1].split()
                    except OSError:
                        continue
                    # After the name: state, ppid, ... utime (11), stime (12), ..., rss (21)
                    stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]))
            tree, grew = {self.root}, True
            while grew:
                more = {pid for pid, (parent, _, _) in stats.items() if parent in tree} - tree
                tree |= more
                grew = bool(more)
            rss = sum(stats[pid][2] for pid in tree if pid in stats) * self.page / 2**20
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
            for pid in tree:
                if pid in stats:
                    self.cpu[pid] = max(self.cpu.get(pid, 0.0), stats[pid][1] / self.tick)


def takeout_parser_available() -> str | None:
    try:
        import google_takeout_parser  # noqa: F401
    except ImportError:
        return "google_takeout_parser is not installed (pip install -e '.[bench]')"
    return None


def summarise(runs: list[list[dict]]) -> dict[str, dict]:
    """Medians per method; ratios to the floor and speed-ups over the reference within each repetition."""
    summary: dict[str, dict] = {}
    for method in (*METHODS, BASELINE):
        mine = [next((r for r in rep if r["method"] == method), None) for rep in runs]
        good = [r for r in mine if r and "error" not in r]
        if not good:
            errors = [r["error"] for r in mine if r and "error" in r]
            if errors:
                summary[method] = {"error": errors[0]}
            continue
        entry = {
            key: statistics.median(r[key] for r in good)
            for key in ("wall_s", "cpu_s", "peak_rss_mb", "process_s", "tree_cpu_s", "tree_peak_rss_mb")
        }
        entry["rows"] = good[0]["rows"]
        entry["workers"] = max(r.get("workers", 0) for r in good)
        for key in ("wall_s", "cpu_s"):
            entry[f"{key.split('_')[0]}_ratio"] = _paired(runs, method, FLOOR, key)
        entry["speedup"] = _paired(runs, REFERENCE, method, "wall_s")
        summary[method] = entry
    return summary


def _paired(runs: list[list[dict]], numerator: str, denominator: str, key: str) -> float | None:
    """Median over repetitions of numerator[key] / denominator[key], both from the same one."""
    ratios = []
    for rep in runs:
        top = next((r for r in rep if r["method"] == numerator and "error" not in r), None)
        bottom = next((r for r in rep if r["method"] == denominator and "error" not in r), None)
        if top and bottom:
            ratios.append(top[key] / bottom[key])
    return statistics.median(ratios) if ratios else None


def _ratio(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "-"


def print_table(summary: dict[str, dict], path: Path) -> None:
    size_mb = path.stat().st_size / 2**20
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\n{path.name}: {size_mb:,.0f} MB; load average at the end {load}; {os.cpu_count()} CPUs")
    print(
        f"{'method':<24}{'wall s':>8}{'cpu s':>8}{'tree cpu s':>11}{'RSS MB':>8}{'tree RSS MB':>12}"
        f"{'x floor wall':>13}{'x floor cpu':>12}{'speed-up':>9}{'rows':>11}"
    )
    for method, entry in summary.items():
        if "error" in entry:
            print(f"{method:<24}  failed: {entry['error']}")
            continue
        print(
            f"{method:<24}{entry['wall_s']:>8.2f}{entry['cpu_s']:>8.2f}{entry['tree_cpu_s']:>11.2f}"
            f"{entry['peak_rss_mb']:>8,.0f}{entry['tree_peak_rss_mb']:>12,.0f}{_ratio(entry['wall_ratio']):>13}"
            f"{_ratio(entry['cpu_ratio']):>12}{_ratio(entry['speedup']):>9}{entry['rows']:>11,}"
        )
    print("(speed-up: google_takeout_parser's wall time / the method's, paired within each repetition)")
    auditor = summary.get("auditor", {})
    if "wall_s" in auditor:
        speedup = auditor["speedup"]
        checks = [
            (
                f"wall <= {TARGET_WALL_S:g} s",
                auditor["wall_s"] <= TARGET_WALL_S,
                f"{auditor['wall_s']:.2f} s",
            ),
            (
                f"peak RSS (tree) <= {TARGET_RSS_MB} MB",
                auditor["tree_peak_rss_mb"] <= TARGET_RSS_MB,
                f"{auditor['tree_peak_rss_mb']:,.0f} MB",
            ),
            (
                f">= {TARGET_SPEEDUP:g}x google_takeout_parser",
                speedup is not None and speedup >= TARGET_SPEEDUP,
                f"{_ratio(speedup)}x",
            ),
        ]
        print(
            "targets (issue 10, meant for 3M points): "
            + "; ".join(f"{name}: {'met' if ok else 'MISSED'} ({value})" for name, ok, value in checks)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="Records.json load benchmark (see the module docstring)")
    parser.add_argument("--points", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--legacy", action="store_true", help="the older timestampMs file")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--zip", action="store_true", help="the file as a Takeout zip's member")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {METHODS}")
    parser.add_argument(
        "--baseline", type=Path, help="another checkout, run as auditor_baseline beside the rest (see above)"
    )
    parser.add_argument("--measure", nargs=2, metavar=("METHOD", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]), args.legacy)))
        return
    methods = [m for m in args.methods.split(",") if m]
    if args.baseline is not None:
        if not (args.baseline / "auditor" / "importers" / "google_records.py").is_file():
            parser.error(f"--baseline {args.baseline}: no auditor checkout there")
        methods.append(BASELINE)
    unknown = set(methods) - {*METHODS, BASELINE}
    if unknown:
        parser.error(f"unknown methods: {sorted(unknown)}")
    path = data_file(args.points, args.seed, args.legacy)
    if args.zip:
        if set(methods) - {*ZIP_METHODS, BASELINE}:
            parser.error(f"with --zip, only {ZIP_METHODS}")
        path = zipped_file(path)
    missing_parser = takeout_parser_available() if "google_takeout_parser" in methods else None
    runs: list[list[dict]] = []
    for repetition in range(args.repeat):
        order = methods[repetition % len(methods) :] + methods[: repetition % len(methods)]
        this: list[dict] = []
        for method in order:
            if method == "google_takeout_parser" and missing_parser:
                this.append({"method": method, "error": missing_parser})
                continue
            result = run_in_child(method, path, args.legacy, args.baseline)
            print(f"  rep {repetition + 1} {method}: {result}", file=sys.stderr)
            this.append(result)
        runs.append(this)
    summary = summarise(runs)
    print_table(summary, path)
    OUT.mkdir(parents=True, exist_ok=True)
    out = (
        OUT
        / f"records_bench_{args.points}{'_legacy' if args.legacy else ''}{'_zip' if args.zip else ''}.json"
    )
    out.write_text(
        json.dumps(
            {
                "file": path.name,
                "bytes": path.stat().st_size,
                "points": args.points,
                "seed": args.seed,
                "legacy": args.legacy,
                "repeat": args.repeat,
                "baseline": str(args.baseline) if args.baseline else None,
                "machine": {
                    "cpus": os.cpu_count(),
                    "load_average": os.getloadavg(),
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
