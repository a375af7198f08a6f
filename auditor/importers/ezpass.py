"""Toll statements: E-ZPass account activity CSV, two layouts (formats.md §3.4).

A toll crossing is a timestamped place: the plaza where a transponder (or a plate) was
read, at a minute of a day. Divorce lawyers subpoena these records for exactly that
reason. Each crossing becomes one row of the ``tolls`` kind, which rules read directly
(how often, where, at what hour); plazas carry no coordinates in any statement seen, so
crossings are not turned into points.

Layouts read, recognised by their header (the file name never decides):

* **E-ZPass NY / NJ style** (the CSV the customer service centres let an account holder
  download)::

      POSTING DATE,TRANSACTION DATE,TAG/PLATE NUMBER,AGENCY,ACTIVITY,PLAZA ID,ENTRY TIME,
      ENTRY PLAZA,ENTRY LANE,EXIT TIME,EXIT PLAZA,EXIT LANE,VEHICLE TYPE CODE,AMOUNT,
      PREPAID,PLAN/RATE,FARE TYPE,BALANCE

  Another agency names the fifth column ``DESCRIPTION``. Dates are ``M/D/YYYY``; times
  ``HH:MM:SS``; a dash stands for "not applicable" (no entry plaza on a barrier toll).
  ``AMOUNT`` is written ``$1.00``, credits and payments ``($1.00)``.
* **Turnpike style** (PA Turnpike E-ZPass)::

      Posting Date,Exit Date,Exit Interchange,Transponder,Amount,Transaction,Class

  A date only: such crossings have ``has_time`` False and hour-of-day rules abstain.

Times are the agency's local wall-clock time with no offset written: they are kept as
wall-clock time with offset 0 (the bank-CSV convention), so the local hour is right.
Statement rows that are not crossings (payments, replenishments, fees, credits) are
counted in a note and not read as tolls. FasTrak and SunPass statements were not seen
in any public source: UNCERTAIN, not read.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import EARLIEST, LATEST, to_float

IMPORTER_ID = "ezpass"
SOURCE = "ezpass"

# Column roles and the header names (upper-cased) that hold them, per layout.
_EZPASS_MARKERS = frozenset({"TRANSACTION DATE", "TAG/PLATE NUMBER", "AGENCY", "AMOUNT"})
_TURNPIKE_MARKERS = frozenset({"EXIT DATE", "EXIT INTERCHANGE", "TRANSPONDER", "AMOUNT"})

_ROLES: dict[str, tuple[str, ...]] = {
    "date": ("TRANSACTION DATE", "EXIT DATE"),
    "time": ("EXIT TIME",),
    "entry_time": ("ENTRY TIME",),
    "activity": ("ACTIVITY", "DESCRIPTION", "TRANSACTION"),
    "agency": ("AGENCY",),
    "plaza": ("EXIT PLAZA", "EXIT INTERCHANGE"),
    "plaza_id": ("PLAZA ID",),
    "entry_plaza": ("ENTRY PLAZA",),
    "lane": ("EXIT LANE",),
    "amount": ("AMOUNT",),
    "tag": ("TAG/PLATE NUMBER", "TRANSPONDER"),
    "vehicle_class": ("VEHICLE TYPE CODE", "CLASS"),
}

# Values of the activity column that mark a crossing. Anything else (PAYMENT, REPLENISH,
# FEE, CREDIT, ADJUSTMENT...) is account bookkeeping, not a place and time.
_CROSSING_WORDS = r"TOLL|TRIP|CROSSING|PLAZA|GANTRY"


def _upper_fields(head: Head) -> set[str]:
    return {name.upper() for name in rc.header_fields(head)}


def sniff(head: Head) -> float:
    """The header of an E-ZPass or turnpike statement, in any letter case."""
    fields = _upper_fields(head)
    if _EZPASS_MARKERS <= fields and fields & {"EXIT PLAZA", "PLAZA ID"}:
        return 0.95
    if _TURNPIKE_MARKERS <= fields:
        return 0.9
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read every crossing of the statement; bookkeeping rows are noted, not read."""
    table = rc.read_csv_table(ref, report)
    upper = table.columns.renamed(str.upper)
    turnpike = _TURNPIKE_MARKERS <= set(upper)
    if not turnpike and not _EZPASS_MARKERS <= set(upper):
        raise BadInput(
            "missing E-ZPass columns (TRANSACTION DATE, TAG/PLATE NUMBER, AGENCY, AMOUNT); "
            "expected an E-ZPass statement CSV"
        )
    report.detail = "turnpike statement (dates only)" if turnpike else "E-ZPass statement"
    cols = {role: _first(upper, names) for role, names in _ROLES.items()}
    records = table.records

    crossing = np.ones(len(records), dtype=bool)
    if cols["activity"] is not None:
        activity = cols["activity"].astype("string").str.upper()
        crossing = activity.str.contains(_CROSSING_WORDS, regex=True).fillna(False).to_numpy(dtype=bool)
        # A turnpike "Transaction" column may hold a plain code; a charge there is a crossing.
        if turnpike:
            crossing |= activity.isna().to_numpy()
        others = int((~crossing).sum())
        if others:
            kinds = ", ".join(sorted(activity[~crossing].dropna().str.strip().unique())[:5])
            report.notes.append(
                f"{rc.plural(others, 'statement row')} not a crossing ({kinds}): not read as tolls"
            )

    dates = _dates(cols["date"])
    no_date = cols["date"].isna().to_numpy() & crossing
    bad_date = dates.isna().to_numpy() & ~no_date & crossing
    report.skip_many(records[no_date], "no transaction date")
    if bad_date.any():
        sample = cols["date"][bad_date].iloc[0]
        report.skip_many(records[bad_date], f"transaction date is not M/D/YYYY (e.g. {sample!r})")

    clock = _clock(cols["time"]) if cols["time"] is not None else None
    if clock is not None:
        times = dates + clock.fillna(pd.Timedelta(0))
        has_time = clock.notna().to_numpy()
    else:
        times = dates
        has_time = np.zeros(len(records), dtype=bool)

    amount = _money(cols["amount"], report)
    keep = crossing & ~no_date & ~bad_date
    report.timezone = (
        "local wall-clock times without offset: kept with offset 0, so the hour reads as local"
        if has_time[keep].any()
        else "dates only: hour-of-day rules abstain"
    )
    plaza = cols["plaza"] if cols["plaza"] is not None else cols["plaza_id"]
    if plaza is not None and cols["plaza_id"] is not None:
        plaza = plaza.where(plaza.notna(), cols["plaza_id"])
    data: dict[str, object] = {
        "time": times[keep].dt.tz_localize("UTC"),
        "utc_offset_min": 0,  # wall-clock time (or a date) as written: see the docstring
        "has_time": has_time[keep],
        "amount": amount[keep].abs().to_numpy(),
        "currency": "USD",
        "provider": SOURCE,
    }
    for role in ("agency", "entry_plaza", "lane", "tag", "vehicle_class"):
        if cols[role] is not None:
            data[role] = cols[role][keep].to_numpy()
    if plaza is not None:
        data["plaza"] = plaza[keep].to_numpy()
    return {
        "tolls": frame("tolls", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=records[keep])
    }


