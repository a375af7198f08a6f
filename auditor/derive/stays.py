"""Stays: where the person stayed, from the export's own visits and from raw points.

Three steps, all vectorised:

1. **Detect** stay points in raw points that no export visit covers, after Li et al. 2008
   (*Mining user similarity based on location history*): consecutive fixes within
   STAY_RADIUS_M of the first fix of their run, lasting at least STAY_MIN_MINUTES, form a
   stay at their mean position. Runs are split where a fix leaves the anchor's radius, in
   rounds that each settle one stay per run (every round is one numpy pass).
2. **Merge** with the export's visits (Semantic Location History, on-device Timeline):
   each visit is one stay; fixes inside a visit's time are counted in its ``n_points`` and
   never form a second stay (no double counting).
3. **Cluster** the stays into places (:func:`cluster`) and **label** the places
   (:func:`label_places`): home periods, work, frequent, overnight, other; and categorise
   them from their names against ``rules/lists/places_categories.yaml``.

All thresholds are design defaults, documented with their literature in
docs/derived-tables.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from auditor.derive import common
from auditor.engine import derived

EARTH_RADIUS_M = 6_371_008.8
NAT = np.iinfo(np.int64).min
STAY_RADIUS_M = 200.0  # Li et al. 2008; Zheng et al. 2009 (GeoLife)
STAY_MIN_MINUTES = 10.0
STAY_MAX_GAP_HOURS = 6.0
MERGE_GAP_MINUTES = 30.0  # fragments of one stay cut by stray fixes are joined across this pause
MOVING_SPEED_MPS = 2.0  # faster than a walk between two fixes...
MOVING_MIN_STEP_M = 50.0  # ...over more than GPS jitter
PLACE_RADIUS_M = 150.0
MAX_LEADER_PLACES = 300
NIGHT_HOUR = 3  # a night is judged at 03:00 local time
SLEEP_STAY_HOURS = 4.0  # a stay this long can be where the person sleeps (by day after a night shift)
WORK_STAY_HOURS = 5.0  # a shift or a working day; an evening out is shorter
WORK_STAYS_PER_WEEK = 2.0
WORK_MIN_WEEKS = 3
WORK_WEEK_SHARE = 1 / 3  # of the weeks with data while the place was in use
FREQUENT_MIN_WEEKS = 4
HOME_MIN_WEEKS = 2  # a shorter spell elsewhere (a holiday) is not a move
MIN_DAYS = 7
MIN_NIGHTS = 4
STATUS_OK = "ok"
NOT_ENOUGH = "not enough data"


def build_stays(frames: Mapping[str, pd.DataFrame], now: pd.Timestamp, timezone: str | None) -> pd.DataFrame:
    """Visits plus detected stay points, each with its place, label and category."""
    # only the categories read trips: the stays, places and labels are shared by every ablation
    # variant that sees the same points and visits (leaving out the ride export does not move home)
    placed = common.shared(frames, "stays:placed", ("points", "visits"), lambda: _placed_stays(frames, timezone))
    if placed is None:
        return common.empty("stays")
    stays, said = placed[0].copy(), placed[1]
    category = place_categories(stays, common.frame_of(frames, "trips"), said)
    if "category" in stays:
        stays["category"] = category
    else:  # where it stood before the label was set
        stays.insert(stays.columns.get_loc("label"), "category", category)
    return stays


def _placed_stays(frames: Mapping[str, pd.DataFrame], timezone: str | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The stays of the points and visits with their place and label, and what the stays say
    about their places' categories (``stays_said``), without the rides' word (None: no stays)."""
    points = common.frame_of(frames, "points")
    visits = common.frame_of(frames, "visits")
    stays = merge(visits, points)
    if not len(stays):
        return None
    stays = stays.sort_values(["start", "end"], kind="stable").reset_index(drop=True)
    local_start = common.local_ns(stays, "start", timezone)
    local_end = local_start + (common.utc_ns(stays["end"]) - common.utc_ns(stays["start"]))
    stays["local_date"] = common.ns_to_utc(np.floor_divide(local_start, common.NS_PER_DAY) * common.NS_PER_DAY)
    stays["overnight"] = nights_covered(local_start, local_end) > 0
    place = cluster(stays["lat"].to_numpy(), stays["lon"].to_numpy(), _weights(stays))
    stays["place"] = place
    labels = label_places(stays, local_start, local_end)
    stays["label"] = labels.stay_label
    return stays, stays_said(stays)


