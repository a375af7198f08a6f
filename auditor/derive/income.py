"""Income streams: money received, grouped by payer.

One row per payer (and currency): what kind of income it is (payroll, benefits, gig
payouts, person-to-person, loans, transfers from the person's own accounts, refunds),
how often it comes, how much per month and how steady it is. Cash-flow underwriters read
exactly these: Petal's "income, stability of income", CasaPay's ``income_stability_score``
and ``pay_frequency`` (inference.md section 2.3).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.derive import common, recurring

# Money in that is not earned: left out of the denominator of ``share``.
NOT_INCOME = ("transfer", "loan", "refund")


def build_income(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """One row per payer of money received."""
    payments = common.derived_of(frames, "payments", now, timezone)
    if not len(payments):
        return common.empty("income")
    is_in = payments["direction"].astype("string").eq("in").fillna(False).to_numpy(dtype=bool)
    payer = payments["merchant"].astype("string").str.lower().str.strip()
    is_in &= payer.notna().to_numpy()
    rows = np.flatnonzero(is_in)
    if not len(rows):
        return common.empty("income")
    picked = payments.iloc[rows]
    key = (payer.iloc[rows] + "|" + picked["currency"].astype("string").fillna("")).reset_index(drop=True)
    stream_codes, uniques = pd.factorize(key, sort=False)  # first appearance order: time order
    n = len(uniques)
    group = np.full(len(payments), -1, dtype=np.int64)
    group[rows] = stream_codes
    out: dict[str, object] = common.trace(payments, group, n, "transactions")

    amount = picked["amount"].to_numpy(dtype="float64")
    t_ns = common.utc_ns(picked["time"])
    local = common.local_ns(picked, "time", timezone).astype("datetime64[ns]")
    month = local.astype("datetime64[M]").astype(np.int64)
    frame = pd.DataFrame({"stream": stream_codes, "amount": amount, "t": t_ns / common.NS_PER_DAY, "t_ns": t_ns,
                          "month": month, "type": picked["income_type"].astype("string").to_numpy(dtype=object)})
    grouped = frame.groupby("stream")
    total = grouped["amount"].sum().reindex(range(n)).to_numpy()
    count = grouped.size().reindex(range(n)).to_numpy(dtype=np.int64)
    first_month = grouped["month"].min().reindex(range(n)).to_numpy()
    last_month = grouped["month"].max().reindex(range(n)).to_numpy()
    months = (last_month - first_month + 1).astype(np.int64)
    # monthly sums over every month of the stream's span, zeros included
    by_month = frame.groupby(["stream", "month"])["amount"].sum()
    stream_idx = by_month.index.get_level_values(0).to_numpy()
    sums = by_month.to_numpy()
    sum_sq = pd.Series(sums**2).groupby(stream_idx).sum().reindex(range(n)).to_numpy()
    mean = total / months
    variance = np.maximum(sum_sq / months - mean**2, 0.0)
    cv = np.where(mean > 0, np.sqrt(variance) / np.where(mean > 0, mean, 1), np.nan)
    cv = np.where(months > 1, cv, np.nan)
    ordered = frame.sort_values(["stream", "t"], kind="stable")
    gap = ordered.groupby("stream")["t"].diff()
    median_gap = gap.groupby(ordered["stream"]).median().reindex(range(n)).to_numpy()
    cadence_index = recurring.cadence_of(median_gap)
    names = np.array([c[0] for c in recurring.CADENCES] + ["irregular"], dtype=object)
    cadence = np.where(count >= recurring.MIN_PAYMENTS, names[cadence_index], "irregular")
    kind = frame.groupby("stream")["type"].agg(lambda v: v.value_counts().index[0] if v.notna().any() else "other")
    kind = kind.reindex(range(n)).to_numpy(dtype=object)
    earned = ~np.isin(frame["type"].to_numpy(dtype=object), NOT_INCOME)
    denominator = frame.loc[earned, "amount"].sum()
    share = total / denominator if denominator > 0 else np.full(n, np.nan)
    stability = np.where(np.isnan(cv), 0.0, np.clip(1.0 - np.nan_to_num(cv), 0.0, 1.0))
    first_rows = pd.Series(rows).groupby(stream_codes).min().reindex(range(n)).to_numpy()
    out.update({
        "payer": payments["merchant"].astype("string").to_numpy(dtype=object, na_value=None)[first_rows],
        "income_type": kind,
        "cadence": cadence,
        "count": count,
        "first": common.ns_to_utc(grouped["t_ns"].min().reindex(range(n)).to_numpy(dtype=np.int64)),
        "last": common.ns_to_utc(grouped["t_ns"].max().reindex(range(n)).to_numpy(dtype=np.int64)),
        "total": total,
        "monthly_amount": mean,
        "monthly_cv": cv,
        "months": months,
        "share": share,
        "stability": stability,
        "currency": payments["currency"].astype("string").to_numpy(dtype=object, na_value=None)[first_rows],
    })  # fmt: skip
    return pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})
