"""The Dataset: one canonical frame per kind, the import reports, and how overlaps merged.

:func:`load_dataset` is the import half of the pipeline: discover the files, let each
importer read what it claims, then merge the frames of each kind, dropping the copies
that overlapping exports share (a Takeout downloaded twice, two bank statements that
overlap, the same point in Records.json and in an on-device export).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from auditor import model, workers
from auditor.cache import CachedFile, ParseCache
from auditor.importers.base import BadInput, FileRef, Importer, ImportReport, KindSummary
from auditor.registry import REGISTRY, by_id
from auditor.sources import Claim, Unclaimed, claim, discover

_T = TypeVar("_T")


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
    report = _new_report(ref, importer)
    frames = _guarded(report, lambda: importer.load(ref, report)) or {}
    frames = {kind: frame for kind, frame in frames.items() if frame is not None}
    report.rows_read = max(report.rows_read, sum(len(f) for f in frames.values()) + report.skipped_total)
    report.summarise(frames)
    return frames, report


def import_batch(
    refs: list[FileRef], importer: Importer, before: Callable[[int], None] | None = None
) -> tuple[list[dict[str, pd.DataFrame]], list[ImportReport]]:
    """Read several files of one format, each with its own report; ``before(i)`` runs before file i.

    A format that can build the frames of many files at once (``Importer.assemble``: the month
    files of a Takeout) does, and gives one set of frames holding every file's rows; otherwise
    each file is read by :func:`import_file`. Either way the rows, reports and messages are
    those of reading the files one by one.
    """
    one_by_one = importer.parse is None or importer.assemble is None or len(refs) < 2
    if one_by_one or len({ref.display for ref in refs}) < len(refs):
        return _one_by_one(refs, importer, before)
    reports = [_new_report(ref, importer) for ref in refs]
    parsed: list[tuple[FileRef, ImportReport, object]] = []
    for index, (ref, report) in enumerate(zip(refs, reports)):
        if before:
            before(index)
        state = _guarded(report, partial(importer.parse, ref, report))  # type: ignore[arg-type]
        if report.error is None:
            parsed.append((ref, report, state))
        else:  # as import_file counts a file that failed: what it skipped before failing
            report.rows_read = max(report.rows_read, report.skipped_total)
    if not parsed:
        return [], reports
    try:
        frames = importer.assemble([*parsed])  # type: ignore[misc]
    except Exception as error:  # noqa: BLE001 - retried file by file below, where the message is made
        if os.environ.get("AUDITOR_STRICT") == "1" and not isinstance(error, (BadInput, MemoryError, RecursionError)):
            raise
        # One file's oddity must not cost the others their rows: each is read again on its own,
        # and the one at fault gets the message.
        again, again_reports = _one_by_one([ref for ref, _, _ in parsed], importer, None)
        by_path = {report.path: report for report in again_reports}
        return again, [by_path.get(report.path, report) for report in reports]
    _summarise_files(frames, [report for _, report, _ in parsed])
    return [frames], reports


def _one_by_one(
    refs: list[FileRef], importer: Importer, before: Callable[[int], None] | None
) -> tuple[list[dict[str, pd.DataFrame]], list[ImportReport]]:
    parts: list[dict[str, pd.DataFrame]] = []
    reports: list[ImportReport] = []
    for index, ref in enumerate(refs):
        if before:
            before(index)
        frames, report = import_file(ref, importer)
        parts.append(frames)
        reports.append(report)
    return parts, reports


def _new_report(ref: FileRef, importer: Importer) -> ImportReport:
    return ImportReport(path=ref.display, importer=importer.id, title=importer.title)


def _guarded(report: ImportReport, read: Callable[[], _T]) -> _T | None:
    """``read()``, or None with ``report.error`` saying in plain words why the file could not be read."""
    try:
        return read()
    except BadInput as problem:
        where = f" (at record {problem.record})" if problem.record is not None else ""
        report.error = f"{problem.message}{where}"
    except MemoryError:
        report.error = "the file is too large to read in the memory available"
    except RecursionError:
        # JSON decoders (msgspec, json) refuse data nested thousands of levels deep this way.
        report.error = "the data is nested too deeply to read (thousands of levels); expected an export's flat records"
    except Exception as error:  # noqa: BLE001 - the edge where bugs become messages
        if os.environ.get("AUDITOR_STRICT") == "1":
            raise
        report.error = f"could not be read: {type(error).__name__}: {error} (please report this)"
    return None


def _summarise_files(frames: dict[str, pd.DataFrame], reports: list[ImportReport]) -> None:
    """What :meth:`ImportReport.summarise` says of each file's own rows, read off shared frames.

    ``frames`` hold the rows of every file in ``reports``, each row's file in its ``file``
    column; kinds, counts and time spans come out as if each file had its own frames.
    """
    index_of = {report.path: index for index, report in enumerate(reports)}
    for report in reports:
        report.kinds = {}
    for kind, frame in frames.items():
        labels = frame["file"].cat.categories
        owner_of_code = np.array([index_of[str(label)] for label in labels], dtype=np.int64)
        owners = owner_of_code[frame["file"].cat.codes.to_numpy()]
        counts = np.bincount(owners, minlength=len(reports))
        first: dict[int, pd.Timestamp] = {}
        last: dict[int, pd.Timestamp] = {}
        times = model.time_columns(kind)
        if times and len(frame):
            column = frame[times[0]]
            present = column.notna().to_numpy()
            grouped = column[present].groupby(owners[present])
            first, last = grouped.min().to_dict(), grouped.max().to_dict()
        for index, report in enumerate(reports):
            report.kinds[kind] = KindSummary(int(counts[index]), first.get(index), last.get(index))
    for report in reports:
        report.rows_read = max(report.rows_read, report.kept_total + report.skipped_total)


def load_dataset(
    paths: Iterable[Path], on_file: Callable[[Claim], None] | None = None, cache: ParseCache | None = None
) -> Dataset:
    """Discover, claim, import and merge everything under ``paths``.

    ``on_file`` is called before each file is read, for progress display (files read by
    worker processes are announced as their results are collected). With a ``cache``, files
    parsed before (same path, size, modification time and code) are read back from it instead
    of parsed; see :mod:`auditor.cache`.
    """
    found = discover(list(paths))
    per_kind: dict[str, list[pd.DataFrame]] = {kind: [] for kind in model.KIND_NAMES}
    reports: list[ImportReport] = []
    unclaimed: list[Unclaimed] = []
    if cache is None:
        claims, unclaimed = claim(found.files)
        parts, reports = read_claims(claims, on_file)
        for frames in parts:
            for kind, frame in frames.items():
                if len(frame):
                    per_kind[kind].append(frame)
    else:
        for path, refs in _by_file_on_disk(found.files):
            read = _read_cached(path, refs, cache, on_file)
            reports.extend(read.reports)
            unclaimed.extend(Unclaimed(where, why) for where, why in read.unclaimed)
            for kind, frame in read.frames.items():
                if len(frame):
                    per_kind[kind].append(frame)
    frames: dict[str, pd.DataFrame] = {}
    duplicates: list[DuplicateDrop] = []
    for kind, parts_of_kind in per_kind.items():
        merged, dropped = merge_kind(kind, parts_of_kind)
        frames[kind] = merged
        duplicates.extend(dropped)
    for report in reports:
        report.duplicates_dropped = sum(d.count for d in duplicates if d.dropped_file == report.path)
    return Dataset(frames, reports, sorted(found.unclaimed + unclaimed, key=lambda u: u.path), duplicates)


# --- Reading the claimed files, in one process or several -------------------------------------
#
# Results never depend on how many processes read (DESIGN.md invariant 5): every file gives
# the same frames and report wherever it is read, reports keep the claims' order, and merging
# orders rows by time, file and record whatever order the frames arrive in.

@dataclass(frozen=True)
class _Task:
    """Files read together by one process: one file, or a batch of one format's files."""

    positions: tuple[int, ...]  # of the files in the claims list
    importer_id: str
    refs: tuple[FileRef, ...]

    @property
    def size(self) -> int:
        return sum(ref.size for ref in self.refs)


