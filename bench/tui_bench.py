"""Time the app in a real terminal (tmux), as a new user would see it. Run by hand.

    python bench/tui_bench.py                       # the sample persona
    python bench/tui_bench.py /tmp/decade-tui       # a benchmark-size export
        (make it with: auditor samples generate --persona decade --output /tmp/decade-tui)

Starts ``python -m auditor [PATH]`` in a detached tmux session of 160x48 and polls
``tmux capture-pane`` every 10 ms. Reports, from the moment the command starts:

- first frame: the loading dialog is on screen ("Opening ...");
- loaded: the overview shows a score (the disclaimer line is drawn);
- while loading, how long the UI takes to answer a key: '?' opens the help screen,
  escape closes it (repeated while the worker is still reading).

Needs tmux. Nothing here is asserted: the numbers go in the issue note.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SESSION = "auditor-tui-bench"
POLL_S = 0.01
LOADED = "What this scorer would conclude"  # the overview of the first pack is drawn
HELP = "command palette with every action"  # the help screen's title line


def capture() -> str:
    done = subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True, text=True, check=False)
    return done.stdout


def wait_for(text: str, start: float, timeout: float, gone: bool = False) -> float | None:
    """Seconds since ``start`` when ``text`` first appears on screen (or, with ``gone``, leaves it)."""
    while time.perf_counter() - start < timeout:
        if (text in capture()) != gone:
            return time.perf_counter() - start
        time.sleep(POLL_S)
    return None


def process_cpu_seconds() -> float | None:
    """CPU time the app's process has used so far (Linux /proc): a number a busy machine does not inflate."""
    pid = subprocess.run(["tmux", "display", "-p", "-t", SESSION, "#{pane_pid}"], capture_output=True, text=True,
                         check=False).stdout.strip()  # fmt: skip
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def key_latency(key: str, text: str, timeout: float = 30.0, gone: bool = False) -> float | None:
    """Seconds from sending ``key`` until ``text`` is on screen (or gone from it)."""
    start = time.perf_counter()
    subprocess.run(["tmux", "send-keys", "-t", SESSION, key], check=True)
    return wait_for(text, start, timeout, gone)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="exports to open (default: the sample persona)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the audit")
    parser.add_argument("--no-keys", action="store_true", help="send no keys while loading (time the load alone)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    command = " ".join([sys.executable, "-m", "auditor", *(str(Path(p)) for p in args.paths)])
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "160", "-y", "48", command], check=True)
    try:
        first = wait_for("Opening", start, 30)
        cpu = process_cpu_seconds()
        print(f"first frame: {first:.2f} s wall" + (f", the process had used {cpu:.2f} s of CPU" if cpu else "")
              if first is not None else "first frame: not seen in 30 s")  # fmt: skip
        latencies = []
        while not args.no_keys and LOADED not in capture() and time.perf_counter() - start < args.timeout:
            if "escape cancels" not in capture():  # the loading dialog has closed
                break
            opened = key_latency("?", HELP)
            closed = key_latency("Escape", HELP, gone=True) if opened is not None else None
            if opened is not None:
                latencies.append(opened)
            if closed is None:
                break
            time.sleep(2.0)  # a person pressing a key now and then, not a flood
        loaded = wait_for(LOADED, start, args.timeout)
        print(f"loaded (overview drawn): {loaded:.2f} s" if loaded is not None else "loaded: timed out")
        if latencies:
            latencies.sort()
            print(f"key to screen while loading ('?' opens help), {len(latencies)} tries: "
                  f"median {latencies[len(latencies) // 2] * 1000:.0f} ms, worst {latencies[-1] * 1000:.0f} ms")  # fmt: skip
        print("\n".join(capture().splitlines()[:12]))
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True, check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
