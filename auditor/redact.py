"""Redaction: the audit with the person's places, merchants, amounts and dates coarsened or removed.

``redact(result, level)`` returns a new :class:`RedactedResult` (an :class:`AuditResult`,
so every renderer, the reports and the app's screens, reads it exactly as it reads the
original) whose frames, derived tables, findings, source labels and file names are
redacted. The original is never modified. Levels:

``none``
    the result itself, unchanged.
``coarse``
    for a workshop or a friend: positions rounded to a grid of about 5 km
    (:data:`GRID_DEGREES`); merchants shown as their category with a pseudonym
    ("Merchant 3 (groceries)"); place names, addresses and place ids, people's names,
    free text, accounts, devices and file names replaced by pseudonyms ("Place A",
    "Person 2", "File 1"); money as bands ("10 to 50", "-500 to -100"); every time
    floored to the first of its month (UTC) and marked date-only, so no day or hour
    is left; counts, shares, scores and findings stay readable.
``strict``
    nothing of the above at all: positions, times, amounts, merchants, places and free
    text are missing values; pseudonyms remain only for files and sources (so the
    "what each source gives away" table still has rows); the audit date keeps its year.

Pseudonyms are deterministic and stable within one result: the same merchant is
"Merchant 3" in the transactions, in the derived payments and in a finding's group
label. Within each batch of new values, numbers follow a keyed hash (BLAKE2b keyed by
the audit's own date and sources), not alphabetical order, so the numbering says nothing
about the names. Two different audits use different keys, so pseudonyms cannot be linked
across reports.

This is a pure core function: no I/O, no UI. Derived tables (places, payments...) are
redacted lazily from the original result's own tables the first time a renderer asks for
them, so a redacted report shows the places the original audit found, never places
recomputed from rounded positions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Literal

import numpy as np
import pandas as pd

from auditor.dataset import Dataset, DuplicateDrop
from auditor.engine import derived
from auditor.engine.context import AuditData
from auditor.engine.findings import Finding, GroupValue
from auditor.engine.measures import MEASURES
from auditor.packs.model import measure_name_and_argument
from auditor.pipeline import AuditResult, PackResult
from auditor.sources import Unclaimed

Level = Literal["none", "coarse", "strict"]
LEVELS: tuple[str, ...] = ("none", "coarse", "strict")

# About 5.5 km of latitude (and 3-5 km of longitude at the latitudes people live): enough
# to show a city district, too coarse for a street. Issue 8 asks for "a few km".
GRID_DEGREES = 0.05

# Money bands, in the export's own currency units. Decades, so a band says "rent-sized"
# or "coffee-sized" and never the amount.
BAND_EDGES = (0, 10, 50, 100, 500, 1_000, 5_000, 10_000, 50_000)

MONEY_COLUMNS = frozenset({
    "amount", "balance", "local_amount", "fare", "total", "unit_price", "balance_avg", "balance_end", "balance_min",
    "inflow", "outflow", "net", "monthly_amount",
})  # fmt: skip

# Text columns kept as they are: categories and codes that say what kind of thing a row is,
# never who or where. Every other text column is pseudonymised (coarse) or dropped (strict),
# so a column added to a kind or a derived table later is redacted by default.
SAFE_TEXT_COLUMNS = frozenset({
    "importer", "category", "mcc", "type", "currency", "local_currency", "semantic_type", "mode", "signal",
    "activity", "status", "product", "service", "provider", "direction", "role", "agency", "vehicle_class",
    "store", "lang", "relation", "evidence_kind", "label", "cadence", "scope", "income_type", "balance_basis",
    "merchant_category", "records",
})  # fmt: skip

# Which pseudonym family each sensitive text column belongs to; the family decides the
# word ("Place A") and shares numbering, so an address in visits and in trips that is the
# same string gets the same pseudonym.
PLACE, MERCHANT, PERSON, ACCOUNT, FILE, DEVICE, TEXT, ITEM = (
    "Place", "Merchant", "Person", "Account", "File", "Device", "Text", "Item")  # fmt: skip
FAMILY_OF_COLUMN = {
    "name": PLACE, "address": PLACE, "place_id": PLACE, "pickup_address": PLACE, "dropoff_address": PLACE,
    "plaza": PLACE, "entry_plaza": PLACE, "place": PLACE, "city": PLACE, "lane": PLACE,
    "description": MERCHANT, "counterparty": MERCHANT, "merchant": MERCHANT, "payer": MERCHANT,
    "account": ACCOUNT, "tag": ACCOUNT, "device": DEVICE, "item": ITEM, "product_id": ITEM, "order_id": ITEM,
    "organization": PERSON, "key": PERSON,
}  # fmt: skip
FAMILY_OVERRIDES = {("contacts", "name"): PERSON}
LETTER_FAMILIES = frozenset({PLACE})  # "Place A" reads better on a map legend; the rest are numbered
# Columns that say the day of a date (coarse keeps only the month).
DAY_COLUMNS = frozenset({"day_of_month"})


class RedactionError(ValueError):
    """An unknown redaction level."""


@dataclasses.dataclass
class RedactedResult(AuditResult):
    """An :class:`AuditResult` whose contents are redacted; ``redaction`` names the level."""

    redaction: str = "none"
    original_sources: dict[str, str] = dataclasses.field(default_factory=dict)


def redaction_of(result: AuditResult) -> str:
    """The redaction level of a result ("none" for an ordinary one)."""
    return getattr(result, "redaction", "none")


def redact(result: AuditResult, level: Level | str) -> AuditResult:
    """The audit at redaction ``level`` (none, coarse, strict); see the module docstring."""
    if level not in LEVELS:
        raise RedactionError(f"unknown redaction level {level!r}: choose one of {', '.join(LEVELS)}")
    if level == "none" or redaction_of(result) == level:
        return result
    if redaction_of(result) != "none":
        raise RedactionError("redact the original result, not an already redacted one")
    return _Redactor(result, level).result()


# --- pseudonyms ----------------------------------------------------------------------------------


class Pseudonyms:
    """Deterministic pseudonyms per family, stable within one result."""

    def __init__(self, key: bytes):
        self._key = key
        self._numbers: dict[str, dict[str, int]] = {}

    def _hash(self, value: str) -> bytes:
        return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), key=self._key, digest_size=16).digest()

    def _register(self, family: str, values: list[str]) -> dict[str, int]:
        numbers = self._numbers.setdefault(family, {})
        new = sorted({v for v in values if v not in numbers}, key=self._hash)
        for value in new:
            numbers[value] = len(numbers) + 1
        return numbers

    def name(self, family: str, number: int) -> str:
        return f"{family} {_letters(number) if family in LETTER_FAMILIES else number}"

    def one(self, family: str, value: str) -> str:
        """The pseudonym of one value."""
        key = normalise(family, value)
        return self.name(family, self._register(family, [key])[key])

    def column(self, family: str, values: pd.Series) -> pd.Series:
        """Pseudonyms for a column: one hash per distinct value, not per row."""
        codes, uniques = pd.factorize(values.astype("string"), use_na_sentinel=True)
        keys = [normalise(family, str(u)) for u in uniques]
        numbers = self._register(family, keys)
        names = np.array([self.name(family, numbers[k]) for k in keys] + [None], dtype=object)
        # code -1 (missing) indexes the trailing None
        return pd.Series(names[codes], index=values.index, dtype="string")


_DIGITS = re.compile(r"\S*\d\S*")
_PUNCT = re.compile(r"[^\w\s]+")


def normalise(family: str, value: str) -> str:
    """The part of a value that names the thing: bank descriptors vary in dates, store
    numbers and reference codes ("TACO BELL #031233 CHICAGO IL 01/02"), so merchants drop
    every token with a digit, so one shop keeps one pseudonym."""
    if family != MERCHANT:
        return value.strip()
    words = _PUNCT.sub(" ", _DIGITS.sub(" ", value.upper())).split()
    return " ".join(words) or value.strip().upper()


def _letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA (spreadsheet columns)."""
    out = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def money_band(values: pd.Series) -> pd.Series:
    """Money as bands of :data:`BAND_EDGES` ("10 to 50", "-500 to -100", "over 50,000")."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    magnitude = np.abs(numbers)
    edges = np.array(BAND_EDGES, dtype="float64")
    index = np.clip(np.searchsorted(edges, magnitude, side="right") - 1, 0, len(edges) - 1)
    labels_pos = [f"{edges[i]:,.0f} to {edges[i + 1]:,.0f}" for i in range(len(edges) - 1)] + [f"over {edges[-1]:,.0f}"]
    labels_neg = [f"-{edges[i + 1]:,.0f} to {-edges[i]:,.0f}".replace("to -0", "to 0") for i in range(len(edges) - 1)] + [f"under -{edges[-1]:,.0f}"]
    pos = np.array(labels_pos, dtype=object)[index]
    neg = np.array(labels_neg, dtype=object)[index]
    out = np.where(numbers < 0, neg, pos).astype(object)
    out[np.isnan(numbers)] = None
    return pd.Series(out, index=values.index, dtype="string")


# --- the redactor ------------------------------------------------------------------------------------


class _Redactor:
    def __init__(self, original: AuditResult, level: str):
        self.original = original
        self.level = level
        self.strict = level == "strict"
        seed = f"{original.now.value}|{'|'.join(original.data.sources())}|{len(original.dataset.reports)}"
        self.pseudonyms = Pseudonyms(hashlib.blake2b(seed.encode(), digest_size=32).digest())
        # Files and sources first, in sorted order, so their numbers do not depend on which
        # table a renderer reads first.
        self.files = {path: self.pseudonyms.one(FILE, path) for path in sorted(_all_files(original))}
        self.sources = {source: self._source(source) for source in original.data.sources()}

    # the parts ---------------------------------------------------------------------------------

    def result(self) -> RedactedResult:
        frames = {kind: self.frame(kind, frame) for kind, frame in self.original.dataset.frames.items()}
        data = AuditData(frames, now=self.now(self.original.now), timezone=self.original.timezone)
        data.given_derived = _LazyDerived(self)  # type: ignore[assignment]  # read by View._derive
        dataset = Dataset(
            frames=frames,
            reports=[self.report(r) for r in self.original.dataset.reports],
            unclaimed=[Unclaimed(self.files.get(u.path, u.path), u.why) for u in self.original.dataset.unclaimed],
            duplicates=[DuplicateDrop(d.kind, self.files.get(d.kept_file, d.kept_file),
                                      self.files.get(d.dropped_file, d.dropped_file), d.count)
                        for d in self.original.dataset.duplicates],
        )  # fmt: skip
        packs = [self.pack(p) for p in self.original.packs]
        return RedactedResult(dataset, data, data.now, self.original.timezone, packs, self.original.skipped_packs,
                              self.original.unknown_packs, self.original.timezone_basis, redaction=self.level,
                              original_sources=dict(self.sources))  # fmt: skip

    def now(self, now: pd.Timestamp) -> pd.Timestamp:
        # The audit date is the day of the export's last row; keep its month (coarse) or year (strict).
        naive = now.tz_convert("UTC").tz_localize(None)
        floored = pd.Timestamp(naive.year, 1 if self.strict else naive.month, 1)
        return floored.tz_localize("UTC")

    def _source(self, source: str) -> str:
        # "bank:Liberty Bell FCU ****4471" -> "bank:Account 2"; provider-wide sources stay.
        if ":" not in source:
            return source
        prefix, _, _ = source.partition(":")
        return f"{prefix}:{self.pseudonyms.one(ACCOUNT, source)}"

    def report(self, report):
        hidden = f"(hidden at redaction level {self.level})"
        skipped = {hidden + f" {i + 1}": dataclasses.replace(group, reason=hidden)
                   for i, group in enumerate(report.skipped.values())}  # fmt: skip
        return dataclasses.replace(report, path=self.files.get(report.path, report.path), notes=[],
                                   error=hidden if report.error else None, skipped=skipped,
                                   kinds={k: self.summary(s) for k, s in report.kinds.items()})

    def summary(self, kinds):
        # first and last dates of a file: months (coarse) or nothing (strict)
        def shown(stamp):
            return None if stamp is None or self.strict else self.now(pd.Timestamp(stamp))

        return dataclasses.replace(kinds, first=shown(kinds.first), last=shown(kinds.last))  # fmt: skip

    def frame(self, kind: str, frame: pd.DataFrame) -> pd.DataFrame:
        """One table with every column redacted by what it holds (vectorised, per column)."""
        out: dict[str, pd.Series] = {}
        for name in frame.columns:
            out[name] = self.column(kind, name, frame[name])
        return pd.DataFrame(out, index=frame.index, copy=False)

    def column(self, kind: str, name: str, values: pd.Series) -> pd.Series:
        dtype = values.dtype
        if name == "file":
            return values.map(self.files).astype("category") if len(values) else values
        if name == "source":
            return values.map(lambda s: self.sources.get(str(s), s)).astype("category") if len(values) else values
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
            if self.strict:
                return pd.Series(pd.NaT, index=values.index, dtype=dtype)
            naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(dtype, pd.DatetimeTZDtype) else values
            month = naive.dt.to_period("M").dt.to_timestamp()
            return month.dt.tz_localize("UTC") if isinstance(dtype, pd.DatetimeTZDtype) else month
        if name == "has_time":
            return pd.Series(False, index=values.index)
        if name == "utc_offset_min" and self.strict:
            return pd.Series(pd.NA, index=values.index, dtype=dtype)
        if name in DAY_COLUMNS:
            return pd.Series(pd.NA, index=values.index, dtype=dtype)
        if _is_coordinate(name) and pd.api.types.is_float_dtype(dtype):
            if self.strict:
                return pd.Series(np.nan, index=values.index, dtype=dtype)
            return ((values / GRID_DEGREES).round() * GRID_DEGREES).round(6)  # no 51.550000000000004
        if name in MONEY_COLUMNS:
            return pd.Series(pd.NA, index=values.index, dtype="string") if self.strict else money_band(values)
        if _is_text(dtype) and name not in SAFE_TEXT_COLUMNS:
            if self.strict:
                return pd.Series(pd.NA, index=values.index, dtype="string")
            family = FAMILY_OVERRIDES.get((kind, name), FAMILY_OF_COLUMN.get(name, TEXT))
            named = self.pseudonyms.column(family, values)
            if family == MERCHANT and name in ("merchant", "description"):
                return self._with_category(kind, named)
            return named
        return values

    def _with_category(self, kind: str, named: pd.Series) -> pd.Series:
        # "merchants to their category": the pseudonym keeps merchants apart, the category says what they are.
        frame = self.original.dataset.frames.get(kind)
        if frame is None or "category" not in frame or len(frame) != len(named):
            return named
        category = frame["category"].astype("string")
        suffix = (" (" + category + ")").fillna("")
        return (named + suffix).where(named.notna())

    # findings ----------------------------------------------------------------------------------------

    def pack(self, pack: PackResult) -> PackResult:
        rules = {rule.id: rule for rule in getattr(pack.pack, "rules", [])}
        findings = [self.finding(f, rules.get(f.rule)) for f in pack.findings]
        sources = [dataclasses.replace(s, source=self.sources.get(s.source, s.source)) for s in pack.sources]
        return PackResult(pack.loaded, findings, pack.score, sources)

    def finding(self, finding: Finding, rule) -> Finding:
        money = _measures_money(rule, finding)
        shown = finding.shown_value
        value, distance = finding.value, finding.distance
        if money and finding.value is not None:
            shown = "hidden" if self.strict else str(money_band(pd.Series([finding.value])).iloc[0])
            value, distance = None, None  # the distance to a money threshold would give the amount back
        family = self._group_family(rule, finding.kind)
        groups = [GroupValue(self.group_label(g.label, family), None if money else g.value, g.passed, g.rows)
                  for g in finding.groups]  # fmt: skip
        label = None if finding.group_label is None else self.group_label(finding.group_label, family)
        inference = finding.inference
        if finding.group_label and label != finding.group_label:
            inference = inference.replace(finding.group_label, label or "")
        if shown != finding.shown_value and finding.shown_value:
            inference = inference.replace(finding.shown_value, shown)
        return dataclasses.replace(finding, value=value, shown_value=shown, distance=distance, groups=groups,
                                   group_label=label, inference=inference)  # fmt: skip

    def _group_family(self, rule, kind: str) -> str | None:
        """The pseudonym family of a rule's groups; None when its labels are safe as they are."""
        group_by = getattr(rule, "group_by", None)
        if not group_by:
            return None
        if group_by in ("day", "week", "month", "year", "weekday", "hour"):
            return "period"
        if group_by in SAFE_TEXT_COLUMNS:
            return None
        if group_by in MONEY_COLUMNS:
            return "money"
        return FAMILY_OVERRIDES.get((kind, group_by), FAMILY_OF_COLUMN.get(group_by, TEXT))

    def group_label(self, label: str, family: str | None) -> str:
        if family is None or not label:
            return label
        if family == "period":
            # "2023-03-27" -> "2023-03" (coarse); strict shows no period at all
            if self.strict:
                return "a period"
            return label[:7] if re.match(r"^\d{4}-\d{2}", label) else label
        if family == "money":
            return "hidden"
        if self.strict:
            return f"a {family.lower()}"
        return self.pseudonyms.one(family, label)

    def derived(self, name: str) -> pd.DataFrame | None:
        table = self.original.frame(name)
        return None if table is None else self.frame(name, table)


