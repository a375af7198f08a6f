"""Bank presets for real layouts with no published fixture: one sample statement each.

Every sample in tests/data/bank-csv-presets/ quotes formats.md §4's header for its bank
and carries the layout's quirks (preambles, footers, trailing commas, Latin-1 bytes,
lines inside quotes, decimal commas, two-digit years, month names, BOMs, pending rows).
Each must be claimed by the bank-csv importer with the preset's title as the variant,
keep as many rows as the standard csv module counts (minus the rows the layout says are
not transactions), and give exact first values with the holder's sign.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import yaml

from auditor.dataset import import_file
from auditor.importers.base import FileRef
from auditor.registry import by_id
from auditor.sources import claim, discover

SAMPLES = Path(__file__).parent / "data" / "bank-csv-presets"
PRESETS = Path(__file__).resolve().parent.parent / "auditor" / "importers" / "bank_presets"
IMPORTER = by_id("bank-csv")

Row = dict[str, str] | list[str]


@dataclass(frozen=True)
class Case:
    """One sample: its preset, how to count its rows independently, its first row."""

    sample: str
    preset: str
    first: tuple[str, float, str]  # local date, amount from the holder's view, description
    kept: int
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    not_transactions: Callable[[Row], bool] = lambda row: False
    stop_at: str | None = None  # a line that ends the data (footer), as a regex on the first cell
    skipped: dict[str, list[int]] = field(default_factory=dict)


def _status_not(column: str, keep: str) -> Callable[[Row], bool]:
    """Rows whose status column is not the one value the layout keeps."""
    return lambda row: row[column].strip() != keep  # type: ignore[index]


def _starts(column: str, text: str) -> Callable[[Row], bool]:
    """Rows whose column starts with a marker text (opening balances)."""
    return lambda row: row[column].startswith(text)  # type: ignore[index]


ALBERT_HEIJN = (
    "Albert Heijn 1403 AMSTERDAM NLD "
    "Pasvolgnr: 003 29-03-2024 17:42 Transactie: 1A2B3C Term: 12345678 Apple Pay"
)


CASES = [
    Case(
        "chase-checking.csv", "chase-checking",
        ("2024-03-29", -42.17, "TRADER JOE S #552 QPS SAN FRANCISCO CA       03/28"), 8,
    ),
    Case("chase-card.csv", "chase-card", ("2024-03-28", -42.17, "TRADER JOE S #552"), 8),
    Case(
        "bofa-checking.csv", "bofa-checking",
        ("2024-03-01", 2315.40, "ACME CORP DES:PAYROLL ID:XXXXX12345 INDN:DOE,JANE CO ID:XXXXX67890 PPD"), 8,
        not_transactions=_starts("Description", "Beginning balance as of"),
        skipped={"opening-balance line, not a transaction": [8]},
    ),
    Case("bofa-card.csv", "bofa-card", ("2024-03-29", -42.17, "TRADER JOE S #552 QPS"), 6),
    Case(
        "wells-fargo.csv", "wells-fargo",
        (
            "2024-03-29", -42.17,
            "PURCHASE AUTHORIZED ON 03/28 TRADER JOE S #552 SAN FRANCISCO CA S384088123456789 CARD 1234",
        ), 7,
    ),
    Case("capital-one-360.csv", "capital-one-360", ("2024-03-31", 1.87, "Monthly Interest Paid"), 6),
    Case("amex.csv", "amex", ("2024-03-28", -36.98, "AMAZON MARKETPLACE NA PA"), 6),
    Case(
        "amex-extended.csv", "amex-extended",
        (
            "2024-03-28", -36.98,
            "AMAZON MARKETPLACE NA PA TD1YX2RT4K  MERCHANDISE\nAMAZON MARKETPLACE NA PA\n\nAMZN.COM/BILL\nWA",
        ), 5,
    ),
    Case(
        "amex-extended-no-member.csv", "amex-extended-no-member",
        ("2024-03-27", -27.40, "LYFT   *RIDE WED 11PM LYFT   *RIDE WED 11PM\nLYFT.COM\nCA"), 5,
    ),
    Case(
        "citi.csv", "citi", ("2024-03-28", -156.78, "COSTCO WHSE #0144 SAN FRANCISCO CA"), 5,
        not_transactions=_status_not("Status", "Cleared"),
        skipped={"pending, not yet posted ('status' is 'Pending')": [7]},
    ),
    Case(
        "citi-member-name.csv", "citi-member-name",
        ("2024-03-28", -42.17, "TRADER JOE S #552 QPS SAN FRANCISCO CA"), 5,
    ),
    Case("discover.csv", "discover", ("2024-03-27", -58.23, "SAFEWAY #1711 SAN FRANCISCO CA"), 6),
    Case("monzo.csv", "monzo", ("2024-03-01", -1450.00, "ISLINGTON LETTINGS LTD RENT"), 8),
    Case(
        "monzo-no-balance.csv", "monzo-no-balance",
        ("2024-03-01", -1450.00, "ISLINGTON LETTINGS LTD RENT"), 6,
    ),
    Case(
        "revolut.csv", "revolut", ("2024-03-01", 500.00, "Top-Up by *4421"), 7,
        not_transactions=_status_not("State", "COMPLETED"),
        skipped={
            "not completed (pending, reverted or declined) ('status' is 'REVERTED')": [6],
            "not completed (pending, reverted or declined) ('status' is 'DECLINED')": [8],
            "not completed (pending, reverted or declined) ('status' is 'PENDING')": [11],
        },
    ),
    Case("revolut-legacy.csv", "revolut-legacy", ("2019-04-02", -7.99, "Premium plan fee"), 6, delimiter=";"),
    Case("starling.csv", "starling", ("2024-03-01", -1450.00, "Islington Lettings RENT MARCH"), 7),
    Case(
        "starling-no-notes.csv", "starling-no-notes",
        ("2024-03-01", -1450.00, "Islington Lettings RENT MARCH"), 5,
    ),
    Case("barclays.csv", "barclays", ("2024-03-29", -7.46, "PRET A MANGER       ON 28 MAR          BCC"), 7),
    Case("hsbc-uk.csv", "hsbc-uk", ("2024-03-29", -7.46, "PRET A MANGER LONDON               )))"), 6),
    Case(
        "uk-midata.csv", "uk-midata", ("2024-03-29", -7.46, "PRET A MANGER     LONDON"), 6,
        stop_at=r"^Arranged overdraft limit",
    ),
    Case("lloyds.csv", "lloyds", ("2024-03-29", -7.46, "PRET A MANGER"), 7),
    Case(
        "natwest.csv", "natwest",
        ("2025-03-01", -1450.00, "ISLINGTON LETTINGS , RENT MARCH , FP 01/03/25 10"), 7,
    ),
    Case("natwest-2014.csv", "natwest", ("2014-12-31", -10.00, "WWF UK"), 5),
    Case(
        "nationwide.csv", "nationwide", ("2024-03-01", -1450.00, "ISLINGTON LETTINGS"), 7,
        encoding="cp1252",
    ),
    Case("ing-nl.csv", "ing-nl", ("2024-03-29", -23.45, ALBERT_HEIJN), 6),
    Case("ing-nl-2020.csv", "ing-nl-2020", ("2024-03-29", -23.45, ALBERT_HEIJN), 6, delimiter=";"),
    Case(
        "ing-de.csv", "ing-de", ("2024-03-28", 3120.55, "Acme Analytics GmbH LOHN / GEHALT 03/24"), 6,
        encoding="cp1252", delimiter=";",
    ),
    Case(
        "ing-de-kategorie.csv", "ing-de-kategorie",
        ("2024-03-28", 3120.55, "Acme Analytics GmbH LOHN / GEHALT 03/24"), 5,
        encoding="cp1252", delimiter=";",
    ),
    Case(
        "deutsche-bank.csv", "deutsche-bank",
        (
            "2023-12-18", -23.70,
            "REWE Markt GmbH REWE SAGT DANKE 46120113//Berlin/DE 2023-12-16T14:02:11 KFN 1 VJ 2612",
        ), 6,
        delimiter=";", stop_at=r"^Kontostand$",
    ),
    Case(
        "sparkasse-csv-camt.csv", "sparkasse-csv-camt",
        ("2024-03-28", -34.18, "EDEKA Center Müller 2024-03-27T18:22 Debitk.7 VISA Debit"), 5,
        encoding="cp1252", delimiter=";", not_transactions=_status_not("Info", "Umsatz gebucht"),
        skipped={"noted but not yet booked (Umsatz vorgemerkt) ('status' is 'Umsatz vorgemerkt')": [7]},
    ),
    Case(
        "dkb-legacy.csv", "dkb-legacy", ("2024-03-28", 3120.55, "Acme Analytics GmbH LOHN/GEHALT 03/2024"), 5,
        encoding="cp1252", delimiter=";",
    ),
    Case(
        "dkb-2023.csv", "dkb-2023",
        ("2024-03-28", 3120.55, "Acme Analytics GmbH Max Mustermann LOHN/GEHALT 03/2024"), 5,
        delimiter=";", not_transactions=_status_not("Status", "Gebucht"),
        skipped={"noted but not yet booked (Vorgemerkt) ('status' is 'Vorgemerkt')": [6]},
    ),
    Case(
        "ynab.csv", "ynab", ("2024-03-01", 2315.40, "Acme Corp March pay"), 7,
        not_transactions=_starts("Payee", "Starting Balance"),
        skipped={"starting balance typed into YNAB, not a transaction": [2]},
    ),
    Case(
        "commerzbank-kategorie.csv", "commerzbank-kategorie",
        (
            "2024-03-28", -34.18,
            "Kartenzahlung REWE SAGT DANKE. 41400673//Hamburg 2024-03-27T11:33:59 KFN 1 VJ 2612",
        ), 5,
        delimiter=";",
    ),
]  # fmt: skip
BY_SAMPLE = {case.sample: case for case in CASES}


def preset(preset_id: str) -> dict:
    """The preset's YAML read with yaml itself, not through the engine."""
    return yaml.safe_load((PRESETS / f"{preset_id}.yaml").read_text(encoding="utf-8"))


