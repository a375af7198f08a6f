"""Decode one very large JSON array in pieces, on several processes.

A million-point export spends most of its import in one process decoding one array
(``rawSignals``, or the iOS array of segments). This module finds where to cut that array
between two of its elements, reads each piece back as a JSON array of its own, and runs a
function over the pieces in a small process pool while the calling process reads the first
piece itself.

Why a cut is safe: the cut is made at a comma chosen by a cheap byte search, not by parsing
up to it. If every piece, wrapped in ``[`` ``]``, decodes as a JSON array, then the whole
array is ``[piece1,piece2,...]`` and, JSON having exactly one parse, its elements are the
pieces' elements in order. A comma that was not between two elements of this array (one
inside a nested object or a string) leaves some piece unreadable; the caller then decodes
the whole file in one process as before, so the result never depends on the cut.

Processes are started by a fork server, never by ``fork()`` from the caller: the TUI runs the
audit on a thread, and forking a threaded process can leave the child holding locks no thread
will release. ``workers.cpu_budget()`` says how many processes may run; inside a loading
worker it is 1 and nothing is started here.
"""

from __future__ import annotations

import mmap
import multiprocessing
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from auditor import workers

T = TypeVar("T")

_WHITESPACE = re.compile(rb"[ \t\r\n]*")
_OPEN = ord("[")
_CLOSE = ord("]")


def skip_whitespace(buffer: Any, position: int) -> int:
    """The first position at or after ``position`` that is not JSON whitespace."""
    return _WHITESPACE.match(buffer, position).end()


def element_cuts(buffer: Any, start: int, end: int, shares: Sequence[float]) -> list[tuple[int, int]]:
    """Byte ranges of runs of whole elements of the array ``buffer[start:end]``.

    ``buffer[start]`` is the array's ``[`` and ``buffer[end - 1]`` its ``]``; the ranges
    exclude both brackets and the commas cut at. ``shares`` are the pieces' approximate
    fractions of the bytes (they sum to 1). Cuts are searched for as a ``}`` followed by a
    comma, at the indentation of the array's first element when the file is pretty-printed
    (a closing brace at that indentation ends an element). Fewer ranges come back where no
    cut was found; an empty list means the array has no elements.
    """
    first = skip_whitespace(buffer, start + 1)
    if first >= end - 1:
        return []
    lead = bytes(buffer[start + 1 : first])
    newline = lead.rfind(b"\n")
    # Pretty-printed: "\n<indent>}," closes an element; compact: any "}," (checked by decoding).
    marker = b"\n" + lead[newline + 1 :] + b"}," if newline >= 0 else b"},"
    ranges: list[tuple[int, int]] = []
    low = start + 1
    span = end - 1 - low
    reached = 0.0
    for share in shares[:-1]:
        reached += share
        target = start + 1 + int(span * reached)
        if target <= low:
            continue
        found = buffer.find(marker, target, end - 1)
        if found < 0:
            break
        comma = found + len(marker) - 1
        ranges.append((low, comma))
        low = comma + 1
    ranges.append((low, end - 1))
    return ranges


@contextmanager
def piece_of(path: str, low: int, high: int) -> Iterator[memoryview]:
    """The file's bytes ``low:high`` as a JSON array of their own: ``[`` + bytes + ``]``.

    The bytes just outside the piece (the array's bracket or the comma cut at) are
    overwritten with the brackets in a private copy-on-write mapping: the file itself is
    never written (MAP_PRIVATE), and only the two pages touched are copied, instead of the
    whole piece.
    """
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY) as mapped:
        if high >= len(mapped) or low < 1:
            raise OSError(f"{path} changed while it was read: bytes {low}-{high} are beyond its end")
        mapped[low - 1] = _OPEN
        mapped[high] = _CLOSE
        view = memoryview(mapped)[low - 1 : high + 1]
        try:
            yield view
        finally:
            view.release()


_in_pool_worker = False
_kept: list[Any] = []


def _start_worker() -> None:
    global _in_pool_worker
    _in_pool_worker = True
    workers.mark_worker()


def keep_until_exit(decoded: Any) -> None:
    """In a pool worker, keep ``decoded`` (millions of small objects) alive until the process ends.

    A fork server's child ends with ``os._exit`` right after sending its result, so freeing
    the objects one by one first (about 0.15 s per million points) is wasted work. Anywhere
    else this does nothing, and the caller's reference goes as usual.
    """
    if _in_pool_worker:
        _kept.append(decoded)


class PiecesFailed(Exception):
    """A worker process died or could not be started: the caller reads the file in one process."""


@contextmanager
def pool(processes: int, preload: Sequence[str]) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``processes`` started by a fork server that has imported ``preload`` once.

    The fork server outlives this call, so a second import in the same session (the TUI
    reloading) forks ready workers instead of starting Python again.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    executor = ProcessPoolExecutor(max_workers=processes, mp_context=context, initializer=_start_worker)
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def map_pieces(
    function: Callable[..., T],
    arguments: Sequence[tuple[Any, ...]],
    preload: Sequence[str],
) -> list[T]:
    """``function(*arguments[i])`` for every piece: the first here, the others in workers.

    Results come back in the order of ``arguments``. A worker that cannot be started or dies
    raises :class:`PiecesFailed`; an exception raised by ``function`` itself propagates.
    """
    if len(arguments) <= 1:
        return [function(*args) for args in arguments]
    with pool(len(arguments) - 1, preload) as executor:
        # Starting the pool waits until the fork server has imported ``preload`` (about a
        # second the first time): submit from a thread, so this process reads its piece meanwhile.
        submitted: list[Future[T]] = []
        failed: list[BaseException] = []

        def submit() -> None:
            try:
                submitted.extend(executor.submit(function, *args) for args in arguments[1:])
            except (BrokenProcessPool, OSError, RuntimeError) as error:
                failed.append(error)

        starter = threading.Thread(target=submit, name="json-pieces-start", daemon=True)
        starter.start()
        here = function(*arguments[0])
        starter.join()
        if failed:
            raise PiecesFailed(str(failed[0])) from failed[0]
        try:
            return [here, *(future.result() for future in submitted)]
        except BrokenProcessPool as error:
            raise PiecesFailed(str(error)) from error


def budget() -> int:
    """How many processes a file's pieces may use (see :func:`workers.cpu_budget`)."""
    return workers.cpu_budget()
