"""Snapshot tests that fix the app's look (pytest-textual-snapshot; update with --snapshot-update).

The audit is the smallest persona under the example pack, handed to the app already run,
so the pictures hold no machine's paths and no clock. Other tests check behaviour; these
only catch an unintended change of layout or style.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor import resources
from auditor.pipeline import run_audit
from auditor.tui.app import AuditorApp

pytest.importorskip("pytest_textual_snapshot")

EXAMPLE = Path(__file__).resolve().parent.parent / "rules" / "example.yaml"
SIZE = (140, 42)


@pytest.fixture(scope="module")
def audit():
    paths = [resources.persona_dir("comfortable-commuter")]
    return run_audit(paths, [str(EXAMPLE)], timezone=resources.persona_timezone(paths))


def test_overview_looks_right(snap_compare, audit):
    assert snap_compare(AuditorApp(result=audit), terminal_size=SIZE)


def test_findings_look_right(snap_compare, audit):
    assert snap_compare(AuditorApp(result=audit), press=["3"], terminal_size=SIZE)


def test_redacted_data_table_looks_right(snap_compare, audit):
    pytest.importorskip("auditor.redact")

    async def redact(pilot) -> None:
        await pilot.press("4", "r")
        await pilot.app.workers.wait_for_complete()  # redaction runs in a worker
        await pilot.pause()
        await pilot.pause()  # the worker's result reaches the screen
        pilot.app.clear_notifications()  # a toast's fade is timing, not look
        await pilot.pause()

    assert snap_compare(AuditorApp(result=audit), run_before=redact, terminal_size=SIZE)


def test_help_looks_right(snap_compare, audit):
    assert snap_compare(AuditorApp(result=audit), press=["question_mark"], terminal_size=SIZE)
