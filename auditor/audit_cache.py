"""The merged dataset and the derived tables of one set of inputs, kept in the parse cache.

The parse cache (:mod:`auditor.cache`) keeps what was read from each file, so that a
changed bank statement does not mean parsing a 1 GB Takeout again. A second audit of
*exactly* the same inputs can skip more: reading every file's frames back and merging
them (about 2 s for the decade persona), and building the derived tables (stays from 3M
points, places, recurring payments: about 1 s more). This module keeps, per set of input
paths (the paths given, in order):

* the merged :class:`~auditor.dataset.Dataset`: one uncompressed Arrow file per kind, read
  back memory-mapped (numbers are not copied: ~0.1 s for 3.3M points), with the import
  reports, what was not read, the overlaps dropped and which importer read which file;
* every derived table built from it (:class:`DerivedStore`), per ablation variant's input,
  for one clock and time zone.

When it is used: every input file's parse-cache key matches (path, size, modification time,
archive members, importer code; the content hash with ``--cache-verify``), and so do the
files discovery could not consider. Derived tables also need the same ``now`` and time zone
and the same derive code (:func:`derive_fingerprint`: the derive modules, the canonical
model and the lists they read). Anything else reads and builds afresh, and the entry is
replaced: one entry per set of input paths, never a pile.

Like the rest of the cache it holds the person's data, owner-only, and ``auditor cache
clear`` removes it. Reading an entry never runs code (Arrow and JSON only, no pickle).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Hashable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from pyarrow import feather

from auditor import __version__, cache, dataset, model, resources
from auditor.dataset import Dataset, DuplicateDrop
from auditor.importers.base import FileRef
from auditor.registry import by_id
from auditor.sources import Claim, Discovery, Unclaimed, discover

# Bump when the layout of an entry changes; entries of other layouts are never read.
LAYOUT = "1"
AUDITS = f"audits-v{LAYOUT}"
_META = "meta.json"
_FRAMES = "frames"
_DERIVED = "derived"
_SUFFIX = ".arrow"
_READ_ERRORS = (OSError, ValueError, KeyError, TypeError, pa.ArrowException)


# --- the merged dataset ---------------------------------------------------------------------


def load_dataset(paths: Iterable[Path], parse_cache: cache.ParseCache,
                 on_file: Callable[[Claim], None] | None = None) -> Dataset:  # fmt: skip
    """What :func:`auditor.dataset.load_dataset` returns, read back whole when the inputs are unchanged.

    Otherwise the files are read through the parse cache (unchanged files from their own
    entries) and merged, and the merged result is kept for next time.
    """
    paths = list(paths)
    parse_cache.audit_entry = None  # until this load has an entry: never the tables of another dataset
    found = discover(paths)
    entry = entry_dir(parse_cache.root, paths)
    key = _dataset_key(parse_cache, found)
    kept = _read_dataset(entry, key, found, on_file)
    if kept is not None:
        parse_cache.stats.hits += 1
        parse_cache.set_audit_entry(entry, key)
        return kept
    claims: list[Claim] = []

    def recording(item: Claim) -> None:
        claims.append(item)
        if on_file:
            on_file(item)

    unreadable_before = parse_cache.stats.unreadable
    loaded = dataset.load_dataset(paths, on_file=recording, cache=parse_cache)
    if _worth_keeping(loaded, parse_cache.stats.unreadable - unreadable_before):
        try:
            _store_dataset(parse_cache, entry, key, loaded, claims)
        except OSError as error:
            for report in loaded.reports:
                report.notes.append(f"could not be kept in the cache at {parse_cache.root} ({error.strerror or error})")
        else:
            parse_cache.set_audit_entry(entry, key)
    return loaded


def entry_dir(root: Path, paths: list[Path]) -> Path:
    """The entry of one set of input paths: a changed file replaces it, never piles up."""
    named = "\n".join(str(Path(path).resolve()) for path in paths)
    return root / AUDITS / hashlib.sha256(named.encode()).hexdigest()[:40]


def _dataset_key(parse_cache: cache.ParseCache, found: Discovery) -> dict[str, Any]:
    return {
        "layout": LAYOUT,
        "files": [parse_cache.key_of(path, refs) for path, refs in _by_file_on_disk(found.files)],
        "not_considered": [[item.path, item.why] for item in found.unclaimed],
    }


def _by_file_on_disk(files: list[FileRef]) -> list[tuple[Path, list[FileRef]]]:
    groups: dict[Path, list[FileRef]] = {}
    for ref in files:
        groups.setdefault(ref.path, []).append(ref)
    return list(groups.items())


def _worth_keeping(loaded: Dataset, unreadable: int) -> bool:
    """A load with a failed file, or with notes about the cache itself, is not kept: those
    notes describe this run, and the next run should try again."""
    if unreadable:
        return False
    for report in loaded.reports:
        if report.error is not None or any("cache" in note for note in report.notes):
            return False
    return True


def _store_dataset(parse_cache: cache.ParseCache, entry: Path, key: dict[str, Any], loaded: Dataset,
                   claims: list[Claim]) -> None:  # fmt: skip
    staging = _staging(parse_cache)
    with cache.published(staging, entry):
        (staging / _FRAMES).mkdir(mode=cache.DIR_MODE)
        kinds = []
        for kind, frame in loaded.frames.items():
            if len(frame):
                write_frame(frame, staging / _FRAMES / f"{kind}{_SUFFIX}")
                kinds.append(kind)
        meta = {
            "key": key,
            "kinds": kinds,
            "all_kinds": list(loaded.frames),
            "claims": [[str(c.ref.path), list(c.ref.members), c.importer.id, c.confidence] for c in claims],
            "reports": [cache.report_as_dict(report) for report in loaded.reports],
            "unclaimed": [[item.path, item.why] for item in loaded.unclaimed],
            "duplicates": [[d.kind, d.kept_file, d.dropped_file, d.count] for d in loaded.duplicates],
        }
        write_text(staging / _META, json.dumps(meta, ensure_ascii=False))


def _read_dataset(entry: Path, key: dict[str, Any], found: Discovery,
                  on_file: Callable[[Claim], None] | None) -> Dataset | None:  # fmt: skip
    meta_path = entry / _META
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("key") != key:
            return None
        refs = {(str(ref.path), ref.members): ref for ref in found.files}
        claims = [Claim(refs[(path, tuple(members))], by_id(importer), float(confidence))
                  for path, members, importer, confidence in meta["claims"]]  # fmt: skip
        stored = set(meta["kinds"])
        frames = {
            kind: read_frame(entry / _FRAMES / f"{kind}{_SUFFIX}", kind) if kind in stored else model.empty_frame(kind)
            for kind in meta["all_kinds"]
        }
        loaded = Dataset(
            frames,
            [cache.report_from_dict(report) for report in meta["reports"]],
            [Unclaimed(path, why) for path, why in meta["unclaimed"]],
            [DuplicateDrop(kind, kept, dropped, int(count)) for kind, kept, dropped, count in meta["duplicates"]],
        )
    except _READ_ERRORS:
        # A damaged or half-written entry: everything is read again (through the per-file
        # entries, which say so when they are damaged too) and the entry is replaced.
        return None
    if on_file:
        for item in claims:
            on_file(item)
    return loaded


# --- derived tables -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def derive_fingerprint() -> str:
    """A digest of what shapes derived tables: a change there invalidates every stored table.

    Covers the auditor version, the derive modules, the derived-table declarations, the
    canonical model, local time (``dataset``), the lists the builders read
    (``rules/lists``) and the loader that reads them.
    """
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"auditor {__version__} derived layout {LAYOUT}".encode())
    files = sorted((package / "derive").glob("*.py"))
    files += [package / "engine" / "derived.py", package / "model.py", package / "dataset.py",
              package / "packs" / "loader.py", package / "packs" / "yamlsafe.py"]  # fmt: skip
    files += sorted((resources.rules_dir() / "lists").rglob("*"))
    for path in files:
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


class DerivedStore:
    """Derived tables of one cached dataset, for one clock and time zone.

    A table is stored under its name and the sources of each kind its builder read (the
    key :class:`auditor.engine.context.View` shares it by), so every ablation variant's
    tables are kept and found again. Tables are written as they are built.
    """

    def __init__(self, folder: Path, key: dict[str, Any]):
        self.folder = folder
        self.key = key
        self.read = 0
        self.written = 0
        self._ready = False

    @classmethod
    def for_audit(cls, parse_cache: cache.ParseCache, now: pd.Timestamp, timezone: str | None) -> DerivedStore | None:
        """The store of the dataset ``parse_cache`` last loaded whole, or None when it kept none."""
        kept = parse_cache.audit_entry
        if kept is None:
            return None
        entry, dataset_key = kept
        key = {"dataset": dataset_key, "now": pd.Timestamp(now).isoformat(), "timezone": timezone,
               "code": derive_fingerprint()}  # fmt: skip
        return cls(entry / _DERIVED, key)

    def get(self, name: str, inputs: Hashable) -> pd.DataFrame | None:
        """The stored table, or None (not built yet, other clock or code, or unreadable)."""
        if not self._matches():
            return None
        path = self._path(name, inputs)
        if not path.is_file():
            return None
        try:
            frame = read_frame(path)
        except _READ_ERRORS:
            return None  # rebuilt and written again
        self.read += 1
        return frame

    def put(self, name: str, inputs: Hashable, frame: pd.DataFrame) -> None:
        """Keep a table just built. A failure to write only costs the next run the build."""
        try:
            self._prepare()
            path = self._path(name, inputs)
            temporary = path.with_name(f".new-{os.getpid()}-{path.name}")
            write_frame(frame, temporary)
            os.replace(temporary, path)
        except OSError:
            return  # a full or read-only disk: the audit goes on, the table is built again next time
        self.written += 1

    def _path(self, name: str, inputs: Hashable) -> Path:
        digest = hashlib.sha256(_stable_text(inputs).encode()).hexdigest()[:24]
        return self.folder / f"{name}-{digest}{_SUFFIX}"

    def _matches(self) -> bool:
        try:
            return json.loads((self.folder / _META).read_text(encoding="utf-8")) == self.key
        except _READ_ERRORS:
            return False

    def _prepare(self) -> None:
        """The folder, emptied first when it holds the tables of another clock or code."""
        if self._ready:
            return
        if not self._matches():
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(mode=cache.DIR_MODE)
            write_text(self.folder / _META, json.dumps(self.key))
        self._ready = True


def _stable_text(value: Hashable) -> str:
    """The same text for the same key in every run (frozensets are unordered)."""
    if isinstance(value, (frozenset, set)):
        return "{" + ",".join(sorted(_stable_text(v) for v in value)) + "}"
    if isinstance(value, tuple):
        return "(" + ",".join(_stable_text(v) for v in value) + ")"
    return repr(value)


# --- files ------------------------------------------------------------------------------------


_CATEGORIES_KEY = b"auditor.categories"


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    """Uncompressed Arrow IPC, owner-only: read back memory-mapped, without a copy.

    Arrow keeps a categorical's labels but not their pandas dtype ("string" comes back as
    "str"): the dtypes are kept beside, so a frame reads back exactly as it was written.
    """
    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    categories = {
        column: str(frame[column].cat.categories.dtype)
        for column in frame.columns
        if isinstance(frame[column].dtype, pd.CategoricalDtype)
    }
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), _CATEGORIES_KEY: json.dumps(categories)})
    feather.write_feather(table, str(path), compression="uncompressed")
    os.chmod(path, cache.FILE_MODE)


def read_frame(path: Path, kind: str | None = None) -> pd.DataFrame:
    """A frame written by :func:`write_frame`, memory-mapped.

    One thread: converting 3.3M rows with Arrow's thread pool costs ~5x the CPU (0.4 against
    0.07 s) on a shared 2-core machine. The mapping outlives a later ``clear`` or rewrite of
    the entry (those unlink and replace files, they never write into them).
    """
    table = feather.read_table(path, memory_map=True)
    frame = table.to_pandas(use_threads=False)
    if kind is not None:
        frame = cache.restore_dtypes(kind, frame)
    categories = json.loads((table.schema.metadata or {}).get(_CATEGORIES_KEY, b"{}"))
    for column, dtype in categories.items():
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype) and str(values.cat.categories.dtype) != dtype:
            labels = values.cat.categories.astype(dtype)
            frame[column] = pd.Categorical.from_codes(values.cat.codes, dtype=pd.CategoricalDtype(labels, values.cat.ordered))
    return frame


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    os.chmod(path, cache.FILE_MODE)


def _staging(parse_cache: cache.ParseCache) -> Path:
    parse_cache.ensure_root()
    audits = parse_cache.root / AUDITS
    audits.mkdir(mode=cache.DIR_MODE, exist_ok=True)
    os.chmod(audits, cache.DIR_MODE)
    return Path(tempfile.mkdtemp(prefix=".new-", dir=audits))  # mkdtemp is 0700
