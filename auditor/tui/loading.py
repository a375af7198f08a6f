"""Running the audit off the UI thread, and the screen that shows its progress.

The audit is :func:`auditor.pipeline.run_audit`, called from a thread worker. The worker
reports through typed messages (:class:`FileStarted`, :class:`AuditFinished`,
:class:`AuditFailed`), posted thread-safely; it never touches a widget. Cancelling is
checked before every file, so a long load stops at the next file boundary.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar, Static


class AuditCancelled(Exception):
    """The person cancelled the load; not an error."""


@dataclass
class AuditRequest:
    """What to audit: the paths, the packs (None: built-in), the time zone, and a label."""

    paths: list[Path]
    packs: list[str] | None
    timezone: str | None
    label: str
    on_sample: bool = False


class FileStarted(Message):
    """The worker began reading one file (``number`` counts from 1)."""

    def __init__(self, display: str, importer: str, number: int) -> None:
        super().__init__()
        self.display = display
        self.importer = importer
        self.number = number


class StageStarted(Message):
    """The worker moved on to a stage after reading (evaluating the packs)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class AuditFinished(Message):
    """The audit is ready."""

    def __init__(self, result, request: AuditRequest, reloaded: bool = False) -> None:
        super().__init__()
        self.result = result
        self.request = request
        self.reloaded = reloaded


class AuditFailed(Message):
    """The audit could not run: ``title`` and ``detail`` in plain words."""

    def __init__(self, title: str, detail: str) -> None:
        super().__init__()
        self.title = title
        self.detail = detail


def run_request(request: AuditRequest, post: Callable[[Message], object], cancelled: Callable[[], bool],
                dataset=None, local=None) -> None:  # fmt: skip
    """Run the audit in the calling (worker) thread and post what happens.

    ``dataset`` reuses files already read, so that a pack edit re-evaluates without
    re-reading millions of points; ``local`` (:attr:`AuditResult.local_time`) is the zone
    that dataset was read in, kept instead of chosen again (0.1 s). Errors the person can
    fix become :class:`AuditFailed`.
    """
    # Imported here so that the app's first frame does not wait for pandas and the engine.
    from auditor.dataset import load_dataset
    from auditor.pipeline import given_zone, run_audit
    from auditor.sources import PathNotFound

    counter = {"files": 0}

    def on_file(claim) -> None:
        if cancelled():
            raise AuditCancelled
        counter["files"] += 1
        post(FileStarted(claim.ref.display, claim.importer.title, counter["files"]))

    try:
        if dataset is None:
            dataset = load_dataset(request.paths, on_file=on_file)
        if cancelled():
            raise AuditCancelled
        post(StageStarted("Evaluating the rule packs and what each source gives away..."))
        if local is None:
            local = given_zone(request.paths, request.timezone)
        result = run_audit(request.paths, request.packs, timezone=request.timezone, dataset=dataset, local=local)
    except AuditCancelled:
        post(AuditFailed("Loading cancelled", "Nothing was changed. Press ctrl+o to open exports, or q to quit."))
        return
    except PathNotFound as missing:
        post(AuditFailed("A path does not exist", str(missing)))
        return
    except (OSError, MemoryError) as problem:
        post(AuditFailed("The exports could not be read", f"{type(problem).__name__}: {problem}"))
        return
    except Exception as error:
        if os.environ.get("AUDITOR_STRICT") == "1":  # the test suite wants bugs to fail loudly
            raise
        post(AuditFailed("The audit stopped on an unexpected error",
                         f"{type(error).__name__}: {error}\n\nPlease report this; your files were only read."))  # fmt: skip
        return
    if not result.dataset.rows_kept:
        reasons = [f"{r.path}: {r.error}" for r in result.dataset.reports if r.error]
        reasons += [f"{u.path}: {u.why}" for u in result.dataset.unclaimed[:20]]
        post(AuditFailed("Nothing could be read", "\n".join(reasons) or "No files were found under the paths given."))
        return
    unknown = [f"{u}" for u in result.unknown_packs]
    if unknown:
        post(AuditFailed("Some packs were not found", "\n".join(unknown)))
    post(AuditFinished(result, request))


class LoadingScreen(ModalScreen[None]):
    """Per-file progress while the worker reads; escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel loading", id="loading.cancel"),
        # a modal screen hides the app's keys; these stay live while the worker reads
        Binding("question_mark,f1", "app.help", "Help", id="loading.help"),
        Binding("q", "app.quit", "Quit", id="loading.quit"),
    ]

    def __init__(self, request: AuditRequest, on_cancel: Callable[[], None]) -> None:
        super().__init__()
        self.request = request
        self.on_cancel = on_cancel

    def compose(self) -> ComposeResult:
        with Vertical(id="loading-box"):
            yield Label(f"Opening {self.request.label}", id="loading-title")
            if self.request.on_sample:
                yield Static(
                    "This is a sample persona, made up for the demo. To audit your own data, quit and run "
                    "[b]auditor PATH...[/b] with your exports as downloaded (files, folders, .zip), or press "
                    "[b]ctrl+o[/b] once loaded.",
                    id="loading-sample-note",
                )
            yield ProgressBar(total=None, show_eta=False, id="loading-bar")
            yield Label("Finding files...", id="loading-stage")
            yield VerticalScroll(id="loading-files")
            yield Label("[dim]escape cancels[/dim]")

    def file_started(self, message: FileStarted) -> None:
        """Mark the previous file done and list the one being read."""
        self._finish_current()
        files = self.query_one("#loading-files", VerticalScroll)
        # file names are the person's own text: shown as they are, never read as markup
        files.mount(Static(f"… {message.display}  ({message.importer})", name=message.display,
                           classes="loading-file loading-current", markup=False))  # fmt: skip
        files.scroll_end(animate=False)
        self.query_one("#loading-stage", Label).update(f"Reading file {message.number}")

    def stage_started(self, message: StageStarted) -> None:
        self._finish_current()
        self.query_one("#loading-stage", Label).update(message.text)

    def _finish_current(self) -> None:
        """Tick the file that was being read: the worker has moved on."""
        for done in self.query(".loading-current"):
            done.remove_class("loading-current")
            done.update("✓ " + str(done.name))

    def action_cancel(self) -> None:
        self.query_one("#loading-stage", Label).update("Cancelling after this file...")
        self.on_cancel()


def describe_request(paths: Sequence[Path], sample_name: str | None) -> str:
    """How the loading screen and the header name what is open."""
    if sample_name:
        return f"the sample persona '{sample_name}'"
    if len(paths) == 1:
        return str(paths[0])
    return f"{len(paths)} paths ({', '.join(p.name for p in paths[:3])}{', ...' if len(paths) > 3 else ''})"
