"""The shipped personas: their files read like the real exports, and their ground truth holds.

Every check here reads the files in ``sample_exports/<persona>/`` as a person's exports
are read (``auditor.sources`` to find and claim them, ``dataset.import_file`` to load
them) and compares with ``truth.json``, the generator's account of what it planted.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
import yaml

from auditor.dataset import import_file, load_dataset
from auditor.importers.base import FileRef
from auditor.samples import generate
from auditor.samples.personas import PERSONAS, SHIPPED
from auditor.sources import claim, discover

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_exports"
NOT_EXPORTS = {"README.md", "truth.json"}


def truth_of(persona: str) -> dict:
    return json.loads((SAMPLES / persona / "truth.json").read_text())


@cache
def claimed(persona: str) -> dict[str, tuple[FileRef, str]]:
    """Every claimed file of a persona by its path inside the folder: (ref, importer id)."""
    folder = SAMPLES / persona
    found = discover([folder])
    claims, _ = claim(found.files)
    return {_relative(c.ref, folder): (c.ref, c.importer.id) for c in claims}


@cache
def loaded(persona: str, file: str):
    ref, importer_id = claimed(persona)[file]
    from auditor.registry import by_id

    return import_file(ref, by_id(importer_id))


def _relative(ref: FileRef, folder: Path) -> str:
    return ref.display.removeprefix(str(folder) + "/")


# --- the folder -------------------------------------------------------------------------


def test_sample_exports_are_small_enough_to_ship():
    total = sum(path.stat().st_size for path in SAMPLES.rglob("*") if path.is_file())
    assert total < 5_000_000, f"sample_exports/ holds {total / 1e6:.1f} MB"


@pytest.mark.parametrize("persona", SHIPPED)
def test_committed_files_are_exactly_what_the_generator_writes(persona):
    bundle = generate.build(persona)
    folder = SAMPLES / persona
    assert sorted(p.name for p in folder.iterdir()) == sorted(bundle.files)
    for name in bundle.files:
        assert (folder / name).read_bytes() == bundle.render(name), f"{persona}/{name} is stale: regenerate it"


@pytest.mark.parametrize("persona", SHIPPED)
def test_every_export_is_claimed_and_only_readme_and_truth_are_not(persona):
    folder = SAMPLES / persona
    found = discover([folder])
    claims, unclaimed = claim(found.files)
    not_read = {Path(item.path).name for item in [*found.unclaimed, *unclaimed]}
    # Takeout's archive_browser.html is part of every real Takeout and is not location data.
    assert not_read - {"archive_browser.html"} == NOT_EXPORTS
    assert len(claims) >= 4


@pytest.mark.parametrize("persona", SHIPPED)
def test_the_whole_folder_loads_into_every_kind_with_only_the_planted_skips(persona):
    dataset = load_dataset([SAMPLES / persona])
    assert all(len(dataset[kind]) > 0 for kind in ("points", "visits", "activities", "transactions", "trips", "ratings"))
    assert sum(report.skipped_total for report in dataset.reports) == len(truth_of(persona)["malformed"])
    assert not [report.path for report in dataset.reports if report.error]


# --- same importers as the real files ---------------------------------------------------

# Each persona file, and a real export of the same format (../shared/fixtures), or the
# repo's own sample of that layout where no public real file exists.
SAME_FORMAT = [
    ("night-shift-nurse", "Records.json", "fixtures:google_records/records.json"),
    ("night-shift-nurse", "2023_OCTOBER.json", "fixtures:google_semantic/semantic_history.json"),
    ("night-shift-nurse", "Settings.json", "fixtures:google_other/device_settings.json"),
    ("night-shift-nurse", "Monzo Data Export", "fixtures:bank_csv/first_direct_uk/20180226_12345678.csv"),
    ("night-shift-nurse", "Rider/trips_data-0.csv", "data:uber/2023/trips_data-0.csv"),
    ("night-shift-nurse", "Eats/user_orders-0.csv", "data:uber-eats/2023/user_orders-0.csv"),
    ("night-shift-nurse", "rider_lifetime_ratings_received-0.csv", "data:uber-ratings/rider_lifetime_ratings_received-0.csv"),
    ("night-shift-nurse", "user_profile-0.csv", "data:uber-ratings/user_profile-0.csv"),
    ("gig-driver", "Timeline.json", "fixtures:google_ondevice_android/phone-takeout_w_3_duplicates.json"),
    ("gig-driver", "Chase1234", "fixtures:bank_csv/schwab_checking/schwab-checking.csv"),
    ("gig-driver", "Chase5678", "fixtures:bank_csv/capital_one_card/capitalone.csv"),
    ("gig-driver", "Rider/trips_data-0.csv", "fixtures:uber/trips_data_v3_short/sample_trips_data.csv"),
    ("comfortable-commuter", "location-history.json", "fixtures:google_ondevice_ios/location-history.json"),
    ("comfortable-commuter", ".ofx", "fixtures:ofx/ofxparse/checking.ofx"),
    ("comfortable-commuter", "transaction_download.csv", "fixtures:bank_csv/capital_one_card/capitalone.csv"),
    ("comfortable-commuter", "passenger_rides.csv", "data:lyft/lyft_passenger_rides.csv"),
    ("comfortable-commuter", "payments_from_user.csv", "data:lyft/lyft_payments_from_user.csv"),
    ("comfortable-commuter", "user_ratings.csv", "data:lyft/lyft_user_ratings.csv"),
]


@pytest.mark.parametrize(("persona", "part", "reference"), SAME_FORMAT)
def test_persona_file_is_read_by_the_importer_that_reads_the_real_format(persona, part, reference, request):
    matches = [name for name in claimed(persona) if part in name]
    assert matches, f"no file of {persona} matches {part!r}"
    where, relative = reference.split(":", 1)
    base = request.getfixturevalue("shared_fixtures") if where == "fixtures" else REPO / "tests" / "data"
    real = claim(discover([base / relative]).files)[0]
    assert real, f"{reference} is not claimed by any importer"
    for name in matches:
        assert claimed(persona)[name][1] == real[0].importer.id, name


BANK_LAYOUTS = [
    ("night-shift-nurse", "Monzo Data Export", "Monzo"),
    ("gig-driver", "Chase1234", "Chase checking"),
    ("gig-driver", "Chase5678", "Chase credit card"),
    ("comfortable-commuter", "transaction_download.csv", "Capital One"),
]


@pytest.mark.parametrize(("persona", "part", "bank"), BANK_LAYOUTS)
def test_bank_statements_are_recognised_as_their_named_bank(persona, part, bank):
    name = next(n for n in claimed(persona) if part in n)
    _, report = loaded(persona, name)
    assert bank.lower() in report.detail.lower()


def test_capital_one_sample_reads_like_the_real_capital_one_file(shared_fixtures):
    real_ref = discover([shared_fixtures / "bank_csv/capital_one_card/capitalone.csv"]).files[0]
    real_claim = claim([real_ref])[0][0]
    _, real_report = import_file(real_ref, real_claim.importer)
    name = next(n for n in claimed("comfortable-commuter") if "transaction_download" in n)
    _, report = loaded("comfortable-commuter", name)
    assert report.detail == real_report.detail


# --- malformed records ------------------------------------------------------------------


@pytest.mark.parametrize("persona", SHIPPED)
def test_only_the_documented_malformed_records_are_skipped(persona):
    truth = truth_of(persona)
    documented = {(item["file"], item["record"]) for item in truth["malformed"]}
    assert 1 <= len(documented) <= 2
    skipped = set()
    for name in claimed(persona):
        _, report = loaded(persona, name)
        assert report.error is None, f"{name}: {report.error}"
        for group in report.skipped.values():
            assert group.count == len(group.records)
            skipped |= {(name, record) for record in group.records}
    assert skipped == documented
    readme = (SAMPLES / persona / "README.md").read_text()
    for file, record in documented:
        assert f"`{file}`, record {record}" in readme


# --- the ground truth -------------------------------------------------------------------


def _vocabulary() -> set[str]:
    return set(yaml.safe_load((REPO / "rules" / "signals.yaml").read_text())["signals"])


@pytest.mark.parametrize("persona", SHIPPED)
def test_every_planted_signal_is_in_the_shared_vocabulary(persona):
    signals = {entry["signal"] for entry in truth_of(persona)["signals"]}
    assert signals <= _vocabulary()
    assert signals == set(PERSONAS[persona].signals), "a described signal was never planted"


@cache
def _records_of(persona: str, file: str) -> tuple[str, list]:
    """A file's records as the file holds them, split without any importer."""
    ref, _ = claimed(persona)[file]
    data = ref.read_bytes()
    name = ref.name.lower()
    if name.endswith(".csv"):
        return "lines", data.decode("utf-8-sig").splitlines()
    if name.endswith(".ofx"):
        return "ofx", data.decode("cp1252").split("<STMTTRN>")[1:]
    if name.endswith(".vcf"):
        return "lines", data.decode("utf-8").splitlines()
    if name.endswith(".js"):  # the X archive: a JSON array behind "window.YTD.<name>.part0 ="
        data = data[data.index(b"=") + 1 :]
    document = json.loads(data)
    if isinstance(document, dict):
        keys = ("locations", "timelineObjects", "semanticSegments", "friends_v2", "relationships_following")
        document = document[next(k for k in keys if k in document)]
    return "json", document


