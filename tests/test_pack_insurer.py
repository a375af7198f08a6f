"""rules/insurer.yaml, the insurer: the pack keeps the issue's promises (tests/pack_checks.py),
and each text pattern picks exactly the real lines it should (statements in the personas,
tests/data and the real bank fixtures; the personas' named visits), plus real descriptor
formats no file here carries, and none of the look-alikes."""

from __future__ import annotations

import pytest

from pack_checks import problems
from statement_corpus import SHARED_SOURCES, check_pattern, matches, visit_names

PACK = "insurer"

PATTERNS = {
    "alcohol-purchases": {
        # THE OLD BLUE LAST (a Shoreditch pub, in tests/data) carries no pub word and is missed:
        # card text names a pub only when its name says so.
        "own": ["FISHTOWN TAPROOM", "LAMB AND FLAG LONDON GBR", "SQ *THE ASHLAND TAP Chicago IL ##/##"],
        "examples": ["WETHERSPOONS 1234 LONDON", "MAJESTIC WINE", "TOTAL WINE & MORE", "THE RED LION LONDON",
                     "ABC FINE WINE & SPIRITS", "BINNY'S BEVERAGE DEPOT"],
        "not": ["BARCLAYS BANK", "BAR FEE", "BARBECUES GALORE", "PUBLIX SUPER MARKETS", "TAPAS REVOLUTION"],
    },
    # No file here records tobacco: the examples are shop descriptors as banks print them.
    "tobacco": {
        "examples": ["VAPE CLUB LTD MANCHESTER GBR", "SMOKE SHOP 4 LESS", "JUUL LABS", "CIGAR WORLD", "TOBACCONIST 22"],
        "not": ["GREGGS PLC", "SMOKEHOUSE BBQ", "VAPIANO BERLIN"],
    },
    "gym-membership": {
        "own": ["ORANGETHEORY FITNESS", "PUREGYM LTD", "PUREGYM LTD DD", "PUREGYM LTD DDR"],
        "examples": ["PLANET FITNESS", "ANYTIME FITNESS", "THE GYM GROUP", "DAVID LLOYD CLUBS"],
        "not": ["GYMSHARK ONLINE", "FITNESSCAPE APPAREL"],
    },
    "monthly-pharmacy": {
        "own": ["BOOTS #### LONDON GBR"],
        "examples": ["CVS/PHARMACY #02341", "WALGREENS #1234", "LLOYDSPHARMACY", "DUANE READE #14"],
        "not": ["DR MARTENS BOOTSTORE", "BOOTSCOOTERS DANCE"],
    },
    "medical-payments": {
        # Bank of Ireland's 'POS23SEP MEDIC' is a card payment at a medical centre cut to the field width.
        "own": ["KINETIC PHYSIO LTD LONDON GBR"], "shared": ["POS##SEP MEDIC"],
        "examples": ["QUEST DIAGNOSTICS", "LABCORP", "SMILE DENTAL CARE", "CITY URGENT CARE"],
        "not": ["PHYSICS WORLD BOOKSHOP", "MEDICI RESTAURANT"],
    },
}

# Named visits in the personas (the on-device exports name none): what each place rule picks.
VISIT_PATTERNS = {
    "bar-visits": {"The Lamb and Flag"},
    "medical-places": {"Royal Whitechapel Hospital", "Kinetic Physio Clinic"},
    "pharmacy-visits": {"Boots"},
}


def test_the_pack_keeps_the_issue_promises():
    assert problems(PACK) == []


@pytest.mark.parametrize("rule", PATTERNS)
def test_text_pattern_against_real_statements(rule, tmp_path, request):
    shared = request.getfixturevalue("shared_fixtures") if _shared_present() else None
    check_pattern(PACK, rule, PATTERNS[rule], tmp_path, shared)


@pytest.mark.parametrize("rule", VISIT_PATTERNS)
def test_place_patterns_against_real_visit_names(rule, tmp_path):
    # The other names there (Lidl, Tesco Express, ...) must be left alone.
    assert matches(PACK, rule, visit_names(), tmp_path, "name") == VISIT_PATTERNS[rule]


def _shared_present() -> bool:
    from conftest import SHARED_FIXTURES

    return all((SHARED_FIXTURES / s).is_dir() for s in SHARED_SOURCES)
