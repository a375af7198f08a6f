"""Full-size hostile archives, run by hand: how long and how much memory each costs auditor.

Builds each bomb under bench/data/bombs/ (git ignores bench/data), then loads it in a child
process (so that peak memory is its own) and prints the time, the peak resident memory and
what auditor said about it. tests/hardening/test_archives.py holds the fast, small versions.

    python bench/archive_bombs.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "hardening"))

import bombs  # noqa: E402

OUT = REPO / "bench" / "data" / "bombs"
TRIPS = (REPO / "tests" / "data" / "uber" / "2023" / "trips_data-0.csv").read_bytes()
REAL = {"Uber Data/Rider/trips_data-0.csv": TRIPS}
CSV_HEADER = b"Date,Description,Amount,Balance\n"
CSV_LINE = b"01/02/2024,CARD PAYMENT TO TESCO STORES,-12.50,1000.00\n"

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from auditor.dataset import load_dataset
started = time.perf_counter()
dataset = load_dataset([Path(sys.argv[1])])
print(json.dumps({
    "seconds": round(time.perf_counter() - started, 2),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    "rows": dataset.rows_kept,
    "unclaimed": len(dataset.unclaimed),
    "said": sorted({u.why for u in dataset.unclaimed})[:2],
    "errors": sorted({r.error for r in dataset.reports if r.error})[:2],
}))
"""


def _csv_bomb(path: Path, size: int) -> Path:
    """A bank statement CSV of ``size`` bytes of one repeated line: claimed, then read in full."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("statement.csv", "w", force_zip64=True) as member:
            member.write(CSV_HEADER)
            block = CSV_LINE * (1024 * 1024 // len(CSV_LINE))
            for _ in range(size // len(block)):
                member.write(block)
    return path


def build() -> dict[str, Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    made = {
        "zeros 1 GB as Records.json": lambda p: bombs.zeros_bomb(p, "Takeout/Records.json", 1024**3),
        "zeros 400 MB as Records.json": lambda p: bombs.zeros_bomb(p, "Takeout/Records.json", 400 * 1024**2),
        "CSV 700 MB of one line": lambda p: _csv_bomb(p, 700 * 1024**2),
        "CSV 200 MB of one line": lambda p: _csv_bomb(p, 200 * 1024**2),
        "10,000 overlapping members": lambda p: bombs.overlapping_zip(p, TRIPS, 10_000),
        "100,000 tiny members": lambda p: bombs.many_members_zip(p, 99_990, REAL),
        "nested 20 deep": lambda p: bombs.nested_zip(p, 20, REAL),
    }
    paths = {}
    for label, make in made.items():
        path = OUT / (label.replace(" ", "-").replace(",", "") + ".zip")
        if not path.exists():
            started = time.perf_counter()
            make(path)
            print(f"built {path.name} ({path.stat().st_size:,} bytes) in {time.perf_counter() - started:.1f}s",
                  file=sys.stderr)  # fmt: skip
        paths[label] = path
    return paths


def main() -> int:
    for label, path in build().items():
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, cwd=REPO)
        if done.returncode != 0:
            print(f"{label:30s} FAILED: {done.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(done.stdout)
        print(f"{label:30s} {path.stat().st_size:>12,} bytes  {result['seconds']:>7.2f}s  peak {result['peak_mb']:>6,} MB  "
              f"rows {result['rows']:>9,}  said: {result['said'] or result['errors']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
