"""How many processes a stage of the audit may use.

Two stages want the machine's cores: loading several export files at once, and decoding one
very large file (a decade of Records.json) in pieces. They must not multiply: a file decoded
inside a loading worker gets one process, not a second pool of its own. Everything that starts
processes asks ``cpu_budget()`` first, and a worker process calls ``mark_worker()`` as it starts.

``AUDITOR_WORKERS=1`` turns every pool off (debugging, profiling, a test that wants one
process); results never depend on the number of workers, only the time does.
"""

from __future__ import annotations

import os

_inside_worker = False


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
