"""Bank and card statement CSVs: presets for the real exports, the generic detector, mappings.

Counts are checked against an independent count of the file's records made here with the
csv module; amounts are checked with their sign from the holder's view (money out < 0).
"""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.dataset import import_file
from auditor.importers import bank_csv, bank_layout
from auditor.importers.bank_table import normalise_newlines, parse_amounts, parse_dates
from auditor.importers.base import BadInput, FileRef, Head, ImportReport, strip_bom
from auditor.registry import by_id
from auditor.sources import claim, discover, read_head

IMPORTER = by_id("bank-csv")
HERE = "bank-csv"


@pytest.fixture(autouse=True)
def no_personal_presets(monkeypatch, tmp_path):
    """Tests never see the developer's own presets or mapping."""
    monkeypatch.setattr(bank_layout, "USER_DIR", tmp_path / "no-user-presets")
    monkeypatch.delenv(bank_layout.PRESETS_ENV, raising=False)
    monkeypatch.delenv(bank_layout.MAPPING_ENV, raising=False)


def load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("transactions"), report


def data_records(
    path: Path, encoding: str, delimiter: str, header_line: int | None
) -> list[tuple[int, list[str]]]:
    """(start line, fields) of every non-blank record after the header, by the csv module."""
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(normalise_newlines(text)), delimiter=delimiter)
    records, previous = [], 0
    for fields in reader:
        start, previous = previous + 1, reader.line_num
        if (header_line is None or start > header_line) and any(f.strip() for f in fields):
            records.append((start, fields))
    return records


# --- Every real fixture: the right preset, every record, the right signs ----------------------

# path, preset title (report.detail), encoding, delimiter, header line, records skipped on purpose
FIXTURES = [
    ("n26_de/20171001-20171106.csv", "N26 (German headers, until 2020)", "utf-8", ",", 1, 0),
    ("n26_2020/n26-fr.csv", "N26 (2020 on)", "utf-8", ",", 1, 0),
    ("sparkasse/20180226-1000594757-umsatz.CSV", "Sparkasse (CSV-MT940)", "utf-8", ";", 1, 0),
    (
        "sparkasse_creditcard/umsatz-1234________1234-20180227.CSV",
        "Sparkasse credit card",
        "cp1252",
        ";",
        1,
        0,
    ),
    ("commerzbank/Umsaetze_KtoNr538917600_EUR_02-03-2018_1503.CSV", "Commerzbank", "utf-8", ";", 1, 0),
    (
        "monzo_2018/MonzoDataExport_February2018_2018-02-26_174335.csv",
        "Monzo (2018 export)",
        "utf-8",
        ",",
        1,
        0,
    ),
    ("bank_of_ireland/test_BOI_TransactionExport.csv", "Bank of Ireland", "utf-8", ",", 1, 0),
    ("barclaycard_uk/statement_1.csv", "Barclaycard (UK)", "utf-8", ",", None, 0),
    ("first_direct_uk/20180226_12345678.csv", "first direct", "utf-8", ",", 1, 0),
    (
        "john_lewis_card_uk/MS_JANE_SMITH_01-12-2019_14-12-2019.csv",
        "John Lewis Partnership Card (NewDay)",
        "utf-8-sig",
        ",",
        1,
        3,
    ),
    ("rabobank_nl/CSV_A_20180414_112204.csv", "Rabobank (NL)", "cp1252", ",", 1, 0),
    ("bunq_nl/2019-03-02_11-50-46_bunq-statement.csv", "bunq", "utf-8", ",", 1, 0),
    ("mint/mint.csv", "Mint (transactions.csv)", "utf-8", ",", 1, 0),
    ("capital_one_card/capitalone.csv", "Capital One credit card", "utf-8", ",", 1, 0),
    ("schwab_checking/schwab-checking.csv", "Charles Schwab checking", "utf-8", ",", 1, 0),
    ("pc_mastercard_ca/pcmastercard.csv", "PC Financial Mastercard (CA)", "utf-8", ",", 1, 0),
    ("outbank_de/outbank.csv", "Outbank (app export)", "utf-8", ";", 1, 0),
    ("ynab4/ynab4-rtl.csv", "YNAB4 (register export)", "utf-8", ",", 1, 0),
    # Two bank2ynab test files with no bank behind them: the generic detector's job.
    ("bank2ynab_generic/test_row_format_CD_flag.csv", "generic", "utf-8", ";", None, 4),
    ("bank2ynab_generic/test_row_format_neg_inflow.csv", "generic", "utf-8", ";", None, 1),
]


@pytest.mark.parametrize(("path", "title", "encoding", "delimiter", "header_line", "skipped"), FIXTURES)
def test_every_real_fixture_is_read_by_its_layout_with_every_record(
    shared_fixtures, path, title, encoding, delimiter, header_line, skipped
):
    file = shared_fixtures / "bank_csv" / path
    transactions, report = load(file)
    assert report.error is None
    assert report.detail == title or (title == "generic" and report.detail.startswith("generic (confidence"))
    records = data_records(file, encoding, delimiter, header_line)
    assert len(transactions) == len(records) - skipped
    assert report.skipped_total == skipped
    kept_lines = set(transactions["record"])
    assert kept_lines <= {line for line, _ in records}
    assert transactions["time"].notna().all() and transactions["amount"].notna().all()
    assert (transactions["importer"] == "bank-csv").all()
    assert transactions["source"].str.startswith("bank:").all()


