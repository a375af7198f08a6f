"""The persona generator: deterministic, parameterised, safe to point at a folder, and fast."""

from __future__ import annotations

import argparse
import csv
import io
import json
import zipfile
from datetime import date

import pytest

from auditor.commands import samples as samples_command
from auditor.samples import generate
from auditor.samples.life import LifeBuilder, Place, sample_points
from auditor.samples.output import Archive, Bundle, write_atomic
from auditor.samples.personas import PERSONAS, SHIPPED
from auditor.samples.truth import Truth


def _rendered(bundle: Bundle) -> dict[str, bytes]:
    return {name: bundle.render(name) for name in bundle.files}


def _cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="auditor")
    samples_command.add_parser(parser.add_subparsers(dest="command"))
    return samples_command.run(parser.parse_args(list(argv)))


# --- determinism --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SHIPPED)
def test_the_same_seed_gives_byte_identical_files(persona):
    assert _rendered(generate.build(persona, seed=7)) == _rendered(generate.build(persona, seed=7))


def test_another_seed_gives_another_life_in_the_same_files():
    first, second = generate.build("gig-driver", seed=1), generate.build("gig-driver", seed=2)
    assert list(first.files) == list(second.files)
    assert first.render("Timeline.json") != second.render("Timeline.json")


def test_zip_entries_carry_the_export_date_not_the_clock():
    bundle = generate.build("comfortable-commuter")
    name = next(n for n in bundle.files if n.endswith(".zip"))
    with zipfile.ZipFile(io.BytesIO(bundle.render(name))) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2024, 8, 30, 10, 15, 0)}


# --- parameters ---------------------------------------------------------------------------


def _chase_rows(bundle: Bundle) -> int:
    name = next(n for n in bundle.files if n.startswith("Chase1234"))
    return len(bundle.render(name).decode().splitlines()) - 1


def test_years_sets_the_period_and_the_file_names():
    bundle = generate.build("night-shift-nurse", years=0.25)
    monzo = next(n for n in bundle.files if n.startswith("Monzo"))
    assert "March 1, 2023 to Tuesday, May 30, 2023" in monzo  # 0.25 years = 91 days
    truth = json.loads(bundle.render("truth.json"))
    assert (truth["first_day"], truth["last_day"]) == ("2023-03-01", "2023-05-30")


def test_density_multiplies_countable_habits():
    sparse = _chase_rows(generate.build("gig-driver", years=0.3, density=1.0))
    dense = _chase_rows(generate.build("gig-driver", years=0.3, density=3.0))
    assert dense > sparse * 1.3


def test_bad_parameters_are_refused():
    with pytest.raises(KeyError, match="unknown persona"):
        generate.plan("nobody")
    with pytest.raises(ValueError):
        generate.plan("gig-driver", years=0)


# --- the clock ----------------------------------------------------------------------------


def test_local_hours_follow_daylight_saving():
    builder = LifeBuilder("t", "Europe/London", date(2023, 3, 20), 30, seed=1)
    winter = builder.at(date(2023, 3, 24), 9.0)  # GMT
    summer = builder.at(date(2023, 3, 28), 9.0)  # BST: 09:00 local is 08:00 UTC
    assert (winter.hour, summer.hour) == (9, 8)
    assert builder.at(date(2023, 3, 24), 25.5).date() == date(2023, 3, 25)  # hours past 24 run on


def test_monzo_writes_local_wall_clock_time(tmp_path):
    bundle = generate.build("night-shift-nurse", years=0.4)
    monzo = next(n for n in bundle.files if n.startswith("Monzo"))
    rows = list(csv.DictReader(io.StringIO(bundle.render(monzo).decode())))
    salaries = [r for r in rows if r["Type"] == "Bacs (Direct Credit)"]
    # Paid at 01:00 local (plus a few seconds): 01:xx in summer too, never 00:xx.
    assert salaries and all(r["Time"].startswith("01:0") for r in salaries)


def test_the_timeline_is_continuous():
    builder = LifeBuilder("t", "UTC", date(2024, 1, 1), 2, seed=1)
    home = Place("h", "Home", "1 A St", 51.5, -0.1, "home", "TYPE_HOME")
    shop = Place("s", "Shop", "2 B St", 51.51, -0.1, "shop")
    builder.stay(home, builder.at(date(2024, 1, 1), 0), builder.at(date(2024, 1, 1), 8))
    builder.stay(shop, builder.at(date(2024, 1, 1), 12), builder.at(date(2024, 1, 1), 13))
    builder.stay(home, builder.at(date(2024, 1, 1), 12.5), builder.at(date(2024, 1, 1), 20))  # overlaps: starts later
    life = builder.finish()
    for previous, stay in zip(life.stays, life.stays[1:]):
        assert previous.start < previous.end <= stay.start < stay.end
        assert stay.start - previous.end == builder.travel_time(previous.place, stay.place, stay.mode_in)
    points = sample_points(life, 600, 60, seed=1)
    assert (points.time_ms[1:] > points.time_ms[:-1]).all()
    assert points.moving.any() and not points.moving.all()


def test_truth_refuses_a_signal_the_persona_does_not_describe():
    truth = Truth("t", {"rent-payment": "rent"})
    truth.mark(("rent-payment",), "f.csv", "transactions", 2, "RENT")
    with pytest.raises(KeyError, match="not described"):
        truth.mark(("gambling",), "f.csv", "transactions", 3, "BET")


