"""Benchmark: a 50-rule pack using every operator and every measure, over 3M points and 50k
transactions (synthetic, deterministic). Prints the time per rule and the total.

Target (issue 6): the whole pack under 3 s on a 2-core machine like CI's.

    python bench/rules_bench.py [--points 3000000] [--transactions 50000] [--ablation]

The first evaluation is timed cold (no cached leaves, clocks or windows); rules that share
a column pay for it once, as they do in a real audit.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor import model  # noqa: E402
from auditor.engine.compile import evaluate_pack  # noqa: E402
from auditor.engine.context import AuditData  # noqa: E402
from auditor.engine.measures import MEASURES  # noqa: E402
from auditor.engine.operators import OPERATORS  # noqa: E402
from auditor.packs.lint import _leaves  # noqa: E402
from auditor.packs.loader import load_pack  # noqa: E402
from auditor.packs import model as fmt  # noqa: E402
from auditor.scoring import ablate, score_pack  # noqa: E402

HOME, WORK = (51.5400, -0.1000), (51.5150, -0.0900)
NOW = pd.Timestamp("2024-06-30", tz="UTC")


def make_points(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """A person who is mostly at home or work: one fix a minute or so, ending at NOW."""
    step = rng.integers(30, 150, n).astype("int64")
    seconds = NOW.value // 10**9 - np.cumsum(step[::-1])[::-1]
    where = rng.choice(3, n, p=[0.55, 0.3, 0.15])
    lat = np.where(where == 0, HOME[0], np.where(where == 1, WORK[0], 51.45 + rng.random(n) * 0.15))
    lon = np.where(where == 0, HOME[1], np.where(where == 1, WORK[1], -0.25 + rng.random(n) * 0.3))
    lat = lat + rng.normal(0, 0.0002, n)
    lon = lon + rng.normal(0, 0.0003, n)
    lat[rng.random(n) < 0.001] = np.nan
    return model.conform("points", {
        "importer": pd.Categorical(np.where(rng.random(n) < 0.9, "google-records", "gpx")),
        "file": pd.Categorical(["Records.json"] * n),
        "record": np.arange(n),
        "source": pd.Categorical(np.where(rng.random(n) < 0.9, "google-location", "gpx")),
        "time": pd.to_datetime(seconds, unit="s", utc=True),
        "lat": lat, "lon": lon,
        "accuracy_m": rng.gamma(2.0, 15.0, n).astype("float32"),
        "speed_mps": np.abs(rng.normal(1.5, 4, n)).astype("float32"),
        "signal": pd.Categorical(rng.choice(["GPS", "WIFI", "CELL"], n)),
        "activity": pd.Categorical(rng.choice(["STILL", "WALKING", "IN_VEHICLE", "ON_BICYCLE"], n)),
        "device": pd.Categorical(rng.choice(["phone-1", "phone-2"], n)),
    }, length=n)  # fmt: skip


MERCHANTS = ["TESCO STORES", "COSTA COFFEE", "BET365", "SKY BET", "THAMES WATER", "EE MOBILE", "TFL TRAVEL CH",
             "AMAZON MKTPLACE", "ADVANCE AMERICA", "KLARNA", "NIGHT OWL BAR", "ACME LTD SALARY", "RENT LANDLORD",
             "OVERDRAFT FEE", "NSF RETURNED ITEM", "DELIVEROO", "SHELL", "BOOTS PHARMACY", "GYM GROUP", "PAYPAL *FRIEND"]  # fmt: skip
MCCS = ["5411", "5814", "7995", "7995", "4900", "4814", "4111", "5942", "6051", "5999", "5813", "", "6513", "", "",
        "5812", "5541", "5912", "7997", "4829"]  # fmt: skip


def make_transactions(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Statement lines with dates in them (as real descriptions have), two accounts."""
    pick = rng.integers(0, len(MERCHANTS), n)
    seconds = NOW.value // 10**9 - rng.integers(0, 5 * 365 * 86400, n)
    days = pd.to_datetime(seconds, unit="s", utc=True)
    has_time = rng.random(n) < 0.5
    times = np.where(has_time, days.values, days.floor("D").values)
    prefix = np.array(["CARD PAYMENT TO ", "DD ", "FPI ", ""])[rng.integers(0, 4, n)]
    description = (pd.Series(prefix) + pd.Series(np.array(MERCHANTS)[pick]) + " ON "
                   + pd.Series(days.strftime("%d-%m-%Y"))).to_numpy()  # fmt: skip
    amount = np.round(-rng.gamma(2.0, 20.0, n), 2)
    amount[np.array(MERCHANTS)[pick] == "ACME LTD SALARY"] = 2100.0
    mcc = np.array(MCCS)[pick]
    return model.conform("transactions", {
        "importer": pd.Categorical(["bank-csv"] * n), "file": pd.Categorical(["statement.csv"] * n),
        "record": np.arange(2, n + 2),
        "source": pd.Categorical(np.where(rng.random(n) < 0.7, "bank:current", "bank:card")),
        "time": pd.to_datetime(times, utc=True), "has_time": has_time,
        "utc_offset_min": pd.array(np.where(has_time, pd.NA, 0), dtype="Int32"),
        "amount": amount, "currency": pd.Categorical(["GBP"] * n), "description": description,
        "merchant": np.array(MERCHANTS)[pick], "mcc": pd.array(np.where(mcc == "", None, mcc), dtype="string"),
        "balance": np.round(1500 + np.cumsum(amount) % 3000 - 500, 2),
        "counterparty": np.where(pick == 19, rng.choice(["Ann", "Bob", "Cy", "Dee"], n), None),
    }, length=n)  # fmt: skip