def test_every_real_bank_fixture_is_claimed_by_bank_csv(shared_fixtures):
    files = discover([shared_fixtures / "bank_csv"]).files
    claims, unclaimed = claim(files)
    assert unclaimed == []
    assert {c.ref.name: c.importer.id for c in claims} == {f.name: "bank-csv" for f in files}
    presets = [c for c in claims if "bank2ynab_generic" not in c.ref.display]
    assert all(c.confidence >= 0.8 for c in presets)
    generic = [c for c in claims if "bank2ynab_generic" in c.ref.display]
    assert generic and all(0 < c.confidence <= 0.5 for c in generic)


def test_no_other_fixture_is_taken_for_a_confident_statement(shared_fixtures):
    for ref in discover([shared_fixtures]).files:
        if "/bank_csv/" in ref.display:
            continue
        confidence = bank_csv.sniff(read_head(ref))
        assert confidence <= bank_csv.GENERIC_SNIFF_SCALE, ref.display
        if ref.suffix in (".json", ".gpx", ".ofx", ".qfx", ".xml", ".kml"):
            assert confidence == 0, ref.display


def row(transactions: pd.DataFrame, line: int) -> pd.Series:
    (match,) = transactions.index[transactions["record"] == line]
    return transactions.loc[match]


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_bank_of_ireland_split_columns_give_signed_amounts(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/bank_of_ireland/test_BOI_TransactionExport.csv")
    credit, bill = row(transactions, 2), row(transactions, 4)
    assert (credit["time"], credit["amount"], credit["balance"]) == (day("2017-09-01"), 428.03, 100.0)
    assert (bill["description"], bill["amount"]) == ("Random Bill", -512.0)
    assert row(transactions, 3)["description"].startswith("Éáú üüüümlaut!")
    assert not transactions["has_time"].any() and (transactions["utc_offset_min"] == 0).all()
    assert set(transactions["currency"]) == {"EUR"}


def test_john_lewis_card_charges_out_payments_in_pending_skipped(shared_fixtures):
    transactions, report = load(
        shared_fixtures / "bank_csv/john_lewis_card_uk/MS_JANE_SMITH_01-12-2019_14-12-2019.csv"
    )
    insurance, payment = row(transactions, 5), row(transactions, 14)
    assert (insurance["time"], insurance["amount"]) == (day("2019-12-12"), -1183.23)
    assert (payment["description"], payment["time"], payment["amount"]) == (
        "PAYMENT RECEIVED - THANK YOU",
        day("2019-12-02"),
        1100.0,
    )
    (pending,) = report.skipped.values()
    assert pending.records == [2, 3, 4] and "pending" in pending.reason


def test_rabobank_explicit_signs_latin1_and_a_stray_quote(shared_fixtures):
    transactions, report = load(shared_fixtures / "bank_csv/rabobank_nl/CSV_A_20180414_112204.csv")
    assert list(transactions["record"]) == [2, 3, 4]  # CR CR LF counts as one line end
    prize = row(transactions, 3)  # this line opens without its first quote
    assert (prize["amount"], prize["balance"], prize["account"]) == (50.0, 13084.53, "NL77RABO0311467415")
    assert prize["counterparty"] == "Nederlandse Loterij Organisatie B.V."
    assert row(transactions, 2)["amount"] == -337.49
    assert set(transactions["source"]) == {"bank:NL77RABO0311467415"}
    assert any("cp1252" in note for note in report.notes)


def test_mint_cr_only_lines_and_unsigned_amounts_with_transaction_type(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/mint/mint.csv")
    assert list(transactions["record"]) == [2, 3, 4, 5]
    assert list(transactions["amount"]) == [-1000.0, -1500.0, 2000.0, -2500.0]
    assert row(transactions, 4)["time"] == day("2015-06-13")
    assert list(transactions["account"]) == ["Savings", "Checking", "Checking", "Checking"]


def test_capital_one_card_purchase_negative_payment_positive(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/capital_one_card/capitalone.csv")
    assert list(transactions["amount"]) == [-1000.0, 1000.0]
    assert list(transactions["description"]) == ["Airplanes R Us", "CAPITAL ONE AUTOPAY PYMT"]
    assert set(transactions["source"]) == {"bank:1234"}


def test_schwab_dollar_amounts_in_split_columns(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/schwab_checking/schwab-checking.csv")
    deposit, atm, ach = row(transactions, 2), row(transactions, 3), row(transactions, 5)
    assert (deposit["amount"], atm["amount"], ach["amount"]) == (20.0, -103.0, -57.27)
    assert ach["balance"] == 1036.47 and atm["time"] == day("2022-08-14")


def test_bunq_refund_positive(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/bunq_nl/2019-03-02_11-50-46_bunq-statement.csv")
    assert row(transactions, 2)["amount"] == -8.78
    refund = row(transactions, 4)
    assert refund["amount"] == 8.78 and refund["description"].startswith("Refund: CLOUDFLARE")


def test_monzo_2018_time_is_utc_with_no_local_offset(shared_fixtures):
    transactions, report = load(
        shared_fixtures / "bank_csv/monzo_2018/MonzoDataExport_February2018_2018-02-26_174335.csv"
    )
    (tesco,) = transactions.itertuples()
    assert tesco.time == pd.Timestamp("2018-02-25 12:34:56", tz="UTC")
    assert tesco.has_time and pd.isna(tesco.utc_offset_min)
    assert (tesco.amount, tesco.currency, tesco.category) == (-10.0, "GBP", "general")
    assert "--timezone" in report.timezone


def test_pc_mastercard_local_time_kept_as_wall_clock_and_charges_negative(shared_fixtures):
    transactions, report = load(shared_fixtures / "bank_csv/pc_mastercard_ca/pcmastercard.csv")
    mobil = row(transactions, 2)
    assert mobil["time"] == pd.Timestamp("2019-01-10 18:50", tz="UTC")
    assert mobil["has_time"] and mobil["utc_offset_min"] == 0
    assert list(transactions["amount"]) == [-36.33, -13.98]
    assert "wall-clock" in report.timezone


def test_barclaycard_headerless_month_name_dates(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/barclaycard_uk/statement_1.csv")
    (purchase,) = transactions.itertuples()
    assert (purchase.record, purchase.time, purchase.amount, purchase.currency) == (
        1,
        day("2018-02-10"),
        -20.59,
        "GBP",
    )
    assert purchase.category == "Household"


def test_german_layouts_decimal_comma_and_two_digit_years(shared_fixtures):
    sparkasse, _ = load(shared_fixtures / "bank_csv/sparkasse/20180226-1000594757-umsatz.CSV")
    assert (sparkasse["time"].iloc[0], sparkasse["amount"].iloc[0]) == (day("2018-02-22"), -36.99)
    assert sparkasse["counterparty"].iloc[0] == "Vodafone Kabel DeutschlandGmbH"
    card, _ = load(shared_fixtures / "bank_csv/sparkasse_creditcard/umsatz-1234________1234-20180227.CSV")
    assert (card["amount"].iloc[0], card["time"].iloc[0]) == (-5.0, day("2018-02-20"))
    outbank, _ = load(shared_fixtures / "bank_csv/outbank_de/outbank.csv")
    assert list(outbank["amount"]) == [100.0, -63.89, -47.0, -25.0]
    assert row(outbank, 3)["time"] == day("2019-02-08")


def test_ynab4_currency_sign_before_the_number_gives_the_currency(shared_fixtures):
    transactions, _ = load(shared_fixtures / "bank_csv/ynab4/ynab4-rtl.csv")
    assert list(transactions["amount"]) == [-4.75, -93.21]
    assert list(transactions["balance"]) == [0.0, 56.79]
    assert set(transactions["currency"]) == {"JOD"}


def test_bank2ynab_generic_files_direction_column_and_unreadable_rows(shared_fixtures):
    transactions, report = load(shared_fixtures / "bank_csv/bank2ynab_generic/test_row_format_CD_flag.csv")
    assert row(transactions, 1)["amount"] == -33.87
    assert row(transactions, 10)["amount"] == 24.0  # "Überweisung ... I": money in
    reasons = {r: g.records for r, g in report.skipped.items()}
    assert reasons["line 71: date 'A null transaction, just to confuse t...' is not a DD.MM.YYYY date"] == [
        71
    ]
    assert reasons["lines 72, 73, 74: direction 'EUR' in column 5 is neither out (O) nor in (I)"] == [
        72,
        73,
        74,
    ]
    signed, _ = load(shared_fixtures / "bank_csv/bank2ynab_generic/test_row_format_neg_inflow.csv")
    assert row(signed, 1)["amount"] == -33.87 and row(signed, 10)["amount"] == 24.0
    assert set(signed["currency"]) == {"EUR"}


# --- Our own samples: the quirks, each on purpose ---------------------------------------------


def test_sparkasse_latin1_crlf_quoted_line_break_thousands_pending_and_bad_date(data_dir):
    transactions, report = load(data_dir / HERE / "20180306-0123456789-umsatz.CSV")
    assert list(transactions["record"]) == [2, 3, 5, 8]  # the quoted line break spans lines 3-4
    assert list(transactions["amount"]) == [2345.67, -3.8, -1234.56, 19.99]
    assert row(transactions, 3)["description"] == "Bäckerei Müller\nFiliale Süd"
    reasons = {r: g.records for r, g in report.skipped.items()}
    assert reasons["line 6: date '31.02.18' is not a DD.MM.YY date"] == [6]
    (pending,) = [r for r in reasons if r.startswith("pending")]
    assert reasons[pending] == [7] and "Umsatz vorgemerkt" in pending
    assert set(transactions["source"]) == {"bank:0123456789"}


def test_schwab_preamble_above_the_header_and_pending_row(data_dir):
    transactions, report = load(data_dir / HERE / "schwab-with-preamble.csv")
    assert report.detail == "Charles Schwab checking"
    assert list(transactions["record"]) == [6, 7, 8]
    assert list(transactions["amount"]) == [2104.55, -6.45, -1250.0]
    assert [g.records for g in report.skipped.values()] == [[5]]


def test_john_lewis_bom_crlf_and_cr_marker(data_dir):
    transactions, _ = load(data_dir / HERE / "MR_JOHN_SAMPLE_01-11-2019_20-11-2019.csv")
    assert list(transactions["amount"]) == [-1045.99, 45.0, 1500.0]
    assert list(transactions["record"]) == [3, 4, 5]


@pytest.mark.parametrize("line_end", ["\n", "\r\n", "\r"])
def test_line_ends_do_not_change_what_is_read(data_dir, tmp_path, line_end):
    text = (data_dir / HERE / "mint-transactions.csv").read_bytes().decode("utf-8")
    file = tmp_path / "transactions.csv"
    file.write_bytes(text.replace("\r", line_end).encode("utf-8"))
    transactions, report = load(file)
    assert report.detail == "Mint (transactions.csv)"
    assert list(transactions["record"]) == [2, 3, 4, 5]
    assert list(transactions["amount"]) == [-84.12, 2450.0, -1200.0, 19.99]
    assert row(transactions, 4)["description"] == "CHECK 1042, RENT JAN"


def test_bom_and_utf16_are_read(data_dir, tmp_path):
    text = (data_dir / HERE / "mint-transactions.csv").read_bytes().decode("utf-8")
    for name, data in (
        ("bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8")),
        ("utf16.csv", text.encode("utf-16")),
    ):
        file = tmp_path / name
        file.write_bytes(data)
        assert bank_csv.sniff(read_head(FileRef(file))) >= 0.9
        transactions, report = load(file)
        assert report.detail == "Mint (transactions.csv)" and len(transactions) == 4


def test_wrong_encoding_falls_back_to_detection_and_says_so(tmp_path):
    # The Monzo 2018 preset allows UTF-8 only; a Windows-1252 copy is decoded by detection.
    header = "id,created,amount,currency,local_amount,local_currency,category,emoji,description,address,notes,receipt\n"
    rows = "".join(
        f"tx_{i:04d},2018-02-{10 + i} 09:00:00 +0000,-{i}.50,GBP,-{i}.50,GBP,eating_out,,Café Crème {i},,,\n"
        for i in range(1, 9)
    )
    file = tmp_path / "MonzoDataExport_February2018.csv"
    file.write_bytes((header + rows).encode("cp1252"))
    transactions, report = load(file)
    assert report.detail == "Monzo (2018 export)" and len(transactions) == 8
    assert any("detected" in note for note in report.notes)
    assert transactions["amount"].iloc[0] == -1.5


def test_unclosed_quote_at_the_end_keeps_the_rows_before_it(data_dir, tmp_path):
    text = (data_dir / HERE / "schwab-with-preamble.csv").read_text(encoding="utf-8")
    file = tmp_path / "schwab.csv"
    file.write_text(text + '"08/24/2022","Posted","VISA","","UNFINISHED', encoding="utf-8")
    transactions, report = load(file)
    assert list(transactions["record"]) == [6, 7, 8]
    assert report.skipped_total == 2  # the pending row, and the cut one without an amount


def test_empty_file_and_binary_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    _, report = load(empty)
    assert "empty" in report.error
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    assert bank_csv.sniff(read_head(FileRef(binary))) == 0


def test_a_csv_that_is_not_a_statement_is_not_claimed(data_dir):
    assert bank_csv.sniff(read_head(FileRef(data_dir / HERE / "contacts.csv"))) == 0


def test_footer_lines_end_the_data(tmp_path):
    (tmp_path / "auditor-mapping.yaml").write_text(
        "file: 'midata*.csv'\ntitle: UK midata\ndate_format: '%d/%m/%Y'\n"
        "columns: {date: Date, description: Merchant/Description, amount: Debit/Credit, balance: Balance, type: Type}\n"
        "currency: GBP\nfooter: '^Arranged overdraft limit'\n",
        encoding="utf-8",
    )
    file = tmp_path / "midata_1234.csv"
    file.write_text(
        "Date,Type,Merchant/Description,Debit/Credit,Balance\n"
        '01/03/2024,VIS,PRET A MANGER,-£3.01,"£1,204.22"\n'
        '02/03/2024,CR,SALARY,+£400.71,"£1,604.93"\n'
        "\n"
        "Arranged overdraft limit,02/03/2024,+£500.00\n",
        encoding="utf-8",
    )
    transactions, report = load(file)
    assert list(transactions["amount"]) == [-3.01, 400.71]
    assert list(transactions["balance"]) == [1204.22, 1604.93]
    assert report.skipped_total == 0
    assert any("footer line(s) from line 5" in note for note in report.notes)


def test_a_pasted_second_header_is_skipped_as_such(data_dir, tmp_path):
    text = (data_dir / HERE / "schwab-with-preamble.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    file = tmp_path / "two.csv"
    file.write_text("".join(lines + lines[3:]), encoding="utf-8")
    transactions, report = load(file)
    assert len(transactions) == 6
    assert any(r.startswith("a copy of the header line") for r in report.skipped)


# --- Amounts and dates, the rules of formats.md §4.5 -------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("-5.00", ".", -5.0),
        ("1,234.50", ".", 1234.5),
        ("£67.40", ".", 67.4),
        ("+ £1,100.00", ".", 1100.0),
        ("-£3.01", ".", -3.01),
        ("£-3.01", ".", -3.01),
        ("($1.00)", ".", -1.0),
        ("$1,036.47", ".", 1036.47),
        ("12.34-", ".", -12.34),
        ("EUR 5", ".", 5.0),
        ("د.ا.\u200f4.750", ".", 4.75),
        ("1'234.50", ".", 1234.5),
        ("-337,49", ",", -337.49),
        ("+5257,28", ",", 5257.28),
        ("1.234,56", ",", 1234.56),
        ("-6", ",", -6.0),
        ("100,8", ",", 100.8),
        ("12,00 €", ",", 12.0),
        ("1 234,56", ",", 1234.56),
    ],
)
def test_amounts_as_statements_write_them(text, decimal, value):
    parsed = parse_amounts(pd.Series([text], dtype="str"), decimal)
    assert parsed.values.iloc[0] == pytest.approx(value) and not parsed.invalid[0]


@pytest.mark.parametrize(
    ("text", "decimal"), [("12,3x", ","), ("1.234.56", "."), ("abc", "."), ("CR 3", "."), ("1,2,3", ",")]
)
def test_amounts_that_are_not_numbers_are_flagged(text, decimal):
    parsed = parse_amounts(pd.Series([text], dtype="str"), decimal)
    assert parsed.invalid[0] and np.isnan(parsed.values.iloc[0])


def test_currency_signs_name_the_currency_but_dollar_does_not():
    parsed = parse_amounts(
        pd.Series(["£1.00", "12.00 €", "$3.00", "EUR 5", "4.00", "د.ا.\u200f4.750"], dtype="str"), "."
    )
    assert parsed.currency.iloc[[0, 1, 3, 5]].tolist() == ["GBP", "EUR", "EUR", "JOD"]
    assert pd.isna(parsed.currency.iloc[2]) and pd.isna(parsed.currency.iloc[4])


def test_a_date_format_list_picks_one_format_for_the_whole_file():
    dates = parse_dates(pd.Series(["6/12/15", "6/13/15"], dtype="str"), ["%m/%d/%Y", "%m/%d/%y"])
    assert dates.fmt == "%m/%d/%y" and list(dates.values.dt.day) == [12, 13]
    ambiguous = parse_dates(pd.Series(["03/04/2021", "05/04/2021"], dtype="str"), ["%d/%m/%Y", "%m/%d/%Y"])
    assert ambiguous.fmt == "%d/%m/%Y" and ambiguous.ambiguous_with == "%m/%d/%Y"


def test_a_bad_amount_row_is_skipped_naming_line_and_value(tmp_path):
    file = tmp_path / "20180226_12345678.csv"
    file.write_text(
        "Date,Description,Amount,Balance\n"
        "10/02/2018,MERCHANT ONE,-5.00,995.00\n"
        "11/02/2018,MERCHANT TWO,-12.3x,982.70\n"
        "12/02/2018,REFUND,+2.50,985.20\n",
        encoding="utf-8",
    )
    transactions, report = load(file)
    assert report.detail == "first direct"
    assert list(transactions["amount"]) == [-5.0, 2.5]
    assert {r: g.records for r, g in report.skipped.items()} == {
        "line 3: amount '-12.3x' is not a number": [3]
    }


def test_after_ten_bad_rows_the_rest_are_grouped(tmp_path):
    rows = "".join(f"1{i % 9}/02/2018,SHOP {i},oops{i},1.00\n" for i in range(25))
    file = tmp_path / "20180226_12345678.csv"
    file.write_text("Date,Description,Amount,Balance\n10/02/2018,OK,-1.00,1.00\n" + rows, encoding="utf-8")
    _, report = load(file)
    assert report.skipped_total == 25
    grouped = report.skipped["amount is not a number (more lines like those above)"]
    assert grouped.count == 15 and len(report.skipped) == 11  # ten values, each named with its line
    assert report.skipped["line 3: amount 'oops0' is not a number"].records == [3]


# --- The generic detector ----------------------------------------------------------------------


def test_generic_reads_a_clear_unknown_layout_and_says_how_sure(data_dir):
    file = data_dir / HERE / "unknown-bank-chf.csv"
    confidence = bank_csv.sniff(read_head(FileRef(file)))
    assert 0 < confidence <= 0.5
    transactions, report = load(file)
    assert re.match(r"generic \(confidence (0\.[6-9]\d|1\.00): date='Buchungsdatum'", report.detail)
    assert "debit='Belastung CHF'" in report.detail and "credit='Gutschrift CHF'" in report.detail
    assert list(transactions["amount"]) == [-56.2, 6250.0, -4.4, -1980.0, -12.95]
    assert list(transactions["balance"])[0] == 4943.8  # "4'943.80"
    assert set(transactions["currency"]) == {"CHF"}
    assert set(transactions["source"]) == {"bank:unknown-bank-chf"}


def test_generic_refuses_an_ambiguous_layout_and_asks_for_a_mapping(data_dir):
    file = data_dir / HERE / "unknown-layout.csv"
    assert (
        0
        < bank_csv.sniff(read_head(FileRef(file)))
        < bank_csv.GENERIC_SNIFF_SCALE * bank_csv.GENERIC_THRESHOLD
    )
    transactions, report = load(file)
    assert transactions is None
    assert report.error.startswith("not sure of this layout")
    assert "DD/MM/YYYY and MM/DD/YYYY" in report.error
    assert "write a mapping file" in report.error and "README" in report.error


def test_a_mapping_file_beside_the_csv_reads_what_the_detector_refused(data_dir):
    file = data_dir / HERE / "mapping" / "storecard_2021-04.csv"
    assert bank_csv.sniff(read_head(FileRef(file))) == pytest.approx(0.99)
    transactions, report = load(file)
    assert report.detail == "Store card (mapping auditor-mapping.yaml)"
    assert list(transactions["amount"]) == [-4.5, -12.0, 12.0, -45.0]  # charges out, the refund in
    assert transactions["time"].iloc[0] == day("2021-04-03")  # DD/MM, as the mapping says
    assert {r: g.records for r, g in report.skipped.items()} == {
        "line 5: date 'Total' is not a DD/MM/YYYY date": [5]
    }
    assert set(transactions["source"]) == {"bank:Store card"}


def test_a_mapping_named_by_the_environment(data_dir, tmp_path, monkeypatch):
    mapping = tmp_path / "my-cards.yaml"
    mapping.write_text(
        "- file: 'nothing-*.csv'\n  date_format: '%d/%m/%Y'\n  columns: {date: 0, description: 1, amount: 2}\n"
        "- file: 'unknown-layout.csv'\n  date_format: '%m/%d/%Y'\n  columns: {date: 0, description: 1, amount: 2}\n"
        "  sign: inverted\n  currency: USD\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(bank_layout.MAPPING_ENV, str(mapping))
    transactions, report = load(data_dir / HERE / "unknown-layout.csv")
    assert report.detail == "your layout (mapping my-cards.yaml)"
    assert transactions["time"].iloc[0] == day("2021-03-04")  # MM/DD this time
    assert set(transactions["source"]) == {"bank:unknown-layout"}


def test_a_mapping_whose_columns_are_not_in_the_file_says_so(tmp_path):
    (tmp_path / "auditor-mapping.yaml").write_text(
        "file: '*.csv'\ndate_format: '%d/%m/%Y'\ncolumns: {date: Datum, description: Text, amount: Betrag}\n",
        encoding="utf-8",
    )
    file = tmp_path / "x.csv"
    file.write_text("Date,Text,Amount\n01/02/2020,A,1.00\n", encoding="utf-8")
    _, report = load(file)
    assert "none of the first 30 lines holds its columns" in report.error and "'Datum'" in report.error


# --- Presets: validation, user presets -----------------------------------------------------------


def test_every_shipped_preset_is_valid_and_named_after_its_file():
    shipped = [layout for layout in bank_layout.load_presets().layouts if layout.kind == "preset"]
    assert not bank_layout.load_presets().problems
    files = sorted(bank_layout.SHIPPED_DIR.glob("*.yaml"))
    assert len(shipped) == len(files) >= 18
    for layout in shipped:
        assert Path(layout.origin).stem == layout.id
        assert layout.source, layout.id


def test_preset_mistakes_are_all_reported_with_line_and_a_hint():
    _, problems = bank_layout.parse_yaml(
        "id: my-bank\ntitle: My bank\nmatch: {header: [Date, Text, Amount]}\ndate_fromat: '%d/%m/%Y'\n"
        "columns: {date: Date, descripton: Text, amount: Amout}\nsign: flipped\n",
        "my-bank.yaml",
        kind="user preset",
    )
    text = "\n".join(problems)
    assert (
        "my-bank.yaml, line 4: date_fromat: unknown key 'date_fromat' (did you mean 'date_format'?)" in text
    )
    assert "line 5: columns.descripton: unknown key 'descripton' (did you mean 'description'?)" in text
    assert "columns.amount: 'Amout' is not in match.header (did you mean 'Amount'?)" in text
    assert "sign: 'flipped' is not one of" in text
    assert "date_format: is required" in text


def test_a_broken_user_preset_is_reported_and_a_good_one_is_used(data_dir, tmp_path, monkeypatch):
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: broken\ntitle: [oops\n", encoding="utf-8")
    (folder / "swiss-bank.yaml").write_text(
        "id: swiss-bank\ntitle: My Swiss bank\nsource: my own statements\n"
        "match: {header: [Buchungsdatum, Buchungstext, Belastung CHF, Gutschrift CHF, Saldo CHF]}\n"
        "delimiter: ';'\ndate_format: '%d.%m.%Y'\ncurrency: CHF\n"
        "columns: {date: Buchungsdatum, description: Buchungstext, debit: Belastung CHF, credit: Gutschrift CHF, balance: Saldo CHF}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv(bank_layout.PRESETS_ENV, str(folder))
    transactions, report = load(data_dir / HERE / "unknown-bank-chf.csv")
    assert report.detail == "My Swiss bank (your preset swiss-bank.yaml)"
    assert list(transactions["amount"])[:2] == [-56.2, 6250.0]
    assert any("broken.yaml" in note and "not valid YAML" in note for note in report.notes)
    assert set(transactions["source"]) == {"bank:My Swiss bank"}


SWISS_HEADER = "Buchungsdatum;Buchungstext;Belastung CHF;Gutschrift CHF;Saldo CHF"


def swiss_preset(skip_pattern: str) -> str:
    return (
        "id: swiss-bank\ntitle: My Swiss bank\nsource: my own statements\n"
        "match: {header: [Buchungsdatum, Buchungstext, Belastung CHF, Gutschrift CHF, Saldo CHF]}\n"
        "delimiter: ';'\ndate_format: '%d.%m.%Y'\ncurrency: CHF\n"
        "columns: {date: Buchungsdatum, description: Buchungstext, debit: Belastung CHF, credit: Gutschrift CHF, balance: Saldo CHF}\n"
        f"skip_rows:\n  - {{column: description, pattern: '{skip_pattern}', reason: a row I skip}}\n"
    )


def test_a_preset_pattern_built_to_backtrack_runs_in_linear_time(tmp_path, monkeypatch):
    """(a+)+$ against 40 a's and a '!' takes Python's re about 2^40 steps; RE2 answers at once."""
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "swiss-bank.yaml").write_text(swiss_preset("(a+)+$"), encoding="utf-8")
    monkeypatch.setenv(bank_layout.PRESETS_ENV, str(folder))
    statement = tmp_path / "konto.csv"
    statement.write_text(
        f"{SWISS_HEADER}\n01.02.2024;{'a' * 40}!;12.50;;100.00\n02.02.2024;aaaa;3.00;;97.00\n"
        "03.02.2024;Migros;20.00;;77.00\n",
        encoding="utf-8",
    )
    transactions, report = load(statement)
    assert report.detail == "My Swiss bank (your preset swiss-bank.yaml)"
    # The pattern still means what it says: 'aaaa' ends in a's and is skipped; the others are not.
    assert list(transactions["description"]) == [f"{'a' * 40}!", "Migros"]
    assert report.skipped_total == 1 and any("a row I skip" in reason for reason in report.skipped)


def test_a_preset_pattern_re2_cannot_run_is_refused_with_its_line(tmp_path, monkeypatch):
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "swiss-bank.yaml").write_text(swiss_preset("^(?!Migros)"), encoding="utf-8")
    monkeypatch.setenv(bank_layout.PRESETS_ENV, str(folder))
    problems = "\n".join(bank_layout.load_presets().problems)
    assert "swiss-bank.yaml, line 10: skip_rows[0].pattern: '^(?!Migros)' is refused" in problems
    assert "RE2 has no lookaround: match the wider text instead" in problems


def test_readme_documents_every_key():
    readme = (bank_layout.SHIPPED_DIR / "README.md").read_text(encoding="utf-8")
    keys = (*bank_layout.TOP_KEYS, "file", *bank_layout.MATCH_KEYS, *bank_layout.COLUMN_FIELDS, "out", "in")
    missing = [key for key in keys if not re.search(rf"(`{key}`|\b{key}:)", readme)]
    assert missing == []


# --- Speed ---------------------------------------------------------------------------------------


def test_fifty_thousand_rows_load_fast_and_keep_their_lines(tmp_path):
    n = 50_000
    days = pd.date_range("2020-01-01", periods=n, freq="15min").strftime("%d.%m.%y")
    amounts = [f"{'-' if i % 3 else ''}{(i * 37) % 5000}.{i % 100:02d}".replace(".", ",") for i in range(n)]
    lines = [
        f'"0123456789";"{d}";"{d}";"KARTENZAHLUNG";"Einkauf {i}";"Händler {i % 50}";"";"";"{a}";"EUR";"Umsatz gebucht"'
        for i, (d, a) in enumerate(zip(days, amounts, strict=True))
    ]
    header = '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"'
    file = tmp_path / "big-umsatz.CSV"
    file.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode("cp1252"))
    # How fast is bench/bank_bench.py's business; here every row must arrive with its line.
    transactions, report = load(file)
    assert len(transactions) == n and report.skipped_total == 0
    assert transactions["record"].iloc[-1] == n + 1
    assert transactions["amount"].iloc[1] == float(amounts[1].replace(",", ".")) < 0


# --- Optional keys: timezone, time column, fee, keep_if, account from file name or preamble ------


def test_a_named_zone_converts_local_times_with_each_days_offset(tmp_path):
    (tmp_path / "auditor-mapping.yaml").write_text(
        "file: 'app-*.csv'\ntitle: App account\ndate_format: '%d/%m/%Y'\ntime_format: '%H:%M:%S'\n"
        "timezone: Europe/London\ncurrency: GBP\n"
        "columns: {date: Date, time: Time, description: Name, amount: Amount, fee: Fee, status: State}\n"
        "keep_if: {column: status, in: [COMPLETED]}\n",
        encoding="utf-8",
    )
    file = tmp_path / "app-2024.csv"
    file.write_text(
        "Date,Time,Name,Amount,Fee,State\n"
        "15/01/2024,12:00:00,Winter lunch,-10.00,0.50,COMPLETED\n"
        "01/07/2024,12:00:00,Summer lunch,-10.00,,COMPLETED\n"
        "27/10/2024,01:30:00,Clocks go back,-1.00,,COMPLETED\n"
        "02/07/2024,,Refund,4.00,,COMPLETED\n"
        "03/07/2024,09:00:00,Declined,-99.00,,DECLINED\n",
        encoding="utf-8",
    )
    transactions, report = load(file)
    assert list(transactions["amount"]) == [-10.5, -10.0, -1.0, 4.0]  # the fee is money out too
    assert list(transactions["time"]) == [
        pd.Timestamp("2024-01-15 12:00", tz="UTC"),
        pd.Timestamp("2024-07-01 11:00", tz="UTC"),
        pd.Timestamp("2024-10-27 01:30", tz="UTC"),  # the repeated hour, read as standard time
        pd.Timestamp("2024-07-02 00:00", tz="UTC"),
    ]
    assert list(transactions["utc_offset_min"]) == [0, 60, 0, 0]
    assert list(transactions["has_time"]) == [True, True, True, False]
    assert "Europe/London" in report.timezone and "date only" in report.timezone
    (declined,) = report.skipped.values()
    assert declined.records == [6] and "'DECLINED'" in declined.reason


def test_account_from_the_file_name_or_the_preamble(tmp_path):
    (tmp_path / "auditor-mapping.yaml").write_text(
        "- file: 'Umsaetze_*.csv'\n  delimiter: ';'\n  decimal: ','\n  date_format: '%d.%m.%Y'\n"
        "  columns: {date: Datum, description: Text, amount: Betrag}\n  currency: EUR\n"
        "  account: 'filename:^Umsaetze_KtoNr(\\d+)'\n"
        "- file: 'konto-*.csv'\n  delimiter: ';'\n  decimal: ','\n  date_format: '%d.%m.%Y'\n"
        "  columns: {date: Datum, description: Text, amount: Betrag}\n  currency: EUR\n"
        '  account: \'preamble:^"?Kontonummer:"?;"?([^";]+)\'\n',
        encoding="utf-8",
    )
    rows = "Datum;Text;Betrag\n01.02.2020;Miete;-800,00\n03.02.2020;Gehalt;2.100,00\n"
    by_name = tmp_path / "Umsaetze_KtoNr538917600_EUR.csv"
    by_name.write_text(rows, encoding="utf-8")
    by_preamble = tmp_path / "konto-2020.csv"
    by_preamble.write_text('"Kontonummer:";"DE12 1203 0000 1234";\n\n' + rows, encoding="utf-8")
    named, _ = load(by_name)
    assert set(named["source"]) == {"bank:538917600"} and set(named["account"]) == {"538917600"}
    preamble, _ = load(by_preamble)
    assert set(preamble["source"]) == {"bank:DE12 1203 0000 1234"}
    assert list(preamble["record"]) == [4, 5] and list(preamble["amount"]) == [-800.0, 2100.0]


# --- Odd bytes never crash --------------------------------------------------------------------

_SAMPLES = sorted((Path(__file__).parent / "data" / HERE).glob("*.[cC][sS][vV]"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.floats(0, 1),
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_cut_or_damaged_statements_give_rows_or_a_message_never_a_crash(tmp_path, sample, cut, edits):
    data = bytearray(sample.read_bytes())
    data = data[: int(len(data) * cut)] if cut < 0.9 else data
    for where, value in edits:
        if data:
            data[int(where * (len(data) - 1))] = value
    file = tmp_path / sample.name
    file.write_bytes(bytes(data))
    bank_csv.sniff(Head(FileRef(file), strip_bom(bytes(data))))
    report = ImportReport(str(file))
    try:
        frames = bank_csv.load(FileRef(file), report)
    except BadInput as problem:
        assert problem.message
    else:
        assert frames["transactions"]["amount"].notna().all()


def test_a_known_header_with_other_dates_is_read_by_the_generic_detector(tmp_path):
    # first direct's header, but US dates (a day above 12 in the month's place).
    file = tmp_path / "checking.csv"
    file.write_text(
        "Date,Description,Amount,Balance\n"
        "03/14/2023,PAYROLL ACME,2500.00,3100.00\n"
        "03/15/2023,GROCERY STORE,-84.20,3015.80\n"
        "03/20/2023,ELECTRIC CO,-120.00,2895.80\n"
        "03/28/2023,COFFEE,-4.50,2891.30\n",
        encoding="utf-8",
    )
    transactions, report = load(file)
    assert report.detail.startswith("generic (confidence")
    assert transactions["time"].iloc[0] == day("2023-03-14")
    assert list(transactions["amount"]) == [2500.0, -84.2, -120.0, -4.5]
    assert any("header is that of first direct" in note for note in report.notes)
