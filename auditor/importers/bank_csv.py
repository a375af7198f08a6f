"""Bank and card statement CSVs: one engine, layouts as data (formats.md §4, §4.5).

Every bank writes its CSV differently, so the layouts are YAML presets in
``bank_presets/`` (documented key by key in ``bank_presets/README.md``), in the spirit of
hledger's CSV rules; users add their own presets or a mapping file without writing Python.
Three ways a statement gets its layout, in this order:

1. a mapping file (``auditor-mapping.yaml`` beside the CSV, or ``AUDITOR_BANK_MAPPING``)
   whose ``file`` glob covers it;
2. a preset whose header line is found in the first 30 lines (preambles above it are
   common: Bank of America, DKB, Nationwide), or whose headerless shape fits (Barclaycard);
3. the generic detector (``bank_generic``), which reads a clear unknown layout and
   refuses an ambiguous one with a message asking for a mapping file.

The quirks handled, all seen in real exports: UTF-8 with or without BOM, Latin-1
(Sparkasse, Rabobank), CR-only line ends (Mint), CR CR LF (Rabobank), quoted fields that
span lines (Amex, Nationwide), preambles, footers (Deutsche Bank ``Kontostand``, midata's
overdraft line), trailing delimiters (Chase, John Lewis), amounts with a decimal comma and
a thousands dot, currency signs on either side (``£67.40``, ``$1,036.47``, the dinar's
``د.ا.‏4.750``), explicit ``+`` (Rabobank), parentheses for negatives; dates with the
layout's fixed format, two-digit years, month names (``10 Feb 18``); rows that are not
transactions (``Pending``, ``Beginning balance as of``, a pasted second header).

Amounts are stored from the holder's view, money out < 0, whatever the layout's sign
convention (signed, inverted, debit/credit pair, unsigned plus a direction column).
Record numbers are the physical line where each record starts, counting preamble and
header lines, so that a person can open the file at that line.

Times (model.py conventions): date-only rows are the local date at 00:00 with offset 0
and ``has_time`` False. A layout whose times carry no offset (Monzo, Revolut, PC
Mastercard) has them stored as wall-clock time with offset 0: the local hour, which
"after midnight" rules need, is exact, and the report says so; the true UTC instant is off
by the local offset. A preset can instead name the zone its times are in (``timezone``),
or declare them UTC (Monzo 2018's ``+0000``: local time then comes from ``--timezone``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from auditor.importers import bank_generic
from auditor.importers.bank_detect import MAPPING_MATCH, Detection, HeadIndex, Location, detect_preset, locate
from auditor.importers.bank_layout import MAPPING_NAME, ColumnRef, Layout, find_mapping, load_presets
from auditor.importers.bank_table import (
    Amounts,
    decode,
    detection_text,
    human_format,
    line_offset,
    looks_binary,
    normalise_newlines,
    parse_amounts,
    parse_dates,
    read_records,
)
from auditor.importers.base import HEAD_BYTES, BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import iso_offsets_minutes, out_of_range
from auditor.safe_regex import compile_regex, search_mask

IMPORTER_ID = "bank-csv"
GENERIC_THRESHOLD = 0.6  # below this the generic detector's guess is not loaded
GENERIC_SNIFF_SCALE = 0.5  # so that any specific importer wins over a guess
DETAILED_SKIPS = 10  # rows per kind of failure reported with their line and value
README_HINT = "see auditor/importers/bank_presets/README.md"


# --- Choosing the layout ---------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What was decided for a file: a layout to read it with, or a refusal with its reason."""

    detection: Detection | None
    guess: bank_generic.Guess | None = None
    problems: tuple[str, ...] = ()
    refusal: str | None = None
    notes: tuple[str, ...] = ()


def _mapping_folder(ref: FileRef) -> Path:
    # A CSV inside an archive takes the mapping beside the archive.
    return ref.path.parent