def rule(rid: str, kind: str, where: str | None, measure: str, threshold: str, extra: str = "") -> str:
    lines = [f"  - id: {rid}", f"    title: {rid}", f"    kind: {kind}"]
    if where:
        lines.append(f"    where: {where}")
    lines += [f"    measure: {measure}", f"    threshold: {threshold}"]
    if extra:
        lines += [f"    {part}" for part in extra.split("; ")]
    lines += ["    infers: '{value}'", "    basis: design", "    signals: [spending-level]"]
    return "\n".join(lines) + "\n"


SPEND = "{amount: {less: 0}}"
RULES = [
    # transactions: text operators (arrow, RE2)
    ("t-equals", "transactions", "{merchant: {equals: 'costa coffee'}}", "count", "10", ""),
    ("t-in", "transactions", "{mcc: {in: ['7995', '7801', '7802']}}", "count", "1", "window: 90d"),
    ("t-contains", "transactions", "{description: {contains: overdraft}}", "count", "3", "window: 12mo"),
    ("t-contains-any", "transactions", "{description: {contains_any: [NSF, returned item, unpaid]}}", "count", "3", "window: 90d"),
    ("t-starts-with", "transactions", "{description: {starts_with: ['DD ', 'FPI ']}}", "{streak: month}", "6", ""),
    ("t-matches", "transactions", "{description: {matches: '(?i)^card payment to .*bet'}}", "{count_per: month}", "2", ""),
    ("t-in-list", "transactions", "{mcc: {in_list: gambling_mcc}}", "{share: amount, among: " + SPEND + "}", "0.05", "window: 6mo"),
    ("t-contains-list", "transactions", "{description: {contains_list: gambling_merchants}}", "{sum: amount}", "{at_most: -500}", "window: 12mo"),
    ("t-payday", "transactions", "{description: {contains_list: payday_lenders}}", "last_seen", "{at_most: 90}", ""),
    ("t-bnpl", "transactions", "{description: {contains_list: bnpl_providers}}", "{distinct: merchant}", "2", "window: 90d"),
    ("t-greater", "transactions", "{amount: {greater: 1000}}", "{regularity: 0.2}", "0.8", "group_by: merchant"),
    ("t-less", "transactions", "{amount: {less: -200}}", "count", "5", "window: 30d"),
    ("t-between", "transactions", "{amount: {between: [-10, -1]}}", "share", "0.2", ""),
    ("t-hour", "transactions", "{all: [{time: {hour: [0, 6]}}, " + SPEND + "]}", "share", "0.2", "window: 12mo"),
    ("t-weekday", "transactions", "{time: {weekday: [sat, sun]}}", "{share: amount, among: " + SPEND + "}", "0.4", ""),
    ("t-date", "transactions", "{time: {date: {from: 2023-12-20, to: 2023-12-31}}}", "{sum: amount}", "{at_most: -300}", ""),
    ("t-missing", "transactions", "{mcc: {missing: true}}", "share", "0.5", ""),
    ("t-mean", "transactions", SPEND, "{mean: amount}", "{at_most: -50}", "window: 90d"),
    ("t-min-balance", "transactions", None, "{min: balance}", "{less_than: 0}", "window: 90d"),
    ("t-max", "transactions", None, "{max: amount}", "3000", ""),
    ("t-variation", "transactions", "{description: {contains: salary}}", "{variation: amount}", "0.25", "group_by: month"),
    ("t-salary-months", "transactions", "{description: {contains: salary}}", "count", "1", "group_by: month; groups: {at_least: 6}; window: 12mo"),
    ("t-first-seen", "transactions", "{description: {contains: salary}}", "first_seen", "{at_most: 365}", ""),
    ("t-p2p", "transactions", "{description: {contains: paypal}}", "{distinct: counterparty}", "3", "window: 90d"),
    ("t-not-any", "transactions", "{not: {any: [{mcc: {missing: true}}, {amount: {greater: 0}}]}}", "count", "1", "group_by: mcc"),
    # points: time, position, numbers, categories
    ("p-hour", "points", "{time: {hour: [0, 4]}}", "share", "0.1", ""),
    ("p-weekday", "points", "{time: {weekday: [mon-fri]}}", "share", "0.5", "window: 90d"),
    ("p-date", "points", "{time: {date: {from: 2024-01-01}}}", "count", "1000", ""),
    ("p-near-home", "points", "{position: {near: {place: home}}}", "share", "0.5", ""),
    ("p-near-work", "points", "{position: {near: {place: work, within_m: 300}}}", "count", "1000", "window: 30d"),
    ("p-near-point", "points", "{position: {near: {lat: 51.5246, lon: -0.1340, within_m: 200}}}", "count", "1", ""),
    ("p-nights-away", "points", "{all: [{time: {hour: [1, 5]}}, {not: {position: {near: {place: home}}}}]}", "count", "1", "group_by: day; groups: {at_least: 8}; window: 30d"),
    ("p-missing", "points", "{position: {missing: true}}", "count", "1", ""),
    ("p-accuracy", "points", "{accuracy_m: {between: [0, 20]}}", "share", "0.3", ""),
    ("p-speed", "points", "{speed_mps: {greater: 30}}", "count", "1", ""),
    ("p-slow", "points", "{speed_mps: {less: 0.5}}", "share", "0.1", ""),
    ("p-signal", "points", "{signal: {equals: gps}}", "share", "0.3", ""),
    ("p-activity", "points", "{activity: {in: [IN_VEHICLE]}}", "{count_per: week}", "100", ""),
    ("p-activity-text", "points", "{activity: {contains: bicycle}}", "{streak: day}", "5", ""),
    ("p-activity-starts", "points", "{activity: {starts_with: [in_]}}", "count", "1", "group_by: month"),
    ("p-activity-any", "points", "{activity: {contains_any: [walk, run]}}", "share", "0.2", "group_by: hour"),
    ("p-activity-re", "points", "{activity: {matches: '^(WALKING|RUNNING)$'}}", "count", "1", "group_by: weekday"),
    ("p-device-list", "points", "{device: {in_list: devices}}", "count", "1", ""),
    ("p-device-contains-list", "points", "{device: {contains_list: devices}}", "{distinct: device}", "2", ""),
    ("p-places", "points", None, "count", "1000", "group_by: place; window: 90d"),
    ("p-mean-accuracy", "points", None, "{mean: accuracy_m}", "{at_most: 50}", "window: 30d"),
    ("p-max-speed", "points", None, "{max: speed_mps}", "40", ""),
    ("p-min-accuracy", "points", None, "{min: accuracy_m}", "{at_most: 1}", ""),
    ("p-variation", "points", "{activity: {equals: in_vehicle}}", "{variation: speed_mps}", "1", ""),
    ("p-first-last", "points", "{signal: {equals: cell}}", "first_seen", "365", ""),
]

