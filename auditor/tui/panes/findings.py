"""Findings: a sortable, filterable table of every rule's outcome, with its detail and evidence.

The detail pane says what the scorer would infer, the measured value against the
threshold, the basis and references, the legal note and the rule's own YAML; below it
the evidence rows from the person's files (file and line first). Enter on an evidence
row opens the whole row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from auditor.tui.prerender import Prerendered
from auditor.tui.present import (
    OUTCOME_WORDS,
    evidence_frame,
    findings_frame,
    markup,
    rule_yaml,
    threshold_words,
)
from auditor.tui.table import FrameTable

FILTERS = ("pack", "severity", "sources", "outcome")


class EvidenceRowChosen(Message):
    """Enter on an evidence row: open it whole."""

    def __init__(self, frame: pd.DataFrame, position: int, title: str) -> None:
        super().__init__()
        self.frame = frame
        self.position = position
        self.title = title


class FindingsPane(Vertical):
    """Filters on top, the findings table, then the chosen finding's detail and evidence."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result = None
        self.all_findings = pd.DataFrame()
        self.refs: list = []
        self.shown_refs: list = []
        self.evidence = pd.DataFrame()
        self.current = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="findings-filters"):
            for name in FILTERS:
                yield Select([], prompt=f"any {name}", id=f"filter-{name}", allow_blank=True)
            yield Input(placeholder="search rule, title, inference", id="filter-text")
        yield FrameTable(id="findings-table", empty="no finding matches the filters")
        with Horizontal(id="findings-lower"):
            with VerticalScroll(id="finding-detail"):
                yield Static("Choose a finding above.", id="finding-text")
            with Vertical(id="finding-evidence-box"):
                yield Label("Evidence", id="evidence-title")
                yield FrameTable(id="evidence-table", empty="no evidence rows (the rule did not fire)")

    def show(self, result, redacted: bool) -> None:
        self.result = result
        self.all_findings, self.refs = findings_frame(result)
        for name in FILTERS:
            select = self.query_one(f"#filter-{name}", Select)
            values = self.all_findings[name].dropna().astype(str)
            if name == "sources":
                values = pd.Series([s for cell in values for s in cell.split(", ") if s])
            options = sorted(set(values))
            previous = select.value
            with self.prevent(Select.Changed):
                select.set_options([(v, v) for v in options])
                if previous in options:
                    select.value = previous
        self.apply_filters()

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.apply_filters()

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.apply_filters()

    def set_filter(self, name: str, value: str | None) -> None:
        """Filter by ``name`` (pack, severity, sources, outcome); None clears it."""
        select = self.query_one(f"#filter-{name}", Select)
        if value is None:
            select.clear()
        else:
            select.value = value
        self.apply_filters()

    def apply_filters(self) -> None:
        frame = self.all_findings
        if not len(frame):
            self._show_table(frame, [])
            return
        keep = pd.Series(True, index=frame.index)
        for name in FILTERS:
            value = self.query_one(f"#filter-{name}", Select).value
            if value is Select.NULL or value is None:
                continue
            if name == "sources":
                keep &= frame[name].str.split(", ").apply(lambda parts, v=value: v in parts)
            else:
                keep &= frame[name].astype(str) == value
        text = self.query_one("#filter-text", Input).value.strip().lower()
        if text:
            inferences = pd.Series([self._finding(r).inference for r in self.refs], index=frame.index)
            haystack = frame["rule"] + " " + frame["title"] + " " + inferences
            keep &= haystack.str.lower().str.contains(text, regex=False)
        chosen = keep.to_numpy()
        refs = [ref for ref, k in zip(self.refs, chosen) if k]
        self._show_table(frame[chosen].reset_index(drop=True), refs)

    def _show_table(self, frame: pd.DataFrame, refs: list) -> None:
        self.shown_refs = refs
        table = self.query_one("#findings-table", FrameTable)
        table.show(frame)
        if len(frame):
            table.sort_by("outcome")  # fired first, then not fired, then not enough data
            self.show_finding(table.position(0))
        else:
            self.show_finding(None)

    def _finding(self, ref):
        return self.result.packs[ref.pack].findings[ref.finding]

    def on_frame_table_row_highlighted(self, event: FrameTable.RowHighlighted) -> None:
        if event.table.id == "findings-table":
            event.stop()
            self.show_finding(event.position)

    def on_frame_table_row_chosen(self, event: FrameTable.RowChosen) -> None:
        event.stop()
        if event.table.id == "findings-table":
            self.query_one("#evidence-table", FrameTable).focus()
        elif event.table.id == "evidence-table" and len(self.evidence):
            self.post_message(EvidenceRowChosen(self.evidence, event.position, "Evidence row"))

    def show_finding(self, position: int | None) -> None:
        """Show the finding at ``position`` of the filtered table (None: nothing)."""
        evidence_table = self.query_one("#evidence-table", FrameTable)
        if position is None or position >= len(self.shown_refs):
            self.current = None
            self.query_one("#finding-text", Static).update("No finding matches the filters.")
            self.evidence = pd.DataFrame()
            evidence_table.show(self.evidence)
            return
        ref = self.shown_refs[position]
        pack = self.result.packs[ref.pack]
        finding = pack.findings[ref.finding]
        self.current = finding
        self.query_one("#finding-text", Static).update(Prerendered(finding_view(pack, finding)))
        self.evidence, total = evidence_frame(self.result, finding)
        shown = f"{len(self.evidence):,} of {total:,}" if total > len(self.evidence) else f"{total:,}"
        self.query_one("#evidence-title", Label).update(
            f"Evidence: {shown} rows of {finding.kind} (Enter opens a row)")  # fmt: skip
        evidence_table.show(self.evidence)


