"""Words and small tables the screens show, read from an :class:`~auditor.pipeline.AuditResult`.

Nothing here decides anything about the person: it phrases what the pipeline found
(scores, findings, issues) and lines findings up as small frames for the tables. It
imports no Textual, so the tests can check the wording on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from rich.markup import escape

DISCLAIMER = "Scores are illustrations of how such a scorer works, not a reproduction of any real score."
OUTCOME_WORDS = {"fired": "fired", "not_fired": "not fired", "abstained": "not enough data"}
COMPARISON_WORDS = {"at_least": "at least", "more_than": "more than", "at_most": "at most", "less_than": "less than"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}
SESAME_DIMENSIONS = {
    "credit_history": "Credit history: keeping promises to pay",
    "fulfilment_capacity": "Fulfilment capacity: the means to pay",
    "behaviour_preferences": "Behaviour and preferences: what you buy and when",
    "identity_characteristics": "Identity characteristics: who and where you are",
    "interpersonal_relationships": "Interpersonal relationships: who you deal with",
}
# Columns each kind's evidence shows first, after where the row comes from.
LEAD_COLUMNS = {
    "transactions": ("time", "amount", "currency", "description", "merchant", "category"),
    "points": ("time", "lat", "lon", "accuracy_m"),
    "visits": ("start", "end", "name", "address", "semantic_type"),
    "activities": ("start", "end", "mode", "distance_m"),
    "trips": ("requested", "product", "pickup_address", "dropoff_address", "fare", "status"),
    "ratings": ("time", "value", "direction", "provider"),
}
PROVENANCE = ("file", "record", "source")


def threshold_words(finding) -> str:
    """``at least 3``: the rule's threshold in words."""
    return f"{COMPARISON_WORDS.get(finding.comparison, finding.comparison)} {finding.threshold:g}"


def score_words(pack) -> str:
    """``640 on 300-850 (+40 from 600), band fair`` or the exposure count."""
    score = pack.score
    if score.score is None:
        return f"exposure report: {len(score.fired)} of {len(pack.findings)} rules fired"
    band = f", band {score.band.label}" if score.band else ""
    return (f"{score.score:,.0f} on {score.minimum:,.0f}-{score.maximum:,.0f} "
            f"({(score.change or 0):+,.0f} from {score.start:,.0f}){band}")  # fmt: skip


def score_bar(pack, width: int = 40) -> str:
    """A text gauge of the score on its scale."""
    score = pack.score
    if score.score is None or score.maximum == score.minimum:
        return ""
    filled = round(width * (score.score - score.minimum) / (score.maximum - score.minimum))
    return "█" * filled + "░" * (width - filled)


def dimension_bar(applied: float, cap: float | None, largest: float, width: int = 20) -> str:
    """A signed bar: left of the axis lowers the score, right raises it."""
    scale = cap or largest or 1.0
    cells = min(round(abs(applied) / scale * width), width) if scale else 0
    if applied < 0:
        return " " * (width - cells) + "█" * cells + "│" + " " * width
    return " " * width + "│" + "█" * cells + " " * (width - cells)


def finding_sources(result, finding) -> list[str]:
    """The sources the finding's evidence rows come from."""
    frame = result.frame(finding.kind)
    if frame is None or not len(finding.evidence) or "source" not in frame:
        return []
    values = frame["source"].iloc[finding.evidence]
    return sorted(str(s) for s in pd.unique(values.dropna()))


@dataclass(frozen=True)
class FindingRef:
    """Where one finding sits in the result: pack index and finding index."""

    pack: int
    finding: int


def findings_frame(result) -> tuple[pd.DataFrame, list[FindingRef]]:
    """One row per finding across packs, for the sortable findings table."""
    rows, refs = [], []
    for p, pack in enumerate(result.packs):
        for f, finding in enumerate(pack.findings):
            refs.append(FindingRef(p, f))
            rows.append({
                "pack": pack.pack.id,
                "rule": finding.rule,
                "outcome": OUTCOME_WORDS.get(finding.outcome, finding.outcome),
                "severity": finding.severity,
                "effect": finding.effect if finding.fired else np.nan,
                "measured": "-" if finding.abstained else finding.shown_value,
                "threshold": threshold_words(finding),
                "evidence": len(finding.evidence),
                "sources": ", ".join(finding_sources(result, finding)),
                "title": finding.title,
            })  # fmt: skip
    columns = ["pack", "rule", "outcome", "severity", "effect", "measured", "threshold", "evidence", "sources", "title"]
    frame = pd.DataFrame(rows, columns=columns)
    frame["evidence"] = frame["evidence"].astype("int64")
    frame["effect"] = frame["effect"].astype("float64")
    return frame, refs


