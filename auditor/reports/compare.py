"""Several audits side by side, or one audit under every pack.

For workshops: how do different lives score under the same scorers? :func:`compare` lines
up the audits by pack (score and band for each) and by rule (outcome for each), marking the
rules whose outcome differs. With one audit it is that person under every pack: each pack's
score and every rule that fired.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from auditor.commands.scan import DISCLAIMER
from auditor.pipeline import AuditResult, PackResult
from auditor.reports.common import as_of_label


@dataclass
class PackLine:
    """One pack across the audits: its score text and fired count for each (None: not run)."""

    id: str
    title: str
    scorer: str
    scores: list[str | None]
    values: list[float | None]
    fired: list[int | None]


@dataclass
class RuleLine:
    """One rule across the audits: outcome, measured value and effect for each."""

    pack: str
    rule: str
    title: str
    outcomes: list[str | None]
    shown: list[str | None]
    effects: list[float | None]

    @property
    def differs(self) -> bool:
        return len(set(self.outcomes)) > 1

    @property
    def ever_fired(self) -> bool:
        return "fired" in self.outcomes


@dataclass
class Comparison:
    labels: list[str]
    as_of: list[str]
    packs: list[PackLine] = field(default_factory=list)
    rules: list[RuleLine] = field(default_factory=list)

    @property
    def single(self) -> bool:
        return len(self.labels) == 1

    def shown_rules(self) -> list[RuleLine]:
        """The rules worth a line: those that differ (several audits), or that fired (one audit)."""
        return [r for r in self.rules if (r.ever_fired if self.single else r.differs)]


def unique_labels(names: Sequence[str]) -> list[str]:
    """Names for the columns; repeated names get a number (two folders called 'export')."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if names.count(name) == 1 else f"{name} ({seen[name]})")
    return out


def compare(audits: Sequence[tuple[str, AuditResult]]) -> Comparison:
    """Line up audits by pack and rule, in the order of the first audit's packs."""
    labels = unique_labels([label for label, _ in audits])
    comparison = Comparison(labels, [as_of_label(result) for _, result in audits])
    by_audit: list[dict[str, PackResult]] = [{p.pack.id: p for p in result.packs} for _, result in audits]
    order: list[str] = []
    for packs in by_audit:
        order += [pack_id for pack_id in packs if pack_id not in order]
    for pack_id in order:
        present = [packs.get(pack_id) for packs in by_audit]
        first = next(p for p in present if p is not None)
        comparison.packs.append(PackLine(
            pack_id, first.pack.title, first.pack.scorer,
            [None if p is None else _score(p) for p in present],
            [None if p is None else p.score.score for p in present],
            [None if p is None else len(p.score.fired) for p in present],
        ))  # fmt: skip
        rule_ids: list[str] = []
        for p in present:
            if p is not None:
                rule_ids += [f.rule for f in p.findings if f.rule not in rule_ids]
        for rule_id in rule_ids:
            found = [None if p is None else next((f for f in p.findings if f.rule == rule_id), None) for p in present]
            title = next(f.title for f in found if f is not None)
            comparison.rules.append(RuleLine(
                pack_id, rule_id, title,
                [None if f is None else f.outcome for f in found],
                [None if f is None else f.shown_value for f in found],
                [None if f is None else f.effect for f in found],
            ))  # fmt: skip
    return comparison


def _score(pack: PackResult) -> str:
    score = pack.score
    if score.score is None:
        return f"{len(score.fired)} of {len(pack.findings)} fired"
    band = f" ({score.band.label})" if score.band else ""
    return f"{score.score:,.0f}{band}"


def _outcome(outcome: str | None, shown: str | None, effect: float | None) -> str:
    if outcome is None:
        return "-"
    words = outcome.replace("_", " ")
    if outcome == "abstained":
        return words
    return f"{words}: {shown}" + (f" ({effect:+g})" if effect else "")


# --- renderers ---------------------------------------------------------------------------------------


def _intro(comparison: Comparison) -> str:
    if comparison.single:
        return (f"{comparison.labels[0]} under every pack (as of {comparison.as_of[0]}): each pack's score "
                "and the rules that fired.")  # fmt: skip
    return f"{len(comparison.labels)} audits side by side: scores per pack, and the rules whose outcome differs."


