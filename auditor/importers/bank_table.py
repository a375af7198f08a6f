"""Reading statement CSVs as they really are: encodings, line ends, quoting, amounts, dates.

The rules come from formats.md §4.5. Decoding tries UTF-8 (BOM or not), then the
layout's fallbacks, then charset-normalizer. Line ends are CRLF, LF, CR only (the Mint
sample) or CR CR LF (the Rabobank sample), all read as one line end each. Records are
parsed by the pandas C engine, which honours quoted fields that span lines; the
physical line where each record starts is computed with numpy from the quote parity,
and the csv module takes over only when stray quotes make that count disagree.

Amounts and dates are parsed a whole column at a time: decimal comma or point with
thousands separators, currency signs and codes on either side, explicit ``+``, minus
before or after, parentheses for negatives; dates with the layout's fixed formats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from auditor.importers.base import BadInput

HEAD_LINES = 30
HEAD_CHARS = 256 * 1024
_NEWLINE = 10
_QUOTE = 34


# --- Text ----------------------------------------------------------------------------------


def decode(data: bytes, fallbacks: Sequence[str]) -> tuple[str, str]:
    """Decode a whole file: UTF-8 first, then ``fallbacks``, then charset-normalizer.

    Returns the text and the name of the encoding used.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", *fallbacks):
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError):
            continue
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise BadInput("the file is not text in any encoding tried (UTF-8, the layout's, or a detected one)")
    return str(best), f"{best.encoding} (detected)"


def detection_text(data: bytes) -> str:
    """A lenient decoding for recognising a layout: UTF-8, else Windows-1252, else Latin-1.

    A head cut inside a multi-byte character is still UTF-8.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    data = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 4:
            return data[: error.start].decode("utf-8", errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def normalise_newlines(text: str) -> str:
    """CRLF, CR CR LF (a doubled conversion, seen in Rabobank's export) and lone CR become LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the head mean a binary file (UTF-16 text aside)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in data[:4096]


# --- The head: where the header is ----------------------------------------------------------


@dataclass(frozen=True)
class HeadRecord:
    """One record of the file's head: its first and last physical line and its fields."""

    start: int
    end: int
    fields: tuple[str, ...]

    @property
    def blank(self) -> bool:
        return not any(f.strip() for f in self.fields)


def head_records(text: str, delimiter: str, limit: int = HEAD_LINES) -> list[HeadRecord]:
    """The records that start within the first ``limit`` lines, parsed by the csv module."""
    reader = csv.reader(io.StringIO(text[:HEAD_CHARS]), delimiter=delimiter)
    records: list[HeadRecord] = []
    previous_end = 0
    try:
        for fields in reader:
            start = previous_end + 1
            if start > limit:
                break
            records.append(HeadRecord(start, reader.line_num, tuple(fields)))
            previous_end = reader.line_num
    except csv.Error:
        pass  # a field larger than the csv limit, or a NUL: no header can be found past it
    return records


def line_offset(text: str, line: int) -> int:
    """Character offset where physical ``line`` (1-based) begins; len(text) past the end."""
    offset = 0
    for _ in range(line - 1):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def auto_delimiter(line: str) -> str:
    """The most frequent candidate separator of a header line (formats.md §4.5 rule 2)."""
    counts = {d: line.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=lambda d: counts[d])


# --- The body: records and their line numbers ----------------------------------------------


def read_records(body: str, delimiter: str, columns: int, first_line: int) -> tuple[pd.DataFrame, np.ndarray]:
    """All records of ``body`` as string columns 0..columns-1, and the line each starts on.

    Short records are padded with "", extra fields are ignored (a trailing delimiter), and
    blank lines become all-empty rows (the caller drops them).
    """
    if not body.strip():
        return pd.DataFrame({i: pd.Series([], dtype="str") for i in range(columns)}), np.array(
            [], dtype=np.int64
        )
    try:
        table = pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            header=None,
            names=range(columns),
            usecols=range(columns),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quotechar='"',
            doublequote=True,
        )
    except pd.errors.ParserError:
        # An unclosed quote or a malformed row the C engine refuses: the csv module copes.
        return _read_with_csv_module(body, delimiter, columns, first_line)
    lines = _record_start_lines(body)
    if lines is None or len(lines) != len(table):
        return _read_with_csv_module(body, delimiter, columns, first_line)
    return table, lines + (first_line - 1)


