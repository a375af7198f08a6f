"""Time the app's screens once an audit is loaded: tab switches and data-table scrolling. Run by hand.

    python bench/tui_switch_bench.py                     # the sample persona
    python bench/tui_switch_bench.py /tmp/decade-tui     # a benchmark-size export
        (make it with: auditor samples generate --persona decade --output /tmp/decade-tui)
    PYTHONPATH=/tmp/old python bench/tui_switch_bench.py # another version of auditor/, same bench
        (e.g. git archive OLD_COMMIT auditor | tar -x -C /tmp/old), for before/after in one sitting

The audit is run once (not timed here: bench/e2e_bench.py and bench/tui_bench.py time loading),
then the app is driven with Textual's Pilot on a 160x48 screen, with the animation level the
app itself runs with (``basic``): each tab key 1-6 in turn, ``--rounds`` times, then in the Data
tab on the points table (millions of rows on the decade persona): page down, end, home, one row
down, and a sort. Before each action the app is left to settle (workers done, animations over,
CPU idle), so that no action pays for the one before.

A measurement is CPU time of this process (the app's work, without a terminal's drawing):

- ``to idle``: from the key press until the app has handled it, every message it caused and
  every animation it started (the tab underline slides for 0.3 s), and ``pilot.pause()``
  found the CPU idle. Pilot's own work is in it: the key bound to nothing is that floor.
- ``to frame``: from the key press to the first screen update after it (the new tab drawn);
  also as wall time (``frame wall``), which adds Textual's wait for its next refresh tick
  (up to 1/60 s) and whatever the host's other processes take from this one.
- ``gc``: the part of ``to idle`` spent in Python's garbage collector.

The first visit of a tab after an audit is shown is reported apart from the later visits
(median), since only the first draws what the tab holds. ``to idle`` has no wall time: Pilot
sleeps while it waits for idle. Issue 10 asks for switches under 100 ms and scrolling without lag.
Nothing is asserted: the numbers go in the issue note.
"""

from __future__ import annotations

import os

os.environ.setdefault("TEXTUAL_ANIMATIONS", "basic")  # what auditor.tui.app.run_app runs with; read on import

import argparse
import asyncio
import gc
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from auditor import resources
from auditor.pipeline import run_audit
from auditor.tui.app import AuditorApp
from auditor.tui.table import FrameTable

TABS = ("1 Overview", "2 So far off?", "3 Findings", "4 Data", "5 Places", "6 Rules")
TABLE_KEYS = (("pagedown", "page down"), ("end", "jump to the last row"), ("home", "jump to the first row"),
              ("down", "one row down"))  # fmt: skip


@dataclass
class Timing:
    """One action's CPU times in milliseconds."""

    idle: float
    frame: float | None
    frame_wall: float | None
    gc: float


@dataclass
class Clock:
    """CPU time of the first frame after a mark, and of garbage collection since it."""

    marked: float | None = None
    marked_wall: float = 0.0
    first_frame: float | None = None
    first_frame_wall: float = 0.0
    gc_ms: float = 0.0
    _gc_started: float = field(default=0.0, repr=False)

    def mark(self) -> float:
        self.first_frame, self.gc_ms = None, 0.0
        self.marked_wall = time.perf_counter()
        self.marked = time.process_time()
        return self.marked

    def on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_started = time.process_time()
        elif self.marked is not None:
            self.gc_ms += (time.process_time() - self._gc_started) * 1000


class TimedApp(AuditorApp):
    """The app, noting when it hands the screen its first update after a key."""

    clock: Clock
    # Textual reads CSS_PATH beside the module of the class that names it: the app's own file
    CSS_PATH = str(Path(sys.modules[AuditorApp.__module__].__file__).parent / str(AuditorApp.CSS_PATH))

    def _display(self, screen, renderable) -> None:  # Textual's hook for every screen update
        if renderable is not None and self.clock.marked is not None and self.clock.first_frame is None:
            self.clock.first_frame = time.process_time()
            self.clock.first_frame_wall = time.perf_counter()
        super()._display(screen, renderable)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def drive(app: TimedApp, rounds: int) -> dict[str, list[Timing]]:
    timings: dict[str, list[Timing]] = {}
    clock = app.clock

    async def timed(label: str, pilot, key: str) -> None:
        await settle(pilot)
        started = clock.mark()
        await pilot.press(key)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        idle = time.process_time()
        frame = wall = None
        if clock.first_frame is not None:
            frame = (clock.first_frame - started) * 1000
            wall = (clock.first_frame_wall - clock.marked_wall) * 1000
        timings.setdefault(label, []).append(Timing((idle - started) * 1000, frame, wall, clock.gc_ms))
        clock.marked = None

    gc.callbacks.append(clock.on_gc)
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await settle(pilot)
            for _ in range(rounds):
                await timed("a key bound to nothing (the measuring floor)", pilot, "z")
            for _ in range(rounds):
                for tab in TABS:
                    await timed(f"switch to {tab[2:]}", pilot, tab[0])
            await pilot.press("4")
            app.query_one("#data-pane").show_kind("points")  # type: ignore[attr-defined]
            table = app.query_one("#data-table", FrameTable)
            table.focus()
            for _ in range(rounds):
                for key, label in TABLE_KEYS:
                    await timed(f"points table: {label}", pilot, key)
            await timed("points table: sort by the next column", pilot, "s")
    finally:
        gc.callbacks.remove(clock.on_gc)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, help="exports to open (default: the sample persona)")
    parser.add_argument(
        "--rounds", type=int, default=4, help="visits of each tab (the first is reported apart)"
    )
    args = parser.parse_args()
    paths = args.paths or [resources.persona_dir()]
    started = time.perf_counter()
    result = run_audit(paths)
    points = len(result.dataset.frames.get("points", ()))
    print(f"auditor from {Path(sys.modules['auditor'].__file__).parent}; "
          f"audit: {time.perf_counter() - started:.1f} s wall, {points:,} points (not part of the timings below)")  # fmt: skip
    app = TimedApp(paths, None, result.timezone, result=result)
    app.clock = Clock()
    timings = asyncio.run(drive(app, args.rounds))
    width = max(len(label) for label in timings)
    print(f"{'ms per action (CPU unless wall)':<{width}}  {'first':>5}  {'later: to idle':>14}  {'worst':>5}"
          f"  {'to frame':>8}  {'frame wall':>10}  {'gc':>3}  tries")  # fmt: skip
    for label, values in timings.items():
        later = values[1:] or values
        print(f"{label:<{width}}  {values[0].idle:5.0f}  {statistics.median(v.idle for v in later):14.0f}"
              f"  {max(v.idle for v in later):5.0f}  {_median([v.frame for v in later]):>8}"
              f"  {_median([v.frame_wall for v in later]):>10}  {statistics.median(v.gc for v in later):3.0f}"
              f"  {len(values)}")  # fmt: skip
    return 0


def _median(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known):.0f}" if known else "-"


if __name__ == "__main__":
    sys.exit(main())
