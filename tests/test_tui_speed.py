"""What keeps the app's tab switches quick, proven on the smallest persona (issue 10).

- The "So far off?" tab is drawn in a worker while it is hidden, at the width it then
  gets, and a switch replays those lines instead of rendering its tables again (twice).
- The audit on screen is kept out of the garbage collector's full collections, which
  used to walk it every few switches, and handed back when the app closes.
- A re-evaluation after a pack edit keeps the zone the audit chose, without choosing again.
Times are measured by hand (bench/tui_switch_bench.py), never asserted here.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Static

from auditor import pipeline, resources
from auditor.pipeline import run_audit
from auditor.tui.app import AuditorApp
from auditor.tui.panes.comparison import comparison_view
from auditor.tui.prerender import LinesView, Prerendered, expected_width

EXAMPLE = Path(__file__).resolve().parent.parent / "rules" / "example.yaml"
SIZE = (160, 48)


@pytest.fixture(scope="module")
def commuter():
    paths = [resources.persona_dir("comfortable-commuter")]
    return run_audit(paths, [str(EXAMPLE)], timezone=resources.persona_timezone(paths)), paths


def screen_text(app) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_so_far_off_is_drawn_while_hidden_at_the_width_it_then_gets(commuter):
    result, paths = commuter

    async def scenario():
        app = AuditorApp(paths, [str(EXAMPLE)], result.timezone, result=result)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            pane = app.query_one("#compare-pane", LinesView)
            view = pane.view
            before = (pane.size.width, view.renders)
            await pilot.press("2")
            await pilot.pause()
            return before, pane.scrollable_content_region.width, view, screen_text(app)

    (hidden_width, renders_while_hidden), width, view, text = asyncio.run(scenario())
    assert hidden_width == 0 and renders_while_hidden == 1  # drawn by the worker, off screen
    assert view.has_width(width)  # at the very width the tab got
    assert view.renders == 1  # the switch replayed the lines: no second drawing
    assert "Are we so far off?" in text and "Behaviour and preferences" in text


def test_prerendered_lines_are_the_renderables_own_and_drawn_once_per_width(commuter):
    from auditor.packs.loader import load_signals

    result, _ = commuter
    renderable = comparison_view(result, load_signals().signals)
    console = Console(width=120, color_system="truecolor", force_terminal=True)
    options = console.options.update_width(120)
    view = Prerendered(renderable)
    direct = console.render_lines(renderable, options, pad=False)
    replayed = [console.render_lines(view, options, pad=False) for _ in range(2)]
    assert len(direct) > 40
    assert replayed[0] == direct and replayed[1] == direct
    assert view.renders == 1
    narrower = console.render_lines(view, options.update_width(80), pad=False)
    assert view.renders == 2 and len(narrower) > len(direct)  # another width is drawn anew, wrapped longer


def test_a_width_that_cannot_be_told_is_not_drawn_ahead_and_is_drawn_once_when_shown(commuter):
    """The finding's detail sits beside the evidence: its width is not known before it is shown."""
    result, paths = commuter

    async def scenario():
        app = AuditorApp(paths, [str(EXAMPLE)], result.timezone, result=result)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            hidden = expected_width(app.query_one("#finding-text"))
            await pilot.press("3")
            await pilot.pause()
            detail = app.query_one("#finding-text", Static)
            return hidden, expected_width(detail), detail.content_size.width, detail.content

    hidden, shown, actual, view = asyncio.run(scenario())
    assert hidden is None
    assert shown == actual > 0
    # drawn once, at the width it got: its scrollbar keeps its place, so it does not narrow it
    assert isinstance(view, Prerendered) and view.renders == 1 and view.has_width(actual)


def test_the_audit_on_screen_is_kept_from_full_collections_until_the_app_closes(commuter):
    result, paths = commuter
    finding = result.packs[0].findings[0]
    assert gc.is_tracked(finding)

    def walked_by_the_collector(obj) -> bool:
        return any(o is obj for o in gc.get_objects())

    async def scenario():
        app = AuditorApp(paths, [str(EXAMPLE)], result.timezone, result=result)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.pause()
            return gc.get_freeze_count(), walked_by_the_collector(finding)

    frozen, walked = asyncio.run(scenario())
    assert frozen > 10_000 and not walked
    assert gc.get_freeze_count() == 0 and walked_by_the_collector(finding)


def test_a_re_evaluation_keeps_the_zone_the_audit_chose(commuter, tmp_path, monkeypatch):
    """A copy of the commuter's exports without truth.json: its zone is inferred from the data, once."""
    source = resources.persona_dir("comfortable-commuter")
    copy = tmp_path / "exports"
    copy.mkdir()
    for path in source.iterdir():
        if path.is_file() and path.name not in ("truth.json", "README.md"):
            (copy / path.name).write_bytes(path.read_bytes())
    chosen = []
    choose = pipeline.choose_zone

    def counting(*args, **kwargs):
        local = choose(*args, **kwargs)
        chosen.append(local)
        return local

    monkeypatch.setattr(pipeline, "choose_zone", counting)

    async def scenario():
        app = AuditorApp([copy], [str(EXAMPLE)])
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            first = app.result
            app.action_reload()
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            return first, app.result

    first, again = asyncio.run(scenario())
    assert again is not first  # evaluated again
    assert len(chosen) == 1 and chosen[0].zone == first.timezone == "America/New_York"
    assert "inferred" in first.timezone_basis
    assert again.local_time == first.local_time


def test_a_hidden_tables_first_rows_are_formatted_before_its_tab_is_shown(commuter, monkeypatch):
    from auditor.tui import table as table_module

    result, paths = commuter
    formatted = []
    format_rows = table_module.format_rows

    def counting(frame, order, columns, start):
        formatted.append((len(frame), start))
        return format_rows(frame, order, columns, start)

    monkeypatch.setattr(table_module, "format_rows", counting)

    async def scenario():
        app = AuditorApp(paths, [str(EXAMPLE)], result.timezone, result=result)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            ahead = list(formatted)
            await pilot.press("5")
            await pilot.pause()
            table = app.query_one("#places-table", table_module.FrameTable)
            return ahead, formatted[len(ahead) :], table.frame, table.visible_text()

    ahead, on_switch, places, text = asyncio.run(scenario())
    assert (len(places), 0) in ahead  # the places' first block, formatted while the tab was hidden
    assert on_switch == []  # the switch only drew it
    first = places.iloc[0]
    assert str(first["label"]) in text and f"{first['hours']:.6g}" in text
