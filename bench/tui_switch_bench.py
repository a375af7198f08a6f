"""Time the app's screens once an audit is loaded: tab switches and data-table scrolling. Run by hand.

    python bench/tui_switch_bench.py                     # the sample persona
    python bench/tui_switch_bench.py /tmp/decade-tui     # a benchmark-size export
        (make it with: auditor samples generate --persona decade --output /tmp/decade-tui)

The audit is run once (not timed here: bench/e2e_bench.py and bench/tui_bench.py time loading),
then the app is driven with Textual's Pilot on a 160x48 screen: each tab key 1-6 in turn,
three rounds, and in the Data tab on the points table (millions of rows on the decade persona):
page down, end, home, and a sort. A measurement is the CPU time the process spends from the key press until the app
has handled it and every message it caused and composed the screen (``pilot.pause()``): the
app's own work, without the terminal's drawing. Wall time is shown too, but Pilot's own waits
(it sleeps while the app settles) make up most of it: the key bound to nothing is that floor. Issue 10 asks for switches under 100 ms and scrolling without lag.
Nothing is asserted: the numbers go in the issue note.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from auditor import resources
from auditor.pipeline import run_audit
from auditor.tui.app import AuditorApp
from auditor.tui.table import FrameTable

TABS = ("1 Overview", "2 So far off?", "3 Findings", "4 Data", "5 Places", "6 Rules")


async def drive(app: AuditorApp, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[tuple[float, float]]] = {}

    async def timed(label: str, pilot, key: str) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        await pilot.press(key)
        await pilot.pause()
        timings.setdefault(label, []).append((time.perf_counter() - started, time.process_time() - cpu))

    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        for _ in range(rounds):
            await timed("a key bound to nothing (the measuring floor)", pilot, "z")
        for _ in range(rounds):
            for tab in TABS:
                await timed(f"switch to {tab[2:]}", pilot, tab[0])
        await pilot.press("4")
        app.query_one("#data-pane").show_kind("points")  # type: ignore[attr-defined]
        table = app.query_one("#data-table", FrameTable)
        table.focus()
        await pilot.pause()
        for _ in range(rounds):
            for key, label in (("pagedown", "page down"), ("end", "jump to the last row"),
                               ("home", "jump to the first row"), ("down", "one row down")):  # fmt: skip
                await timed(f"points table: {label}", pilot, key)
        await timed("points table: sort by the next column", pilot, "s")
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="*", type=Path, help="exports to open (default: the sample persona)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    paths = args.paths or [resources.persona_dir()]
    started = time.perf_counter()
    result = run_audit(paths)
    points = len(result.dataset.frames.get("points", ()))
    print(
        f"audit: {time.perf_counter() - started:.1f} s wall, {points:,} points (not part of the timings below)"
    )
    app = AuditorApp(paths, None, result.timezone, result=result)
    timings = asyncio.run(drive(app, args.rounds))
    width = max(len(label) for label in timings)
    print(f"{'action':<{width}}  {'CPU median':>10}  {'CPU worst':>9}  {'wall median':>11}  tries")
    for label, values in timings.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"{label:<{width}}  {statistics.median(cpu) * 1000:7.0f} ms  {max(cpu) * 1000:6.0f} ms"
              f"  {statistics.median(wall) * 1000:8.0f} ms  {len(values)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