def choose(head: HeadIndex, ref: FileRef) -> Choice:
    """Mapping file, then presets, then the generic detector (see the module docstring)."""
    mapping, problems = find_mapping(_mapping_folder(ref), ref.name)
    problems = [*problems, *load_presets().problems]
    if mapping is not None:
        location = locate(mapping, head)
        if location is None:
            wanted = ", ".join(repr(r) for r in _named_columns(mapping)) or "its header"
            return Choice(
                None,
                problems=tuple(problems),
                refusal=f"the mapping {mapping.origin} applies to this file (file: {mapping.file_glob}) "
                f"but none of the first 30 lines holds its columns ({wanted})",
            )
        return Choice(Detection(mapping, location, MAPPING_MATCH), problems=tuple(problems))
    preset = detect_preset(head, ref.name, load_presets().layouts)
    if preset is not None and preset.dates_fit:
        return Choice(preset, problems=tuple(problems))
    generic = _generic(head, tuple(problems))
    if preset is None:
        return generic
    # A known header whose dates do not read with the preset's format: another bank (or
    # country) shares the header. A confident guess reads the file better than the preset.
    doubt = (
        f"the header is that of {preset.layout.title}, but its first dates are not "
        f"{' or '.join(human_format(f) for f in preset.layout.date_formats)}"
    )
    if generic.detection is not None and generic.refusal is None:
        return replace(generic, notes=(f"{doubt}; read by the generic detector instead",))
    return Choice(preset, problems=tuple(problems), notes=(doubt,))


def _generic(head: HeadIndex, problems: tuple[str, ...]) -> Choice:
    guess = bank_generic.detect(head.text[:HEAD_BYTES])
    if guess is None or guess.layout is None:
        return Choice(None, guess, problems)
    location = locate(guess.layout, head)
    if location is None:
        return Choice(None, guess, problems)
    detection = Detection(guess.layout, location, guess.confidence)
    if guess.confidence < GENERIC_THRESHOLD:
        return Choice(detection, guess, problems, refusal=guess.refusal(README_HINT))
    return Choice(detection, guess, problems)


def _named_columns(layout: Layout) -> list[str]:
    names: list[str] = []
    for ref in layout.columns.values():
        names.extend(r for r in (ref if isinstance(ref, tuple) else (ref,)) if isinstance(r, str))
    return names


def sniff(head: Head) -> float:
    """0.99 for a mapped file, ~0.95 for a preset's header, ≤0.5 for a generic guess, else 0."""
    if (
        head.name == MAPPING_NAME
        or looks_binary(head.data)
        or PurePosixPath(head.name).suffix.lower() in _NOT_CSV
    ):
        return 0.0
    text = normalise_newlines(detection_text(head.data))
    if not text.strip() or text.lstrip()[:1] in ("{", "[", "<"):
        return 0.0  # JSON, XML, HTML: other importers' formats, never a statement CSV
    choice = choose(HeadIndex(text), head.ref)
    if choice.detection is None:
        return MAPPING_MATCH if choice.refusal else 0.0
    if choice.guess is not None:
        return round(GENERIC_SNIFF_SCALE * choice.detection.confidence, 3)
    return round(choice.detection.confidence, 3)


# Formats other importers own; a CSV is never named like these.
_NOT_CSV = {
    ".json",
    ".gpx",
    ".xml",
    ".ofx",
    ".qfx",
    ".kml",
    ".kmz",
    ".geojson",
    ".html",
    ".yaml",
    ".yml",
    ".zip",
}


