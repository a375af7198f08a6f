"""The app: wires the panes, keys, workers, redaction, live reload and export.

It holds the current :class:`~auditor.pipeline.AuditResult` and, when redaction is on,
the redacted copy (:func:`auditor.redact.redact`); every pane renders whichever is on
screen. The audit itself runs in a thread worker (:mod:`auditor.tui.loading`), and so
does every reload after a pack edit, reusing the files already read. Pandas and the
engine are imported inside the worker, so the first frame does not wait for them.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from auditor.tui import heap
from auditor.tui.dialogs import ErrorDialog, HelpScreen, PromptDialog, RowDialog
from auditor.tui.loading import (
    AuditFailed,
    AuditFinished,
    AuditRequest,
    FileStarted,
    LoadingScreen,
    StageStarted,
    describe_request,
    run_request,
)

TABS = (
    ("overview", "Overview"),
    ("compare", "So far off?"),
    ("findings", "Findings"),
    ("data", "Data"),
    ("places", "Places"),
    ("rules", "Rules"),
)
# tab id -> (module, pane class); the panes (and pandas with them) are imported by the
# audit worker while the first frame is already on screen, and mounted with the result.
PANES = {
    "overview": ("auditor.tui.panes.overview", "OverviewPane"),
    "compare": ("auditor.tui.panes.comparison", "ComparisonPane"),
    "findings": ("auditor.tui.panes.findings", "FindingsPane"),
    "data": ("auditor.tui.panes.data", "DataPane"),
    "places": ("auditor.tui.panes.places", "PlacesPane"),
    "rules": ("auditor.tui.panes.rules", "RulesPane"),
}
REDACTION_LEVEL = "coarse"
DARK, LIGHT = "textual-dark", "textual-light"
RELOAD_EVERY_S = 1.0


class AuditorApp(App[int]):
    """auditor's terminal app. ``paths`` empty opens the default sample persona."""

    CSS_PATH = "auditor.tcss"
    TITLE = "auditor"
    BINDINGS: ClassVar[list[BindingType]] = [
        *[Binding(str(n), f"show_tab('{tab}')", title, id=f"tab.{tab}") for n, (tab, title) in enumerate(TABS, 1)],
        Binding("r", "toggle_redaction", "Redact", id="app.redact"),
        Binding("e", "export", "Export", id="app.export"),
        Binding("o", "load_pack", "Load pack", id="app.load-pack"),
        Binding("ctrl+o", "open_exports", "Open exports", id="app.open"),
        Binding("ctrl+r", "reload", "Re-run", id="app.reload", show=False),
        Binding("t", "toggle_theme", "Theme", id="app.theme", show=False),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, paths: Sequence[Path] = (), packs: Sequence[str] | None = None, timezone: str | None = None,
                 *, result=None) -> None:  # fmt: skip
        """``result`` opens an audit already run (the tests share one); otherwise the app loads ``paths``."""
        super().__init__()
        self.paths = [Path(p) for p in paths]
        self.pack_refs: list[str] | None = list(packs) if packs else None
        self.timezone = timezone
        self.result = result
        self.redacted = False
        self._redacted_result = None
        self.request: AuditRequest | None = None
        self.pack_mtimes: dict[Path, float] = {}
        self.reload_note = ""
        self.last_export: Path | None = None
        self._drawn_tabs: set[str] = set()  # tabs drawn since the result on screen last changed

    # --- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("", id="status-bar")
        with TabbedContent(id="tabs", initial="overview"):
            for tab, title in TABS:
                with TabPane(title, id=tab):
                    yield Static("Reading your exports...", classes="pane-placeholder")
        yield Footer()

    async def on_mount(self) -> None:
        self.theme = DARK
        self.set_interval(RELOAD_EVERY_S, self.check_pack_files)
        if self.result is not None:
            label = describe_request(self.paths, None) if self.paths else "an audit already run"
            self.request = AuditRequest(self.paths, self.pack_refs, self.timezone, label)
            await self.mount_panes()
            self.show_result(self.result)
        else:
            self.start_audit(self.paths)

    async def mount_panes(self) -> None:
        """Put the real panes in place of the placeholders (once)."""
        if self.query(".pane"):
            return
        for tab, (module, name) in PANES.items():
            pane_class = getattr(importlib.import_module(module), name)
            holder = self.query_one(f"#{tab}", TabPane)
            await holder.query(".pane-placeholder").remove()
            await holder.mount(pane_class(id=f"{tab}-pane", classes="pane"))

    def pane(self, tab: str):
        """The pane of a tab (after the first audit)."""
        return self.query_one(f"#{tab}-pane")

    # --- loading --------------------------------------------------------------------------------

    def start_audit(self, paths: Sequence[Path]) -> None:
        """Read ``paths`` (the sample persona when empty) and evaluate the packs, in a worker."""
        from auditor import resources  # light: no pandas

        sample = None
        paths = list(paths)
        if not paths:
            sample = resources.DEFAULT_PERSONA
            paths = [resources.persona_dir()]
        timezone = self.timezone or resources.persona_timezone(paths)
        self.request = AuditRequest(paths, self.pack_refs, timezone, describe_request(paths, sample), on_sample=bool(sample))
        self.push_screen(LoadingScreen(self.request, self.cancel_audit))
        self._run(self.request, dataset=None)

    def _run(self, request: AuditRequest, dataset) -> None:
        def cancelled() -> bool:
            return get_current_worker().is_cancelled

        def run() -> None:
            for module, _ in PANES.values():  # while the first frame is up, not before it
                importlib.import_module(module)
            run_request(request, self.post_message, cancelled, dataset)

        self.run_worker(run, thread=True, exclusive=True, group="audit", name="audit")

    def cancel_audit(self) -> None:
        for worker in self.workers:
            if worker.group == "audit":
                worker.cancel()

    def _loading_screen(self) -> LoadingScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, LoadingScreen)), None)

    def on_file_started(self, message: FileStarted) -> None:
        screen = self._loading_screen()
        if screen is not None:
            screen.file_started(message)

    def on_stage_started(self, message: StageStarted) -> None:
        screen = self._loading_screen()
        if screen is not None:
            screen.stage_started(message)

    async def on_audit_finished(self, message: AuditFinished) -> None:
        self._close_loading()
        await self.mount_panes()
        self.request = message.request
        self.show_result(message.result)
        if message.reloaded:
            self.notify(self.reload_note or "Packs re-evaluated", title="Reloaded")

    def on_audit_failed(self, message: AuditFailed) -> None:
        self._close_loading()
        for placeholder in self.query(".pane-placeholder"):
            placeholder.update(f"{message.title}. ctrl+o opens exports; q quits.")
        self.push_screen(ErrorDialog(message.title, message.detail))

    def _close_loading(self) -> None:
        screen = self._loading_screen()
        if screen is not None:
            if self.screen is screen:
                self.pop_screen()
            else:
                screen.dismiss()

    # --- showing ----------------------------------------------------------------------------------

    def show_result(self, result) -> None:
        """Make ``result`` current and render every pane (redacted first, while redaction is on)."""
        self.result = result
        self._redacted_result = None
        self.pack_mtimes = self._pack_mtimes()
        if self.redacted:
            self.redact_in_worker()  # the screen keeps the old redacted view until then
        else:
            self.render_panes()

    @property
    def shown(self):
        """The result on screen: the redacted copy while redaction is on."""
        if self.redacted and self._redacted_result is not None:
            return self._redacted_result
        return self.result

    def redact_in_worker(self) -> None:
        """Redact the current result off the UI thread (seconds for millions of points), then show it."""
        from auditor.redact import redact

        source = self.result

        def work() -> None:
            redacted = redact(source, REDACTION_LEVEL)
            self.call_from_thread(self._redaction_ready, source, redacted)

        self.run_worker(work, thread=True, exclusive=True, group="redact", name="redact")

    def _redaction_ready(self, source, redacted) -> None:
        if source is not self.result:  # a newer audit arrived meanwhile; its own redaction follows
            return
        self._redacted_result = redacted
        self.redacted = True
        self.render_panes()
        self.notify("Redaction on: names, places, merchants, amounts and times are coarse", title="Redaction")

    def render_panes(self) -> None:
        if self.result is None:
            return
        shown = self.shown
        for tab in PANES:
            if tab != "rules":
                self.pane(tab).show(shown, self.redacted)
        self.pane("rules").show(shown, self.redacted, watching=self._watching())
        self._update_status()
        self._drawn_tabs = {self.query_one("#tabs", TabbedContent).active}
        self.call_after_refresh(heap.settle)  # the old result is garbage now; the new one lives on

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab's first drawing makes lines that live until the next result: keep them from the collector."""
        tab = event.pane.id
        if event.tabbed_content.id == "tabs" and self.result is not None and tab not in self._drawn_tabs:
            self._drawn_tabs.add(tab)
            self.call_after_refresh(heap.keep)

    def on_unmount(self) -> None:
        heap.release()

    def _update_status(self) -> None:
        what = self.request.label if self.request and not self.redacted else "the exports (name hidden)"
        if self.request and self.request.on_sample:
            what = self.request.label
        as_of = f" · as of {self.result.now:%Y-%m-%d}" if self.result is not None else ""
        redaction = ("[reverse b] REDACTED (coarse) [/]  r shows everything" if self.redacted
                     else "[dim]redaction off · r hides names, places, merchants and amounts[/dim]")  # fmt: skip
        sample = "  [dim]· sample data: ctrl+o opens your own exports[/dim]" if self.request and self.request.on_sample else ""
        self.query_one("#status-bar", Label).update(f"{redaction}   {what}{as_of}{sample}")
        self.sub_title = "REDACTED" if self.redacted else ""
        self.query_one("#status-bar", Label).set_class(self.redacted, "redacted")

    def _watching(self) -> str:
        if not self.pack_mtimes:
            return ""
        return f"watching {len(self.pack_mtimes)} pack files: an edit is re-evaluated within a second. {self.reload_note}"

    # --- actions ----------------------------------------------------------------------------------

    def action_show_tab(self, tab: str) -> None:
        # The tab underline jumps instead of sliding: its 0.3 s slide redraws the screen some
        # eighteen times, as much CPU as drawing the new tab itself (bench/tui_switch_bench.py).
        level, self.animation_level = self.animation_level, "none"
        try:
            self.query_one("#tabs", TabbedContent).active = tab
        finally:
            self.animation_level = level

    def action_toggle_redaction(self) -> None:
        """Toggle coarse redaction of everything on screen (for projecting in a workshop)."""
        if self.result is None:
            return
        if self.redacted:
            self.redacted = False
            self.render_panes()
            self.notify("Redaction off", title="Redaction")
            return
        try:
            import auditor.redact  # noqa: F401 - checked before promising anything
        except ImportError:
            self.notify("Redaction needs auditor.redact, which this installation lacks.", severity="error")
            return
        if self._redacted_result is not None:
            self._redaction_ready(self.result, self._redacted_result)
        else:
            self.notify("Redacting...", title="Redaction")
            self.redact_in_worker()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.key_scopes()))

    def action_export(self) -> None:
        if self.result is None:
            return
        default = Path.cwd() / default_report_name(self.shown)
        self.push_screen(PromptDialog("Export the audit on screen to a report (.html, .md, .json or .csv; "
                                      "redacted when redaction is on):", str(default)), self.export_to)  # fmt: skip

    def export_to(self, answer: str | None) -> None:
        """Write the audit on screen (redacted if redaction is on) to ``answer``, in a worker."""
        if not answer or self.result is None:
            return
        target = Path(answer).expanduser()
        format = REPORT_FORMATS.get(target.suffix.lower())
        if format is None:
            self.push_screen(ErrorDialog("Unknown report format",
                                         f"{target.name}: end the name in {', '.join(REPORT_FORMATS)}."))  # fmt: skip
            return
        shown = self.shown

        def write() -> None:
            try:
                write_report(shown, format, target)
            except OSError as problem:
                self.call_from_thread(self.push_screen, ErrorDialog("Could not write the report",
                                                                    f"{target}: {problem.strerror or problem}"))  # fmt: skip
                return
            except Exception as error:  # noqa: BLE001 - the app's edge: a report bug becomes a dialog
                self.call_from_thread(self.push_screen, ErrorDialog(
                    "The report could not be made", f"{type(error).__name__}: {error}\n\nPlease report this."))  # fmt: skip
                return
            self.last_export = target
            self.call_from_thread(self.notify, f"Wrote {target}", title="Exported")

        self.run_worker(write, thread=True, group="export", name="export")

    def action_load_pack(self) -> None:
        self.push_screen(PromptDialog("Load a rule pack (a .yaml file or a folder of packs):",
                                      placeholder="path/to/pack.yaml"), self.load_pack)  # fmt: skip

    def load_pack(self, answer: str | None) -> None:
        """Add the pack at ``answer`` to the packs in use and re-evaluate."""
        if not answer:
            return
        path = Path(answer).expanduser()
        if not path.exists():
            self.push_screen(ErrorDialog("No such pack", f"{path} does not exist."))
            return
        from auditor.packs.loader import builtin_packs

        refs = self.pack_refs if self.pack_refs is not None else [str(p) for p in builtin_packs()]
        if str(path) not in refs:
            refs = [*refs, str(path)]
        self.pack_refs = refs
        self.reload_note = f"loaded {path}"
        self.reevaluate()
        self.action_show_tab("rules")

    def action_open_exports(self) -> None:
        self.push_screen(PromptDialog("Open your exports (files, folders or .zip; several separated by ';'):",
                                      placeholder="~/Downloads/takeout.zip"), self.open_exports)  # fmt: skip

    def open_exports(self, answer: str | None) -> None:
        if answer:
            self.redacted = False
            self.start_audit([Path(part.strip()).expanduser() for part in answer.split(";") if part.strip()])

    def action_reload(self) -> None:
        self.reload_note = "re-run by hand"
        self.reevaluate()

    def reevaluate(self) -> None:
        """Evaluate the packs again on the files already read (a worker; the UI stays live)."""
        if self.result is None or self.request is None:
            return
        request = AuditRequest(self.request.paths, self.pack_refs, self.request.timezone, self.request.label,
                               self.request.on_sample)  # fmt: skip

        def cancelled() -> bool:
            return get_current_worker().is_cancelled

        dataset, local = self.result.dataset, self.result.local_time  # the files and the zone, as read

        def run() -> None:
            run_request(request, lambda m: self.post_message(_as_reload(m)), cancelled, dataset, local)

        self.run_worker(run, thread=True, exclusive=True, group="audit", name="reload")

    # --- live reload ------------------------------------------------------------------------------

    def _pack_files(self) -> list[Path]:
        if self.result is None:
            return []
        loaded = [p.loaded for p in self.result.packs] + list(self.result.skipped_packs)
        return [Path(p.path) for p in loaded if p.path is not None]

    def _pack_mtimes(self) -> dict[Path, float]:
        times = {}
        for path in self._pack_files():
            try:
                times[path] = path.stat().st_mtime_ns
            except OSError:
                times[path] = -1
        return times

    def check_pack_files(self) -> None:
        """The timer: re-evaluate when a pack file changed on disk since the last evaluation."""
        if self.result is None or any(w.group == "audit" and w.is_running for w in self.workers):
            return
        now = self._pack_mtimes()
        changed = [path for path, mtime in now.items() if self.pack_mtimes.get(path) != mtime]
        if changed:
            self.pack_mtimes = now
            self.reload_note = "reloaded " + ", ".join(p.name for p in changed)
            self.reevaluate()

    # --- rows, help, palette ----------------------------------------------------------------------

    def on_evidence_row_chosen(self, message) -> None:
        from auditor.tui.present import row_text

        self.push_screen(RowDialog(message.title, row_text(message.frame, message.position)))

    def on_frame_table_row_chosen(self, message) -> None:
        from auditor.tui.present import row_text

        table = message.table
        if table.id in ("data-table", "places-table", "rules-table"):
            self.push_screen(RowDialog(f"Row {message.position + 1:,}", row_text(table.frame, message.position)))

    def key_scopes(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every key binding by where it works, read from the bindings themselves."""
        from auditor.tui.table import FrameTable

        scopes = [("Everywhere", self.BINDINGS), ("Tables", FrameTable.BINDINGS),
                  ("While loading", LoadingScreen.BINDINGS), ("Dialogs", ErrorDialog.BINDINGS)]  # fmt: skip
        out = []
        for name, bindings in scopes:
            keys = []
            for binding in bindings:
                if isinstance(binding, Binding):
                    keys.append((binding.key_display or binding.key.replace(",", " / "), binding.description))
            out.append((name, keys))
        out.append(("Everywhere (Textual)", [("ctrl+p", "command palette"), ("tab / shift+tab", "move focus"),
                                             ("ctrl+q", "quit")]))  # fmt: skip
        return out

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for tab, title in TABS:
            yield SystemCommand(f"Show {title}", f"switch to the {title} tab", partial(self.action_show_tab, tab))
        yield SystemCommand("Turn redaction off" if self.redacted else "Turn redaction on (coarse)",
                            "hide names, places, merchants and amounts on screen", self.action_toggle_redaction)  # fmt: skip
        yield SystemCommand("Export the audit", "write the audit on screen to a JSON file", self.action_export)
        yield SystemCommand("Load a rule pack", "add a pack file or folder and evaluate it", self.action_load_pack)
        yield SystemCommand("Open exports", "audit other files, folders or archives", self.action_open_exports)
        yield SystemCommand("Re-run the packs", "evaluate every pack again", self.action_reload)
        yield SystemCommand("Switch theme", "dark or light", self.action_toggle_theme)
        yield SystemCommand("Help: every key", "list every key binding", self.action_help)
        if self.result is not None:
            for pack in self.result.packs:
                yield SystemCommand(f"Overview of {pack.pack.title}", f"plays {pack.pack.scorer}",
                                    partial(self.show_pack, pack.pack.id))  # fmt: skip

    def show_pack(self, pack_id: str) -> None:
        self.action_show_tab("overview")
        self.pane("overview").select_pack(pack_id)


def _as_reload(message):
    if isinstance(message, AuditFinished):
        message.reloaded = True
    return message


REPORT_FORMATS = {".html": "html", ".htm": "html", ".md": "markdown", ".json": "json", ".csv": "csv"}


def default_report_name(result) -> str:
    """The reports' own default file name where the reports package exists."""
    try:
        from auditor.reports import default_name
    except ImportError:
        return f"auditor-audit-{result.now:%Y-%m-%d}.json"
    return default_name(result, "html")


def write_report(result, format: str, target: Path) -> None:
    """Write with the reports package (atomic, mode 0600); JSON from ``scan`` where it is absent."""
    try:
        from auditor.reports import write_report as write
    except ImportError:
        if format != "json":
            raise OSError(f"this installation writes only JSON reports, not {format}") from None
        from auditor.commands.scan import result_document

        target.write_text(json.dumps(result_document(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    write(result, format, target)


def run_app(paths: Sequence[Path] = (), packs: Sequence[str] | None = None, timezone: str | None = None) -> int:
    """Run the app in this terminal; returns the exit code."""
    os.environ.setdefault("TEXTUAL_ANIMATIONS", "basic")
    app = AuditorApp(paths, packs, timezone)
    app.run()
    return app.return_code or 0
