"""Reading in several processes gives exactly what one process gives (DESIGN.md invariant 5).

load_dataset sends the smaller files to worker processes and reads the large ones itself
when there is enough to read (auditor.dataset.read_claims); month files of a Takeout are
turned into frames together (Importer.assemble). The personas are far below the sizes that
start workers, so the thresholds are lowered here to force the pool on real exports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from auditor import dataset, workers
from auditor.dataset import import_batch, import_file, load_dataset
from auditor.importers.base import FileRef
from auditor.registry import by_id
from auditor.sources import claim, discover

REPO = Path(__file__).resolve().parent.parent
NURSE = REPO / "sample_exports" / "night-shift-nurse"
SEMANTIC = by_id("google-semantic")


def _assert_same(one, other) -> None:
    assert list(one.frames) == list(other.frames)
    for kind, frame in one.frames.items():
        pd.testing.assert_frame_equal(frame, other.frames[kind], check_exact=True, check_categorical=True)
    assert one.reports == other.reports
    assert one.unclaimed == other.unclaimed
    assert one.duplicates == other.duplicates


@pytest.fixture
def forced_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers for anything over a byte; files over 1 MB (the nurse's Records.json) stay in this process."""
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(workers, "MAIN_PROCESS_BYTES", 2**20)
    monkeypatch.setenv("AUDITOR_WORKERS", "3")  # two workers beside this process


def test_a_pool_gives_the_frames_reports_and_duplicates_of_one_process(forced_pool, monkeypatch, tmp_path):
    # The Takeout a second time (downloaded twice): every point overlaps, so duplicates are dropped.
    again = tmp_path / "takeout-again.zip"
    again.write_bytes(next(NURSE.glob("takeout-*.zip")).read_bytes())
    paths = [NURSE, again]
    claims, _ = claim(discover(paths).files)
    here, pooled, size = dataset._share(claims, workers.cpu_budget())
    # the case under test: both Records.json here, the rest (24 month files in batches) in two workers
    assert size == 2 and [t.refs[0].name for t in here] == ["Records.json", "Records.json"]
    assert sum(len(t.refs) for t in pooled if t.importer_id == "google-semantic") == 24
    assert len([t for t in pooled if t.importer_id == "google-semantic"]) == 2

    announced: list[str] = []
    pooled_run = load_dataset(paths, on_file=lambda item: announced.append(item.ref.display))
    assert sorted(announced) == sorted(item.ref.display for item in claims)  # every file, once

    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    assert dataset._share(claims, workers.cpu_budget())[1] == []
    single = load_dataset(paths)
    _assert_same(pooled_run, single)
    assert len(single.frames["points"]) > 10_000 and len(single.duplicates) >= 3  # real data, real overlaps


def test_cancelling_from_the_progress_callback_stops_the_load_and_its_workers(forced_pool, monkeypatch):
    class Cancelled(Exception):
        pass

    # The processes the load stops, seen as it stops them: looked for afterwards, they may
    # already have been reaped (multiprocessing.active_children() was empty once in CI).
    stopped: list = []
    stop = workers.stop

    def recording_stop(executor) -> None:
        stopped.extend((getattr(executor, "_processes", None) or {}).values())
        stop(executor)

    monkeypatch.setattr(workers, "stop", recording_stop)

    seen: list[str] = []

    def cancel(item) -> None:
        seen.append(item.ref.display)
        raise Cancelled  # at the first file: the workers have barely started theirs

    with pytest.raises(Cancelled):
        load_dataset([NURSE], on_file=cancel)
    assert len(seen) == 1
    # the workers are stopped (SIGTERM), not left to finish files nobody will read
    started = stopped
    assert started
    # Polled, not joined: the pool's own thread may close a process's sentinel while it shuts
    # down, and join() then returns before the process has ended (exitcode None).
    deadline = time.monotonic() + 60
    while any(process.exitcode is None for process in started) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [process.exitcode for process in started] == [-signal.SIGTERM] * len(started)


