"""An optional cache of parsed exports, so that a second audit of the same files skips parsing.

What it stores: per file on disk (a plain export, or an archive with all its members), which
importer read each member, the canonical frames they made (one Arrow/Feather file per kind)
and the import reports (JSON). Nothing else: no findings, no scores, no code. Reading an entry
back never runs anything (no pickle).

Where: ``AUDITOR_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/auditor``, else
``~/.cache/auditor``; never beside the inputs (DESIGN.md invariant 2). The folder is created
owner-only (0700) and every file in it is 0600: **the cache holds the person's own data**
(every location fix, every payment) in a readable form.

Off by default: a privacy tool should not leave a second copy of someone's data behind unless
asked. ``--cache`` (or ``AUDITOR_CACHE=1``) turns it on; ``--no-cache`` turns it off again
whatever the environment says; ``auditor cache clear`` removes it.

When an entry is used: the file's path, size and modification time (nanoseconds), the list
of members found in it (for an archive) and the code fingerprint
(:func:`code_fingerprint`: the auditor version and the bytes of every importer module, the
bank presets and the canonical model) must all match. A content hash is checked only on
request (``--cache-verify``): hashing a 2 GB export alone costs about a second, which is what
the cache exists to save. An entry that cannot be read is ignored, the file is parsed again
and the report says so.

Beside the per-file entries, :mod:`auditor.audit_cache` keeps one entry per set of inputs:
the merged dataset and its derived tables, so that a second audit of the same exports
also skips merging and deriving. ``clear`` removes both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import feather

from auditor import __version__, model
from auditor.importers.base import FileRef, ImportReport, KindSummary, SkipGroup

ENV_DIR = "AUDITOR_CACHE_DIR"
ENV_ON = "AUDITOR_CACHE"
# Bump when the layout of an entry changes; entries of other layouts are never read.
LAYOUT = "1"
_ENTRIES = f"entries-v{LAYOUT}"
_META = "meta.json"
# Arrow IPC (Feather) with lz4: reading the decade persona's 3.3M points back costs ~0.4 s
# of CPU against ~1.3 s for Parquet (bench/e2e_bench.py), for 20% more disk.
_FRAME_SUFFIX = ".arrow"
# Marks the folder as a cache (https://bford.info/cachedir/): backup tools skip it, and
# ``clear`` only ever deletes inside a folder that carries it.
_TAG = "CACHEDIR.TAG"
_TAG_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This folder is auditor's cache of parsed exports. It holds personal data.\n"
    "# Remove it with: auditor cache clear\n"
)
DIR_MODE = 0o700
FILE_MODE = 0o600
_HASH_BLOCK = 8 * 1024 * 1024


def default_dir() -> Path:
    """The cache folder: AUDITOR_CACHE_DIR, else $XDG_CACHE_HOME/auditor, else ~/.cache/auditor."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "auditor"


def wanted(flag: bool | None) -> bool:
    """Whether to use the cache: the command-line flag if given, else ``AUDITOR_CACHE``."""
    if flag is not None:
        return flag
    return os.environ.get(ENV_ON, "").strip().lower() in ("1", "true", "yes", "on")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the code that shapes parsed frames: a change there invalidates every entry.

    Covers the auditor version, every file under ``auditor/importers`` (bank presets
    included), the canonical model, the importer registry, discovery and claiming
    (``sources``) and the merge (``dataset``).
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"auditor {__version__} layout {LAYOUT}".encode())
    files = sorted((package / "importers").rglob("*"))
    files += [package / "model.py", package / "registry.py", package / "sources.py", package / "dataset.py"]
    for path in files:
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".json"):
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


@dataclass
class CacheStats:
    """What the cache did during one load, for progress lines and the benchmark."""

    hits: int = 0
    misses: int = 0
    written: int = 0
    unreadable: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class CachedFile:
    """What was read from one file on disk (a plain file, or an archive with its members).

    ``claims`` pairs each member read with the importer id that read it and its sniff
    confidence; ``unclaimed`` lists (display path, why) for members no importer read;
    ``reports`` has one import report per claim; ``frames`` one frame per kind, the rows
    of every claim of that kind in claim order.
    """

    claims: list[tuple[FileRef, str, float]]
    unclaimed: list[tuple[str, str]]
    reports: list[ImportReport]
    frames: dict[str, pd.DataFrame]


@contextmanager
def published(staging: Path, entry: Path) -> Iterator[Path]:
    """Write a cache entry into ``staging``: it replaces ``entry`` whole when the block ends,
    and is removed if the block fails, so a reader never sees half an entry."""
    try:
        yield staging
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(staging, entry)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


