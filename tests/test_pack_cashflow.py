"""rules/cashflow.yaml, the cash-flow underwriter: the pack keeps the issue's promises
(tests/pack_checks.py), and each text pattern picks exactly the real statement lines it
should, in the personas, tests/data and the real bank fixtures (tests/statement_corpus.py),
plus real descriptor formats no file here carries, and none of the look-alikes."""

from __future__ import annotations

import pytest

from pack_checks import problems
from statement_corpus import PAYROLL_EXAMPLES, PAYROLL_LINES, SHARED_SOURCES, check_pattern

PACK = "cashflow"
OVERDRAFT_LINES = [
    "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####ALDI ##### CHICAGO IL",
    "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####SHELL OIL ########### CHICAGO IL",
    "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####TACO BELL ####### CHICAGO IL",
    "OVERDRAFT FEE FOR A $##.## CARD PURCHASE - DETAILS: ####UBER *TRIP HELP.UBER.COM CA",
    "OVERDRAFT FEE FOR A $#.## CARD PURCHASE - DETAILS: ####MCDONALD'S F#### CHICAGO IL",
    "OVERDRAFT FEE FOR A $#.## CARD PURCHASE - DETAILS: ####TACO BELL ####### CHICAGO IL",
]
NSF_LINE = "INSUFFICIENT FUNDS FEE FOR A $###.## ITEM - DETAILS: CASHNETUSA PAYMENT PPD ID: ##########"
RETURNED_CHECK = "RETURNED CHECK FEE, CHECK # ### FOR $##.## ON ##/##/##"  # ofxparse's checking.ofx

