"""Places: home, work and frequent places with their category, evidence and confidence.

The pipeline's derived ``places`` table is shown where it computes one; until then the
places the exports themselves name (visits grouped by place), with the export's own
label (HOME, WORK...) and confidence. A place is flagged sensitive when a fired rule
reading a special-category signal (health, religion... rules/signals.yaml) used it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from auditor.tui.present import derived_table, short_files
from auditor.tui.table import FrameTable

PLACE_KEY = ("name", "address", "semantic_type")
PLACE_COLUMNS = ("label", "category", "sensitive", "name", "address", "hours", "nights", "confidence", "status",
                 "first", "last", "n_stays", "weeks", "rank", "lat", "lon", "file", "record")  # fmt: skip
# Place categories (rules/lists/places.yaml) whose mere visit reveals special-category data
# (GDPR Art. 9, or Art. 10 for courts and police), named by the signal of rules/signals.yaml.
SENSITIVE_CATEGORIES = {
    "hospital": "health", "clinic": "health", "pharmacy": "health", "rehab": "addiction-recovery",
    "reproductive_health": "reproductive-health", "worship": "religion", "union_hall": "union-membership",
    "lgbtq_venue": "sexual-orientation", "shelter": "shelter", "political_office": "political-activity",
    "court": "criminal-justice", "police": "criminal-justice",
}  # fmt: skip


class PlacesPane(Vertical):
    """A table of places; Enter opens one place's row."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.frame = pd.DataFrame()

    def compose(self) -> ComposeResult:
        yield Label("", id="places-note")
        yield FrameTable(id="places-table", empty="no places in these exports")

    def show(self, result, redacted: bool) -> None:
        self.frame, note = places_frame(result)
        self.query_one("#places-note", Label).update(note)
        self.query_one("#places-table", FrameTable).show(self.frame, keep_cursor=True)


def places_frame(result) -> tuple[pd.DataFrame, str]:
    """The places to show, and a line saying where they come from."""
    from auditor.packs.loader import load_signals

    special = {name for name, s in load_signals().signals.items() if s.special_category}
    places, problem = derived_table(result, "places")
    if places is not None and len(places):
        flags = pd.Series(_flags(result, "places", len(places), special), index=places.index)
        if "category" in places:
            by_category = places["category"].astype("string").map(SENSITIVE_CATEGORIES).fillna("")
            flags = flags.where(flags != "", by_category)
        shown = places.assign(sensitive=flags.to_numpy())
        columns = [c for c in PLACE_COLUMNS if c in shown.columns]
        note = ("Places inferred from your location history (home, work, frequent...), most hours first; "
                "'sensitive' marks places of a special category (health, religion...). Enter opens a place.")  # fmt: skip
        return short_files(shown[columns].reset_index(drop=True)), note
    visits = result.data.frames["visits"]
    if not len(visits):
        return pd.DataFrame(), f"No place visits in these exports ({problem or 'no places derived'})."
    keys = visits[list(PLACE_KEY)].astype("string").fillna("")
    group = keys.groupby(list(PLACE_KEY), sort=False).ngroup().to_numpy()
    hours = (visits["end"] - visits["start"]).dt.total_seconds() / 3600
    table = pd.DataFrame({
        "place": group, "visits": 1, "hours": hours.to_numpy(),
        "first": visits["start"], "last": visits["end"], "confidence": visits["confidence"],
    })  # fmt: skip
    summary = table.groupby("place").agg(visits=("visits", "sum"), hours=("hours", "sum"), first=("first", "min"),
                                         last=("last", "max"), confidence=("confidence", "mean"))  # fmt: skip
    firsts = keys.groupby(group).first()
    coords = visits.groupby(group)[["lat", "lon"]].median()
    flags = _flags(result, "visits", len(visits), special)
    flagged = pd.Series(flags).groupby(group).agg(lambda v: ", ".join(sorted({s for s in v if s})))
    out = pd.concat([firsts, summary, coords, flagged.rename("sensitive")], axis=1)
    out = out.rename(columns={"semantic_type": "label"}).sort_values(["visits", "hours"], ascending=False)
    out["hours"] = out["hours"].round(1)
    columns = ["label", "name", "address", "visits", "hours", "confidence", "sensitive", "first", "last", "lat", "lon"]
    note = ("Places your exports name (visits grouped by place, with the export's own label and confidence). "
            f"The pipeline's own home/work inference appears here once it computes one ({problem or 'none found'}).")  # fmt: skip
    return out[columns].reset_index(drop=True), note


def _flags(result, kind: str, length: int, special: set[str]) -> np.ndarray:
    """Per row of ``kind``: the special-category signals of fired rules whose evidence it is."""
    flags = np.full(length, "", dtype=object)
    for pack in result.packs:
        for finding in pack.findings:
            hit = sorted(set(finding.signals) & special)
            if finding.fired and finding.kind == kind and hit and len(finding.evidence):
                rows = finding.evidence[finding.evidence < length]
                flags[rows] = np.where(flags[rows] == "", ", ".join(hit), flags[rows] + ", " + ", ".join(hit))
    return flags
