"""Recognising a statement's layout from its first lines, and finding where its data starts.

The header is searched in the first 30 lines (formats.md §4.5 rule 3: several banks put
a preamble above it). A preset whose header matches exactly scores 0.95; when the first
dates below that header do not read with the preset's date format, it drops to 0.6, so
that two banks sharing a header but not a date format are told apart. A headerless preset
matches on the shape of the first data lines (0.8). A file-name pattern only adds a
little. A user's preset beats a shipped one on a tie; a mapping file beats everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from auditor.importers.bank_layout import DELIMITERS, Layout, clean_name, header_key
from auditor.importers.bank_table import HeadRecord, auto_delimiter, head_records, line_offset, parse_dates

HEADER_MATCH = 0.95
HEADER_WRONG_DATES = 0.6
HEADERLESS_MATCH = 0.8
FILENAME_BONUS = 0.02
USER_BONUS = 0.01
MAPPING_MATCH = 0.99
SAMPLE_ROWS = 5


class HeadIndex:
    """The first records of a text, parsed once per delimiter and indexed by header key."""

    def __init__(self, text: str):
        self.text = text
        self._records: dict[str, list[HeadRecord]] = {}
        self._keys: dict[str, dict[tuple[str, ...], HeadRecord]] = {}

    def records(self, delimiter: str) -> list[HeadRecord]:
        if delimiter not in self._records:
            self._records[delimiter] = head_records(self.text, delimiter)
        return self._records[delimiter]

    def by_header(self, delimiter: str) -> dict[tuple[str, ...], HeadRecord]:
        if delimiter not in self._keys:
            keys: dict[tuple[str, ...], HeadRecord] = {}
            for record in self.records(delimiter):
                keys.setdefault(header_key(record.fields), record)
            self._keys[delimiter] = keys
        return self._keys[delimiter]


@dataclass(frozen=True)
class Location:
    """Where a layout's data is in one file."""

    delimiter: str
    data_line: int  # first physical line after the header (1-based)
    column_count: int
    header_fields: tuple[str, ...] | None = None  # the file's own header, cleaned
    header_line: int | None = None
    preamble: str = ""  # the lines above the header (for account: preamble:...)

    def index_of(self, ref: str | int) -> int | None:
        """Column index of a name in this file's header (first occurrence) or an index."""
        if isinstance(ref, int):
            return ref
        if self.header_fields is None or ref not in self.header_fields:
            return None
        return self.header_fields.index(ref)


@dataclass(frozen=True)
class Detection:
    """A layout chosen for a file, with how sure the choice is."""

    layout: Layout
    location: Location
    confidence: float
    dates_fit: bool = True  # the first dates below the header read with the layout's format


def _delimiters(layout: Layout) -> Sequence[str]:
    return DELIMITERS if layout.delimiter == "auto" else (layout.delimiter,)


def _max_index(layout: Layout) -> int:
    refs: list[object] = []
    for ref in layout.columns.values():
        refs.extend(ref if isinstance(ref, tuple) else (ref,))
    if layout.indicator is not None:
        refs.append(layout.indicator.column)
    refs.extend(rule.column for rule in layout.skip_rows)
    if layout.keep_if is not None:
        refs.append(layout.keep_if.column)
    return max((r for r in refs if isinstance(r, int)), default=-1)


def locate(layout: Layout, head: HeadIndex) -> Location | None:
    """Where this layout's header (or first headerless line) is in the file, if anywhere."""
    if layout.header is not None:
        return _locate_header(layout, head, layout.header)
    if layout.headerless_columns is not None:
        return _locate_headerless(layout, head)
    return _locate_by_names(layout, head)


def _with_header(layout: Layout, head: HeadIndex, delimiter: str, record: HeadRecord) -> Location:
    fields = tuple(clean_name(f) for f in record.fields)
    preamble = head.text[: line_offset(head.text, record.start)]
    return Location(
        delimiter=delimiter,
        data_line=record.end + 1,
        column_count=max(len(fields), _max_index(layout) + 1),
        header_fields=fields,
        header_line=record.start,
        preamble=preamble,
    )


def _locate_header(layout: Layout, head: HeadIndex, header: tuple[str, ...]) -> Location | None:
    for delimiter in _delimiters(layout):
        record = head.by_header(delimiter).get(header)
        if record is not None:
            return _with_header(layout, head, delimiter, record)
    return None