def _record_start_lines(body: str) -> np.ndarray | None:
    """Line (1-based, relative to ``body``) where each record starts, from quote parity.

    A newline ends a record when an even number of quotes precede it; quotes never occur
    inside UTF-8 multi-byte characters, so the bytes can be scanned directly.
    """
    raw = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)
    newlines = np.flatnonzero(raw == _NEWLINE)
    # Quotes before each newline, by binary search (a cumulative sum over every byte of
    # a large file costs several times more).
    quotes_before = np.searchsorted(np.flatnonzero(raw == _QUOTE), newlines)
    ends = np.flatnonzero((quotes_before & 1) == 0)
    starts = np.concatenate(([1], ends + 2)).astype(np.int64)
    if len(ends) and newlines[ends[-1]] == len(raw) - 1:
        starts = starts[:-1]  # the final line end closes the last record; nothing follows it
    if len(newlines) and (quotes_before[-1] & 1) == 1 and newlines[-1] == len(raw) - 1:
        return None  # an unclosed quote runs to the end of the file
    return starts


def _read_with_csv_module(
    body: str, delimiter: str, columns: int, first_line: int
) -> tuple[pd.DataFrame, np.ndarray]:
    reader = csv.reader(io.StringIO(body), delimiter=delimiter)
    rows: list[list[str]] = []
    starts: list[int] = []
    previous_end = 0
    try:
        for fields in reader:
            starts.append(previous_end + 1)
            previous_end = reader.line_num
            rows.append((fields + [""] * columns)[:columns])
    except csv.Error as error:
        raise BadInput(f"the CSV cannot be parsed ({error})", record=first_line + previous_end) from None
    frame = pd.DataFrame(rows, columns=range(columns), dtype="str") if rows else None
    if frame is None:
        frame = pd.DataFrame({i: pd.Series([], dtype="str") for i in range(columns)})
    return frame, np.asarray(starts, dtype=np.int64) + (first_line - 1)


# --- Amounts ----------------------------------------------------------------------------------