class ParseCache:
    """Parsed frames per input file, under an owner-only folder."""

    def __init__(self, root: Path | None = None, *, verify: bool = False):
        self.root = Path(root) if root is not None else default_dir()
        self.verify = verify
        self.stats = CacheStats()
        self._digests: dict[Path, str] = {}
        self._damaged: dict[str, str] = {}  # display path -> why its entry could not be read
        # The whole-audit entry (auditor.audit_cache) the last load read or wrote, with its
        # key: where the derived tables of that dataset are kept.
        self.audit_entry: tuple[Path, dict[str, Any]] | None = None

    def set_audit_entry(self, entry: Path, key: dict[str, Any]) -> None:
        """Record the whole-audit entry that holds the dataset just loaded."""
        self.audit_entry = (entry, key)

    # --- reading -------------------------------------------------------------------------

    def load(self, path: Path, refs: list[FileRef]) -> CachedFile | None:
        """What was read from the file at ``path`` (``refs``: it, or its archive members).

        None when there is no entry, when the file, the code or the member list changed,
        or when the entry is damaged; :meth:`note_for` then says why for the report.
        """
        entry = self._entry(path)
        meta_path = entry / _META
        if not meta_path.is_file():
            self.stats.misses += 1
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if meta.get("key") != self._key(path, refs):
                self.stats.misses += 1
                return None
            cached = CachedFile(
                claims=[(_ref_of(path, refs, item["members"]), item["importer"], float(item["confidence"]))
                        for item in meta["claims"]],
                unclaimed=[(item["path"], item["why"]) for item in meta["unclaimed"]],
                reports=[report_from_dict(report) for report in meta["reports"]],
                frames={kind: _read_frame(kind, entry / f"{kind}{_FRAME_SUFFIX}") for kind in meta["kinds"]},
            )
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException) as error:
            # A damaged or half-written entry: the file is parsed again, and the report says so.
            self.stats.unreadable += 1
            self.stats.misses += 1
            self._damaged[str(path)] = f"{type(error).__name__}: {error}"
            return None
        self.stats.hits += 1
        return cached

    def note_for(self, path: Path) -> str | None:
        """Why the cached copy of ``path`` was not used, when it was there but damaged."""
        problem = self._damaged.pop(str(path), None)
        if problem is None:
            return None
        return f"the cached copy of this file could not be read ({problem}); the file was parsed again"

    # --- writing -------------------------------------------------------------------------

    def store(self, path: Path, refs: list[FileRef], cached: CachedFile) -> None:
        """Keep what was read from the file at ``path``. A file with a failed import is not kept."""
        if any(report.error is not None for report in cached.reports):
            return
        self.ensure_root()
        entry = self._entry(path)
        staging = Path(tempfile.mkdtemp(prefix=".new-", dir=self.root / _ENTRIES))  # mkdtemp is 0700
        with published(staging, entry):
            for kind, frame in cached.frames.items():
                frame_path = staging / f"{kind}{_FRAME_SUFFIX}"
                frame.reset_index(drop=True).to_feather(frame_path, compression="lz4")
                os.chmod(frame_path, FILE_MODE)
            meta = {
                "key": self._key(path, refs),
                "claims": [
                    {"members": list(ref.members), "importer": importer, "confidence": confidence}
                    for ref, importer, confidence in cached.claims
                ],
                "unclaimed": [{"path": where, "why": why} for where, why in cached.unclaimed],
                "reports": [report_as_dict(report) for report in cached.reports],
                "kinds": list(cached.frames),
            }
            meta_path = staging / _META
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.chmod(meta_path, FILE_MODE)
        self.stats.written += 1

    # --- keys ----------------------------------------------------------------------------

    def key_of(self, path: Path, refs: list[FileRef]) -> dict[str, Any]:
        """What must match for the entry of the file at ``path`` to be used."""
        return self._key(path, refs)

    def _entry(self, path: Path) -> Path:
        # One entry per file on disk: a changed file replaces its entry, never piles up.
        name = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:40]
        return self.root / _ENTRIES / name

    def _key(self, path: Path, refs: list[FileRef]) -> dict[str, Any]:
        outer = path.resolve()
        status = outer.stat()
        key: dict[str, Any] = {
            "path": str(outer),
            "size": status.st_size,
            "mtime_ns": status.st_mtime_ns,
            "members": [list(ref.members) for ref in refs],
            "code": code_fingerprint(),
        }
        if self.verify:
            key["sha256"] = self._digest(outer)
        return key

    def _digest(self, path: Path) -> str:
        if path not in self._digests:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while block := handle.read(_HASH_BLOCK):
                    digest.update(block)
            self._digests[path] = digest.hexdigest()
        return self._digests[path]

    def ensure_root(self) -> None:
        entries = self.root / _ENTRIES
        entries.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for folder in (self.root, entries):
            os.chmod(folder, DIR_MODE)
        tag = self.root / _TAG
        if not tag.exists():
            tag.write_text(_TAG_TEXT, encoding="utf-8")
            os.chmod(tag, FILE_MODE)


# --- info and clear (the ``auditor cache`` command) ---------------------------------------


@dataclass
class CacheInfo:
    root: Path
    exists: bool
    entries: int
    files: list[str]
    bytes: int


