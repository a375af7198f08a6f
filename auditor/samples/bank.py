"""Bank and card statements in named banks' real CSV layouts (formats.md §4), and OFX (§5).

Each writer takes the persona's payments for one account, already worded as that bank
words them (``life.Payment``), and writes the layout's exact columns and nothing more:

* **Monzo current account** (§4.2): 20 columns, ``DD/MM/YYYY`` plus a separate local
  ``HH:MM:SS``, ``tx_0000...`` ids, Monzo's own ``Type`` and ``Category``, the card-network
  descriptor in ``Description``, ``Money Out`` negative, oldest first, CRLF lines.
* **Chase checking** (§4.1): ``Details,Posting Date,Description,Amount,Type,Balance,Check
  or Slip #``, ``MM/DD/YYYY``, signed amounts, Chase type codes (``DEBIT_CARD``,
  ``ACH_CREDIT``, ``FEE_TRANSACTION``...), newest first, every row ending with a comma.
* **Chase credit card** (§4.1): ``Transaction Date,Post Date,Description,Category,Type,
  Amount,Memo``, purchases negative (``Sale``), payments positive, newest first.
* **Capital One credit card** (§4.1): ``Transaction Date,Posted Date,Card No.,
  Description,Category,Debit,Credit``, ISO dates, both columns positive.
* **OFX 1.02 (SGML)** (§5): the plain header, then unclosed leaf tags indented with tabs
  as in ofxparse's ``checking.ofx``; ``NAME`` cut to the 32 characters the spec allows,
  the full text in ``MEMO``; ``DTPOSTED`` with the noon placeholder time most banks write.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from auditor.samples.formatting import csv_text
from auditor.samples.life import Life, Payment
from auditor.samples.truth import Truth

MONZO_HEADER = [
    "Transaction ID", "Date", "Time", "Type", "Name", "Emoji", "Category", "Amount", "Currency",
    "Local amount", "Local currency", "Notes and #tags", "Address", "Receipt", "Description",
    "Category split", "Money Out", "Money In", "Balance", "Balance currency",
]  # fmt: skip
CHASE_CHECKING_HEADER = ["Details", "Posting Date", "Description", "Amount", "Type", "Balance", "Check or Slip #"]
CHASE_CARD_HEADER = ["Transaction Date", "Post Date", "Description", "Category", "Type", "Amount", "Memo"]
CAPITAL_ONE_HEADER = ["Transaction Date", "Posted Date", "Card No.", "Description", "Category", "Debit", "Credit"]
_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase


def _money(value: float) -> str:
    return f"{value:.2f}"


def _stable_id(*parts: object, length: int) -> str:
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    number = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        number, rest = divmod(number, len(_ALPHABET))
        out.append(_ALPHABET[rest])
    return "".join(out)


def monzo_csv(
    life: Life,
    payments: Sequence[Payment],
    opening_balance: float,
    truth: Truth,
    file: str,
    broken: dict[int, str] | None = None,
) -> bytes:
    """A Monzo export; ``broken`` maps row numbers (0-based) to a bad date written in them."""
    rows: list[list[object]] = [MONZO_HEADER]
    balance = opening_balance
    for number, payment in enumerate(payments):
        balance = round(balance + payment.amount, 2)
        local = life.local(payment.time)
        amount = _money(payment.amount)
        day = local.strftime("%d/%m/%Y")
        line = len(rows) + 1
        if broken and number in broken:
            day = broken[number]
            truth.malformed(file, line, f"Date '{day}' does not exist (a DD/MM/YYYY date is expected)")
        else:
            truth.mark(payment.tags, file, "transactions", line, payment.description)
        local_amount = _money(payment.local_amount) if payment.local_amount is not None else amount
        rows.append([
            "tx_0000" + _stable_id(life.persona, number, payment.time, length=18), day, local.strftime("%H:%M:%S"),
            payment.type, payment.name, "", payment.category, amount, "GBP", local_amount,
            payment.local_currency or "GBP", payment.notes, payment.address, "", payment.description, "",
            amount if payment.amount < 0 else "", amount if payment.amount > 0 else "", _money(balance), "GBP",
        ])  # fmt: skip
    return csv_text(rows, line_end="\r\n").encode()


def _us_date(moment: datetime, life: Life) -> str:
    return life.local(moment).strftime("%m/%d/%Y")


def chase_checking_csv(
    life: Life,
    payments: Sequence[Payment],
    opening_balance: float,
    truth: Truth,
    file: str,
    broken: dict[int, str] | None = None,
) -> bytes:
    """Chase checking, newest first; ``broken`` maps payment numbers to a bad posting date."""
    balances = []
    balance = opening_balance
    for payment in payments:
        balance = round(balance + payment.amount, 2)
        balances.append(balance)
    lines = [",".join(CHASE_CHECKING_HEADER) + "\n"]
    for number in reversed(range(len(payments))):
        payment = payments[number]
        details = "CHECK" if payment.type == "CHECK_PAID" else ("CREDIT" if payment.amount > 0 else "DEBIT")
        posted = _us_date(payment.time, life)
        line = len(lines) + 1
        if broken and number in broken:
            posted = broken[number]
            truth.malformed(file, line, f"Posting Date '{posted}' is not a MM/DD/YYYY date")
        else:
            truth.mark(payment.tags, file, "transactions", line, payment.description)
        check = payment.notes if payment.type == "CHECK_PAID" else ""
        description = '"' + payment.description.replace('"', '""') + '"'
        lines.append(f"{details},{posted},{description},{_money(payment.amount)},{payment.type},{_money(balances[number])},{check},\n")
    return "".join(lines).encode()


def chase_card_csv(life: Life, payments: Sequence[Payment], truth: Truth, file: str) -> bytes:
    """A Chase credit card export, newest first; posting one or two days after the sale."""
    rows: list[list[object]] = [CHASE_CARD_HEADER]
    for payment in reversed(payments):
        truth.mark(payment.tags, file, "transactions", len(rows) + 1, payment.description)
        posted = payment.time + timedelta(days=0 if payment.type in ("Fee", "Payment") else 1)
        rows.append([_us_date(payment.time, life), _us_date(posted, life), payment.description, payment.category, payment.type, _money(payment.amount), ""])
    return csv_text(rows).encode()


def capital_one_csv(life: Life, payments: Sequence[Payment], card_last4: str, truth: Truth, file: str) -> bytes:
    """A Capital One card export, newest first; charges in Debit, payments in Credit."""
    rows: list[list[object]] = [CAPITAL_ONE_HEADER]
    for payment in reversed(payments):
        truth.mark(payment.tags, file, "transactions", len(rows) + 1, payment.description)
        local = life.local(payment.time)
        posted = local + timedelta(days=1 if payment.amount < 0 else 0)
        debit = _money(-payment.amount) if payment.amount < 0 else ""
        credit = _money(payment.amount) if payment.amount > 0 else ""
        rows.append([local.strftime("%Y-%m-%d"), posted.strftime("%Y-%m-%d"), card_last4, payment.description, payment.category, debit, credit])
    return csv_text(rows).encode()


# --- OFX ---------------------------------------------------------------------------------

_OFX_HEADER = """OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

