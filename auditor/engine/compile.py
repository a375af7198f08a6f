"""Compile a rule once into vectorised steps, then evaluate it against any View.

A compiled rule is a tree of leaves (each an operator from the operator table applied
to one column) and ``all``/``any``/``not`` nodes, a window, a grouping, a measure from
the measure table and a threshold. Leaves are cached by what they compute, so two rules
(or two packs) testing ``mcc in [7995]`` share one pass over the column, and ablation
variants reuse every row-level result, only selecting rows.

No pack text is ever executed: operators are looked up in a table, regular expressions
run in RE2, and the inference sentence fills named placeholders by substitution.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pydantic import BaseModel

from auditor import model
from auditor.engine import derived
from auditor.engine.context import View, position_columns
from auditor.engine.findings import ABSTAINED, FIRED, NOT_FIRED, Finding, GroupValue
from auditor.engine.measures import ABSTAIN, MEASURES, NEVER, MeasureInput, format_value
from auditor.engine.operators import OPERATORS, Mask, needs_of
from auditor.packs.model import AllOf, AnyOf, NotOf, Pack, Rule, measure_name_and_argument, parse_duration

TIME_GROUPS = ("day", "week", "month", "year", "weekday", "hour")
GROUPINGS = (*TIME_GROUPS, "place")
PLACEHOLDERS = ("value", "threshold", "window", "group", "groups", "count", "rows")
PLACE_GRID_DEG = 0.001  # about 111 m of latitude
MAX_GROUPS_SHOWN = 12
_COMPARISON_WORDS = {"at_least": ">=", "more_than": ">", "at_most": "<=", "less_than": "<"}

Node = Callable[[View], Mask]


# --- conditions ---------------------------------------------------------------------------


def _canonical(value: object) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True, exclude_none=True, mode="json")
    return json.dumps(value, sort_keys=True, default=str)


def compile_condition(condition: object, table: str, lists: Mapping[str, list]) -> tuple[Node, set[str]]:
    """A condition model -> a function of a View returning a Mask, and the derived tables it needs."""
    needs: set[str] = set()
    if isinstance(condition, AllOf):
        parts = [compile_condition(c, table, lists) for c in condition.all]
        needs.update(*(n for _, n in parts))
        return _all([p for p, _ in parts]), needs
    if isinstance(condition, AnyOf):
        parts = [compile_condition(c, table, lists) for c in condition.any]
        needs.update(*(n for _, n in parts))
        return _any([p for p, _ in parts]), needs
    if isinstance(condition, NotOf):
        inner, inner_needs = compile_condition(condition.not_, table, lists)
        return _not(inner), inner_needs
    leaves: list[Node] = []
    for column, tests in condition.items():  # type: ignore[attr-defined]
        for name, argument in tests.model_dump(by_alias=True, exclude_none=True).items():
            operator = OPERATORS[name]
            argument = getattr(tests, f"op_{name}")
            if operator.uses_list:
                argument = list(lists[str(argument)])
            leaves.append(_leaf(table, column, name, argument))
            needs.update(needs_of(name, argument))
    return (leaves[0] if len(leaves) == 1 else _all(leaves)), needs


def _leaf(table: str, column: str, name: str, argument: object) -> Node:
    operator = OPERATORS[name]
    key = ("leaf", table, column, name, _canonical(argument))
    row_local = not needs_of(name, argument)

    def evaluate(view: View) -> Mask:
        return view.memo(key, lambda: operator.evaluate(view, table, column, argument), table=table,
                         shared=row_local)  # type: ignore[return-value]  # fmt: skip

    return evaluate


def _all(parts: list[Node]) -> Node:
    def evaluate(view: View) -> Mask:
        value, known = None, None
        for part in parts:
            mask = part(view)
            value, known = _and(value, known, mask.value, mask.known)
        return Mask(value, known)  # type: ignore[arg-type]

    return evaluate


def _any(parts: list[Node]) -> Node:
    def evaluate(view: View) -> Mask:
        value, known = None, None
        for part in parts:
            mask = part(view)
            value, known = _or(value, known, mask.value, mask.known)
        return Mask(value, known)  # type: ignore[arg-type]

    return evaluate


def _not(part: Node) -> Node:
    def evaluate(view: View) -> Mask:
        mask = part(view)
        if mask.known is None:
            return Mask(~mask.value)
        return Mask(~mask.value & mask.known, mask.known)

    return evaluate


def _and(v1, k1, v2, k2):
    """Kleene AND: false wins over unknown; value arrays are False where unknown."""
    if v1 is None:
        return v2, k2
    value = v1 & v2
    if k1 is None and k2 is None:
        return value, None
    k1 = np.ones_like(v1) if k1 is None else k1
    k2 = np.ones_like(v2) if k2 is None else k2
    known = (k1 & k2) | (k1 & ~v1) | (k2 & ~v2)
    return value, known


def _or(v1, k1, v2, k2):
    """Kleene OR: true wins over unknown."""
    if v1 is None:
        return v2, k2
    value = v1 | v2
    if k1 is None and k2 is None:
        return value, None
    k1 = np.ones_like(v1) if k1 is None else k1
    k2 = np.ones_like(v2) if k2 is None else k2
    known = (k1 & k2) | v1 | v2
    return value, known


# --- rules ----------------------------------------------------------------------------------


@dataclass
class CompiledRule:
    """A rule ready to evaluate against any View, as often as needed."""

    pack: Pack
    rule: Rule
    table: str
    time_column: str | None
    condition: Node | None
    among: Node | None
    measure: str
    argument: object
    needs: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return self.rule.id

    def evaluate(self, view: View, evidence: bool = True) -> Finding:
        """Evaluate on one View: fired, not fired or abstained, with value and evidence.

        A rule's finding depends only on the rows of the tables it reads: an ablation variant
        that sees the same rows of those tables as a view evaluated before (leaving out a bank
        account, for a rule on location) gets that view's finding again instead of measuring
        anew. A finding without evidence rows is never handed to a caller that wants them.
        """
        inputs = view.inputs_of(self.needs | {self.table})
        if inputs is None:
            return self._evaluate(view, evidence)
        key = ("finding", id(self), inputs)
        kept = view.data.memo_get(key)
        if kept is not None and kept[0] is self and (kept[2] or not evidence):
            return kept[1]
        finding = self._evaluate(view, evidence)
        view.data.memo_set(key, (self, finding, evidence))
        return finding

    def _evaluate(self, view: View, evidence: bool) -> Finding:
        missing = sorted(n for n in self.needs | {self.table} if view.table(n) is None)
        if missing:
            names = ", ".join(f"'{n}'" for n in missing)
            return self._finding(ABSTAINED, reason=f"needs the derived table {names}, which is not available yet")
        frame = view.table(self.table)
        base = self._base_rows(view, frame)
        if not base.any():
            where = f" in the last {self.rule.window}" if self.rule.window else ""
            return self._finding(ABSTAINED, reason=f"not enough data: no {self.table}{where}")
        shortfall = self._shortfall(view, base)
        if shortfall:
            return self._finding(ABSTAINED, reason=f"not enough data: {shortfall}")
        judged, matched = base, base
        # Why nothing could be judged, if it comes to that: the first step that emptied it.
        emptied_by = ""
        if self.condition is not None:
            mask = self.condition(view)
            judged = base if mask.known is None else base & mask.known
            matched = judged & mask.value
            if not judged.any():
                dated_only = "has_time" in frame and not frame["has_time"].to_numpy(dtype=bool)[base].any()
                emptied_by = ("date-only rows have no time of day" if dated_only
                              else "the condition reads a value these rows lack")  # fmt: skip
        if self.among is not None:
            among = self.among(view)
            judged = judged & among.value
            matched = matched & among.value
            emptied_by = emptied_by or ("" if judged.any() else "no row is among the rows the share is taken of")
        keys, labels = self._group_keys(view, frame)
        if keys is not None:
            judged = judged & keys.valid
            matched = matched & keys.valid
            emptied_by = emptied_by or ("" if judged.any() else "no row has a value to group by")
        unjudged = int(base.sum() - judged.sum())
        if not judged.any():
            return self._finding(ABSTAINED, reason=f"could not judge any of the {int(base.sum()):,} rows"
                                 + (f" ({emptied_by})" if emptied_by else ""),
                                 unjudged=unjudged)  # fmt: skip
        return self._measure(view, frame, judged, matched, keys, labels, unjudged, evidence)

    # -- steps

    def _base_rows(self, view: View, frame: pd.DataFrame) -> np.ndarray:
        selection = view.selection(self.table)
        rows = np.ones(len(frame), dtype=bool) if selection is None else selection
        if self.rule.window and self.time_column:
            window = view.memo(("window", self.table, self.time_column, self.rule.window),
                               lambda: self._window_mask(view), table=self.table)  # fmt: skip
            rows = rows & window  # type: ignore[operator]
        return rows

    def _window_mask(self, view: View) -> np.ndarray:
        clock = view.clock(self.table, self.time_column)  # type: ignore[arg-type]
        start = window_start(view.now, self.rule.window)  # type: ignore[arg-type]
        return clock.valid & (clock.utc_ns >= start.value) & (clock.utc_ns <= view.now.value)

    def _shortfall(self, view: View, base: np.ndarray) -> str:
        need = self.rule.min_data
        rows = int(base.sum())
        if rows < need.rows:
            return f"{rows:,} {self.table} where the rule needs at least {need.rows:,}"
        if need.span and self.time_column:
            clock = view.clock(self.table, self.time_column)
            times = clock.utc_ns[base & clock.valid]
            covered = pd.Timedelta(int(times.max() - times.min()), unit="ns") if len(times) else pd.Timedelta(0)
            required = window_start(view.now, need.span)
            if covered < view.now - required:
                return f"the {self.table} cover {covered.days:,} days where the rule needs {need.span}"
        return ""

    def _group_keys(self, view: View, frame: pd.DataFrame) -> tuple[GroupKeys | None, Callable | None]:
        group_by = self.rule.group_by
        if not group_by:
            return None, None
        return view.memo(("groups", self.table, self.time_column, group_by),
                         lambda: group_keys(view, self.table, self.time_column, group_by),
                         table=self.table)  # type: ignore[return-value]  # fmt: skip

    def _measure(self, view, frame, judged, matched, keys, labels, unjudged, evidence) -> Finding:
        judged_rows = np.flatnonzero(judged)
        matched_rows = np.flatnonzero(matched)
        if keys is None:
            judged_codes = np.zeros(len(judged_rows), dtype=np.int64)
            uniques: np.ndarray = np.zeros(1, dtype=np.int64)
        else:
            judged_codes, uniques = pd.factorize(keys.values[judged_rows], sort=True)
            judged_codes = judged_codes.astype(np.int64)
        if keys is None:  # one group: matched rows are judged rows, all in group 0
            matched_codes = np.zeros(len(matched_rows), dtype=np.int64)
        else:
            code_of_row = np.full(len(frame), -1, dtype=np.int64)
            code_of_row[judged_rows] = judged_codes
            matched_codes = code_of_row[matched_rows]
        clock = view.clock(self.table, self.time_column) if self.time_column else None
        start = window_start(view.now, self.rule.window) if self.rule.window else None
        values = MEASURES[self.measure].compute(
            MeasureInput(frame, clock, matched_rows, matched_codes, judged_rows, judged_codes, len(uniques),  # type: ignore[arg-type]
                         self.argument, view.now.value, start.value if start is not None else None)  # fmt: skip
        )
        comparison, threshold = self.rule.threshold.comparison
        passed = _passes(values, comparison, threshold)
        group_rows = np.bincount(matched_codes, minlength=len(uniques))
        if self.rule.groups is not None:
            group_comparison, group_threshold = self.rule.groups.comparison
            value: float | None = float(passed.sum())
            fired = bool(_passes(np.array([value]), group_comparison, group_threshold)[0])
            chosen = int(np.nanargmax(values)) if not np.all(np.isnan(values)) else 0
            shown_comparison, shown_threshold = group_comparison, group_threshold
        else:
            if np.all(np.isnan(values)):
                policy = MEASURES[self.measure].empty
                if policy == ABSTAIN:
                    need = " (regularity needs 3 matching rows)" if self.measure == "regularity" else ""
                    return self._finding(ABSTAINED, reason=f"nothing to measure: too few rows matched{need}",
                                         judged=len(judged_rows), unjudged=unjudged)  # fmt: skip
                if policy == NEVER:
                    return self._finding(NOT_FIRED, reason="no row matched", judged=len(judged_rows),
                                         unjudged=unjudged)  # fmt: skip
            chosen = int(np.nanargmax(values) if comparison in ("at_least", "more_than") else np.nanargmin(values))
            value = float(values[chosen])
            fired = bool(passed[chosen])
            shown_comparison, shown_threshold = comparison, threshold
        margin = _margin(value, shown_comparison, shown_threshold)
        label_of = labels if labels is not None else (lambda u: "")
        group_values: list[GroupValue] = []
        if keys is not None:
            order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
            if comparison in ("at_most", "less_than"):
                order = np.argsort(np.nan_to_num(values, nan=np.inf), kind="stable")
            for code in order[:MAX_GROUPS_SHOWN]:
                number = None if np.isnan(values[code]) else float(values[code])
                group_values.append(GroupValue(label_of(uniques[code]), number, bool(passed[code]),
                                               int(group_rows[code])))  # fmt: skip
        rows = np.zeros(0, dtype=np.int64)
        if evidence:
            keep_codes = np.flatnonzero(passed) if fired and passed.any() else np.array([chosen])
            rows = matched_rows[np.isin(matched_codes, keep_codes)].astype(np.int64)
        group_label = label_of(uniques[chosen]) if keys is not None and self.rule.groups is None else None
        return self._finding(
            FIRED if fired else NOT_FIRED,
            value=value,
            distance=0.0 if fired else max(0.0, -margin),
            judged=len(judged_rows),
            unjudged=unjudged,
            rows=rows,
            groups=group_values,
            group_label=group_label,
            matched=len(matched_rows),
            passed_groups=int(passed.sum()),
        )

    def _finding(self, outcome: str, *, value: float | None = None, distance: float | None = None,
                 reason: str = "", judged: int = 0, unjudged: int = 0, rows: np.ndarray | None = None,
                 groups: list[GroupValue] | None = None, group_label: str | None = None, matched: int = 0,
                 passed_groups: int = 0) -> Finding:  # fmt: skip
        rule = self.rule
        if rule.groups is not None:
            comparison, threshold = rule.groups.comparison
            shown = "nothing" if value is None else f"{value:,.0f} {rule.group_by}s"
        else:
            comparison, threshold = rule.threshold.comparison
            shown = format_value(self.measure, value, self.argument)
        effect = self._effect(value) if outcome == FIRED else 0.0
        words = {
            "value": shown,
            "threshold": self._threshold_words(),
            "window": rule.window or "all the data",
            "group": group_label or "",
            "groups": f"{passed_groups:,}",
            "count": f"{matched:,}",
            "rows": f"{judged:,}",
        }
        inference = re.sub(r"\{(\w+)\}", lambda m: words.get(m.group(1), m.group(0)), rule.infers)
        return Finding(
            pack=self.pack.id,
            rule=rule.id,
            title=rule.title,
            kind=self.table,
            outcome=outcome,
            measure=self.measure,
            value=value,
            shown_value=shown,
            comparison=comparison,
            threshold=threshold,
            distance=distance,
            effect=effect,
            possible_effect=self._effect_words(),
            dimension=rule.dimension,
            severity=rule.severity,
            inference=inference,
            reason=reason,
            basis=rule.basis.label,
            signals=tuple(rule.signals),
            legal=rule.legal,
            references=tuple(rule.references),
            judged_rows=judged,
            unjudged_rows=unjudged,
            evidence=rows if rows is not None else np.zeros(0, dtype=np.int64),
            groups=groups or [],
            group_label=group_label,
        )

    def _effect(self, value: float | None) -> float:
        effect = self.rule.effect
        if effect is None:
            return 0.0
        points = (effect.points or 0.0) + (effect.per_unit or 0.0) * (value or 0.0)
        if effect.cap is not None:
            points = float(np.clip(points, -effect.cap, effect.cap))
        return float(points)

    def _effect_words(self) -> str:
        effect = self.rule.effect
        if effect is None:
            return "no effect on the score"
        parts = []
        if effect.points is not None:
            parts.append(f"{effect.points:+g} points")
        if effect.per_unit is not None:
            parts.append(f"{effect.per_unit:+g} per unit")
        if effect.cap is not None:
            parts.append(f"at most {effect.cap:g}")
        return ", ".join(parts)

    def _threshold_words(self) -> str:
        comparison, threshold = self.rule.threshold.comparison
        text = f"{_COMPARISON_WORDS[comparison]} {format_value(self.measure, threshold, self.argument)}"
        if self.rule.groups is not None:
            group_comparison, group_threshold = self.rule.groups.comparison
            text += f" in {_COMPARISON_WORDS[group_comparison]} {group_threshold:g} {self.rule.group_by}s"
        return text


def _passes(values: np.ndarray, comparison: str, threshold: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if comparison == "at_least":
            return values >= threshold
        if comparison == "more_than":
            return values > threshold
        if comparison == "at_most":
            return values <= threshold
        return values < threshold


def _margin(value: float, comparison: str, threshold: float) -> float:
    """How far past the threshold (>= 0 on the firing side)."""
    return value - threshold if comparison in ("at_least", "more_than") else threshold - value


def window_start(now: pd.Timestamp, duration: str) -> pd.Timestamp:
    """``now`` minus a duration: calendar months and years, exact days and weeks."""
    count, unit = parse_duration(duration)
    if unit == "d":
        return now - pd.Timedelta(days=count)
    if unit == "w":
        return now - pd.Timedelta(weeks=count)
    if unit == "mo":
        return now - pd.DateOffset(months=count)
    return now - pd.DateOffset(years=count)


# --- grouping -------------------------------------------------------------------------------


@dataclass
class GroupKeys:
    """One group key per row (int64 or text), and which rows have one."""

    values: np.ndarray
    valid: np.ndarray


def group_keys(view: View, table: str, time_column: str | None, group_by: str) -> tuple[GroupKeys, Callable]:
    """Group keys for every row of the table, and a function that names a key."""
    frame = view.table(table)
    if group_by in TIME_GROUPS:
        clock = view.clock(table, time_column)  # type: ignore[arg-type]
        values = getattr(clock, group_by).astype(np.int64)
        valid = clock.hour_known if group_by == "hour" else clock.valid
        return GroupKeys(values, valid), _TIME_LABELS[group_by]
    if group_by == "place":
        lat_column, lon_column = position_columns("position")
        lat = frame[lat_column].to_numpy(dtype="float64", na_value=np.nan)
        lon = frame[lon_column].to_numpy(dtype="float64", na_value=np.nan)
        valid = ~(np.isnan(lat) | np.isnan(lon))
        cells_lat = np.floor(np.nan_to_num(lat) / PLACE_GRID_DEG).astype(np.int64)
        cells_lon = np.floor(np.nan_to_num(lon) / PLACE_GRID_DEG).astype(np.int64)
        return GroupKeys(cells_lat * 1_000_000 + cells_lon, valid), _place_label
    column = frame[group_by]
    valid = column.notna().to_numpy()
    values = column.astype("string").fillna("").to_numpy(dtype=object)
    return GroupKeys(values, valid), str


def _place_label(key: object) -> str:
    key = int(key)  # type: ignore[call-overload]
    cell_lat, cell_lon = divmod(key, 1_000_000)
    if cell_lon >= 500_000:
        cell_lat, cell_lon = cell_lat + 1, cell_lon - 1_000_000
    return f"{(cell_lat + 0.5) * PLACE_GRID_DEG:.4f},{(cell_lon + 0.5) * PLACE_GRID_DEG:.4f}"


def _day_label(key: object) -> str:
    return str(np.datetime64(int(key), "D"))  # type: ignore[call-overload]


_TIME_LABELS: dict[str, Callable[[object], str]] = {
    "day": _day_label,
    "week": lambda k: f"week of {np.datetime64(int(k) * 7 - 3, 'D')}",  # type: ignore[call-overload]
    "month": lambda k: str(np.datetime64(int(k), "M")),  # type: ignore[call-overload]
    "year": lambda k: str(int(k)),  # type: ignore[call-overload]
    "weekday": lambda k: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[int(k)],  # type: ignore[call-overload]
    "hour": lambda k: f"{int(k):02d}:00",  # type: ignore[call-overload]
}


# --- packs ----------------------------------------------------------------------------------


def default_time_column(table: str) -> str | None:
    """The column that orders a table's rows: the first declared time column."""
    columns = derived.columns_of(table) or ()
    times = [c.name for c in columns if c.dtype == model.UTC_TIME]
    return times[0] if times else None


