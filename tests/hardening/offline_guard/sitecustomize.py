"""The test suite's offline guard (DESIGN.md invariant 1: auditor never opens a connection).

Installed two ways, so that it covers the test process and every Python it starts:

* ``tests/conftest.py`` loads this file and calls :func:`install` in the pytest process;
* the same conftest puts this folder first on ``PYTHONPATH``, so every child Python (an
  ``auditor`` command run with ``subprocess``) imports it as ``sitecustomize`` at start-up,
  and installs it itself when ``AUDITOR_OFFLINE_GUARD=1``.

Once installed, any attempt to resolve a host name or to connect or send over a network
socket (anything but a local AF_UNIX socket) raises :class:`NetworkBlocked` and appends
one line to the file named by ``AUDITOR_OFFLINE_LOG``. The exception is not an OSError, so
code that quietly handles network failures cannot swallow it; and because code could still
catch it with a broad ``except``, the log is what fails the test: conftest's autouse fixture
fails any test during which the log grew, whichever process wrote to it.

Nothing here is part of auditor; it only exists while the tests run.
"""

from __future__ import annotations

import os
import socket
import sys

ENABLE_VARIABLE = "AUDITOR_OFFLINE_GUARD"
LOG_VARIABLE = "AUDITOR_OFFLINE_LOG"


class NetworkBlocked(RuntimeError):
    """A network operation was attempted while the offline guard was on."""


def _record(operation: str, target: object) -> None:
    message = f"pid {os.getpid()} ({' '.join(sys.argv)[:200]}): {operation} {target!r}"
    log = os.environ.get(LOG_VARIABLE)
    if log:
        # One short append per attempt; O_APPEND keeps lines from several processes whole.
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(message + "\n")
    raise NetworkBlocked(f"offline guard: {message}")


def _is_local(sock: socket.socket) -> bool:
    return getattr(socket, "AF_UNIX", None) is not None and sock.family == socket.AF_UNIX


def install() -> None:
    """Replace the socket entry points that reach the network. Idempotent."""
    if getattr(socket, "_auditor_offline_guard", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_sendto = socket.socket.sendto

    def connect(self: socket.socket, address: object) -> None:
        if _is_local(self):
            return original_connect(self, address)
        _record("connect", address)

    def connect_ex(self: socket.socket, address: object) -> int:
        if _is_local(self):
            return original_connect_ex(self, address)
        _record("connect_ex", address)
        return 1  # not reached: _record raises

    def sendto(self: socket.socket, data: bytes, *args: object) -> int:
        if _is_local(self):
            return original_sendto(self, data, *args)
        _record("sendto", args[-1] if args else None)
        return 0  # not reached

    def resolver(name: str):
        def blocked(host: object = None, *args: object, **kwargs: object):
            _record(name, host)

        return blocked

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = sendto  # type: ignore[method-assign]
    for name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "create_connection"):
        setattr(socket, name, resolver(name))
    socket._auditor_offline_guard = True  # type: ignore[attr-defined]


if os.environ.get(ENABLE_VARIABLE) == "1":
    install()
