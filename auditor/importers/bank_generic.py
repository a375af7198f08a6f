"""The generic detector: a statement layout no preset knows, guessed from its values.

It looks at the first records of a CSV and finds, with plain rules:

* the delimiter: the one that splits the lines into the most consistent number (≥ 3) of fields;
* a header line: a row of text above rows that hold dates (none: the file is headerless);
* the date column: a format from a fixed list that reads ≥ 90 % of the values. DD/MM and
  MM/DD are told apart by a day above 12 (in any date column); when nothing tells them
  apart the dates are ambiguous and the guess is refused rather than risked;
* the amount: one signed column, a debit/credit pair (one of the two filled per row), or
  an unsigned amount plus a direction column with two values (``D``/``C``, ``Af``/``Bij``,
  ``O``/``I``, ``debit``/``credit``...). A running balance is recognised by its
  differences matching the amounts, and by its name;
* the description: the text column named like one, else the one with the longest values.

Each doubt lowers the confidence and is said in plain words. At or above the importer's
threshold the guess is read like a preset; below it the file is not loaded and the message
lists what was found and asks for a mapping file. Column names in other languages are
recognised through small word lists (EN, DE, NL, FR, ES, IT, Nordic).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from auditor.importers.bank_layout import DELIMITERS, Indicator, Layout, clean_name, header_key
from auditor.importers.bank_table import SYMBOL_CURRENCIES, human_format, parse_amounts

SAMPLE_RECORDS = 200
MIN_COLUMNS = 3
DATE_RATE = 0.9
NUMERIC_RATE = 0.9

DATE_FORMATS = (
    "%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%Y",
    "%m-%d-%Y", "%Y/%m/%d", "%Y%m%d", "%d %b %Y", "%d %b %y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%dT%H:%M:%S%z",
)  # fmt: skip
_DATE_LIKE = re.compile(
    r"^(\d{1,4}[./\- ]\w{1,9}[./\- ,]+\d{2,4}|\d{8}|[A-Za-z]{3,9} \d{1,2}, \d{4})"  # the date
    r"([ T]\d{1,2}:\d{2}(:\d{2})?( ?[+-]\d{2}:?\d{2})?)?$"  # a time and an offset
)

DATE_NAMES = (
    "date",
    "datum",
    "fecha",
    "data",
    "dato",
    "buchungstag",
    "booking",
    "posted",
    "valuta",
    "wertstellung",
)
AMOUNT_NAMES = (
    "amount",
    "betrag",
    "bedrag",
    "montant",
    "importe",
    "importo",
    "kwota",
    "belopp",
    "beløb",
    "summe",
    "value",
    "valor",
    "umsatz",
)
DEBIT_NAMES = (
    "debit",
    "withdrawal",
    "withdrawals",
    "paid out",
    "money out",
    "outflow",
    "soll",
    "ausgang",
    "belastung",
    "débit",
    "cargo",
    "out",
    "af",
    "spent",
)
CREDIT_NAMES = (
    "credit",
    "deposit",
    "deposits",
    "paid in",
    "money in",
    "inflow",
    "haben",
    "eingang",
    "gutschrift",
    "crédit",
    "abono",
    "in",
    "bij",
    "received",
)
BALANCE_NAMES = ("balance", "saldo", "solde", "kontostand", "running")
TEXT_NAMES = (
    "description", "details", "memo", "narrative", "verwendungszweck", "buchungstext", "omschrijving",
    "libellé", "libelle", "concepto", "payee", "merchant", "text", "beschreibung", "empfänger", "name",
    "reference",
)  # fmt: skip
OUT_WORDS = {"d", "dr", "db", "debit", "debet", "o", "out", "af", "s", "soll", "ausgang", "withdrawal", "-"}
IN_WORDS = {"c", "cr", "cb", "credit", "kredit", "i", "in", "bij", "h", "haben", "eingang", "deposit", "+"}


@dataclass(frozen=True)
class Guess:
    """What the detector made of a file: a layout to read it with, how sure, and why not surer."""

    layout: Layout | None
    confidence: float
    found: tuple[tuple[str, str], ...]
    doubts: tuple[str, ...] = ()

    def summary(self) -> str:
        return ", ".join(f"{role}={label}" for role, label in self.found) or "nothing usable"

    def refusal(self, hint: str) -> str:
        doubts = "; ".join(self.doubts)
        return (
            f"not sure of this layout (generic detector, confidence {self.confidence:.2f}: {self.summary()}"
            f"{'; ' + doubts if doubts else ''}); write a mapping file ({hint})"
        )


@dataclass
class _Column:
    index: int
    label: str
    name_as_written: str  # header name, "" when headerless
    values: list[str]  # per sample row, stripped ("" where empty)
    filled: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    date_format: str | None = None
    date_rate: float = 0.0
    date_twin: str | None = None  # the DD/MM or MM/DD reading that also fits
    numbers: np.ndarray | None = None  # parsed amounts where numeric

    @property
    def name(self) -> str:
        return self.name_as_written.lower()

    @property
    def amounts(self) -> np.ndarray:
        """Parsed amounts per sample row (NaN where empty or not a number)."""
        return self.numbers if self.numbers is not None else np.full(len(self.values), np.nan)

    @property
    def present_amounts(self) -> np.ndarray:
        return self.amounts[~np.isnan(self.amounts)]

    @property
    def fill(self) -> float:
        return float(self.filled.mean()) if len(self.filled) else 0.0

    def named(self, hints: Sequence[str]) -> bool:
        words = re.split(r"[^\w]+", self.name)
        return any((hint in self.name) if (" " in hint or len(hint) > 4) else hint in words for hint in hints)


def detect(text: str) -> Guess | None:
    """Guess the layout of a CSV head; None when it is not a table at all."""
    table = _table(text)
    if table is None:
        return None
    delimiter, header, rows, width = table
    columns = _columns(header, rows)
    decimal = _decimal(columns)
    found: list[tuple[str, str]] = []
    doubts: list[str] = []
    confidence = 1.0 if header else 0.9
    if not header:
        doubts.append("no header line, so columns are known by position only")
    date = _date_column(columns, doubts)
    if date is None:
        return Guess(None, 0.0, tuple(found), ("no column of dates",))
    found.append(("date", f"{date.label} ({human_format(date.date_format or '')})"))
    confidence *= date.date_rate * (0.5 if date.date_twin else 1.0)
    for column in columns:
        if column is not date:
            column.numbers = _numbers(column, decimal)
    currency = next((c for c in columns if c is not date and _is_currency(c)), None)
    amount = _amount(columns, date, currency, doubts)
    if amount is None:
        return Guess(None, 0.0, tuple(found), (*doubts, "no column of amounts"))
    roles, factor, indicator = amount
    confidence *= factor
    found.extend((role, column.label) for role, column in roles.items())
    used = {c.index for c in roles.values()} | {date.index} | ({indicator[0].index} if indicator else set())
    description = _description(columns, used | ({currency.index} if currency else set()))
    if description is None:
        return Guess(None, 0.0, tuple(found), (*doubts, "no text column for the description"))
    found.append(("description", description.label))
    confidence *= 1.0 if description.named(TEXT_NAMES) else 0.9
    if indicator is not None:
        found.append(("direction", indicator[0].label))
    if currency is not None:
        found.append(("currency", currency.label))
    fixed = None if currency else _currency_in_names([c.name_as_written for c in roles.values()])
    if fixed:
        found.append(("currency", fixed))
    layout = _layout(delimiter, header, width, decimal, date, roles, indicator, description, currency, fixed)
    return Guess(layout, round(confidence, 2), tuple(found), tuple(doubts))


# --- The table ----------------------------------------------------------------------------


def _records(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    records: list[list[str]] = []
    try:
        for fields in reader:
            records.append(fields)
            if len(records) >= SAMPLE_RECORDS + 30:
                break
    except csv.Error:
        pass  # the head is cut inside a huge field; what was read is enough
    return records


def _table(text: str) -> tuple[str, tuple[str, ...] | None, list[list[str]], int] | None:
    """Delimiter, header (or None), sample data rows, and the column count.

    The column count is the most common one among lines of 3 or more fields, so that a
    preamble of one- or two-field lines (DKB, ING DE, Deutsche Bank) does not hide it.
    """
    best: tuple[float, int, str, list[list[str]]] | None = None
    for delimiter in DELIMITERS:
        records = _records(text, delimiter)
        nonblank = [r for r in records if any(f.strip() for f in r)]
        wide = [len(r) for r in nonblank if len(r) >= MIN_COLUMNS]
        if not wide:
            continue
        width, count = Counter(wide).most_common(1)[0]
        coverage = sum(_fits(r, width) for r in nonblank) / len(nonblank)
        if count >= 2 and (best is None or (coverage, width) > (best[0], best[1])):
            best = (coverage, width, delimiter, nonblank)
    if best is None or best[0] < 0.3:
        return None
    _, width, delimiter, records = best
    shaped = [(r + [""])[:width] for r in records if _fits(r, width)]
    first = shaped[0]
    header: tuple[str, ...] | None = None
    if _is_header(first):
        # The engine finds this header line again by exact match, as for a preset.
        header = tuple(clean_name(f) for f in first)
        data = shaped[1:]
    else:
        data = shaped
    if not data:
        return None
    return delimiter, header, data[:SAMPLE_RECORDS], width


def _fits(fields: list[str], width: int) -> bool:
    """The row has the table's width, give or take a trailing delimiter."""
    if len(fields) == width:
        return True
    if len(fields) == width + 1:
        return not fields[-1].strip()
    return len(fields) == width - 1 and width - 1 >= MIN_COLUMNS