HEADER = """id: bench
title: Benchmark pack
version: "1"
scorer: the benchmark
scale: {min: 0, max: 1000, start: 500}
include: [lists/gambling.yaml, lists/credit.yaml]
lists:
  devices: [phone-1]
rules:
"""


def build_pack():
    text = HEADER + "".join(rule(*r) for r in RULES)
    loaded = load_pack(Path(__file__).resolve().parent.parent / "rules" / "bench.yaml", text=text, display="bench pack")
    errors = [i.render() for i in loaded.errors]
    if errors:
        raise SystemExit("\n".join(errors))
    operators, measures = set(), set()
    for r in loaded.pack.rules:
        for condition in (r.where, r.measure.among):
            if condition is not None:
                operators.update(name for *_, name, _ in _leaves((), condition))
        measures.add(fmt.measure_name_and_argument(r.measure)[0])
    assert operators == set(OPERATORS), set(OPERATORS) - operators
    assert measures == set(MEASURES), set(MEASURES) - measures
    assert len(loaded.pack.rules) == 50
    return loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=3_000_000)
    parser.add_argument("--transactions", type=int, default=50_000)
    parser.add_argument("--ablation", action="store_true", help="also time the per-source ablation")
    parser.add_argument("--timezone", default=None)
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    started = time.perf_counter()
    frames = {"points": make_points(args.points, rng), "transactions": make_transactions(args.transactions, rng)}
    places = pd.DataFrame({"label": ["home", "work"], "lat": [HOME[0], WORK[0]], "lon": [HOME[1], WORK[1]],
                           "radius_m": [150.0, 150.0], "source": ["google-location"] * 2})  # fmt: skip
    print(f"data: {args.points:,} points, {args.transactions:,} transactions in {time.perf_counter() - started:.1f} s")
    loaded = build_pack()
    data = AuditData(frames, now=NOW, timezone=args.timezone, derived_tables={"places": places})
    timings: dict[str, float] = {}
    started = time.perf_counter()
    findings = evaluate_pack(loaded.compiled, data.view(), timings=timings)
    total = time.perf_counter() - started
    print(f"\n{'rule':28} {'seconds':>8}  outcome     value")
    for finding in findings:
        print(f"{finding.rule:28} {timings['bench/' + finding.rule]:8.3f}  {finding.outcome:10}  {finding.shown_value}")
    print(f"\nwhole pack, 50 rules, cold: {total:.2f} s (target < 3 s) -> {'OK' if total < 3 else 'OVER TARGET'}")
    started = time.perf_counter()
    evaluate_pack(loaded.compiled, data.view())
    print(f"again, warm caches: {time.perf_counter() - started:.2f} s")
    if args.ablation:
        started = time.perf_counter()
        effects = ablate(loaded.compiled, data, score_pack(loaded.pack, findings))
        print(f"ablation over {len(effects)} sources (without each, each alone): {time.perf_counter() - started:.2f} s")
    return 0 if total < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