def info(root: Path | None = None) -> CacheInfo:
    """How many files the cache holds, which, and how much room it takes."""
    root = Path(root) if root is not None else default_dir()
    entries = root / _ENTRIES
    names: list[str] = []
    size = 0
    count = 0
    if entries.is_dir():
        for entry in sorted(entries.iterdir()):
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            count += 1
            size += sum(path.stat().st_size for path in entry.iterdir() if path.is_file())
            try:
                meta = json.loads((entry / _META).read_text(encoding="utf-8"))
                members = len(meta["claims"])
                names.append(f"{meta['key']['path']} ({members} file{'s' if members != 1 else ''} read)")
            except (OSError, ValueError, KeyError, TypeError):
                names.append(f"{entry.name} (unreadable entry)")
    # Whole audits (auditor.audit_cache): a set of inputs merged, with its derived tables.
    for audits in sorted(root.glob("audits-v*")):
        for entry in sorted(audits.iterdir()) if audits.is_dir() else ():
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            count += 1
            size += sum(path.stat().st_size for path in entry.rglob("*") if path.is_file())
            try:
                meta = json.loads((entry / _META).read_text(encoding="utf-8"))
                files = len(meta["key"]["files"])
                names.append(f"merged audit of {files} input file{'s' if files != 1 else ''} "
                             f"({', '.join(sorted({file['path'] for file in meta['key']['files']}))})")  # fmt: skip
            except (OSError, ValueError, KeyError, TypeError):
                names.append(f"{entry.name} (unreadable entry)")
    return CacheInfo(root, root.is_dir(), count, sorted(names), size)


ARCHIVE_JOIN = "!"


def clear(root: Path | None = None) -> int:
    """Delete every entry; returns how many. Only a folder tagged as our cache is touched."""
    root = Path(root) if root is not None else default_dir()
    if not root.is_dir():
        return 0
    if not (root / _TAG).is_file():
        raise NotOurCache(f"{root} does not look like auditor's cache (no {_TAG}); nothing was deleted")
    count = 0
    # entries-v*: one per file read; audits-v*: one per set of inputs (auditor.audit_cache)
    for entries in (*root.glob("entries-v*"), *root.glob("audits-v*")):
        if entries.is_dir():
            count += sum(1 for entry in entries.iterdir() if entry.is_dir() and not entry.name.startswith("."))
            shutil.rmtree(entries)
    (root / _TAG).unlink()
    try:
        root.rmdir()
    except OSError:
        pass  # the folder holds something else too (the person's choice of AUDITOR_CACHE_DIR): leave it
    return count


class NotOurCache(Exception):
    """The cache folder was set to a folder that auditor did not create."""


# --- (de)serialising frames and reports ----------------------------------------------------


def _read_frame(kind: str, path: Path) -> pd.DataFrame:
    # One thread: Arrow's thread pool costs ~5x the CPU converting 3.3M points on a shared
    # 2-core machine (0.4 against 0.07 s); the result is the same as pd.read_feather's.
    return restore_dtypes(kind, feather.read_table(path).to_pandas(use_threads=False))


def restore_dtypes(kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A canonical frame read back from Arrow, with the model's dtypes where Arrow lost them."""
    if kind not in model.KINDS:
        return frame
    # Arrow drops what it cannot describe (a categorical with no categories comes back as
    # float64): the model's declared dtype is put back on the columns that lost it.
    for column in model.columns(kind):
        if column.name not in frame:
            continue
        actual = frame[column.name].dtype
        if column.dtype == "category":
            lost = not isinstance(actual, pd.CategoricalDtype)
        else:
            lost = str(actual) != column.dtype
        if lost:
            frame[column.name] = model.conform(kind, {column.name: frame[column.name]})[column.name]
    return frame


def _ref_of(path: Path, refs: list[FileRef], members: list[str]) -> FileRef:
    wanted_members = tuple(members)
    for ref in refs:
        if ref.members == wanted_members:
            return ref
    raise KeyError(f"member {ARCHIVE_JOIN.join(members)} is not in {path}")


def report_as_dict(report: ImportReport) -> dict[str, Any]:
    data = asdict(report)
    data["kinds"] = {
        kind: {"kept": s.kept, "first": _stamp(s.first), "last": _stamp(s.last)} for kind, s in report.kinds.items()
    }
    return data


def _stamp(value: pd.Timestamp | None) -> str | None:
    return None if value is None or pd.isna(value) else value.isoformat()


def report_from_dict(data: dict[str, Any]) -> ImportReport:
    kinds = {
        kind: KindSummary(
            int(s["kept"]),
            pd.Timestamp(s["first"]) if s["first"] else None,
            pd.Timestamp(s["last"]) if s["last"] else None,
        )
        for kind, s in data.pop("kinds").items()
    }
    skipped = {reason: SkipGroup(**group) for reason, group in data.pop("skipped").items()}
    return ImportReport(**data, kinds=kinds, skipped=skipped)