# --- Loading -----------------------------------------------------------------------------------


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read one statement into the transactions kind; see the module docstring."""
    data = ref.read_bytes()
    if not data.strip():
        raise BadInput("the file is empty; expected a bank or card statement CSV")
    if looks_binary(data):
        raise BadInput("the file holds binary data, not a CSV statement")
    head_text = normalise_newlines(detection_text(data[: 4 * HEAD_BYTES]))
    choice = choose(HeadIndex(head_text), ref)
    report.notes.extend(f"preset problem: {p}" for p in choice.problems)
    report.notes.extend(choice.notes)
    if choice.refusal:
        raise BadInput(choice.refusal)
    if choice.detection is None:
        found = f" (the generic detector found only: {choice.guess.summary()})" if choice.guess else ""
        raise BadInput(
            "no bank layout recognised: no preset's header is in the first 30 lines and no date, amount "
            f"and description columns were found{found}; write a mapping file ({README_HINT})"
        )
    layout = choice.detection.layout
    text, encoding = decode(data, layout.encodings)
    if not encoding.startswith("utf-8"):
        report.notes.append(f"read as {encoding}, not UTF-8")
    text = normalise_newlines(text)
    location = locate(layout, HeadIndex(text)) or choice.detection.location
    report.detail = _detail(choice)
    if choice.guess is not None:
        report.notes.extend(choice.guess.doubts)
    return {"transactions": read_statement(text, layout, location, ref, report)}


def _detail(choice: Choice) -> str:
    assert choice.detection is not None
    layout = choice.detection.layout
    if choice.guess is not None:
        return f"generic (confidence {choice.guess.confidence:.2f}: {choice.guess.summary()})"
    if layout.kind == "mapping":
        return f"{layout.title or 'your layout'} (mapping {Path(layout.origin).name})"
    if layout.kind == "user preset":
        return f"{layout.title} (your preset {Path(layout.origin).name})"
    return layout.title


# --- The engine --------------------------------------------------------------------------------


class _Rows:
    """The records of one statement, and the rows still alive after each check."""

    def __init__(
        self, table: pd.DataFrame, lines: np.ndarray, layout: Layout, location: Location, report: ImportReport
    ):
        self.table = table
        self.lines = lines
        self.layout = layout
        self.location = location
        self.report = report
        self.alive = np.ones(len(table), dtype=bool)
        self._stripped: dict[int, pd.Series] = {}

    def column(self, ref: ColumnRef) -> pd.Series:
        """A column's values, stripped; all "" where the file lacks the column."""
        index = self.location.index_of(ref)
        if index is None or index not in self.table.columns:
            return pd.Series("", index=self.table.index, dtype="str")
        if index not in self._stripped:
            # A leading apostrophe is Excel's text marker (old NatWest, Lloyds: "'WWF UK",
            # "'30-96-26"), written by the export, never part of the value.
            values = self.table[index].str.strip().fillna("")
            self._stripped[index] = values.str.removeprefix("'")
        return self._stripped[index]

    def field(self, name: str) -> pd.Series | None:
        ref = self.layout.columns.get(name)
        if ref is None:
            return None
        if isinstance(ref, tuple):
            return _join([self.column(r) for r in ref])
        return self.column(ref)

    def rule_column(self, ref: ColumnRef) -> pd.Series:
        """skip_rows / keep_if name a canonical field or a file column."""
        if isinstance(ref, str) and ref in self.layout.columns:
            value = self.field(ref)
            assert value is not None
            return value
        return self.column(ref)

    def label(self, ref: ColumnRef) -> str:
        if isinstance(ref, int):
            header = self.location.header_fields
            name = header[ref] if header and ref < len(header) and header[ref] else None
            return f"'{name}'" if name else f"column {ref + 1}"
        return f"'{ref}'"

    def drop(self, mask: np.ndarray, reason: str) -> None:
        """Skip the alive rows in ``mask`` for one shared reason."""
        hit = mask & self.alive
        if hit.any():
            self.report.skip_many(self.lines[hit], reason)
            self.alive &= ~hit

    def drop_detailed(
        self, mask: np.ndarray, values: pd.Series, describe: Callable[[str], str], general: str
    ) -> None:
        """Skip rows naming lines and value for the first few, then grouped under ``general``.

        Rows with the same value share one reason: "lines 72, 73, 74: direction 'EUR' ...".
        """
        hit = np.flatnonzero(mask & self.alive)
        if not len(hit):
            return
        by_value: dict[str, list[int]] = {}
        for position in hit[:DETAILED_SKIPS]:
            by_value.setdefault(_shown(values.iloc[position]), []).append(int(self.lines[position]))
        for value, lines in by_value.items():
            where = f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines))}"
            self.report.skip_many(np.asarray(lines), f"{where}: {describe(value)}")
        if len(hit) > DETAILED_SKIPS:
            self.report.skip_many(
                self.lines[hit[DETAILED_SKIPS:]], f"{general} (more lines like those above)"
            )
        self.alive[hit] = False


def _shown(value: object) -> str:
    text = "" if value is None or value is pd.NA else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(parts: list[pd.Series]) -> pd.Series:
    """Join text columns with a space, leaving out empty ones."""
    result = parts[0]
    for part in parts[1:]:
        both = (result != "") & (part != "")
        result = (result + " " + part).where(both, result.where(result != "", part))
    return result


def read_statement(
    text: str, layout: Layout, location: Location, ref: FileRef, report: ImportReport
) -> pd.DataFrame:
    """Read the data of a located layout into a canonical transactions frame."""
    start = line_offset(text, location.data_line)
    end = _footer_start(text, start, layout, report)
    table, lines = read_records(
        text[start:end], location.delimiter, location.column_count, location.data_line
    )
    rows = _Rows(table, lines, layout, location, report)
    rows.alive &= ~_blank(table)
    _drop_repeated_headers(rows)
    _apply_row_rules(rows)
    times = _times(rows)
    amounts = _amounts(rows)
    keep = rows.alive
    data = {
        **{name: series[keep].reset_index(drop=True) for name, series in times.items()},
        **{name: series[keep].reset_index(drop=True) for name, series in amounts.items()},
        **_texts(rows, keep),
    }
    account, source = _account_and_source(rows, layout, location, ref)
    if account is not None:
        data["account"] = account[keep].reset_index(drop=True)
    return frame(
        "transactions",
        data,
        ref=ref,
        importer=IMPORTER_ID,
        source=source if isinstance(source, str) else source[keep].tolist(),
        records=lines[keep],
    )


