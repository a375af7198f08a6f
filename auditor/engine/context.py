"""What a compiled rule evaluates against: the audit's frames, clock, time zone and caches.

:class:`AuditData` holds one audit's frames and everything computed from them that more
than one rule (or pack, or ablation variant) needs: wall-clock time parts, window masks,
condition leaves, derived tables. A :class:`View` is the audit seen through one
:class:`Variant` (all sources, all but one, or one alone). Row-level results are computed
once on the full frames and shared by every variant, which then only selects rows; what
depends on derived tables is computed per variant, from that variant's rows.

Nothing here reads files or the system clock: ``now`` is given.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from auditor import model
from auditor.dataset import local_times
from auditor.engine import derived

T = TypeVar("T")

TEXT, NUMBER, TIME, BOOL, POSITION = "text", "number", "time", "bool", "position"
NS_PER_DAY = 86_400 * 10**9
NS_PER_HOUR = 3_600 * 10**9


def field_types(table: str) -> dict[str, tuple[str, ...]]:
    """The fields a condition may name on ``table``, with their types.

    Columns keep their names; a latitude/longitude pair becomes a position field:
    ``lat``/``lon`` is ``position``, ``pickup_lat``/``pickup_lon`` is ``pickup``. A name
    can carry two types (``start`` of an activity is a time and a position).
    """
    declared = derived.columns_of(table) or ()
    types: dict[str, tuple[str, ...]] = {c.name: (_type_of(c.dtype),) for c in declared}
    names = set(types)
    for name in sorted(names):
        if name == "lat" and "lon" in names:
            types["position"] = types.get("position", ()) + (POSITION,)
        elif name.endswith("_lat") and name[:-4] + "_lon" in names:
            stem = name[:-4]
            types[stem] = types.get(stem, ()) + (POSITION,)
    return types


def position_columns(field: str) -> tuple[str, str]:
    """The latitude and longitude columns behind a position field."""
    return ("lat", "lon") if field == "position" else (f"{field}_lat", f"{field}_lon")


def _type_of(dtype: str) -> str:
    if dtype == model.UTC_TIME:
        return TIME
    if dtype == "bool":
        return BOOL
    if dtype in (model.STRING, "category"):
        return TEXT
    return NUMBER


@dataclass(frozen=True)
class Variant:
    """Which sources an evaluation sees: all, all but some, or one alone."""

    exclude: frozenset[str] = frozenset()
    only: str | None = None

    @property
    def key(self) -> Hashable:
        return (self.exclude, self.only)

    @property
    def is_everything(self) -> bool:
        return not self.exclude and self.only is None

    @property
    def label(self) -> str:
        if self.only is not None:
            return f"only {self.only}"
        if self.exclude:
            return "without " + ", ".join(sorted(self.exclude))
        return "all sources"

    def selection(self, frame: pd.DataFrame) -> np.ndarray | None:
        """Boolean mask of the rows this variant sees; None means every row."""
        if self.is_everything or "source" not in frame:
            return None
        source = frame["source"]
        if isinstance(source.dtype, pd.CategoricalDtype):
            categories = list(source.cat.categories)
            codes = source.cat.codes.to_numpy()
            if self.only is not None:
                wanted = categories.index(self.only) if self.only in categories else -2
                return codes == wanted
            dropped = [categories.index(s) for s in self.exclude if s in categories]
            return ~np.isin(codes, dropped)
        values = source.astype("string").fillna("").to_numpy()
        if self.only is not None:
            return values == self.only
        return ~np.isin(values, list(self.exclude))


EVERYTHING = Variant()


class DerivedTableStore(Protocol):
    """Where derived tables built before can be found again (:class:`auditor.audit_cache.DerivedStore`).

    ``inputs`` names the sources of each kind the builder read; a table is only ever
    asked for with the clock, time zone and dataset it was built from.
    """

    def get(self, name: str, inputs: Hashable) -> pd.DataFrame | None: ...

    def put(self, name: str, inputs: Hashable, frame: pd.DataFrame) -> None: ...


class Clock:
    """Time parts of one time column, computed once and only when asked for.

    Wall-clock parts (hour, weekday, day, month...) are local time: the row's own offset
    where the export stated one, else the audit's time zone, else UTC
    (:func:`auditor.dataset.local_times`).
    """

    def __init__(self, frame: pd.DataFrame, column: str, timezone: str | None):
        self._frame = frame
        self._column = column
        self._timezone = timezone

    @cached_property
    def utc_ns(self) -> np.ndarray:
        return _as_ns(self._frame[self._column])

    @cached_property
    def valid(self) -> np.ndarray:
        return self._frame[self._column].notna().to_numpy()

    @cached_property
    def hour_known(self) -> np.ndarray:
        """Rows whose time of day is known: present, and not a date-only record."""
        if "has_time" in self._frame:
            return self.valid & self._frame["has_time"].to_numpy(dtype=bool)
        return self.valid

    @cached_property
    def local_ns(self) -> np.ndarray:
        if self._timezone is None and "utc_offset_min" not in self._frame:
            return self.utc_ns
        return _as_ns(local_times(self._frame, self._column, self._timezone))

    @cached_property
    def day(self) -> np.ndarray:
        return np.floor_divide(self.local_ns, NS_PER_DAY)

    @cached_property
    def hour(self) -> np.ndarray:
        return (np.floor_divide(self.local_ns, NS_PER_HOUR) % 24).astype(np.int8)

    @cached_property
    def weekday(self) -> np.ndarray:
        """0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday)."""
        return ((self.day + 3) % 7).astype(np.int8)

    @cached_property
    def week(self) -> np.ndarray:
        """Weeks since the Monday before 1970-01-01."""
        return np.floor_divide(self.day + 3, 7)

    @cached_property
    def month(self) -> np.ndarray:
        """Months since January 1970."""
        safe = np.where(self.valid, self.local_ns, 0)
        return safe.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)

    @cached_property
    def year(self) -> np.ndarray:
        return np.floor_divide(self.month, 12) + 1970


def _as_ns(series: pd.Series) -> np.ndarray:
    """int64 nanoseconds of a datetime series (UTC or naive); NaT becomes int64 min.

    Never ``to_numpy()`` a tz-aware series directly: that builds an object array of
    Timestamps (about 2,000 times slower).
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    return series.to_numpy().astype("datetime64[ns]").view(np.int64)