def independent_rows(case: Case) -> list[Row]:
    """The sample's transaction rows as the csv module sees them, header found by its names."""
    text = (SAMPLES / case.sample).read_bytes().decode(case.encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=case.delimiter)
    records = [[cell.strip() for cell in row] for row in reader]
    header = preset(case.preset)["match"].get("header")
    if header is None:
        start, names = 0, None
    else:
        width = len(header)
        start = next(i for i, row in enumerate(records) if [c.strip('"') for c in row[:width]] == header) + 1
        names = header
    rows: list[Row] = []
    for record in records[start:]:
        if case.stop_at and record and re.search(case.stop_at, record[0]):
            break
        if not any(record):
            continue
        rows.append(dict(zip(names, record)) if names else record)
    return [row for row in rows if not case.not_transactions(row)]


def load(sample: str):
    frames, report = import_file(FileRef(SAMPLES / sample), IMPORTER)
    return frames.get("transactions"), report


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


# --- Every sample ---------------------------------------------------------------------------


def test_every_sample_has_a_case_and_every_new_preset_a_sample() -> None:
    samples = {p.name for p in SAMPLES.glob("*.csv")}
    assert samples == set(BY_SAMPLE)
    assert {case.preset for case in CASES} <= {p.stem for p in PRESETS.glob("*.yaml")}
    assert len({case.preset for case in CASES}) == 34