"""


def ofx_statement(
    life: Life,
    payments: Sequence[Payment],
    opening_balance: float,
    org: str,
    fid: str,
    routing: str,
    account: str,
    truth: Truth,
    file: str,
    server_time: datetime,
    null_amount: int | None = None,
) -> bytes:
    """An OFX 1.02 checking statement; transaction ``null_amount`` carries ``TRNAMT`` ``null``."""
    first: date = life.local(payments[0].time).date() if payments else life.first_day
    last: date = life.local(payments[-1].time).date() if payments else life.last_day
    stamp = server_time.strftime("%Y%m%d%H%M%S") + ".000"
    out = [_OFX_HEADER, "<OFX>\n"]
    out.append(
        "\t<SIGNONMSGSRSV1>\n\t\t<SONRS>\n\t\t\t<STATUS>\n\t\t\t\t<CODE>0\n\t\t\t\t<SEVERITY>INFO\n\t\t\t</STATUS>\n"
        f"\t\t\t<DTSERVER>{stamp}\n\t\t\t<LANGUAGE>ENG\n\t\t\t<FI>\n\t\t\t\t<ORG>{org}\n\t\t\t\t<FID>{fid}\n\t\t\t</FI>\n"
        "\t\t</SONRS>\n\t</SIGNONMSGSRSV1>\n"
    )
    out.append(
        "\t<BANKMSGSRSV1>\n\t\t<STMTTRNRS>\n\t\t\t<TRNUID>0\n\t\t\t<STATUS>\n\t\t\t\t<CODE>0\n\t\t\t\t<SEVERITY>INFO\n\t\t\t</STATUS>\n"
        "\t\t\t<STMTRS>\n\t\t\t\t<CURDEF>USD\n\t\t\t\t<BANKACCTFROM>\n"
        f"\t\t\t\t\t<BANKID>{routing}\n\t\t\t\t\t<ACCTID>{account}\n\t\t\t\t\t<ACCTTYPE>CHECKING\n\t\t\t\t</BANKACCTFROM>\n"
        f"\t\t\t\t<BANKTRANLIST>\n\t\t\t\t\t<DTSTART>{first:%Y%m%d}120000.000\n\t\t\t\t\t<DTEND>{last:%Y%m%d}120000.000\n"
    )
    balance = opening_balance
    for number, payment in enumerate(payments):
        balance = round(balance + payment.amount, 2)
        amount = _money(payment.amount)
        if number == null_amount:
            amount = "null"
            truth.malformed(file, number, "TRNAMT is 'null' (a notice some banks send as a transaction), not an amount")
        else:
            truth.mark(payment.tags, file, "transactions", number, payment.description)
        posted = life.local(payment.time).strftime("%Y%m%d")
        name = _sgml(payment.name or payment.description)[:32]
        out.append(
            f"\t\t\t\t\t<STMTTRN>\n\t\t\t\t\t\t<TRNTYPE>{payment.type}\n\t\t\t\t\t\t<DTPOSTED>{posted}120000.000\n"
            f"\t\t\t\t\t\t<TRNAMT>{amount}\n\t\t\t\t\t\t<FITID>{posted}{number:05d}\n"
            f"\t\t\t\t\t\t<NAME>{name}\n\t\t\t\t\t\t<MEMO>{_sgml(payment.description)}\n\t\t\t\t\t</STMTTRN>\n"
        )
    out.append(
        "\t\t\t\t</BANKTRANLIST>\n\t\t\t\t<LEDGERBAL>\n"
        f"\t\t\t\t\t<BALAMT>{_money(balance)}\n\t\t\t\t\t<DTASOF>{stamp}\n\t\t\t\t</LEDGERBAL>\n"
        "\t\t\t</STMTRS>\n\t\t</STMTTRNRS>\n\t</BANKMSGSRSV1>\n</OFX>\n"
    )
    return "".join(out).replace("\n", "\r\n").encode("cp1252")


def _sgml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
