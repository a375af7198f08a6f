"""Overview: per pack the score on its scale, band, breakdown, top inferences and ablation."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from auditor.tui.prerender import Prerendered
from auditor.tui.present import DISCLAIMER, dimension_bar, markup, score_bar, score_words

TOP_INFERENCES = 6


class OverviewPane(Horizontal):
    """Packs on the left; the chosen pack's score, breakdown and sources on the right."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result = None
        self.redacted = False

    def compose(self) -> ComposeResult:
        yield OptionList(id="overview-packs")
        with VerticalScroll(id="overview-detail"):
            yield Static(id="overview-pack")
            yield Static(f"[i]{DISCLAIMER}[/i]", id="overview-disclaimer")

    def show(self, result, redacted: bool) -> None:
        self.result, self.redacted = result, redacted
        local = f"\n[dim]Local time: {escape(result.timezone_basis)}.[/dim]" if result.timezone_basis else ""
        self.query_one("#overview-disclaimer", Static).update(f"[i]{DISCLAIMER}[/i]{local}")
        packs = self.query_one("#overview-packs", OptionList)
        chosen = packs.highlighted or 0
        packs.clear_options()
        for pack in result.packs:
            packs.add_option(Option(f"{pack.pack.title}\n  {score_words(pack)}", id=pack.pack.id))
        for loaded in result.skipped_packs:
            packs.add_option(Option(f"{loaded.file}\n  not evaluated: {len(loaded.errors)} errors (see Rules)",
                                    disabled=True))  # fmt: skip
        if result.packs:
            packs.highlighted = min(chosen, len(result.packs) - 1)
            self.show_pack(packs.highlighted)
        else:
            self.query_one("#overview-pack", Static).update("No rule pack could be evaluated; see the Rules tab.")

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.result is not None and event.option_index < len(self.result.packs):
            self.show_pack(event.option_index)

    def select_pack(self, pack_id: str) -> None:
        """Show the pack with this id (the command palette and the tests switch packs so)."""
        ids = [p.pack.id for p in self.result.packs] if self.result else []
        if pack_id in ids:
            self.query_one("#overview-packs", OptionList).highlighted = ids.index(pack_id)
            self.show_pack(ids.index(pack_id))

    def show_pack(self, index: int) -> None:
        self.query_one("#overview-pack", Static).update(Prerendered(pack_view(self.result, self.result.packs[index])))


def pack_view(result, pack) -> Group:
    """Everything the overview says about one pack, as one renderable."""
    parts: list = []
    head = Text.from_markup(f"[b]{markup(pack.pack.title)}[/b]  [dim]plays {markup(pack.pack.scorer)} · "
                            f"{markup(pack.pack.id)} {markup(pack.pack.version)}[/dim]")  # fmt: skip
    parts += [head, Text(pack.pack.description.strip() if pack.pack.description else "", style="dim"), Text("")]
    parts.append(Text.from_markup(f"[b]Score[/b] {markup(score_words(pack))}"))
    bar = score_bar(pack)
    if bar:
        parts.append(Text(bar, style="bold"))
    band = pack.score.band
    if band is not None:
        if band.unlocks:
            parts.append(Text.from_markup(f"[green]unlocks[/green] {markup(', '.join(band.unlocks))}"))
        if band.blocks:
            parts.append(Text.from_markup(f"[red]blocks[/red] {markup(', '.join(band.blocks))}"))
    dims = [d for d in pack.score.dimensions if d.rules or d.weight]
    if dims:
        table = Table(title="Dimension breakdown", title_justify="left", box=None, padding=(0, 1))
        table.add_column("dimension")
        table.add_column("effect", justify="right")
        table.add_column("lowers  │  raises", no_wrap=True)
        table.add_column("rules")
        largest = max((abs(d.applied) for d in dims), default=1.0)
        for d in dims:
            capped = f" (capped from {d.raw:+g})" if d.applied != d.raw else ""
            table.add_row(markup(d.title), f"{d.applied:+g}{capped}", dimension_bar(d.applied, d.cap, largest),
                          markup(", ".join(d.rules) or "-"))  # fmt: skip
        parts += [Text(""), table]
    fired = sorted((f for f in pack.findings if f.fired), key=lambda f: (-abs(f.effect), f.rule))
    parts += [Text(""), Text("What this scorer would conclude", style="bold")]
    for finding in fired[:TOP_INFERENCES]:
        effect = f" ({finding.effect:+g})" if finding.effect else ""
        parts.append(Text.from_markup(f" • {markup(finding.inference)}{effect}  "
                                      f"[dim]{len(finding.evidence):,} evidence rows · {markup(finding.rule)}[/dim]"))  # fmt: skip
    if len(fired) > TOP_INFERENCES:
        parts.append(Text(f"   ... {len(fired) - TOP_INFERENCES} more in Findings", style="dim"))
    if not fired:
        parts.append(Text(" nothing fired", style="dim"))
    quiet = sum(1 for f in pack.findings if f.abstained)
    if quiet:
        parts.append(Text(f" {quiet} rules had not enough data to judge", style="dim"))
    if pack.sources:
        table = Table(title="What each source gives away", title_justify="left", box=None, padding=(0, 1))
        table.add_column("source")
        table.add_column("rows", justify="right")
        table.add_column("without it", justify="right")
        table.add_column("it alone", justify="right")
        table.add_column("fires only with it")

        def shown(score) -> str:
            return f"{score.score:,.0f}" if score.score is not None else f"{len(score.fired)} fired"

        for effect in pack.sources:
            table.add_row(markup(effect.source), f"{sum(effect.rows.values()):,}", shown(effect.without),
                          shown(effect.alone), markup(", ".join(effect.needs_it) or "-"))  # fmt: skip
        parts += [Text(""), table]
    parts += [Text(""), Text(f"As of {result.now:%Y-%m-%d}.", style="dim")]
    return Group(*parts)