PATTERNS = {
    "returned-payments": {
        "own": [NSF_LINE], "shared": [RETURNED_CHECK],
        "examples": ["NSF FEE", "RETURNED ITEM FEE", "UNPAID DIRECT DEBIT FEE", "RETURNED DD ACME INSURANCE"],
        "not": ["MONTHLY SERVICE FEE", "RETURNED GOODS REFUND", "BOUNCE FITNESS LTD"],
    },
    "frequent-overdrafter": {
        "own": [NSF_LINE, *OVERDRAFT_LINES], "shared": [RETURNED_CHECK],
        "examples": ["Unarranged overdraft interest", "OD FEE"], "not": ["GOOD FEED PET STORE", "FOOD FEE"],
    },
    "overdraft-fees": {"own": OVERDRAFT_LINES, "not": ["GOOD FEED PET STORE", "FOOD FEE"]},
    "late-fees": {
        "own": ["LATE FEE"], "shared": ["LATE SETTLEMENT FEE"],  # Fidelity's fee for a trade settled late
        "examples": ["LATE PAYMENT FEE", "MISSED PAYMENT FEE"], "not": ["ANNUAL MEMBERSHIP FEE", "CHOCOLATE CAFE"],
    },
    "card-interest": {"own": ["PURCHASE INTEREST CHARGE"], "examples": ["FINANCE CHARGE"],
                      "not": ["INTEREST EARNED", "Monthly Interest Paid"]},
    "bills-paid": {
        "own": [
            "AT&T *PAYMENT WEB ID: ##########", "CAPITAL ONE MOBILE PMT PPD", "COMCAST PHILADELPHIA", "EE AND T-MOBILE",
            "GEICO PAYMENT PPD ID: ##########", "GIFFGAFF GIFFGAFF.COM GBR",
            'HLU*HULU ############-U "HULU.COM"/BILLCAHLU*HULU ############-U', "LB TOWER HAMLETS CTAX",
            "LB WALTHAM FOREST CTAX", "Max Mustermann Vodafone GmbH Kundennummer ######### Rechnung ##/####",
            "NETFLIX.COM", "NETFLIX.COM ###-###-#### GBR", "NETFLIX.COM LOS GATOS CA", "NETFLIX.COM NETFLIX.COM",
            "Netflix", "OCTOPUS ENERGY", "PECO ENERGY UTIL_BIL PPD", "PHILA GAS WORKS PGW WEBPAY PPD",
            "Payment to Chase card ending in #### ##/##", "SPOTIFY USA ###-###-#### NY", "THAMES WATER",
            "TMOBILE*AUTO PAY ###-###-#### WA ##/##", "Thames Water THAMES WATER #########", "VERIZON WIRELESS",
            "Vodafone Deutschland GmbH Rechnung ##/#### Kundennr. #########",
            "Vodafone GmbH Kundennummer ######### Rechnung ##/####",
        ],
        "shared": [
            "A######-##### Energy bill Jan ####", "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )",
            "Deutsche Telekom AG Friedrich Ebert Allee ### ##### Bonn T-Mobile",
            "EREF+RECHNR. ############MREF+KD############CRED+DE##KD############SVWZ+##/#### K-NR. ######### "
            "Ihre Rechnung online bei www.vodafone.de/meinkabel",
            "NETFLIX.COM ###########, NL", "POS##SEP NETFLIX.COM", "ROYAL LONDON INSURANCE ##### ##### GBR",
            "Spotify UK London GBR",
        ],
        "not": ["WATERSTONES BOOKS", "ENERGIZER BATTERIES"],
    },
    "saving-habit": {
        "own": ["ONLINE TRANSFER TO SAV ...#### TRANSACTION#: ###########", "ONLINE TRANSFER TO SAVINGS XXXXXX####",
                "Online Banking transfer to SAV #### Confirmation# ##########",
                "Online Transfer to SAV ...#### transaction#: ########### ##/##",
                "Savings"],  # a Monzo pot transfer: the type column says so, the name is the person's own
        "not": ["SAVINGS BANK OF MAINE ATM", "SAVE THE CHILDREN"],
    },
    "steady-pay": {"own": PAYROLL_LINES, **PAYROLL_EXAMPLES},
    "income-volatility": {
        "own": [*PAYROLL_LINES, "UBER USA #### EDI PAYMNT PPD ID: ##########"],
        "examples": ["LYFT INC DIRECT DEP", "DOORDASH INC DASHER PAY", "INSTACART SHOPPER PAYOUT"],
        "not": ["PLATINUM UBER CREDIT", "UBER *TRIP HELP.UBER.COM CA REFUND"], "amount": 500.0,
    },
    # No file here carries public assistance: the examples are the descriptors the programmes use.
    "benefit-income": {
        "examples": ["SSA TREAS 310 XXSOC SEC", "DWP UC", "HMRC CHILD BENEFIT", "NYS DOL UNEMPLOYMENT"],
        "not": ["SNAP FITNESS", "EBTEK SOLUTIONS", "SUPPLY SECURITY LTD"], "amount": 400.0,
    },
    "payday-loans": {
        "own": ["CASHNETUSA LOAN PPD ID: ##########", "CASHNETUSA PAYMENT PPD ID: ##########", NSF_LINE],
        "examples": ["ADVANCE AMERICA 4417", "SPEEDY CASH #0211", "CHECK N GO ONLINE", "OPPLOANS PAYMENT"],
        "not": ["ACE HARDWARE 1234", "MONEY TREE NURSERY", "RISE BAKERY"],
    },
    "payday-reborrowing": {"own": ["CASHNETUSA LOAN PPD ID: ##########"], "examples": ["SPEEDY CASH LOAN"],
                           "not": ["ACE CASH REGISTER SUPPLY"], "amount": 400.0},
    "cash-advance-apps": {
        "own": ["EARNIN PAYMENT PPD ID: ##########", "EARNIN TRANSFER PPD ID: ##########"],
        "examples": ["DAVE INC DEBIT", "BRIGIT INSTANT", "MONEYLION INSTACASH", "KLOVER HOLDINGS", "FLOATME CORP"],
        "not": ["LINKEDIN LEARNING", "DAVE'S PIZZA BROOKLYN NY", "Albert Heijn 1403 AMSTERDAM NLD", "CLEOPATRA KEBAB",
                "BRANCH APPLIANCE REPAIR"],
    },
    "buy-now-pay-later": {
        "examples": ["KLARNA*ASOS", "AFTERPAY US INC", "AFFIRM * PAY 8HJK2", "SEZZLE* FASHIONNOVA", "CLEARPAY*BOOHOO",
                     "PAYPAL *PAY IN 3"],
        "not": ["AFFIRMATIONS GIFT SHOP", "ZIPCAR TRIP", "CLEARPAYMENTS LTD"],
    },
    "gambling": {
        # The casino ATM and its fee count: cash drawn at a casino is what a lender sees.
        "own": ["ATM WITHDRAWAL ###### BORGATA HOTEL CASIN ATLANTIC CITYNJ", "BORGATA HOTEL CASINO",
                "NON-NETWORK ATM FEE BORGATA HOTEL CASIN", "RIVERS CASINO PHILADELPHIA"],
        "examples": ["PAYPAL *BETFAIR", "SKY BETTING AND GAMING", "DRAFTKINGS", "FANDUEL SPORTSBOOK", "WWW.BET365.COM",
                     "NATIONAL LOTTERY"],
        "not": ["BORGATA - WOLFGANG PUCK", "CORAL REEF AQUARIUM", "BETTER BATHROOMS"],
    },
    "risky-merchants": {
        "own": ["FISHTOWN TAPROOM", "LAMB AND FLAG LONDON GBR", "MIDAS ####", "SQ *THE ASHLAND TAP Chicago IL ##/##"],
        "examples": ["THE KINGS ARMS", "MARRIAGE COUNSELLING LTD", "CUE BILLIARDS"],
        "not": ["BARCLAYS BANK ON 21 MAR ISLINGTON", "PREMIER BAR FEE", "TIRED OF IT LTD"],
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
