"""Decode one very large JSON array in pieces, on several processes.

A million-point export spends most of its import in one process decoding one array
(``rawSignals``, or the iOS array of segments). This module finds where to cut that array
between two of its elements, reads each piece back as a JSON array of its own, and runs a
function over the pieces in worker processes while the calling process reads the first
piece itself, then does its other work (``meanwhile``) before it waits for them. A piece
can be read again in slices (:func:`slices_of`), one at a time, so that a process holds
the decoded objects of one slice, not of its whole piece.

Why a cut is safe: the cut is made at a comma chosen by a cheap byte search, not by parsing
up to it. If every piece, wrapped in ``[`` ``]``, decodes as a JSON array, then the whole
array is ``[piece1,piece2,...]`` and, JSON having exactly one parse, its elements are the
pieces' elements in order. A comma that was not between two elements of this array (one
inside a nested object or a string) leaves some piece unreadable; the caller then decodes
the whole file in one process as before, so the result never depends on the cut.

Workers are fresh Pythons that import only the function's module (see :func:`map_pieces`).
``workers.cpu_budget()`` says how many processes may run; inside a loading worker it is 1
and nothing is started here.
"""

from __future__ import annotations

import mmap
import os
import pickle
import re
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO, TypeVar

from auditor import workers

T = TypeVar("T")
M = TypeVar("M")

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


def slices_of(path: str, low: int, high: int, slice_bytes: int) -> Iterator[memoryview]:
    """The file's bytes ``low:high`` as JSON arrays of about ``slice_bytes`` each, one at a time.

    Each slice is ``[`` + bytes + ``]``: the bytes just outside it (the array's bracket or the
    comma cut at) are overwritten with the brackets in a private copy-on-write mapping, so the
    file itself is never written (MAP_PRIVATE) and only the pages touched are copied. A
    pretty-printed piece is cut again between its elements (at
    their own indentation, so every cut is between two elements), and each slice is given
    only once the one before is done with: a caller that turns each slice into columns
    before taking the next holds the objects of one slice at a time, not of the whole piece.
    The pages of the slices done are released from this process's memory as it goes (the
    mapping is private and the file is never written). A compact piece, whose cuts could
    fall inside nested objects, or a ``slice_bytes`` of 0, comes as one slice.
    """
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_COPY) as mapped:
        if high >= len(mapped) or low < 1:
            raise OSError(f"{path} changed while it was read: bytes {low}-{high} are beyond its end")
        mapped[low - 1] = _OPEN
        mapped[high] = _CLOSE
        count = (high - low) // slice_bytes if slice_bytes > 0 else 0
        pretty = b"\n" in mapped[low : skip_whitespace(mapped, low)]
        ranges = element_cuts(mapped, low - 1, high + 1, [1 / count] * count) if count > 1 and pretty else []
        released = _page_floor(low - 1)
        for first, last in ranges or [(low, high)]:
            # Neighbouring slices share the comma between them: it closes one, then opens the next.
            mapped[first - 1] = _OPEN
            mapped[last] = _CLOSE
            view = memoryview(mapped)[first - 1 : last + 1]
            try:
                yield view
            finally:
                view.release()
            done = _page_floor(last)  # the page holding ``last`` is the next slice's first
            if done > released and hasattr(mapped, "madvise"):
                mapped.madvise(mmap.MADV_DONTNEED, released, done - released)
                released = done


def _page_floor(position: int) -> int:
    return position - position % mmap.PAGESIZE


_in_piece_worker = False
_kept: list[Any] = []


def worker_started() -> None:
    """Say that this process is a piece worker (the worker program calls it first)."""
    global _in_piece_worker
    _in_piece_worker = True
    workers.mark_worker()


def keep_until_exit(decoded: Any) -> None:
    """In a piece worker, keep ``decoded`` (millions of small objects) alive until the process ends.

    The worker ends with ``os._exit`` right after writing its result, so freeing the objects
    one by one first (about 0.15 s per million points) is wasted work. Anywhere else this
    does nothing, and the caller's reference goes as usual.
    """
    if _in_piece_worker:
        _kept.append(decoded)


class PiecesFailed(Exception):
    """A worker process could not be started or failed: the caller reads the file in one process."""


# The worker's whole program: (sys.path, module, function, arguments) come pickled on stdin,
# the function's result goes to stdout (see send_result), and the process ends without
# tearing down what it decoded. Only the function's module is imported, never the caller's
# __main__.
_WORKER_CODE = (
    "import os, pickle, sys; path, module, name, args = pickle.load(sys.stdin.buffer); sys.path[:0] = path; "
    "import importlib; from auditor.importers import json_pieces; json_pieces.worker_started(); "
    "result = getattr(importlib.import_module(module), name)(*args); "
    "json_pieces.send_result(result, sys.stdout.buffer); os._exit(0)"
)
_LENGTH = struct.Struct("<Q")


