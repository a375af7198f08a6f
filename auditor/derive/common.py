"""What every derived-table builder shares: evidence back-references, local time, lists.

Derived rows point back to the person's own lines through the trace columns declared in
:data:`auditor.engine.derived.TRACE`; :func:`trace` fills them for groups of canonical
rows in one vectorised pass. Category lists are read from ``rules/lists/*.yaml`` (the
same files packs include), so that a list fixed for a pack also fixes the derived tables.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache, lru_cache
from typing import TypeVar

import numpy as np
import pandas as pd

from auditor import model, resources
from auditor.dataset import local_times
from auditor.engine import derived

T = TypeVar("T")

NS_PER_MIN = 60 * 10**9
NS_PER_HOUR = 60 * NS_PER_MIN
NS_PER_DAY = 24 * NS_PER_HOUR


def frame_of(frames: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    """A kind's frame from a builder's mapping, or an empty frame of the kind."""
    if name in frames:
        return frames[name]
    return model.empty_frame(name)


def shared(frames: Mapping[str, pd.DataFrame], key: str, kinds: tuple[str, ...], compute: Callable[[], T]) -> T:
    """``compute()``, done once for every ablation variant that sees the same sources of ``kinds``
    when the builder runs inside an audit (its mapping offers ``shared``); a plain mapping (direct
    calls, tests) computes it each time. For the part of a builder that reads fewer kinds than
    the whole table does."""
    share = getattr(frames, "shared", None)
    return compute() if share is None else share(key, kinds, compute)


def derived_of(frames: Mapping[str, pd.DataFrame], name: str, now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """Another derived table: from the mapping (cached per variant) or built here (direct calls, tests)."""
    if name in frames:
        return frames[name]
    spec = derived.REGISTRY[name]
    assert spec.build is not None
    return derived.conform(name, spec.build(frames, now, timezone))


def utc_ns(series: pd.Series) -> np.ndarray:
    """int64 UTC nanoseconds of a tz-aware column (NaT -> int64 min), without object arrays."""
    if isinstance(series.dtype, pd.DatetimeTZDtype) and series.dtype.unit == "ns":
        return np.asarray(series.array.asi8)  # epoch nanoseconds whatever the zone; no conversion
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.to_numpy().astype("datetime64[ns]").view(np.int64)


def local_ns(frame: pd.DataFrame, column: str, timezone: str | None) -> np.ndarray:
    """Wall-clock local nanoseconds: the row's own offset, else the audit's zone, else UTC."""
    if not len(frame):
        return np.zeros(0, dtype=np.int64)
    return local_times(frame, column, timezone).to_numpy().astype("datetime64[ns]").view(np.int64)


def ns_to_utc(values: np.ndarray) -> pd.Series:
    """A UTC datetime series from int64 nanoseconds."""
    return pd.Series(pd.to_datetime(np.asarray(values, dtype=np.int64), utc=True))


def empty(table: str) -> pd.DataFrame:
    """A derived table with no rows."""
    return _empty(table).copy()


@cache
def _empty(table: str) -> pd.DataFrame:
    return derived.conform(table, pd.DataFrame(), length=0)


# --- evidence ------------------------------------------------------------------------------


def trace(rows: pd.DataFrame, group: np.ndarray, n_groups: int, kind: str) -> dict[str, object]:
    """Trace columns for ``n_groups`` derived rows, each made of the canonical ``rows`` whose
    ``group`` is its number (rows in time order; group -1 is ignored).

    ``file``/``record``/``importer``/``source`` come from each group's first row; ``records``
    lists the group's records in that same file (at most EVIDENCE_RECORDS_SHOWN, then "+N").
    """
    group = np.asarray(group, dtype=np.int64)
    keep = group >= 0
    positions = np.flatnonzero(keep)
    groups = group[keep]
    if len(groups) > 1 and (np.diff(groups) < 0).any():  # stays and series are numbered in time order
        order = np.argsort(groups, kind="stable")
        positions, groups = positions[order], groups[order]
    counts = np.bincount(groups, minlength=n_groups)[:n_groups]
    firsts = np.full(n_groups, -1, dtype=np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])) if n_groups else np.zeros(0, dtype=np.int64)
    has = counts > 0
    firsts[has] = positions[starts[has]]
    out: dict[str, object] = {"evidence_kind": pd.Series([kind] * n_groups, dtype="category"),
                              "n_rows": counts.astype(np.int64)}
    safe = np.where(firsts >= 0, firsts, 0)
    for column in ("importer", "file", "source"):
        if column in rows and len(rows):
            out[column] = pick(rows[column], safe, firsts >= 0)
        else:
            out[column] = pd.Series([None] * n_groups, dtype="category")
    record = rows["record"].to_numpy(dtype=np.int64) if "record" in rows and len(rows) else np.zeros(max(len(rows), 1), np.int64)
    out["record"] = np.where(firsts >= 0, record[safe], -1).astype(np.int64)
    out["records"] = _records_text(rows, positions, groups, firsts, n_groups)
    return out


def pick(column: pd.Series, positions: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    """``column`` at ``positions`` as a category series (missing where not ``valid``).

    Categorical columns are picked by their codes: converting millions of fixes' file
    names to text first would cost seconds.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()[positions].astype(np.int64, copy=True)
        if valid is not None:
            codes[~valid] = -1
        picked = pd.Categorical.from_codes(codes, categories=column.cat.categories)
        return pd.Series(picked).cat.remove_unused_categories()
    values = column.astype("string").to_numpy(dtype=object, na_value=None)[positions]
    if valid is not None:
        values = np.where(valid, values, None)
    return pd.Series(values, dtype="category")