class _LazyDerived(Mapping[str, pd.DataFrame]):
    """Derived tables of the original audit, redacted the first time they are asked for."""

    def __init__(self, redactor: _Redactor):
        self._redactor = redactor
        self._cache: dict[str, pd.DataFrame | None] = {}

    def _get(self, name: str) -> pd.DataFrame | None:
        if name not in self._cache:
            self._cache[name] = self._redactor.derived(name) if name in derived.REGISTRY else None
        return self._cache[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._get(name) is not None

    def __getitem__(self, name: str) -> pd.DataFrame:
        table = self._get(name)
        if table is None:
            raise KeyError(name)
        return table

    def __iter__(self) -> Iterator[str]:
        return iter(derived.REGISTRY)

    def __len__(self) -> int:
        return len(derived.REGISTRY)


def _measures_money(rule, finding: Finding) -> bool:
    """Whether a finding's value is an amount of money (a sum, mean, min or max of a money column)."""
    if finding.measure not in MEASURES or MEASURES[finding.measure].unit != "amount" or rule is None:
        return False
    try:
        _, column = measure_name_and_argument(rule.measure)
    except (ValueError, AttributeError):
        return True  # unknown shape: hide rather than show
    return str(column) in MONEY_COLUMNS


def _is_coordinate(name: str) -> bool:
    return name in ("lat", "lon") or name.endswith(("_lat", "_lon"))


def _is_text(dtype) -> bool:
    return (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)
            or pd.api.types.is_object_dtype(dtype))  # fmt: skip


def _all_files(result: AuditResult) -> set[str]:
    files = {r.path for r in result.dataset.reports} | {u.path for u in result.dataset.unclaimed}
    for frame in result.dataset.frames.values():
        if "file" in frame and len(frame):
            files.update(str(f) for f in frame["file"].dropna().unique())
    return files
