"""The command line as a person uses it: bare `auditor`, `auditor PATH...`, `auditor sources`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from auditor import resources
from auditor.cli import main

REPO = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((REPO / "auditor" / "schemas" / "sources.schema.json").read_text())
NURSE = REPO / "sample_exports" / "night-shift-nurse"
TAKEOUT_NAME = "takeout-20240229T101500Z-001.zip"
UBER_NAME = "uber-data-export-2024-02-29.zip"
MONZO_NAME = "Monzo Data Export - CSV (Wednesday, March 1, 2023 to Wednesday, February 28, 2024).csv"


def run_json(capsys, *args: str) -> tuple[int, dict]:
    code = main(["sources", "--format", "json", *args])
    out = capsys.readouterr().out
    document = json.loads(out)  # JSON alone on stdout: this fails on any stray line
    jsonschema.validate(document, SCHEMA)
    return code, document


def test_bare_auditor_shows_the_sample_persona_its_scores_and_how_to_use_your_own(capsys):
    code = main([])
    out = capsys.readouterr().out
    assert code == 0
    flat = " ".join(out.split())  # the console wraps at 80 columns
    assert f"Sample persona '{resources.DEFAULT_PERSONA}'" in flat
    assert "auditor PATH..." in flat
    for name in (TAKEOUT_NAME, UBER_NAME):
        assert name in out.replace("\n", "")
    assert "Not read" in out and "archive_browser.html" in out
    assert "ground truth" in flat  # truth.json is named for what it is
    # After the inventory: the scan summary of every built-in pack, with the disclaimer.
    summary = flat.split("What scorers could infer", 1)[1]
    assert "score" in summary and "illustrations" in summary


def test_the_sample_persona_is_read_in_the_time_zone_it_lived_in(capsys):
    code, document = run_json(capsys)
    truth = json.loads((NURSE / "truth.json").read_text())
    assert document["timezone"] == truth["timezone"]  # unless --timezone says otherwise
    assert resources.persona_timezone([NURSE]) == truth["timezone"] == "Europe/London"
    assert resources.persona_timezone([NURSE, NURSE.parent / "gig-driver"]) is None  # two lives, two zones


def test_persona_inventory_matches_what_the_generator_wrote(capsys):
    code, document = run_json(capsys, str(NURSE))
    assert code == 0
    paths = [entry["path"] for entry in document["files"]]
    assert paths == sorted(paths)
    by_inner = {entry["path"].split("!")[-1].split("/")[-1]: entry for entry in document["files"]}
    truth = json.loads((NURSE / "truth.json").read_text())
    # Independent count: the Records.json inside the zip, read with the json module.
    with zipfile.ZipFile(NURSE / TAKEOUT_NAME) as archive:
        records = json.loads(archive.read("Takeout/Location History (Timeline)/Records.json"))
    assert by_inner["Records.json"]["importer"] == "google-records"
    planted_records = [m for m in truth["malformed"] if m["file"].endswith("Records.json")]
    assert by_inner["Records.json"]["kinds"]["points"]["kept"] == len(records["locations"]) - len(planted_records)
    assert by_inner["Records.json"]["kinds"]["points"]["first"] == records["locations"][0]["timestamp"].replace(
        ".000Z", "Z"
    )
    assert by_inner["Settings.json"]["importer"] == "google-settings"
    monzo_lines = (NURSE / MONZO_NAME).read_bytes().count(b"\n") - 1
    planted_bad = [m["record"] for m in truth["malformed"] if m["file"] == MONZO_NAME]
    monzo = by_inner[MONZO_NAME]
    assert monzo["kinds"]["transactions"]["kept"] + monzo["skipped"]["total"] == monzo_lines
    assert [r for reason in monzo["skipped"]["reasons"] for r in reason["records"]] == planted_bad
    assert by_inner["trips_data-0.csv"]["kinds"]["trips"]["kept"] > 0
    unclaimed = [item["path"] for item in document["unclaimed"]]
    assert any(path.endswith("!Takeout/archive_browser.html") for path in unclaimed)
    assert document["totals"]["rows_kept"]["points"] >= len(records["locations"])


def test_paths_without_a_command_mean_sources(capsys):
    code = main([str(NURSE / MONZO_NAME)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Sample persona" not in out
    assert "Monzo" in out


def test_nothing_readable_exits_1_and_lists_the_file(tmp_path, capsys):
    notes = tmp_path / "shopping-list.txt"
    notes.write_text("eggs\nmilk\n")
    code, document = run_json(capsys, str(tmp_path))
    assert code == 1
    assert document["files"] == []
    assert document["unclaimed"] == [{"path": str(notes), "why": "no importer recognises it (starts: 'eggs')"}]


@pytest.mark.parametrize(
    "args, message",
    [
        (["sources", "/no/such/export.zip"], "no such file or folder"),
        (["sources", "--timezone", "Mars/Olympus_Mons", str(NURSE)], "not a known time zone"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(args, message, capsys):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


def test_unknown_format_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["sources", "--format", "xml", str(NURSE)])
    assert stopped.value.code == 2


def test_timezone_setting_is_recorded_and_named_in_the_table(capsys):
    code, document = run_json(capsys, "--timezone", "Europe/London", str(NURSE))
    assert document["timezone"] == "Europe/London"
    records = next(e for e in document["files"] if e["path"].endswith("Records.json"))
    assert "--timezone" in records["timezone"]
    main(["sources", "--timezone", "Europe/London", str(NURSE / TAKEOUT_NAME)])
    assert "Europe/London" in capsys.readouterr().out


def test_the_same_takeout_twice_is_merged_and_the_pairs_counted(tmp_path, capsys):
    first = tmp_path / "a" / TAKEOUT_NAME
    second = tmp_path / "b" / TAKEOUT_NAME
    for copy in (first, second):
        copy.parent.mkdir()
        shutil.copy(NURSE / TAKEOUT_NAME, copy)
    code, once = run_json(capsys, str(first))
    code, twice = run_json(capsys, str(tmp_path))
    assert twice["totals"]["rows_kept"] == once["totals"]["rows_kept"]
    dropped_points = [d for d in twice["duplicates"] if d["kind"] == "points" and d["dropped"].startswith(str(second))]
    records_points = next(e for e in once["files"] if e["path"].endswith("Records.json"))["kinds"]["points"]["kept"]
    pair = next(d for d in dropped_points if d["dropped"].endswith("Records.json"))
    assert pair["kept"].startswith(str(first)) and pair["count"] == records_points


def test_reading_never_writes_beside_the_inputs(tmp_path, capsys):
    folder = tmp_path / "exports"
    shutil.copytree(NURSE, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*")}
    main(["sources", str(folder)])
    main(["sources", "--format", "json", str(folder)])
    after = {p: p.read_bytes() for p in folder.rglob("*")}
    assert after == before


def test_core_never_imports_the_ui():
    probe = (
        "import sys, auditor.cli, auditor.dataset, auditor.sources, auditor.registry; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"


def test_sample_personas_are_found_through_package_resources():
    assert {"night-shift-nurse", "gig-driver", "comfortable-commuter"} <= set(resources.personas())
    assert resources.persona_dir().name == resources.DEFAULT_PERSONA == "night-shift-nurse"