def send_result(result: Any, out: BinaryIO) -> None:
    """Write ``result`` for :meth:`_Worker.result`: its pickle, then its arrays' bytes as they are.

    Pickle protocol 5 leaves the numpy arrays' data out of the pickle (``buffer_callback``):
    they are written straight from the arrays and read straight into the caller's buffers,
    instead of being copied into one bytes object here and out of another there (0.15 CPU
    s per 1.7M points each side). Frame: the length of a pickle of (pickle, buffer sizes),
    that pickle, then the buffers.
    """
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(result, protocol=5, buffer_callback=buffers.append)
    views = [buffer.raw() for buffer in buffers]
    frame = pickle.dumps((head, [view.nbytes for view in views]), protocol=5)
    out.write(_LENGTH.pack(len(frame)))
    out.write(frame)
    out.writelines(views)
    out.flush()


def _read_exactly(source: BinaryIO, size: int) -> bytearray | None:
    """``size`` bytes from ``source`` into a buffer of their own, or None if it ends before."""
    buffer = bytearray(size)
    view = memoryview(buffer)
    done = 0
    while done < size:
        count = source.readinto(view[done:])  # type: ignore[attr-defined]
        if not count:
            return None
        done += count
    return buffer


def _receive_result(source: BinaryIO) -> tuple[bool, Any]:
    """What :func:`send_result` wrote: (True, result), or (False, None) if it stops short."""
    length = _read_exactly(source, _LENGTH.size)
    if length is None:
        return False, None
    frame = _read_exactly(source, _LENGTH.unpack(length)[0])
    if frame is None:
        return False, None
    head, sizes = pickle.loads(frame)
    buffers = []
    for size in sizes:
        buffer = _read_exactly(source, size)
        if buffer is None:
            return False, None
        buffers.append(buffer)
    return True, pickle.loads(head, buffers=buffers)


class _Worker:
    """One worker process computing one piece (see :func:`map_pieces`)."""

    def __init__(self, function: Callable[..., Any], args: tuple[Any, ...]):
        if not sys.executable:  # an embedded interpreter: no Python to start
            raise PiecesFailed("no Python executable to start a worker with")
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.errors,
            )
            assert self.process.stdin is not None
            job = (list(sys.path), function.__module__, function.__qualname__, args)
            self.process.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            self.process.stdin.close()
        except OSError as error:
            self.close()
            raise PiecesFailed(f"a worker could not be started: {error}") from error

    def result(self) -> Any:
        assert self.process.stdout is not None
        complete, result = _receive_result(self.process.stdout)  # type: ignore[arg-type]
        code = self.process.wait()
        if code != 0 or not complete:
            self.errors.seek(0)
            said = self.errors.read().decode("utf-8", "replace").strip()
            message = f"a worker ended with exit code {code}: {said[-2000:] or 'no message'}"
            if os.environ.get("AUDITOR_STRICT") == "1":  # the test suite: a worker's bug must fail it
                raise RuntimeError(message)
            raise PiecesFailed(message)
        return result

    def close(self) -> None:
        process = getattr(self, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self.errors.close()


def map_pieces(
    function: Callable[..., T], arguments: Sequence[tuple[Any, ...]], meanwhile: Callable[[], M]
) -> tuple[list[T], M]:
    """``function(*arguments[i])`` for every piece: the first here, the others in worker processes.

    Results come back in the order of ``arguments``, with what ``meanwhile()`` returned: the
    caller's other work, done here after the first piece while the workers still run, so
    that none of it waits for them. A worker is a fresh Python
    (``sys.executable -c``) that imports ``function``'s module (numpy, pandas, pyarrow,
    msgspec: about 0.5 s of CPU, spent while this process reads the first piece) and never
    the caller's ``__main__``, so a script that calls auditor without an
    ``if __name__ == "__main__"`` guard is not run again in it, as it would be with
    multiprocessing's spawn or forkserver. Nor is it a ``fork()`` of this process: the TUI
    runs the audit on a thread, and a forked copy of a threaded process can hold locks no
    thread will release. It inherits the environment (the test suite's offline guard comes
    with PYTHONPATH). A worker that cannot be started or fails raises :class:`PiecesFailed`
    (with ``AUDITOR_STRICT=1``, a RuntimeError with its message); an exception raised by
    ``function`` here propagates.
    """
    if len(arguments) <= 1:
        return [function(*args) for args in arguments], meanwhile()
    started: list[_Worker] = []
    try:
        for args in arguments[1:]:
            started.append(_Worker(function, args))
        here = function(*arguments[0])
        also = meanwhile()
        return [here, *(worker.result() for worker in started)], also
    finally:
        for worker in started:
            worker.close()


def budget() -> int:
    """How many processes a file's pieces may use (see :func:`workers.cpu_budget`)."""
    return workers.cpu_budget()