def _footer_start(text: str, start: int, layout: Layout, report: ImportReport) -> int:
    if layout.footer is None:
        return len(text)
    # The layout's pattern again, with ^ and $ at every line (RE2, like every preset pattern).
    found = compile_regex(layout.footer.pattern, multiline=True).search(text, start)
    if found is None:
        return len(text)
    cut = text.rfind("\n", start, found.start()) + 1 if found.start() > start else start
    cut = max(cut, start)
    line = text.count("\n", 0, cut) + 1
    tail = [t for t in text[cut:].split("\n") if t.strip()]
    first = _shown(tail[0].strip()) if tail else ""
    report.notes.append(
        f"{len(tail)} footer line(s) from line {line} on ('{first}') are not transactions; not read"
    )
    return cut


def _blank(table: pd.DataFrame) -> np.ndarray:
    blank = np.ones(len(table), dtype=bool)
    for column in table.columns:
        blank &= (table[column].str.strip().fillna("") == "").to_numpy(dtype=bool)
    return blank


def _drop_repeated_headers(rows: _Rows) -> None:
    header = rows.location.header_fields
    if not header or not any(header):
        return
    same = np.ones(len(rows.table), dtype=bool)
    for index, name in enumerate(header):
        if name:
            same &= (rows.column(index).str.strip('"') == name).to_numpy(dtype=bool)
    rows.drop(same, "a copy of the header line (two exports pasted together?)")


def _apply_row_rules(rows: _Rows) -> None:
    for rule in rows.layout.skip_rows:
        values = rows.rule_column(rule.column)
        rows.drop(search_mask(values, rule.pattern), rule.reason)
    keep_if = rows.layout.keep_if
    if keep_if is not None:
        values = rows.rule_column(keep_if.column)
        outside = ~values.isin(keep_if.values).to_numpy(dtype=bool)
        for value in pd.unique(values[outside & rows.alive]):
            rows.drop(
                outside & (values == value).to_numpy(dtype=bool),
                f"{keep_if.reason} ({rows.label(keep_if.column)} is '{_shown(value)}')",
            )


# --- Amounts -----------------------------------------------------------------------------------


def _parse_required(rows: _Rows, name: str) -> Amounts:
    ref = rows.layout.single(name)
    values = rows.column(ref)
    parsed = parse_amounts(values, rows.layout.decimal)
    label = name if name == "amount" else f"{name} {rows.label(ref)}"
    rows.drop_detailed(
        parsed.invalid, values, lambda v: f"{label} '{v}' is not a number", f"{label} is not a number"
    )
    return parsed


def _amounts(rows: _Rows) -> dict[str, pd.Series]:
    """Amount from the holder's view (money out < 0), currency, balance and local amount."""
    layout = rows.layout
    direction = None
    if "amount" in layout.columns:
        amount, symbols, direction = _signed_amount(rows)
    else:
        amount, symbols = _split_amount(rows)
    if "fee" in layout.columns:
        # Revolut's Fee is positive and charged on top of the amount.
        amount = amount - _parse_required(rows, "fee").values.abs().fillna(0)
    result = {"amount": amount.astype("float64"), "currency": _currency(rows, symbols)}
    if "balance" in layout.columns:
        result["balance"] = parse_amounts(rows.column(layout.single("balance")), layout.decimal).values
    if "local_amount" in layout.columns:
        local = parse_amounts(rows.column(layout.single("local_amount")), layout.decimal).values
        if direction is not None:
            local = local.abs() * direction
        elif layout.sign == "inverted":
            local = -local
        result["local_amount"] = local
    return result


def _signed_amount(rows: _Rows) -> tuple[pd.Series, pd.Series, pd.Series | None]:
    """One amount column: as written, negated (inverted) or signed by an indicator column."""
    parsed = _parse_required(rows, "amount")
    values = rows.column(rows.layout.single("amount"))
    rows.drop_detailed(parsed.empty, values, lambda v: "amount is empty", "amount is empty")
    direction = _direction(rows)
    if direction is not None:
        return parsed.values.abs() * direction, parsed.currency, direction
    if rows.layout.sign == "inverted":
        return -parsed.values, parsed.currency, None
    return parsed.values, parsed.currency, None


