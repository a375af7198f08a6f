"""Modal dialogs: an error, one whole row, a path prompt, and the help screen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.markup import escape as markup
from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ErrorDialog(ModalScreen[None]):
    """A problem in plain words (never a traceback); escape or Enter closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close", id="dialog.close")]

    def __init__(self, title: str, detail: str) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(f"[b]{markup(self.title_text)}[/b]", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(markup(self.detail), id="error-detail")
            yield Button("Close", variant="primary", id="dialog-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()


class RowDialog(ModalScreen[None]):
    """Every column of one row (an evidence row, a data row, a place)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close", id="dialog.close")]

    def __init__(self, title: str, fields: Iterable[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.fields = list(fields)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 1))
        table.add_column(style="dim", no_wrap=True)
        table.add_column(overflow="fold")
        for name, value in self.fields:
            table.add_row(markup(name), markup(value))
        with Vertical(classes="dialog row-dialog"):
            yield Label(f"[b]{markup(self.title_text)}[/b]", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(table, id="row-fields")
            yield Button("Close", variant="primary", id="dialog-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()


class PromptDialog(ModalScreen[str | None]):
    """Ask for a path (or any text); Enter answers, escape cancels (None)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog prompt-dialog"):
            yield Label(markup(self.question), classes="dialog-title")
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label("[dim]Enter to confirm, escape to cancel[/dim]")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key of the app, from the bindings themselves, so it cannot go stale."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, scopes: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__(classes="dialog-screen")
        self.scopes = scopes

    def compose(self) -> ComposeResult:
        table = Table(box=None, padding=(0, 2), show_header=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for scope, keys in self.scopes:
            table.add_row(f"[u]{markup(scope)}[/u]", "")
            for key, description in keys:
                table.add_row(markup(key), markup(description))
            table.add_row("", "")
        with Vertical(classes="dialog help-dialog"):
            yield Label("[b]Keys[/b]  (ctrl+p opens the command palette with every action)", classes="dialog-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(table, id="help-keys")
            yield Button("Close", variant="primary", id="dialog-close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()