def render_markdown(comparison: Comparison) -> str:
    def cell(text: object) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    labels = comparison.labels
    lines = ["# Comparison", "", _intro(comparison), "", f"_{DISCLAIMER}_", "", "## Scores", "",
             "| pack | plays | " + " | ".join(cell(x) for x in labels) + " |", "| --- | --- |" + " --- |" * len(labels)]  # fmt: skip
    for p in comparison.packs:
        lines.append(f"| {cell(p.title)} | {cell(p.scorer)} | " + " | ".join(cell(s or "-") for s in p.scores) + " |")
    shown = comparison.shown_rules()
    lines += ["", "## Rules that fired" if comparison.single else "## Findings that differ", ""]
    if not shown:
        lines.append("No rule fired." if comparison.single else "Every rule has the same outcome for everyone.")
    else:
        lines += ["| pack | rule | " + " | ".join(cell(x) for x in labels) + " |", "| --- | --- |" + " --- |" * len(labels)]
        for r in shown:
            lines.append(f"| {cell(r.pack)} | {cell(r.title)} | "
                         + " | ".join(cell(_outcome(o, s, e)) for o, s, e in zip(r.outcomes, r.shown, r.effects)) + " |")  # fmt: skip
    same = len(comparison.rules) - len(shown)
    if not comparison.single and same:
        lines += ["", f"{same} other rules have the same outcome for everyone."]
    return "\n".join(lines) + "\n"


def render_text(comparison: Comparison, out) -> None:
    """Print with rich (``out`` is a rich Console)."""
    from rich.markup import escape as rich_escape
    from rich.table import Table

    out.print(rich_escape(_intro(comparison)))
    out.print(f"[dim]{rich_escape(DISCLAIMER)}[/]")
    scores = Table(title="Scores", title_justify="left", show_edge=False, padding=(0, 1))
    scores.add_column("Pack", overflow="fold")
    for label in comparison.labels:
        scores.add_column(rich_escape(label), justify="right", overflow="fold")
    for p in comparison.packs:
        scores.add_row(rich_escape(p.title), *(rich_escape(s or "-") for s in p.scores))
    out.print()
    out.print(scores)
    shown = comparison.shown_rules()
    table = Table(title="Rules that fired" if comparison.single else "Findings that differ", title_justify="left",
                  show_edge=False, padding=(0, 1))  # fmt: skip
    table.add_column("Pack")
    table.add_column("Rule", overflow="fold")
    for label in comparison.labels:
        table.add_column(rich_escape(label), overflow="fold")
    for r in shown:
        table.add_row(rich_escape(r.pack), rich_escape(r.title),
                      *(rich_escape(_outcome(o, s, e)) for o, s, e in zip(r.outcomes, r.shown, r.effects)))  # fmt: skip
    out.print()
    if shown:
        out.print(table)
    else:
        out.print("No rule fired." if comparison.single else "Every rule has the same outcome for everyone.")


def render_html(comparison: Comparison) -> str:
    """The comparison as one self-contained page (the report's style, no charts)."""
    from auditor.reports.html import STYLE

    labels = comparison.labels
    head = "".join(f'<th class="num">{escape(x)}</th>' for x in labels)
    scores = "".join(f"<tr><td>{escape(p.title)}</td><td>{escape(p.scorer)}</td>"
                     + "".join(f'<td class="num">{escape(s or "-")}</td>' for s in p.scores) + "</tr>"
                     for p in comparison.packs)  # fmt: skip
    shown = comparison.shown_rules()
    rules = "".join(f"<tr><td>{escape(r.pack)}</td><td>{escape(r.title)}</td>"
                    + "".join(f'<td class="{escape(o or "")}">{escape(_outcome(o, s, e))}</td>'
                              for o, s, e in zip(r.outcomes, r.shown, r.effects)) + "</tr>"
                    for r in shown)  # fmt: skip
    title = "Rules that fired" if comparison.single else "Findings that differ"
    empty = "No rule fired." if comparison.single else "Every rule has the same outcome for everyone."
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<title>auditor: comparison</title>", f"<style>{STYLE}</style></head><body>",
        f"<h1>Comparison</h1><p>{escape(_intro(comparison))}</p><p class=\"disclaimer\">{escape(DISCLAIMER)}</p>",
        f"<h2>Scores</h2><table><tr><th>pack</th><th>plays</th>{head}</tr>{scores}</table>",
        f"<h2>{title}</h2>" + (f"<table><tr><th>pack</th><th>rule</th>{head}</tr>{rules}</table>" if shown
                               else f"<p>{empty}</p>"),
        "</body></html>",
    ]) + "\n"  # fmt: skip