def read_claims(
    claims: list[Claim], on_file: Callable[[Claim], None] | None = None
) -> tuple[list[dict[str, pd.DataFrame]], list[ImportReport]]:
    """Import every claimed file: frames (a dict per file or per batch) and a report per claim, in order.

    With a CPU budget above one (:func:`auditor.workers.cpu_budget`) and enough to read, the
    files below :data:`auditor.workers.MAIN_PROCESS_BYTES` go to a pool of worker processes while this process
    reads the large ones; ``AUDITOR_WORKERS=1`` keeps everything here.
    """
    here, pooled, pool_size = _share(claims, workers.cpu_budget())
    parts: list[dict[str, pd.DataFrame]] = []
    reports: list[ImportReport | None] = [None] * len(claims)

    def keep(task: _Task, read: tuple[list[dict[str, pd.DataFrame]], list[ImportReport]]) -> None:
        parts.extend(read[0])
        for position, report in zip(task.positions, read[1]):
            reports[position] = report

    def read_here(task: _Task) -> None:
        announce = (lambda index: on_file(claims[task.positions[index]])) if on_file else None
        keep(task, _run_task(task, announce))

    if not pooled:
        workers.discard_early()  # started for a load that, its files claimed, wants none
        for task in here:
            read_here(task)
        return parts, reports  # type: ignore[return-value]
    # the workers the command line started while it imported pandas (workers.start_early), if
    # they are as many as wanted; else new ones
    executor = workers.take_early(pool_size) or start_pool(pool_size)
    finished = False
    try:
        # the largest first, so that the last to finish is a small one
        futures = {id(task): executor.submit(_run_task, task) for task in sorted(pooled, key=lambda t: -t.size)}
        for task in here:
            read_here(task)
        waiting = list(pooled)
        try:
            while waiting:
                task = waiting[0]
                if on_file:
                    for position in task.positions:
                        on_file(claims[position])
                keep(task, futures[id(task)].result())
                waiting.pop(0)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): what it had not delivered is read here,
            # as it would have been without workers.
            for task in waiting:
                keep(task, _run_task(task))
        finished = True
    finally:
        if not finished:
            # Cancelled (on_file raised), interrupted (Ctrl-C) or failed: the workers' current
            # files are of no use now, and workers only ever read, so they are stopped at once
            # rather than waited for at exit.
            workers.stop(executor)
        if not (finished and workers.hand_over(executor)):  # run_audit may want them for more
            # Not waiting: idle workers take ~0.5 s to wind Python down, which they do while
            # this process merges.
            executor.shutdown(wait=False, cancel_futures=True)
    return parts, reports  # type: ignore[return-value]