_NUMBER_LIKE = re.compile(r"^\D{0,6}\d[\d.,' ]*\D{0,6}$")


def _is_header(fields: Sequence[str]) -> bool:
    names = [f.strip() for f in fields if f.strip()]
    if len(names) < 2:
        return False
    return not any(_NUMBER_LIKE.match(n) or _DATE_LIKE.match(n) for n in names)


def _columns(header: tuple[str, ...] | None, rows: list[list[str]]) -> list[_Column]:
    width = max(len(r) for r in rows)
    columns = []
    for index in range(width):
        values = [(r[index].strip() if index < len(r) else "") for r in rows]
        name = header[index] if header and index < len(header) else ""
        label = f"'{name}'" if name else f"column {index + 1}"
        column = _Column(index, label, name, values, np.array([v != "" for v in values]))
        _profile_dates(column)
        columns.append(column)
    return columns


def _profile_dates(column: _Column) -> None:
    present = [v for v in column.values if v]
    if not present or sum(bool(_DATE_LIKE.match(v)) for v in present) < DATE_RATE * len(present):
        return
    series = pd.Series(present, dtype="str")
    rates = {}
    for fmt in DATE_FORMATS:
        if not _reads_first(present, fmt):
            continue
        rate = float(pd.to_datetime(series, format=fmt, errors="coerce").notna().mean())
        if rate >= DATE_RATE:
            rates[fmt] = rate
    if not rates:
        return
    fmt = max(rates, key=lambda f: (rates[f], -DATE_FORMATS.index(f)))
    column.date_format, column.date_rate = fmt, rates[fmt]
    twin = _twin(fmt)
    if twin and rates.get(twin, 0.0) >= rates[fmt]:
        column.date_twin = twin