def test_each_sample_is_claimed_by_bank_csv_and_no_other_importer() -> None:
    claims, unclaimed = claim(discover([SAMPLES]).files)
    assert not unclaimed
    assert {Path(c.ref.path).name: c.importer.id for c in claims} == {name: "bank-csv" for name in BY_SAMPLE}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.sample)
def test_sample_reads_with_its_preset(case: Case) -> None:
    frame, report = load(case.sample)
    assert report.error is None
    assert report.detail == preset(case.preset)["title"]
    # Count: the csv module's rows, minus what the layout says is not a transaction.
    assert len(frame) == len(independent_rows(case)) == case.kept
    assert reasons(report) == case.skipped
    day, amount, description = case.first
    first = frame.iloc[0]
    assert first["time"].date() == pd.Timestamp(day).date()
    assert first["amount"] == pytest.approx(amount, abs=1e-9)
    assert first["description"] == description
    # The sign can fail both ways: each sample holds a purchase and a credit.
    assert (frame["amount"] < 0).any() and (frame["amount"] > 0).any()
    assert set(frame["importer"]) == {"bank-csv"}


# --- The quirks, one by one -----------------------------------------------------------------


def test_chase_rows_one_comma_longer_than_the_header_stay_aligned() -> None:
    frame, _ = load("chase-checking.csv")
    check = frame[frame["type"] == "CHECK_PAID"].iloc[0]
    assert check["amount"] == -1450.00 and check["balance"] == 918.41
    assert list(frame["balance"].iloc[:2]) == [3191.64, 3233.81]
    assert frame["currency"].eq("USD").all()


