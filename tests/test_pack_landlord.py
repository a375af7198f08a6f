"""rules/landlord.yaml, the landlord and employer screener: the pack keeps the issue's
promises (tests/pack_checks.py), and each text pattern picks exactly the real statement
lines it should (personas, tests/data, the real bank fixtures), plus real descriptor
formats no file here carries, and none of the look-alikes."""

from __future__ import annotations

import pytest

from pack_checks import problems
from statement_corpus import PAYROLL_EXAMPLES, PAYROLL_LINES, SHARED_SOURCES, check_pattern

PACK = "landlord"

PATTERNS = {
    # No file here records a court or a bailiff: the examples are the payees as statements print them.
    "court-and-legal": {
        "examples": ["HMCTS COUNTY COURT FEE", "MARSTON BAILIFFS", "SMITH & CO SOLICITORS", "COOK COUNTY CLERK OF COURT",
                     "PENALTY CHARGE NOTICE LB CAMDEN", "ABC BAIL BONDS"],
        "not": ["MALL FOOD COURT 22", "COURTYARD MARRIOTT BOSTON", "TESCO EXPRESS EARLS COURT LONDON GBR",
                "TFL TRAVEL TOTTENHAM COURT RD", "BAILEYS BAR"],
    },
    "moving-costs": {
        "own": ["ANYVAN.COM LONDON GBR", "DEPOSIT ## HATHERLEY RD", "U-HAUL MOVING & STORAGE CHICAGO IL ##/##"],
        "examples": ["ABC REMOVALS LTD", "TWO MEN AND A TRUCK", "PODS MOVING & STORAGE", "ALLIED VAN LINES",
                     "CITY MOVERS LLC"],
        "not": ["REMOVAL OF LATE FEE NOT", "MOVERS AND SHAKERS BAR"],
    },
    "gig-income": {
        "own": ["UBER USA #### EDI PAYMNT PPD ID: ##########"],
        "examples": ["LYFT INC DIRECT DEP", "DOORDASH INC DASHER PAY", "INSTACART SHOPPER PAYOUT"],
        "not": ["PLATINUM UBER CREDIT", "UBER *TRIP HELP.UBER.COM CA REFUND"], "amount": 500.0,
    },
    "steady-employer": {"own": PAYROLL_LINES, **PAYROLL_EXAMPLES},
    "credit-check-flags": {
        "own": [
            "CASHNETUSA LOAN PPD ID: ##########", "CASHNETUSA PAYMENT PPD ID: ##########",
            "INSUFFICIENT FUNDS FEE FOR A $###.## ITEM - DETAILS: CASHNETUSA PAYMENT PPD ID: ##########",
            "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####ALDI ##### CHICAGO IL",
            "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####SHELL OIL ########### CHICAGO IL",
            "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####TACO BELL ####### CHICAGO IL",
            "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####UBER *TRIP HELP.UBER.COM CA",
            "OVERDRAFT FEE FOR A $#.## CARD PURCHASE - DETAILS: ####MCDONALD'S F#### CHICAGO IL",
            "OVERDRAFT FEE FOR A $#.## CARD PURCHASE - DETAILS: ####TACO BELL ####### CHICAGO IL",
        ],
        "shared": ["RETURNED CHECK FEE, CHECK # ### FOR $##.## ON ##/##/##"],
        "not": ["ACE HARDWARE 1234", "MONTHLY SERVICE FEE"],
    },
    # No file here carries a housing voucher: the examples are housing-authority payments.
    "housing-voucher": {
        "examples": ["CAMBRIDGE HOUSING AUTHORITY HAP PAYMENT", "NYCHA SECTION 8 HAP", "HOUSING CHOICE VOUCHER PROGRAM"],
        "not": ["PORT AUTHORITY TRANS HUDSON", "SECTION 80 ROOFTOP BAR"], "amount": 1100.0,
    },
}


def test_the_pack_keeps_the_issue_promises():
    assert problems(PACK) == []


@pytest.mark.parametrize("rule", PATTERNS)
def test_text_pattern_against_real_statements(rule, tmp_path, request):
    shared = request.getfixturevalue("shared_fixtures") if _shared_present() else None
    check_pattern(PACK, rule, PATTERNS[rule], tmp_path, shared)


def _shared_present() -> bool:
    from conftest import SHARED_FIXTURES

    return all((SHARED_FIXTURES / s).is_dir() for s in SHARED_SOURCES)