def _reads_first(values: list[str], fmt: str, count: int = 5) -> bool:
    """A quick filter before the full parse: the format must read most of the first values."""
    sample = values[:count]
    read = 0
    for value in sample:
        try:
            datetime.strptime(value, fmt)
            read += 1
        except ValueError:
            pass
    return read >= max(1, len(sample) - 1)


def _twin(fmt: str) -> str | None:
    """The same format with day and month swapped, when it is a numeric DD/MM or MM/DD."""
    if "%d" in fmt and "%m" in fmt and "%b" not in fmt and not fmt.startswith("%Y"):
        swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
        return swapped if swapped in DATE_FORMATS else None
    return None


def _date_column(columns: list[_Column], doubts: list[str]) -> _Column | None:
    dated = [c for c in columns if c.date_format and c.fill >= 0.5]
    if not dated:
        return None
    date = next((c for c in dated if c.named(DATE_NAMES)), dated[0])
    if date.date_twin:
        # Another date column (a value date) may settle day-first against month-first.
        settled = next((c for c in dated if c.date_format == date.date_twin and not c.date_twin), None)
        if settled is not None:
            date.date_format, date.date_twin = settled.date_format, None
        else:
            doubts.append(
                f"dates in {date.label} read as both {human_format(date.date_format or '')} and "
                f"{human_format(date.date_twin)} (no day above 12)"
            )
    return date


