"""End-to-end benchmark: the decade persona through the whole audit, stage by stage. Run by hand.

    /work/venv/bin/python bench/e2e_bench.py              # table + bench/results/e2e-<date>.json
    /work/venv/bin/python bench/e2e_bench.py --profile    # also pyinstrument's top entries
    /work/venv/bin/python bench/e2e_bench.py --quick      # stages and scans only, no floors

The persona (3.2M Records.json points in a Takeout zip, 120 Semantic Location History months,
50k Monzo transactions, an Uber export) is generated once into ``bench/data/decade`` (git
ignores it) with ``auditor samples generate --persona decade``. Every measurement runs in a
fresh process (wall and CPU seconds, and the peak RSS of that process):

* floors, on the same Records.json, in the same run: inflating it from the zip; reading the
  extracted file; the fastest decode measured (msgspec typed structs in blocks, no checks, no
  frame: ``records_bench.py``'s floor); google_takeout_parser's location parser;
* ``auditor`` importing that Records.json alone (the extracted file, then from the zip);
* the pipeline stage by stage in one process: find and sniff, import per importer, merge,
  each derived table (built on first use, so a table that reads another is timed without it),
  load packs, evaluate each pack, score, ablation, and each report format. Memory per stage is
  the process's peak RSS so far (it only grows) and its current RSS after the stage;
* ``auditor scan DECADE --format json`` as a user runs it (through ``auditor.launch``, the
  command's entry point): without the cache (cold), filling the cache, and from the cache.

The machine is shared and noisy: compare ratios within one run, and CPU seconds when the
load average is high (it is recorded with the results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "results"
DECADE = DATA / "decade"
EXTRACTED = DATA / "decade-records" / "Records.json"
CACHE = DATA / "e2e-cache"
RECORDS_MEMBER = "Takeout/Location History (Timeline)/Records.json"
BLOCK = 8 * 1024 * 1024

# Targets of issue 10 (2-core, 24 GB machine).
TARGETS = {
    "records_s": 3.0,
    "records_rss_mb": 768,
    "records_vs_takeout_parser": 6.0,
    "scan_cold_s": 10.0,
    "scan_cached_s": 3.0,
}


# --- The data ----------------------------------------------------------------------------


def ensure_data() -> None:
    """Generate the decade persona and extract its Records.json, once."""
    if not (DECADE / "truth.json").exists():
        print("generating the decade persona (about 15 s)...", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "auditor", "samples", "generate", "--persona", "decade", "--output", str(DECADE)],
            check=True, cwd=REPO,
        )  # fmt: skip
    if not EXTRACTED.exists():
        EXTRACTED.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(_takeout()) as archive, archive.open(RECORDS_MEMBER) as member, open(EXTRACTED, "wb") as out:
            shutil.copyfileobj(member, out, BLOCK)


def _takeout() -> Path:
    return next(DECADE.glob("takeout-*.zip"))


# --- Measurements (each runs in its own process) -------------------------------------------


def _rss_now_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_floor_inflate() -> dict:
    total = 0
    with zipfile.ZipFile(_takeout()) as archive, archive.open(RECORDS_MEMBER) as member:
        while block := member.read(BLOCK):
            total += len(block)
    return {"bytes": total}


def run_floor_read() -> dict:
    total = 0
    with open(EXTRACTED, "rb") as handle:
        while block := handle.read(BLOCK):
            total += len(block)
    return {"bytes": total}


def run_floor_decode() -> dict:
    sys.path.insert(0, str(HERE))
    import records_bench

    return {"rows": records_bench.run_floor_msgspec_chunked(EXTRACTED, legacy=False)}


def run_google_takeout_parser() -> dict:
    sys.path.insert(0, str(HERE))
    import records_bench

    return {"rows": records_bench.run_google_takeout_parser(EXTRACTED, legacy=False)}


def _import_records(ref) -> dict:
    from auditor.dataset import import_file
    from auditor.registry import by_id

    frames, report = import_file(ref, by_id("google-records"))
    if report.error:
        raise SystemExit(f"auditor: {report.error}")
    return {"rows": len(frames["points"])}


def run_auditor_records_file() -> dict:
    from auditor.importers.base import FileRef

    return _import_records(FileRef(EXTRACTED, (), EXTRACTED.stat().st_size))


def run_auditor_records_zip() -> dict:
    from auditor.importers.base import FileRef

    return _import_records(FileRef(_takeout(), (RECORDS_MEMBER,), 0))


def run_scan(*flags: str) -> dict:
    import contextlib
    import io

    # as the ``auditor`` command runs it: auditor.launch decides, and starts the loading
    # workers before the CLI imports pandas (a cold scan of large exports)
    from auditor.launch import main

    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        code = main(["scan", str(DECADE), "--format", "json", *flags])
    if code != 0:
        raise SystemExit(f"auditor scan exited {code}")
    return {"output_bytes": len(sink.getvalue())}


def run_scan_cold() -> dict:
    return run_scan("--no-cache")


def run_scan_fill_cache() -> dict:
    os.environ["AUDITOR_CACHE_DIR"] = str(CACHE)
    return run_scan("--cache")


def run_scan_cached() -> dict:
    os.environ["AUDITOR_CACHE_DIR"] = str(CACHE)
    return run_scan("--cache")


def run_stages(cached: bool = False) -> dict:
    """The pipeline of ``run_audit``, step by step, with time and memory after each step."""
    stages: list[dict] = []
    wall, cpu = time.perf_counter(), time.process_time()

    def done(name: str, **extra) -> None:
        nonlocal wall, cpu
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        stages.append({"stage": name, "wall_s": now_wall - wall, "cpu_s": now_cpu - cpu,
                       "rss_mb": _rss_now_mb(), "peak_rss_mb": _peak_mb(), **extra})  # fmt: skip
        wall, cpu = time.perf_counter(), time.process_time()

    from auditor import audit_cache, model, reports
    from auditor.cache import ParseCache
    from auditor.dataset import Dataset, import_batch, merge_kind
    from auditor.engine import derived
    from auditor.engine.compile import evaluate_pack
    from auditor.engine.context import AuditData
    from auditor.packs.loader import resolve_packs
    from auditor.pipeline import AuditResult, PackResult, _clock
    from auditor.scoring import ablate, score_pack
    from auditor.sources import claim, discover
    from auditor.timezones import choose_zone

    done("python imports")
    store = None
    if cached:
        # as run_audit does with --cache: the whole-audit entry (merged frames, derived tables)
        os.environ["AUDITOR_CACHE_DIR"] = str(CACHE)
        parse_cache = ParseCache()
        dataset = audit_cache.load_dataset([DECADE], parse_cache)
        done("load from the cache (find, read merged frames)")
    else:
        found = discover([DECADE])
        claims, unclaimed = claim(found.files)
        done("find and sniff", files=len(claims))
        per_kind: dict[str, list] = {kind: [] for kind in model.KIND_NAMES}
        reports_read = []
        by_importer: dict[str, list] = {}
        for item in claims:
            by_importer.setdefault(item.importer.id, []).append(item)
        for importer_id, items in by_importer.items():
            rows = 0
            # as load_dataset reads them in one process (month files together), without its workers
            parts, batch_reports = import_batch([item.ref for item in items], items[0].importer)
            reports_read.extend(batch_reports)
            for frames in parts:
                for kind, frame in frames.items():
                    if len(frame):
                        per_kind[kind].append(frame)
                        rows += len(frame)
            done(f"import {importer_id}", files=len(items), rows=rows)
        merged, duplicates = {}, []
        for kind, parts in per_kind.items():
            merged[kind], dropped = merge_kind(kind, parts)
            duplicates.extend(dropped)
        done("merge", rows=sum(len(f) for f in merged.values()))
        dataset = Dataset(merged, reports_read, found.unclaimed + unclaimed, duplicates)
    loaded, unknown = resolve_packs(None)
    done("load packs", packs=len(loaded))
    clock = _clock(None, dataset)
    local = choose_zone(None, dataset.frames)  # as run_audit: the zone the exports' offsets show
    done(f"time zone ({local.zone or 'UTC'})")
    if cached:
        store = audit_cache.DerivedStore.for_audit(parse_cache, clock, local.zone)
    data = AuditData(dataset.frames, now=clock, timezone=local.zone, store=store)
    for name in derived.table_names():
        table = data.view().table(name)
        done(f"derive {name}", rows=0 if table is None else len(table))
    results = []
    for pack in loaded:
        if not pack.ok:
            continue
        findings = evaluate_pack(pack.compiled, data.view())
        done(f"evaluate {pack.pack.id}", rules=len(findings))
        score = score_pack(pack.pack, findings)
        done(f"score {pack.pack.id}")
        effects = ablate(pack.compiled, data, score)
        done(f"ablation {pack.pack.id}", sources=len(effects))
        results.append(PackResult(pack, findings, score, effects))
    result = AuditResult(dataset, data, clock, local.zone, results, [p for p in loaded if not p.ok], unknown, local.basis)
    for fmt in reports.FORMATS:
        text = reports.render(result, fmt)
        done(f"report {fmt}", bytes=len(text))
    return {"stages": stages}


def run_stages_cached() -> dict:
    return run_stages(cached=True)


def measure(name: str) -> dict:
    sys.path.insert(0, str(REPO))
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    extra = globals()[f"run_{name}"]()
    wall = time.perf_counter() - started_wall
    # Loading reads files in worker processes (auditor.dataset.read_claims, google-records'
    # pieces), and run_audit keeps them for derived tables: their CPU counts too. Only
    # processes that ended and were waited for are counted, so the pool's are waited for
    # here (they wind down after the audit returns; the wall time is taken before).
    import multiprocessing

    for child in multiprocessing.active_children():
        child.join(timeout=60)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    children_cpu = children.ru_utime + children.ru_stime
    return {"wall_s": wall, "cpu_s": time.process_time() - started_cpu + children_cpu,
            "workers_cpu_s": children_cpu, "peak_rss_mb": _peak_mb(), **extra}  # fmt: skip


def in_child(name: str) -> dict:
    """Run one measurement in a fresh interpreter, which reports its own peak RSS."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, "--measure", name], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    out, err = child.communicate()
    process_s = time.perf_counter() - started
    if child.returncode != 0:
        return {"name": name, "error": (err.strip().splitlines() or ["no output"])[-1], "process_s": process_s}
    result = json.loads(out.strip().splitlines()[-1])
    result.update(name=name, process_s=process_s)
    print(f"  {name}: {process_s:.2f} s", file=sys.stderr)
    return result


