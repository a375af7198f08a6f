"""The Dataset: one canonical frame per kind, the import reports, and how overlaps merged.

:func:`load_dataset` is the import half of the pipeline: discover the files, let each
importer read what it claims, then merge the frames of each kind, dropping the copies
that overlapping exports share (a Takeout downloaded twice, two bank statements that
overlap, the same point in Records.json and in an on-device export).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from auditor import model
from auditor.registry import REGISTRY
from auditor.importers.base import BadInput, FileRef, ImportReport, Importer
from auditor.sources import Claim, Unclaimed, claim, discover


@dataclass
class DuplicateDrop:
    """Rows of one file dropped because another file (or the same one) had them first."""

    kind: str
    kept_file: str
    dropped_file: str
    count: int


@dataclass
class Dataset:
    """Everything imported: frames per kind, a report per file, what was not read."""

    frames: dict[str, pd.DataFrame]
    reports: list[ImportReport]
    unclaimed: list[Unclaimed] = field(default_factory=list)
    duplicates: list[DuplicateDrop] = field(default_factory=list)

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self.frames[kind]

    @property
    def rows_kept(self) -> int:
        return sum(len(frame) for frame in self.frames.values())


def import_file(ref: FileRef, importer: Importer) -> tuple[dict[str, pd.DataFrame], ImportReport]:
    """Read one file with one importer. Bad input becomes a message, never a traceback.

    With ``AUDITOR_STRICT=1`` (the test suite) an unexpected exception is re-raised, so
    that importer bugs fail tests instead of hiding behind a polite message.
    """
    report = ImportReport(path=ref.display, importer=importer.id, title=importer.title)
    frames: dict[str, pd.DataFrame] = {}
    try:
        frames = importer.load(ref, report)
    except BadInput as problem:
        where = f" (at record {problem.record})" if problem.record is not None else ""
        report.error = f"{problem.message}{where}"
    except MemoryError:
        report.error = "the file is too large to read in the memory available"
    except Exception as error:  # noqa: BLE001 - the edge where bugs become messages
        if os.environ.get("AUDITOR_STRICT") == "1":
            raise
        report.error = f"could not be read: {type(error).__name__}: {error} (please report this)"
    frames = {kind: frame for kind, frame in frames.items() if frame is not None}
    report.rows_read = max(report.rows_read, sum(len(f) for f in frames.values()) + report.skipped_total)
    report.summarise(frames)
    return frames, report


def load_dataset(paths: Iterable[Path], on_file: Callable[[Claim], None] | None = None) -> Dataset:
    """Discover, claim, import and merge everything under ``paths``.

    ``on_file`` is called before each file is read, for progress display.
    """
    found = discover(list(paths))
    claims, unclaimed = claim(found.files)
    per_kind: dict[str, list[pd.DataFrame]] = {kind: [] for kind in model.KIND_NAMES}
    reports: list[ImportReport] = []
    for item in claims:
        if on_file:
            on_file(item)
        frames, report = import_file(item.ref, item.importer)
        reports.append(report)
        for kind, frame in frames.items():
            if len(frame):
                per_kind[kind].append(frame)
    frames: dict[str, pd.DataFrame] = {}
    duplicates: list[DuplicateDrop] = []
    for kind, parts in per_kind.items():
        merged, dropped = merge_kind(kind, parts)
        frames[kind] = merged
        duplicates.extend(dropped)
    for report in reports:
        report.duplicates_dropped = sum(d.count for d in duplicates if d.dropped_file == report.path)
    return Dataset(frames, reports, sorted(found.unclaimed + unclaimed, key=lambda u: u.path), duplicates)


def local_times(frame: pd.DataFrame, column: str, timezone: str | None = None) -> pd.Series:
    """Wall-clock local time of a UTC column, as naive datetimes.

    A row's own offset wins where the export stated one (``utc_offset_min``); other rows
    are read in ``timezone`` (the ``--timezone`` setting), or stay in UTC when none is set.
    """
    utc = frame[column]
    if timezone:
        fallback = utc.dt.tz_convert(timezone).dt.tz_localize(None)
    else:
        fallback = utc.dt.tz_localize(None)
    if "utc_offset_min" not in frame:
        return fallback
    offsets = frame["utc_offset_min"]
    stated = utc.dt.tz_localize(None) + pd.to_timedelta(offsets.astype("float64"), unit="min")
    return stated.where(offsets.notna(), fallback)


# --- Merging overlaps --------------------------------------------------------------------

_IMPORTER_RANK = {importer.id: rank for rank, importer in enumerate(REGISTRY)}


def merge_kind(kind: str, parts: list[pd.DataFrame]) -> tuple[pd.DataFrame, list[DuplicateDrop]]:
    """Concatenate one kind's frames, drop overlapping copies, order by time.

    The copy that wins comes from the earlier importer in the registry (raw device fixes
    before reconstructed paths), then from the file that sorts first.
    """
    if not parts:
        return model.empty_frame(kind), []
    combined = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)
    for column in ("importer", "file", "source", *[c.name for c in model.KINDS[kind] if c.dtype == "category"]):
        if column in combined and not isinstance(combined[column].dtype, pd.CategoricalDtype):
            combined[column] = combined[column].astype("category")
    key_of = _OVERLAP_KEYS.get(kind)
    dropped: list[DuplicateDrop] = []
    if key_of is not None:
        combined, dropped = _drop_overlaps(kind, combined, key_of)
    order_by = model.time_columns(kind)[0]
    combined = combined.sort_values([order_by, "file", "record"], kind="stable", na_position="last")
    return combined.reset_index(drop=True), dropped


def _drop_overlaps(
    kind: str, frame: pd.DataFrame, key_of: Callable[[pd.DataFrame], tuple[list[np.ndarray], bool]]
) -> tuple[pd.DataFrame, list[DuplicateDrop]]:
    keys, across_files_only = key_of(frame)
    rank = frame["importer"].map(_IMPORTER_RANK).astype("float64").fillna(len(_IMPORTER_RANK)).to_numpy()
    file_codes = frame["file"].cat.codes.to_numpy()
    # Lexsort: the last key is the primary one. Winner order: importer rank, file, record.
    order = np.lexsort((frame["record"].to_numpy(), file_codes, rank))
    sorted_keys = [k[order] for k in keys]
    sorted_files = file_codes[order]
    if across_files_only:
        # Repeats within one file are real (two identical coffees on one day): the key
        # carries the occurrence number, so only repeats across files are dropped.
        duplicated = _cross_file_duplicates(sorted_keys, sorted_files)
    else:
        duplicated = pd.Series(_group_codes(sorted_keys)).duplicated().to_numpy()
    if not duplicated.any():
        return frame, []
    winner_codes = _winner_file(sorted_keys, sorted_files)
    dropped_rows = order[duplicated]
    pairs = pd.DataFrame({"kept": winner_codes[duplicated], "dropped": sorted_files[duplicated]})
    categories = frame["file"].cat.categories
    drops = [
        DuplicateDrop(kind, str(categories[kept]), str(categories[gone]), int(count))
        for (kept, gone), count in pairs.value_counts(sort=False).sort_index().items()
    ]
    keep_mask = np.ones(len(frame), dtype=bool)
    keep_mask[dropped_rows] = False
    return frame[keep_mask], drops


def _group_codes(keys: list[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of the key arrays."""
    codes = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        part, uniques = pd.factorize(key, use_na_sentinel=False)
        codes = codes * (len(uniques) + 1) + part
        # Re-factorise to keep the combined code small and collision-free.
        codes, _ = pd.factorize(codes)
    return codes


