"""Scores: start + the effects of fired rules, capped per dimension, clamped to the scale.

A pack with a scale yields an illustrative score, the band it reaches (with what that
band unlocks or blocks, as Sesame's privileges do) and a breakdown by dimension. A
dimension with a weight can move the score by at most ``weight x (max - min)`` either
way, so a scorer's declared emphasis bounds each part. A pack without a scale is an
exposure report: it counts what fired.

Ablation shows what each source gives away: the same packs evaluated without each source,
and with that source alone. Row-level work is shared with the main evaluation (see
:mod:`auditor.engine.context`), so each variant costs only its measures.

Scores are illustrations of how such a scorer works, never a claim to reproduce one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from auditor.engine.compile import CompiledPack, evaluate_pack
from auditor.engine.context import AuditData, Variant
from auditor.engine.findings import Finding
from auditor.packs.model import Band, Pack

OTHER = "other"


@dataclass
class DimensionScore:
    """How one dimension moved the score."""

    name: str
    title: str
    weight: float | None
    raw: float
    applied: float
    cap: float | None
    rules: list[str] = field(default_factory=list)


@dataclass
class PackScore:
    """A pack's score (None for an exposure report), band and breakdown."""

    pack: str
    score: float | None
    start: float | None
    minimum: float | None
    maximum: float | None
    band: Band | None
    dimensions: list[DimensionScore]
    fired: list[str]
    not_fired: list[str]
    abstained: list[str]

    @property
    def change(self) -> float | None:
        return None if self.score is None or self.start is None else self.score - self.start


def score_pack(pack: Pack, findings: Sequence[Finding]) -> PackScore:
    """Score one pack from its findings."""
    fired = [f.rule for f in findings if f.outcome == "fired"]
    not_fired = [f.rule for f in findings if f.outcome == "not_fired"]
    abstained = [f.rule for f in findings if f.outcome == "abstained"]
    scale = pack.scale
    dimensions = _dimensions(pack, findings)
    if scale is None:
        return PackScore(pack.id, None, None, None, None, None, dimensions, fired, not_fired, abstained)
    total = scale.start + sum(d.applied for d in dimensions)
    score = min(max(total, scale.min), scale.max)
    return PackScore(pack.id, score, scale.start, scale.min, scale.max, band_of(pack, score), dimensions, fired,
                     not_fired, abstained)  # fmt: skip


def _dimensions(pack: Pack, findings: Sequence[Finding]) -> list[DimensionScore]:
    span = (pack.scale.max - pack.scale.min) if pack.scale else None
    out: dict[str, DimensionScore] = {}
    for name, dimension in pack.dimensions.items():
        cap = dimension.weight * span if dimension.weight is not None and span is not None else None
        out[name] = DimensionScore(name, dimension.title, dimension.weight, 0.0, 0.0, cap)
    for finding in findings:
        if finding.outcome != "fired":
            continue
        name = finding.dimension or OTHER
        if name not in out:
            out[name] = DimensionScore(name, "Other", None, 0.0, 0.0, None)
        out[name].raw += finding.effect
        out[name].rules.append(finding.rule)
    for dimension in out.values():
        dimension.applied = dimension.raw
        if dimension.cap is not None:
            dimension.applied = min(max(dimension.raw, -dimension.cap), dimension.cap)
    return list(out.values())


def band_of(pack: Pack, score: float) -> Band | None:
    """The highest band whose floor the score reaches."""
    reached = [band for band in pack.bands if score >= band.at_least]
    return max(reached, key=lambda b: b.at_least) if reached else None


@dataclass
class SourceEffect:
    """What one source gives away to one pack: the pack without it, and with it alone."""

    source: str
    rows: dict[str, int]
    without: PackScore
    alone: PackScore
    needs_it: list[str]
    alone_fires: list[str]


def ablate(pack: CompiledPack, data: AuditData, everything: PackScore, sources: Sequence[str] | None = None) -> list[SourceEffect]:
    """Evaluate the pack without each source and with each source alone."""
    rows = data.rows_by_source()
    effects = []
    for source in sources if sources is not None else data.sources():
        without = score_pack(pack.pack, evaluate_pack(pack, data.view(Variant(exclude=frozenset({source}))), evidence=False))
        alone = score_pack(pack.pack, evaluate_pack(pack, data.view(Variant(only=source)), evidence=False))
        needs_it = [rule for rule in everything.fired if rule not in without.fired]
        effects.append(SourceEffect(source, rows.get(source, {}), without, alone, needs_it, list(alone.fired)))
    return effects