# Group separators: the other decimal mark, spaces (incl. no-break and thin) and the Swiss '.
_GROUP = {".": ",\u00a0\u202f' ", ",": ".\u00a0\u202f' "}
_PLAIN = {".": r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", ",": r"[+-]?(?:\d+(?:,\d*)?|,\d+)"}
_ESCAPED = {".": r"\.", ",": ","}  # RE2 (pyarrow) rejects a needless escape like "\,"
_DECORATED = {
    decimal: (
        r"^(?P<pre>\D*?)\s*(?P<num>\d{1,3}(?:[" + group + r"]\d{3})+(?:" + _ESCAPED[decimal] + r"\d*)?"
        r"|\d+(?:" + _ESCAPED[decimal] + r"\d*)?|" + _ESCAPED[decimal] + r"\d+)\s*(?P<post>\D*)$"
    )
    for decimal, group in _GROUP.items()
}
# What may surround the number once signs, parentheses and spaces are removed: nothing, an
# ISO code, a $ with up to two letters (US$, C$, R$), or a non-ASCII sign ("£", "€", "zł",
# the dinar's "د.ا."), or a few ASCII abbreviations. Written for RE2 (pyarrow), which has
# no \u escapes: the special characters are in the strings themselves.
_CURRENCY_TOKEN = "^(?:[A-Z]{3}|[A-Z]{0,2}\\$|(?:[A-Za-z]{0,2}[^\\x00-\\x7f]+\\.?)+|kr\\.?|Fr\\.?|Rs\\.?)$"
_DECORATION = "[\\s()+\\-\u2212\u200e\u200f\u00a0]"
_MINUS = "[-\u2212]"
SYMBOL_CURRENCIES = {
    "£": "GBP", "€": "EUR", "₹": "INR", "د.ا.": "JOD", "zł": "PLN", "Kč": "CZK", "Fr.": "CHF",
    "₺": "TRY", "₽": "RUB", "₩": "KRW", "₪": "ILS", "R$": "BRL", "C$": "CAD", "A$": "AUD",
    "US$": "USD", "₴": "UAH", "₦": "NGN", "฿": "THB", "₫": "VND", "₱": "PHP",
}  # fmt: skip


@dataclass
class Amounts:
    """A parsed amount column: values (NaN where missing), which were empty or unreadable."""

    values: pd.Series
    empty: np.ndarray
    invalid: np.ndarray
    currency: pd.Series  # ISO code read from a sign or code around the number, else missing


def parse_amounts(values: pd.Series, decimal: str) -> Amounts:
    """Parse an amount column written the way statements write money (formats.md §4.5 rule 5)."""
    text = values.astype("str").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    result = np.full(len(text), np.nan)
    currency = pd.Series(pd.NA, index=text.index, dtype="string")
    plain = text.str.fullmatch(_PLAIN[decimal]).fillna(False).to_numpy(dtype=bool)
    if plain.any():
        numbers = text[plain]
        if decimal == ",":
            numbers = numbers.str.replace(",", ".", regex=False)
        result[plain] = pd.to_numeric(numbers, errors="coerce").to_numpy(dtype="float64")
    rest = ~plain & ~empty
    if rest.any():
        values_rest, currency_rest = _parse_decorated(text[rest], decimal)
        result[rest] = values_rest
        currency[rest] = currency_rest
    # Hundreds of digits parse as infinity: no statement holds such money, so it is no number.
    result[np.isinf(result)] = np.nan
    invalid = ~empty & np.isnan(result)
    return Amounts(pd.Series(result, index=values.index), empty, invalid, currency)


def _parse_decorated(text: pd.Series, decimal: str) -> tuple[np.ndarray, pd.Series]:
    """Amounts with currency signs, codes, spaces, parentheses: one pass of RE2 over the column."""
    values = pa.array(text.to_numpy(dtype=object), type=pa.string())
    parts = pc.extract_regex(values, _DECORATED[decimal])
    pre = pc.fill_null(parts.field("pre"), "")
    post = pc.fill_null(parts.field("post"), "")
    marks = pc.binary_join_element_wise(pre, post, "")
    token = pc.replace_substring_regex(marks, _DECORATION, "")
    known = pc.or_(pc.equal(token, ""), pc.match_substring_regex(token, _CURRENCY_TOKEN))
    valid = pc.and_(pc.is_valid(parts.field("num")), known)
    negative = pc.or_(
        pc.match_substring_regex(marks, _MINUS),
        pc.and_(pc.match_substring(pre, "("), pc.match_substring(post, ")")),
    )
    digits = pc.replace_substring_regex(pc.fill_null(parts.field("num"), ""), "[" + _GROUP[decimal] + "]", "")
    if decimal == ",":
        digits = pc.replace_substring(digits, ",", ".")
    digits = pc.if_else(valid, digits, pa.scalar(None, pa.string()))
    numbers = pd.to_numeric(pd.Series(digits.to_numpy(zero_copy_only=False)), errors="coerce").to_numpy(
        dtype="float64"
    )
    numbers = np.where(negative.to_numpy(zero_copy_only=False), -numbers, numbers)
    kept = pc.if_else(valid, token, pa.scalar(None, pa.string())).to_numpy(zero_copy_only=False)
    tokens = pd.Series(kept, index=text.index, dtype="object")
    return numbers, currency_of(tokens)


def currency_of(tokens: pd.Series) -> pd.Series:
    """ISO codes for currency signs and codes; missing for "$" and unknown signs."""
    tokens = tokens.astype("string")
    codes = tokens.where(tokens.str.fullmatch(r"[A-Z]{3}").fillna(False))
    mapped = tokens.map(SYMBOL_CURRENCIES, na_action="ignore").astype("string")
    return codes.fillna(mapped).astype("string")


# --- Dates ----------------------------------------------------------------------------------


@dataclass
class Dates:
    """A parsed date (or date-time) column and the format chosen for the whole file."""

    values: pd.Series  # naive datetimes, or UTC when the format has %z
    fmt: str
    ambiguous_with: str | None  # another listed format that read every date differently


def parse_dates(values: pd.Series, formats: Sequence[str]) -> Dates:
    """Parse with the first listed format that reads the most dates; never mixed per row."""
    text = values.astype("str").str.strip()
    present = int(text.ne("").sum())
    best: tuple[int, str, pd.Series] | None = None
    complete: list[tuple[str, pd.Series]] = []
    for fmt in formats:
        parsed = _to_datetime(text, fmt)
        count = int(parsed.notna().sum())
        if best is None or count > best[0]:
            best = (count, fmt, parsed)
        if count == present and present:
            complete.append((fmt, parsed))
            if len(formats) == 1:
                break
    assert best is not None
    ambiguous = None
    if len(complete) > 1:
        chosen = complete[0]
        for fmt, parsed in complete[1:]:
            if not parsed.equals(chosen[1]):
                ambiguous = fmt
                break
        best = (present, chosen[0], chosen[1])
    return Dates(best[2], best[1], ambiguous)


def _to_datetime(text: pd.Series, fmt: str) -> pd.Series:
    has_offset = "%z" in fmt
    if fmt.endswith("%z"):
        return _with_trailing_offset(text, fmt[:-2].rstrip())
    try:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=has_offset)
    except (ValueError, OverflowError):
        return pd.Series(
            pd.NaT, index=text.index, dtype="datetime64[ns, UTC]" if has_offset else "datetime64[ns]"
        )


