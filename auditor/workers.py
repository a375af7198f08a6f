"""How many processes a stage of the audit may use, and the loading pool started early.

Two stages want the machine's cores: loading several export files at once, and decoding one
very large file (a decade of Records.json) in pieces. They must not multiply: a file decoded
inside a loading worker gets one process, not a second pool of its own. Everything that starts
processes asks ``cpu_budget()`` first, and a worker process calls ``mark_worker()`` as it starts.

``AUDITOR_WORKERS=1`` turns every pool off (debugging, profiling, a test that wants one
process); results never depend on the number of workers, only the time does.

This module imports the standard library only: :func:`start_early` runs before the command
line imports pandas (``auditor.launch``), so that a loading worker starts (its own Python,
pandas and the importers: ~0.75 s of CPU) on the core that is idle while this process
imports, instead of on a core that the large file's decoding wants later.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import stat
import sys
import zipfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

_inside_worker = False

# A file this large (a decade of Records.json) is read by the main process, which passes the
# whole CPU budget to an importer that splits one file across cores; the smaller files go to
# the worker processes meanwhile.
MAIN_PROCESS_BYTES = 128 * 2**20
# A worker process costs ~0.75 s of CPU to start (Python, pandas, the importers), on another
# core: below this many bytes for workers to read everything stays in one process, so the
# sample personas (~2 MB) never pay for it. The decade persona's small files (120 month
# files, a bank statement, an Uber export) are ~33 MB and ~4 s of CPU.
POOL_MIN_BYTES = 16 * 2**20
# "spawn" rather than fork: the app calls run_audit from a worker thread, and fork() copies a
# threaded process's locks mid-flight. Unlike "forkserver" it does not make the first task
# wait while a server process imports pandas, and each worker sees the environment of its
# moment (AUDITOR_STRICT, the test suite's offline guard).
START_METHOD = "spawn"


def mark_worker() -> None:
    """Say that this process is already one of a pool's workers (call it from the pool's initializer)."""
    global _inside_worker
    _inside_worker = True


def cpu_budget() -> int:
    """Processes this stage may use: 1 inside a worker, else AUDITOR_WORKERS or the usable cores."""
    if _inside_worker:
        return 1
    configured = os.environ.get("AUDITOR_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def pool_size(large_files: bool, small_bytes: int, budget: int) -> int:
    """Loading workers for files this size (0: read everything in this process).

    The large files use the whole budget in this process (they may split themselves across
    cores); the workers take the other cores meanwhile, and all of them when nothing is large.
    """
    if budget < 2 or small_bytes < POOL_MIN_BYTES or not main_module_is_guarded():
        return 0
    return max(1, budget - 1) if large_files else budget


def pool_worker_started() -> None:
    """The loading pool's initializer: each worker knows it is one (one process per file inside)."""
    mark_worker()
    # Ctrl-C reaches every process of the terminal's group: the main process stops the load
    # (and drops what is queued); a worker would only add its own traceback to the screen.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def new_pool(size: int) -> ProcessPoolExecutor:
    """A pool of ``size`` loading workers; processes start as tasks are submitted."""
    import multiprocessing

    _start_resource_tracker()
    return ProcessPoolExecutor(size, mp_context=multiprocessing.get_context(START_METHOD),
                               initializer=pool_worker_started)  # fmt: skip


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr to hand to it.

    The tracker is started with the file descriptor of ``sys.stderr``; inside the terminal app
    ``sys.stderr`` is Textual's capture, whose descriptor is -1, and starting the pool failed
    with "bad value(s) in fds_to_keep" (the decade persona in the app). The process's own
    stderr is what a tracker should write to anyway.
    """
    from multiprocessing import resource_tracker

    try:
        if sys.stderr.fileno() >= 0:
            return  # a real stream: the tracker starts on its own when the pool needs it
    except (AttributeError, OSError, ValueError):
        pass
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


# --- The loading pool, kept for the rest of the audit ----------------------------------------

_kept: ContextVar[list[ProcessPoolExecutor] | None] = ContextVar("auditor_kept_pool", default=None)


@contextmanager
def keep_pool() -> Iterator[list[ProcessPoolExecutor]]:
    """Inside, a load hands its workers over (:func:`hand_over`) instead of shutting them down.

    Yields the list they are handed to: the audit gives them work that does not need the
    large file (see :mod:`auditor.engine.elsewhere`) while this process does what does. They
    are shut down on the way out.
    """
    kept: list[ProcessPoolExecutor] = []
    token = _kept.set(kept)
    try:
        yield kept
    finally:
        _kept.reset(token)
        release(kept)


def release(kept: list[ProcessPoolExecutor]) -> None:
    """Shut down kept pools without waiting (idle workers end while this process goes on)."""
    for pool in kept:
        pool.shutdown(wait=False, cancel_futures=True)
    kept.clear()


def hand_over(pool: ProcessPoolExecutor) -> bool:
    """Give a loading pool to the :func:`keep_pool` around this call; False when there is none."""
    kept = _kept.get()
    if kept is None:
        return False
    kept.append(pool)
    return True


# --- The loading pool, started before this process imports pandas ---------------------------

_early: tuple[ProcessPoolExecutor, int] | None = None


def start_early(paths: Iterable[Path]) -> bool:
    """Start the loading workers now when the exports at ``paths`` will want them; whether it did.

    The sizes are read as :func:`auditor.sources.discover` will find them (files in folders,
    members of zip archives), cheaply and without reading any content. The guess only decides
    when the workers start: :func:`take_early` hands them to the load that wants that many,
    and any other pool is shut down, so results never depend on it.
    """
    global _early
    budget = cpu_budget()
    if _early is not None or budget < 2:
        return False  # one early pool at most; and one core (AUDITOR_WORKERS=1) needs no walk
    large, small = _sizes(paths)
    size = pool_size(large, small, budget)
    if not size:
        return False
    pool = new_pool(size)
    for _ in range(size):
        # each task starts a worker, which imports pandas and the importers while this
        # process imports its own; a file handed to it later starts at once
        pool.submit(_warm_up)
    _early = (pool, size)
    atexit.register(discard_early)
    return True


def take_early(size: int) -> ProcessPoolExecutor | None:
    """The pool :func:`start_early` started, when it has ``size`` workers (it is then the caller's).

    A pool of another size is shut down: taking it would use more processes than the budget.
    """
    global _early
    if _early is not None and _early[1] == size:
        pool, _early = _early[0], None
        return pool
    discard_early()
    return None


def discard_early() -> None:
    """Stop a pool started early and never taken (the load wanted none, or another size).

    Its workers have read nothing (they only imported), so they are stopped at once rather
    than waited for at exit.
    """
    global _early
    if _early is not None:
        stop(_early[0])
        _early[0].shutdown(wait=False, cancel_futures=True)
        _early = None


def stop(pool: ProcessPoolExecutor) -> None:
    """Terminate a pool's worker processes now (they only ever read, so nothing is lost)."""
    # Python 3.14 has ProcessPoolExecutor.terminate_workers(); before it, the processes are
    # reachable only through the executor's own table.
    terminate = getattr(pool, "terminate_workers", None)
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _warm_up() -> None:
    import auditor.dataset  # noqa: F401 - what a worker imports before its first file, done now


def _sizes(paths: Iterable[Path]) -> tuple[bool, int]:
    """Whether any file (or zip member) is large, and the bytes of the others."""
    large, small = False, 0
    for path in paths:
        for size in _file_sizes(Path(path)):
            if size >= MAIN_PROCESS_BYTES:
                large = True
            else:
                small += size
    return large, small


def _file_sizes(path: Path) -> Iterable[int]:
    try:
        if path.is_dir():
            for folder, _, names in os.walk(path):
                for name in names:
                    yield from _file_sizes(Path(folder) / name)
            return
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            return  # a pipe or device: opening it could block (discover() lists it, unread)
        # a zip by its first bytes, as discover() decides (zipfile.is_zipfile would read up to
        # 64 KB from the end of every other file)
        with open(path, "rb") as handle:
            if handle.read(4) not in _ZIP_MAGIC:
                yield status.st_size
                return
        with zipfile.ZipFile(path) as archive:
            yield from (info.file_size for info in archive.infolist() if not info.is_dir())
    except (OSError, zipfile.BadZipFile, ValueError):
        return  # unreadable here: discover() says why, later; this is only a guess


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # as auditor.sources (which imports pandas) reads them


_MAIN_GUARD = re.compile(rb"""^if\s+__name__\s*==\s*["']__main__["']\s*:""", re.MULTILINE)


@cache
def main_module_is_guarded() -> bool:
    """Whether worker processes may start: a spawned worker imports this program's main module.

    ``python -m auditor``, the ``auditor`` command, pytest and an interactive session are
    safe; a script is safe when its work sits under ``if __name__ == "__main__":``. A script
    without that guard would run again, side effects and all, in every worker, so it gets one
    process (the results are the same).
    """
    main = sys.modules.get("__main__")
    spec = getattr(main, "__spec__", None)
    if spec is not None and (spec.name == "__main__" or spec.name.endswith(".__main__")):
        return True  # multiprocessing never imports a package's __main__ in its workers
    path = getattr(spec, "origin", None) or getattr(main, "__file__", None)
    if not path:
        return True  # an interactive session: nothing to run again
    try:
        return _MAIN_GUARD.search(Path(path).read_bytes()) is not None
    except OSError:
        return False