def _raw_record(persona: str, file: str, record: int) -> str:
    """One record's text: CSV line (1-based), OFX transaction or JSON array item (0-based)."""
    how, records = _records_of(persona, file)
    if how == "lines":
        return records[record - 1]
    if how == "ofx":
        return records[record]
    return json.dumps(records[record], ensure_ascii=False)


KIND_OF_IMPORT = {
    "visits": "visits", "activities": "activities", "transactions": "transactions", "trips": "trips", "ratings": "ratings",
    "tolls": "tolls", "orders": "orders", "posts": "posts", "contacts": "contacts",
}  # fmt: skip


@pytest.mark.parametrize("persona", SHIPPED)
def test_truth_points_at_records_that_exist_and_hold_the_planted_text(persona):
    checked = 0
    for entry in truth_of(persona)["signals"]:
        for evidence in entry["evidence"]:
            frames, _ = loaded(persona, evidence["file"])
            kept = set(frames[KIND_OF_IMPORT[evidence["kind"]]]["record"])
            for record in evidence["records"]:
                assert record in kept, f"{entry['signal']}: {evidence['file']} record {record} was not loaded"
                raw = _raw_record(persona, evidence["file"], record)
                assert any(text in raw for text in evidence["text"]), (entry["signal"], evidence["file"], record, raw[:200])
                checked += 1
    assert checked > 100