# --- Profile ---------------------------------------------------------------------------------


def profile(top: int = 40) -> str:
    """pyinstrument over one cold scan; the top of its call tree as text."""
    from pyinstrument import Profiler

    sys.path.insert(0, str(REPO))
    profiler = Profiler(interval=0.005)
    profiler.start()
    run_scan("--no-cache")
    profiler.stop()
    text = profiler.output_text(color=False, unicode=False, show_all=False)
    return "\n".join(text.splitlines()[:top])


# --- The driver ---------------------------------------------------------------------------------


FLOORS = ("floor_inflate", "floor_read", "floor_decode", "auditor_records_file", "auditor_records_zip",
          "google_takeout_parser")  # fmt: skip
SCANS = ("scan_cold", "scan_fill_cache", "scan_cached")


def print_table(results: dict) -> None:
    floors = results.get("floors", {})
    if floors:
        size = EXTRACTED.stat().st_size / 2**20
        print(f"\nRecords.json of the decade persona: {size:,.0f} MB, {floors.get('floor_decode', {}).get('rows', 0):,} points")
        print(f"{'method':<28}{'wall s':>9}{'cpu s':>9}{'peak RSS MB':>13}{'x decode floor':>16}")
        floor = floors.get("floor_decode", {}).get("wall_s")
        for name, entry in floors.items():
            if "error" in entry:
                print(f"{name:<28}  failed: {entry['error']}")
                continue
            ratio = f"{entry['wall_s'] / floor:.2f}" if floor else "-"
            print(f"{name:<28}{entry['wall_s']:>9.2f}{entry['cpu_s']:>9.2f}{entry['peak_rss_mb']:>13,.0f}{ratio:>16}")
    for label, key in (("cold", "stages_cold"), ("from the cache", "stages_cached")):
        entry = results.get(key)
        if not entry:
            continue
        if "error" in entry:
            print(f"\nstages ({label}) failed: {entry['error']}")
            continue
        print(f"\nPipeline stages, {label} (one process; RSS after the stage, peak so far)")
        print(f"{'stage':<44}{'wall s':>9}{'cpu s':>9}{'RSS MB':>9}{'peak MB':>9}  detail")
        for stage in entry["stages"]:
            detail = ", ".join(f"{k} {v:,}" for k, v in stage.items()
                               if k not in ("stage", "wall_s", "cpu_s", "rss_mb", "peak_rss_mb"))  # fmt: skip
            print(f"{stage['stage']:<44}{stage['wall_s']:>9.2f}{stage['cpu_s']:>9.2f}{stage['rss_mb']:>9,.0f}"
                  f"{stage['peak_rss_mb']:>9,.0f}  {detail}")  # fmt: skip
        print(f"{'total':<44}{sum(s['wall_s'] for s in entry['stages']):>9.2f}{sum(s['cpu_s'] for s in entry['stages']):>9.2f}")
    scans = results.get("scans", {})
    if scans:
        print(f"\nauditor scan {DECADE.relative_to(REPO)} --format json (whole process)")
        print(f"{'run':<28}{'wall s':>9}{'cpu s':>9}{'of it workers':>15}{'peak RSS MB':>13}")
        for name, entry in scans.items():
            if "error" in entry:
                print(f"{name:<28}  failed: {entry['error']}")
            else:
                print(f"{name:<28}{entry['process_s']:>9.2f}{entry['cpu_s']:>9.2f}{entry.get('workers_cpu_s', 0):>15.2f}"
                      f"{entry['peak_rss_mb']:>13,.0f}")  # fmt: skip
    print("\nTargets (issue 10):")
    for line in verdicts(results):
        print(f"  {line}")