def _locate_headerless(layout: Layout, head: HeadIndex) -> Location | None:
    count = layout.headerless_columns or 0
    for delimiter in _delimiters(layout):
        lines = [r for r in head.records(delimiter) if not r.blank]
        if not lines:
            continue
        sample = lines[:SAMPLE_ROWS]
        if all(_fits(record.fields, count, layout) for record in sample):
            first = sample[0]
            return Location(
                delimiter=delimiter,
                data_line=first.start,
                column_count=max(count, _max_index(layout) + 1),
                preamble=head.text[: line_offset(head.text, first.start)],
            )
    return None


def _fits(fields: Sequence[str], count: int, layout: Layout) -> bool:
    trimmed = list(fields)
    while len(trimmed) > count and not trimmed[-1].strip():
        trimmed.pop()  # a trailing delimiter
    if len(trimmed) != count:
        return False
    return all(pattern.search(trimmed[i].strip()) for i, pattern in layout.headerless_patterns.items())


def _locate_by_names(layout: Layout, head: HeadIndex) -> Location | None:
    """A mapping without ``match``: the header is the first line holding every named column."""
    names = {ref for ref in _all_refs(layout) if isinstance(ref, str)}
    delimiters = _delimiters(layout)
    if not names:
        # Columns by index only: the file has no header and the data starts on line 1.
        first_line = head.text.split("\n", 1)[0]
        delimiter = auto_delimiter(first_line) if layout.delimiter == "auto" else layout.delimiter
        return Location(delimiter=delimiter, data_line=1, column_count=_max_index(layout) + 1)
    for delimiter in delimiters:
        for record in head.records(delimiter):
            if names <= {clean_name(f) for f in record.fields}:
                return _with_header(layout, head, delimiter, record)
    return None


def _all_refs(layout: Layout) -> Iterable[object]:
    for ref in layout.columns.values():
        yield from ref if isinstance(ref, tuple) else (ref,)
    if layout.indicator is not None:
        yield layout.indicator.column


def dates_fit(layout: Layout, location: Location, head: HeadIndex) -> bool:
    """Do the first dates below the header read with the layout's date format?"""
    index = location.index_of(layout.single("date"))
    if index is None:
        return False
    rows = [r for r in head.records(location.delimiter) if r.start >= location.data_line and not r.blank]
    values = [r.fields[index].strip() for r in rows[:SAMPLE_ROWS] if index < len(r.fields)]
    skip_patterns = [
        rule.pattern for rule in layout.skip_rows if rule.column in ("date", layout.columns["date"])
    ]
    values = [v for v in values if v and not any(p.search(v) for p in skip_patterns)]
    if not values:
        return True
    dates = parse_dates(pd.Series(values, dtype="str"), layout.date_formats)
    # One bad row among the first few (a typo, a summary line) does not disown the layout.
    return float(dates.values.notna().mean()) >= 0.75


def detect_preset(head: HeadIndex, file_name: str, layouts: Iterable[Layout]) -> Detection | None:
    """The most confident preset for this head, or None."""
    best: tuple[float, int, str, Detection] | None = None
    for layout in layouts:
        location = locate(layout, head)
        if location is None:
            continue
        fits = dates_fit(layout, location, head)
        if layout.header is None and not fits:
            continue  # a headerless shape is recognised by its dates among others
        confidence = (
            (HEADER_MATCH if layout.header is not None else HEADERLESS_MATCH) if fits else HEADER_WRONG_DATES
        )
        if layout.filename is not None and layout.filename.search(file_name):
            confidence += FILENAME_BONUS
        user = 1 if layout.kind == "user preset" else 0
        confidence = min(confidence + USER_BONUS * user, 0.98)
        candidate = (confidence, user, layout.id, Detection(layout, location, confidence, fits))
        # Highest confidence, then the user's own preset, then the id for determinism.
        if best is None or (candidate[0], candidate[1], _reverse(candidate[2])) > (
            best[0],
            best[1],
            _reverse(best[2]),
        ):
            best = candidate
    return None if best is None else best[3]


def _reverse(text: str) -> tuple[int, ...]:
    # Sorting ids ascending while comparing tuples descending.
    return tuple(-ord(c) for c in text)
