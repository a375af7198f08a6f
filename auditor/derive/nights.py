"""Nights: where each night of the location record was spent, judged at 03:00 local time.

One row per night, from the evening of the first stay's day to the morning of the last
stay's day: ``home`` (at the home of that date), ``work`` (at a work place: a night
shift), ``away`` (elsewhere) or ``unknown`` (no stay covers 03:00). Local time is each
stay's own offset where the export stated one, else the audit's time zone, so a night
across a daylight-saving change is still judged at the wall clock's 03:00.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.derive import common
from auditor.derive.places import located
from auditor.derive.stays import NIGHT_HOUR


def build_nights(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """One row per local night: home, work, away or unknown."""
    stays, local_start, local_end, labels = located(frames, now, timezone)
    if labels is None or not len(stays):
        return common.empty("nights")
    shift = NIGHT_HOUR * common.NS_PER_HOUR
    # the 03:00 instants inside each stay: days d0 .. d0 + k - 1; the night is the evening before
    d0 = np.floor_divide(local_start - shift - 1, common.NS_PER_DAY) + 1
    k = np.floor_divide(local_end - shift, common.NS_PER_DAY) - d0 + 1
    k = np.maximum(k, 0)
    stay_of = np.repeat(np.arange(len(stays)), k)
    night = np.repeat(d0, k) + (np.arange(len(stay_of)) - np.repeat(np.cumsum(k) - k, k)) - 1
    hours = stays["duration_min"].to_numpy(dtype="float64", na_value=0.0)[stay_of]
    covering = pd.DataFrame({"night": night, "stay": stay_of, "hours": hours})
    covering = covering.sort_values(["night", "hours", "stay"], ascending=[True, False, True], kind="stable")
    covering = covering.drop_duplicates("night")
    first_day = int(np.floor_divide(local_start.min(), common.NS_PER_DAY))
    last_day = int(np.floor_divide(local_end.max(), common.NS_PER_DAY))
    days = np.arange(first_day, max(last_day, first_day + 1))
    stay = pd.Series(covering["stay"].to_numpy(), index=covering["night"].to_numpy()).reindex(days).to_numpy()
    known = ~np.isnan(stay)
    stay_idx = np.where(known, stay, 0).astype(np.int64)
    place = np.where(known, stays["place"].to_numpy(dtype=np.int64)[stay_idx], -1)
    home_place = _home_by_day(labels.home_periods, days, local_start, common.utc_ns(stays["start"]))
    label = pd.Series(place).map(labels.place_label).to_numpy(dtype=object)
    status = np.select([~known, (place == home_place) & (home_place >= 0), label == "work"],
                       ["unknown", "home", "work"], "away")
    centre = _centres(stays)
    out = {column: stays[column].astype("string").to_numpy(dtype=object, na_value=None)[stay_idx]
           for column in ("importer", "file", "source", "evidence_kind", "records")}
    for values in out.values():
        values[~known] = None
    table = pd.DataFrame(out)
    table["record"] = np.where(known, stays["record"].to_numpy(dtype=np.int64)[stay_idx], -1)
    table["n_rows"] = np.where(known, stays["n_rows"].to_numpy(dtype=np.int64)[stay_idx], 0)
    table["night"] = common.ns_to_utc(days * common.NS_PER_DAY)
    table["status"] = status
    table["place"] = place
    table["label"] = np.where(known, label, None)
    table["category"] = np.where(known, stays["category"].astype("string").to_numpy(dtype=object, na_value=None)[stay_idx],
                                 None)
    table["lat"] = np.where(known, centre["lat"].reindex(place).to_numpy(), np.nan)
    table["lon"] = np.where(known, centre["lon"].reindex(place).to_numpy(), np.nan)
    table["home_place"] = home_place
    return table


def _home_by_day(periods: pd.DataFrame, days: np.ndarray, local_start: np.ndarray, utc_start: np.ndarray) -> np.ndarray:
    """The home place of each local day: a period holds from the local day of its first stay."""
    home = np.full(len(days), -1, dtype=np.int64)
    if not len(periods):
        return home
    # local day of each period's first stay (the offset of that stay, found by its UTC start)
    offset = local_start - utc_start
    order = np.argsort(utc_start, kind="stable")
    at = order[np.clip(np.searchsorted(utc_start[order], periods["first_ns"].to_numpy()), 0, len(order) - 1)]
    first_day = np.floor_divide(periods["first_ns"].to_numpy() + offset[at], common.NS_PER_DAY)
    which = np.searchsorted(first_day, days, side="right") - 1
    last_day = np.floor_divide(periods["last_ns"].to_numpy() + offset[at], common.NS_PER_DAY)
    ok = (which >= 0) & (days <= last_day[np.maximum(which, 0)])
    home[ok] = periods["place"].to_numpy(dtype=np.int64)[which[ok]]
    return home


def _centres(stays: pd.DataFrame) -> pd.DataFrame:
    """Time-weighted centre of each place."""
    w = np.maximum(stays["duration_min"].to_numpy(dtype="float64", na_value=0.0), 1.0)
    frame = pd.DataFrame({"place": stays["place"].to_numpy(), "w": w, "lat": stays["lat"].to_numpy() * w,
                          "lon": stays["lon"].to_numpy() * w})
    g = frame[frame["place"] >= 0].groupby("place").sum()
    return pd.DataFrame({"lat": g["lat"] / g["w"], "lon": g["lon"] / g["w"]})
