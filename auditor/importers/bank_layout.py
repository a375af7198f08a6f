"""Bank CSV layouts as data: the preset model, its YAML validation, and where presets live.

A layout (a *preset* shipped in ``bank_presets/``, a user's own preset, a mapping file
placed beside a statement, or what the generic detector guessed) says how to recognise a
statement CSV and how to read it: header line, delimiter, decimal mark, date format,
which column is the amount and from whose point of view. The format is documented with
an example per key in ``bank_presets/README.md``; this module is its one declaration.

Validation collects every problem of a file, each with the file name, the YAML line where
known and a "did you mean" for misspelt keys (the hledger and harlequin habit). A broken
user preset is reported and skipped; it never stops the other presets from working.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from auditor.safe_regex import SafePattern, compile_regex

SHIPPED_DIR = Path(__file__).resolve().parent / "bank_presets"
USER_DIR = Path("~/.config/auditor/bank_presets")
PRESETS_ENV = "AUDITOR_BANK_PRESETS"
MAPPING_ENV = "AUDITOR_BANK_MAPPING"
MAPPING_NAME = "auditor-mapping.yaml"

DEFAULT_ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (",", ";", "\t", "|")
SIGNS = ("as_is", "inverted", "split")

TOP_KEYS = (
    "id", "title", "country", "source", "match", "encoding", "delimiter", "decimal",
    "date_format", "datetime_format", "time_format", "time_column", "timezone", "columns",
    "currency", "sign", "skip_rows", "keep_if", "footer", "account",
)  # fmt: skip
MATCH_KEYS = ("header", "headerless", "filename")
HEADERLESS_KEYS = ("columns", "patterns")
COLUMN_FIELDS = (
    "date", "description", "amount", "debit", "credit", "indicator", "fee", "balance", "type",
    "counterparty", "category", "account", "mcc", "currency", "local_amount", "local_currency",
    "time", "status", "reference",
)  # fmt: skip
INDICATOR_KEYS = ("column", "out", "in")
SKIP_KEYS = ("column", "pattern", "reason")
KEEP_KEYS = ("column", "in", "reason")

ColumnRef = str | int

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Indicator:
    """An unsigned amount whose direction another column gives (``Af``/``Bij``, ``debit``/``credit``)."""

    column: ColumnRef
    out: tuple[str, ...]
    into: tuple[str, ...]


@dataclass(frozen=True)
class RowRule:
    """A ``skip_rows`` entry: rows whose value matches are not transactions."""

    column: ColumnRef
    pattern: SafePattern
    reason: str


@dataclass(frozen=True)
class KeepIf:
    """Rows to keep by a column's value (Revolut ``State``); the others are skipped."""

    column: ColumnRef
    values: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Layout:
    """One statement layout, validated; see bank_presets/README.md for every field."""

    id: str
    title: str
    origin: str  # the YAML file it came from, or "generic"
    kind: str  # "preset", "user preset", "mapping" or "generic"
    columns: Mapping[str, ColumnRef | tuple[ColumnRef, ...]]
    date_formats: tuple[str, ...]
    has_datetime: bool = False  # the date column holds date and time (datetime_format)
    time_format: str | None = None
    header: tuple[str, ...] | None = None
    headerless_columns: int | None = None
    headerless_patterns: Mapping[int, SafePattern] = field(default_factory=dict)
    filename: SafePattern | None = None
    encodings: tuple[str, ...] = DEFAULT_ENCODINGS
    delimiter: str = ","
    decimal: str = "."
    timezone: str | None = None
    indicator: Indicator | None = None
    currency: str | None = None
    sign: str = "as_is"
    skip_rows: tuple[RowRule, ...] = ()
    keep_if: KeepIf | None = None
    footer: SafePattern | None = None
    account: str | None = None  # "from_column", "filename[:regex]", "preamble:regex"
    file_glob: str | None = None  # mapping files only
    country: str = ""
    source: str = ""

    @property
    def is_headerless(self) -> bool:
        return self.header is None and self.headerless_columns is not None

    def single(self, name: str) -> ColumnRef:
        """The one column mapped to a field; only ``description`` may list several."""
        ref = self.columns[name]
        assert not isinstance(ref, tuple), name
        return ref

    def applies_to(self, file_name: str) -> bool:
        """For mapping files: does the ``file`` glob cover this file name (case-insensitive)?"""
        return self.file_glob is not None and fnmatch.fnmatchcase(file_name.lower(), self.file_glob.lower())


