"""Derived money tables (payments, recurring, income, cashflow) on real-format statements.

The personas' statements are read as a person's would be (load_dataset on the folder), the
derived tables are built through the engine's AuditData (as rules read them), and the
results are compared with truth.json: the records the generator planted for each signal.
Hand-made frames cover what the personas do not (newest-first balances, cumulative basis).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from auditor import model
from auditor.dataset import load_dataset
from auditor.derive import merchants
from auditor.engine.context import AuditData
from auditor.pipeline import run_audit

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_exports"


@cache
def persona(name: str) -> tuple[AuditData, dict]:
    truth = json.loads((SAMPLES / name / "truth.json").read_text())
    dataset = load_dataset([SAMPLES / name])
    now = pd.Timestamp(truth["last_day"], tz="UTC") + pd.Timedelta(days=1)
    return AuditData(dataset.frames, now=now, timezone=truth["timezone"]), truth


def table(name: str, derived: str) -> pd.DataFrame:
    data, _ = persona(name)
    return data.view().table(derived)


def planted(name: str, signal: str, text: str | None = None) -> set[tuple[str, int]]:
    """(file, record) of the transactions truth.json plants for a signal (optionally one text)."""
    _, truth = persona(name)
    out = set()
    for item in next(s for s in truth["signals"] if s["signal"] == signal)["evidence"]:
        if item["kind"] != "transactions":
            continue
        for record in item["records"]:
            out.add((str(SAMPLES / name / item["file"]), record))
    if text is None:
        return out
    data, _ = persona(name)
    tx = data.frames["transactions"]
    keep = tx["description"].astype("string").str.contains(text, regex=False).fillna(False)
    wanted = set(zip(tx.loc[keep, "file"].astype(str), tx.loc[keep, "record"]))
    return out & wanted


def members(name: str, derived: str, mask: pd.Series, key: str) -> set[tuple[str, int]]:
    """(file, record) of the payments behind the derived rows picked by ``mask`` (``key``: series)."""
    pay = table(name, "payments")
    picked = set(table(name, derived).loc[mask, key])
    rows = pay[pay[key].isin(picked)]
    return set(zip(rows["file"].astype(str), rows["record"]))


# --- merchant names ------------------------------------------------------------------------

STATEMENT_LINES = [
    # (raw statement text as the personas' and the fixtures' banks write it, counterparty, merchant)
    ("TACO BELL #031233 CHICAGO IL            01/02", None, "TACO BELL"),
    ("MCDONALD'S F5512 CHICAGO IL             02/04", None, "MCDONALD'S"),
    ("SHELL OIL 57444391006 CHICAGO IL        10/11", None, "SHELL OIL"),
    ("SQ *THE ASHLAND TAP Chicago IL          02/23", None, "THE ASHLAND TAP"),
    ("UBER   *EATS HELP.UBER.COM CA           01/15", None, "UBER EATS"),
    ("UBER USA 6787 EDI PAYMNT PPD ID: 3621832896", None, "UBER USA"),
    ("GEICO PAYMENT PPD ID: 7746561809", None, "GEICO"),
    ("WESTLAKE FINANCIA AUTO PYMT PPD ID: 9633051798", None, "WESTLAKE FINANCIA"),
    ("Zelle payment to Luis Reyes JPM997cd573f", None, "Luis Reyes"),
    ("OVERDRAFT FEE FOR A $9.18 CARD PURCHASE - DETAILS: 0321TACO BELL #031233 CHICAGO IL", None, "OVERDRAFT FEE"),
    ("LYFT   *RIDE FRI 11PM", None, "LYFT RIDE"),
    ("ACME 7824 PHILADELPHIA", None, "ACME"),
    ("BOOTS 1094             LONDON        GBR", None, "BOOTS"),
    ("AMAZON.CO.UK*RT4KJ2    AMAZON.CO.UK  GBR", None, "AMAZON.CO.UK"),
    ("NETFLIX.COM            866-579-7172  GBR", None, "NETFLIX.COM"),
    ("HOFER DANKT  0527  K2   30.09. 11:39", None, "HOFER"),
    ("POS MERCHANDISE;MCDONALD'S #112", None, "MCDONALD'S"),
    ("ONLINE TRANSFER TO SAVINGS XXXXXX4471", None, "ONLINE TRANSFER TO SAVINGS"),
    ("GREGGS PLC             LONDON        GBR", "Greggs", "Greggs"),
    ("ATM WITHDRAWAL 003517 BORGATA HOTEL CASIN ATLANTIC CITYNJ", "ATM WITHDRAWAL", "ATM WITHDRAWAL"),
]


def test_merchant_names_lose_prefixes_store_numbers_places_and_references():
    raw = pd.Series([line for line, _, _ in STATEMENT_LINES], dtype="string")
    counterparty = pd.Series([c for _, c, _ in STATEMENT_LINES], dtype="string")
    got = merchants.normalise(raw, counterparty).tolist()
    assert got == [expected for _, _, expected in STATEMENT_LINES]


def _categorise(lines: list[tuple[str, float]]) -> list[str | None]:
    frame = model.conform("transactions", {
        "time": pd.Timestamp("2024-01-01", tz="UTC"), "amount": [a for _, a in lines],
        "description": [d for d, _ in lines], "currency": "USD", "file": "f.csv", "record": range(len(lines)),
    }, length=len(lines))  # fmt: skip
    out = merchants.build_payments({"transactions": frame}, pd.Timestamp("2024-02-01", tz="UTC"), None)
    return [None if pd.isna(v) else v for v in out["merchant_category"].astype("object")]


def test_categories_of_real_statement_lines():
    lines = [
        ("OVERDRAFT FEE FOR A $9.18 CARD PURCHASE - DETAILS: 0321TACO BELL #031233 CHICAGO IL", -34.0),
        ("RETURNED CHECK FEE, CHECK # 319 FOR $45.33 ON 04/07/11", -25.0),  # ofxparse checking.ofx
        ("LATE SETTLEMENT FEE", -10.0),  # ofxparse fixture
        ("INSUFFICIENT FUNDS FEE FOR A $460.00 ITEM - DETAILS: CASHNETUSA PAYMENT PPD ID: 2453482501", -34.0),
        ("CASHNETUSA LOAN PPD ID: 2453482501", 400.0),
        ("EARNIN TRANSFER PPD ID: 1734813278", 100.0),
        ("NETFLIX.COM 14087249160, NL", -12.99),  # N26 fixture
        ("TACO BELL #031233 CHICAGO IL            01/02", -9.5),
        ("BORGATA HOTEL CASINO", -218.31),
        ("UBER USA 6787 EDI PAYMNT PPD ID: 3621832896", 584.0),
        ("UBER   *TRIP HELP.UBER.COM CA           01/15", -23.0),
        ("IBEW LOCAL 98 DUES PPD", -58.0),
        ("Deposit Mobile Banking", 200.0),  # Schwab fixture: money in, not a rent deposit
        ("Random Bill", -20.0),
    ]
    assert _categorise(lines) == [
        "overdraft_fee", "returned_payment", "late_fee", "returned_payment", "payday_lender", "cash_advance",
        "streaming", "fast_food", "gambling", "gig_platform", "rideshare", "union", None, None,
    ]


# --- the personas ----------------------------------------------------------------------------


def test_gig_driver_weekly_uber_payouts_are_a_gig_income_stream():
    income = table("gig-driver", "income")
    uber = income[income["income_type"].astype("string") == "gig"]
    assert len(uber) == 1
    row = uber.iloc[0]
    assert row["cadence"] == "weekly" and row["count"] == 25
    expected = planted("gig-driver", "gig-income")
    recorded = {(str(row["file"]), int(r)) for r in str(row["records"]).split()}
    assert recorded == expected
    assert row["share"] > 0.9  # his only income
    assert 0 < row["stability"] < 1  # the payouts swing (truth: income-volatility)


def test_gig_driver_rent_by_zelle_is_one_series_across_landlords_with_the_late_january():
    recurring = table("gig-driver", "recurring")
    rent = recurring["merchant_category"].astype("string").eq("rent")
    assert rent.sum() == 1
    assert members("gig-driver", "recurring", rent, "series") == planted("gig-driver", "rent-payment")
    row = recurring[rent].iloc[0]
    assert row["cadence"] == "monthly" and row["day_of_month"] == 1
    assert row["late_count"] == 1  # January, paid on the 6th (truth: late-payment)
    pay = table("gig-driver", "payments")
    late_zelle = planted("gig-driver", "late-payment", "Zelle")
    assert late_zelle and late_zelle <= set(zip(pay.loc[pay["series"] == row["series"], "file"].astype(str),
                                                 pay.loc[pay["series"] == row["series"], "record"]))


@pytest.mark.parametrize("name", ["night-shift-nurse", "comfortable-commuter"])
def test_rent_is_recurring_monthly_and_on_time(name):
    recurring = table(name, "recurring")
    rent = recurring["merchant_category"].astype("string").eq("rent")
    assert rent.sum() == 1
    assert members(name, "recurring", rent, "series") == planted(name, "rent-payment")
    row = recurring[rent].iloc[0]
    assert row["cadence"] == "monthly" and row["late_count"] == 0 and row["active"]


@pytest.mark.parametrize(("name", "cadence"), [("night-shift-nurse", "monthly"), ("comfortable-commuter", "biweekly")])
def test_salary_is_a_stable_payroll_stream(name, cadence):
    income = table(name, "income")
    payroll = income[income["income_type"].astype("string") == "payroll"]
    assert len(payroll) == 1
    row = payroll.iloc[0]
    assert row["cadence"] == cadence
    assert {(str(row["file"]), int(r)) for r in str(row["records"]).split()} == planted(name, "stable-income")
    assert row["stability"] > 0.8


def test_nurse_union_dues_and_bills_are_categorised():
    pay = table("night-shift-nurse", "payments")
    by_category = pay.groupby(pay["merchant_category"].astype("string"))
    union = set(zip(by_category.get_group("union")["file"].astype(str), by_category.get_group("union")["record"]))
    assert union == planted("night-shift-nurse", "union-membership")
    pharmacy = by_category.get_group("pharmacy")
    assert set(pharmacy["merchant"]) == {"Boots"}


def test_gig_driver_cashflow_counts_his_overdraft_fees_and_negative_days():
    cash = table("gig-driver", "cashflow")
    checking = cash[(cash["scope"].astype("string") == "account")
                    & (cash["source"].astype("string") == "bank:Chase checking / savings")]
    assert (checking["balance_basis"].astype("string") == "statement").all()
    assert checking["overdraft_fees"].sum() == len(planted("gig-driver", "overdraft"))
    assert checking["returned_payments"].sum() == len(planted("gig-driver", "returned-payment"))
    assert (checking["days_negative"] > 0).any()
    # an overdraft fee is charged on a day the statement shows below zero
    months_with_fees = checking[checking["overdraft_fees"] > 0]
    assert (months_with_fees["balance_min"] < 0).all()


def test_commuter_cashflow_has_no_statement_balance_so_no_negative_days():
    cash = table("comfortable-commuter", "cashflow")
    assert (cash["balance_basis"].astype("string") == "cumulative").all()
    assert (cash["days_negative"] == 0).all()
    total = cash[cash["scope"].astype("string") == "all"]
    assert (total["net"] > 0).all()  # the comfortable commuter saves every month


# --- balances on hand-made statements ----------------------------------------------------------


def _statement(rows: list[tuple[str, float, float | None]], newest_first: bool) -> pd.DataFrame:
    ordered = list(reversed(rows)) if newest_first else rows
    frame = model.conform("transactions", {
        "time": pd.to_datetime([d for d, _, _ in ordered]).tz_localize("UTC"), "has_time": False, "utc_offset_min": 0,
        "amount": [a for _, a, _ in ordered], "balance": [b for _, _, b in ordered], "currency": "USD",
        "description": [f"ITEM {i}" for i in range(len(ordered))], "file": "stmt.csv",
        "record": range(2, len(ordered) + 2), "source": "bank:test", "importer": "bank-csv",
    }, length=len(ordered))  # fmt: skip
    # as merge_kind leaves them: ordered by time, file order kept within a day
    return frame.sort_values("time", kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("newest_first", [False, True])
def test_end_of_day_balance_follows_the_files_own_order(newest_first):
    rows = [
        ("2024-03-01", -100.0, -50.0),  # overdrawn in the morning...
        ("2024-03-01", 500.0, 450.0),  # ...paid in the same day: the day ends positive
        ("2024-03-03", -600.0, -150.0),  # negative from the 3rd...
        ("2024-03-05", 200.0, 50.0),  # ...to the 5th: two negative days (3rd, 4th)
    ]
    tx = _statement(rows, newest_first)
    cash = merchants_and_cashflow(tx)
    row = cash[cash["scope"].astype("string") == "account"].iloc[0]
    assert row["days_negative"] == 2
    assert row["balance_end"] == 50.0 and row["balance_min"] == -150.0
    assert row["inflow"] == 700.0 and row["outflow"] == 700.0


def merchants_and_cashflow(tx: pd.DataFrame) -> pd.DataFrame:
    data = AuditData({"transactions": tx}, now=pd.Timestamp("2024-04-01", tz="UTC"))
    return data.view().table("cashflow")


# --- through the engine ------------------------------------------------------------------------


def test_a_rule_on_a_derived_table_shows_the_persons_own_lines(tmp_path):
    pack = tmp_path / "gig.yaml"
    pack.write_text("""
format: 1
id: derived-check
title: Derived check
version: "1"
scorer: a test
rules:
  - id: gig-share
    title: Gig platform income
    kind: income
    where: {income_type: {equals: gig}}
    measure: {sum: share}
    threshold: {at_least: 0.5}
    infers: "{value} of income from gig platforms"
    basis: design
    signals: [gig-income]
""")
    result = run_audit([SAMPLES / "gig-driver"], packs=[pack], timezone="America/Chicago", ablation=False)
    finding = result.packs[0].findings[0]
    assert finding.fired
    evidence = result.frame("income").iloc[finding.evidence]
    tx = result.dataset.frames["transactions"]
    first = tx[(tx["file"].astype(str) == str(evidence["file"].iloc[0])) & (tx["record"] == evidence["record"].iloc[0])]
    assert first["description"].iloc[0].startswith("UBER USA 6787 EDI PAYMNT")
