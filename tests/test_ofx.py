"""OFX / QFX statements: ofxparse's real fixtures, our own samples, malformed files.

ofxparse (MIT, the most used OFX reader) is the independent count: every fixture's
transactions are counted and compared with it, except where ofxparse is known to drop
a row (an empty NAME, upstream issue #81/#143).
"""

from __future__ import annotations

import io
import re
import warnings
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from ofxparse import OfxParser
from ofxparse.ofxparse import AccountType

from auditor.dataset import import_file
from auditor.importers.base import FileRef, Head, strip_bom
from auditor.importers.ofx import IMPORTERS, sniff
from auditor.sources import claim, discover, read_head

IMPORTER = IMPORTERS[0]
SAMPLES = Path(__file__).parent / "data" / "ofx"
QFX = SAMPLES / "checking-savings.qfx"
CARD = SAMPLES / "card-statement.ofx"
BANK_FIXTURES = ("anzcc.ofx", "bank_medium.ofx", "checking.ofx", "suncorp.ofx")


def load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("transactions"), report


def reasons(report) -> dict[str, list[int]]:
    return {group.reason: group.records for group in report.skipped.values()}


def ofxparse_read(handle):
    """ofxparse's reading of a file, without its BeautifulSoup deprecation noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return OfxParser.parse(handle, fail_fast=False)


def ofxparse_transactions(path: Path) -> list:
    """Bank and card transactions as ofxparse reads them (the independent reader)."""
    with open(path, "rb") as handle:
        parsed = ofxparse_read(handle)
    return [
        t
        for account in parsed.accounts
        if account.type in (AccountType.Bank, AccountType.CreditCard)
        for t in account.statement.transactions
    ]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


@pytest.fixture
def ofx_fixtures(shared_fixtures: Path) -> Path:
    return shared_fixtures / "ofx" / "ofxparse"


# --- Recognition ---------------------------------------------------------------------------


def test_claims_every_ofx_fixture_and_nothing_else(shared_fixtures: Path) -> None:
    claims, _ = claim(discover([shared_fixtures]).files, importers=IMPORTERS)
    fixtures = {p.name for p in (shared_fixtures / "ofx").rglob("*.ofx")}
    assert {Path(c.ref.path).name for c in claims} == fixtures
    assert len(claims) == 8
    assert all(c.confidence >= 0.9 for c in claims)


def test_claims_own_samples() -> None:
    claims, unclaimed = claim(discover([SAMPLES]).files)
    assert sorted((Path(c.ref.path).name, c.importer.id) for c in claims) == [
        ("card-statement.ofx", "ofx"),
        ("checking-savings.qfx", "ofx"),
    ]
    assert not unclaimed


@pytest.mark.parametrize(
    "text",
    [
        "Date,Description,Amount\n03/01/2024,COFFEE,-4.50\n",
        '<?xml version="1.0"?>\n<gpx version="1.1"><trk></trk></gpx>',
        "<!DOCTYPE html><html><body>Your session has expired</body></html>",
        '{"locations": []}',
    ],
)
def test_sniff_refuses_other_formats(text: str) -> None:
    assert sniff(Head(FileRef(Path("statement.ofx")), text.encode())) == 0.0


def test_sniff_reads_a_header_wrapped_in_a_comment() -> None:
    data = b"<!--\nOFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n-->\n<OFX></OFX>"
    assert sniff(Head(FileRef(Path("x.txt")), data)) == 0.95


def test_sniff_never_raises_on_binary_bytes() -> None:
    assert sniff(Head(FileRef(Path("x.ofx")), bytes(range(256)) * 4)) == 0.0


# --- ofxparse's real fixtures --------------------------------------------------------------


@pytest.mark.parametrize("name", BANK_FIXTURES)
def test_bank_fixtures_match_ofxparse(ofx_fixtures: Path, name: str) -> None:
    frame, report = load(ofx_fixtures / name)
    expected = ofxparse_transactions(ofx_fixtures / name)
    assert report.error is None and not report.skipped
    assert len(frame) == len(expected) > 0
    assert [Decimal(str(a)) for a in frame["amount"]] == [t.amount for t in expected]
    assert [d.date() for d in frame["time"]] == [t.date.date() for t in expected]
    assert list(frame["record"]) == list(range(len(expected)))
    assert set(frame["importer"]) == {"ofx"}


def test_checking_fixture_values(ofx_fixtures: Path) -> None:
    frame, report = load(ofx_fixtures / "checking.ofx")
    assert report.detail == "QFX 102 (SGML): 1 bank statement"  # INTU.BID and INTU.USERID
    first = frame.iloc[1]
    assert first["amount"] == -34.51
    assert first["time"] == utc("2011-04-05T00:00:00Z")
    # NAME is repeated inside MEMO: the text is kept once.
    assert first["description"] == "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )"
    assert first["counterparty"] == "AUTOMATIC WITHDRAWAL, ELECTRIC BILL"
    assert first["type"] == "DEBIT" and first["currency"] == "USD"
    assert first["account"] == "1452687~7"
    assert set(frame["source"]) == {"bank:FAKE ****87~7"}
    # Every DTPOSTED is 120000: a placeholder, so the rows are dates only.
    assert not frame["has_time"].any() and (frame["utc_offset_min"] == 0).all()
    assert "placeholder" in report.timezone


def test_same_time_on_every_row_is_a_placeholder(ofx_fixtures: Path) -> None:
    frame, report = load(ofx_fixtures / "bank_medium.ofx")
    # Every row is 12:20:17 [-5:EST], the download time (DTSERVER), not when money moved.
    assert not frame["has_time"].any()
    assert list(frame["time"]) == [utc(f"2009-04-0{d}T00:00:00Z") for d in (1, 2, 3)]
    assert "12:20:17" in report.timezone
    assert frame["currency"].iloc[0] == "CAD"
    assert frame["counterparty"].iloc[0] == "MCDONALD'S #112"
    assert frame["description"].iloc[0] == "POS MERCHANDISE;MCDONALD'S #112"
    # No ORG: the bank id names the source; the account id is masked but for 4 characters.
    assert set(frame["source"]) == {"bank:160000100 ****5678"}


def test_mixed_xml_header_with_sgml_tags_credit_card(ofx_fixtures: Path) -> None:
    frame, report = load(ofx_fixtures / "anzcc.ofx")
    assert report.detail == "OFX 203 (XML header, SGML-style tags): 1 credit card statement"
    row = frame.iloc[0]
    assert row["amount"] == -5.5 and row["currency"] == "AUD" and row["type"] == "DEBIT"
    assert row["description"] == "SOME MEMO" and pd.isna(row["counterparty"])
    assert row["source"] == "bank:card ****1234"


def test_cdata_values_are_read_and_trimmed(ofx_fixtures: Path) -> None:
    frame, _ = load(ofx_fixtures / "suncorp.ofx")
    assert frame["counterparty"].iloc[0] == "EFTPOS WDL HANDYWAY ALDI STORE"
    assert frame["description"].iloc[0] == "EFTPOS WDL HANDYWAY ALDI STORE   GEELONG WEST VICAU"
    assert frame["source"].iloc[0] == "bank:SUNCORP ****6789"


def test_empty_tags_keep_the_transaction_ofxparse_drops(ofx_fixtures: Path) -> None:
    path = ofx_fixtures / "ofx-v102-empty-tags.ofx"
    assert ofxparse_transactions(path) == []  # ofxparse discards it: "Empty transaction name"
    assert path.read_text().count("<STMTTRN>") == 1
    frame, report = load(path)
    assert len(frame) == 1 and report.error is None
    row = frame.iloc[0]
    assert row["amount"] == 12.34
    assert row["currency"] == "AUD"  # CURDEF is empty; the transaction's CURRENCY/CURSYM says AUD
    assert row["description"] == "CBA:Transfer" and pd.isna(row["counterparty"])
    assert row["category"] == "Uncategorised" and row["balance"] == 123.45
    assert row["type"] == "CREDIT"  # written "Credit"
    assert row["time"] == utc("2018-05-07T00:00:00Z") and not row["has_time"]


def test_investment_statement_keeps_cash_movements_and_counts_trades(ofx_fixtures: Path) -> None:
    path = ofx_fixtures / "fidelity.ofx"
    text = path.read_text()
    with open(path, "rb") as handle:
        parsed = ofxparse_read(handle)
    everything = len(parsed.accounts[0].statement.transactions)  # trades and cash movements
    cash = text.count("<STMTTRN>")
    frame, report = load(path)
    assert report.detail == "OFX 102 (SGML): 1 investment statement"
    assert len(frame) == cash == 3
    assert report.skipped_total == everything - cash == 14
    assert reasons(report)["investment trade <BUYSTOCK>, not a bank or card movement"] == list(range(8))
    assert len(reasons(report)["investment trade <INCOME>, not a bank or card movement"]) == 4
    assert list(frame["amount"]) == [0.24, -0.97, 0.16]
    assert list(frame["record"]) == [14, 15, 16]  # after the 14 trades, in document order
    assert set(frame["source"]) == {"bank:fidelity.com ****7890"}


def test_several_accounts_without_transactions(ofx_fixtures: Path) -> None:
    frame, report = load(ofx_fixtures / "multiple_accounts.ofx")
    assert len(frame) == 0 and report.error is None
    assert report.detail == "OFX 211 (XML): 2 bank statements"
    assert "2 statement(s) with no transactions: ****9100, ****9200" in report.notes


def test_file_with_no_statement(ofx_fixtures: Path) -> None:
    frame, report = load(ofx_fixtures / "bank_small.ofx")
    assert len(frame) == 0 and report.error is None
    assert "the file holds no statements" in report.notes


# --- Our own samples -----------------------------------------------------------------------


def test_qfx_two_accounts_exact_values() -> None:
    frame, report = load(QFX)
    raw = QFX.read_bytes().decode("cp1252")
    assert len(frame) == raw.count("<STMTTRN>") == 11
    assert report.detail == "QFX 102 (SGML): 2 bank statements"
    checking = frame[frame["account"] == "000000123454321"]
    savings = frame[frame["account"] == "000000987656789"]
    assert len(checking) == 9 and len(savings) == 2
    assert set(checking["source"]) == {"bank:MERIDIAN FCU ****4321"}
    assert set(savings["source"]) == {"bank:MERIDIAN FCU ****6789"}
    first = frame.iloc[0]
    assert first["amount"] == -42.17
    assert first["description"] == "TRADER JOE S #552 QPS SAN FRANCISCO CA 02/29"
    assert first["time"] == utc("2024-03-01T00:00:00Z")
    payroll = frame.iloc[1]
    assert payroll["amount"] == 2315.40 and payroll["type"] == "DIRECTDEP"
    # CHARSET:1252: the É and È bytes are read as such; &amp; is unescaped.
    assert frame.iloc[3]["counterparty"] == "CAFÉ LA BOHÈME"
    assert frame.iloc[4]["counterparty"] == "AT&T *PAYMENT"
    # 120000[0:GMT] on every row is a placeholder: dates only.
    assert not frame["has_time"].any()
    assert round(checking["amount"].sum(), 2) == -9.01
    assert list(savings["amount"]) == [500.0, 1.23]
    assert list(frame["record"]) == list(range(11))


def test_card_statement_signs_times_and_codes() -> None:
    frame, report = load(CARD)
    assert len(frame) == CARD.read_text().count("<STMTTRN>") == 8
    assert report.detail == "OFX 102 (SGML): 1 credit card statement"
    # Purchases negative, the payment and the refund positive, as the file writes them.
    assert list(frame["amount"]) == [-58.23, -4.75, -27.40, 350.00, -112.60, 19.99, -15.49, -3.38]
    assert list(frame["type"]) == ["DEBIT", "DEBIT", "DEBIT", "PAYMENT", "DEBIT", "CREDIT", "DEBIT", "FEE"]
    # Times vary and state their zone: believed, stored in UTC with the offset.
    assert frame["has_time"].all()
    assert frame["time"].iloc[0] == utc("2024-03-02T19:34:12-08:00")
    assert frame["time"].iloc[2] == utc("2024-03-09T23:17:42-08:00")  # a late-night ride
    assert list(frame["utc_offset_min"]) == [-480] * 3 + [-420] * 5
    assert list(frame["mcc"].fillna("")) == ["5411", "5814", "4121", "", "7011", "5942", "4899", ""]
    hotel = frame.iloc[4]
    assert hotel["local_currency"] == "EUR" and hotel["currency"] == "USD"
    fee = frame.iloc[7]
    assert pd.isna(fee["counterparty"]) and fee["description"] == "FOREIGN TRANSACTION FEE"
    assert set(frame["source"]) == {"bank:card ****5678"}
    assert set(frame["account"]) == {"4147202212345678"}


# --- Malformed files -----------------------------------------------------------------------


def test_truncated_file_keeps_the_whole_transactions(tmp_path: Path) -> None:
    text = CARD.read_text()
    cut = text.index("<TRNAMT>-112.60") + len("<TRNAMT>-11")  # inside the fifth transaction
    path = tmp_path / "statement.ofx"
    path.write_text(text[:cut])
    frame, report = load(path)
    assert list(frame["amount"]) == [-58.23, -4.75, -27.40, 350.00]  # never a cut-short -11
    assert reasons(report) == {"cut off: the file ends inside this transaction": [4]}
    assert "cut off" in report.error


def test_truncated_in_the_header_is_not_ofx(tmp_path: Path) -> None:
    path = tmp_path / "statement.qfx"
    path.write_bytes(QFX.read_bytes()[:120])
    frame, report = load(path)
    assert frame is None
    assert report.error.startswith("no <OFX> element")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty; expected an OFX/QFX statement"),
        (b"\n\n  \n", "the file is empty; expected an OFX/QFX statement"),
        (b"<!DOCTYPE html><html><body>Session expired</body></html>", "no <OFX> element"),
        (b"Date,Description,Amount\n03/01/2024,COFFEE,-4.50\n", "no <OFX> element"),
    ],
)
def test_not_ofx_with_an_ofx_name_is_a_clear_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "download.ofx"
    path.write_bytes(content)
    frame, report = load(path)
    assert frame is None
    assert report.error.startswith(message)


def test_bad_rows_are_skipped_with_the_reason_and_the_rest_loads(tmp_path: Path) -> None:
    text = CARD.read_text()
    text = text.replace("20240305081503.000[-8:PST]", "20240231")
    text = text.replace("<TRNAMT>-27.40", "<TRNAMT>N/A").replace("<TRNAMT>-15.49", "<TRNAMT>null")
    text = re.sub(r"<DTPOSTED>20240318[^\n]*\n", "", text)  # the same row loses its date entirely
    path = tmp_path / "statement.ofx"
    path.write_text(text)
    frame, report = load(path)
    assert reasons(report) == {
        "DTPOSTED '20240231' is not an OFX date (YYYYMMDD[HHMMSS][[±h:TZ]])": [1],
        "TRNAMT 'N/A' is not a number": [2],
        "no DTPOSTED": [6],
    }
    assert list(frame["record"]) == [0, 3, 4, 5, 7]
    assert report.rows_read == 8


def test_ofx_v2_utf8_without_encoding_header(tmp_path: Path) -> None:
    # What ofxparse cannot read (issue #133): XML, UTF-8 accents, a BOM and blank lines first.
    body = (
        '<?xml version="1.0" encoding="utf-8" ?><?OFX OFXHEADER="200" VERSION="202"?>'
        "<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR</CURDEF>"
        "<BANKACCTFROM><BANKID>20111</BANKID><ACCTID>AT611904300234573201</ACCTID></BANKACCTFROM>"
        "<BANKTRANLIST><STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20260115</DTPOSTED>"
        "<TRNAMT>-10,50</TRNAMT><FITID>1</FITID><NAME>Bäckerei Müller</NAME>"
        "<MEMO>Kartenzahlung Wien</MEMO></STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>"
    )
    path = tmp_path / "erste.ofx"
    path.write_bytes(b"\xef\xbb\xbf\r\n\r\n" + body.encode("utf-8"))
    with pytest.raises(UnicodeDecodeError):
        ofxparse_read(io.BytesIO(strip_bom(path.read_bytes())))
    assert sniff(read_head(FileRef(path))) == 0.95
    frame, report = load(path)
    row = frame.iloc[0]
    assert row["description"] == "Bäckerei Müller Kartenzahlung Wien"
    assert row["amount"] == -10.5  # a decimal comma
    assert row["currency"] == "EUR"
    assert row["source"] == "bank:20111 ****3201"
    assert report.detail == "OFX 202 (XML): 1 bank statement"


def test_utf8_labelled_cp1252_is_read_as_utf8(tmp_path: Path) -> None:
    text = CARD.read_text().replace("BLUE BOTTLE COFFEE", "CAFÉ DE FLORE")
    path = tmp_path / "statement.ofx"
    path.write_bytes(text.encode("utf-8"))  # the header still says CHARSET:1252
    frame, report = load(path)
    assert frame["counterparty"].iloc[1] == "CAFÉ DE FLORE"
    assert any("declares cp1252" in note for note in report.notes)


def test_times_without_a_zone_are_dates_only(tmp_path: Path) -> None:
    text = re.sub(r"(<DTPOSTED>\d{14})\.000\[[^\]]*\]", r"\1", CARD.read_text())
    path = tmp_path / "statement.ofx"
    path.write_text(text)
    frame, report = load(path)
    assert not frame["has_time"].any()
    assert frame["time"].iloc[0] == utc("2024-03-02T00:00:00Z")  # the date as written
    assert "state no zone" in report.timezone


def test_pending_transactions_are_skipped(tmp_path: Path) -> None:
    text = CARD.read_text()
    pending = (
        "<STMTTRNP>\n<TRNTYPE>DEBIT\n<DTTRAN>20240331\n<TRNAMT>-9.99\n<NAME>SPOTIFY USA\n</STMTTRNP>\n"
    )
    pending_list = "</BANKTRANLIST>\n<BANKTRANLISTP>\n" + pending + "</BANKTRANLISTP>"
    text = text.replace("</BANKTRANLIST>", pending_list)
    path = tmp_path / "statement.ofx"
    path.write_text(text)
    frame, report = load(path)
    assert len(frame) == 8
    assert reasons(report) == {"pending transaction (STMTTRNP), not yet posted": [8]}


def test_bank_error_status_is_reported(tmp_path: Path) -> None:
    text = (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>15500"
        "<SEVERITY>ERROR<MESSAGE>Signon invalid</STATUS><DTSERVER>20240401<LANGUAGE>ENG</SONRS>"
        "</SIGNONMSGSRSV1></OFX>"
    )
    path = tmp_path / "statement.ofx"
    path.write_text(text)
    frame, report = load(path)
    assert len(frame) == 0
    assert "the bank reported status 15500: Signon invalid" in report.notes