# --- Amounts ------------------------------------------------------------------------------


def _decimal(columns: list[_Column]) -> str:
    comma = dot = 0
    for column in columns:
        if column.date_format:
            continue
        for value in column.values:
            if re.search(r"\d,\d{1,2}(?!\d)\D*$", value) and not re.search(r"\d\.\d{1,2}\D*$", value):
                comma += 1
            elif re.search(r"\d\.\d{1,2}(?!\d)\D*$", value):
                dot += 1
    return "," if comma > dot else "."


def _numbers(column: _Column, decimal: str) -> np.ndarray | None:
    present = [v for v in column.values if v]
    if not present or sum(bool(_NUMBER_LIKE.match(v)) for v in present) < NUMERIC_RATE * len(present):
        return None
    parsed = parse_amounts(pd.Series(column.values, dtype="str"), decimal)
    readable = int((~parsed.invalid & ~parsed.empty).sum())
    if readable < NUMERIC_RATE * len(present):
        return None
    return parsed.values.to_numpy(dtype="float64")


def _is_currency(column: _Column) -> bool:
    present = [v for v in column.values if v]
    return bool(present) and sum(bool(re.fullmatch(r"[A-Z]{3}", v)) for v in present) >= NUMERIC_RATE * len(
        present
    )


def _amount_like(column: _Column) -> bool:
    numbers = column.numbers
    if numbers is None or column.fill < 0.1:
        return False
    present = numbers[~np.isnan(numbers)]
    if len(np.unique(present)) <= 1 and len(present) > 2:
        return False  # a constant (card number, account) is not money moving
    # Long runs of bare digits are account, card or reference numbers, not money.
    return not all(re.fullmatch(r"\d{6,}", v) for v in column.values if v)


def _is_balance_of(balance: np.ndarray, amount: np.ndarray) -> bool:
    """Do the balance's steps equal the amounts (oldest or newest first)?"""
    both = ~np.isnan(balance) & ~np.isnan(amount)
    if both.sum() < 3:
        return False
    steps = np.diff(balance)
    forward = np.isclose(steps, amount[1:], atol=0.005)
    backward = np.isclose(-steps, amount[:-1], atol=0.005)
    return max(forward.mean(), backward.mean()) >= 0.8


def _amount(columns: list[_Column], date: _Column, currency: _Column | None, doubts: list[str]):
    """The amount roles, a confidence factor and an indicator column (or None)."""
    candidates = [
        c for c in columns if c is not date and c is not currency and not c.date_format and _amount_like(c)
    ]
    balances = [c for c in candidates if c.named(BALANCE_NAMES)]
    candidates = [c for c in candidates if c not in balances]
    for balance in list(candidates):
        if any(
            other is not balance and _is_balance_of(balance.amounts, other.amounts) for other in candidates
        ):
            balances.append(balance)
    candidates = [c for c in candidates if c not in balances]
    roles: dict[str, _Column] = {}
    if balances:
        roles["balance"] = balances[0]
    debit = next((c for c in candidates if c.named(DEBIT_NAMES)), None)
    credit = next((c for c in candidates if c.named(CREDIT_NAMES)), None)
    if debit is not None and credit is not None and debit is not credit:
        return {"debit": debit, "credit": credit, **roles}, 1.0, None
    named = [c for c in candidates if c.named(AMOUNT_NAMES)]
    pool = named or candidates
    signed = [c for c in pool if (c.present_amounts < 0).any()]
    if signed:
        factor = (1.0 if len(signed) == 1 else 0.9) if named else (0.85 if len(signed) == 1 else 0.55)
        if len(signed) > 1:
            doubts.append(
                f"several columns of signed numbers ({', '.join(c.label for c in signed)}); took the first"
            )
        if _mostly_positive(signed[0]):
            # Spending outnumbers income in a current account; a card export that writes
            # charges as positive (Amex, Discover) would be read with every sign wrong.
            doubts.append(
                f"most amounts in {signed[0].label} are positive: charges may be written as positive "
                "(as Amex and Discover do), so the sign convention is unclear "
                "(a mapping says sign: as_is or inverted)"
            )
            factor *= 0.55
        return {"amount": signed[0], **roles}, factor, None
    pair = _complementary_pair(pool)
    if pair is not None:
        doubts.append(
            f"{pair[0].label} and {pair[1].label} look like a debit/credit pair, "
            "but nothing says which is which"
        )
        return {"debit": pair[0], "credit": pair[1], **roles}, 0.5, None
    if not pool:
        return None
    amount = pool[0]
    indicator, recognised = _indicator(columns, {amount.index, date.index})
    if indicator is not None and recognised is not None:
        return {"amount": amount, **roles}, 0.95 if named else 0.85, (indicator, recognised)
    doubts.append(f"{amount.label} is never negative and no column says whether money went out or came in")
    return {"amount": amount, **roles}, 0.4, None