def test_truth_records_of_a_csv_are_its_physical_lines():
    truth = truth_of("gig-driver")
    nsf = next(e for e in truth["signals"] if e["signal"] == "returned-payment")["evidence"][0]
    lines = (SAMPLES / "gig-driver" / nsf["file"]).read_text().splitlines()
    assert "INSUFFICIENT FUNDS FEE" in lines[nsf["records"][0] - 1]


# --- the same life in every source ------------------------------------------------------


def _row(persona: str, evidence: dict) -> pd.Series:
    frames, _ = loaded(persona, evidence["file"])
    frame = frames[evidence["kind"]]
    rows = frame[frame["record"] == evidence["record"]]
    assert len(rows) == 1, evidence
    return rows.iloc[0]


def _metres(lat1, lon1, lat2, lon2) -> float:
    import math

    dx = (lon2 - lon1) * 111_320 * math.cos(math.radians(lat1))
    dy = (lat2 - lat1) * 110_540
    return math.hypot(dx, dy)


def _local_naive(time: pd.Timestamp, offset_min, tz: str) -> pd.Timestamp:
    """Local wall-clock time of a row: UTC plus its offset (0 where the bank wrote local
    time); a row without an offset holds a true UTC instant, read in the persona's zone."""
    if pd.isna(offset_min):
        return time.tz_convert(tz).tz_localize(None)
    return (time + pd.Timedelta(minutes=int(offset_min))).tz_localize(None)


