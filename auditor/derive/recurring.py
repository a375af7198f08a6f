"""Recurring payments: the same payee, a similar amount, a regular interval.

:func:`detect_series` numbers the series in the ``payments`` table (its ``series``
column); :func:`build_recurring` describes each series: cadence, typical amount, first
and last payment, whether it is still active, and how often a payment came late.

Rent is one series across landlords: a move changes the payee and the amount, not the
fact that rent was paid each month, which is what a screener reads. Rent paid to a
person (Zelle, Faster Payment) carries no merchant word, so :func:`label_rent` marks the
large monthly person-to-person payments that look like rent (docs/derived-tables.md).

Thresholds (design defaults, documented in docs/derived-tables.md): 3 payments at least
(Experian Boost's 3-in-6 rule is the practice anchor), amounts chained within 25 %, a
cadence band holding 60 % of the intervals, late = more than 4 days after the due day.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.derive import common

MIN_PAYMENTS = 3
AMOUNT_STEP = 1.25  # a new amount band where the next larger amount is more than 25 % above
REGULAR_SHARE = 0.6
LATE_AFTER_DAYS = 4
# cadence: (name, nominal days, median interval range, single interval range)
CADENCES = (
    ("weekly", 7.0, (6.0, 8.0), (5.0, 9.0)),
    ("biweekly", 14.0, (13.0, 16.0), (11.0, 17.0)),
    ("monthly", 30.44, (26.0, 35.0), (25.0, 37.0)),
    ("quarterly", 91.3, (85.0, 95.0), (80.0, 100.0)),
    ("yearly", 365.25, (350.0, 380.0), (340.0, 390.0)),
)
RENT_SHARE_OF_INFLOW = 0.2
RENT_LATEST_DAY = 10


def _keys(payments: pd.DataFrame) -> pd.Series:
    """Series key: payee (rent: one key), direction and currency."""
    merchant = payments["merchant"].astype("string").str.lower().str.strip()
    rent = payments["merchant_category"].astype("string").eq("rent").fillna(False) & payments["direction"].astype(
        "string").eq("out").fillna(False)
    merchant = merchant.mask(rent, "\x00rent")
    return merchant + "|" + payments["direction"].astype("string") + "|" + payments["currency"].astype("string").fillna("")


def detect_series(payments: pd.DataFrame, timezone: str | None) -> np.ndarray:
    """Series number of each payment (-1: not part of a recurring series)."""
    n = len(payments)
    series = np.full(n, -1, dtype=np.int64)
    if n < MIN_PAYMENTS:
        return series
    keys = _keys(payments)
    amount = np.abs(payments["amount"].to_numpy(dtype="float64", na_value=np.nan))
    valid = keys.notna().to_numpy() & np.isfinite(amount) & (amount > 0) & payments["time"].notna().to_numpy()
    rows = np.flatnonzero(valid)
    if len(rows) < MIN_PAYMENTS:
        return series
    key_codes, _ = pd.factorize(keys.iloc[rows], sort=True)
    is_rent = keys.iloc[rows].str.startswith("\x00rent").to_numpy(dtype=bool)
    amt = amount[rows]
    # amount bands: sort by (key, amount); a band breaks where the key changes or the amount jumps
    order = np.lexsort((amt, key_codes))
    k_sorted, a_sorted, rent_sorted = key_codes[order], amt[order], is_rent[order]
    new_band = np.ones(len(order), dtype=bool)
    new_band[1:] = (k_sorted[1:] != k_sorted[:-1]) | ((a_sorted[1:] > a_sorted[:-1] * AMOUNT_STEP) & ~rent_sorted[1:])
    band = np.empty(len(order), dtype=np.int64)
    band[order] = np.cumsum(new_band, dtype=np.int64) - 1
    sizes = np.bincount(band)
    candidate = sizes[band] >= MIN_PAYMENTS
    if not candidate.any():
        return series
    cand_rows = rows[candidate]
    cand_band = band[candidate]
    t = common.utc_ns(payments["time"]).astype(np.float64)[cand_rows] / common.NS_PER_DAY
    order = np.lexsort((t, cand_band))
    b, t, r = cand_band[order], t[order], cand_rows[order]
    gaps = np.diff(t, prepend=np.nan)
    first = np.ones(len(b), dtype=bool)
    first[1:] = b[1:] != b[:-1]
    gaps[first] = np.nan
    frame = pd.DataFrame({"band": b, "gap": gaps})
    median = frame.groupby("band")["gap"].median()
    cadence = cadence_of(median.to_numpy())
    per_band = pd.Series(cadence, index=median.index)
    row_cadence = per_band.reindex(b).to_numpy()
    lo = np.full(len(b), np.nan)
    hi = np.full(len(b), np.nan)
    for index, (_, _, _, (low, high)) in enumerate(CADENCES):
        lo[row_cadence == index] = low
        hi[row_cadence == index] = high
    in_band = (gaps >= lo) & (gaps <= hi)
    judged = ~np.isnan(gaps)
    share = pd.Series(in_band & judged).groupby(b).sum() / pd.Series(judged).groupby(b).sum().replace(0, np.nan)
    good = (per_band >= 0) & (share.reindex(per_band.index).fillna(0) >= REGULAR_SHARE)
    good_bands = per_band.index[good.to_numpy()]
    if not len(good_bands):
        return series
    # number the series by their first payment (then band), so that numbers are stable
    good_bands = np.asarray(good_bands, dtype=np.int64)
    firsts = pd.Series(t).groupby(b).min().reindex(good_bands).to_numpy()
    ordered = good_bands[np.lexsort((good_bands, firsts))]
    number = pd.Series(np.arange(len(ordered)), index=ordered)
    keep = np.isin(b, good_bands)
    series[r[keep]] = number.reindex(b[keep]).to_numpy()
    return series


def cadence_of(median_gap: np.ndarray) -> np.ndarray:
    """Index into CADENCES of each median interval; -1 when none fits."""
    out = np.full(len(median_gap), -1, dtype=np.int64)
    for index, (_, _, (low, high), _) in enumerate(CADENCES):
        out[(median_gap >= low) & (median_gap <= high)] = index
    return out


def label_rent(payments: pd.DataFrame, timezone: str | None) -> None:
    """Mark as rent the large person-to-person payments paid monthly early in the month.

    A private landlord paid by Zelle or Faster Payment leaves only a person's name on the
    statement. Candidates: person-to-person, money out, at least RENT_SHARE_OF_INFLOW of the
    account's median monthly money in, paid by the RENT_LATEST_DAY of the month; they are
    rent when such payments fall in 3 or more months (design defaults).
    """
    if not len(payments):
        return
    amount = payments["amount"].to_numpy(dtype="float64", na_value=0.0)
    local = common.local_ns(payments, "time", timezone)
    month = local.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    day = (local.astype("datetime64[ns]") - local.astype("datetime64[ns]").astype("datetime64[M]")).astype(
        "timedelta64[D]").astype(np.int64) + 1
    source = payments["source"].astype("string").fillna("").to_numpy(dtype=object)
    inflow = pd.DataFrame({"source": source, "month": month, "inflow": np.where(amount > 0, amount, 0.0)})
    monthly = inflow.groupby(["source", "month"])["inflow"].sum().groupby(level=0).median()
    threshold = pd.Series(source).map(monthly).to_numpy(dtype="float64") * RENT_SHARE_OF_INFLOW
    category = payments["merchant_category"].astype("string")
    candidate = (payments["p2p"].to_numpy(dtype=bool) & (amount < 0) & (-amount >= threshold)
                 & (day <= RENT_LATEST_DAY) & category.isna().to_numpy())
    months = pd.Series(month[candidate]).groupby(source[candidate]).nunique() if candidate.any() else pd.Series(dtype=int)
    enough = pd.Series(source).map(months).fillna(0).to_numpy() >= 3
    rent = candidate & enough
    if rent.any():
        values = category.astype(object).to_numpy(copy=True)
        values[rent] = "rent"
        payments["merchant_category"] = pd.Series(values, dtype="string").astype("category")


def build_recurring(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """One row per recurring series of the ``payments`` table."""
    payments = common.derived_of(frames, "payments", now, timezone)
    member = payments["series"].to_numpy(dtype=np.int64) >= 0 if len(payments) else np.zeros(0, bool)
    if not member.any():
        return common.empty("recurring")
    rows = payments[member]
    series = rows["series"].to_numpy(dtype=np.int64)
    n = int(series.max()) + 1
    t_ns = common.utc_ns(rows["time"])
    t_days = t_ns / common.NS_PER_DAY
    local = common.local_ns(rows, "time", timezone).astype("datetime64[ns]")
    dom = ((local - local.astype("datetime64[M]")).astype("timedelta64[D]").astype(np.int64) + 1)
    amount = rows["amount"].to_numpy(dtype="float64")
    frame = pd.DataFrame({"series": series, "t": t_days, "t_ns": t_ns, "amount": amount, "dom": dom})
    frame = frame.sort_values(["series", "t"], kind="stable")
    grouped = frame.groupby("series")
    gap = grouped["t"].diff()
    median_gap = gap.groupby(frame["series"]).median().reindex(range(n))
    cadence_index = cadence_of(median_gap.to_numpy())
    names = np.array([c[0] for c in CADENCES] + [None], dtype=object)
    nominal = np.array([c[1] for c in CADENCES] + [np.nan])
    cadence = names[cadence_index]
    typical_dom = grouped["dom"].median().reindex(range(n)).to_numpy()
    # lateness: monthly and longer against the usual day of month; shorter against the last payment
    per_row_cadence = cadence_index[frame["series"].to_numpy()]
    monthly_like = per_row_cadence >= 2
    delay_dom = frame["dom"].to_numpy() - typical_dom[frame["series"].to_numpy()]
    delay_dom = np.where(delay_dom < -15, delay_dom + 30, np.where(delay_dom > 15, delay_dom - 30, delay_dom))
    delay_gap = gap.to_numpy() - nominal[per_row_cadence]
    delay = np.where(monthly_like, delay_dom, delay_gap)
    late = np.nan_to_num(delay, nan=0.0) > LATE_AFTER_DAYS
    late_count = pd.Series(late).groupby(frame["series"].to_numpy()).sum().reindex(range(n)).to_numpy(dtype=np.int64)
    count = grouped.size().reindex(range(n)).to_numpy(dtype=np.int64)
    first_ns = grouped["t_ns"].min().reindex(range(n)).to_numpy(dtype=np.int64)
    last_ns = grouped["t_ns"].max().reindex(range(n)).to_numpy(dtype=np.int64)
    interval = median_gap.to_numpy()
    next_ns = last_ns + np.nan_to_num(interval * common.NS_PER_DAY).astype(np.int64)
    now_ns = int(pd.Timestamp(now).value)
    grace = (LATE_AFTER_DAYS + 1) * common.NS_PER_DAY
    amounts = grouped["amount"]
    median_amount = amounts.median().reindex(range(n)).to_numpy()
    cv = (amounts.std(ddof=0) / amounts.mean().abs()).reindex(range(n)).to_numpy()
    out: dict[str, object] = common.trace(payments, np.where(member, payments["series"].to_numpy(dtype=np.int64), -1), n,
                                          "transactions")
    firsts = _first_rows(payments, n)
    out.update({
        "series": np.arange(n, dtype=np.int64),
        "merchant": _payees(payments, member, series, n),
        "merchant_category": payments["merchant_category"].astype("string").iloc[firsts].to_numpy(),
        "direction": payments["direction"].astype("string").iloc[firsts].to_numpy(),
        "cadence": cadence,
        "interval_days": interval,
        "amount": median_amount,
        "amount_cv": cv,
        "count": count,
        "first": common.ns_to_utc(first_ns),
        "last": common.ns_to_utc(last_ns),
        "next_expected": common.ns_to_utc(next_ns),
        "active": (next_ns + grace) >= now_ns,
        "day_of_month": pd.array(np.where(monthly_like_series(cadence_index), np.round(typical_dom), np.nan),
                                 dtype="Float64").round().astype("Int32"),
        "late_count": late_count,
        "on_time_share": 1.0 - late_count / np.maximum(count, 1),
        "currency": payments["currency"].astype("string").iloc[firsts].to_numpy(),
    })  # fmt: skip
    return pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})


def _payees(payments: pd.DataFrame, member: np.ndarray, series: np.ndarray, n: int) -> np.ndarray:
    """Each series' payee; a rent series paid to several landlords names them all, in order."""
    names = payments["merchant"].astype("string").to_numpy(dtype=object, na_value=None)[member]
    joined = pd.Series(names).groupby(series).agg(lambda v: " / ".join(dict.fromkeys(x for x in v if x)))
    return joined.reindex(range(n)).to_numpy(dtype=object)


def monthly_like_series(cadence_index: np.ndarray) -> np.ndarray:
    """Series paid monthly or less often (their due day is a day of the month)."""
    return cadence_index >= 2


def _first_rows(payments: pd.DataFrame, n: int) -> np.ndarray:
    """Position of each series' earliest payment."""
    series = payments["series"].to_numpy(dtype=np.int64)
    member = np.flatnonzero(series >= 0)
    t = common.utc_ns(payments["time"])[member]
    order = np.lexsort((t, series[member]))
    ordered = member[order]
    s = series[ordered]
    first = np.ones(len(s), dtype=bool)
    first[1:] = s[1:] != s[:-1]
    out = np.zeros(n, dtype=np.int64)
    out[s[first]] = ordered[first]
    return out

