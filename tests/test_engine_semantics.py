"""Engine semantics: unknown rows, local time, windows, abstaining, derived tables, ablation, scores."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.engine import derived
from auditor.engine.compile import evaluate_pack, window_start
from auditor.engine.context import AuditData, Variant
from auditor.engine.operators import within
from auditor.packs.loader import load_pack
from auditor.scoring import ablate, score_pack

HEAD = "id: t\ntitle: t\nversion: '1'\nscorer: s\n"


def pack(rules: str, head: str = HEAD):
    loaded = load_pack("t.yaml", text=head + "rules:\n" + rules)
    assert loaded.ok, [i.render() for i in loaded.issues]
    return loaded.compiled


def rule(body: str, rid: str = "r") -> str:
    lines = [f"  - id: {rid}", "    title: t", "    infers: '{value}'", "    basis: design", "    signals: [spending-level]"]
    return "\n".join(lines + ["    " + line for line in body.strip().splitlines()]) + "\n"


def transactions(rows: list[dict], source: str = "bank:a") -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    n = len(frame)
    return model.conform("transactions", {**frame, "importer": ["t"] * n, "file": ["f.csv"] * n,
                                          "record": range(2, n + 2), "source": [source] * n}, length=n)  # fmt: skip


def test_hour_tests_abstain_on_date_only_rows_with_kleene_logic():
    frame = transactions([
        {"time": "2024-06-01T01:00Z", "has_time": True, "amount": -10},
        {"time": "2024-06-01", "has_time": False, "amount": -10},
        {"time": "2024-06-01", "has_time": False, "amount": 50},
    ])  # fmt: skip
    compiled = pack(
        rule("kind: transactions\nwhere: {any: [{time: {hour: [0, 6]}}, {amount: {greater: 0}}]}\nmeasure: share\nthreshold: 0.5", "or")
        + rule("kind: transactions\nwhere: {all: [{time: {hour: [0, 6]}}, {amount: {greater: 0}}]}\nmeasure: share\nthreshold: 0.5", "and")
        + rule("kind: transactions\nwhere: {not: {time: {hour: [0, 6]}}}\nmeasure: count\nthreshold: 1", "not")
    )
    data = AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-02", tz="UTC"))
    by_id = {f.rule: f for f in evaluate_pack(compiled, data.view())}
    # OR: row 0 true, row 2 true (the greater is known), row 1 unknown -> judged 2, matched 2
    assert (by_id["or"].value, by_id["or"].unjudged_rows) == (1.0, 1)
    # AND: row 0 false (amount), row 1 unknown, row 2 false wins over unknown -> judged 2, matched 0
    assert (by_id["and"].value, by_id["and"].unjudged_rows) == (0.0, 1)
    # NOT: only row 0 can be judged, and it is at night
    assert (by_id["not"].value, by_id["not"].unjudged_rows) == (0.0, 2)


def test_hours_are_local_the_rows_own_offset_first_then_the_time_zone():
    frame = transactions([
        {"time": "2024-06-01T23:30Z", "has_time": True, "amount": -1},  # 00:30 in London (BST)
        {"time": "2024-06-01T21:30Z", "has_time": True, "amount": -1, "utc_offset_min": 180},  # 00:30 at +03:00
    ])  # fmt: skip
    compiled = pack(rule("kind: transactions\nwhere: {time: {hour: [0, 1]}}\nthreshold: 1"))
    now = pd.Timestamp("2024-06-02", tz="UTC")
    utc = evaluate_pack(compiled, AuditData({"transactions": frame}, now=now).view())[0]
    london = evaluate_pack(compiled, AuditData({"transactions": frame}, now=now, timezone="Europe/London").view())[0]
    assert utc.evidence.tolist() == [1]
    assert london.evidence.tolist() == [0, 1]


def test_windows_look_back_from_now_in_calendar_months():
    assert window_start(pd.Timestamp("2024-03-31", tz="UTC"), "1mo") == pd.Timestamp("2024-02-29", tz="UTC")
    frame = transactions([{"time": t, "amount": -1} for t in ("2024-01-15", "2024-02-29", "2024-03-30")])
    compiled = pack(rule("kind: transactions\nwindow: 1mo\nthreshold: 1"))
    finding = evaluate_pack(compiled, AuditData({"transactions": frame}, now=pd.Timestamp("2024-03-31", tz="UTC")).view())[0]
    assert finding.value == 2 and finding.evidence.tolist() == [1, 2]


def test_min_data_abstains_with_not_enough_data():
    frame = transactions([{"time": "2024-06-01", "amount": -1}, {"time": "2024-06-10", "amount": -1}])
    compiled = pack(rule("kind: transactions\nmin_data: {rows: 3}\nthreshold: 1", "rows")
                    + rule("kind: transactions\nmin_data: {span: 30d}\nthreshold: 1", "span"))  # fmt: skip
    rows, span = evaluate_pack(compiled, AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-10", tz="UTC")).view())
    assert rows.abstained and rows.reason == "not enough data: 2 transactions where the rule needs at least 3"
    assert span.abstained and "cover 9 days where the rule needs 30d" in span.reason


def test_a_missing_derived_table_abstains_and_a_given_one_is_used(monkeypatch):
    # a table declared without a builder (as places was before auditor.derive computed it)
    monkeypatch.setitem(derived.REGISTRY, "places", dataclasses.replace(derived.REGISTRY["places"], build=None))
    points = model.conform("points", {"time": pd.to_datetime(["2024-06-01T01:00Z"] * 2), "lat": [51.5, 48.85],
                                      "lon": [-0.12, 2.35], "importer": "t", "file": "p", "record": [0, 1],
                                      "source": "gps"}, length=2)  # fmt: skip
    compiled = pack(rule("kind: points\nwhere: {position: {near: {place: home, within_m: 500}}}\nthreshold: 1"))
    now = pd.Timestamp("2024-06-02", tz="UTC")
    absent = evaluate_pack(compiled, AuditData({"points": points}, now=now).view())[0]
    assert absent.abstained and "derived table 'places'" in absent.reason
    places = pd.DataFrame({"label": ["home"], "lat": [51.5001], "lon": [-0.1201], "source": ["gps"]})
    found = evaluate_pack(compiled, AuditData({"points": points}, now=now, derived_tables={"places": places}).view())[0]
    assert found.fired and found.evidence.tolist() == [0]


def test_within_agrees_with_a_known_distance():
    # London to Paris is about 344 km
    lat, lon = np.array([48.8566]), np.array([2.3522])
    assert within(lat, lon, 51.5074, -0.1278, 345_000)[0]
    assert not within(lat, lon, 51.5074, -0.1278, 340_000)[0]


SCORED = HEAD + "scale: {min: 0, max: 100, start: 50}\nbands:\n  - {at_least: 0, label: low}\n  - {at_least: 60, label: high, unlocks: [a loan]}\n" \
    "dimensions:\n  money: {title: Money, weight: 0.2}\n"  # fmt: skip


def test_scores_add_effects_cap_dimensions_clamp_and_pick_the_band():
    frame = transactions([{"time": "2024-06-01", "amount": 100}] * 5)
    compiled = pack(
        rule("kind: transactions\nthreshold: 1\neffect: {per_unit: 10, cap: 45}\ndimension: money", "capped-by-rule")
        + rule("kind: transactions\nthreshold: 1\neffect: {points: 15}\ndimension: money", "fixed"),
        head=SCORED,
    )
    findings = evaluate_pack(compiled, AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-02", tz="UTC")).view())
    assert [f.effect for f in findings] == [45.0, 15.0]  # 5 x 10 = 50, capped at 45
    score = score_pack(compiled.pack, findings)
    money = next(d for d in score.dimensions if d.name == "money")
    assert (money.raw, money.applied, money.cap) == (60.0, 20.0, 20.0)  # weight 0.2 x range 100
    assert score.score == 50 + 20 and score.band.label == "high" and score.band.unlocks == ["a loan"]
    assert money.rules == ["capped-by-rule", "fixed"]


def test_ablation_shows_each_source_without_and_alone_and_reuses_row_work():
    frame = pd.concat([transactions([{"time": "2024-06-01", "amount": -5, "description": "BET365"}], "bank:a"),
                       transactions([{"time": "2024-06-01", "amount": -5, "description": "TESCO"}], "bank:b")],
                      ignore_index=True)  # fmt: skip
    frame["source"] = frame["source"].astype("category")
    compiled = pack(rule("kind: transactions\nwhere: {description: {contains: bet}}\nthreshold: 1\neffect: {points: -10}"),
                    head=HEAD + "scale: {min: 0, max: 100, start: 50}\n")  # fmt: skip
    data = AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-02", tz="UTC"))
    everything = score_pack(compiled.pack, evaluate_pack(compiled, data.view()))
    leaves_before = sum(1 for key in data._shared if key[0] == "leaf")  # noqa: SLF001
    effects = {e.source: e for e in ablate(compiled, data, everything)}
    assert everything.score == 40
    assert effects["bank:a"].without.score == 50 and effects["bank:a"].alone.score == 40
    assert effects["bank:a"].needs_it == ["r"]
    assert effects["bank:b"].without.score == 40 and effects["bank:b"].alone.score == 50
    assert effects["bank:a"].rows == {"transactions": 1}
    assert sum(1 for key in data._shared if key[0] == "leaf") == leaves_before  # noqa: SLF001


def test_variant_selection_by_source():
    frame = pd.DataFrame({"source": pd.Categorical(["a", "b", "a"])})
    assert Variant(only="a").selection(frame).tolist() == [True, False, True]
    assert Variant(exclude=frozenset({"a"})).selection(frame).tolist() == [False, True, False]
    assert Variant().selection(frame) is None


@pytest.mark.parametrize(
    "template, expected",
    [("{value} in {window}", "2 in 90d"), ("{value.__class__} is never evaluated", "{value.__class__} is never evaluated")],
)
def test_inference_fills_named_placeholders_only(template, expected):
    frame = transactions([{"time": "2024-06-01", "amount": -1}] * 2)
    compiled = pack(rule("kind: transactions\nwindow: 90d\nthreshold: 1").replace("infers: '{value}'", f"infers: '{template}'"))
    finding = evaluate_pack(compiled, AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-02", tz="UTC")).view())[0]
    assert finding.inference == expected


def test_hand_made_derived_rows_may_leave_whole_numbers_out():
    # A pack's test case gives a number in one row and not the other: the missing
    # reference reads as "none" (-1), a missing count as 0, never a cast error.
    frame = derived.conform(
        "places",
        pd.DataFrame({"label": ["home", "work"], "lat": [51.5, 51.52], "lon": [-0.1, -0.08],
                      "place": [3, None], "nights": [30, None]}),
    )  # fmt: skip
    assert frame["place"].tolist() == [3, -1]
    assert frame["nights"].tolist() == [30, 0]
    assert str(frame["place"].dtype) == "int64"


def test_an_abstention_names_the_step_that_left_nothing_to_judge():
    frame = transactions([
        {"time": "2024-06-01", "has_time": False, "amount": -10},
        {"time": "2024-06-01", "has_time": False, "amount": 20},
    ])  # fmt: skip
    compiled = pack(
        rule("kind: transactions\nwhere: {time: {hour: [0, 6]}}\nmeasure: count\nthreshold: 1", "night")
        + rule("kind: transactions\nwhere: {amount: {less: -5}}\n"
               "measure: {share: amount, among: {amount: {less: -100}}}\nthreshold: 0.5", "big")  # fmt: skip
    )
    data = AuditData({"transactions": frame}, now=pd.Timestamp("2024-06-02", tz="UTC"))
    by_id = {f.rule: f for f in evaluate_pack(compiled, data.view())}
    assert by_id["night"].abstained and "date-only rows have no time of day" in by_id["night"].reason
    # No payment above 100: nothing to take a share of, which is not about times at all.
    assert by_id["big"].abstained and "no row is among" in by_id["big"].reason
    assert "time of day" not in by_id["big"].reason
