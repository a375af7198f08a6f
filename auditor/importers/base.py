"""The contract every importer shares: file references, the sniff head, reports, frames.

An importer is one module per export format. It declares an :class:`Importer` record
(id, title, kinds, a cheap ``sniff`` and a ``load``) that the registry lists. ``sniff``
looks only at a :class:`Head` (name and first bytes) and returns a confidence in 0..1.
``load`` reads the whole file through its :class:`FileRef`, fills an :class:`ImportReport`
with what it skipped and why, and returns canonical frames built with :func:`frame`.

Errors are values until the edge: a record that cannot be read is counted with
``report.skip`` and the rest still loads; a file that cannot be read at all raises
:class:`BadInput` with a message naming what was expected. Nothing here prints.
"""

from __future__ import annotations

import io
import queue
import threading
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np
import pandas as pd

from auditor import model

HEAD_BYTES = 64 * 1024
ARCHIVE_SEPARATOR = "!"
RECORDS_KEPT_PER_REASON = 20


class BadInput(Exception):
    """A file (or part of it) is not what its importer expects; the message says why.

    ``record`` names where reading stopped, when that is known (a CSV line, a JSON index,
    a byte offset for truncated JSON).
    """

    def __init__(self, message: str, record: int | None = None):
        super().__init__(message)
        self.message = message
        self.record = record


@dataclass(frozen=True)
class FileRef:
    """A file to read: a plain path, or a member of a (possibly nested) zip archive.

    Members are read from the archive in place, never extracted (DESIGN.md invariant 2).
    ``display`` is the path people see and that provenance records:
    ``takeout-001.zip!Takeout/Location History/Records.json``.
    """

    path: Path
    members: tuple[str, ...] = ()
    size: int = 0

    @property
    def display(self) -> str:
        return ARCHIVE_SEPARATOR.join((str(self.path), *self.members))

    @property
    def name(self) -> str:
        """The file's own name, without folders."""
        if self.members:
            return PurePosixPath(self.members[-1]).name
        return self.path.name

    @property
    def inner_path(self) -> str:
        """The path inside the outermost archive, or the file name for a plain file."""
        return self.members[-1] if self.members else self.path.name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    def open(self) -> IO[bytes]:
        """Open for binary reading; the caller closes it (use ``with``)."""
        if not self.members:
            return open(self.path, "rb")
        return _open_member(self.path, self.members)

    def read_bytes(self) -> bytes:
        with self.open() as handle:
            return handle.read()

    def read_head(self, size: int = HEAD_BYTES) -> bytes:
        with self.open() as handle:
            return handle.read(size)


class _MemberStream(io.RawIOBase):
    """A zip member stream that also closes the archives it was opened through."""

    def __init__(self, inner: IO[bytes], closers: list[Callable[[], None]]):
        self._inner = inner
        self._closers = closers

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        return self._inner.read(size)

    def seekable(self) -> bool:
        return self._inner.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._inner.seek(offset, whence)

    def tell(self) -> int:
        return self._inner.tell()

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
            for close in reversed(self._closers):
                close()
        super().close()


def _open_member(path: Path, members: tuple[str, ...]) -> IO[bytes]:
    closers: list[Callable[[], None]] = []
    handle: IO[bytes] = open(path, "rb")
    closers.append(handle.close)
    try:
        for member in members:
            archive = zipfile.ZipFile(handle)
            closers.append(archive.close)
            handle = archive.open(member)
            closers.append(handle.close)
    except BaseException:
        for close in reversed(closers):
            close()
        raise
    closers.pop()  # the innermost member is closed by the wrapper itself
    return io.BufferedReader(_MemberStream(handle, closers))  # type: ignore[arg-type]


class Prefetched(io.RawIOBase):
    """Reads ``stream`` ahead in a background thread, one block at a time.

    Inflating a zip member (zlib) and checking its CRC release the GIL, so a thread can
    inflate the next blocks on the second core while the importer decodes this one: for a
    Records.json inside a Takeout zip that hides most of the ~2 s of inflating 0.9 GB.
    At most ``ahead`` blocks wait in memory. Use it as a context manager (or close it):
    closing stops the thread, even when the reader gave up half way.
    """

    def __init__(self, stream: IO[bytes], block_bytes: int, ahead: int = 2):
        super().__init__()
        self._stream = stream
        self._block_bytes = block_bytes
        self._blocks: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=ahead)
        self._stopping = threading.Event()
        self._pending = memoryview(b"")
        self._ended = False
        self._thread = threading.Thread(target=self._fill, name="auditor-prefetch", daemon=True)
        self._thread.start()

    def _fill(self) -> None:
        try:
            while not self._stopping.is_set():
                block = self._stream.read(self._block_bytes)
                self._put(block)
                if not block:
                    return
        except BaseException as error:  # noqa: BLE001 - handed to the reading thread, raised there
            self._put(error)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stopping.is_set():
            try:
                self._blocks.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while not self._pending and not self._ended:
            item = self._blocks.get()
            if isinstance(item, BaseException):
                self._ended = True
                raise item
            if not item:
                self._ended = True
            self._pending = memoryview(item)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._stopping.set()
            self._thread.join()
        super().close()


