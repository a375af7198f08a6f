"""So far off?: for each Sesame dimension, what Western scorers read from the same signals.

Rules carry signal tags from one vocabulary (rules/signals.yaml) that maps each signal
to a Sesame (Zhima Credit) dimension. Lining findings up by those tags shows the blog's
argument with the person's own records: a lender, an insurer and a landlord reading the
same thing a social-credit score reads.
"""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from auditor.tui.prerender import LinesView, Prerendered
from auditor.tui.present import LEAD_COLUMNS, OUTCOME_WORDS, SESAME_DIMENSIONS, evidence_frame, markup
from auditor.tui.table import format_column

EVIDENCE_SHOWN = 2


class ComparisonPane(LinesView):
    """One section per Sesame dimension, one table per signal, one row per scorer's rule."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._vocabulary = None

    def vocabulary(self) -> dict:
        if self._vocabulary is None:
            from auditor.packs.loader import load_signals

            self._vocabulary = load_signals().signals
        return self._vocabulary

    def show(self, result, redacted: bool) -> None:
        # dozens of tables: drawn ahead while the tab is hidden, so that switching to it is quick
        self.show_view(Prerendered(comparison_view(result, self.vocabulary())))


def comparison_view(result, signals: dict) -> Group:
    """The comparison as one renderable."""
    by_signal: dict[str, list] = {}
    for pack in result.packs:
        for finding in pack.findings:
            for signal in finding.signals:
                by_signal.setdefault(signal, []).append((pack, finding))
    parts: list = [Text.from_markup(
        "[b]Are we so far off?[/b] Each Sesame Credit dimension below lists the rules of the other scorers "
        "that read the same signal from your data, what each concludes, and the records it rests on.")]  # fmt: skip
    for dimension, title in SESAME_DIMENSIONS.items():
        names = sorted(s for s, meta in signals.items() if meta.dimension == dimension and s in by_signal)
        parts += [Text(""), Text(title, style="bold underline")]
        if not names:
            parts.append(Text("  no rule in the loaded packs reads a signal of this dimension", style="dim"))
            continue
        for name in names:
            meta = signals[name]
            special = f" [red]special category ({meta.special_category})[/red]" if meta.special_category else ""
            table = Table(title=f"{name}: {meta.meaning}", title_justify="left", title_style="bold", box=None,
                          padding=(0, 1), expand=True)  # fmt: skip
            table.add_column("scorer", ratio=3)
            table.add_column("outcome", no_wrap=True)
            table.add_column("concludes", ratio=4)
            table.add_column("on which records", ratio=4)
            for pack, finding in by_signal[name]:
                said = finding.inference if finding.fired else (finding.reason or f"measured {finding.shown_value}")
                where = evidence_words(result, finding) if finding.fired else ""
                if len(finding.evidence) > EVIDENCE_SHOWN and finding.fired:
                    where += f"\n... {len(finding.evidence) - EVIDENCE_SHOWN:,} more"
                style = "bold" if finding.fired else "dim"
                table.add_row(markup(f"{pack.pack.scorer} ({pack.pack.id}/{finding.rule})"),
                              OUTCOME_WORDS.get(finding.outcome, finding.outcome), markup(said), markup(where or "-"),
                              style=style)  # fmt: skip
            parts.append(Text.from_markup(special) if special else Text(""))
            parts.append(table)
    untagged = sorted(set(by_signal) - set(signals))
    if untagged:
        parts += [Text(""), Text(f"Signals not in the vocabulary: {', '.join(untagged)}", style="yellow")]
    return Group(*parts)


def evidence_words(result, finding) -> str:
    """The first evidence rows as ``file:record`` and what they say."""
    rows, _ = evidence_frame(result, finding, EVIDENCE_SHOWN)
    columns = [c for c in LEAD_COLUMNS.get(finding.kind, ()) if c in rows.columns]
    cells = [format_column(rows[c]) for c in ("file", "record", *columns)]
    lines = []
    for values in zip(*cells):  # two rows at most
        lines.append(f"{values[0]}:{values[1]} " + " | ".join(v for v in values[2:] if v))
    return "\n".join(lines)