# --- writing safely -----------------------------------------------------------------------


def test_write_refuses_a_folder_of_other_files_unless_forced(tmp_path):
    (tmp_path / "my-bank.csv").write_text("Date,Amount\n")
    with pytest.raises(generate.FolderNotEmpty, match="--force"):
        generate.write(tmp_path, "comfortable-commuter")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my-bank.csv"]
    written = generate.write(tmp_path, "comfortable-commuter", force=True)
    assert (tmp_path / "my-bank.csv").read_text() == "Date,Amount\n"
    assert generate.strangers(tmp_path, written) == [tmp_path / "my-bank.csv"]


def test_a_generated_folder_can_be_written_again_without_force(tmp_path):
    first = generate.write(tmp_path, "comfortable-commuter")
    assert {p.name for p in first} == generate.generator_files(tmp_path)
    shorter = generate.write(tmp_path, "comfortable-commuter", years=0.2)  # other file names
    assert generate.strangers(tmp_path, shorter)  # the longer run's files stay, reported
    assert not list(tmp_path.glob("*.partial"))


def test_a_generated_folder_with_the_persons_own_file_in_it_is_refused(tmp_path):
    generate.write(tmp_path, "comfortable-commuter")
    (tmp_path / "my-real-statement.ofx").write_text("OFXHEADER:100")
    with pytest.raises(generate.FolderNotEmpty, match="my-real-statement.ofx"):
        generate.write(tmp_path, "comfortable-commuter")


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_changed_one(tmp_path):
    target = tmp_path / "Timeline.json"
    target.write_bytes(b"old")

    def broken():
        yield b"new and half"
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Timeline.json"]


def test_streamed_zip_members_match_in_memory_ones(tmp_path):
    chunks = [b'{"locations": [', b"1, 2", b"]}"]
    archive = Archive([("a.json", lambda: iter(chunks)), ("b.txt", b"plain")], (2024, 1, 1, 0, 0, 0))
    write_atomic(tmp_path / "x.zip", archive)
    with zipfile.ZipFile(tmp_path / "x.zip") as zf:
        assert zf.read("a.json") == b"".join(chunks)
        assert zf.read("b.txt") == b"plain"


# --- the command --------------------------------------------------------------------------


def test_samples_list_names_every_persona(capsys):
    assert _cli("samples", "list") == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PERSONAS)


def test_samples_generate_all_writes_one_folder_per_shipped_persona(tmp_path, capsys):
    assert _cli("samples", "generate", "--persona", "all", "--years", "0.1", "--output", str(tmp_path)) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SHIPPED)
    for name in SHIPPED:
        assert (tmp_path / name / "truth.json").is_file() and (tmp_path / name / "README.md").is_file()
    assert "gig-driver: 7 files" in capsys.readouterr().err


def test_samples_generate_usage_errors(tmp_path, capsys):
    assert _cli("samples", "generate", "--persona", "nobody", "--output", str(tmp_path)) == 2
    assert _cli("samples", "generate", "--persona", "gig-driver", "--density", "0", "--output", str(tmp_path)) == 2
    (tmp_path / "mine.txt").write_text("x")
    assert _cli("samples", "generate", "--persona", "gig-driver", "--output", str(tmp_path)) == 1
    assert "--force" in capsys.readouterr().err


# --- scale --------------------------------------------------------------------------------


def test_a_short_decade_run_writes_valid_records_json():
    bundle = generate.build("decade", years=0.02)
    takeout = next(n for n in bundle.files if n.startswith("takeout-"))
    with zipfile.ZipFile(io.BytesIO(bundle.render(takeout))) as archive:
        records = json.loads(archive.read("Takeout/Location History (Timeline)/Records.json"))["locations"]
    truth = json.loads(bundle.render("truth.json"))
    broken = next(m["record"] for m in truth["malformed"] if m["file"].endswith("Records.json"))
    assert "latitudeE7" not in records[broken]
    assert all("latitudeE7" in r for i, r in enumerate(records) if i != broken)
    # One fix every ~2 minutes when still: a week holds thousands.
    assert len(records) > 3_000


@pytest.mark.slow
def test_the_decade_persona_reaches_benchmark_size(tmp_path):
    # How long it takes is bench/e2e_bench.py's to measure (it generates the persona), not a test's.
    written = generate.write(tmp_path, "decade")
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert truth["first_day"] == "2014-03-01"
    takeout = next(p for p in written if p.name.startswith("takeout-"))
    with zipfile.ZipFile(takeout) as archive, archive.open("Takeout/Location History (Timeline)/Records.json") as handle:
        points = sum(1 for line in handle if line.startswith(b'      "timestamp"'))
    monzo = next(p for p in written if p.name.startswith("Monzo"))
    with open(monzo, newline="") as handle:
        transactions = sum(1 for _ in csv.reader(handle)) - 1
    uber = next(p for p in written if p.name.startswith("uber-"))
    with zipfile.ZipFile(uber) as archive:
        rides = len(archive.read("Uber Data/Rider/trips_data-0.csv").splitlines()) - 1
        orders = {tuple(row[1:3]) for row in csv.reader(io.StringIO(archive.read("Uber Data/Eats/user_orders-0.csv").decode()))}
    assert points >= 3_000_000
    assert transactions >= 50_000
    assert rides + len(orders) - 1 >= 2_000
