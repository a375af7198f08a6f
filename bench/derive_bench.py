"""Benchmark: every derived table on the decade persona (3M points, 50k transactions).

Prints the time and peak memory of each table, built in dependency order through the
engine's AuditData (as rules build them: a table's time excludes the tables it reads,
which are already cached), and the total.

Target (issue 7): all derived tables under 2 s on 3M points, on a 2-core machine like CI's.

    python -m auditor samples generate --persona decade --output /tmp/decade
    python bench/derive_bench.py [/tmp/decade] [--timezone Europe/London] [--repeat 3]

Loading the exports is not timed (bench/records_bench.py measures the importers). The
timed passes run without tracemalloc and report wall time and this process's CPU time
(on a shared machine the wall time counts the other processes' turns too; the CPU time is
what the tables cost); a last pass measures peak memory per table with tracemalloc on
(slower, so its times are not reported).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import auditor.packs.loader  # noqa: F401 - run_audit loads packs (and these modules) before deriving
from auditor.dataset import load_dataset
from auditor.engine.context import AuditData

ORDER = ("payments", "recurring", "income", "cashflow", "stays", "places", "nights")


def build_all(frames: dict[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None,
              trace_memory: bool) -> list[tuple[str, float, float, float, int]]:
    """(table, wall s, CPU s, peak MB, rows) per table, in dependency order, on a fresh AuditData."""
    data = AuditData(frames, now=now, timezone=timezone)
    view = data.view()
    out = []
    for name in ORDER:
        if trace_memory:
            tracemalloc.start()
        start, cpu = time.perf_counter(), time.process_time()
        table = view.table(name)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        peak = 0.0
        if trace_memory:
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
        out.append((name, seconds, cpu, peak, 0 if table is None else len(table)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="/tmp/decade", type=Path)
    parser.add_argument("--timezone", default=None, help="default: the persona's truth.json, else UTC")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"{args.folder} is not a folder; generate it with: python -m auditor samples generate "
              f"--persona decade --output {args.folder}", file=sys.stderr)
        return 2
    timezone = args.timezone
    truth = args.folder / "truth.json"
    if timezone is None and truth.is_file():
        timezone = json.loads(truth.read_text()).get("timezone")
    start = time.perf_counter()
    dataset = load_dataset([args.folder])
    print(f"loaded {args.folder} in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{len(f):,} {k}" for k, f in dataset.frames.items() if len(f)))
    ends = [f[c].max() for k, f in dataset.frames.items() for c in ("time", "end") if c in f and len(f)]
    now = max(ends) + pd.Timedelta(days=1)
    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    rows: dict[str, int] = {}
    for _ in range(args.repeat):
        for name, seconds, cpu, _, count in build_all(dataset.frames, now, timezone, trace_memory=False):
            best[name] = min(best.get(name, float("inf")), seconds)
            best_cpu[name] = min(best_cpu.get(name, float("inf")), cpu)
            rows[name] = count
    peaks = {name: peak for name, _, _, peak, _ in build_all(dataset.frames, now, timezone, trace_memory=True)}
    print(f"{'table':<10} {'rows':>10} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for name in ORDER:
        print(f"{name:<10} {rows[name]:>10,} {best[name]:>8.3f} {best_cpu[name]:>8.3f} {peaks[name]:>8.1f}")
    print(f"{'total':<10} {'':>10} {sum(best.values()):>8.3f} {sum(best_cpu.values()):>8.3f}   (target: < 2 s)")
    # where the export has no visits (Records.json, GPX, OwnTracks only), every fix goes
    # through stay-point detection: the heaviest case for the location tables
    points_only = {**dataset.frames, "visits": dataset.frames["visits"].iloc[0:0]}
    runs = [build_all(points_only, now, timezone, trace_memory=False) for _ in range(args.repeat)]
    print("without the export's visits (stay points detected in every fix):")
    for name in ("stays", "places", "nights"):
        wall = min(r[1] for run in runs for r in run if r[0] == name)
        cpu = min(r[2] for run in runs for r in run if r[0] == name)
        count = runs[0][ORDER.index(name)][4]
        print(f"{name:<10} {count:>10,} {wall:>8.3f} {cpu:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