def rules_frame(result) -> pd.DataFrame:
    """Every rule of every evaluated pack with its outcome and distance to firing."""
    rows = []
    for pack in result.packs:
        for finding in pack.findings:
            rows.append({
                "pack": pack.pack.id,
                "rule": finding.rule,
                "outcome": OUTCOME_WORDS.get(finding.outcome, finding.outcome),
                "measured": "-" if finding.abstained else finding.shown_value,
                "fires at": threshold_words(finding),
                "distance": np.nan if finding.distance is None or finding.fired else finding.distance,
                "effect": finding.effect,
                "why": finding.reason,
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["pack", "rule", "outcome", "measured", "fires at", "distance", "effect", "why"])


def evidence_frame(result, finding, limit: int = 200_000) -> tuple[pd.DataFrame, int]:
    """The finding's evidence rows, provenance first; at most ``limit`` of them, and how many in all."""
    frame = result.frame(finding.kind)
    if frame is None or not len(finding.evidence):
        return pd.DataFrame(columns=list(PROVENANCE)), 0
    rows = finding.evidence[:limit]
    picked = frame.iloc[rows]
    lead = [c for c in (*PROVENANCE, *LEAD_COLUMNS.get(finding.kind, ())) if c in picked.columns]
    rest = [c for c in picked.columns if c not in lead and c != "importer"]
    return short_files(picked[lead + rest].reset_index(drop=True)), len(finding.evidence)


def row_text(frame: pd.DataFrame, position: int) -> list[tuple[str, str]]:
    """Every column of one row as (name, value) text."""
    row = frame.iloc[position]
    out = []
    for name, value in row.items():
        if value is None or (not isinstance(value, str) and not np.ndim(value) and pd.isna(value)):
            text = ""
        elif isinstance(value, pd.Timestamp):
            text = value.isoformat()
        else:
            text = str(value)
        out.append((str(name), text))
    return out


def rule_yaml(loaded, rule_id: str) -> tuple[int, str]:
    """The rule's own lines in its pack file, and the line they start on (0, '' if unknown)."""
    if loaded.path is None or loaded.located is None or loaded.pack is None:
        return 0, ""
    ids = [rule.id for rule in loaded.pack.rules]
    if rule_id not in ids:
        return 0, ""
    try:
        lines = Path(loaded.path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 0, ""
    index = ids.index(rule_id)
    raw = loaded.located.data.get("rules", []) if isinstance(loaded.located.data, dict) else []
    starts = [loaded.located.where(("rules", i))[0] for i in range(len(raw))]
    if index >= len(starts):
        return 0, ""
    start = starts[index]
    end = starts[index + 1] - 1 if index + 1 < len(starts) else len(lines)
    # the located line of a list item is its first key; the "- " sits on the same line
    while end > start and not lines[end - 1].strip():
        end -= 1
    return start, "\n".join(lines[start - 1:end])


def issue_lines(result, extra=()) -> list[str]:
    """Every pack issue as ``file:line:col: error[check]: message`` with its hint."""
    issues = list(result.pack_issues) + list(extra)
    return [issue.render() for issue in issues]


def markup(text: object) -> str:
    """Text from data or packs made safe to show inside Rich markup."""
    return escape(str(text))


def derived_table(result, name: str) -> tuple[pd.DataFrame | None, str]:
    """A derived table where this version of the pipeline computes it, and why not otherwise.

    A derived table is built on first use; a failure there must not take the screen
    down with it, so it becomes a line the pane shows.
    """
    from auditor.engine import derived

    spec = derived.REGISTRY.get(name)
    if spec is None or spec.build is None:
        return None, f"this version of the pipeline does not compute the '{name}' table"
    try:
        return result.frame(name), ""
    except Exception as error:  # noqa: BLE001 - shown in the pane, never swallowed
        return None, f"the '{name}' table could not be derived: {type(error).__name__}: {error}"


def short_files(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``file`` column without the folder every file shares (the exports' own folder).

    ``file`` is categorical with a handful of categories, so this renames categories and
    never touches the rows.
    """
    if "file" not in frame or not isinstance(frame["file"].dtype, pd.CategoricalDtype):
        return frame
    names = [str(c) for c in frame["file"].cat.categories]
    if not names:
        return frame
    folders = [n.split("!", 1)[0].rsplit("/", 1)[0] + "/" for n in names]
    common = os.path.commonprefix(folders)
    common = common[: common.rfind("/") + 1]
    if not common:
        return frame
    renamed = [n.removeprefix(common) for n in names]
    if len(set(renamed)) != len(renamed):
        return frame
    out = frame.copy(deep=False)
    out["file"] = frame["file"].cat.rename_categories(renamed)
    return out