def test_bofa_preamble_and_beginning_balance_row_are_not_transactions() -> None:
    frame, report = load("bofa-checking.csv")
    assert reasons(report) == {"opening-balance line, not a transaction": [8]}  # line 8 of the file
    assert frame["record"].iloc[0] == 9
    assert not frame["description"].str.contains("Beginning balance").any()
    assert frame["balance"].iloc[0] == 4419.95  # "4,419.95": quoted thousands


def test_amex_charges_become_negative_and_multi_line_details_stay_whole() -> None:
    frame, _ = load("amex-extended.csv")
    assert list(frame["amount"]) == [-36.98, -4.75, 850.00, -412.30, 19.99]
    delta = frame.iloc[3]
    assert delta["description"] == (
        "DELTA AIR LINES 0062154321098  DELTA AIR LINES\nPASSENGER TICKET\nFROM: SFO TO: JFK\nCARRIER: DL"
    )
    assert delta["category"] == "Travel-Airline"
    # One record spans several physical lines; the record number is the line it starts on.
    raw = (SAMPLES / "amex-extended.csv").read_text().split("\n")
    starts = [number for number, line in enumerate(raw, start=1) if re.match(r"\d{2}/\d{2}/2024,", line)]
    assert list(frame["record"]) == starts
    assert frame["record"].tolist() == [2, 9, 15, 16, 22]


def test_discover_charges_positive_in_the_file_are_negative_here() -> None:
    frame, _ = load("discover.csv")
    assert list(frame["amount"]) == [-58.23, 400.00, -17.99, -2.99, 25.00, -14.85]
    assert frame["description"].iloc[2] == 'HLU*HULU 373313066733-U "HULU.COM"/BILLCAHLU*HULU 373313066733-U'


def test_citi_negative_credits_are_money_in() -> None:
    frame, _ = load("citi.csv")
    assert list(frame["amount"]) == [-156.78, 500.00, -9.99, 20.00, -61.02]


def test_capital_one_360_direction_column_and_two_digit_years() -> None:
    frame, _ = load("capital-one-360.csv")
    assert list(frame["amount"]) == [1.87, -60.00, -112.86, -48.12, 2315.40, -58.23]
    assert frame["time"].iloc[-1] == pd.Timestamp("2024-03-04", tz="UTC")
    assert set(frame["source"]) == {"bank:3605"}