def verdicts(results: dict) -> list[str]:
    """Each target met or missed, with the figure measured."""
    lines = []
    floors, scans = results.get("floors", {}), results.get("scans", {})
    records = floors.get("auditor_records_file", {})
    if "wall_s" in records:
        lines.append(f"Records.json to points <= {TARGETS['records_s']} s: "
                     f"{'met' if records['wall_s'] <= TARGETS['records_s'] else 'MISSED'} ({records['wall_s']:.2f} s)")  # fmt: skip
        lines.append(f"peak RSS <= {TARGETS['records_rss_mb']} MB: "
                     f"{'met' if records['peak_rss_mb'] <= TARGETS['records_rss_mb'] else 'MISSED'} ({records['peak_rss_mb']:,.0f} MB)")  # fmt: skip
        reference = floors.get("google_takeout_parser", {})
        if "wall_s" in reference:
            speedup = reference["wall_s"] / records["wall_s"]
            lines.append(f">= {TARGETS['records_vs_takeout_parser']:.0f}x faster than google_takeout_parser: "
                         f"{'met' if speedup >= TARGETS['records_vs_takeout_parser'] else 'MISSED'} ({speedup:.1f}x)")  # fmt: skip
    for name, target in (("scan_cold", "scan_cold_s"), ("scan_cached", "scan_cached_s")):
        entry = scans.get(name, {})
        if "process_s" in entry:
            lines.append(f"{name} <= {TARGETS[target]} s: {'met' if entry['process_s'] <= TARGETS[target] else 'MISSED'} "
                         f"({entry['process_s']:.2f} s wall, {entry['cpu_s']:.2f} s CPU)")  # fmt: skip
    return lines


