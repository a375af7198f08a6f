"""The offline guard itself (tests/conftest.py, offline_guard/sitecustomize.py), and a full
``auditor scan`` run under it (DESIGN.md invariant 1).

Every test in the suite already runs under the guard; these tests prove the guard bites:
in this process, in a child Python, when the code under test swallows the error, and that
it leaves local sockets alone.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PERSONA = REPO / "sample_exports" / "gig-driver"


@pytest.fixture
def private_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Send this test's (expected) attempts to its own log, not the suite's."""
    log = tmp_path / "offline.log"
    log.write_text("")
    monkeypatch.setenv("AUDITOR_OFFLINE_LOG", str(log))
    return log


def _child(code: str, log: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDITOR_OFFLINE_LOG": str(log)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    "attempt",
    [
        lambda: socket.create_connection(("127.0.0.1", 9), timeout=1),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("127.0.0.1", 9)),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect_ex(("127.0.0.1", 9)),
        lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9)),
        lambda: socket.getaddrinfo("example.org", 443),
        lambda: socket.gethostbyname("example.org"),
        lambda: urllib.request.urlopen("http://example.org/", timeout=1),
    ],
    ids=["create_connection", "connect", "connect_ex", "sendto", "getaddrinfo", "gethostbyname", "urlopen"],
)
def test_network_calls_in_this_process_are_blocked_and_logged(attempt, private_log: Path) -> None:
    with pytest.raises(RuntimeError, match="offline guard") as raised:
        attempt()
    assert type(raised.value).__name__ == "NetworkBlocked"
    assert not isinstance(raised.value, OSError)  # code that handles OSError cannot swallow it
    logged = private_log.read_text()
    assert logged.count("\n") == 1 and f"pid {os.getpid()}" in logged


def test_local_sockets_still_work(private_log: Path) -> None:
    # asyncio (Textual's loop) talks to itself over a local socket pair.
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"ping")
        assert right.recv(4) == b"ping"

    async def roundtrip() -> int:
        await asyncio.sleep(0)
        return 7

    assert asyncio.run(roundtrip()) == 7
    assert private_log.read_text() == ""


def test_a_child_python_is_guarded_too(private_log: Path) -> None:
    result = _child("import socket; socket.create_connection(('127.0.0.1', 9), timeout=1)", private_log)
    assert result.returncode != 0
    assert "NetworkBlocked" in result.stderr and "offline guard" in result.stderr
    assert "create_connection ('127.0.0.1', 9)" in private_log.read_text()


def test_an_attempt_the_child_swallows_is_still_logged(private_log: Path) -> None:
    code = (
        "import socket\n"
        "try:\n    socket.getaddrinfo('example.org', 443)\n"
        "except BaseException:\n    pass\n"
    )
    result = _child(code, private_log)
    assert result.returncode == 0  # the child hid it...
    assert "getaddrinfo 'example.org'" in private_log.read_text()  # ...the log did not


def test_the_suite_fails_a_test_that_swallowed_an_attempt(tmp_path: Path) -> None:
    """tests/conftest.py loaded as a plugin into a pytest run of one sneaky test."""
    sneaky = tmp_path / "test_sneaky.py"
    sneaky.write_text(
        "import socket\n\n"
        "def test_sneaky():\n"
        "    try:\n        socket.create_connection(('127.0.0.1', 9), timeout=1)\n"
        "    except BaseException:\n        pass\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", str(sneaky),
         "--rootdir", str(tmp_path), "-c", os.devnull],
        capture_output=True, text=True, env=env, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 passed, 1 error" in result.stdout
    assert "tried to reach the network" in result.stdout


def test_full_scan_in_a_guarded_child_opens_no_connection(private_log: Path) -> None:
    """`auditor scan` on a persona, every built-in pack, in a child whose guard is checked first."""
    code = (
        "import runpy, socket, sys\n"
        "assert socket._auditor_offline_guard, 'the guard is not installed in the child'\n"
        f"sys.argv = ['auditor', 'scan', {str(PERSONA)!r}, '--format', 'json']\n"
        "runpy.run_module('auditor', run_name='__main__', alter_sys=True)\n"
    )
    result = _child(code, private_log)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["packs"], "the scan evaluated no pack"
    assert private_log.read_text() == ""


def test_tui_pilot_run_opens_no_connection(private_log: Path) -> None:
    """The Textual app loads a persona with every built-in pack under the guard, in this process."""
    from auditor.tui.app import AuditorApp

    async def drive() -> AuditorApp:
        app = AuditorApp([PERSONA])
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("tab", "enter", "escape")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        return app

    app = asyncio.run(drive())
    assert app.result is not None and app.result.dataset.rows_kept > 1_000
    assert app.result.packs, "the app evaluated no pack"
    assert private_log.read_text() == ""
