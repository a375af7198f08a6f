"""The small aggregates the Data tab draws, computed vectorised from the audit's frames.

Each function returns a small frame or series (months x categories, 24 hours, 7 days,
a few hundred places), so drawing never touches millions of rows. Local time follows
the same rule as the engine (:func:`auditor.dataset.local_times`). No Textual here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.dataset import local_times

TOP_CATEGORIES = 5
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PLACE_DECIMALS = 3  # about 100 m: visits to one place fall into one cell


def spending_by_month(transactions: pd.DataFrame, timezone: str | None) -> pd.DataFrame:
    """Money out per local month (rows) and category (columns: the largest few, then 'other')."""
    if transactions is None or not len(transactions):
        return pd.DataFrame()
    out = transactions[transactions["amount"] < 0]
    if not len(out):
        return pd.DataFrame()
    month = local_times(out, "time", timezone).dt.strftime("%Y-%m")
    category = out["category"].astype("string").fillna("uncategorised") if "category" in out else "uncategorised"
    spent = pd.DataFrame({"month": month.to_numpy(), "category": np.asarray(category), "spent": -out["amount"].to_numpy()})
    table = spent.pivot_table(index="month", columns="category", values="spent", aggfunc="sum", fill_value=0.0)
    top = table.sum().sort_values(ascending=False).index[:TOP_CATEGORIES]
    rest = [c for c in table.columns if c not in top]
    shown = table[list(top)].copy()
    if rest:
        shown["other"] = table[rest].sum(axis=1)
    return shown.sort_index()


def activity_by_hour(frame: pd.DataFrame, column: str, timezone: str | None) -> tuple[pd.Series, pd.Series]:
    """Rows per local hour of day (0-23) and per weekday (Mon-Sun)."""
    if frame is None or not len(frame):
        return pd.Series(0, index=range(24)), pd.Series(0, index=list(WEEKDAYS))
    times = local_times(frame, column, timezone).dropna()
    if "has_time" in frame:
        times = times[frame.loc[times.index, "has_time"].to_numpy(dtype=bool)]
    hours = np.bincount(times.dt.hour.to_numpy(), minlength=24)
    days = np.bincount(times.dt.day_of_week.to_numpy(), minlength=7)
    return pd.Series(hours, index=range(24)), pd.Series(days, index=list(WEEKDAYS))


def place_cells(visits: pd.DataFrame, places: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Visited places (rounded to ~100 m, with visit counts) and the labelled ones (home, work).

    The labels come from the derived ``places`` table where the pipeline computes it,
    else from the visits the export itself labels HOME or WORK.
    """
    if visits is None or not len(visits):
        cells = pd.DataFrame(columns=["lat", "lon", "visits"])
    else:
        known = visits.dropna(subset=["lat", "lon"])
        cells = (known.assign(lat=known["lat"].round(PLACE_DECIMALS), lon=known["lon"].round(PLACE_DECIMALS))
                 .groupby(["lat", "lon"], observed=True).size().rename("visits").reset_index())  # fmt: skip
    if places is not None and len(places) and "label" in places:
        labelled = places[["label", "lat", "lon"]].dropna()
        labelled = labelled[labelled["label"].astype("string").isin(["home", "work"])]
    elif visits is not None and len(visits) and "semantic_type" in visits:
        marked = visits[visits["semantic_type"].astype("string").isin(["HOME", "WORK"])].dropna(subset=["lat", "lon"])
        labelled = (marked.assign(label=marked["semantic_type"].astype("string").str.lower())
                    .groupby("label", observed=True)[["lat", "lon"]].median().reset_index())  # fmt: skip
    else:
        labelled = pd.DataFrame(columns=["label", "lat", "lon"])
    return cells, labelled


def home_timeline(places: pd.DataFrame | None, nights: pd.DataFrame | None,
                  visits: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """Home periods (first, last per home place) and nights away per month.

    Homes come from the derived ``places`` table where the pipeline computes it, else
    from the visits the export itself labels HOME (grouped by address).
    """
    homes = pd.DataFrame(columns=["lat", "lon", "first", "last"])
    if places is not None and len(places) and {"label", "first", "last"} <= set(places.columns):
        homes = places[places["label"].astype("string") == "home"][["lat", "lon", "first", "last"]].sort_values("first")
    elif visits is not None and len(visits) and "semantic_type" in visits:
        home = visits[visits["semantic_type"].astype("string") == "HOME"]
        if len(home):
            key = home["address"].astype("string").fillna("") + "|" + home["place_id"].astype("string").fillna("")
            homes = (home.groupby(key.to_numpy()).agg(lat=("lat", "median"), lon=("lon", "median"),
                                                       first=("start", "min"), last=("end", "max"))
                     .sort_values("first").reset_index(drop=True))  # fmt: skip
    away = pd.Series(dtype="int64")
    if nights is not None and len(nights) and {"status", "night"} <= set(nights.columns):  # docs/derived-tables.md
        flagged = nights[nights["status"].astype("string") == "away"]
        away = flagged["night"].dt.strftime("%Y-%m").value_counts().sort_index()
    return homes, away
