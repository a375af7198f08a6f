"""Find the files in what the person pointed at, and decide which importer reads each.

Given files, folders and zip archives (Google Takeout arrives as several
``takeout-*.zip`` parts, Uber as one zip), :func:`discover` lists every file, looking
inside archives in place, never extracting (DESIGN.md invariant 2). :func:`claim` asks
every importer to sniff each file's head and picks the most confident; files no importer
claims are listed with the reason, never silently dropped.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.registry import REGISTRY
from auditor.importers.base import HEAD_BYTES, FileRef, Head, Importer, strip_bom

# Nested archives beyond this depth are listed, not opened: real exports nest at most
# once (an Uber zip inside a Takeout-style folder zipped again).
MAX_ARCHIVE_DEPTH = 3
# Guards against archives built to exhaust memory or time (zip bombs). Real exports stay far
# inside them: a 1 GB Records.json compresses about 10 to 20 times; Takeout parts hold tens of
# thousands of files at most. bench/archive_bombs.py measures what each guard costs.
MAX_MEMBER_BYTES = 8 * 1024**3
# No real export compresses 2000 times (deflate cannot pass about 1030; bzip2 and lzma can).
MAX_COMPRESSION_RATIO = 2000
# A member that expands past this size at more than this ratio is a bomb, not data:
# deflate bombs sit at about 1000 times, a CSV of one repeated line at 340; real JSON and CSV
# at 5 to 30. (A 200 MB one-line CSV bomb passed a 512 MB bound and took 2 GB to read.)
LARGE_MEMBER_BYTES = 64 * 1024**2
MAX_LARGE_RATIO = 200
# Members listed per archive, nested archives included (counted against their outermost one).
MAX_MEMBERS = 100_000
# A nested archive is opened in place by decompressing its parent's stream, which costs a pass
# over it for every seek: above this size it is listed with a hint rather than opened.
MAX_NESTED_ARCHIVE_BYTES = 256 * 1024**2
_S_IFLNK = 0o120000
# Folders and files that operating systems and archivers add, never export data.
_NOISE_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
_NOISE_DIRS = {"__MACOSX", ".git"}


@dataclass(frozen=True)
class Unclaimed:
    """A file nothing read, and why."""

    path: str
    why: str


@dataclass(frozen=True)
class Claim:
    """A file and the importer chosen for it."""

    ref: FileRef
    importer: Importer
    confidence: float


@dataclass
class Discovery:
    files: list[FileRef]
    unclaimed: list[Unclaimed]


class PathNotFound(Exception):
    """A path the person named does not exist: a usage error, reported before any work."""


def discover(paths: list[Path]) -> Discovery:
    """Every readable file under ``paths``, archive members included, sorted by display path."""
    found = Discovery([], [])
    for path in paths:
        if not path.exists():
            raise PathNotFound(f"{path}: no such file or folder")
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _NOISE_DIRS)
                for name in sorted(names):
                    if name not in _NOISE_NAMES and not name.startswith("._"):
                        _add_file(Path(root) / name, found)
        else:
            _add_file(path, found)
    found.files.sort(key=lambda ref: ref.display)
    found.unclaimed.sort(key=lambda item: item.path)
    return found


def _add_file(path: Path, found: Discovery) -> None:
    try:
        status = path.stat()
        # A pipe, device or socket (or a link to one) could block or never end when read.
        if not stat.S_ISREG(status.st_mode):
            found.unclaimed.append(Unclaimed(str(path), "is not a regular file (a pipe, device or socket); not read"))
            return
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        found.unclaimed.append(Unclaimed(str(path), f"could not be opened: {error.strerror or error}"))
        return
    ref = FileRef(path, (), status.st_size)
    if _is_zip_magic(magic):
        _add_archive(ref, found, depth=1, budget=_Budget(MAX_MEMBERS))
    else:
        found.files.append(ref)


def _is_zip_magic(magic: bytes) -> bool:
    return magic[:4] in (b"PK\x03\x04", b"PK\x05\x06")


@dataclass
class _Budget:
    """Members still allowed under one outermost archive, nested archives included."""

    members: int
    exhausted: bool = False


def _add_archive(archive: FileRef, found: Discovery, depth: int, budget: _Budget) -> None:
    """List an archive's members; nested zips are opened in place up to a depth.

    The archive is opened once: its members' first bytes (is it a zip?) are read through the
    same open ZipFile, so listing n members costs one pass over the central directory, not n.
    """
    nested: list[FileRef] = []
    try:
        with archive.open() as handle, zipfile.ZipFile(handle) as zf:
            infos = zf.infolist()
            refused = _archive_problem(infos, budget)
            if refused:
                found.unclaimed.append(Unclaimed(archive.display, refused))
                return
            for info in infos:
                if info.is_dir() or _is_noise(info.filename):
                    continue
                member = FileRef(archive.path, (*archive.members, info.filename), info.file_size)
                problem = _member_problem(info)
                if problem:
                    found.unclaimed.append(Unclaimed(member.display, problem))
                elif info.filename.lower().endswith(".zip") or _member_is_zip(zf, info):
                    nested.append(member)
                else:
                    found.files.append(member)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        found.unclaimed.append(Unclaimed(archive.display, f"is not a readable zip archive ({error})"))
        return
    for member in nested:
        if depth >= MAX_ARCHIVE_DEPTH:
            found.unclaimed.append(
                Unclaimed(member.display, f"is an archive nested more than {MAX_ARCHIVE_DEPTH} deep; not opened")
            )
        elif member.size > MAX_NESTED_ARCHIVE_BYTES:
            found.unclaimed.append(Unclaimed(member.display, (
                f"is an archive of {member.size:,} bytes inside another; archives over "
                f"{MAX_NESTED_ARCHIVE_BYTES:,} bytes are only read at the top level: unzip the outer one once"
            )))  # fmt: skip
        else:
            _add_archive(member, found, depth + 1, budget)


def _archive_problem(infos: list[zipfile.ZipInfo], budget: _Budget) -> str | None:
    """Why a whole archive is refused: too many members, or members sharing their bytes."""
    if budget.exhausted:
        return "not opened: the archive it is in already held the most members read"
    budget.members -= len(infos)
    if budget.members < 0:
        budget.exhausted = True
        return f"holds (with the archives around it) more than the {MAX_MEMBERS:,} members read"
    # Members whose compressed bytes overlap are how the densest zip bombs are built (one
    # stretch of data counted as thousands of files); no archiver writes them.
    spans = sorted((info.header_offset, info.compress_size) for info in infos if info.compress_size)
    for (offset, length), (next_offset, _) in zip(spans, spans[1:]):
        if next_offset < offset + length:
            return "has members that overlap one another (a zip bomb's construction); not read"
    return None


def _is_noise(name: str) -> bool:
    path = PurePosixPath(name)
    return any(part in _NOISE_DIRS for part in path.parts) or path.name in _NOISE_NAMES


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "is encrypted; auditor reads only unencrypted archives"
    name = info.filename.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in name.split("/"):
        return "has an absolute or '..' path (a name built to escape its folder); not read"
    if (info.external_attr >> 16) & 0o170000 == _S_IFLNK:
        return "is a symbolic link; links inside archives are not followed"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"declares {info.file_size:,} bytes, more than the {MAX_MEMBER_BYTES:,} read"
    ratio = info.file_size / info.compress_size if info.compress_size else 0.0
    if ratio > MAX_COMPRESSION_RATIO or (info.file_size > LARGE_MEMBER_BYTES and ratio > MAX_LARGE_RATIO):
        return (
            f"expands {ratio:,.0f} times to {info.file_size:,} bytes; "
            "archives built to exhaust memory (zip bombs) are not read"
        )
    return None


def _member_is_zip(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    try:
        with zf.open(info) as member:
            return _is_zip_magic(member.read(4))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        return False


def read_head(ref: FileRef) -> Head:
    """The head importers sniff: the first bytes of the file with any BOM removed."""
    return Head(ref, strip_bom(ref.read_head(HEAD_BYTES)))


class _HeadReader:
    """Reads heads, keeping the last archive open: members of one archive come one after
    another (files are sorted by display path), and opening the archive anew for each would
    re-read its whole central directory every time (quadratic in the member count)."""

    def __init__(self) -> None:
        self._key: tuple[Path, tuple[str, ...]] | None = None
        self._archive: zipfile.ZipFile | None = None
        self._closers: list = []

    def read(self, ref: FileRef) -> Head:
        if not ref.members:
            return read_head(ref)
        key = (ref.path, ref.members[:-1])
        if key != self._key:
            self.close()
            self._open(*key)
        assert self._archive is not None
        with self._archive.open(ref.members[-1]) as member:
            return Head(ref, strip_bom(member.read(HEAD_BYTES)))

    def _open(self, path: Path, outer: tuple[str, ...]) -> None:
        handle = open(path, "rb")
        self._closers.append(handle.close)
        for name in outer:
            archive = zipfile.ZipFile(handle)
            self._closers.append(archive.close)
            handle = archive.open(name)
            self._closers.append(handle.close)
        self._archive = zipfile.ZipFile(handle)
        self._closers.append(self._archive.close)
        self._key = (path, outer)

    def close(self) -> None:
        for close in reversed(self._closers):
            close()
        self._closers, self._archive, self._key = [], None, None


def claim(files: list[FileRef], importers: tuple[Importer, ...] = REGISTRY) -> tuple[list[Claim], list[Unclaimed]]:
    """Pick the most confident importer for each file; list the files none wants."""
    claims: list[Claim] = []
    unclaimed: list[Unclaimed] = []
    heads = _HeadReader()
    try:
        for ref in files:
            _claim_one(ref, heads, importers, claims, unclaimed)
    finally:
        heads.close()
    return claims, unclaimed


def _claim_one(ref: FileRef, heads: _HeadReader, importers: tuple[Importer, ...],
               claims: list[Claim], unclaimed: list[Unclaimed]) -> None:  # fmt: skip
    try:
        head = heads.read(ref)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError, KeyError) as error:
        heads.close()  # the archive may be in any state now: open it afresh for the next member
        unclaimed.append(Unclaimed(ref.display, f"could not be read ({error})"))
        return
    if not head.data.strip():
        unclaimed.append(Unclaimed(ref.display, "is empty"))
        return
    best: tuple[float, Importer] | None = None
    for importer in importers:
        confidence = _safe_sniff(importer, head)
        if confidence > 0 and (best is None or confidence > best[0]):
            best = (confidence, importer)
    if best is None:
        unclaimed.append(Unclaimed(ref.display, _why_unclaimed(ref, head)))
    else:
        claims.append(Claim(ref, best[1], best[0]))


def _safe_sniff(importer: Importer, head: Head) -> float:
    # A sniff that trips over odd bytes must not cost the person the rest of the scan;
    # it simply does not claim the file.
    try:
        return float(importer.sniff(head))
    except (ValueError, UnicodeError, IndexError, KeyError, TypeError):
        return 0.0


# Files that come with an export (or with our sample personas) and hold no data of their own.
_KNOWN_COMPANIONS = {
    "archive_browser.html": "Takeout's index page of the archive (no data of its own)",
    "truth.json": "a sample persona's ground truth (what its generator planted), not an export",
    "README.md": "notes, not an export",
}


def _why_unclaimed(ref: FileRef, head: Head) -> str:
    name = ref.display.replace("\\", "/").rsplit("/", 1)[-1]
    if name in _KNOWN_COMPANIONS:
        return _KNOWN_COMPANIONS[name]
    line = head.first_line.strip()
    if len(line) > 60:
        line = line[:57] + "..."
    if not line.isprintable():
        return "no importer recognises it (binary content)"
    return f"no importer recognises it (starts: {line!r})"
