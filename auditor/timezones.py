"""Which time zone to read UTC-only rows in, when the person did not say.

Records.json, GPX and several ride exports give UTC only; "after midnight" needs local time.
``--timezone`` names the zone. Without it, the person's other exports often state their local
offset row by row (the on-device Timeline, Monzo, OFX, Uber's trips): the zone whose clock
matches those offsets on nearly every day is the zone the person lived in, and reading the
UTC-only rows there is far closer to the truth than reading them in UTC. When no export states
an offset, or the offsets disagree (a traveller), the rows stay in UTC and the audit says so.

Only the person's data decides, never the computer's own zone: the same exports give the same
audit on every machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

import numpy as np
import pandas as pd

from auditor import model

MIN_DAYS = 5
"""Days with a stated offset needed before a zone is inferred from them."""

MIN_MATCH = 0.9
"""Share of those days on which the zone's clock must agree with the stated offset."""

# Raw fixes are left out: iOS writes its path vertices in 'Z' beside visits in local time, so
# their offsets say nothing about where the person lived.
_SKIP_KINDS = {"points"}
# An offset of 0 is no evidence either: it is how wall-clock times without an offset are kept
# (bank CSVs, E-ZPass: model.py), how 'Z' and '+0000' (Twitter) are read, and how date-only
# rows are stored. People on UTC in winter still show +60 in summer, which picks their zone
# (Europe/London before Africa/Lagos, which is +60 in winter too); people on UTC all year
# state nothing, and UTC is what they get.

# Zones with the same clock changes read every stated day alike; among them the better-known
# name is shown (by population, roughly), then the first alphabetically.
_PREFERRED = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Vancouver", "America/Mexico_City",
    "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Bogota", "America/Lima", "America/Santiago",
    "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Europe/Rome", "Europe/Amsterdam", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm", "Europe/Warsaw",
    "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow", "Europe/Kyiv", "Africa/Lagos",
    "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore",
    "Asia/Manila", "Asia/Seoul", "Asia/Tokyo", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
    "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip
_RANK = {zone: rank for rank, zone in enumerate(_PREFERRED)}
_ALIAS_AREAS = {"Etc", "SystemV", "US", "posix", "right", "Canada", "Mexico", "Brazil", "Chile"}


@dataclass(frozen=True)
class LocalTime:
    """The zone UTC-only rows are read in (None: UTC) and, in plain words, why."""

    zone: str | None
    basis: str


def choose_zone(
    given: str | None, frames: dict[str, pd.DataFrame], *, given_basis: str | None = None
) -> LocalTime:
    """``given`` when the person (or the sample persona) named a zone; else the zone inferred from the data."""
    if given:
        return LocalTime(given, given_basis or f"{given}, as set with --timezone")
    return infer_zone(frames)


def infer_zone(frames: dict[str, pd.DataFrame]) -> LocalTime:
    """The zone whose offsets match the offsets the exports state on nearly every day."""
    days = _stated_days(frames)
    if len(days) == 0:
        return LocalTime(
            None,
            "UTC: no export states a local offset, so rows with UTC times only are read in UTC "
            "(set --timezone to read them in your zone)",
        )
    if len(days) < MIN_DAYS:
        return LocalTime(
            None,
            f"UTC: only {len(days)} day(s) state a local offset, too few to tell the zone (set --timezone)",
        )
    utc = pd.DatetimeIndex(days["utc"].to_numpy()).tz_localize("UTC")
    stated = days["offset"].to_numpy(dtype=np.int64)
    best: list[str] = []
    best_share = -1.0
    # A zone that never used the most stated offset cannot agree on MIN_MATCH of the days.
    values, counts = np.unique(stated, return_counts=True)
    years = tuple(range(int(utc.year.min()), int(utc.year.max()) + 1))
    for zone in _candidates(int(values[np.argmax(counts)]), years):
        local = utc.tz_convert(zone).tz_localize(None)
        offsets = (local - utc.tz_localize(None)).to_numpy().astype("timedelta64[m]").astype(np.int64)
        share = float((offsets == stated).mean())
        if share > best_share + 1e-12:
            best, best_share = [zone], share
        elif abs(share - best_share) <= 1e-12:
            best.append(zone)
    if not best or best_share < MIN_MATCH:
        near = f" (the closest, {_pick(best)}, agrees on {best_share:.0%} of them)" if best else ""
        return LocalTime(
            None,
            f"UTC: the offsets your exports state on {len(days)} days fit no single time zone{near}, "
            "perhaps from travel; set --timezone",
        )
    zone = _pick(best)
    return LocalTime(
        zone,
        f"{zone}, inferred: its clock matches the local offset your exports state on {best_share:.0%} "
        f"of {len(days)} days (set --timezone to change it)",
    )


def _stated_days(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (local day, offset) that some export states, with a UTC time on that day."""
    parts = []
    for kind, frame in frames.items():
        if kind in _SKIP_KINDS or kind not in model.KINDS or "utc_offset_min" not in frame or frame.empty:
            continue
        time_columns = model.time_columns(kind)
        if not time_columns:
            continue
        offsets = frame["utc_offset_min"]
        known = offsets.fillna(0).to_numpy(dtype=np.int64) != 0
        times = frame[time_columns[0]]
        known &= times.notna().to_numpy()
        if not known.any():
            continue
        parts.append(
            pd.DataFrame(
                {
                    "utc": times[known].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(),
                    "offset": offsets[known].to_numpy(dtype=np.int64),
                }
            )
        )
    if not parts:
        return pd.DataFrame({"utc": pd.Series(dtype="datetime64[ns]"), "offset": pd.Series(dtype="int64")})
    stated = pd.concat(parts, ignore_index=True)
    local_day = (stated["utc"] + pd.to_timedelta(stated["offset"], unit="min")).dt.floor("D")
    # A day counts once per offset it was stated with: a busy day of raw rows outweighs nothing.
    return (
        stated.assign(day=local_day)
        .drop_duplicates(["day", "offset"])
        .sort_values(["day", "offset"])[["utc", "offset"]]
    )


@lru_cache(maxsize=64)
def _candidates(offset: int, years: tuple[int, ...]) -> tuple[str, ...]:
    """Place zones that used this offset mid-January or mid-July of one of these years.

    Only a filter (the days themselves decide), so two probes a year suffice: a zone that used
    the offset in those years used it in one of its two seasons.
    """
    probes = [datetime(year, month, 15, tzinfo=UTC) for year in years for month in (1, 7)]
    found = []
    for zone in _place_zones():
        info = ZoneInfo(zone)
        if any(int(probe.astimezone(info).utcoffset().total_seconds()) // 60 == offset for probe in probes):  # type: ignore[union-attr]
            found.append(zone)
    return tuple(found)


@lru_cache(maxsize=1)
def _place_zones() -> tuple[str, ...]:
    """Every zone named after a place (no aliases, no fixed offsets), that this machine can load."""
    zones = []
    for zone in sorted(available_timezones()):
        if "/" not in zone or zone.split("/")[0] in _ALIAS_AREAS:
            continue  # aliases and fixed-offset zones: a place's canonical name says more
        try:
            ZoneInfo(zone)
        except (ValueError, OSError):
            continue
        zones.append(zone)
    return tuple(zones)


def _pick(zones: list[str]) -> str:
    return min(zones, key=lambda zone: (_RANK.get(zone, len(_RANK)), zone))