def _with_trailing_offset(text: pd.Series, naive_format: str) -> pd.Series:
    """``... +0100`` to UTC: the offset is split off and applied, since pandas' own ``%z``
    path parses fifteen times slower than a plain format."""
    values = pa.array(text.to_numpy(dtype=object), type=pa.string())
    parts = pc.extract_regex(values, r"^(?P<clock>.*?)\s*(?P<sign>[+-])(?P<hh>\d{2}):?(?P<mm>\d{2})$")
    clock = pd.Series(parts.field("clock").to_numpy(zero_copy_only=False), index=text.index, dtype="str")
    hours = pd.to_numeric(
        pd.Series(parts.field("hh").to_numpy(zero_copy_only=False)), errors="coerce"
    ).to_numpy()
    minutes = pd.to_numeric(
        pd.Series(parts.field("mm").to_numpy(zero_copy_only=False)), errors="coerce"
    ).to_numpy()
    west = pc.fill_null(pc.equal(parts.field("sign"), "-"), False).to_numpy(zero_copy_only=False)
    sign = np.where(west, -1, 1)
    offset = pd.to_timedelta(sign * (hours * 60 + minutes), unit="min")
    try:
        naive = pd.to_datetime(clock, format=naive_format, errors="coerce")
    except (ValueError, OverflowError):
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    return (naive - pd.Series(offset, index=text.index)).dt.tz_localize("UTC")


def human_format(fmt: str) -> str:
    """``%d/%m/%Y`` as people write it: DD/MM/YYYY."""
    for code, words in (
        ("%d", "DD"), ("%m", "MM"), ("%Y", "YYYY"), ("%y", "YY"), ("%b", "Mon"), ("%B", "Month"),
        ("%H", "hh"), ("%I", "hh"), ("%M", "mm"), ("%S", "ss"), ("%p", "AM/PM"), ("%z", "+hhmm"),
        ("%f", "ffffff"), ("%j", "DDD"), ("%a", "Day"), ("%A", "Weekday"),
    ):  # fmt: skip
        fmt = fmt.replace(code, words)
    return fmt