# --- 1. detection ----------------------------------------------------------------------------


def _metres(lat: np.ndarray, lon: np.ndarray, lat0: np.ndarray, lon0: np.ndarray) -> np.ndarray:
    """Equirectangular distance in metres: exact enough within a few kilometres."""
    dy = np.radians(lat - lat0)
    dx = np.radians(lon - lon0) * np.cos(np.radians(lat0))
    return EARTH_RADIUS_M * np.hypot(dx, dy)


def detect(points: pd.DataFrame, free: np.ndarray | None = None) -> np.ndarray:
    """Stay number of each point (-1: not in a stay). ``free`` masks the points that may be used."""
    n = len(points)
    stay = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return stay
    lat = points["lat"].to_numpy(dtype="float64")
    lon = points["lon"].to_numpy(dtype="float64")
    t = common.utc_ns(points["time"])
    usable = np.isfinite(lat) & np.isfinite(lon) & (t != np.iinfo(np.int64).min)
    if free is not None:
        usable &= free
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        return stay
    # a fix used by a visit between two others breaks their run
    used_before = np.cumsum(~free, dtype=np.int64) if free is not None else np.zeros(n, dtype=np.int64)
    contiguous = np.diff(used_before[idx]) == 0
    if (np.diff(t[idx]) < 0).any():  # importers order fixes by time; sort only when they are not
        idx = idx[np.argsort(t[idx], kind="stable")]
        contiguous = np.ones(len(idx) - 1, dtype=bool)
    m = len(idx)
    rlat, rlon, pt = np.radians(lat[idx]), np.radians(lon[idx]), t[idx]
    coslat = np.cos(rlat)
    # runs: break where a step leaves the radius, the clock jumps, or a used point intervenes
    step = EARTH_RADIUS_M * np.hypot(np.diff(rlon) * coslat[:-1], np.diff(rlat))
    gap = np.diff(pt)
    # a fix reached at more than walking pace is on the move: it cannot be in the same stay
    moving = (step > MOVING_MIN_STEP_M) & (step > MOVING_SPEED_MPS * np.maximum(gap, 1) / 1e9)
    breaks = np.ones(m, dtype=bool)
    breaks[1:] = (step > STAY_RADIUS_M) | (gap > STAY_MAX_GAP_HOURS * common.NS_PER_HOUR) | ~contiguous | moving
    run_start = np.maximum.accumulate(np.where(breaks, np.arange(m), 0))
    segment = np.arange(m)  # each point's segment: the position of its anchor (a lone fix: itself)
    # only runs of 2+ fixes need the anchor rounds; runs are numbered compactly
    size = np.diff(np.append(np.flatnonzero(breaks), m))
    active = np.flatnonzero(np.repeat(size > 1, size))
    rid = np.cumsum(breaks, dtype=np.int64)[active]
    rid = np.cumsum(np.r_[len(rid) > 0, rid[1:] != rid[:-1]], dtype=np.int64) - 1  # compact: 0, 1, 2...
    anchor = run_start[active][np.r_[True, rid[1:] != rid[:-1]]] if len(active) else np.zeros(0, np.int64)
    while len(active):
        a = anchor[rid]
        far = EARTH_RADIUS_M * np.hypot((rlon[active] - rlon[a]) * coslat[a], rlat[active] - rlat[a]) > STAY_RADIUS_M
        # the first far fix of each run ends the run's current stretch (a run's active fixes are in order)
        far_at = np.flatnonzero(far)
        far_rid = rid[far_at]
        first = np.ones(len(far_at), dtype=bool)
        first[1:] = far_rid[1:] != far_rid[:-1]
        cut = np.full(len(anchor), m, dtype=np.int64)
        cut[far_rid[first]] = active[far_at[first]]
        settled = active < cut[rid]
        segment[active[settled]] = a[settled]
        active, rid = active[~settled], rid[~settled]
        anchor = np.where(cut < m, cut, anchor)
    # a segment is a stay when it lasts long enough with 2+ fixes; segments are contiguous in time
    starts = np.flatnonzero(np.r_[True, segment[1:] != segment[:-1]])
    ends = np.r_[starts[1:], m] - 1
    seg_index = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, m]))
    count = ends - starts + 1
    # fragments: a stray fix (indoors, a wifi fix 300 m off) cuts a stay in two; consecutive
    # segments of 2+ fixes close in space and time, with no visit between them, are one stay
    multi = np.flatnonzero(count >= 2)
    if len(multi) > 1:
        lat_sum = np.add.reduceat(rlat, starts)[multi]
        lon_sum = np.add.reduceat(rlon, starts)[multi]
        clat, clon = lat_sum / count[multi], lon_sum / count[multi]
        distance = EARTH_RADIUS_M * np.hypot(np.diff(clon) * np.cos(clat[:-1]), np.diff(clat))
        pause = pt[starts[multi[1:]]] - pt[ends[multi[:-1]]]
        no_visit = used_before[idx[starts[multi[1:]]]] == used_before[idx[ends[multi[:-1]]]]
        joined = (distance <= STAY_RADIUS_M) & (pause <= MERGE_GAP_MINUTES * common.NS_PER_MIN) & no_visit
        group = np.r_[0, np.cumsum(~joined, dtype=np.int64)]
        first_of_group = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        head = np.arange(len(starts))
        head[multi] = multi[first_of_group[group]]  # each segment's merged stay: its group's first segment
        # a merged stay runs from its first segment's first fix to its last segment's last fix
        last_end = np.full(len(starts), -1, dtype=np.int64)
        np.maximum.at(last_end, head[multi], ends[multi])
        seg_of_point = head[seg_index]
        keep = count[seg_index] >= 2  # stray fixes between fragments stay out of the stay
        ends = np.where(last_end >= 0, last_end, ends)
        count = np.bincount(seg_of_point[keep], minlength=len(starts))
        good = (count >= 2) & (head == np.arange(len(starts))) & (
            (pt[ends] - pt[starts]) >= STAY_MIN_MINUTES * common.NS_PER_MIN)
        number = np.cumsum(good, dtype=np.int64) - 1
        stay[idx] = np.where(keep & good[seg_of_point], number[seg_of_point], -1)
        return stay
    good = (count >= 2) & ((pt[ends] - pt[starts]) >= STAY_MIN_MINUTES * common.NS_PER_MIN)
    number = np.cumsum(good, dtype=np.int64) - 1
    stay[idx] = np.where(good[seg_index], number[seg_index], -1)
    return stay