def machine() -> dict:
    model_name = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                model_name = line.split(":", 1)[1].strip()
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpus": os.cpu_count(), "cpu_model": model_name, "memory_gb": round(memory, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": os.getloadavg()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="End-to-end benchmark on the decade persona (see the docstring)")
    parser.add_argument("--quick", action="store_true", help="skip the floors and google_takeout_parser")
    parser.add_argument("--profile", action="store_true", help="also profile one cold scan with pyinstrument")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    ensure_data()
    results: dict = {"machine": machine(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "data": {"folder": str(DECADE.relative_to(REPO)),
                              "records_json_bytes": EXTRACTED.stat().st_size}}  # fmt: skip
    if not args.quick:
        results["floors"] = {name: in_child(name) for name in FLOORS}
    shutil.rmtree(CACHE, ignore_errors=True)
    results["stages_cold"] = in_child("stages")
    results["scans"] = {name: in_child(name) for name in SCANS}
    results["stages_cached"] = in_child("stages_cached")
    shutil.rmtree(CACHE, ignore_errors=True)
    if args.profile:
        results["profile_top"] = profile()
    results["verdicts"] = verdicts(results)
    results["machine"]["load_average_after"] = os.getloadavg()
    print_table(results)
    if args.profile:
        print("\npyinstrument, one cold scan (top of the call tree):\n" + results["profile_top"])
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"e2e-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