def compile_rule(pack: Pack, rule: Rule, lists: Mapping[str, list]) -> CompiledRule:
    """Compile one validated rule (the loader has checked its columns, lists and types)."""
    table = rule.kind
    condition, needs = (None, set())
    if rule.where is not None:
        condition, needs = compile_condition(rule.where, table, lists)
    measure, argument = measure_name_and_argument(rule.measure)
    among = None
    if rule.measure.among is not None:  # type: ignore[attr-defined]
        among, among_needs = compile_condition(rule.measure.among, table, lists)  # type: ignore[attr-defined]
        needs |= among_needs
    return CompiledRule(pack, rule, table, rule.time_column or default_time_column(table), condition, among,
                        measure, argument, needs)  # fmt: skip


@dataclass
class CompiledPack:
    """A pack whose rules are compiled, with the lists they use."""

    pack: Pack
    rules: list[CompiledRule]
    lists: dict[str, list]

    @property
    def id(self) -> str:
        return self.pack.id


def compile_pack(pack: Pack, lists: Mapping[str, list] | None = None) -> CompiledPack:
    merged = {**pack.lists, **(lists or {})}
    return CompiledPack(pack, [compile_rule(pack, rule, merged) for rule in pack.rules], dict(merged))


def evaluate_pack(
    pack: CompiledPack, view: View, evidence: bool = True, timings: dict[str, float] | None = None
) -> list[Finding]:
    """Every rule of a pack on one View, in the pack's order."""
    findings = []
    for rule in pack.rules:
        started = time.perf_counter()
        findings.append(rule.evaluate(view, evidence))
        if timings is not None:
            timings[f"{pack.id}/{rule.id}"] = time.perf_counter() - started
    return findings