def _covered_by_visits(points: pd.DataFrame, visits: pd.DataFrame, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which points fall inside an export visit's time, and how many points each visit holds.

    The visits' bounds are looked up in the fixes' (sorted) times, not each fix in the
    visits: 12k visits against 3M fixes is two cheap binary searches.
    """
    n = len(points)
    if not len(visits) or not n:
        return np.zeros(n, dtype=bool), np.zeros(len(visits), dtype=np.int64)
    order = None
    if len(t) > 1 and (np.diff(t) < 0).any():
        order = np.argsort(t, kind="stable")
        t = t[order]
    start = common.utc_ns(visits["start"])
    end = common.utc_ns(visits["end"])
    ok = (start != NAT) & (end != NAT) & (end >= start)
    lo = np.searchsorted(t, start, side="left")
    hi = np.searchsorted(t, end, side="right")
    counts = np.where(ok, hi - lo, 0).astype(np.int64)
    depth = np.zeros(n + 1, dtype=np.int64)
    np.add.at(depth, lo[ok], 1)
    np.add.at(depth, hi[ok], -1)
    inside = np.cumsum(depth[:-1]) > 0
    if order is not None:
        unsorted = np.empty(n, dtype=bool)
        unsorted[order] = inside
        inside = unsorted
    return inside, counts


def merge(visits: pd.DataFrame, points: pd.DataFrame) -> pd.DataFrame:
    """The export's visits and the stays detected in the points no visit covers."""
    in_visit, visit_points = _covered_by_visits(points, visits, common.utc_ns(points["time"]))
    stay = detect(points, free=~in_visit)
    parts = []
    usable = visits["start"].notna() & visits["end"].notna() & visits["lat"].notna() & visits["lon"].notna()
    vis = visits[usable.to_numpy()]
    if len(vis):
        trace = common.trace(vis, np.arange(len(vis)), len(vis), "visits")
        part = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in trace.items()})
        for column in ("start", "end", "utc_offset_min", "lat", "lon", "name", "address", "place_id", "semantic_type"):
            part[column] = vis[column].to_numpy()
        part["n_points"] = visit_points[np.flatnonzero(usable.to_numpy())]
        part["from_visit"] = True
        parts.append(part)
    n_stays = int(stay.max()) + 1 if len(stay) and stay.max() >= 0 else 0
    if n_stays:
        trace = common.trace(points, stay, n_stays, "points")
        part = pd.DataFrame({k: (v.to_numpy() if isinstance(v, pd.Series) else v) for k, v in trace.items()})
        member = stay >= 0
        grouped = pd.DataFrame({
            "stay": stay[member], "t": common.utc_ns(points["time"])[member],
            "lat": points["lat"].to_numpy(dtype="float64")[member], "lon": points["lon"].to_numpy(dtype="float64")[member],
            "offset": points["utc_offset_min"].astype("float64").to_numpy()[member],
        }).groupby("stay")  # fmt: skip
        part["start"] = common.ns_to_utc(grouped["t"].min().to_numpy())
        part["end"] = common.ns_to_utc(grouped["t"].max().to_numpy())
        part["lat"] = grouped["lat"].mean().to_numpy()
        part["lon"] = grouped["lon"].mean().to_numpy()
        part["utc_offset_min"] = pd.array(grouped["offset"].first().to_numpy(), dtype="Float64").round().astype("Int32")
        part["n_points"] = grouped.size().to_numpy()
        part["from_visit"] = False
        parts.append(part)
    if not parts:
        return common.empty("stays")
    stays = pd.concat(parts, ignore_index=True)
    stays["start"] = pd.to_datetime(stays["start"], utc=True)
    stays["end"] = pd.to_datetime(stays["end"], utc=True)
    stays["duration_min"] = (stays["end"] - stays["start"]).dt.total_seconds() / 60.0
    return derived.conform("stays", stays)