@pytest.mark.parametrize("persona", SHIPPED)
def test_linked_events_line_up_across_sources_in_time_and_place(persona):
    events = truth_of(persona)["linked_events"]
    assert len(events) >= 3
    tz = PERSONAS[persona].timezone
    for event in events:
        when = pd.Timestamp(event["time"])
        kinds = {e["kind"] for e in event["evidence"]}
        files = {e["file"] for e in event["evidence"]}
        assert {"visits", "transactions"} <= kinds and len(files) >= 2, event
        for evidence in event["evidence"]:
            row = _row(persona, evidence)
            if evidence["kind"] == "visits":
                assert row["start"] - pd.Timedelta(minutes=20) <= when <= row["end"], event
                assert _metres(row["lat"], row["lon"], event["lat"], event["lon"]) < 150
            elif evidence["kind"] == "transactions":
                if row["has_time"]:
                    local = _local_naive(row["time"], row["utc_offset_min"], tz)
                    event_local = when.tz_convert(tz).tz_localize(None)
                    assert event_local - pd.Timedelta(hours=1) <= local <= event_local + pd.Timedelta(hours=8), event
                else:
                    assert abs((row["time"].date() - when.tz_convert(tz).date()).days) <= 1, event
            elif evidence["kind"] == "trips":
                if pd.notna(row["pickup_lat"]):
                    assert _metres(row["pickup_lat"], row["pickup_lon"], event["lat"], event["lon"]) < 300, event
                assert when <= row["requested"] <= when + pd.Timedelta(hours=8), event


def test_a_night_out_is_a_visit_a_payment_and_a_ride_home():
    nights = [e for e in truth_of("night-shift-nurse")["linked_events"] if e["event"].startswith("an evening at the pub")]
    with_ride = [e for e in nights if any(x["kind"] == "trips" for x in e["evidence"])]
    assert len(with_ride) >= 5
    event = with_ride[0]
    by_kind = {e["kind"]: _row("night-shift-nurse", e) for e in event["evidence"]}
    assert {"visits", "transactions", "trips", "activities"} <= set(by_kind)
    visit, ride = by_kind["visits"], by_kind["trips"]
    # The ride leaves from the pub when the visit ends.
    assert abs(ride["start"] - visit["end"]) < pd.Timedelta(minutes=5)
    assert _metres(ride["pickup_lat"], ride["pickup_lon"], visit["lat"], visit["lon"]) < 100


# --- the stories the README tells -------------------------------------------------------


def test_gig_driver_balance_goes_negative_and_fees_follow():
    name = next(n for n in claimed("gig-driver") if "Chase1234" in n)
    frames, _ = loaded("gig-driver", name)
    tx = frames["transactions"]
    assert (tx["balance"] < 0).any()
    assert tx["description"].str.contains("OVERDRAFT FEE").sum() >= 2
    assert tx["description"].str.contains("CASHNETUSA LOAN").sum() == 3


def test_nurse_spends_after_midnight_on_night_shifts():
    name = next(n for n in claimed("night-shift-nurse") if "Monzo" in n)
    frames, _ = loaded("night-shift-nurse", name)
    tx = frames["transactions"]
    hours = tx.loc[tx["has_time"], "time"].dt.hour
    assert (hours < 6).sum() >= 30
