"""Monthly cash flow: money in, money out, net, balance, negative days, fees.

One row per local calendar month and bank account (``scope: account``), and one per
month for every account together (``scope: all``), where transfers between the person's
own accounts cancel out. Only bank and card accounts count (sources ``bank:...``): a ride
app's receipts repeat the card charges.

Balances come from the bank's own balance column where the export has one (``statement``);
otherwise they are the running sum of the movements from 0 at the first row
(``cumulative``: only their changes mean anything). End of day is the day's last movement
in the file's own order, which banks write oldest-first or newest-first: the order is
read from the records, never assumed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.derive import common

BANK_SOURCE_PREFIX = "bank:"


def build_cashflow(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """One row per month per account, plus one per month for all accounts."""
    payments = common.derived_of(frames, "payments", now, timezone)
    if not len(payments):
        return common.empty("cashflow")
    source = payments["source"].astype("string").fillna("")
    keep = source.str.startswith(BANK_SOURCE_PREFIX).to_numpy(dtype=bool) & payments["time"].notna().to_numpy()
    keep &= np.isfinite(payments["amount"].to_numpy(dtype="float64", na_value=np.nan))
    rows = np.flatnonzero(keep)
    if not len(rows):
        return common.empty("cashflow")
    picked = payments.iloc[rows].reset_index(drop=True)
    local = common.local_ns(picked, "time", timezone)
    day = np.floor_divide(local, common.NS_PER_DAY)
    month = local.astype("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    amount = picked["amount"].to_numpy(dtype="float64")
    category = picked["merchant_category"].astype("string")
    acct_codes, accounts = pd.factorize(picked["source"].astype("string"), sort=True)
    balance, basis = _end_of_day_balances(picked, acct_codes, len(accounts), day)

    parts = []
    for scope, codes in (("account", acct_codes), ("all", np.zeros(len(picked), dtype=np.int64))):
        flows = pd.DataFrame({
            "group": codes, "month": month, "row": rows,
            "inflow": np.where(amount > 0, amount, 0.0), "outflow": np.where(amount < 0, -amount, 0.0),
            "overdraft_fees": category.eq("overdraft_fee").fillna(False).to_numpy(dtype=bool),
            "returned_payments": category.eq("returned_payment").fillna(False).to_numpy(dtype=bool),
        })  # fmt: skip
        agg = flows.groupby(["group", "month"]).agg(
            inflow=("inflow", "sum"), outflow=("outflow", "sum"), overdraft_fees=("overdraft_fees", "sum"),
            returned_payments=("returned_payments", "sum"), n_transactions=("row", "size"), first_row=("row", "min"),
        )
        daily = balance if scope == "account" else _total(balance, basis)
        stats = _monthly_balance(daily)
        agg = agg.join(stats, how="left")
        agg["scope"] = scope
        if scope == "account":
            agg["account"] = accounts[agg.index.get_level_values(0)]
            agg["balance_basis"] = [basis[a] for a in agg.index.get_level_values(0)]
        else:
            agg["account"] = None
            agg["balance_basis"] = "statement" if "statement" in basis.values() else "cumulative"
        parts.append(agg.reset_index())
    table = pd.concat(parts, ignore_index=True)
    table = table.sort_values(["month", "scope", "account"], kind="stable", na_position="last").reset_index(drop=True)

    first_rows = table["first_row"].to_numpy(dtype=np.int64)
    group = np.full(len(payments), -1, dtype=np.int64)
    out: dict[str, object] = common.trace(payments, group, len(table), "transactions")
    # every month's evidence is its first movement: records of a whole month would say little
    for column in ("importer", "file", "source"):
        out[column] = payments[column].astype("string").iloc[first_rows].astype("category").reset_index(drop=True)
    out["record"] = payments["record"].to_numpy(dtype=np.int64)[first_rows]
    out["records"] = pd.Series(out["record"]).astype(str).astype("string")
    out["n_rows"] = table["n_transactions"].to_numpy(dtype=np.int64)
    out.update({
        "month": common.ns_to_utc((table["month"].to_numpy(dtype=np.int64)).astype("datetime64[M]")
                                  .astype("datetime64[ns]").view(np.int64)),
        "scope": table["scope"].to_numpy(dtype=object),
        "inflow": table["inflow"].to_numpy(), "outflow": table["outflow"].to_numpy(),
        "net": (table["inflow"] - table["outflow"]).to_numpy(),
        "balance_end": table["balance_end"].to_numpy(), "balance_min": table["balance_min"].to_numpy(),
        "balance_avg": table["balance_avg"].to_numpy(),
        "balance_basis": table["balance_basis"].to_numpy(dtype=object),
        # a running sum from 0 says nothing about being overdrawn: negative days only on statement balances
        "days_negative": np.where(table["balance_basis"].to_numpy(dtype=object) == "statement",
                                  table["days_negative"].fillna(0).to_numpy(), 0).astype(np.int64),
        "overdraft_fees": table["overdraft_fees"].to_numpy(dtype=np.int64),
        "returned_payments": table["returned_payments"].to_numpy(dtype=np.int64),
        "n_transactions": table["n_transactions"].to_numpy(dtype=np.int64),
        "currency": payments["currency"].astype("string").iloc[first_rows].to_numpy(dtype=object, na_value=None),
    })  # fmt: skip
    # the "all" row's source: the account of its first movement (a real source, so ablation can drop it)
    return pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})


def _end_of_day_balances(picked: pd.DataFrame, acct: np.ndarray, n_accounts: int,
                         day: np.ndarray) -> tuple[pd.DataFrame, dict[int, str]]:
    """End-of-day balance per account and day (days without movement carry the last balance)."""
    amount = picked["amount"].to_numpy(dtype="float64")
    record = picked["record"].to_numpy(dtype=np.int64)
    given = picked["balance"].to_numpy(dtype="float64", na_value=np.nan) if "balance" in picked else np.full(len(picked), np.nan)
    # file order per account: +1 oldest first, -1 newest first (Chase, most US banks)
    direction = np.ones(n_accounts)
    frame = pd.DataFrame({"acct": acct, "day": day, "record": record})
    spans = frame.groupby("acct").agg(d0=("day", "min"), d1=("day", "max"))
    r_first = frame.loc[frame.groupby("acct")["day"].idxmin(), ["acct", "record"]].set_index("acct")["record"]
    r_last = frame.loc[frame.groupby("acct")["day"].idxmax(), ["acct", "record"]].set_index("acct")["record"]
    newest_first = (r_last < r_first).reindex(range(n_accounts)).fillna(False).to_numpy(dtype=bool)
    direction[newest_first] = -1
    position = record * direction[acct]
    order = np.lexsort((position, day, acct))
    basis: dict[int, str] = {}
    values = np.empty(len(picked))
    for a in range(n_accounts):
        mine = order[acct[order] == a]
        share_given = np.isfinite(given[mine]).mean() if len(mine) else 0.0
        if share_given >= 0.9:
            basis[a] = "statement"
            values[mine] = pd.Series(given[mine]).ffill().to_numpy()
        else:
            basis[a] = "cumulative"
            values[mine] = np.cumsum(amount[mine])
    ordered = pd.DataFrame({"acct": acct[order], "day": day[order], "balance": values[order]})
    last = ordered.groupby(["acct", "day"])["balance"].last()
    pieces = []
    for a in range(n_accounts):
        if a not in spans.index:
            continue
        days = np.arange(spans.loc[a, "d0"], spans.loc[a, "d1"] + 1)
        series = last.loc[a].reindex(days).ffill()
        pieces.append(pd.DataFrame({"acct": a, "day": days, "balance": series.to_numpy()}))
    return pd.concat(pieces, ignore_index=True), basis


def _total(balance: pd.DataFrame, basis: dict[int, str]) -> pd.DataFrame:
    """All accounts' end-of-day balances summed (each carried forward over the union of days).

    Where any account states its balance, only such accounts are summed: a running sum
    from 0 on a card says how much was spent, not what is left.
    """
    stated = [a for a, b in basis.items() if b == "statement"]
    if stated:
        balance = balance[balance["acct"].isin(stated)]
    wide = balance.pivot(index="day", columns="acct", values="balance")
    wide = wide.reindex(np.arange(wide.index.min(), wide.index.max() + 1)).ffill()
    return pd.DataFrame({"acct": 0, "day": wide.index.to_numpy(), "balance": wide.sum(axis=1, min_count=1).to_numpy()})


def _monthly_balance(daily: pd.DataFrame) -> pd.DataFrame:
    """balance_end, balance_min, balance_avg, days_negative per (group, month)."""
    month = (daily["day"].to_numpy(dtype=np.int64) * common.NS_PER_DAY).astype("datetime64[ns]").astype(
        "datetime64[M]").astype(np.int64)
    frame = pd.DataFrame({"group": daily["acct"].to_numpy(), "month": month, "balance": daily["balance"].to_numpy(),
                          "negative": daily["balance"].to_numpy() < 0})
    return frame.groupby(["group", "month"]).agg(balance_end=("balance", "last"), balance_min=("balance", "min"),
                                                  balance_avg=("balance", "mean"), days_negative=("negative", "sum"))
