"""Files as the persona downloads them: deterministic zips, streamed content, atomic writes.

A persona's output is a :class:`Bundle`: file names mapped to their content, either
bytes or a function yielding byte chunks (so a 600 MB Records.json is never held whole).
Zip archives carry fixed entry dates and permissions, so the same seed gives the same
bytes. Each file is written to a temporary name in the target folder and renamed into
place, so a run that stops half-way never leaves a half-written export behind.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

Chunks = Callable[[], Iterator[bytes]]
Content = bytes | Chunks
ZipTime = tuple[int, int, int, int, int, int]


def chunks_of(content: Content) -> Iterator[bytes]:
    if isinstance(content, bytes):
        yield content
    else:
        yield from content()


def as_bytes(content: Content) -> bytes:
    return content if isinstance(content, bytes) else b"".join(content())


@dataclass
class Archive:
    """A zip archive to write: members in order, each with bytes or chunks."""

    members: list[tuple[str, Content]]
    date_time: ZipTime
    compresslevel: int | None = None  # zlib level; None is zipfile's default (6)

    def write_to(self, handle: IO[bytes]) -> None:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=self.compresslevel) as archive:
            for name, content in self.members:
                info = zipfile.ZipInfo(name, date_time=self.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                if isinstance(content, bytes):
                    archive.writestr(info, content, compresslevel=self.compresslevel)
                    continue
                if self.compresslevel is not None:
                    info._compresslevel = self.compresslevel  # type: ignore[attr-defined]  # zipfile's own hook
                with archive.open(info, "w", force_zip64=True) as member:
                    for chunk in content():
                        member.write(chunk)


@dataclass
class Bundle:
    """Every file of one persona, in the order they are written; ``truth.json`` last."""

    files: dict[str, Content | Archive] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)  # what each file is, for the README

    def add(self, name: str, content: Content | Archive, about: str = "") -> None:
        if name in self.files:
            raise ValueError(f"{name} is written twice")
        self.files[name] = content
        self.about[name] = about

    def render(self, name: str) -> bytes:
        """One file's bytes (tests compare these)."""
        buffer = io.BytesIO()
        _write(self.files[name], buffer)
        return buffer.getvalue()


def _write(content: Content | Archive, handle: IO[bytes]) -> None:
    if isinstance(content, Archive):
        content.write_to(handle)
        return
    for chunk in chunks_of(content):
        handle.write(chunk)


def write_atomic(path: Path, content: Content | Archive) -> None:
    """Write to ``<name>.partial`` beside the target, then rename over it."""
    partial = path.with_name(path.name + ".partial")
    try:
        with open(partial, "wb") as handle:
            _write(content, handle)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def write_bundle(folder: Path, bundle: Bundle, names: Iterable[str] | None = None) -> list[Path]:
    """Write the bundle's files into ``folder`` (created if needed), in order."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names if names is not None else bundle.files:
        path = folder / name
        write_atomic(path, bundle.files[name])
        written.append(path)
    return written
