"""Places: the stays clustered into places, labelled and described.

One row per place; a place that was home has one row per home period instead (a move is
a new period, and moving back is another), so that ``near: {place: home}`` reaches every
home the person had. When the location record is too sparse to say where home is, a row
labelled ``not enough data`` says so. Labels, periods and thresholds: :mod:`auditor.derive.stays`
and docs/derived-tables.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.derive import common
from auditor.derive import stays as stays_module
from auditor.derive.stays import NOT_ENOUGH, PLACE_RADIUS_M, STATUS_OK

HOME_MIN_NIGHTS = 7
WORKDAY_START_HOUR, WORKDAY_END_HOUR = 8, 19


def located(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None):
    """The stays with their local times and labels (shared by places and nights)."""
    stays = common.derived_of(frames, "stays", now, timezone)
    if not len(stays):
        return stays, np.zeros(0, np.int64), np.zeros(0, np.int64), None
    local_start = common.local_ns(stays, "start", timezone)
    local_end = local_start + (common.utc_ns(stays["end"]) - common.utc_ns(stays["start"]))
    labels = stays_module.label_places(stays, local_start, local_end)
    return stays, local_start, local_end, labels


def build_places(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """One row per place (per home period for homes), plus 'not enough data' where too sparse."""
    stays, local_start, local_end, labels = located(frames, now, timezone)
    if labels is None:
        points = common.frame_of(frames, "points")
        return _not_enough(points, "points") if len(points) else common.empty("places")
    place = stays["place"].to_numpy(dtype=np.int64)
    keep = place >= 0
    n = int(place[keep].max()) + 1 if keep.any() else 0
    hours = stays["duration_min"].to_numpy(dtype="float64", na_value=0.0) / 60.0
    weight = np.maximum(hours, 0.1)
    day = np.floor_divide(local_start, common.NS_PER_DAY)
    frame = pd.DataFrame({
        "place": place, "w": weight, "hours": hours, "lat_w": stays["lat"].to_numpy() * weight,
        "lon_w": stays["lon"].to_numpy() * weight, "start": common.utc_ns(stays["start"]),
        "end": common.utc_ns(stays["end"]), "day": day, "week": np.floor_divide(day + 3, 7),
        "nights": stays_module.nights_covered(local_start, local_end), "n_rows": stays["n_rows"].to_numpy(),
        "workday": _workday_hours(local_start, local_end),
    })[keep]  # fmt: skip
    g = frame.groupby("place")
    agg = g.agg(w=("w", "sum"), hours=("hours", "sum"), lat_w=("lat_w", "sum"), lon_w=("lon_w", "sum"),
                first=("start", "min"), last=("end", "max"), n_stays=("w", "size"), nights=("nights", "sum"),
                days=("day", "nunique"), weeks=("week", "nunique"), workday=("workday", "sum"), n_rows=("n_rows", "sum"))
    agg = agg.reindex(range(n))
    out = common.trace(stays, np.where(keep, place, -1), n, "visits")
    first_stay = pd.Series(np.flatnonzero(keep)).groupby(place[keep]).min().reindex(range(n)).to_numpy()
    out["evidence_kind"] = stays["evidence_kind"].astype("string").iloc[first_stay].astype("category").reset_index(drop=True)
    out["n_rows"] = agg["n_rows"].to_numpy(dtype=np.int64)
    base = pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})
    base["place"] = np.arange(n, dtype=np.int64)
    base["lat"] = (agg["lat_w"] / agg["w"]).to_numpy()
    base["lon"] = (agg["lon_w"] / agg["w"]).to_numpy()
    base["radius_m"] = PLACE_RADIUS_M
    base["first"] = common.ns_to_utc(agg["first"].to_numpy(dtype=np.int64))
    base["last"] = common.ns_to_utc(agg["last"].to_numpy(dtype=np.int64))
    for column in ("name", "address", "semantic_type"):
        base[column] = _most_common(stays[column], place, n)
    base["category"] = stays["category"].astype("string").iloc[first_stay].to_numpy()
    base["n_stays"] = agg["n_stays"].to_numpy(dtype=np.int64)
    base["hours"] = agg["hours"].to_numpy()
    base["nights"] = agg["nights"].to_numpy(dtype=np.int64)
    base["workday_hours"] = agg["workday"].to_numpy()
    base["days"] = agg["days"].to_numpy(dtype=np.int64)
    base["weeks"] = agg["weeks"].to_numpy(dtype=np.int64)
    base["rank"] = base["place"] + 1  # places are numbered by time spent, heaviest first
    base["label"] = pd.Series(base["place"]).map(labels.place_label).to_numpy(dtype=object)
    base["home_period"] = 0
    base["confidence"] = np.minimum(1.0, base["weeks"] / 10.0)
    work = base["label"] == "work"
    base.loc[work, "confidence"] = base.loc[work, "place"].map(labels.work_confidence).to_numpy()
    base["status"] = STATUS_OK
    homes = _home_rows(base, labels.home_periods)
    table = pd.concat([base[base["label"] != "home"], homes], ignore_index=True)
    if not labels.enough:
        table = pd.concat([table, _not_enough(stays, "stays")], ignore_index=True)
    return table.sort_values(["rank", "home_period"], kind="stable").reset_index(drop=True)


def _home_rows(base: pd.DataFrame, periods: pd.DataFrame) -> pd.DataFrame:
    """One row per home period: the place's row with the period's first and last stay."""
    if not len(periods):
        return base.iloc[0:0]
    rows = base.set_index("place").loc[periods["place"].to_numpy()].reset_index()
    rows["label"] = "home"
    rows["home_period"] = periods["period"].to_numpy(dtype=np.int64)
    rows["confidence"] = periods["confidence"].to_numpy()
    rows["first"] = common.ns_to_utc(periods["first_ns"].to_numpy(dtype=np.int64))
    rows["last"] = common.ns_to_utc(periods["last_ns"].to_numpy(dtype=np.int64))
    rows["status"] = np.where(periods["nights"].to_numpy() >= HOME_MIN_NIGHTS, STATUS_OK, NOT_ENOUGH)
    return rows


def _not_enough(rows: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The single row that says the location record is too sparse to find home and work."""
    out = common.trace(rows, np.zeros(len(rows), dtype=np.int64), 1, kind)
    if kind == "stays" and len(rows):
        out["evidence_kind"] = rows["evidence_kind"].astype("string").iloc[[0]].astype("category").reset_index(drop=True)
    frame = pd.DataFrame({k: (v.reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in out.items()})
    frame["label"] = NOT_ENOUGH
    frame["status"] = NOT_ENOUGH
    for column in ("place", "rank"):
        frame[column] = -1
    for column in ("n_stays", "nights", "days", "weeks", "home_period"):
        frame[column] = 0
    frame["hours"] = frame["workday_hours"] = frame["confidence"] = 0.0
    return frame


def _most_common(values: pd.Series, place: np.ndarray, n: int) -> np.ndarray:
    """The most common non-empty value per place (ties: alphabetical)."""
    text = values.astype("string")
    keep = text.notna().to_numpy() & (place >= 0)
    if not keep.any():
        return np.full(n, None, dtype=object)
    counts = pd.DataFrame({"place": place[keep], "value": text[keep].to_numpy()}).value_counts().reset_index(name="n")
    counts = counts.sort_values(["place", "n", "value"], ascending=[True, False, True], kind="stable")
    best = counts.drop_duplicates("place").set_index("place")["value"]
    return best.reindex(range(n)).to_numpy(dtype=object)


def _workday_hours(local_start: np.ndarray, local_end: np.ndarray) -> np.ndarray:
    """Hours of each stay inside weekdays 08:00-19:00 local (the stay's first two days)."""
    total = np.zeros(len(local_start))
    first_day = np.floor_divide(local_start, common.NS_PER_DAY)
    for offset in (0, 1):
        d = first_day + offset
        lo = d * common.NS_PER_DAY + WORKDAY_START_HOUR * common.NS_PER_HOUR
        hi = d * common.NS_PER_DAY + WORKDAY_END_HOUR * common.NS_PER_HOUR
        overlap = np.clip(np.minimum(local_end, hi) - np.maximum(local_start, lo), 0, None)
        weekday = ((d + 3) % 7) < 5
        total += np.where(weekday, overlap, 0) / common.NS_PER_HOUR
    return total