def test_monzo_uses_amount_keeps_times_and_foreign_spend() -> None:
    frame, report = load("monzo.csv")
    assert frame["has_time"].all()
    assert frame["time"].iloc[2] == pd.Timestamp("2024-03-02 23:48:05", tz="UTC")  # wall-clock, offset 0
    paris = frame[frame["local_currency"] == "EUR"].iloc[0]
    assert paris["amount"] == -5.62 and paris["local_amount"] == -6.50 and paris["currency"] == "GBP"
    refund = frame.iloc[-1]
    assert refund["amount"] == 4.50 and refund["counterparty"] == "Tesco"  # Money In, not Money Out
    # The running balance agrees with the amounts read: 2200.00 before the first row.
    assert frame["balance"].iloc[-1] == 3804.94 == round(2200.00 + frame["amount"].sum(), 2)
    assert "wall-clock" in report.timezone


def test_revolut_keeps_completed_rows_and_takes_the_fee_off() -> None:
    frame, report = load("revolut.csv")
    assert set(frame["description"]) >= {"Exchanged to EUR", "Cash at Sainsbury's Bank"}
    # Amazon was reverted, Deliveroo declined, Tesco is pending.
    assert not frame["description"].isin(["Amazon", "Deliveroo", "Tesco"]).any()
    exchange = frame[frame["description"] == "Exchanged to EUR"].iloc[0]
    cash = frame[frame["description"] == "Cash at Sainsbury's Bank"].iloc[0]
    assert exchange["amount"] == -100.50 and cash["amount"] == -41.00  # Amount - Fee
    assert frame["time"].iloc[1] == pd.Timestamp("2024-03-01 12:41:09", tz="UTC")  # Started Date
    assert report.skipped_total == 3


def test_revolut_legacy_semicolons_with_spaces_and_month_name_dates() -> None:
    frame, _ = load("revolut-legacy.csv")
    assert list(frame["amount"]) == [-7.99, -23.45, 300.00, -100.00, -2.80, 15.00]
    assert frame["time"].iloc[2] == pd.Timestamp("2019-03-30", tz="UTC")
    assert frame["description"].iloc[3] == "Exchanged to GBP FX Rate €1 = £0.8592"
    assert frame["currency"].eq("EUR").all()


def test_nationwide_latin1_pound_sign_preamble_and_line_break() -> None:
    data = (SAMPLES / "nationwide.csv").read_bytes()
    assert b"\xa3" in data and b"\xc2\xa3" not in data  # the pound sign in Windows-1252
    frame, report = load("nationwide.csv")
    assert list(frame["amount"]) == [-1450.00, -7.46, -12.40, 3120.55, -38.50, -19.99, 12.50]
    assert frame["balance"].iloc[3] == 3934.10  # "£3,934.10"
    assert frame["description"].iloc[2] == "Page and\nSpine Books"
    assert set(frame["source"]) == {"bank:FlexAccount ****45678"}
    assert any("cp1252" in note for note in report.notes)


def test_midata_signed_pound_amounts_and_overdraft_footer() -> None:
    frame, report = load("uk-midata.csv")
    assert list(frame["amount"]) == [-7.46, 3120.55, -1450.00, -19.99, -40.00, -24.99]
    assert frame["balance"].iloc[0] == 3990.88  # "+£3990.88"
    assert any("Arranged overdraft limit" in note for note in report.notes)


