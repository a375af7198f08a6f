"""The zone UTC-only rows are read in when the person did not name one: inferred from their exports."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from auditor import model, resources
from auditor.dataset import load_dataset
from auditor.timezones import MIN_DAYS, choose_zone, infer_zone

PERSONAS = ("night-shift-nurse", "gig-driver", "comfortable-commuter")


def visits(starts_utc: list[str], offsets: list[int]) -> dict[str, pd.DataFrame]:
    start = pd.to_datetime(starts_utc, utc=True)
    frame = model.conform(
        "visits",
        {
            "start": start,
            "end": start + pd.Timedelta(hours=1),
            "utc_offset_min": offsets,
            "lat": [51.5] * len(start),
            "lon": [-0.1] * len(start),
            "importer": "google-ondevice",
            "file": "Timeline.json",
            "record": range(len(start)),
            "source": "google",
        },
    )
    return {"visits": frame}


def days(year: int, months: range | list[int]) -> list[str]:
    return [f"{year}-{month:02d}-{day:02d}T12:00:00Z" for month in months for day in (3, 10, 17, 24)]


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_lived_in_the_zone_its_exports_state(persona):
    folder = resources.persona_dir(persona)
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    dataset = load_dataset([folder])
    found = infer_zone(dataset.frames)
    assert found.zone == truth["timezone"], found.basis
    assert found.basis.startswith(f"{truth['timezone']}, inferred")


def test_summer_time_alone_tells_london_from_lagos():
    # London states +60 only in summer (its winter 0 is no evidence); Lagos is +60 all year.
    summer = days(2024, range(4, 10))
    assert infer_zone(visits(summer, [60] * len(summer))).zone == "Europe/London"
    year = days(2024, range(1, 13))
    assert infer_zone(visits(year, [60] * len(year))).zone == "Africa/Lagos"


def test_a_zone_must_follow_the_clock_changes():
    # +60 in winter and +120 in summer is central Europe, not a fixed +60 or +120 zone.
    winter, summer = days(2024, [1, 2, 11, 12]), days(2024, [5, 6, 7, 8])
    found = infer_zone(visits(winter + summer, [60] * len(winter) + [120] * len(summer)))
    assert found.zone == "Europe/Paris"
    assert "100% of 32 days" in found.basis


def test_a_traveller_gets_utc_and_is_told_why():
    half = days(2024, range(1, 7))
    other = days(2024, range(7, 13))
    found = infer_zone(visits(half + other, [-300] * len(half) + [540] * len(other)))
    assert found.zone is None
    assert "fit no single time zone" in found.basis and "set --timezone" in found.basis


def test_zero_offsets_and_too_few_days_are_no_evidence():
    # Wall-clock times, 'Z' and date-only rows are all stored with offset 0 (model.py).
    year = days(2024, range(1, 13))
    assert infer_zone(visits(year, [0] * len(year))).zone is None
    few = days(2024, [6])[: MIN_DAYS - 1]
    found = infer_zone(visits(few, [120] * len(few)))
    assert found.zone is None and f"only {len(few)} day(s)" in found.basis


def test_utc_only_exports_say_so(data_dir: Path):
    records = next(data_dir.rglob("Records.json"))
    dataset = load_dataset([records])
    assert len(dataset.frames["points"]) > 0
    found = infer_zone(dataset.frames)
    assert found.zone is None and found.basis.startswith("UTC: no export states a local offset")


def test_a_named_zone_wins():
    year = days(2024, range(1, 13))
    chosen = choose_zone("Asia/Tokyo", visits(year, [60] * len(year)))
    assert chosen.zone == "Asia/Tokyo" and "--timezone" in chosen.basis


def test_a_persons_own_copy_is_read_in_the_zone_its_exports_show(tmp_path):
    """The gig driver's files outside sample_exports (no truth.json): the same zone, the same late rides."""
    import shutil

    from auditor.pipeline import run_audit

    copy = tmp_path / "my-exports"
    shutil.copytree(resources.persona_dir("gig-driver"), copy, ignore=shutil.ignore_patterns("truth.json"))
    own = run_audit([copy], packs=["sesame"], ablation=False)
    assert own.timezone == "America/Chicago"
    assert own.timezone_basis.startswith("America/Chicago, inferred")
    persona = run_audit(
        [resources.persona_dir("gig-driver")], packs=["sesame"], timezone="America/Chicago", ablation=False
    )
    assert persona.timezone_basis == "America/Chicago, where this sample persona lives"

    def late_rides(result):
        finding = next(f for f in result.packs[0].findings if f.rule == "late-night-paid-rides")
        trips = result.frame("trips")
        return finding.outcome, sorted(trips["record"].to_numpy()[finding.evidence].tolist())

    assert late_rides(own) == late_rides(persona)
    assert late_rides(own)[0] == "fired" and len(late_rides(own)[1]) == 7


def test_a_zone_chosen_once_is_handed_in_and_not_chosen_again(monkeypatch):
    """Front ends read truth.json once (given_zone) and pass the zone in; re-evaluating the same
    dataset with a result's own local_time neither reads truth.json nor infers the zone again."""
    from auditor import pipeline

    gig = resources.persona_dir("gig-driver")
    given = pipeline.given_zone([gig])
    assert given == pipeline.LocalTime("America/Chicago", "America/Chicago, where this sample persona lives")
    assert pipeline.given_zone([gig], "Asia/Tokyo").basis == "Asia/Tokyo, as set with --timezone"
    assert pipeline.given_zone([gig.parent / "no-such-persona"]) is None
    first = pipeline.run_audit([gig], packs=["sesame"], ablation=False, local=given)
    assert (first.timezone, first.timezone_basis) == (given.zone, given.basis)

    def refuse(*args, **kwargs):
        raise AssertionError("the zone was chosen again")

    monkeypatch.setattr(pipeline, "choose_zone", refuse)
    monkeypatch.setattr(pipeline.resources, "persona_timezone", refuse)
    again = pipeline.run_audit([gig], packs=["sesame"], ablation=False, dataset=first.dataset, local=first.local_time)
    assert again.local_time == first.local_time
    assert [(f.rule, f.outcome, f.value) for f in again.packs[0].findings] == [
        (f.rule, f.outcome, f.value) for f in first.packs[0].findings
    ]