# --- Validation ---------------------------------------------------------------------------


class _Problems:
    """Problems of one YAML file, each located by key path and YAML line where known."""

    def __init__(self, origin: str, lines: Mapping[tuple[str, ...], int]):
        self.origin = origin
        self.lines = lines
        self.messages: list[str] = []

    def add(self, path: tuple[str, ...], message: str) -> None:
        line = None
        for cut in range(len(path), 0, -1):
            line = self.lines.get(path[:cut])
            if line is not None:
                break
        where = f"{self.origin}, line {line}" if line else self.origin
        key = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in path).lstrip(".")
        self.messages.append(f"{where}: {key + ': ' if key else ''}{message}")

    def unknown_keys(self, path: tuple[str, ...], data: Mapping[Any, Any], allowed: Sequence[str]) -> None:
        for key in data:
            if str(key) not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else f" (allowed: {', '.join(allowed)})"
                self.add((*path, str(key)), f"unknown key '{key}'{suggestion}")


def _yaml_lines(node: yaml.Node | None, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Key path -> 1-based line of every key and list item in a composed YAML document."""
    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, str(key.value))
            lines[here] = key.start_mark.line + 1
            lines.update(_yaml_lines(value, here))
    elif isinstance(node, yaml.SequenceNode):
        for index, value in enumerate(node.value):
            here = (*path, str(index))
            lines[here] = value.start_mark.line + 1
            lines.update(_yaml_lines(value, here))
    return lines


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 20x faster


def _load_with_lines(text: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The document's data and the line of each key, from one parse."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return data, _yaml_lines(node)


def parse_yaml(text: str, origin: str, *, kind: str) -> tuple[list[Layout], list[str]]:
    """Validate one YAML document holding a layout (or, for mappings, a list of them)."""
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return [], [f"{origin}{where}: not valid YAML ({problem})"]
    items: list[tuple[tuple[str, ...], Any]]
    if kind == "mapping" and isinstance(data, list):
        items = [((str(i),), item) for i, item in enumerate(data)]
    else:
        items = [((), data)]
    layouts: list[Layout] = []
    messages: list[str] = []
    for prefix, item in items:
        problems = _Problems(
            origin, {k[len(prefix) :]: v for k, v in lines.items() if k[: len(prefix)] == prefix}
        )
        layout = _layout_from(item, origin, kind, problems)
        messages.extend(problems.messages)
        if layout is not None and not problems.messages:
            layouts.append(layout)
    return layouts, messages


def _layout_from(data: Any, origin: str, kind: str, problems: _Problems) -> Layout | None:
    if not isinstance(data, dict):
        problems.add((), "expected a mapping of keys (id, title, match, columns...)")
        return None
    mapping = kind == "mapping"
    problems.unknown_keys((), data, (*TOP_KEYS, "file") if mapping else TOP_KEYS)
    layout_id = _text(data, "id", problems, required=not mapping) or "mapping"
    if not _ID.match(layout_id):
        problems.add(("id",), f"'{layout_id}' is not kebab-case (lower-case letters, digits and dashes)")
    title = _text(data, "title", problems, required=not mapping) or ""
    file_glob = _text(data, "file", problems, required=True) if mapping else None
    header, headerless_columns, patterns, filename = _match(data.get("match"), problems, required=not mapping)
    formats, has_datetime = _date_formats(data, problems)
    time_format = _text(data, "time_format", problems)
    if time_format:
        _check_format(time_format, ("time_format",), problems)
    columns, indicator = _columns(data.get("columns"), data.get("time_column"), problems)
    if has_datetime and time_format:
        problems.add(
            ("time_format",), "not used with datetime_format (the date column already holds the time)"
        )
    if "time" in columns and not time_format and not has_datetime:
        problems.add(("time_format",), "columns.time is mapped, so time_format is required (e.g. '%H:%M:%S')")
    sign = _sign(data, columns, indicator, problems)
    layout = Layout(
        id=layout_id,
        title=title,
        origin=origin,
        kind=kind,
        columns=columns,
        date_formats=formats,
        has_datetime=has_datetime,
        time_format=time_format,
        header=header,
        headerless_columns=headerless_columns,
        headerless_patterns=patterns,
        filename=filename,
        encodings=_encodings(data.get("encoding"), problems),
        delimiter=_delimiter(data.get("delimiter", ","), problems),
        decimal=_choice(data, "decimal", (".", ","), ".", problems),
        timezone=_timezone(data.get("timezone"), problems),
        indicator=indicator,
        currency=_currency(data.get("currency"), problems),
        sign=sign,
        skip_rows=_skip_rows(data.get("skip_rows"), problems),
        keep_if=_keep_if(data.get("keep_if"), problems),
        footer=_regex(data.get("footer"), ("footer",), problems),
        account=_account(data.get("account"), columns, problems),
        file_glob=file_glob,
        country=_text(data, "country", problems) or "",
        source=_text(data, "source", problems) or "",
    )
    _check_references(layout, problems)
    return layout


def _text(data: Mapping[str, Any], key: str, problems: _Problems, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.add((key,), "is required")
        return None
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        problems.add((key,), f"expected text, got {type(value).__name__}")
        return None
    return str(value)


def _choice(
    data: Mapping[str, Any], key: str, allowed: Sequence[str], default: str, problems: _Problems
) -> str:
    value = data.get(key, default)
    if value not in allowed:
        problems.add((key,), f"'{value}' is not one of {', '.join(repr(a) for a in allowed)}")
        return default
    return str(value)


def _regex(value: Any, path: tuple[str, ...], problems: _Problems) -> SafePattern | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.add(path, f"expected a regular expression as text, got {type(value).__name__}")
        return None
    try:
        # RE2, not Python's re: a preset may come from a stranger, and RE2 cannot backtrack.
        return compile_regex(value)
    except ValueError as error:
        problems.add(path, f"'{value}' is refused: {error}")
        return None


def _column_ref(value: Any, path: tuple[str, ...], problems: _Problems) -> ColumnRef | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        problems.add(path, f"expected a column name or a 0-based index, got {value!r}")
        return None
    if isinstance(value, int) and value < 0:
        problems.add(path, f"column index {value} is negative (indexes count from 0)")
        return None
    return value


def _match(value: Any, problems: _Problems, required: bool):
    header = headerless_columns = filename = None
    patterns: dict[int, SafePattern] = {}
    if value is None:
        if required:
            problems.add(("match",), "is required: give match.header (column names) or match.headerless")
        return header, headerless_columns, patterns, filename
    if not isinstance(value, dict):
        problems.add(("match",), "expected header, headerless and/or filename")
        return header, headerless_columns, patterns, filename
    problems.unknown_keys(("match",), value, MATCH_KEYS)
    if "header" in value and "headerless" in value:
        problems.add(("match",), "give either header or headerless, not both")
    if "header" in value:
        names = value["header"]
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, (str, int, float)) for n in names)
        ):
            problems.add(("match", "header"), "expected a list of column names")
        else:
            header = header_key([str(n) for n in names])
    elif "headerless" in value:
        headerless_columns, patterns = _headerless(value["headerless"], problems)
    elif required:
        problems.add(("match",), "give match.header (column names) or match.headerless")
    filename = _regex(value.get("filename"), ("match", "filename"), problems)
    return header, headerless_columns, patterns, filename


def _headerless(value: Any, problems: _Problems) -> tuple[int | None, dict[int, SafePattern]]:
    path = ("match", "headerless")
    if not isinstance(value, dict):
        problems.add(path, "expected {columns: N, patterns: {index: regex}}")
        return None, {}
    problems.unknown_keys(path, value, HEADERLESS_KEYS)
    count = value.get("columns")
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        problems.add((*path, "columns"), "expected the number of columns (2 or more)")
        count = None
    patterns: dict[int, SafePattern] = {}
    raw = value.get("patterns") or {}
    if not isinstance(raw, dict) or not raw:
        problems.add(
            (*path, "patterns"), "expected at least one {column index: regex} to recognise the lines"
        )
        return count, patterns
    for index, pattern in raw.items():
        where = (*path, "patterns", str(index))
        if isinstance(index, bool) or not isinstance(index, int) or index < 0 or (count and index >= count):
            problems.add(where, f"{index!r} is not a column index below {count}")
            continue
        compiled = _regex(pattern, where, problems)
        if compiled is not None:
            patterns[index] = compiled
    return count, patterns


def _check_format(fmt: str, path: tuple[str, ...], problems: _Problems) -> bool:
    """A strptime format must round-trip a known moment, or it is a typo."""
    if "%" not in fmt:
        problems.add(path, f"'{fmt}' has no % codes (e.g. '%d/%m/%Y')")
        return False
    moment = datetime(2021, 12, 31, 13, 45, 56, tzinfo=timezone(timedelta(hours=1)))
    try:
        datetime.strptime(moment.strftime(fmt), fmt)
    except ValueError as error:
        problems.add(path, f"'{fmt}' is not a usable strptime format ({error})")
        return False
    return True


def _date_formats(data: Mapping[str, Any], problems: _Problems) -> tuple[tuple[str, ...], bool]:
    has_datetime = "datetime_format" in data
    key = "datetime_format" if has_datetime else "date_format"
    if has_datetime and "date_format" in data:
        problems.add(("date_format",), "give date_format or datetime_format, not both")
    value = data.get(key)
    if value is None:
        problems.add((key,), "is required (e.g. date_format: '%d/%m/%Y')")
        return (), has_datetime
    values = value if isinstance(value, list) else [value]
    formats: list[str] = []
    for index, fmt in enumerate(values):
        path = (key, str(index)) if isinstance(value, list) else (key,)
        if not isinstance(fmt, str):
            problems.add(path, f"expected a strptime format as text, got {fmt!r}")
        elif _check_format(fmt, path, problems):
            formats.append(fmt)
    return tuple(formats), has_datetime


def _columns(value: Any, time_column: Any, problems: _Problems):
    columns: dict[str, ColumnRef | tuple[ColumnRef, ...]] = {}
    indicator = None
    if not isinstance(value, dict):
        problems.add(
            ("columns",),
            "is required: canonical field -> column name or index (date, description, amount...)",
        )
        return columns, indicator
    problems.unknown_keys(("columns",), value, COLUMN_FIELDS)
    for name, ref in value.items():
        path = ("columns", str(name))
        if name not in COLUMN_FIELDS:
            continue
        if name == "indicator":
            indicator = _indicator(ref, problems)
        elif name == "description" and isinstance(ref, list):
            refs = [_column_ref(r, (*path, str(i)), problems) for i, r in enumerate(ref)]
            if refs and all(r is not None for r in refs):
                columns[name] = tuple(r for r in refs if r is not None)
            elif not refs:
                problems.add(path, "expected at least one column")
        else:
            checked = _column_ref(ref, path, problems)
            if checked is not None:
                columns[name] = checked
    if time_column is not None:
        if "time" in columns:
            problems.add(("time_column",), "columns.time is already given")
        checked = _column_ref(time_column, ("time_column",), problems)
        if checked is not None:
            columns["time"] = checked
    for required in ("date", "description"):
        if required not in columns:
            problems.add(("columns", required), "is required")
    return columns, indicator


def _indicator(value: Any, problems: _Problems) -> Indicator | None:
    path = ("columns", "indicator")
    if not isinstance(value, dict):
        problems.add(path, "expected {column: ..., out: [...], in: [...]}")
        return None
    problems.unknown_keys(path, value, INDICATOR_KEYS)
    column = _column_ref(value.get("column"), (*path, "column"), problems)
    lists = {}
    for key in ("out", "in"):
        items = value.get(key)
        if not isinstance(items, list) or not items:
            problems.add(
                (*path, key), "expected a list of values (quote them: 'no' and 'on' are booleans in YAML)"
            )
            return None
        if any(isinstance(i, bool) for i in items):
            problems.add((*path, key), "a value was read as true/false: quote it ('yes', 'no', 'on', 'off')")
        lists[key] = tuple("" if i is None else str(i).strip() for i in items)
    if set(lists["out"]) & set(lists["in"]):
        problems.add(path, f"{sorted(set(lists['out']) & set(lists['in']))} cannot be both out and in")
    return None if column is None else Indicator(column, lists["out"], lists["in"])


def _sign(
    data: Mapping[str, Any], columns: Mapping[str, Any], indicator: Indicator | None, problems: _Problems
) -> str:
    split = "debit" in columns or "credit" in columns
    sign = _choice(data, "sign", SIGNS, "split" if split else "as_is", problems)
    if ("debit" in columns) != ("credit" in columns):
        problems.add(("columns",), "debit and credit come as a pair; map both (or map amount)")
    if split and "amount" in columns:
        problems.add(("columns",), "map either amount or debit/credit, not both")
    if not split and "amount" not in columns:
        problems.add(("columns", "amount"), "is required (or debit and credit)")
    if sign == "split" and not split:
        problems.add(("sign",), "split needs columns.debit and columns.credit")
    if split and sign != "split":
        problems.add(("sign",), f"'{sign}' does not apply to debit/credit columns; use split")
    if indicator is not None and "amount" not in columns:
        problems.add(("columns", "indicator"), "needs columns.amount (the unsigned amount)")
    return sign


def _encodings(value: Any, problems: _Problems) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_ENCODINGS
    values = value if isinstance(value, list) else [value]
    names: list[str] = []
    for name in values:
        try:
            "".encode(str(name))
            names.append(str(name))
        except LookupError:
            problems.add(
                ("encoding",), f"'{name}' is not an encoding Python knows (e.g. utf-8-sig, cp1252, latin-1)"
            )
    return tuple(names) or DEFAULT_ENCODINGS


def _delimiter(value: Any, problems: _Problems) -> str:
    if value in ("\\t", "tab"):
        return "\t"
    if value not in (*DELIMITERS, "auto"):
        problems.add(("delimiter",), f"{value!r} is not one of ',', ';', '\\t', '|', 'auto'")
        return ","
    return str(value)


def _timezone(value: Any, problems: _Problems) -> str | None:
    if value is None:
        return None
    if value == "UTC":
        return "UTC"
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(("timezone",), f"'{value}' is not 'UTC' or a time zone name such as Europe/London")
        return None
    return str(value)


def _currency(value: Any, problems: _Problems) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _CURRENCY.match(value):
        problems.add(("currency",), f"{value!r} is not an ISO 4217 code such as EUR, GBP, USD")
        return None
    return value


def _skip_rows(value: Any, problems: _Problems) -> tuple[RowRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(("skip_rows",), "expected a list of {column, pattern, reason}")
        return ()
    rules = []
    for index, item in enumerate(value):
        path = ("skip_rows", str(index))
        if not isinstance(item, dict):
            problems.add(path, "expected {column, pattern, reason}")
            continue
        problems.unknown_keys(path, item, SKIP_KEYS)
        column = _column_ref(item.get("column"), (*path, "column"), problems)
        pattern = _regex(item.get("pattern"), (*path, "pattern"), problems)
        reason = item.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            problems.add(
                (*path, "reason"), "is required: say in plain words why such rows are not transactions"
            )
        elif column is not None and pattern is not None:
            rules.append(RowRule(column, pattern, reason.strip()))
    return tuple(rules)


def _keep_if(value: Any, problems: _Problems) -> KeepIf | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.add(("keep_if",), "expected {column: ..., in: [...]}")
        return None
    problems.unknown_keys(("keep_if",), value, KEEP_KEYS)
    column = _column_ref(value.get("column"), ("keep_if", "column"), problems)
    values = value.get("in")
    if not isinstance(values, list) or not values:
        problems.add(("keep_if", "in"), "expected the list of values to keep")
        return None
    kept = tuple(str(v).strip() for v in values)
    reason = value.get("reason") or f"not kept: only {', '.join(kept)} rows are read"
    return None if column is None else KeepIf(column, kept, str(reason))


def _account(value: Any, columns: Mapping[str, Any], problems: _Problems) -> str | None:
    if value is None:
        return None
    text = str(value)
    if text == "from_column":
        if "account" not in columns:
            problems.add(("account",), "from_column needs columns.account")
        return text
    if text == "filename":
        return text
    for prefix in ("filename:", "preamble:"):
        if text.startswith(prefix):
            pattern = _regex(text[len(prefix) :], ("account",), problems)
            if pattern is not None and pattern.groups != 1:
                problems.add(("account",), f"the regex after '{prefix}' needs exactly one (group)")
            return text
    problems.add(
        ("account",), f"'{text}' is not from_column, filename, 'filename:<regex>' or 'preamble:<regex>'"
    )
    return None


def _check_references(layout: Layout, problems: _Problems) -> None:
    """Column names must exist in match.header; indexes must fit a headerless layout."""
    refs: list[tuple[tuple[str, ...], ColumnRef]] = []
    for name, ref in layout.columns.items():
        for item in ref if isinstance(ref, tuple) else (ref,):
            refs.append((("columns", name), item))
    if layout.indicator is not None:
        refs.append((("columns", "indicator", "column"), layout.indicator.column))
    for index, rule in enumerate(layout.skip_rows):
        if not (isinstance(rule.column, str) and rule.column in layout.columns):
            refs.append((("skip_rows", str(index), "column"), rule.column))
    if layout.keep_if is not None and not (
        isinstance(layout.keep_if.column, str) and layout.keep_if.column in layout.columns
    ):
        refs.append((("keep_if", "column"), layout.keep_if.column))
    for path, ref in refs:
        if isinstance(ref, int):
            if layout.headerless_columns is not None and ref >= layout.headerless_columns:
                problems.add(path, f"index {ref} is beyond the {layout.headerless_columns} columns")
        elif layout.is_headerless:
            problems.add(path, f"'{ref}': a file without a header has no column names; use an index")
        elif layout.header is not None and ref not in layout.header:
            hint = difflib.get_close_matches(ref, layout.header, n=1, cutoff=0.6)
            problems.add(
                path, f"'{ref}' is not in match.header" + (f" (did you mean '{hint[0]}'?)" if hint else "")
            )


def header_key(fields: Sequence[str]) -> tuple[str, ...]:
    """A header as compared: quotes, spaces and BOMs stripped, trailing empty columns dropped."""
    cleaned = [clean_name(f) for f in fields]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return tuple(cleaned)


def clean_name(value: str) -> str:
    # A BOM read as cp1252 shows as "ï»¿"; either spelling is dropped.
    return value.replace("\ufeff", "").replace("ï»¿", "").strip().strip('"').strip()


# --- Where layouts come from --------------------------------------------------------------


@dataclass(frozen=True)
class PresetSet:
    """Every usable preset (user presets replacing shipped ones by id) and the problems found."""

    layouts: tuple[Layout, ...]
    problems: tuple[str, ...]


def preset_folders() -> list[tuple[Path, str]]:
    """Shipped presets first, then the user's folders (which override by id)."""
    folders = [(SHIPPED_DIR, "preset")]
    for part in os.environ.get(PRESETS_ENV, "").split(os.pathsep):
        if part.strip():
            folders.append((Path(part.strip()).expanduser(), "user preset"))
    user = USER_DIR.expanduser()
    if user.is_dir():
        folders.append((user, "user preset"))
    return folders


# Checking the preset folders (a glob and a stat per file) costs milliseconds, and every CSV
# sniff asks for the presets: an archive of thousands of CSV members paid it thousands of
# times (issue 11). The check is repeated at most this often; a preset edited during a run
# is still seen within it.
RESCAN_SECONDS = 2.0
_last_check: tuple[float, tuple[tuple[Path, str], ...], PresetSet] | None = None


def load_presets() -> PresetSet:
    """All presets, cached until a preset file or folder changes (checked every few seconds)."""
    global _last_check
    folders = tuple(preset_folders())
    now = time.monotonic()
    if _last_check is not None and _last_check[1] == folders and now - _last_check[0] < RESCAN_SECONDS:
        return _last_check[2]
    found = _scan_presets(folders)
    _last_check = (now, folders, found)
    return found


def _scan_presets(folders: tuple[tuple[Path, str], ...]) -> PresetSet:
    signature: list[tuple[str, str, int, int]] = []
    missing: list[str] = []
    for folder, kind in folders:
        if not folder.is_dir():
            if kind == "user preset":
                missing.append(f"{folder}: the folder named in {PRESETS_ENV} does not exist")
            continue
        for path in sorted(folder.glob("*.y*ml")):
            try:
                stat = path.stat()
            except OSError:
                continue
            signature.append((str(path), kind, stat.st_mtime_ns, stat.st_size))
    found = _load_presets(tuple(signature))
    return PresetSet(found.layouts, (*found.problems, *missing)) if missing else found


@lru_cache(maxsize=8)
def _load_presets(signature: tuple[tuple[str, str, int, int], ...]) -> PresetSet:
    by_id: dict[str, Layout] = {}
    problems: list[str] = []
    for path_text, kind, _, _ in signature:
        path = Path(path_text)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(f"{path}: could not be read ({error})")
            continue
        layouts, messages = parse_yaml(text, str(path), kind=kind)
        problems.extend(messages)
        for layout in layouts:
            if layout.id in by_id and by_id[layout.id].kind == kind:
                problems.append(
                    f"{path}: id '{layout.id}' is also used by {by_id[layout.id].origin}; this one wins"
                )
            by_id[layout.id] = layout
    return PresetSet(tuple(by_id.values()), tuple(problems))


def mapping_files(csv_folder: Path | None) -> list[Path]:
    """Mapping files that may apply: the CSV's folder first, then AUDITOR_BANK_MAPPING."""
    candidates = []
    if csv_folder is not None:
        candidates.append(csv_folder / MAPPING_NAME)
    named = os.environ.get(MAPPING_ENV, "").strip()
    if named:
        candidates.append(Path(named).expanduser())
    return [path for path in candidates if path.is_file()]


def find_mapping(csv_folder: Path | None, file_name: str) -> tuple[Layout | None, list[str]]:
    """The user's mapping for this file, if one applies, and any problems in mapping files."""
    problems: list[str] = []
    for path in mapping_files(csv_folder):
        try:
            stat = path.stat()
        except OSError:
            continue
        layouts, messages = _load_mapping(str(path), stat.st_mtime_ns, stat.st_size)
        problems.extend(messages)
        for layout in layouts:
            if layout.applies_to(file_name):
                return layout, problems
    return None, problems


@lru_cache(maxsize=32)
def _load_mapping(path: str, mtime_ns: int, size: int) -> tuple[tuple[Layout, ...], tuple[str, ...]]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return (), (f"{path}: could not be read ({error})",)
    layouts, messages = parse_yaml(text, path, kind="mapping")
    return tuple(layouts), tuple(messages)