def _winner_file(sorted_keys: list[np.ndarray], sorted_files: np.ndarray) -> np.ndarray:
    codes = _group_codes(sorted_keys)
    first_file = pd.Series(sorted_files).groupby(codes, sort=False).transform("first")
    return first_file.to_numpy()


def _cross_file_duplicates(sorted_keys: list[np.ndarray], sorted_files: np.ndarray) -> np.ndarray:
    """A row is dropped when an earlier file (in winner order) already had its key."""
    codes = _group_codes(sorted_keys)
    winner = _winner_file(sorted_keys, sorted_files)
    return (sorted_files != winner) & pd.Series(codes).duplicated().to_numpy()


def _point_key(frame: pd.DataFrame) -> tuple[list[np.ndarray], bool]:
    # The same fix: the same UTC second and coordinates equal to ~1 m (1e-5 degrees).
    seconds = frame["time"].astype("int64").to_numpy() // 1_000_000_000
    lat = np.round(frame["lat"].to_numpy() * 1e5).astype(np.int64)
    lon = np.round(frame["lon"].to_numpy() * 1e5).astype(np.int64)
    return [seconds, lat, lon], False


def _occurrence(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The n-th time this combination appears within its own file (0, 1, 2...)."""
    return frame.groupby(["file", *columns], observed=True, dropna=False, sort=False).cumcount().to_numpy()


def _transaction_key(frame: pd.DataFrame) -> tuple[list[np.ndarray], bool]:
    # Account, date, amount, description and the occurrence within the file: two coffees
    # of the same price on one day in one statement both stay.
    day = frame["time"].dt.floor("D").astype("int64").to_numpy()
    cents = np.round(frame["amount"].to_numpy() * 100).astype(np.int64)
    account = frame["account"].astype("string").fillna("").to_numpy()
    text = frame["description"].fillna("").str.strip().str.upper().to_numpy()
    helper = pd.DataFrame({"file": frame["file"], "d": day, "c": cents, "a": account, "t": text})
    occurrence = _occurrence(helper, ["d", "c", "a", "t"])
    return [account, day, cents, text, occurrence], True


def _trip_key(frame: pd.DataFrame) -> tuple[list[np.ndarray], bool]:
    requested = frame["requested"].astype("int64").to_numpy() // 1_000_000_000
    provider = frame["provider"].astype("string").fillna("").to_numpy()
    service = frame["service"].astype("string").fillna("").to_numpy()
    helper = pd.DataFrame({"file": frame["file"], "r": requested, "p": provider, "s": service})
    occurrence = _occurrence(helper, ["r", "p", "s"])
    return [provider, service, requested, occurrence], True


def _visit_key(frame: pd.DataFrame) -> tuple[list[np.ndarray], bool]:
    start = frame["start"].astype("int64").to_numpy() // 1_000_000_000
    lat = np.round(frame["lat"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    lon = np.round(frame["lon"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    return [start, lat, lon], True


def _activity_key(frame: pd.DataFrame) -> tuple[list[np.ndarray], bool]:
    start = frame["start"].astype("int64").to_numpy() // 1_000_000_000
    lat = np.round(frame["start_lat"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    lon = np.round(frame["start_lon"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    mode = frame["mode"].astype("string").fillna("").to_numpy()
    return [start, lat, lon, mode], True


_OVERLAP_KEYS: dict[str, Callable[[pd.DataFrame], tuple[list[np.ndarray], bool]]] = {
    "points": _point_key,
    "transactions": _transaction_key,
    "trips": _trip_key,
    "visits": _visit_key,
    "activities": _activity_key,
}
