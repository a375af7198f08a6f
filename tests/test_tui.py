"""The terminal app, driven with Textual's Pilot on the sample personas.

One audit of the smallest persona (the comfortable commuter) is run once and shared by
the tests that only look at it; the tests of loading, reload and bad packs run their own.
Assertions read what a person sees: the text of the rendered screen, plus the app's
state where the screen cannot say it. Packs are the example pack and a small pack
written here, so the tests do not move when the built-in packs are tuned.
"""

from __future__ import annotations

import asyncio
import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import resources
from auditor.pipeline import run_audit
from auditor.tui.app import AuditorApp
from auditor.tui.dialogs import ErrorDialog, HelpScreen, RowDialog
from auditor.tui.loading import AuditFailed, AuditFinished, AuditRequest, FileStarted, run_request
from auditor.tui.panes.places import SENSITIVE_CATEGORIES
from auditor.tui.present import derived_table, score_words
from auditor.tui.table import FrameTable

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "rules" / "example.yaml"
SIZE = (160, 48)

# A second scorer reading one signal the example pack also reads (late-night-spending),
# so that "so far off?" has two scorers to line up, and a rule the tests can edit.
NIGHT_PACK = """\
id: night-owl
title: Night-owl insurer
description: A test pack that reads the hours people spend and move.
version: "1.0"
scorer: a test insurer
scale: {min: 0, max: 100, start: 50}
bands:
  - {at_least: 0, label: watched, blocks: [the cheapest premium]}
  - {at_least: 50, label: ordinary}
dimensions:
  habits: {title: Habits, weight: 0.5}
rules:
  - id: night-spending
    title: Card payments at night
    kind: transactions
    where:
      all:
        - amount: {less: 0}
        - time: {hour: [0, 6]}
    measure: count
    threshold: {at_least: THRESHOLD}
    effect: {points: -10}
    dimension: habits
    infers: "{value} card payments between midnight and 6 am"
    severity: medium
    basis: design
    signals: [late-night-spending]
"""
# An unknown key on line 8 and a misspelt measure on line 16: two located errors.
BAD_PACK = """\
id: broken
title: Broken pack
description: Errors on purpose.
version: "1.0"
scorer: nobody
rules:
  - id: one
    colour: red
    title: One
    kind: transactions
    measure: count
    threshold: {at_least: 1}
    infers: "x"
    severity: low
    basis: design
    signals: [gambling]
"""