def start_pool(size: int) -> ProcessPoolExecutor:
    """Worker processes for reading files; each knows it is a worker (one process per file inside)."""
    return workers.new_pool(size)


def _share(claims: list[Claim], budget: int) -> tuple[list[_Task], list[_Task], int]:
    """Tasks for this process, tasks for workers, and how many workers."""
    large = [position for position, item in enumerate(claims) if item.ref.size >= workers.MAIN_PROCESS_BYTES]
    small = [position for position, item in enumerate(claims) if item.ref.size < workers.MAIN_PROCESS_BYTES]
    small_bytes = sum(claims[position].ref.size for position in small)
    pool_size = workers.pool_size(bool(large), small_bytes, budget)
    if not pool_size:
        return _tasks(claims, list(range(len(claims))), 1), [], 0
    return _tasks(claims, large, 1), _tasks(claims, small, pool_size), pool_size


def _tasks(claims: list[Claim], positions: list[int], batches: int) -> list[_Task]:
    """One task per file, except that a format that reads many files at once gets ``batches`` batches.

    Batches are runs of consecutive files of about equal bytes; tasks are in claim order.
    """
    tasks: list[_Task] = []
    together: dict[str, list[int]] = {}
    for position in positions:
        importer = claims[position].importer
        if importer.assemble is not None and importer.parse is not None:
            together.setdefault(importer.id, []).append(position)
        else:
            tasks.append(_Task((position,), importer.id, (claims[position].ref,)))
    for importer_id, members in together.items():
        sizes = np.array([claims[position].ref.size for position in members], dtype=np.float64)
        # file i goes to the batch its middle byte falls in: runs of about total/batches bytes
        middle = np.cumsum(sizes) - sizes / 2
        batch_of = np.minimum((middle * batches // max(sizes.sum(), 1)).astype(np.int64), batches - 1)
        for batch in np.unique(batch_of):
            chosen = [members[i] for i in np.flatnonzero(batch_of == batch)]
            tasks.append(_Task(tuple(chosen), importer_id, tuple(claims[p].ref for p in chosen)))
    return sorted(tasks, key=lambda task: task.positions[0])


def _run_task(
    task: _Task, before: Callable[[int], None] | None = None
) -> tuple[list[dict[str, pd.DataFrame]], list[ImportReport]]:
    """Read a task's files (in this process or a worker's); ``before(i)`` runs before file i."""
    return import_batch(list(task.refs), by_id(task.importer_id), before)


def _by_file_on_disk(files: list[FileRef]) -> list[tuple[Path, list[FileRef]]]:
    """The files found, grouped by the file on disk that holds them (an archive, or itself)."""
    groups: dict[Path, list[FileRef]] = {}
    for ref in files:
        groups.setdefault(ref.path, []).append(ref)
    return list(groups.items())


def _read_cached(
    path: Path, refs: list[FileRef], cache: ParseCache, on_file: Callable[[Claim], None] | None
) -> CachedFile:
    """What the cache holds for one file on disk, or a fresh claim and import, then kept."""
    kept = cache.load(path, refs)
    if kept is not None:
        if on_file:
            for ref, importer_id, confidence in kept.claims:
                on_file(Claim(ref, by_id(importer_id), confidence))
        return kept
    claims, unclaimed = claim(refs)
    parts, reports = read_claims(claims, on_file)
    per_kind: dict[str, list[pd.DataFrame]] = {}
    for frames in parts:
        for kind, frame in frames.items():
            if len(frame):
                per_kind.setdefault(kind, []).append(frame)
    read = CachedFile(
        claims=[(item.ref, item.importer.id, item.confidence) for item in claims],
        unclaimed=[(item.path, item.why) for item in unclaimed],
        reports=reports,
        frames={kind: _concat(parts) for kind, parts in per_kind.items()},
    )
    try:
        cache.store(path, refs, read)
    except OSError as error:
        for report in reports:
            report.notes.append(f"could not be kept in the cache at {cache.root} ({error.strerror or error})")
    note = cache.note_for(path)
    if note:
        for report in reports:
            report.notes.append(note)
    return read


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
    combined = _concat(parts)
    for column in ("importer", "file", "source", *[c.name for c in model.KINDS[kind] if c.dtype == "category"]):
        if column in combined and not isinstance(combined[column].dtype, pd.CategoricalDtype):
            combined[column] = combined[column].astype("category")
    # Every row in time order first: the kept rows keep that order, and the overlap check
    # reuses it where its first key is the time (points), instead of sorting 3M rows again.
    order = _time_order(combined, model.time_columns(kind)[0])
    key_of = _OVERLAP_KEYS.get(kind)
    dropped: list[DuplicateDrop] = []
    positions = order
    if key_of is not None:
        keep, dropped = _drop_overlaps(kind, combined, key_of, order)
        if keep is not None:
            positions = order[keep[order]]
    if len(positions) == len(combined) and (len(positions) < 2 or bool((np.diff(positions) == 1).all())):
        return combined.reset_index(drop=True), dropped  # already in order, nothing dropped
    # The rows kept, in time order, copied once, column by column: DataFrame.take of 3.3M
    # points x 14 columns re-blocks them and costs about twice as much.
    return _take_columns(combined, positions), dropped


def _take_columns(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The rows at ``positions``, one array per column (no block consolidation: no second copy)."""
    return pd.DataFrame({column: frame[column].array.take(positions) for column in frame.columns}, copy=False)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the parts; categorical columns get one sorted set of categories.

    Concatenating categoricals whose categories differ (every file has its own ``file``
    label) makes pandas fall back to an array of strings: ~7 s for a 3M-point merge.
    ``union_categoricals`` recodes instead. Sorted categories also make the ``file``
    codes sort like the file names.
    """
    if len(parts) == 1:
        return _sorted_categories(parts[0].reset_index(drop=True))
    columns = list(parts[0].columns)
    categorical = [
        column
        for column in columns
        if all(column in part and isinstance(part[column].dtype, pd.CategoricalDtype) for part in parts)
    ]
    joined = {}
    for column in columns:
        arrays = [part[column].array for part in parts]
        if column in categorical:
            joined[column] = _union(arrays)  # type: ignore[arg-type]
        elif all(type(array) is type(arrays[0]) and array.dtype == arrays[0].dtype for array in arrays):
            # column by column, as one array each: pd.concat copies into consolidated blocks
            joined[column] = type(arrays[0])._concat_same_type(arrays)  # type: ignore[attr-defined]
        else:  # dtypes that differ between parts: pandas finds the common one
            joined[column] = pd.concat([part[column] for part in parts], ignore_index=True).array
    return pd.DataFrame(joined, copy=False)


def _union(arrays: list[pd.Categorical]) -> pd.Categorical:
    # A column that is missing throughout a part has empty categories of another dtype
    # (float64), which union_categoricals refuses; such parts take the others' dtype.
    labelled = [array for array in arrays if len(array.categories)]
    if not labelled:
        return pd.Categorical.from_codes(np.concatenate([a.codes for a in arrays]), dtype=arrays[0].dtype)
    # Categories of text come as "str" or "string" depending on how a column was built
    # (and how a cached frame was read back); one dtype for all, so that only codes move.
    label_dtype = labelled[0].categories.dtype
    arrays = [
        a
        if len(a.categories) and a.categories.dtype == label_dtype
        else pd.Categorical.from_codes(a.codes, dtype=pd.CategoricalDtype(a.categories.astype(label_dtype)))
        for a in arrays
    ]
    try:
        return union_categoricals(arrays, sort_categories=True)
    except TypeError:  # categories that are not all text: fall back to their words
        labels = sorted({str(label) for array in arrays for label in array.categories})
        return pd.Categorical(np.concatenate([np.asarray(a.astype(object)) for a in arrays]), categories=labels)


def _sorted_categories(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame["file"].dtype, pd.CategoricalDtype) and not frame["file"].cat.categories.is_monotonic_increasing:
        frame = frame.copy(deep=False)
        frame["file"] = frame["file"].cat.reorder_categories(sorted(frame["file"].cat.categories))
    return frame


def _time_order(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Positions that order rows by time (missing last), then file name, then record.

    A lexsort of integers: the parts arrive nearly in time order, which merge sorting
    exploits, where ``sort_values`` would factorise the time column first (~1.3 s at 3M).
    """
    ticks = frame[column].array.asi8.copy()  # type: ignore[union-attr]
    ticks[ticks == np.iinfo(np.int64).min] = np.iinfo(np.int64).max  # NaT sorts last
    files = _codes_in_name_order(frame["file"])
    return np.lexsort((frame["record"].to_numpy(), files, ticks))


def _codes_in_name_order(files: pd.Series) -> np.ndarray:
    if isinstance(files.dtype, pd.CategoricalDtype) and files.cat.categories.is_monotonic_increasing:
        return files.cat.codes.to_numpy()
    return pd.factorize(files.astype("string"), sort=True)[0]


def _drop_overlaps(
    kind: str, frame: pd.DataFrame, key_of: Callable[[pd.DataFrame], _Keys], order: np.ndarray | None = None
) -> tuple[np.ndarray | None, list[DuplicateDrop]]:
    """A mask of the rows to keep (None: all of them) and what was dropped.

    ``order``, positions that may already sort the first key (the time order, for points),
    spares a sort when they do.
    """
    first, rest, across_files_only = key_of(frame)
    first = _sortable(first)
    # One sort puts equal keys side by side, each run in winner order (importer rank, file,
    # record): the first row of a run wins. Sorting beats hashing here: the keys arrive
    # nearly sorted by time, which merge sorting exploits. Only rows whose first key
    # (the time, for points) repeats can be copies, so the full sort (and the other keys)
    # sees only those.
    rows = _first_key_repeats(first, order)
    if not len(rows):
        return None, []
    keys = [first[rows], *[_sortable(key) for key in rest(rows)]]
    rank = frame["importer"].map(_IMPORTER_RANK).astype("float64").fillna(len(_IMPORTER_RANK)).to_numpy()[rows]
    file_codes = _codes_in_name_order(frame["file"])[rows]
    records = frame["record"].to_numpy()[rows]
    within = np.lexsort((records, file_codes, rank, *reversed(keys)))
    order = rows[within]
    sorted_keys = [key[within] for key in keys]
    sorted_files = file_codes[within]
    repeat = np.ones(len(order), dtype=bool)
    repeat[0] = False
    for key in sorted_keys:
        repeat[1:] &= key[1:] == key[:-1]
    run = np.cumsum(~repeat) - 1
    winner_codes = sorted_files[np.flatnonzero(~repeat)][run]
    # Repeats within one file are real (two identical coffees on one day): the key carries
    # the occurrence number, so only repeats across files are dropped.
    duplicated = repeat & (sorted_files != winner_codes) if across_files_only else repeat
    if not duplicated.any():
        return None, []
    dropped_rows = order[duplicated]
    pairs = pd.DataFrame({"kept": winner_codes[duplicated], "dropped": sorted_files[duplicated]})
    names = _names_of_codes(frame["file"])
    drops = [
        DuplicateDrop(kind, names[kept], names[gone], int(count))
        for (kept, gone), count in pairs.value_counts(sort=False).sort_index().items()
    ]
    keep_mask = np.ones(len(frame), dtype=bool)
    keep_mask[dropped_rows] = False
    return keep_mask, drops


def _first_key_repeats(key: np.ndarray, order: np.ndarray | None = None) -> np.ndarray:
    """Positions of the rows whose value of ``key`` occurs more than once, in order.

    ``order`` is used when it sorts ``key`` (checked: one pass), else ``key`` is sorted here.
    """
    ordered = None if order is None else key[order]
    if ordered is None or bool((ordered[1:] < ordered[:-1]).any()):
        order = np.argsort(key, kind="stable")
        ordered = key[order]
    same = ordered[1:] == ordered[:-1]
    repeated = np.zeros(len(key), dtype=bool)
    repeated[order[1:][same]] = True
    repeated[order[:-1][same]] = True
    return np.flatnonzero(repeated)


def _names_of_codes(files: pd.Series) -> list[str]:
    if isinstance(files.dtype, pd.CategoricalDtype) and files.cat.categories.is_monotonic_increasing:
        return [str(name) for name in files.cat.categories]
    return [str(name) for name in pd.factorize(files.astype("string"), sort=True)[1]]


def _sortable(key: np.ndarray) -> np.ndarray:
    """Numbers as they are; text (accounts, descriptions) as integer codes lexsort can order."""
    if key.dtype.kind in "iufb":
        return key
    return pd.factorize(key, use_na_sentinel=False)[0]


# An overlap key: the first key for every row, a function giving the other keys for some rows
# (those whose first key repeats), and whether only repeats across files are copies.
_Keys = tuple[np.ndarray, Callable[[np.ndarray], list[np.ndarray]], bool]


def _taken(keys: list[np.ndarray]) -> Callable[[np.ndarray], list[np.ndarray]]:
    return lambda rows: [key[rows] for key in keys]


def _point_key(frame: pd.DataFrame) -> _Keys:
    # The same fix: the same UTC second and coordinates equal to ~1 m (1e-5 degrees).
    seconds = frame["time"].astype("int64").to_numpy() // 1_000_000_000

    def coordinates(rows: np.ndarray) -> list[np.ndarray]:
        lat = np.round(frame["lat"].to_numpy()[rows] * 1e5).astype(np.int64)
        lon = np.round(frame["lon"].to_numpy()[rows] * 1e5).astype(np.int64)
        return [lat, lon]

    return seconds, coordinates, False


def _occurrence(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The n-th time this combination appears within its own file (0, 1, 2...)."""
    return frame.groupby(["file", *columns], observed=True, dropna=False, sort=False).cumcount().to_numpy()


def _transaction_key(frame: pd.DataFrame) -> _Keys:
    # Account, date, amount, description and the occurrence within the file: two coffees
    # of the same price on one day in one statement both stay.
    day = frame["time"].dt.floor("D").astype("int64").to_numpy()
    cents = np.round(frame["amount"].to_numpy() * 100).astype(np.int64)
    account = frame["account"].astype("string").fillna("").to_numpy()
    text = frame["description"].fillna("").str.strip().str.upper().to_numpy()
    helper = pd.DataFrame({"file": frame["file"], "d": day, "c": cents, "a": account, "t": text})
    occurrence = _occurrence(helper, ["d", "c", "a", "t"])
    return account, _taken([day, cents, text, occurrence]), True


def _trip_key(frame: pd.DataFrame) -> _Keys:
    requested = frame["requested"].astype("int64").to_numpy() // 1_000_000_000
    provider = frame["provider"].astype("string").fillna("").to_numpy()
    service = frame["service"].astype("string").fillna("").to_numpy()
    helper = pd.DataFrame({"file": frame["file"], "r": requested, "p": provider, "s": service})
    occurrence = _occurrence(helper, ["r", "p", "s"])
    return provider, _taken([service, requested, occurrence]), True


def _visit_key(frame: pd.DataFrame) -> _Keys:
    start = frame["start"].astype("int64").to_numpy() // 1_000_000_000
    lat = np.round(frame["lat"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    lon = np.round(frame["lon"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    return start, _taken([lat, lon]), True


def _activity_key(frame: pd.DataFrame) -> _Keys:
    start = frame["start"].astype("int64").to_numpy() // 1_000_000_000
    lat = np.round(frame["start_lat"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    lon = np.round(frame["start_lon"].fillna(0).to_numpy() * 1e4).astype(np.int64)
    mode = frame["mode"].astype("string").fillna("").to_numpy()
    return start, _taken([lat, lon, mode]), True


_OVERLAP_KEYS: dict[str, Callable[[pd.DataFrame], _Keys]] = {
    "points": _point_key,
    "transactions": _transaction_key,
    "trips": _trip_key,
    "visits": _visit_key,
    "activities": _activity_key,
}