def _split_amount(rows: _Rows) -> tuple[pd.Series, pd.Series]:
    """Debit and credit columns; the column decides the sign, whatever sign is written in it
    (some banks write debits negative, Citi writes credits negative)."""
    debit = _parse_required(rows, "debit")
    credit = _parse_required(rows, "credit")
    debit_label, credit_label = (rows.label(rows.layout.single(name)) for name in ("debit", "credit"))
    names = f"debit {debit_label} and credit {credit_label}"
    rows.drop(debit.empty & credit.empty, f"no amount: {names} are both empty")
    amount = credit.values.abs().fillna(0) - debit.values.abs().fillna(0)
    return amount, debit.currency.fillna(credit.currency)


def _direction(rows: _Rows) -> pd.Series | None:
    """-1 / +1 from an indicator column; rows with another value are skipped."""
    indicator = rows.layout.indicator
    if indicator is None:
        return None
    values = rows.column(indicator.column)
    out = values.isin(indicator.out).to_numpy(dtype=bool)
    into = values.isin(indicator.into).to_numpy(dtype=bool)
    expected = (
        f"neither out ({'/'.join(indicator.out) or 'empty'}) nor in ({'/'.join(indicator.into) or 'empty'})"
    )
    label = rows.label(indicator.column)
    rows.drop_detailed(
        ~out & ~into,
        values,
        lambda v: f"direction '{v}' in {label} is {expected}",
        f"direction in {label} is {expected}",
    )
    return pd.Series(np.where(out, -1.0, 1.0), index=values.index)


def _currency(rows: _Rows, symbols: pd.Series) -> pd.Series:
    """The currency column, else the layout's fixed currency, else a sign beside the amount."""
    fallback = symbols
    if rows.layout.currency:
        fallback = pd.Series(rows.layout.currency, index=symbols.index, dtype="string")
    column = rows.field("currency")
    if column is None:
        return fallback.astype("string")
    codes = column.str.upper().astype("string")
    return codes.where(codes != "", fallback).astype("string")


# --- Times -------------------------------------------------------------------------------------


def _times(rows: _Rows) -> dict[str, pd.Series]:
    layout = rows.layout
    raw = rows.field("date")
    assert raw is not None
    rows.drop_detailed((raw == "").to_numpy(dtype=bool), raw, lambda v: "date is empty", "date is empty")
    alive = rows.alive.copy()
    dates = parse_dates(raw[alive], layout.date_formats)
    shown = human_format(dates.fmt)
    parsed = dates.values.reindex(raw.index)
    rows.drop_detailed(
        parsed.isna().to_numpy(dtype=bool),
        raw,
        lambda v: f"date '{v}' is not a {shown} date",
        f"date is not a {shown} date",
    )
    if dates.ambiguous_with:
        rows.report.notes.append(
            f"dates read as {shown}; they would also all read as {human_format(dates.ambiguous_with)}: "
            f"if that is wrong, write a mapping file ({README_HINT})"
        )
    aware = isinstance(parsed.dtype, pd.DatetimeTZDtype)
    check = parsed if aware else parsed.dt.tz_localize("UTC")
    rows.drop_detailed(
        out_of_range(check).to_numpy(dtype=bool),
        raw,
        lambda v: f"date '{v}' is outside 1990-2099",
        "date is outside 1990-2099",
    )
    has_time = pd.Series(layout.has_datetime, index=raw.index)
    if "time" in layout.columns and layout.time_format:
        parsed, has_time = _add_time(rows, raw, parsed, dates.fmt)
    if aware:
        offsets = (
            iso_offsets_minutes(raw)
            if layout.timezone != "UTC"
            else pd.Series(pd.NA, index=raw.index, dtype="Int32")
        )
        rows.report.timezone = (
            "UTC in the file; local time from --timezone"
            if layout.timezone == "UTC"
            else "local offset given per record"
        )
        return {"time": parsed, "utc_offset_min": offsets, "has_time": has_time}
    return _localise(rows, parsed, has_time)