def write_night_pack(folder: Path, threshold: int = 1) -> Path:
    path = folder / "night-owl.yaml"
    path.write_text(NIGHT_PACK.replace("THRESHOLD", str(threshold)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("packs")
    write_night_pack(folder)
    return folder


@pytest.fixture(scope="module")
def commuter(pack_dir):
    """One audit of the smallest persona with the example pack and the night-owl pack."""
    paths = [resources.persona_dir("comfortable-commuter")]
    packs = [str(EXAMPLE), str(pack_dir / "night-owl.yaml")]
    return run_audit(paths, packs, timezone=resources.persona_timezone(paths)), paths, packs


def screen_text(app) -> str:
    """Every character on the screen, as the person sees it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(pilot) -> None:
    """Wait for the audit workers and the messages they posted."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def run(coroutine):
    return asyncio.run(coroutine)


def open_app(commuter) -> AuditorApp:
    result, paths, packs = commuter
    return AuditorApp(paths, packs, result.timezone, result=result)


# --- loading ------------------------------------------------------------------------------------


def test_bare_app_opens_on_the_sample_persona_says_so_and_loads_it():
    async def scenario():
        app = AuditorApp(packs=[str(EXAMPLE)])
        async with app.run_test(size=SIZE) as pilot:
            first = screen_text(app)
            await settle(pilot)
            return first, screen_text(app), app

    first, loaded, app = run(scenario())
    assert "sample persona 'night-shift-nurse'" in first
    assert "auditor PATH" in first  # how to load your own
    assert app.result is not None and app.result.dataset.rows_kept > 40_000
    assert "sample persona 'night-shift-nurse'" in loaded and "ctrl+o opens your own" in loaded
    assert "Example cash-flow scorer" in loaded
    assert "Scores are illustrations" in loaded


def test_a_missing_path_opens_a_dialog_not_a_traceback(tmp_path):
    missing = tmp_path / "no-such-export.zip"

    async def scenario():
        app = AuditorApp([missing], packs=[str(EXAMPLE)])
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            return app.screen, screen_text(app)

    screen, text = run(scenario())
    assert isinstance(screen, ErrorDialog)
    assert "A path does not exist" in text and "no-such-export.zip" in text
    assert "Traceback" not in text


def test_loading_reports_each_file_and_stops_when_cancelled():
    folder = resources.persona_dir("comfortable-commuter")
    posted: list = []
    request = AuditRequest([folder], [str(EXAMPLE)], None, "test")
    # cancelled once the first file has been announced: the load stops at the next file
    run_request(request, posted.append, lambda: any(isinstance(m, FileStarted) for m in posted))
    started = [m for m in posted if isinstance(m, FileStarted)]
    assert len(started) == 1 and started[0].number == 1 and started[0].display
    assert not any(isinstance(m, AuditFinished) for m in posted)
    assert [m.title for m in posted if isinstance(m, AuditFailed)] == ["Loading cancelled"]

    posted.clear()
    run_request(request, posted.append, lambda: False)
    files = [m.display for m in posted if isinstance(m, FileStarted)]
    finished = [m for m in posted if isinstance(m, AuditFinished)]
    assert len(finished) == 1
    assert len(files) == sum(1 for r in finished[0].result.dataset.reports) > 3


# --- overview and so far off? ---------------------------------------------------------------------


def test_overview_shows_each_pack_and_switches_between_them(commuter):
    result = commuter[0]

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            first = screen_text(app)
            app.query_one("#overview-packs").focus()
            await pilot.press("down")
            await pilot.pause()
            return first, screen_text(app)

    first, second = run(scenario())
    example, night = result.packs
    assert f"Score {score_words(example)}" in first
    assert "What each source gives away" in first and "Scores are illustrations" in first
    assert f"Score {score_words(night)}" in second
    assert "plays a test insurer" in second and "plays a test insurer" not in first


def test_so_far_off_lines_up_two_scorers_reading_one_signal(commuter):
    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("2")
            await pilot.pause()
            return screen_text(app)

    text = run(scenario())
    assert "Behaviour and preferences" in text
    assert "late-night-spending: card spending between midnight and 6 am" in text
    assert "a test insurer" in text and "(night-owl/night-spending)" in text
    assert "an illustrative cash-flow lender" in text


# --- findings -----------------------------------------------------------------------------------


def test_findings_filter_and_open_an_evidence_row(commuter):
    result = commuter[0]
    night = next(f for f in result.packs[1].findings if f.rule == "night-spending")
    assert night.fired and len(night.evidence) > 0  # the commuter pays by card at night now and then
    first_row = result.frame("transactions").iloc[int(night.evidence[0])]

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await pilot.pause()
            pane = app.query_one("#findings-pane")
            pane.set_filter("pack", "night-owl")
            await pilot.pause()
            table = app.query_one("#findings-table", FrameTable)
            filtered = list(table.frame["rule"])
            table.focus()
            await pilot.press("enter")  # into the evidence
            await pilot.press("enter")  # open the first evidence row
            await pilot.pause()
            return filtered, app.screen, screen_text(app)

    filtered, screen, text = run(scenario())
    assert filtered == ["night-spending"]
    assert isinstance(screen, RowDialog)
    fields = dict(screen.fields)
    assert fields["record"] == str(first_row["record"])
    assert fields["file"].endswith(str(first_row["file"]).rsplit("/", 1)[-1])
    assert str(first_row["description"]) in text


def test_findings_detail_shows_measure_threshold_basis_and_the_rule_yaml(commuter):
    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            pane = app.query_one("#findings-pane")
            pane.set_filter("pack", "night-owl")
            await pilot.pause()
            return screen_text(app)

    text = run(scenario())
    assert "against at least 1 (count)" in text
    assert "our design default, not a documented rule of a real scorer" in text
    start = NIGHT_PACK.splitlines().index("  - id: night-spending") + 1
    assert f"night-owl.yaml:{start};" in text  # where the rule starts in its file
    assert "- id: night-spending" in text


def test_findings_outcome_filter_keeps_only_that_outcome(commuter):
    result = commuter[0]
    expected = sorted(f.rule for p in result.packs for f in p.findings if f.outcome == "not_fired")

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            app.query_one("#findings-pane").set_filter("outcome", "not fired")
            await pilot.pause()
            return sorted(app.query_one("#findings-table", FrameTable).frame["rule"])

    assert run(scenario()) == expected


# --- data and places -------------------------------------------------------------------------------


def test_data_table_scrolls_to_the_last_row(commuter):
    points = commuter[0].data.frames["points"]
    last_record = str(points["record"].iloc[-1])
    last_time = points["time"].iloc[-1].strftime("%Y-%m-%d %H:%M")

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("4")
            app.query_one("#data-pane").show_kind("points")
            table = app.query_one("#data-table", FrameTable)
            table.focus()
            await pilot.pause()
            before = table.visible_text()
            await pilot.press("end")
            await pilot.pause()
            return before, table.visible_text(), table.cursor_row

    before, after, cursor = run(scenario())
    assert cursor == len(points) - 1
    last_line = [line for line in after.splitlines() if line.strip()][-1]
    assert last_time in last_line and f" {last_record} " in last_line
    assert last_time not in before


def test_virtual_table_renders_millions_of_rows_without_holding_them():
    rows = 3_000_000
    frame = pd.DataFrame({
        "record": np.arange(rows, dtype=np.int64),
        "lat": np.linspace(50, 52, rows),
        "time": pd.date_range("2015-01-01", periods=rows, freq="min", tz="UTC"),
    })  # fmt: skip

    from textual.app import App

    class One(App):
        def compose(self):
            yield FrameTable(frame, id="big")

    async def scenario():
        app = One()
        async with app.run_test(size=(100, 30)) as pilot:
            table = app.query_one(FrameTable)
            table.focus()
            await pilot.press("end")
            await pilot.pause()
            return table.visible_text(), len(table._blocks)

    text, blocks = run(scenario())
    last = [line for line in text.splitlines() if line.strip()][-1]
    assert last.startswith(f"{rows - 1}  ")
    assert frame["time"].iloc[-1].strftime("%Y-%m-%d %H:%M") in last
    assert blocks <= 2  # only the blocks on screen were formatted


def test_places_shows_home_work_and_flags_sensitive_places(commuter):
    result = commuter[0]
    derived, _ = derived_table(result, "places")

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("5")
            await pilot.pause()
            return screen_text(app), app.query_one("#places-table", FrameTable).frame

    text, frame = run(scenario())
    labels = frame["label"].astype("string").str.lower()
    assert {"home", "work"} <= set(labels)
    if derived is not None and len(derived):  # the pipeline's own places, one row each
        assert len(frame) == len(derived)
        assert sorted(frame["hours"].round(3)) == sorted(derived["hours"].round(3))
        special = frame["category"].astype("string").isin(list(SENSITIVE_CATEGORIES)).to_numpy()
        assert (frame["sensitive"].to_numpy()[special] != "").all()
    else:  # the places the exports name, grouped from the visits
        assert frame["visits"].sum() == len(result.data.frames["visits"])
    top = frame.iloc[0]
    assert any(line.strip().lstrip("│").startswith(f"{top['label']} ") for line in text.splitlines())


# --- rules: live reload and bad packs -------------------------------------------------------------------


def test_a_pack_edited_on_disk_is_reloaded_and_re_evaluated(commuter, tmp_path):
    result, paths, _ = commuter
    pack = write_night_pack(tmp_path, threshold=10_000)

    async def scenario():
        audit = run_audit(paths, [str(pack)], timezone=result.timezone, dataset=result.dataset)
        app = AuditorApp(paths, [str(pack)], result.timezone, result=audit)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("6")
            await pilot.pause()
            before = app.result.packs[0].findings[0].outcome
            write_night_pack(tmp_path, threshold=1)
            stat = pack.stat()
            os.utime(pack, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
            app.check_pack_files()  # what the one-second timer does
            await settle(pilot)
            return before, app.result.packs[0].findings[0], screen_text(app)

    before, after, text = run(scenario())
    assert before == "not_fired"
    assert after.outcome == "fired" and after.threshold == 1
    assert "night-spending" in text and "fired" in text and "at least 1 " in text
    assert "reloaded night-owl.yaml" in text


def test_a_bad_pack_loaded_from_a_path_shows_its_located_errors(commuter, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text(BAD_PACK, encoding="utf-8")

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            app.load_pack(str(bad))
            await settle(pilot)
            return screen_text(app), app.result

    text, result = run(scenario())
    assert [p.file for p in result.skipped_packs] == [str(bad)]
    issues = result.skipped_packs[0].errors
    assert {(i.line, i.check) for i in issues} >= {(8, "unknown-key")}
    assert "broken.yaml:8:" in text and "unknown key 'colour'" in text
    assert "not evaluated" in text
    assert len(result.packs) == 2  # the good packs still run


# --- redaction -----------------------------------------------------------------------------------


def sensitive_strings(result) -> set[str]:
    """Names, addresses, merchants, coordinates and amounts from the persona's own rows."""
    frames = result.data.frames
    found: set[str] = set()
    visits = frames["visits"]
    for column in ("name", "address"):
        found |= {v for v in visits[column].dropna().astype(str) if len(v) >= 6}
    tx = frames["transactions"]
    found |= {v for v in tx["description"].dropna().astype(str) if len(v) >= 6}
    found |= {f"{abs(a):.2f}" for a in tx["amount"].dropna() if abs(a) >= 10}
    # coordinates as the tables print them; a value that happens to sit on the redaction
    # grid (39.95) is what coarse redaction shows, not a leak
    coordinates = pd.concat([frames[k][c] for k in ("points", "visits") for c in ("lat", "lon")]).dropna()
    found |= {text for text in (f"{v:.6g}" for v in coordinates) if len(text.split(".")[-1]) >= 3}
    trips = frames["trips"]
    for column in ("pickup_address", "dropoff_address"):
        found |= {v for v in trips[column].dropna().astype(str) if len(v) >= 6}
    return found


def test_redaction_hides_everything_sensitive_on_every_tab(commuter):
    pytest.importorskip("auditor.redact")
    result = commuter[0]
    secrets = sensitive_strings(result)
    assert len(secrets) > 50

    async def tour(app, pilot) -> str:
        seen = []
        for key in "123456":
            await pilot.press(key)
            await pilot.pause()
            seen.append(screen_text(app))
        await pilot.press("3")
        app.query_one("#findings-pane").set_filter("pack", "night-owl")
        await pilot.pause()
        seen.append(screen_text(app))
        await pilot.press("4")
        app.query_one("#data-pane").show_kind("transactions")
        await pilot.pause()
        seen.append(screen_text(app))
        return "\n".join(seen)

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            plain = await tour(app, pilot)
            await pilot.press("r")
            await settle(pilot)  # redaction runs in a worker
            hidden = await tour(app, pilot)
            return plain, hidden

    plain, hidden = run(scenario())
    shown_plain = {s for s in secrets if s in plain}
    assert len(shown_plain) > 10  # without redaction the screens do show them
    leaked = sorted(s for s in shown_plain if s in hidden)
    assert not leaked, f"visible while redacted: {leaked[:10]}"
    assert "REDACTED" in hidden


# --- help, palette, theme, export ---------------------------------------------------------------------


def test_help_lists_every_key(commuter):
    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("question_mark")
            await pilot.pause()
            return app.screen, screen_text(app)

    screen, text = run(scenario())
    assert isinstance(screen, HelpScreen)
    for binding in [*AuditorApp.BINDINGS, *FrameTable.BINDINGS]:
        assert binding.description in text
        assert binding.key.split(",")[0] in text


def test_palette_commands_follow_the_state(commuter):
    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            titles = [c.title for c in app.get_system_commands(app.screen)]
            await pilot.press("t")
            theme = app.theme
            return titles, theme

    titles, theme = run(scenario())
    assert "Turn redaction on (coarse)" in titles
    assert "Overview of Night-owl insurer" in titles and "Show Findings" in titles
    assert theme == "textual-light"


def test_export_writes_the_audit_on_screen_redacted_when_redaction_is_on(commuter, tmp_path):
    pytest.importorskip("auditor.reports")
    result = commuter[0]
    night = next(f for f in result.packs[1].findings if f.rule == "night-spending")
    description = str(result.frame("transactions")["description"].iloc[int(night.evidence[0])])
    plain, hidden = tmp_path / "audit.csv", tmp_path / "audit-redacted.csv"

    async def scenario():
        app = open_app(commuter)
        async with app.run_test(size=SIZE) as pilot:
            app.export_to(str(plain))
            await settle(pilot)
            app.action_toggle_redaction()
            await settle(pilot)
            app.export_to(str(hidden))
            await settle(pilot)

    run(scenario())
    rows = list(csv.DictReader(plain.open(encoding="utf-8")))
    assert {(r["pack"], r["rule"]) for r in rows} == {(p.pack.id, f.rule) for p in result.packs for f in p.findings}
    assert description in plain.read_text(encoding="utf-8")
    assert description not in hidden.read_text(encoding="utf-8")


def test_the_core_never_imports_textual():
    import subprocess
    import sys

    code = ("import sys, auditor.pipeline, auditor.cli, auditor.commands.scan; "
            "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "False"


def test_bare_auditor_opens_the_app_only_in_a_terminal(monkeypatch, capsys, tmp_path):
    from auditor import cli

    opened: list = []
    monkeypatch.setattr("auditor.tui.run_app", lambda paths, timezone=None: opened.append((paths, timezone)) or 0)
    monkeypatch.setattr(cli.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli.sys.stdout, "isatty", lambda: True, raising=False)
    assert cli.main([str(tmp_path), "--timezone", "Europe/London"]) == 0
    assert opened == [([tmp_path], "Europe/London")]
    assert cli.main(["--timezone", "Mars/Olympus"]) == 2  # a usage error, before any app
    assert "not a known time zone" in capsys.readouterr().err
    statement = REPO / "tests" / "data" / "bank-csv-presets" / "amex-extended-no-member.csv"
    assert cli.main([str(statement), "--no-tui"]) == 0
    assert len(opened) == 1
    assert "What scorers could infer" in capsys.readouterr().out


def test_the_launcher_opens_the_app_without_importing_the_engine(monkeypatch, tmp_path):
    import subprocess
    import sys

    from auditor import cli, launch

    assert set(launch.COMMAND_NAMES) == set(cli.COMMANDS), (
        "a new subcommand must join auditor.launch.COMMAND_NAMES, or 'auditor NAME' opens the app on a folder NAME")
    monkeypatch.setattr(launch.sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(launch.sys.stdout, "isatty", lambda: True, raising=False)
    assert launch.app_request([]) == ([], None)
    assert launch.app_request([str(tmp_path), "--timezone", "Europe/London"]) == ([tmp_path], "Europe/London")
    for argv in (["rules"], ["scan", str(tmp_path)], [str(tmp_path / "missing")], ["--no-tui"],
                 ["--timezone", "Mars/Olympus"], ["--format", "json"], ["--version"]):  # fmt: skip
        assert launch.app_request(argv) is None, argv  # the CLI parses and reports these
    code = ("import sys, auditor.launch, auditor.tui.app, auditor.resources; "
            "print(sorted(m for m in ('pandas', 'auditor.pipeline', 'auditor.cli') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"  # the first frame waits for none of them


def test_chart_aggregates_add_up_to_the_rows(commuter):
    from auditor.tui import charts

    result = commuter[0]
    frames = result.data.frames
    spending = charts.spending_by_month(frames["transactions"], result.timezone)
    money_out = -frames["transactions"].loc[frames["transactions"]["amount"] < 0, "amount"].sum()
    assert spending.to_numpy().sum() == pytest.approx(money_out)
    assert len(spending.columns) <= charts.TOP_CATEGORIES + 1
    hours, days = charts.activity_by_hour(frames["points"], "time", result.timezone)
    assert hours.sum() == days.sum() == frames["points"]["time"].notna().sum()
    places, _ = derived_table(result, "places")
    cells, labelled = charts.place_cells(frames["visits"], places)
    assert cells["visits"].sum() == frames["visits"][["lat", "lon"]].notna().all(axis=1).sum()
    assert set(labelled["label"].astype("string").str.lower()) == {"home", "work"}