def _records_text(rows: pd.DataFrame, positions: np.ndarray, groups: np.ndarray, firsts: np.ndarray,
                  n_groups: int) -> pd.Series:
    """Space-separated record numbers per group, from the group's first file only."""
    shown = derived.EVIDENCE_RECORDS_SHOWN
    if not len(positions) or "record" not in rows:
        return pd.Series([None] * n_groups, dtype=model.STRING)
    records = rows["record"].to_numpy(dtype=np.int64)[positions]
    if "file" in rows:
        codes = pd.Series(rows["file"]).astype("category").cat.codes.to_numpy()
        same_file = codes[positions] == codes[np.where(firsts >= 0, firsts, 0)[groups]]
    else:
        same_file = np.ones(len(positions), dtype=bool)
    records, groups = records[same_file], groups[same_file]
    # rank within each group, so that only the first ``shown`` records are written out
    counts = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rank = np.arange(len(groups)) - starts[groups]
    visible = rank < shown
    # string sums per group with one reduceat (groups are sorted), not a Python join per group
    words = np.char.add(records[visible].astype(str), " ").astype(object)
    vis_groups = groups[visible]
    starts_visible = np.flatnonzero(np.r_[True, vis_groups[1:] != vis_groups[:-1]]) if len(vis_groups) else np.zeros(0, int)
    out = pd.Series([None] * n_groups, dtype=object)
    if len(starts_visible):
        joined = np.add.reduceat(words, starts_visible)
        out.iloc[vis_groups[starts_visible]] = [text.rstrip() for text in joined]
    more = counts - np.minimum(counts, shown)
    extra = more > 0
    out[extra] = out[extra] + pd.Series([f" +{m}" for m in more[extra]], index=np.flatnonzero(extra))
    return out.astype(model.STRING)


# --- text and lists ------------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w]+|_+")


def words(text: str) -> str:
    """Lower case, apostrophes dropped, every other non-letter a single space (for list matching)."""
    return _NON_WORD.sub(" ", text.lower().replace("'", "").replace("\u2019", "")).strip()


def words_series(values: pd.Series) -> pd.Series:
    """:func:`words` over a text series, vectorised."""
    text = values.astype("string").fillna("").str.lower().str.replace(r"['\u2019]", "", regex=True)
    return text.str.replace(r"[^\w]+|_+", " ", regex=True).str.strip()


@lru_cache(maxsize=1)
def shared_lists() -> dict[str, tuple[str, ...]]:
    """Every list of rules/lists/*.yaml, by name (values as text)."""
    from auditor.packs.loader import builtin_lists  # the packs layer reads YAML safely

    return {name: tuple(str(v) for v in values) for name, values in builtin_lists().items()}


def list_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """A whole-word, case-insensitive pattern for a list's terms (matched on :func:`words` text)."""
    cleaned = sorted({words(t) for t in terms if words(t)}, key=len, reverse=True)
    if not cleaned:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in cleaned) + r")(?!\w)")


def categorise(texts: pd.Series, categories: list[tuple[str, tuple[str, ...]]]) -> pd.Series:
    """The first category (in order) whose terms occur as whole words in each text; <NA> none.

    ``texts`` should already be :func:`words` text. One pass of one pattern over the
    distinct texts finds every term; each text then takes the earliest category among its
    terms (a term in two lists belongs to the earlier).
    """
    priority: dict[str, int] = {}
    for rank, (_, terms) in enumerate(categories):
        for term in terms:
            priority.setdefault(words(term), rank)
    priority.pop("", None)
    if not len(texts) or not priority:
        return pd.Series(pd.NA, index=range(len(texts)), dtype="string")
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(t) for t in sorted(priority, key=len, reverse=True)) + r")(?!\w)"
    codes, uniques = pd.factorize(texts.astype(object).fillna(""), sort=False)
    found = pd.Series(uniques, dtype=object).str.findall(pattern)
    hits = found.explode().dropna()
    names = np.array([name for name, _ in categories] + [None], dtype=object)
    best = np.full(len(uniques), len(categories), dtype=np.int64)
    if len(hits):
        ranks = hits.map(priority).to_numpy(dtype=np.int64)
        np.minimum.at(best, hits.index.to_numpy(dtype=np.int64), ranks)
    return pd.Series(names[best][codes], dtype="string")


def rules_lists_dir() -> str:
    """Where the shared list files live (for messages)."""
    return str(resources.rules_dir() / "lists")
