"""Findings: what one rule concluded about one audit (or one ablation variant).

A finding holds row positions (into its table's frame), never copies of rows, so that
evidence for millions of points costs one integer array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

FIRED, NOT_FIRED, ABSTAINED = "fired", "not_fired", "abstained"


@dataclass(frozen=True)
class GroupValue:
    """The value of one group (a month, a merchant, a place) and whether it passed."""

    label: str
    value: float | None
    passed: bool
    rows: int


@dataclass
class Finding:
    """One rule's outcome: fired, not fired or abstained, with its value and evidence."""

    pack: str
    rule: str
    title: str
    kind: str
    outcome: str
    measure: str
    value: float | None
    shown_value: str
    comparison: str
    threshold: float
    distance: float | None
    effect: float
    possible_effect: str
    dimension: str | None
    severity: str
    inference: str
    reason: str
    basis: str
    signals: tuple[str, ...]
    legal: str | None
    references: tuple[str, ...]
    judged_rows: int = 0
    unjudged_rows: int = 0
    evidence: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    groups: list[GroupValue] = field(default_factory=list)
    group_label: str | None = None

    @property
    def fired(self) -> bool:
        return self.outcome == FIRED

    @property
    def abstained(self) -> bool:
        return self.outcome == ABSTAINED