class AuditData:
    """One audit's frames, clock and time zone, and the caches shared across variants."""

    def __init__(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        now: pd.Timestamp,
        timezone: str | None = None,
        derived_tables: Mapping[str, pd.DataFrame] | None = None,
        store: DerivedTableStore | None = None,
    ):
        # (an empty frame is built only for a kind the audit lacks: building one costs ~7 ms)
        self.frames = {kind: frames[kind] if kind in frames else model.empty_frame(kind) for kind in model.KIND_NAMES}
        for name, frame in frames.items():
            if name not in self.frames:
                self.frames[name] = frame
        self.now = _utc(now)
        self.timezone = timezone
        self.given_derived = {
            name: derived.conform(name, frame) if name in derived.REGISTRY else frame
            for name, frame in (derived_tables or {}).items()
        }
        self.store = store
        self._shared: dict[Hashable, object] = {}
        self._per_variant: dict[Hashable, dict[Hashable, object]] = {}

    def sources(self) -> list[str]:
        """Every source label with at least one row, sorted."""
        return sorted(self.rows_by_source())

    def rows_by_source(self) -> dict[str, dict[str, int]]:
        """Rows per source and kind, for the ablation table (sources sorted, kinds in frame order)."""
        counted: dict[str, dict[str, int]] = self.memo(("rows-by-source",), self._count_sources)  # type: ignore[assignment]
        return {source: dict(per_kind) for source, per_kind in counted.items()}

    def _count_sources(self) -> dict[str, dict[str, int]]:
        # Counted once per audit (every pack's ablation asks), on the categorical codes: a
        # value_counts of 3.3M points costs ~0.05 s each time.
        out: dict[str, dict[str, int]] = {}
        for kind, frame in self.frames.items():
            if len(frame) and "source" in frame:
                for source, count in _source_counts(frame["source"]).items():
                    out.setdefault(source, {})[kind] = count
        return {source: out[source] for source in sorted(out)}

    def view(self, variant: Variant = EVERYTHING) -> View:
        return View(self, variant)

    def memo(self, key: Hashable, compute: Callable[[], object], variant: Variant | None = None) -> object:
        """Compute once per audit (``variant`` None) or once per variant."""
        store = self._shared if variant is None else self._per_variant.setdefault(variant.key, {})
        if key not in store:
            store[key] = compute()
        return store[key]

    def memo_get(self, key: Hashable) -> object | None:
        """What :meth:`memo_set` kept for the whole audit under ``key``, or None."""
        return self._shared.get(key)

    def memo_set(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for the whole audit (every variant) under ``key``."""
        self._shared[key] = value

    def has_unsourced_rows(self, kind: str) -> bool:
        """Whether some rows of ``kind`` have no source (a variant of one source alone drops them)."""
        frame = self.frames[kind]
        return bool(self.memo(("unsourced", kind), lambda: "source" in frame and bool(frame["source"].isna().any())))


class View:
    """The audit as one variant sees it. Compiled rules evaluate against a View."""

    def __init__(self, data: AuditData, variant: Variant):
        self.data = data
        self.variant = variant

    @property
    def now(self) -> pd.Timestamp:
        return self.data.now

    @property
    def timezone(self) -> str | None:
        return self.data.timezone

    def is_derived(self, table: str) -> bool:
        return table not in self.data.frames

    def table(self, name: str) -> pd.DataFrame | None:
        """The frame of a kind (always the full frame) or of a derived table (this variant's)."""
        if name in self.data.frames:
            return self.data.frames[name]
        return self.data.memo(("derived", name), lambda: self._derive(name), self.variant)  # type: ignore[return-value]

    def _derive(self, name: str) -> pd.DataFrame | None:
        if name in self.data.given_derived:
            frame = self.data.given_derived[name]
            keep = self.variant.selection(frame)
            return frame if keep is None else frame[keep].reset_index(drop=True)
        spec = derived.REGISTRY.get(name)
        if spec is None or spec.build is None:
            return None
        build = spec.build
        inputs = self.derived_key(name)

        def built() -> pd.DataFrame:
            store = self.data.store
            kept = store.get(name, inputs) if store is not None else None
            if kept is not None:
                return kept
            table = derived.conform(name, build(_VariantTables(self), self.now, self.timezone))
            if store is not None:
                store.put(name, inputs, table)
            return table

        return self.data.memo(("derived-from", name, inputs), built)

    def derived_key(self, name: str) -> Hashable:
        """What this view's derived table ``name`` is built from: the visible sources of the kinds
        its builder reads (the key a :class:`DerivedTableStore` is asked with).

        Variants that see the same sources of those kinds share the table: leaving out a bank
        account does not change where the person slept.
        """
        return self._visible_sources(derived.REGISTRY[name].reads or model.KIND_NAMES)

    def inputs_of(self, tables: set[str]) -> Hashable | None:
        """What this variant sees of ``tables``: equal for two variants exactly when every table
        holds the same rows in both. None when that cannot be told (a table handed in whole).

        A kind is its visible sources (and whether rows without a source stay); a derived table
        the key it is shared by (the visible sources of the kinds its builder reads).
        """
        out = []
        for table in sorted(tables):
            if table in self.data.frames:
                seen = self._visible_sources((table,))
                unsourced = self.data.has_unsourced_rows(table) and self.variant.only is None
                out.append((table, seen, unsourced))
                continue
            spec = derived.REGISTRY.get(table)
            if table in self.data.given_derived or spec is None or spec.build is None:
                return None
            out.append((table, self._visible_sources(spec.reads or model.KIND_NAMES)))
        return tuple(out)

    def _visible_sources(self, kinds: tuple[str, ...]) -> tuple[tuple[str, frozenset[str]], ...]:
        """The sources of each kind this variant sees."""
        out = []
        for kind in kinds:
            frame = self.data.frames.get(kind)
            if frame is None or "source" not in frame:
                continue
            present: frozenset[str] = self.data.memo(  # type: ignore[assignment]
                ("sources-of", kind), lambda f=frame: frozenset(str(s) for s in f["source"].dropna().unique()))
            seen = {s for s in present if s not in self.variant.exclude and self.variant.only in (None, s)}
            out.append((kind, frozenset(seen)))
        return tuple(out)

    def rows(self, kind: str) -> pd.DataFrame:
        """The rows of a kind this variant sees, as a frame (for derived-table builders)."""
        frame = self.data.frames[kind]
        keep = self.variant.selection(frame)
        return frame if keep is None else frame[keep].reset_index(drop=True)

    def selection(self, table: str) -> np.ndarray | None:
        """Rows of ``table`` this variant sees (None: all). Derived tables are already per variant."""
        if self.is_derived(table):
            return None
        return self.data.memo(("selection", table), lambda: self.variant.selection(self.data.frames[table]),
                              self.variant)  # type: ignore[return-value]  # fmt: skip

    def memo(self, key: Hashable, compute: Callable[[], object], *, table: str, shared: bool = True) -> object:
        """Cache a row-level result. Shared across variants only when it cannot differ between them."""
        if shared and not self.is_derived(table):
            return self.data.memo(key, compute)
        return self.data.memo(key, compute, self.variant)

    def clock(self, table: str, column: str) -> Clock:
        frame = self.table(table)
        return self.memo(("clock", table, column), lambda: Clock(frame, column, self.timezone), table=table)  # type: ignore[return-value]


class _VariantTables(Mapping[str, pd.DataFrame]):
    """What a derived-table builder reads: this variant's rows of every kind, and the other
    derived tables, each built on first use and cached like any derived table (so that
    ``places`` reuses the ``stays`` the rules read, and ``recurring`` the ``payments``)."""

    def __init__(self, view: View):
        self._view = view

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name in model.KINDS:
            return self._view.rows(name)
        if name in derived.REGISTRY:
            table = self._view.table(name)
            if table is not None:
                return table
        raise KeyError(name)

    def shared(self, key: Hashable, kinds: tuple[str, ...], compute: Callable[[], T]) -> T:
        """Compute once for every variant that sees the same sources of ``kinds`` (part of a
        builder that reads fewer kinds than its table; see ``derive.common.shared``)."""
        return self._view.data.memo(("derived-part", key, self._view._visible_sources(kinds)), compute)  # type: ignore[return-value]

    def __contains__(self, name: object) -> bool:
        return name in model.KINDS or (name in derived.REGISTRY and derived.REGISTRY[name].build is not None) or (
            name in self._view.data.given_derived)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(model.KIND_NAMES)

    def __len__(self) -> int:
        return len(model.KIND_NAMES)


def _source_counts(source: pd.Series) -> dict[str, int]:
    """Rows per source label (labels with no row left out); missing labels are not counted."""
    if isinstance(source.dtype, pd.CategoricalDtype):
        codes = source.cat.codes.to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(source.cat.categories))
        return {str(label): int(count) for label, count in zip(source.cat.categories, counts) if count}
    return {str(label): int(count) for label, count in source.value_counts().items() if count}


def _utc(value: object) -> pd.Timestamp:
    stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