# --- 2. places ---------------------------------------------------------------------------------


def _weights(stays: pd.DataFrame) -> np.ndarray:
    """Hours spent, at least a few minutes, so that a short stop still counts a little."""
    return np.maximum(stays["duration_min"].to_numpy(dtype="float64", na_value=0.0) / 60.0, 0.1)


def _cells(lat: np.ndarray, lon: np.ndarray, size_m: float) -> np.ndarray:
    """A grid cell code of about ``size_m`` metres (longitude cells shrink with latitude)."""
    step_lat = np.degrees(size_m / EARTH_RADIUS_M)
    row = np.floor(lat / step_lat).astype(np.int64)
    step_lon = step_lat / np.maximum(np.cos(np.radians(row * step_lat)), 0.01)
    col = np.floor(lon / step_lon).astype(np.int64)
    return row * 10_000_000 + col


def cluster(lat: np.ndarray, lon: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Place number of each stay: leader clustering on time spent, then grid cells.

    The heaviest remaining ~PLACE_RADIUS_M cell gives a centre (the weighted mean of its
    stays); every remaining stay within PLACE_RADIUS_M of it joins the place. After
    MAX_LEADER_PLACES places, what is left is grouped by cell. Places are numbered by time
    spent, heaviest first (ties: by cell), so the numbering is deterministic.
    """
    n = len(lat)
    place = np.full(n, -1, dtype=np.int64)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return place
    cells = _cells(lat, lon, PLACE_RADIUS_M)
    codes, cell_of = np.unique(np.where(ok, cells, np.iinfo(np.int64).max), return_inverse=True)
    cell_weight = np.bincount(cell_of[ok], weights=weight[ok], minlength=len(codes))
    remaining = ok.copy()
    next_id = 0
    for _ in range(MAX_LEADER_PLACES):
        if not remaining.any():
            break
        best = int(np.argmax(cell_weight))
        if cell_weight[best] <= 0:
            break
        in_cell = remaining & (cell_of == best)
        if not in_cell.any():
            cell_weight[best] = 0
            continue
        w = weight[in_cell]
        lat0, lon0 = np.average(lat[in_cell], weights=w), np.average(lon[in_cell], weights=w)
        near = remaining & (_metres(lat, lon, lat0, lon0) <= PLACE_RADIUS_M)
        near |= in_cell
        place[near] = next_id
        next_id += 1
        remaining &= ~near
        np.subtract.at(cell_weight, cell_of[near], weight[near])
        cell_weight[best] = 0 if not (remaining & (cell_of == best)).any() else cell_weight[best]
    if remaining.any():
        _, rest = np.unique(cell_of[remaining], return_inverse=True)
        place[remaining] = next_id + rest
    # renumber by total time spent, heaviest first
    total = np.bincount(place[ok], weights=weight[ok])
    first_cell = np.full(len(total), np.iinfo(np.int64).max)
    np.minimum.at(first_cell, place[ok], cell_of[ok])
    order = np.lexsort((first_cell, -total))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    place[ok] = rank[place[ok]]
    return place


_STREET_WORDS = (r"(?:road|rd|street|st|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|place|pl|court|ct|terrace|"
                 r"close|crescent|square|sq|highway|hwy|parkway|pkwy|row|walk|hill|grove|gardens|mews)")


def _poi_name(address: pd.Series) -> pd.Series:
    """The first part of an address when it names a place, not a street ("Royal London
    Hospital, Whitechapel Rd" -> "Royal London Hospital"; "33 Bonner Road, ..." -> <NA>)."""
    first = address.astype("string").str.split(",", n=1).str[0].str.strip()
    street = first.str.contains(r"\d", regex=True, na=True) | first.str.contains(
        r"(?i)\b" + _STREET_WORDS + r"\.?$", regex=True, na=True)
    return first.where(~street)


def _category_order() -> list[tuple[str, tuple[str, ...]]]:
    lists = common.shared_lists()
    return [(name[len("place_"):], terms) for name, terms in lists.items() if name.startswith("place_")]


def stays_said(stays: pd.DataFrame) -> pd.DataFrame:
    """The category each stay's own name, address and semantic type give its place."""
    text = (stays["name"].astype("string").fillna("") + " | " + _poi_name(stays["address"]).fillna("") + " | "
            + ("type_" + stays["semantic_type"].astype("string").str.lower()).fillna(""))
    per_stay = common.categorise(common.words_series(text), _category_order())
    return pd.DataFrame({"place": stays["place"].to_numpy(), "category": per_stay.to_numpy(dtype=object)})


def place_categories(stays: pd.DataFrame, trips: pd.DataFrame, said: pd.DataFrame | None = None) -> pd.Series:
    """Category of each stay's place: the most common category among what is said about it
    (``said``: ``stays_said(stays)``, given when already known)."""
    order = _category_order()
    if said is None:
        said = stays_said(stays)
    if len(trips):
        said = pd.concat([said, _trip_categories(stays, trips, order)], ignore_index=True)
    said = said[said["category"].notna() & (said["place"] >= 0)]
    if not len(said):
        return pd.Series(pd.NA, index=stays.index, dtype="string")
    counts = said.groupby(["place", "category"]).size().reset_index(name="n")
    counts = counts.sort_values(["place", "n", "category"], ascending=[True, False, True], kind="stable")
    best = counts.drop_duplicates("place").set_index("place")["category"]
    return stays["place"].map(best).astype("string")


def _trip_categories(stays: pd.DataFrame, trips: pd.DataFrame, order: list[tuple[str, tuple[str, ...]]]) -> pd.DataFrame:
    """Categories from ride pickup and drop-off addresses, given to the place in the same cell."""
    cells = pd.Series(_cells(stays["lat"].to_numpy(), stays["lon"].to_numpy(), PLACE_RADIUS_M))
    pairs = pd.DataFrame({"cell": cells, "place": stays["place"].to_numpy()}).value_counts().reset_index(name="n")
    pairs = pairs.sort_values(["cell", "n", "place"], ascending=[True, False, True], kind="stable")
    cell_place = pairs.drop_duplicates("cell").set_index("cell")["place"]
    parts = []
    for end in ("pickup", "dropoff"):
        lat = trips[f"{end}_lat"].to_numpy(dtype="float64", na_value=np.nan)
        lon = trips[f"{end}_lon"].to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(lat) & np.isfinite(lon)
        if not ok.any():
            continue
        category = common.categorise(common.words_series(_poi_name(trips[f"{end}_address"]).fillna("")), order)
        place = pd.Series(_cells(lat[ok], lon[ok], PLACE_RADIUS_M)).map(cell_place)
        parts.append(pd.DataFrame({"place": place.to_numpy(), "category": category.to_numpy(dtype=object)[ok]}))
    if not parts:
        return pd.DataFrame({"place": [], "category": []})
    out = pd.concat(parts, ignore_index=True)
    return out[out["place"].notna()].astype({"place": np.int64})


# --- 3. labels ---------------------------------------------------------------------------------


def nights_covered(local_start: np.ndarray, local_end: np.ndarray) -> np.ndarray:
    """How many 03:00 local instants fall within each stay."""
    shift = NIGHT_HOUR * common.NS_PER_HOUR
    return np.floor_divide(local_end - shift, common.NS_PER_DAY) - np.floor_divide(local_start - shift - 1, common.NS_PER_DAY)


@dataclass
class Labels:
    """What :func:`label_places` concludes."""

    stay_label: np.ndarray  # label of each stay's place
    place_label: dict[int, str]  # per place number
    home_periods: pd.DataFrame  # period, place, first_week, last_week, first_ns, last_ns, confidence, status
    work_confidence: dict[int, float]
    enough: bool


def label_places(stays: pd.DataFrame, local_start: np.ndarray, local_end: np.ndarray) -> Labels:
    """Home periods, work, frequent, overnight and other, from the stays' places and local times."""
    place = stays["place"].to_numpy(dtype=np.int64)
    hours = stays["duration_min"].to_numpy(dtype="float64", na_value=0.0) / 60.0
    week = np.floor_divide(np.floor_divide(local_start, common.NS_PER_DAY) + 3, 7)  # Monday weeks
    day = np.floor_divide(local_start, common.NS_PER_DAY)
    nights = nights_covered(local_start, local_end)
    frame = pd.DataFrame({"place": place, "hours": hours, "week": week, "day": day, "nights": nights,
                          "long": hours >= WORK_STAY_HOURS, "sleep": (nights > 0) | (hours >= SLEEP_STAY_HOURS),
                          "start": common.utc_ns(stays["start"]), "end": common.utc_ns(stays["end"])})
    frame = frame[frame["place"] >= 0]
    enough = frame["day"].nunique() >= MIN_DAYS and int((frame["nights"] > 0).sum()) >= MIN_NIGHTS
    per_place = frame.groupby("place").agg(weeks=("week", "nunique"), nights=("nights", "sum"), long=("long", "sum"),
                                           first_week=("week", "min"), last_week=("week", "max"))
    long_weeks = frame[frame["long"]].groupby("place")["week"].nunique()
    per_place["long_weeks"] = long_weeks.reindex(per_place.index).fillna(0).to_numpy()
    periods = _home_periods(frame) if enough else _no_periods()
    ids = per_place.index.to_numpy(dtype=np.int64)
    is_home = np.isin(ids, periods["place"].to_numpy(dtype=np.int64))
    semantic = stays["semantic_type"].astype("string").str.upper()
    said_work = np.unique(place[semantic.eq("WORK").fillna(False).to_numpy() & (place >= 0)])
    long_n = per_place["long"].to_numpy(dtype="float64")
    long_w = per_place["long_weeks"].to_numpy(dtype="float64")
    per_week = long_n / np.maximum(long_w, 1)
    # work confidence: weeks with a long stay there / weeks with any data in the place's span
    all_weeks = np.unique(frame["week"].to_numpy())
    span_weeks = (np.searchsorted(all_weeks, per_place["last_week"].to_numpy(), side="right")
                  - np.searchsorted(all_weeks, per_place["first_week"].to_numpy(), side="left"))
    confidence = np.minimum(1.0, long_w / np.maximum(span_weeks, 1))
    regular = (long_w >= WORK_MIN_WEEKS) & (per_week >= WORK_STAYS_PER_WEEK) & (confidence >= WORK_WEEK_SHARE)
    is_work = ~is_home & (np.isin(ids, said_work) | (enough & regular))
    label = np.select(
        [is_home, is_work, per_place["weeks"].to_numpy() >= FREQUENT_MIN_WEEKS, per_place["nights"].to_numpy() > 0],
        ["home", "work", "frequent", "overnight"], "other")
    labels = dict(zip(ids.tolist(), label.tolist()))
    work_confidence = dict(zip(ids[is_work].tolist(), confidence[is_work].tolist()))
    stay_label = pd.Series(place).map(labels).to_numpy(dtype=object)
    return Labels(stay_label, labels, periods, work_confidence, enough)


def _no_periods() -> pd.DataFrame:
    return pd.DataFrame({"period": pd.Series(dtype=np.int64), "place": pd.Series(dtype=np.int64),
                         "first_week": pd.Series(dtype=np.int64), "last_week": pd.Series(dtype=np.int64),
                         "first_ns": pd.Series(dtype=np.int64), "last_ns": pd.Series(dtype=np.int64),
                         "confidence": pd.Series(dtype="float64"), "nights": pd.Series(dtype=np.int64)})


def _home_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """Home per week (most hours among places slept at), smoothed into periods."""
    sleep_places = frame[frame["sleep"]].groupby(["week", "place"]).size().index
    hours = frame.groupby(["week", "place"])["hours"].sum()
    hours = hours[hours.index.isin(sleep_places)]
    if not len(hours):
        return _no_periods()
    ranked = hours.reset_index().sort_values(["week", "hours", "place"], ascending=[True, False, True], kind="stable")
    weekly = ranked.drop_duplicates("week")[["week", "place"]].to_numpy()
    # runs of weeks with the same home; a run shorter than HOME_MIN_WEEKS joins its predecessor
    runs: list[list[int]] = []  # [place, first_week, last_week, n_weeks]
    for week, p in weekly:
        if runs and runs[-1][0] == p:
            runs[-1][2], runs[-1][3] = week, runs[-1][3] + 1
        else:
            runs.append([int(p), int(week), int(week), 1])
    merged: list[list[int]] = []
    for run in runs:
        if merged and run[3] < HOME_MIN_WEEKS:
            merged[-1][2] = run[2]
            continue
        if merged and merged[-1][0] == run[0]:
            merged[-1][2], merged[-1][3] = run[2], merged[-1][3] + run[3]
            continue
        if merged and merged[-1][3] < HOME_MIN_WEEKS:
            # a short first run: the real first home is this one
            run[1] = merged[-1][1]
            merged[-1] = run
            continue
        merged.append(list(run))
    rows = []
    for number, (p, first_week, last_week, _) in enumerate(merged, start=1):  # one pass per home period
        inside = (frame["week"] >= first_week) & (frame["week"] <= last_week)
        period_hours = frame.loc[inside, "hours"].sum()
        home_hours = frame.loc[inside & (frame["place"] == p), "hours"].sum()
        nights = int(frame.loc[inside, "nights"].sum())
        # a move mid-week: the period starts with the first stay at the new home in the week before
        around = (frame["week"] >= first_week - 1) & (frame["week"] <= last_week + 1) & (frame["place"] == p)
        rows.append({"period": number, "place": p, "first_week": first_week, "last_week": last_week,
                     "first_ns": int(frame.loc[around, "start"].min()), "last_ns": int(frame.loc[around, "end"].max()),
                     "confidence": float(home_hours / period_hours) if period_hours > 0 else 0.0, "nights": nights})
    periods = pd.DataFrame(rows)
    # consecutive periods never overlap: a period ends where the next begins
    nxt = periods["first_ns"].shift(-1)
    periods["last_ns"] = np.where(nxt.notna(), np.minimum(periods["last_ns"], nxt.fillna(0)), periods["last_ns"]).astype(
        np.int64)
    return periods