def finding_view(pack, finding) -> Group:
    """The detail of one finding as one renderable."""
    outcome = OUTCOME_WORDS.get(finding.outcome, finding.outcome)
    colour = {"fired": "red", "not_fired": "green"}.get(finding.outcome, "yellow")
    lines = [
        (f"[b]{markup(finding.title)}[/b]  [{colour}]{outcome}[/{colour}]  [dim]{markup(pack.pack.id)}/{markup(finding.rule)} "
         f"· severity {markup(finding.severity)} · reads {markup(finding.kind)}[/dim]"),
        "",
        f"[b]Would infer[/b] {markup(finding.inference) if finding.fired else '[dim](not drawn: the rule did not fire)[/dim]'}",
        (f"[b]Measured[/b] {markup(finding.shown_value if not finding.abstained else '-')} "
         f"[b]against[/b] {markup(threshold_words(finding))} ({markup(finding.measure)})"),
    ]
    if finding.reason:
        lines.append(f"[b]Why[/b] {markup(finding.reason)}")
    if not finding.fired and finding.distance is not None:
        lines.append(f"[b]Distance to firing[/b] {finding.distance:g}")
    lines.append(f"[b]Effect[/b] {finding.effect:+g} on {markup(finding.dimension or 'the score')}"
                 + ("" if finding.fired else f" [dim](would be {markup(finding.possible_effect)})[/dim]"))
    lines.append(f"[b]Basis[/b] {markup(basis_words(pack, finding))}")
    for reference in reference_words(pack, finding):
        lines.append(f"[b]Reference[/b] {markup(reference)}")
    if finding.signals:
        lines.append("[b]Signals[/b] " + markup(", ".join(finding.signals)))
    if finding.legal:
        lines.append(f"[yellow][b]Legal note[/b] {markup(finding.legal)}[/yellow]")
    if finding.groups:
        passed = sum(1 for g in finding.groups if g.passed)
        lines.append(f"[b]Per {markup(finding.group_label or 'group')}[/b] {passed} of {len(finding.groups)} passed")
    parts: list = [Text.from_markup("\n".join(lines))]
    start, text = rule_yaml(pack.loaded, finding.rule)
    if text:
        parts += [Text(""), Text(f"The rule ({Path(pack.loaded.file).name}:{start}; the Rules tab names the full path)", style="bold"),
                  Syntax(text, "yaml", line_numbers=True, start_line=start, word_wrap=True,
                         background_color="default")]  # fmt: skip
    return Group(*parts)


def _rule(pack, rule_id: str):
    return next((rule for rule in pack.pack.rules if rule.id == rule_id), None)


def basis_words(pack, finding) -> str:
    """The basis in words; a design default is said to be ours, never a real scorer's rule."""
    rule = _rule(pack, finding.rule)
    basis = getattr(rule, "basis", None)
    if basis is None:
        return finding.basis
    if basis.practice:
        text = f"practice: {basis.practice}"
    else:
        text = "our design default, not a documented rule of a real scorer" + (f": {basis.design}" if basis.design else "")
    return text + (f" ({basis.note})" if basis.note else "")


def reference_words(pack, finding) -> list[str]:
    """Each reference as ``title (year), source``; unknown keys as they are."""
    known = pack.pack.references or {}
    out = []
    for key in finding.references:
        ref = known.get(key)
        if ref is None:
            out.append(str(key))
        else:
            year = f" ({ref.year})" if ref.year else ""
            out.append(f"{ref.title}{year}, {ref.source}" + (f" {ref.url}" if ref.url else ""))
    return out