def _first(columns: Mapping[str, pd.Series], names: tuple[str, ...]) -> pd.Series | None:
    for name in names:
        if name in columns:
            # A dash stands for "not applicable" in these statements.
            values = columns[name]
            return values.mask(values.str.strip().isin(["-", "--", "N/A"]))
    return None


def _dates(values: pd.Series) -> pd.Series:
    """``3/17/2025`` (and ``03/17/25``) to naive midnight datetimes; NaT where not a date."""
    text = values.astype("string").str.strip().str.split(" ").str[0]
    dates = pd.to_datetime(text, format="%m/%d/%Y", errors="coerce")
    short = pd.to_datetime(text, format="%m/%d/%y", errors="coerce")
    dates = dates.where(dates.notna(), short)
    plausible = (dates >= EARLIEST.tz_localize(None)) & (dates < LATEST.tz_localize(None))
    return dates.where(plausible)


def _clock(values: pd.Series) -> pd.Series:
    """``08:14:22``, ``8:14 AM`` or a full ``3/17/2025 08:14:22`` to a time of day; NaT otherwise."""
    whole = values.astype("string").str.strip()
    dated = whole.str.contains("/", regex=False).fillna(False)
    text = whole.where(~dated, whole.str.split(" ", n=1).str[-1])
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p"):
        parsed = parsed.where(parsed.notna(), pd.to_datetime(text, format=fmt, errors="coerce"))
    return parsed - parsed.dt.normalize()


def _money(values: pd.Series | None, report: ImportReport) -> pd.Series:
    """``$1.00`` to 1.0 and ``($1.00)`` to -1.0; notes values that are not amounts."""
    if values is None:
        raise BadInput("no AMOUNT column; expected an E-ZPass statement CSV")
    text = values.astype("string").str.strip()
    negative = text.str.startswith("(").fillna(False) | text.str.startswith("-").fillna(False)
    numbers = to_float(text.str.replace(r"[()$,\s-]", "", regex=True))
    bad = text.notna() & numbers.isna()
    if bad.any():
        report.notes.append(
            f"{int(bad.sum())} AMOUNT values were not amounts (e.g. {text[bad].iloc[0]!r}); read as missing"
        )
    return numbers.where(~negative, -numbers)


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="E-ZPass toll statement (CSV)",
        kinds=("tolls",),
        sniff=sniff,
        load=load,
    ),
)