@dataclass(frozen=True)
class Head:
    """What ``sniff`` may look at: the name and the first bytes, BOM stripped.

    The decoded forms are worked out once per head, not once per importer that asks: some
    thirty importers sniff every file, and decoding and compacting 64 KB each time cost
    ~0.3 s of a decade Takeout's 127 files.
    """

    ref: FileRef
    data: bytes

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def suffix(self) -> str:
        return self.ref.suffix

    @property
    def inner_path(self) -> str:
        return self.ref.inner_path

    @cached_property
    def text(self) -> str:
        """The head decoded leniently; good enough to match headers and JSON keys."""
        try:
            return self.data.decode("utf-8")
        except UnicodeDecodeError as error:
            # A head cut inside a multi-byte character is still UTF-8.
            if error.start >= len(self.data) - 4:
                return self.data[: error.start].decode("utf-8", errors="replace")
            return self.data.decode("latin-1")

    @cached_property
    def first_line(self) -> str:
        return self.text.lstrip("\r\n").splitlines()[0] if self.text.strip() else ""

    @cached_property
    def compact(self) -> str:
        """The head with all whitespace removed, so ``{ "a" : 1}`` matches ``{"a":1}``."""
        return "".join(self.text.split())


def strip_bom(data: bytes) -> bytes:
    """Drop a UTF-8 byte-order mark, which several providers put before their data."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


@dataclass
class SkipGroup:
    """Every skipped record that shares one reason."""

    reason: str
    count: int = 0
    records: list[int] = field(default_factory=list)


@dataclass
class KindSummary:
    kept: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None


@dataclass
class ImportReport:
    """What one importer made of one file: kept, skipped with grouped reasons, notes."""

    path: str
    importer: str = ""
    title: str = ""
    detail: str = ""  # the preset or variant recognised, e.g. "Monzo (current)"
    rows_read: int = 0
    timezone: str = ""  # how the file's times were handled, in plain words
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the file as a whole could not be read (fully or in part)
    kinds: dict[str, KindSummary] = field(default_factory=dict)
    skipped: dict[str, SkipGroup] = field(default_factory=dict)
    duplicates_dropped: int = 0

    def skip(self, record: int, reason: str) -> None:
        """Count one record that could not be read, with the reason in plain words."""
        group = self.skipped.setdefault(reason, SkipGroup(reason))
        group.count += 1
        if len(group.records) < RECORDS_KEPT_PER_REASON:
            group.records.append(int(record))

    def skip_many(self, records: Iterable[int] | np.ndarray, reason: str) -> None:
        """Count many records skipped for one reason (vectorised importers)."""
        records = np.asarray(list(records) if not isinstance(records, np.ndarray) else records)
        if records.size == 0:
            return
        group = self.skipped.setdefault(reason, SkipGroup(reason))
        group.count += int(records.size)
        room = RECORDS_KEPT_PER_REASON - len(group.records)
        if room > 0:
            group.records.extend(int(r) for r in records[:room])

    @property
    def skipped_total(self) -> int:
        return sum(group.count for group in self.skipped.values())

    @property
    def kept_total(self) -> int:
        return sum(summary.kept for summary in self.kinds.values())

    def summarise(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Record rows kept and the time span per kind."""
        self.kinds = {}
        for kind, frame in frames.items():
            times = model.time_columns(kind)
            first = last = None
            if times and len(frame):
                values = frame[times[0]].dropna()
                if len(values):
                    first, last = values.min(), values.max()
            self.kinds[kind] = KindSummary(len(frame), first, last)


@dataclass(frozen=True)
class Importer:
    """One export format: how to recognise it and how to read it."""

    id: str
    title: str
    kinds: tuple[str, ...]
    sniff: Callable[[Head], float]
    load: Callable[[FileRef, ImportReport], dict[str, pd.DataFrame]]
    # A format whose exports come as many small files (a month file each) may also read them
    # in two steps, so that the frames of many files are built at once: ``parse`` reads one
    # file (raising BadInput like ``load``) into anything ``assemble`` understands, and
    # ``assemble`` builds one set of frames for all the files parsed, rows grouped by file in
    # the order given, skips in each file's own report. ``load(ref, report)`` must equal
    # ``assemble([(ref, report, parse(ref, report))])``.
    parse: Callable[[FileRef, ImportReport], object] | None = None
    assemble: Callable[[list[tuple[FileRef, ImportReport, object]]], dict[str, pd.DataFrame]] | None = None


def frame(
    kind: str,
    data: Mapping[str, object],
    *,
    ref: FileRef,
    importer: str,
    source: str | Iterable[str],
    records: Iterable[int] | np.ndarray,
) -> pd.DataFrame:
    """A canonical frame of ``kind`` with provenance filled in.

    ``records`` gives each row's record number in the file; ``source`` is one label
    for the whole file or one per row (a bank file with several accounts).
    """
    records = np.asarray(records, dtype="int64")
    provenance: dict[str, object] = {
        "importer": model.constant_categorical(importer, len(records)),
        "file": model.constant_categorical(ref.display, len(records)),
        "record": records,
        "source": (
            model.constant_categorical(source, len(records))
            if isinstance(source, str)
            else pd.Categorical(list(source))
        ),
    }
    return model.conform(kind, {**provenance, **data}, length=len(records))