def _add_time(rows: _Rows, raw: pd.Series, dates: pd.Series, date_format: str) -> tuple[pd.Series, pd.Series]:
    layout = rows.layout
    clock = rows.field("time")
    assert clock is not None and layout.time_format
    given = (clock != "").to_numpy(dtype=bool) & rows.alive
    combined = pd.to_datetime(
        (raw + " " + clock).where(given), format=f"{date_format} {layout.time_format}", errors="coerce"
    )
    unread = given & combined.isna().to_numpy(dtype=bool)
    if unread.any():
        rows.report.notes.append(
            f"{int(unread.sum())} time(s) are not {human_format(layout.time_format)}; "
            f"those rows keep their date only (first at line {int(rows.lines[np.flatnonzero(unread)[0]])})"
        )
    has_time = pd.Series(given & ~unread, index=raw.index)
    return combined.where(has_time, dates), has_time


def _localise(rows: _Rows, naive: pd.Series, has_time: pd.Series) -> dict[str, pd.Series]:
    layout = rows.layout
    timed = has_time.to_numpy(dtype=bool) & rows.alive
    offsets = pd.Series(0, index=naive.index, dtype="Int32")
    utc = naive.dt.tz_localize("UTC")
    if not timed.any():
        rows.report.timezone = "dates only (no time of day); the local date is kept"
    elif layout.timezone == "UTC":
        offsets = offsets.mask(pd.Series(timed, index=naive.index))
        rows.report.timezone = "UTC in the file; local time from --timezone"
    elif layout.timezone:
        # The hour repeated when clocks go back is read as standard time, the skipped hour
        # as the first valid minute after it: deterministic, never a lost row.
        ambiguous = np.zeros(int(timed.sum()), dtype=bool)
        local = naive[timed].dt.tz_localize(layout.timezone, ambiguous=ambiguous, nonexistent="shift_forward")
        converted = local.dt.tz_convert("UTC")
        utc = utc.where(~pd.Series(timed, index=naive.index), converted.reindex(naive.index))
        minutes = (naive[timed] - converted.dt.tz_localize(None)).dt.total_seconds() // 60
        offsets[timed] = minutes.astype("Int32")
        rows.report.timezone = (
            f"local time in {layout.timezone} (per the layout), converted to UTC with that day's offset"
        )
    else:
        rows.report.timezone = (
            "local time without offset in the file: kept as wall-clock time with offset 0, so the hour "
            "of day is the local one; --timezone does not shift it"
        )
    if timed.any() and not timed[rows.alive].all():
        rows.report.timezone += "; rows without a time keep their date only"
    return {"time": utc, "utc_offset_min": offsets, "has_time": has_time}


# --- Text columns, account, source ---------------------------------------------------------------


def _texts(rows: _Rows, keep: np.ndarray) -> dict[str, pd.Series]:
    out: dict[str, pd.Series] = {}
    for name in ("description", "counterparty", "category", "mcc", "type", "local_currency"):
        values = rows.field(name)
        if values is None:
            continue
        values = values[keep].reset_index(drop=True).astype("string")
        if name == "local_currency":
            values = values.str.upper()
        out[name] = values.where(values != "")
    return out


def _account_and_source(
    rows: _Rows, layout: Layout, location: Location, ref: FileRef
) -> tuple[pd.Series | None, str | pd.Series]:
    """The account column and the source label ("bank:<account>" or "bank:<title>")."""
    # Layouts without a bank name (a guess, an untitled mapping) name the source by file.
    named = layout.title if layout.kind != "generic" and layout.title else PurePosixPath(ref.name).stem
    fallback = f"bank:{named}"
    column = rows.field("account")
    account = None if column is None else column.str.strip("\"' ").astype("string").replace("", pd.NA)
    how = layout.account or ""
    label: str | None = None
    if how == "from_column" and account is not None:
        source = ("bank:" + account).fillna(fallback)
        return account, source
    if how == "filename":
        label = PurePosixPath(ref.name).stem
    elif how.startswith("filename:"):
        found = compile_regex(how[len("filename:") :]).search(ref.name)
        label = found.group(1) if found else None
    elif how.startswith("preamble:"):
        found = compile_regex(how[len("preamble:") :], multiline=True).search(location.preamble)
        label = found.group(1).strip() if found else None
    if label:
        if account is None:
            account = pd.Series(label, index=rows.table.index, dtype="string")
        return account, f"bank:{label}"
    return account, fallback


IMPORTERS = (
    Importer(
        id=IMPORTER_ID, title="Bank or card statement (CSV)", kinds=("transactions",), sniff=sniff, load=load
    ),
)