def _mostly_positive(column: _Column) -> bool:
    numbers = column.present_amounts
    moving = numbers[numbers != 0]
    return len(moving) >= 3 and float((moving > 0).mean()) > 0.7


def _complementary_pair(pool: list[_Column]) -> tuple[_Column, _Column] | None:
    for i, left in enumerate(pool):
        for right in pool[i + 1 :]:
            exactly_one = left.filled ^ right.filled
            if exactly_one.mean() >= 0.9:
                return left, right
    return None


def _indicator(
    columns: list[_Column], used: set[int]
) -> tuple[_Column | None, tuple[tuple[str, ...], tuple[str, ...]] | None]:
    """A column with two values (over ≥ 90 % of rows) naming the direction, if any."""
    for column in columns:
        if column.index in used or column.numbers is not None or column.date_format:
            continue
        counts = Counter(v for v in column.values)
        top = counts.most_common(2)
        if len(top) < 2 or (top[0][1] + top[1][1]) < 0.9 * len(column.values):
            continue
        first, second = top[0][0], top[1][0]
        words = {first.lower(): first, second.lower(): second}
        out = [words[w] for w in words if w in OUT_WORDS]
        into = [words[w] for w in words if w in IN_WORDS]
        if len(out) == 1 and len(into) == 1:
            return column, (tuple(out), tuple(into))
    return None, None


# --- Description and the resulting layout --------------------------------------------------


def _description(columns: list[_Column], used: set[int]) -> _Column | None:
    texts = [
        c for c in columns
        if c.index not in used and not c.date_format and c.numbers is None and c.fill >= 0.5
        and (len(set(c.values)) > 1 or len(c.values) < 3)
    ]  # fmt: skip
    if not texts:
        return None
    named = [c for c in texts if c.named(TEXT_NAMES)]
    pool = named or texts
    return max(pool, key=lambda c: (np.mean([len(v) for v in c.values]), -c.index))


def _layout(
    delimiter: str,
    header: tuple[str, ...] | None,
    width: int,
    decimal: str,
    date: _Column,
    roles: dict[str, _Column],
    indicator: tuple[_Column, tuple[tuple[str, ...], tuple[str, ...]]] | None,
    description: _Column,
    currency: _Column | None,
    fixed_currency: str | None,
) -> Layout:
    columns: dict[str, int] = {"date": date.index, "description": description.index}
    columns.update({role: column.index for role, column in roles.items()})
    if currency is not None:
        columns["currency"] = currency.index
    has_time = bool(date.date_format and "%H" in date.date_format)
    return Layout(
        id="generic",
        title="generic",
        origin="generic",
        kind="generic",
        columns=columns,
        date_formats=(date.date_format or "",),
        has_datetime=has_time,
        header=header_key(header) if header else None,
        headerless_columns=None if header else width,
        delimiter=delimiter,
        decimal=decimal,
        indicator=Indicator(indicator[0].index, *indicator[1]) if indicator else None,
        sign="split" if "debit" in columns else "as_is",
        currency=fixed_currency,
    )


def _currency_in_names(names: list[str]) -> str | None:
    """'Amount (EUR)', 'Belastung CHF', 'Betrag (€)': the currency the header names."""
    for name in names:
        code = re.search(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", name)
        if code:
            return code.group(1)
        for sign, iso in SYMBOL_CURRENCIES.items():
            if not sign.isascii() and sign in name:
                return iso
    return None
