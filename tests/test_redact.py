"""redact(result, level): nothing a persona planted survives coarse or strict, and the rest stays readable."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from reports_support import PERSONAS, audit, audit_with_sources, frames_text, leaks, planted

from auditor.commands.scan import render_markdown, result_document
from auditor.redact import GRID_DEGREES, RedactionError, money_band, normalise, redact, redaction_of


def rendered(result, tables: bool = True) -> str:
    """Everything the core renderers show of a result: Markdown, JSON and (``tables``) every table."""
    return "\n".join([render_markdown(result), json.dumps(result_document(result), ensure_ascii=False),
                      frames_text(result) if tables else ""])  # fmt: skip


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_planted_secrets_are_in_the_plain_audit(persona):
    # The control: without redaction the same outputs do show them, so the test below can fail.
    result = audit(persona)
    secrets = planted(persona, result)
    assert len(secrets) >= 20
    shown = leaks(rendered(result), secrets)
    assert len(shown) >= 0.9 * len(secrets), sorted(set(secrets) - set(shown))


@pytest.mark.parametrize("level", ["coarse", "strict"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_planted_name_address_merchant_or_coordinate_survives(persona, level):
    result = audit(persona)
    redacted = redact(result, level)
    assert redaction_of(redacted) == level
    secrets = planted(persona, result)
    assert leaks(rendered(redacted), secrets) == []
    # and with "what each source gives away", whose source labels name accounts
    with_sources = audit_with_sources(persona)
    assert with_sources.packs[0].sources
    assert leaks(rendered(redact(with_sources, level), tables=False), secrets) == []


def test_coarse_keeps_places_to_a_few_km_months_bands_and_categories():
    result = audit("night-shift-nurse")
    coarse = redact(result, "coarse")
    visits, shown = result.frame("visits"), coarse.frame("visits")
    assert len(shown) == len(visits)  # evidence row ids still index the same rows
    moved = (shown["lat"] - visits["lat"]).abs()
    assert moved.max() <= GRID_DEGREES / 2 + 1e-9 and moved.max() > 0
    assert shown["lat"].nunique() < visits["lat"].nunique()
    times = coarse.frame("transactions")["time"]
    assert (times.dt.day == 1).all() and (times.dt.hour == 0).all()
    assert not coarse.frame("transactions")["has_time"].any()
    original = result.frame("transactions")
    months = original["time"].dt.tz_localize(None).dt.to_period("M").dt.to_timestamp().dt.tz_localize("UTC")
    assert (times == months).all()
    amounts = coarse.frame("transactions")["amount"]
    assert set(amounts.dropna()) <= set(money_band(pd.Series([-1e9, -7000, -700, -70, -7, 0, 7, 70, 700, 7000, 1e9])
                                                   .repeat(1)).tolist()) | set(money_band(original["amount"]))
    # merchants become a pseudonym with their category; one shop keeps one pseudonym
    descriptions = coarse.frame("transactions")["description"]
    assert descriptions.str.fullmatch(r"Merchant \d+( \(.+\))?").all()
    paired = pd.DataFrame({"shop": original["description"].map(lambda d: normalise("Merchant", d)),
                           "shown": descriptions.str.extract(r"^(Merchant \d+)")[0]})  # fmt: skip
    assert (paired.groupby("shop")["shown"].nunique() == 1).all()
    assert paired["shown"].nunique() == paired["shop"].nunique()
    assert coarse.now == pd.Timestamp("2024-02-01", tz="UTC")


def test_strict_leaves_no_place_merchant_amount_or_date():
    result = audit("gig-driver")
    strict = redact(result, "strict")
    for kind, frame in strict.dataset.frames.items():
        for column in frame.columns:
            values = frame[column]
            if column in ("lat", "lon") or column.endswith(("_lat", "_lon")):
                assert values.isna().all(), (kind, column)
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                assert values.isna().all(), (kind, column)
            if column in ("amount", "fare", "balance", "description", "merchant", "name", "address", "counterparty"):
                assert values.isna().all(), (kind, column)
    # what remains is what kind of row it was and where in which (pseudonymous) file
    transactions = strict.frame("transactions")
    assert transactions["category"].notna().any() or transactions["type"].notna().any()
    assert transactions["file"].str.fullmatch(r"File \d+").all()
    assert strict.now == pd.Timestamp("2025-01-01", tz="UTC")


def test_findings_keep_their_outcome_and_evidence_but_not_their_sums():
    result = audit_with_sources("night-shift-nurse")
    for level in ("coarse", "strict"):
        redacted = redact(result, level)
        for plain, hidden in zip(result.packs, redacted.packs):
            assert hidden.score.score == plain.score.score
            for a, b in zip(plain.findings, hidden.findings):
                assert (a.rule, a.outcome, a.effect) == (b.rule, b.outcome, b.effect)
                assert np.array_equal(a.evidence, b.evidence)
            assert [s.source for s in hidden.sources] == sorted(redacted.data.sources())
    # the nurse's salary is not shown by the share or streak measures, only by sums
    assert not any(":" in s and "Monzo" in s for s in redact(result, "coarse").data.sources())


def test_same_result_same_pseudonyms_and_different_audits_do_not_link():
    result = audit("night-shift-nurse")
    first, second = redact(result, "coarse"), redact(result, "coarse")
    assert render_markdown(first) == render_markdown(second)
    assert first.frame("visits")["address"].equals(second.frame("visits")["address"])
    assert redact(first, "coarse") is first
    with pytest.raises(RedactionError, match="unknown redaction level"):
        redact(result, "medium")
    with pytest.raises(RedactionError, match="original"):
        redact(first, "strict")
    assert redact(result, "none") is result


def test_money_bands_keep_the_sign_and_say_nothing_finer():
    bands = money_band(pd.Series([-2583.5, -3.2, 0.0, 4.0, 12.01, 999.99, 60000.0, np.nan]))
    assert bands.tolist()[:7] == ["-5,000 to -1,000", "-10 to 0", "0 to 10", "0 to 10", "10 to 50", "500 to 1,000",
                                  "over 50,000"]  # fmt: skip
    assert pd.isna(bands.iloc[7])


def test_merchant_pseudonyms_ignore_store_numbers_and_dates():
    assert normalise("Merchant", "TACO BELL #031233 CHICAGO IL            01/02") == normalise(
        "Merchant", "TACO BELL #031233 CHICAGO IL            12/31") == "TACO BELL CHICAGO IL"
    assert normalise("Place", " 33 Bonner Road ") == "33 Bonner Road"
