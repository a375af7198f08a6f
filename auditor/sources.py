"""Find the files in what the person pointed at, and decide which importer reads each.

Given files, folders and zip archives (Google Takeout arrives as several
``takeout-*.zip`` parts, Uber as one zip), :func:`discover` lists every file, looking
inside archives in place, never extracting (DESIGN.md invariant 2). :func:`claim` asks
every importer to sniff each file's head and picks the most confident; files no importer
claims are listed with the reason, never silently dropped.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditor.registry import REGISTRY
from auditor.importers.base import HEAD_BYTES, FileRef, Head, Importer, strip_bom

# Nested archives beyond this depth are listed, not opened: real exports nest at most
# once (an Uber zip inside a Takeout-style folder zipped again).
MAX_ARCHIVE_DEPTH = 3
# Guards against archives built to exhaust memory or time (issue 11 hardens these).
MAX_MEMBER_BYTES = 8 * 1024**3
MAX_COMPRESSION_RATIO = 2000
MAX_MEMBERS = 100_000
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
        size = path.stat().st_size
        with open(path, "rb") as handle:
            magic = handle.read(4)
    except OSError as error:
        found.unclaimed.append(Unclaimed(str(path), f"could not be opened: {error.strerror or error}"))
        return
    ref = FileRef(path, (), size)
    if _is_zip_magic(magic):
        _add_archive(ref, found, depth=1)
    else:
        found.files.append(ref)


def _is_zip_magic(magic: bytes) -> bool:
    return magic[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _add_archive(archive: FileRef, found: Discovery, depth: int) -> None:
    """List an archive's members; nested zips are opened in place up to a depth."""
    try:
        with archive.open() as handle, zipfile.ZipFile(handle) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        found.unclaimed.append(Unclaimed(archive.display, f"is not a readable zip archive ({error})"))
        return
    if len(infos) > MAX_MEMBERS:
        found.unclaimed.append(
            Unclaimed(archive.display, f"holds {len(infos):,} members, more than the {MAX_MEMBERS:,} read")
        )
        return
    for info in infos:
        if info.is_dir():
            continue
        parts = PurePosixPath(info.filename).parts
        if any(part in _NOISE_DIRS for part in parts) or PurePosixPath(info.filename).name in _NOISE_NAMES:
            continue
        member = FileRef(archive.path, (*archive.members, info.filename), info.file_size)
        problem = _member_problem(info)
        if problem:
            found.unclaimed.append(Unclaimed(member.display, problem))
            continue
        if info.filename.lower().endswith(".zip") or _member_is_zip(member):
            if depth >= MAX_ARCHIVE_DEPTH:
                found.unclaimed.append(
                    Unclaimed(member.display, f"is an archive nested more than {MAX_ARCHIVE_DEPTH} deep; not opened")
                )
            else:
                _add_archive(member, found, depth + 1)
            continue
        found.files.append(member)


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & 0x1:
        return "is encrypted; auditor reads only unencrypted archives"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"declares {info.file_size:,} bytes, more than the {MAX_MEMBER_BYTES:,} read"
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return (
            f"expands {info.file_size / info.compress_size:,.0f} times; "
            "archives built to exhaust memory (zip bombs) are not read"
        )
    return None


def _member_is_zip(member: FileRef) -> bool:
    try:
        return _is_zip_magic(member.read_head(4))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def read_head(ref: FileRef) -> Head:
    """The head importers sniff: the first bytes of the file with any BOM removed."""
    return Head(ref, strip_bom(ref.read_head(HEAD_BYTES)))


def claim(files: list[FileRef], importers: tuple[Importer, ...] = REGISTRY) -> tuple[list[Claim], list[Unclaimed]]:
    """Pick the most confident importer for each file; list the files none wants."""
    claims: list[Claim] = []
    unclaimed: list[Unclaimed] = []
    for ref in files:
        try:
            head = read_head(ref)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
            unclaimed.append(Unclaimed(ref.display, f"could not be read ({error})"))
            continue
        if not head.data.strip():
            unclaimed.append(Unclaimed(ref.display, "is empty"))
            continue
        best: tuple[float, Importer] | None = None
        for importer in importers:
            confidence = _safe_sniff(importer, head)
            if confidence > 0 and (best is None or confidence > best[0]):
                best = (confidence, importer)
        if best is None:
            unclaimed.append(Unclaimed(ref.display, _why_unclaimed(ref, head)))
        else:
            claims.append(Claim(ref, best[1], best[0]))
    return claims, unclaimed


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
