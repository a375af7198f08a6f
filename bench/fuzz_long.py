"""The long fuzzing campaign, run by hand: N mutated inputs per importer, every failure kept.

The same mutations and the same judgement as tests/hardening/test_fuzz_importers.py, driven
by a seeded random generator instead of hypothesis: about ten times cheaper per input, and it
does not stop at the first failure but groups failures by where they came from and writes one
input of each group to --failures, to reproduce with the test's helpers.

    python bench/fuzz_long.py --examples 10000 --stats bench/out/fuzz.jsonl
    python bench/fuzz_long.py --examples 2000 --importer gpx --importer ofx

Prints one line per importer: inputs tried, refused with a message, rows kept, slowest input,
and the failures found (none, when the importer held).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "hardening"))

from mutations import BY_ID, RandomChooser, collect_seeds, mutate, run_mutant  # noqa: E402

SHARED = REPO.parent / "shared" / "fixtures"


def signature(problem: str) -> str:
    """Where a failure came from: the importer, the last auditor frame and the exception's type."""
    lines = [line.strip() for line in problem.splitlines() if line.strip()]
    frames = [line for line in lines if line.startswith('File "') and "/auditor/" in line]
    last = lines[-1].split(":")[0] if lines else ""
    return " | ".join(part for part in (lines[0][:80] if lines else "", frames[-1] if frames else "", last) if part)


def campaign(importer_id: str, seeds, examples: int, seed: int, failures: Path | None) -> dict:
    rng = random.Random(f"{seed}-{importer_id}")
    choose = RandomChooser(rng)
    stats: Counter = Counter()
    found: dict[str, int] = {}
    slowest = 0.0
    interrupted = False
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{importer_id}-") as work:
        for number in range(examples):
            if _stop_requested:
                interrupted = True
                break
            index = rng.randrange(len(seeds))
            chosen = seeds[index]
            mutant = mutate(chosen.data, choose)
            folder = Path(work) / str(index)
            folder.mkdir(exist_ok=True)
            started = time.perf_counter()
            outcome = run_mutant(folder / chosen.name, mutant, chosen.importer)
            slowest = max(slowest, time.perf_counter() - started)
            stats["inputs"] += 1
            stats["refused"] += outcome.refused
            stats["rows_kept"] += outcome.kept
            for problem in outcome.problems:
                key = signature(problem)
                found[key] = found.get(key, 0) + 1
                if failures is not None and found[key] == 1:
                    failures.mkdir(parents=True, exist_ok=True)
                    stem = f"{importer_id}-{len(found):02d}"
                    (failures / f"{stem}-{chosen.name}").write_bytes(mutant)
                    (failures / f"{stem}.txt").write_text(f"seed {chosen.origin}\n{problem}\n")
    return {"importer": importer_id, **stats, "slowest_s": round(slowest, 3), "failures": found,
            "interrupted": interrupted}  # fmt: skip


_stop_requested = False


def _request_stop(signum: int, frame: object) -> None:
    """SIGTERM finishes the input in hand and reports what was tried so far."""
    global _stop_requested
    _stop_requested = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "10000")))
    parser.add_argument("--importer", action="append", help="only these importers (repeatable)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--stats", type=Path, help="append one JSON line per importer here")
    parser.add_argument("--failures", type=Path, default=REPO / "bench" / "out" / "fuzz-failures")
    args = parser.parse_args()
    os.environ.pop("AUDITOR_STRICT", None)  # the user's path: unexpected errors become messages, which we judge
    seeds = collect_seeds([REPO / "tests" / "data", REPO / "sample_exports", SHARED])
    chosen = args.importer or sorted(BY_ID)
    missing = sorted(set(chosen) - set(seeds))
    if missing:
        print(f"no seed for {missing}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _request_stop)
    failed = 0
    for importer_id in chosen:
        if _stop_requested:
            break
        started = time.perf_counter()
        result = campaign(importer_id, seeds[importer_id], args.examples, args.seed, args.failures)
        result["seconds"] = round(time.perf_counter() - started, 1)
        failed += bool(result["failures"])
        print(f"{importer_id:22s} {result['inputs']:>7,} inputs  {result['refused']:>7,} refused  "
              f"{result['rows_kept']:>10,} rows kept  slowest {result['slowest_s']:.2f}s  "
              f"{result['seconds']:>7.1f}s  failures: {result['failures'] or 'none'}"
              f"{'  (stopped early)' if result['interrupted'] else ''}", flush=True)  # fmt: skip
        if args.stats:
            with open(args.stats, "a", encoding="utf-8") as out:
                out.write(json.dumps(result) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