def _probe() -> tuple[bool, int]:
    """Run inside a worker: is the offline guard installed, and what budget does a worker get?"""
    return bool(getattr(socket, "_auditor_offline_guard", False)), workers.cpu_budget()


def test_workers_keep_the_offline_guard_and_do_not_start_pools_of_their_own():
    with dataset.start_pool(1) as pool:
        guarded, budget = pool.submit(_probe).result(timeout=120)
    assert guarded, "a worker started without the test suite's offline guard (sitecustomize)"
    assert budget == 1


def test_a_script_without_a_main_guard_reads_in_one_process(tmp_path: Path):
    # A spawned worker imports the main script again: one without `if __name__ == "__main__":`
    # would run again in every worker, so load_dataset stays in its own process.
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from auditor import dataset, workers\n"
        "workers.POOL_MIN_BYTES = 1\n"
        f"data = dataset.load_dataset([Path({str(NURSE)!r})])\n"
        "print(len(data.frames['points']), resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime)\n"
    )
    env = {**os.environ, "AUDITOR_WORKERS": "2"}
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    points, child_seconds = result.stdout.split()
    assert int(points) > 10_000 and float(child_seconds) == 0.0
    assert "bootstrapping phase" not in result.stderr


def _semantic_months(shared: Path) -> list[FileRef]:
    found = discover([REPO / "tests" / "data" / "google-semantic", shared / "google_semantic"])
    return [item.ref for item in claim(found.files)[0] if item.importer is SEMANTIC]


def test_month_files_read_together_equal_each_read_alone(shared_fixtures: Path):
    # Real files in every spelling (ISO, epoch seconds and milliseconds, *Ms keys, a BOM, a
    # malformed month): times that are not all "...Z" are read file by file inside the batch.
    refs = _semantic_months(shared_fixtures)
    assert len(refs) >= 15
    alone = [import_file(ref, SEMANTIC) for ref in refs]
    parts, reports = import_batch(refs, SEMANTIC)
    assert len(parts) == 1  # one set of frames for all of them
    assert reports == [report for _, report in alone]
    assert any(report.skipped for report in reports)
    for kind in ("visits", "activities", "points"):
        expected = dataset._concat([frames[kind] for frames, _ in alone if len(frames.get(kind, ()))])
        got = dataset._concat([parts[0][kind]])
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_categorical=True)


def test_a_month_that_cannot_be_decoded_keeps_its_message_and_the_others_their_rows(
    tmp_path: Path, shared_fixtures: Path
):
    broken = tmp_path / "2021_OCTOBER.json"
    broken.write_text('{"timelineObjects": [{"placeVisit": ')  # cut off mid-file
    refs = [*_semantic_months(shared_fixtures)[:3], FileRef(broken, (), broken.stat().st_size)]
    parts, reports = import_batch(refs, SEMANTIC)
    alone = [import_file(ref, SEMANTIC)[1] for ref in refs]
    assert reports == alone
    assert reports[-1].error and "JSON" in reports[-1].error and not reports[-1].kinds
    assert sum(len(parts[0][kind]) for kind in parts[0]) == sum(r.kept_total for r in reports[:-1]) > 0