def test_hsbc_headerless_bom_and_quoted_thousands() -> None:
    assert (SAMPLES / "hsbc-uk.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    frame, _ = load("hsbc-uk.csv")
    assert list(frame["amount"]) == [-7.46, 3120.55, -1450.00, -5.60, -40.00, -24.99]
    assert frame["record"].iloc[0] == 1  # no header: the first line is a transaction


def test_lloyds_split_columns_apostrophe_sort_code_and_trailing_commas() -> None:
    frame, _ = load("lloyds.csv")
    assert list(frame["amount"]) == [-7.46, 3120.55, -1450.00, -5.60, -40.00, -24.99, 12.50]
    assert list(frame["balance"].iloc[:2]) == [3417.40, 3424.86]
    assert set(frame["source"]) == {"bank:12345678"}


def test_natwest_both_date_styles_one_preset() -> None:
    new, _ = load("natwest.csv")
    old, report = load("natwest-2014.csv")
    assert new["time"].iloc[0] == pd.Timestamp("2025-03-01", tz="UTC")  # "01 Mar 2025"
    assert old["time"].iloc[-1] == pd.Timestamp("2014-12-29", tz="UTC")  # "29/12/2014"
    assert old["record"].iloc[0] == 4  # blank line, header, blank line above
    assert set(old["source"]) == set(new["source"]) == {"bank:600000-12345678"}


def test_natwest_excel_text_marker_is_not_part_of_the_values() -> None:
    # Old exports start text cells with an apostrophe ("'WWF UK"), Excel's text marker.
    assert b"\"'WWF UK\"" in (SAMPLES / "natwest-2014.csv").read_bytes()
    frame, _ = load("natwest-2014.csv")
    assert frame["description"].iloc[0] == "WWF UK"
    assert frame["description"].iloc[1] == "4545 30DEC14 , WWW.MEMSET.COM/REC, CRANLEIGH GB"


def test_ing_nl_af_bij_gives_the_direction() -> None:
    frame, _ = load("ing-nl.csv")
    assert list(frame["amount"]) == [-23.45, 3120.55, -1450.00, -4.60, 12.50, -27.80]
    semicolon, _ = load("ing-nl-2020.csv")
    assert list(semicolon["amount"]) == list(frame["amount"])
    assert semicolon["balance"].iloc[2] == 149.13


def test_ing_de_preamble_latin1_and_second_currency_column() -> None:
    frame, _ = load("ing-de.csv")
    assert frame["record"].iloc[0] == 16  # 14 preamble lines, the header on line 15
    assert frame["description"].iloc[4] == "Anna Schmidt Pizza Geld zurück"
    assert frame["balance"].iloc[0] == 4341.87 and frame["currency"].eq("EUR").all()
    assert set(frame["source"]) == {"bank:DE91 1000 0000 0123 4567 89"}
    categories, _ = load("ing-de-kategorie.csv")
    assert list(categories["category"].iloc[:2]) == ["Gehalt", "Wohnen"]


def test_deutsche_bank_amounts_without_fixed_decimals_and_footer() -> None:
    frame, report = load("deutsche-bank.csv")
    assert list(frame["amount"]) == [-23.70, 3120.55, -39.99, -100.00, -1050.00, -3.20]
    assert frame["time"].iloc[3] == pd.Timestamp("2023-12-05", tz="UTC")  # "5.12.2023"
    assert set(frame["source"]) == {"bank:DE12100700240123456700"}
    assert any("Kontostand;18.12.2023" in note for note in report.notes)


def test_dkb_2023_two_digit_years_and_loose_decimals() -> None:
    frame, _ = load("dkb-2023.csv")
    assert list(frame["amount"]) == [3120.55, -1050.00, -34.18, -39.99, 12.50]
    assert frame["time"].iloc[0] == pd.Timestamp("2024-03-28", tz="UTC")
    assert set(frame["source"]) == {"bank:DE12120300001234567890"}
    legacy, _ = load("dkb-legacy.csv")
    assert set(legacy["source"]) == {"bank:DE12120300001234567890"}
    assert legacy["description"].iloc[-1] == "Anna Schmidt Pizza Geld zurück"


def test_sparkasse_camt_two_digit_years_and_booked_rows_only() -> None:
    frame, _ = load("sparkasse-csv-camt.csv")
    assert list(frame["amount"]) == [-34.18, 3120.55, -39.99, -100.00, -12.50]
    assert frame["counterparty"].iloc[0] == "EDEKA Center Müller"
    assert set(frame["source"]) == {"bank:DE44150502000301234567"}


def test_ynab_dollar_split_columns_and_accounts() -> None:
    frame, _ = load("ynab.csv")
    assert list(frame["amount"]) == [2315.40, -58.23, -4.75, -112.86, -500.00, 500.00, -23.80]
    assert set(frame["source"]) == {"bank:Checking", "bank:Savings"}
    assert frame["category"].iloc[1] == "Groceries"
