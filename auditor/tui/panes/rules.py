"""Rules: packs and their rules, fired or not with the distance to firing, and every
validation error with its location. The app reloads a pack when its file changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Label, Static

from auditor.tui.present import markup, rules_frame
from auditor.tui.table import FrameTable


class RulesPane(Vertical):
    """The packs in use, their rules' outcomes, and their problems."""

    def compose(self) -> ComposeResult:
        yield Label("", id="rules-packs")
        yield FrameTable(id="rules-table", empty="no pack could be evaluated")
        yield Label("Problems in the packs", id="rules-issues-title")
        with VerticalScroll(id="rules-issues-box"):
            yield Static("", id="rules-issues")

    def show(self, result, redacted: bool, watching: str = "") -> None:
        lines = []
        for pack in result.packs:
            lines.append(f"[green]✓[/green] {markup(pack.pack.id)} [dim]{markup(pack.loaded.file)}[/dim] "
                         f"{len(pack.score.fired)} fired, {len(pack.score.not_fired)} not fired, "
                         f"{len(pack.score.abstained)} not enough data")  # fmt: skip
        for loaded in result.skipped_packs:
            lines.append(f"[red]✗[/red] [dim]{markup(loaded.file)}[/dim] not evaluated: {len(loaded.errors)} errors below")
        if watching:
            lines.append(f"[dim]{markup(watching)}[/dim]")
        self.query_one("#rules-packs", Label).update("\n".join(lines) or "No packs loaded.")
        self.query_one("#rules-table", FrameTable).show(rules_frame(result), keep_cursor=True)
        issues = []
        for loaded in [*(p.loaded for p in result.packs), *result.skipped_packs]:
            for issue in loaded.issues:
                colour = "red" if issue.severity == "error" else "yellow"
                issues.append(f"[{colour}]{markup(issue.file)}:{issue.line}:{issue.column}[/{colour}] "
                              f"{markup(f'{issue.severity}[{issue.check}]')}: {markup(issue.message)}"
                              + (f"\n    hint: {markup(issue.hint)}" if issue.hint else ""))  # fmt: skip
        for unknown in result.unknown_packs:
            issues.append(f"[red]{markup(unknown)}[/red]")
        self.query_one("#rules-issues", Static).update("\n".join(issues) or "[green]No problems.[/green]")