def test_a_pool_starts_when_stderr_is_the_terminal_apps_capture(tmp_path):
    """In the app, sys.stderr is Textual's capture, whose fileno() is -1: the pool must still start.

    Run in a fresh Python: multiprocessing's resource tracker is started once per process, and
    it is what handed that -1 to the new process ("bad value(s) in fds_to_keep").
    """
    script = tmp_path / "load_in_app.py"
    script.write_text(
        "import io, sys\n"
        "from pathlib import Path\n"
        "from auditor import dataset, workers\n"
        "class Captured(io.StringIO):\n"
        "    def fileno(self):\n"
        "        return -1  # as textual.app's capture of print output\n"
        "if __name__ == '__main__':\n"
        "    workers.POOL_MIN_BYTES, workers.MAIN_PROCESS_BYTES = 1, 2**20\n"
        "    real, sys.stderr = sys.stderr, Captured()\n"
        f"    loaded = dataset.load_dataset([Path({str(NURSE)!r})])\n"
        "    sys.stderr = real\n"
        "    print(len(loaded.frames['points']), sum(1 for r in loaded.reports if r.error))\n",
        encoding="utf-8",
    )
    env = {**os.environ, "AUDITOR_WORKERS": "3", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    points, errors = (int(v) for v in done.stdout.split())
    assert points > 10_000 and errors == 0


def test_workers_started_early_are_the_ones_the_load_uses(forced_pool, monkeypatch):
    """auditor.launch starts the loading workers before the CLI imports pandas, from the sizes the
    paths show (zip members included); the load takes them instead of starting its own, and reads
    what one process reads. A pool of another size than the load wants is shut down, not used."""
    monkeypatch.setattr(workers, "POOL_MIN_BYTES", 1)
    monkeypatch.setattr(workers, "MAIN_PROCESS_BYTES", 2**20)
    large, small = workers._sizes([NURSE])
    assert large  # Records.json, a member of the nurse's Takeout zip, is over 1 MB
    assert small == sum(ref.size for ref in discover([NURSE]).files if ref.size < 2**20)
    started: list[int] = []
    monkeypatch.setattr(dataset, "start_pool", lambda size: started.append(size))
    assert workers.start_early([NURSE]) and not workers.start_early([NURSE])  # one early pool at most
    early = workers._early[0]
    pooled_run = load_dataset([NURSE])
    assert started == [] and workers._early is None  # the early pool was taken: no second pool
    assert early._shutdown_thread  # and shut down by the load when done
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    _assert_same(pooled_run, load_dataset([NURSE]))

    monkeypatch.setenv("AUDITOR_WORKERS", "3")
    assert workers.start_early([NURSE])
    other = workers._early[0]
    warming = list(other._processes.values())
    assert len(warming) == 2
    assert workers.take_early(1) is None and other._shutdown_thread  # 2 started, 1 wanted: stopped
    deadline = time.monotonic() + 60
    while any(process.exitcode is None for process in warming) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [process.exitcode for process in warming] == [-signal.SIGTERM] * 2  # at once, not at exit
    monkeypatch.setenv("AUDITOR_WORKERS", "1")
    assert not workers.start_early([NURSE])  # one process: no pool, early or late


def test_the_early_size_guess_never_opens_a_pipe(tmp_path):
    """A named pipe among the exports is left to discover() (which lists it, unread): opening it
    to guess sizes before the CLI starts would wait for a writer forever."""
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "statement.csv").write_bytes(b"Date,Amount\n2024-01-02,-3.50\n")
    guessed: list[tuple[bool, int]] = []
    guessing = threading.Thread(target=lambda: guessed.append(workers._sizes([tmp_path])), daemon=True)
    guessing.start()
    guessing.join(timeout=30)
    assert guessed == [(False, (tmp_path / "statement.csv").stat().st_size)]


def test_the_command_line_starts_loading_workers_only_for_a_cold_read(monkeypatch):
    from auditor import launch

    calls: list[list[Path]] = []
    monkeypatch.setattr(workers, "start_early", lambda paths: calls.append(list(paths)))
    monkeypatch.delenv("AUDITOR_CACHE", raising=False)
    launch._start_loading_workers(["scan", str(NURSE), "--format", "json"])
    launch._start_loading_workers([str(NURSE), "--no-tui"])  # bare auditor PATH: the sources inventory
    launch._start_loading_workers(["report", str(NURSE), "--format", "html", "-o", "out.html"])
    assert calls == [[NURSE]] * 3
    for argv in (["scan", str(NURSE), "--cache"], ["rules", "lint", str(REPO / "rules")], ["scan"], ["scan", "--help"]):
        launch._start_loading_workers(argv)
    monkeypatch.setenv("AUDITOR_CACHE", "1")
    launch._start_loading_workers(["scan", str(NURSE)])
    assert len(calls) == 3
    launch._start_loading_workers(["scan", str(NURSE), "--no-cache"])
    assert len(calls) == 4
