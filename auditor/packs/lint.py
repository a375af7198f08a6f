"""Semantic checks on a validated pack: names that must exist, types that must fit.

The models check the shape of a pack; these checks need to know more: the columns of the
kind a rule reads, the operator's field types, the pack's lists, dimensions and
references, the shared signal vocabulary. Each check has a name (listed in
:data:`CHECKS` and in rules/README.md) and every message says what was found, what was
expected and, for a misspelling, the nearest valid name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from auditor.engine import derived
from auditor.engine.compile import GROUPINGS, PLACEHOLDERS, TIME_GROUPS
from auditor.engine.context import POSITION, TIME, field_types
from auditor.engine.measures import MEASURES
from auditor.engine.operators import OPERATORS
from auditor.packs import model as fmt
from auditor.packs.issues import Issue, describe, did_you_mean, one_of
from auditor.packs.yamlsafe import Located

CHECKS: dict[str, str] = {
    "yaml-syntax": "the file is not valid YAML",
    "yaml-limits": "the file is too large, too deeply nested or uses too many aliases",
    "yaml-tag": "a YAML tag that builds objects (only plain data is allowed)",
    "yaml-merge": "a YAML merge key (<<)",
    "yaml-key": "a key that is not plain text",
    "duplicate-key": "the same key twice in one mapping",
    "unknown-key": "a key the format does not have (with the nearest valid key)",
    "unknown-operator": "an operator not in the operator table",
    "unknown-measure": "a measure not in the measure table",
    "missing-key": "a required key is missing",
    "wrong-value": "a value of the wrong type or out of range",
    "duplicate-rule-id": "two rules with the same id",
    "unknown-kind": "a kind that is neither a canonical kind nor a derived table",
    "unknown-column": "a column, position or group the kind does not have",
    "operator-type": "an operator used on a field of the wrong type (hour on a text column)",
    "unknown-list": "a list name that neither the pack nor its includes define",
    "duplicate-list": "a list defined twice",
    "include": "an included list file that cannot be found",
    "unknown-signal": "a signal tag not in rules/signals.yaml",
    "unknown-dimension": "a dimension the pack does not declare",
    "missing-dimension": "a rule with an effect in a pack with dimensions names none",
    "unknown-reference": "a reference key the pack does not declare",
    "unknown-placeholder": "a {placeholder} in infers that the engine does not fill",
    "effect-without-scale": "a rule has an effect but the pack has no scale (warning)",
    "bands": "bands outside the scale, out of order, or without a scale",
    "weights": "dimension weights adding up to more than 1 (warning)",
    "case": "a test case naming an unknown table or column, or a bad clock or time zone",
    "untested-rule": "a rule without test cases (warning)",
    "practice-without-reference": "a practice basis with no reference (warning)",
}


def check_pack(
    pack: fmt.Pack,
    rules: list[fmt.Rule | None],
    located: Located,
    file: str,
    lists: Mapping[str, list],
    vocabulary: object | None,
) -> list[Issue]:
    """All semantic issues of a pack; ``rules`` keeps None for rules that failed validation."""
    checker = _Checker(pack, located, file, lists, getattr(vocabulary, "signals", None))
    checker.pack_level()
    for index, rule in enumerate(rules):
        if rule is not None:
            checker.rule(index, rule)
        else:
            checker.raw_condition(index)
    checker.duplicate_ids()
    return checker.issues


class _Checker:
    def __init__(self, pack: fmt.Pack, located: Located, file: str, lists: Mapping[str, list], signals):
        self.pack = pack
        self.located = located
        self.file = file
        self.lists = lists
        self.signals = signals
        self.issues: list[Issue] = []

    def add(self, path: tuple, check: str, message: str, *, key: bool = False, severity: str = "error", hint: str = "") -> None:
        line, column = self.located.where_key(path) if key else self.located.where(path)
        self.issues.append(Issue(self.file, line, column, check, message, severity=severity, hint=hint))

    # -- pack

    def pack_level(self) -> None:
        pack = self.pack
        if pack.bands and pack.scale is None:
            self.add(("bands",), "bands", "bands need a scale (min, max, start) to place a score in")
        if pack.scale is not None:
            previous = None
            for index, band in enumerate(pack.bands):
                if not pack.scale.min <= band.at_least <= pack.scale.max:
                    self.add(("bands", index, "at_least"), "bands",
                             f"found {band.at_least:g}; expected a score within the scale [{pack.scale.min:g}, {pack.scale.max:g}]")  # fmt: skip
                if previous is not None and band.at_least <= previous:
                    self.add(("bands", index, "at_least"), "bands", f"bands must go up: {band.at_least:g} follows {previous:g}")
                previous = band.at_least
        weights = [d.weight for d in pack.dimensions.values() if d.weight is not None]
        if sum(weights) > 1.0 + 1e-9:
            self.add(("dimensions",), "weights", f"the dimension weights add up to {sum(weights):g}, more than 1",
                     severity="warning")  # fmt: skip

    def duplicate_ids(self) -> None:
        raw = self.located.data.get("rules") if isinstance(self.located.data, dict) else None
        seen: dict[str, int] = {}
        for index, item in enumerate(raw or []):
            rule_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(rule_id, str):
                continue
            if rule_id in seen:
                line = self.located.where(("rules", seen[rule_id], "id"))[0]
                self.add(("rules", index, "id"), "duplicate-rule-id", f"the rule id '{rule_id}' is already used on line {line}")
            else:
                seen[rule_id] = index

    # -- rules

    def rule(self, index: int, rule: fmt.Rule) -> None:
        at = ("rules", index)
        fields = self.kind(at, rule.kind)
        if fields is None:
            return
        if rule.where is not None:
            self.condition((*at, "where"), rule.where, rule.kind, fields)
        if rule.measure.among is not None:  # type: ignore[attr-defined]
            self.condition((*at, "measure", "among"), rule.measure.among, rule.kind, fields)  # type: ignore[attr-defined]
        self.time_column(at, rule, fields)
        self.group_by(at, rule, fields)
        self.measure(at, rule, fields)
        self.effect(at, rule)
        self.names(at, rule)
        self.cases(at, rule)

    def raw_condition(self, index: int) -> None:
        """A rule that failed validation: still check its condition, if that part is valid."""
        raw = self.located.data["rules"][index]  # type: ignore[index]
        if not isinstance(raw, dict) or not isinstance(raw.get("kind"), str) or "where" not in raw:
            return
        fields = field_types(raw["kind"]) if derived.columns_of(raw["kind"]) else None
        if fields is None:
            self.kind(("rules", index), raw["kind"])
            return
        from pydantic import TypeAdapter, ValidationError

        try:
            condition = TypeAdapter(fmt.Condition).validate_python(raw["where"])
        except ValidationError:
            return
        self.condition(("rules", index, "where"), condition, raw["kind"], fields)

    def kind(self, at: tuple, kind: str) -> dict[str, tuple[str, ...]] | None:
        if derived.columns_of(kind) is None:
            names = derived.table_names()
            self.add((*at, "kind"), "unknown-kind", f"unknown kind '{kind}'{did_you_mean(kind, names)}; expected {one_of(names)}")
            return None
        return field_types(kind)

    def condition(self, path: tuple, condition: object, kind: str, fields: dict[str, tuple[str, ...]]) -> None:
        for leaf_path, column, name, argument in _leaves(path, condition):
            if column not in fields:
                choices = [*fields, "all", "any", "not"]
                self.add(leaf_path, "unknown-column",
                         f"{kind} have no field '{column}'{did_you_mean(column, choices)}; expected {one_of(fields, 40)}",
                         key=True)  # fmt: skip
                continue
            operator = OPERATORS[name]
            types = fields[column]
            if not set(types) & operator.applies_to:
                self.add((*leaf_path, name), "operator-type",
                         f"'{name}' does not apply to {column}, which is {_type_words(types)}; "
                         f"it applies to {' or '.join(sorted(operator.applies_to))} fields", key=True)  # fmt: skip
                continue
            if operator.uses_list and str(argument) not in self.lists:
                self.add((*leaf_path, name), "unknown-list",
                         f"no list named '{argument}'{did_you_mean(argument, self.lists)}"
                         + (f"; the pack has {one_of(self.lists)}" if self.lists else "; the pack defines no lists"),
                         hint="define it under lists:, or include a file from rules/lists/")  # fmt: skip
                continue
            if name in ("equals", "in"):
                self.scalar_types((*leaf_path, name), column, types, argument)

    def scalar_types(self, path: tuple, column: str, types: tuple[str, ...], argument: object) -> None:
        values = argument if isinstance(argument, list) else [argument]
        for value in values:
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if "number" in types and not is_number:
                self.add(path, "wrong-value", f"{column} is a number; found {describe(value)}")
                return
            if "bool" in types and not isinstance(value, bool):
                self.add(path, "wrong-value", f"{column} is true or false; found {describe(value)}")
                return
            if "text" in types and not isinstance(value, str):
                self.add(path, "wrong-value", f"{column} is text; found {describe(value)}",
                         hint=f'quote it: "{value}"' if is_number else "")  # fmt: skip
                return

    def time_column(self, at: tuple, rule: fmt.Rule, fields: dict[str, tuple[str, ...]]) -> None:
        times = [name for name, types in fields.items() if TIME in types]
        if rule.time_column is not None and rule.time_column not in times:
            self.add((*at, "time_column"), "unknown-column",
                     f"'{rule.time_column}' is not a time column of {rule.kind}{did_you_mean(rule.time_column, times)}; "
                     f"expected {one_of(times)}")  # fmt: skip
        needs_time = rule.window or rule.min_data.span or rule.group_by in TIME_GROUPS
        needs_time = needs_time or fmt.measure_name_and_argument(rule.measure)[0] in ("count_per", "streak", "regularity", "first_seen", "last_seen")
        if needs_time and not times:
            self.add((*at, "kind"), "unknown-column", f"{rule.kind} have no time column, but the rule needs one")

    def group_by(self, at: tuple, rule: fmt.Rule, fields: dict[str, tuple[str, ...]]) -> None:
        if rule.groups is not None and rule.group_by is None:
            self.add((*at, "groups"), "missing-key", "'groups' counts groups: the rule needs group_by too")
        if rule.group_by is None:
            return
        columns = [name for name, types in fields.items() if POSITION not in types or len(types) > 1]
        if rule.group_by == "place" and "position" not in fields:
            self.add((*at, "group_by"), "unknown-column", f"{rule.kind} have no position (lat, lon) to group by place")
        elif rule.group_by not in GROUPINGS and rule.group_by not in columns:
            choices = [*GROUPINGS, *columns]
            self.add((*at, "group_by"), "unknown-column",
                     f"cannot group {rule.kind} by '{rule.group_by}'{did_you_mean(rule.group_by, choices)}; "
                     f"expected {one_of(GROUPINGS)} or a column")  # fmt: skip

    def measure(self, at: tuple, rule: fmt.Rule, fields: dict[str, tuple[str, ...]]) -> None:
        name, argument = fmt.measure_name_and_argument(rule.measure)
        measure = MEASURES[name]
        if not measure.column_types or (name == "share" and argument == "rows"):
            return
        column = str(argument)
        path = (*at, "measure", name)
        if column not in fields:
            self.add(path, "unknown-column", f"{rule.kind} have no column '{column}'{did_you_mean(column, fields)}")
        elif not set(fields[column]) & measure.column_types:
            self.add(path, "operator-type",
                     f"{name} needs a {' or '.join(sorted(measure.column_types))} column; {column} is {_type_words(fields[column])}")  # fmt: skip

    def effect(self, at: tuple, rule: fmt.Rule) -> None:
        if rule.effect is not None and self.pack.scale is None:
            self.add((*at, "effect"), "effect-without-scale", "the rule has an effect but the pack has no scale to move",
                     severity="warning")  # fmt: skip
        if rule.dimension is not None and rule.dimension not in self.pack.dimensions:
            dims = list(self.pack.dimensions)
            self.add((*at, "dimension"), "unknown-dimension",
                     f"unknown dimension '{rule.dimension}'{did_you_mean(rule.dimension, dims)}"
                     + (f"; the pack has {one_of(dims)}" if dims else "; the pack declares no dimensions"))  # fmt: skip
        if rule.effect is not None and rule.dimension is None and self.pack.dimensions:
            self.add((*at, "effect"), "missing-dimension", f"the pack has dimensions; say which one this effect counts toward "
                     f"(dimension: {one_of(self.pack.dimensions)})", key=True)  # fmt: skip

    def names(self, at: tuple, rule: fmt.Rule) -> None:
        for index, ref in enumerate(rule.references):
            if ref not in self.pack.references:
                self.add((*at, "references", index), "unknown-reference",
                         f"unknown reference '{ref}'{did_you_mean(ref, self.pack.references)}; declare it under the pack's references")  # fmt: skip
        if rule.basis.practice and not rule.references:
            self.add((*at, "basis"), "practice-without-reference", "a practice basis should cite a reference", severity="warning")
        if self.signals is not None:
            for index, tag in enumerate(rule.signals):
                if tag not in self.signals:
                    self.add((*at, "signals", index), "unknown-signal",
                             f"unknown signal '{tag}'{did_you_mean(tag, self.signals)}; signals are declared in rules/signals.yaml")  # fmt: skip
        for placeholder in re.findall(r"\{(\w*)\}", rule.infers):
            if placeholder not in PLACEHOLDERS:
                self.add((*at, "infers"), "unknown-placeholder",
                         f"unknown placeholder {{{placeholder}}}{did_you_mean(placeholder, PLACEHOLDERS)}; "
                         f"expected {one_of('{' + p + '}' for p in PLACEHOLDERS)}")  # fmt: skip
        if not rule.cases:
            self.add((*at, "id"), "untested-rule", f"the rule '{rule.id}' has no test cases", severity="warning")

    def cases(self, at: tuple, rule: fmt.Rule) -> None:
        for index, case in enumerate(rule.cases):
            path = (*at, "cases", index)
            if case.now is not None and _parse_time(case.now) is None:
                self.add((*path, "now"), "case", f"found {describe(case.now)}; expected a date or time like 2024-06-30 or 2024-06-30T23:00:00Z")
            if case.timezone is not None:
                try:
                    ZoneInfo(case.timezone)
                except (ZoneInfoNotFoundError, ValueError):
                    self.add((*path, "timezone"), "case", f"'{case.timezone}' is not a known time zone (e.g. Europe/London)")
            for table, rows in case.given.items():
                columns = derived.columns_of(table)
                if columns is None:
                    names = derived.table_names()
                    self.add((*path, "given", table), "case", f"unknown table '{table}'{did_you_mean(table, names)}", key=True)
                    continue
                known = {c.name for c in columns}
                for row_index, row in enumerate(rows):
                    for column in row:
                        if column not in known:
                            self.add((*path, "given", table, row_index, column), "unknown-column",
                                     f"{table} have no column '{column}'{did_you_mean(column, known)}", key=True)  # fmt: skip


def _leaves(path: tuple, condition: object) -> Iterator[tuple[tuple, str, str, object]]:
    if isinstance(condition, fmt.AllOf):
        for index, part in enumerate(condition.all):
            yield from _leaves((*path, "all", index), part)
    elif isinstance(condition, fmt.AnyOf):
        for index, part in enumerate(condition.any):
            yield from _leaves((*path, "any", index), part)
    elif isinstance(condition, fmt.NotOf):
        yield from _leaves((*path, "not"), condition.not_)
    else:
        for column, tests in condition.items():  # type: ignore[attr-defined]
            for name in tests.model_dump(by_alias=True, exclude_none=True):
                yield (*path, column), column, name, getattr(tests, f"op_{name}")


def _type_words(types: tuple[str, ...]) -> str:
    return " and ".join({"text": "text", "number": "a number", "time": "a time", "bool": "true/false",
                         "position": "a position"}[t] for t in types)  # fmt: skip


def _parse_time(text: str) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
