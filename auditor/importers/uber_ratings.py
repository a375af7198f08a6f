"""Uber ratings a rider receives (formats.md §3.1, "Other files in the 2023+ zip").

Two files carry them; neither has a date:

* ``Rider/rider_lifetime_ratings_received-0.csv``: a single column ``five_star_rating``,
  one row per rating a driver gave the rider (1 to 5), no time, no trip. Each row becomes
  one rating: ``aggregate`` False, ``direction`` received, scale 5, time missing.
* ``Account and Profile/user_profile-0.csv``: the rider's current average in a ``Rating``
  column, among personal details (``First Name, Last Name, E-Mail, Mobile``, signup
  coordinates...). Only the rating column is kept, as each row is read: names, e-mail
  addresses and phone numbers never reach a frame, a note or a message. It becomes one
  rating with ``aggregate`` True. The older ``profile_data.csv`` is read the same way if
  its header has a ``Rating`` column (its columns were not seen: UNCERTAIN).

No file for ratings the rider gave drivers was found; drivers' own files are not read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from auditor.importers import rideshare_common as rc
from auditor.importers.base import BadInput, FileRef, Head, Importer, ImportReport, frame
from auditor.importers.parsing import to_float

IMPORTER_ID = "uber-ratings"
SOURCE = "uber"
SCALE = 5.0

LIFETIME_HEADER = ["five_star_rating"]
RATING_COLUMNS = ("Rating", "rating", "Rider Rating")
# Any of these beside a rating column marks Uber's profile file (they are never read).
PROFILE_MARKERS = frozenset(
    {"First Name", "Last Name", "E-Mail", "Email", "Mobile", "Signup Date", "Mobile Number"}
)


def _rating_column(fields: list[str]) -> str | None:
    return next((name for name in RATING_COLUMNS if name in fields), None)


def sniff(head: Head) -> float:
    """The single ``five_star_rating`` header, or a profile header with a rating column."""
    fields = rc.header_fields(head)
    if fields == LIFETIME_HEADER:
        return 0.95
    if _rating_column(fields) and PROFILE_MARKERS & set(fields):
        return 0.9
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read the lifetime ratings or the profile's current rating (and nothing else)."""
    # Keep only the rating columns as rows are read: the profile holds personal details.
    table = rc.read_csv_table(ref, report, keep=lambda name: name in (*LIFETIME_HEADER, *RATING_COLUMNS))
    if table.header == LIFETIME_HEADER:
        report.detail = "Uber ratings received, one row per rating (no dates)"
        return {"ratings": _ratings(ref, report, table, "five_star_rating", aggregate=False)}
    column = _rating_column(table.header)
    if column is None:
        raise BadInput("no five_star_rating or Rating column; expected an Uber ratings or profile file")
    report.detail = "Uber profile: current rating only (personal details not read)"
    return {"ratings": _ratings(ref, report, table, column, aggregate=True)}


def _ratings(
    ref: FileRef, report: ImportReport, table: rc.CsvTable, column: str, aggregate: bool
) -> pd.DataFrame:
    report.timezone = "no times in the file: ratings carry no date"
    text = table.columns[column]
    values = to_float(text)
    empty = text.isna().to_numpy()
    bad = ~empty & ~values.between(1, SCALE).to_numpy()
    report.skip_many(table.records[empty], f"{column} is empty")
    if bad.any():
        report.skip_many(
            table.records[bad], f"{column} is not a rating from 1 to 5 (e.g. {text[bad].iloc[0]!r})"
        )
    keep = ~(empty | bad)
    data = {
        "value": values[keep].to_numpy(),
        "scale": SCALE,
        "direction": "received",
        "role": "rider",  # the rider files: ratings drivers gave this person as a rider
        "aggregate": np.full(int(keep.sum()), aggregate),
        "provider": SOURCE,
    }
    return frame("ratings", data, ref=ref, importer=IMPORTER_ID, source=SOURCE, records=table.records[keep])


IMPORTERS = (
    Importer(
        id=IMPORTER_ID,
        title="Uber ratings received (lifetime and current)",
        kinds=("ratings",),
        sniff=sniff,
        load=load,
    ),
)
