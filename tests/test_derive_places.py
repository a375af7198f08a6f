"""Derived location tables (stays, places, nights) against the personas' truth and hand-made edges.

The personas are read as a person's exports are (load_dataset on the folder) and the
tables are built through AuditData, as rules read them. truth.json says where each persona
slept and worked, with the visit records behind it: the derived home and work must lie
within 150 m of those visits, and the evidence of derived rows must lead back to them.
Hand-made fixes and visits cover what the personas do not: stay-point detection, sparse
data, a holiday that is not a move, and a night across the change to summer time.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import model
from auditor.dataset import load_dataset
from auditor.derive import stays as stays_module
from auditor.engine.context import AuditData, Variant
from auditor.engine.operators import within

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "sample_exports"
NEAR_M = 150.0


@cache
def persona(name: str) -> tuple[AuditData, dict]:
    truth = json.loads((SAMPLES / name / "truth.json").read_text())
    dataset = load_dataset([SAMPLES / name])
    now = pd.Timestamp(truth["last_day"], tz="UTC") + pd.Timedelta(days=1)
    return AuditData(dataset.frames, now=now, timezone=truth["timezone"]), truth


def table(name: str, derived: str) -> pd.DataFrame:
    data, _ = persona(name)
    return data.view().table(derived)


def truth_visits(name: str, signal: str, text: str | None = None) -> pd.DataFrame:
    """The visits rows truth.json names for a signal (optionally only those with one text)."""
    data, truth = persona(name)
    visits = data.frames["visits"]
    keys = set()
    for item in next(s for s in truth["signals"] if s["signal"] == signal)["evidence"]:
        if item["kind"] == "visits" and (text is None or text in item.get("text", [])):
            keys.update((str(SAMPLES / name / item["file"]), r) for r in item["records"])
    pairs = list(zip(visits["file"].astype(str), visits["record"]))
    picked = visits[[pair in keys for pair in pairs]]
    if text is not None:  # an evidence item may list several texts: keep the visits that say this one
        says = picked[["address", "place_id", "name"]].astype("string").eq(text).fillna(False).any(axis=1)
        picked = picked[says.to_numpy()]
    return picked


def all_near(lat: float, lon: float, rows: pd.DataFrame) -> bool:
    return bool(within(rows["lat"].to_numpy(), rows["lon"].to_numpy(), lat, lon, NEAR_M).all())


def labelled(name: str, label: str) -> pd.DataFrame:
    places = table(name, "places")
    return places[places["label"].astype("string") == label].sort_values("first")


# --- the personas ------------------------------------------------------------------------------


def test_nurse_two_homes_before_and_after_her_move():
    homes = labelled("night-shift-nurse", "home")
    assert homes["home_period"].tolist() == [1, 2]
    first, second = homes.iloc[0], homes.iloc[1]
    assert all_near(first["lat"], first["lon"], truth_visits("night-shift-nurse", "home-location",
                                                              "Flat 3, 41 Globe Road, London E1 4DS, UK"))
    assert all_near(second["lat"], second["lon"], truth_visits("night-shift-nurse", "home-location",
                                                                "22 Hatherley Road, London E17 6SB, UK"))
    # the second home starts with the first night there (truth: address-churn)
    moved_in = truth_visits("night-shift-nurse", "address-churn")["start"].min()
    assert abs(second["first"] - moved_in) < pd.Timedelta(days=1)
    assert first["last"] < second["first"]
    assert (homes["status"] == "ok").all() and (homes["confidence"] > 0.5).all()


def test_nurse_works_night_shifts_at_the_hospital():
    work = labelled("night-shift-nurse", "work")
    assert len(work) == 1
    hospital = work.iloc[0]
    shifts = truth_visits("night-shift-nurse", "work-location")
    assert all_near(hospital["lat"], hospital["lon"], shifts)
    assert hospital["category"] == "hospital" and hospital["name"] == "Royal Whitechapel Hospital"
    # her shifts are work at night, and each night's evidence is the shift's own visit record
    nights = table("night-shift-nurse", "nights")
    at_work = nights[nights["status"] == "work"]
    shift_records = set(zip(shifts["file"].astype(str), shifts["record"]))
    night_records = set(zip(at_work["file"].astype(str), at_work["record"]))
    assert shift_records <= night_records
    assert 100 < len(at_work) < 200  # three or four nights a week for a year


def test_gig_driver_moved_twice():
    homes = labelled("gig-driver", "home")
    assert homes["home_period"].tolist() == [1, 2, 3]
    visits = truth_visits("gig-driver", "home-location")
    for (_, home), place_id in zip(homes.iterrows(), dict.fromkeys(visits["place_id"])):
        assert all_near(home["lat"], home["lon"], visits[visits["place_id"] == place_id])
    moves = truth_visits("gig-driver", "address-churn")["start"].sort_values().tolist()
    for home, moved_in in zip(homes.iloc[1:].itertuples(), moves):
        assert abs(home.first - moved_in) < pd.Timedelta(days=1)


def test_commuter_home_and_work_match_the_visits_google_labelled():
    for label, signal in (("home", "home-location"), ("work", "work-location")):
        rows = labelled("comfortable-commuter", label)
        assert len(rows) == 1
        assert all_near(rows.iloc[0]["lat"], rows.iloc[0]["lon"], truth_visits("comfortable-commuter", signal))
    nights = table("comfortable-commuter", "nights")
    assert (nights["status"] == "home").mean() > 0.9


def test_categories_come_from_what_the_visits_say():
    places = table("night-shift-nurse", "places")
    by_name = dict(zip(places["name"].astype("string"), places["category"].astype("string")))
    assert by_name["Kinetic Physio Clinic"] == "clinic"
    assert by_name["Boots"] == "pharmacy"
    assert by_name["The Lamb and Flag"] == "bar"
    stays = table("night-shift-nurse", "stays")
    pub = stays[stays["category"].astype("string") == "bar"]
    assert len(pub) and (pub["label"].astype("string") != "work").all()  # evenings out are not a job


def test_fixes_inside_the_exports_own_visits_make_no_second_stay():
    stays = table("night-shift-nurse", "stays")
    visits = stays[stays["from_visit"]]
    detected = stays[~stays["from_visit"]]
    assert len(visits) == len(persona("night-shift-nurse")[0].frames["visits"])
    assert visits["n_points"].sum() > 30_000  # the Records.json fixes are counted in the visits...
    overlap = [(v.start < d.end) & (d.start < v.end) for d in detected.itertuples() for v in visits.itertuples()]
    assert not any(overlap)  # ...and no detected stay overlaps one


def test_a_stay_detected_in_a_records_json_leads_back_to_its_lines(tmp_path):
    track = _track()
    locations = [{"latitudeE7": round(lat * 1e7), "longitudeE7": round(lon * 1e7), "accuracy": 12,
                  "timestamp": pd.Timestamp(t).strftime("%Y-%m-%dT%H:%M:%S.000Z")} for t, lat, lon in track]
    folder = tmp_path / "Takeout" / "Location History (Timeline)"
    folder.mkdir(parents=True)
    (folder / "Records.json").write_text(json.dumps({"locations": locations}))
    dataset = load_dataset([tmp_path])
    points = dataset.frames["points"]
    stays = AuditData(dataset.frames, now=pd.Timestamp("2024-12-31", tz="UTC")).view().table("stays")
    assert len(stays) == 2
    for row in stays.itertuples():
        records = [int(r) for r in str(row.records).split()]
        fixes = points[(points["file"].astype(str) == str(row.file)) & points["record"].isin(records)]
        assert len(fixes) == row.n_points and fixes["record"].min() == row.record
        assert str(row.file).endswith("Records.json") and row.evidence_kind == "points"
        assert fixes["time"].min() == row.start and fixes["time"].max() == row.end
        assert within(fixes["lat"].to_numpy(), fixes["lon"].to_numpy(), row.lat, row.lon, stays_module.STAY_RADIUS_M).all()
        assert all(locations[r]["latitudeE7"] == round(lat * 1e7) for r, lat in zip(fixes["record"], fixes["lat"]))


# --- hand-made fixes and visits ------------------------------------------------------------------

HOME, WORK, HOLIDAY = (51.5400, -0.1000), (51.5150, -0.0900), (50.8200, -0.1400)
T0 = pd.Timestamp("2024-03-04T00:00Z")  # a Monday


def fixes(track: list[tuple[str, float, float]]) -> pd.DataFrame:
    return model.conform("points", {
        "time": pd.to_datetime([t for t, _, _ in track], utc=True), "lat": [a for _, a, _ in track],
        "lon": [o for _, _, o in track], "importer": "google-records", "file": "Records.json",
        "record": range(len(track)), "source": "google-location",
    }, length=len(track))  # fmt: skip


def visits(rows: list[tuple[pd.Timestamp, pd.Timestamp, tuple[float, float]]]) -> pd.DataFrame:
    return model.conform("visits", {
        "start": [s for s, _, _ in rows], "end": [e for _, e, _ in rows], "lat": [p[0] for _, _, p in rows],
        "lon": [p[1] for _, _, p in rows], "importer": "google-semantic", "file": "2024_MARCH.json",
        "record": range(len(rows)), "source": "google-location",
    }, length=len(rows))  # fmt: skip


def derive(frames: dict[str, pd.DataFrame], name: str, timezone: str | None = None) -> pd.DataFrame:
    return AuditData(frames, now=pd.Timestamp("2024-12-31", tz="UTC"), timezone=timezone).view().table(name)


def _track() -> list[tuple[str, float, float]]:
    rng = np.random.default_rng(7)
    track = []
    t = pd.Timestamp("2024-03-04T08:00Z")
    for _ in range(16):  # 30 minutes at home, a fix every 2 minutes, 20 m of jitter
        track.append((t.isoformat(), HOME[0] + rng.normal(0, 0.0002), HOME[1] + rng.normal(0, 0.0003)))
        t += pd.Timedelta(minutes=2)
    for step in range(1, 40):  # walking to work: 70 m every 30 s
        f = step / 40
        track.append((t.isoformat(), HOME[0] + f * (WORK[0] - HOME[0]), HOME[1] + f * (WORK[1] - HOME[1])))
        t += pd.Timedelta(seconds=30)
    for _ in range(8):  # 15 minutes at work
        track.append((t.isoformat(), WORK[0] + rng.normal(0, 0.0002), WORK[1] + rng.normal(0, 0.0003)))
        t += pd.Timedelta(minutes=2)
    return track


def test_stay_points_are_found_in_fixes_and_walking_is_not_a_stay():
    stays = derive({"points": fixes(_track())}, "stays")
    assert len(stays) == 2 and not stays["from_visit"].any()
    home, work = stays.iloc[0], stays.iloc[1]
    assert within(np.array([home["lat"]]), np.array([home["lon"]]), *HOME, 50)[0]
    assert within(np.array([work["lat"]]), np.array([work["lon"]]), *WORK, 50)[0]
    # the first step of the walk is still within 200 m of home (Li et al.'s rule keeps it)
    assert home["n_points"] in (16, 17) and 30 <= home["duration_min"] <= 32
    assert home["record"] == 0 and str(home["records"]).split()[:3] == ["0", "1", "2"]
    assert home["evidence_kind"] == "points"


def test_a_visit_the_export_has_is_not_counted_twice():
    track = _track()
    work_from = pd.Timestamp(track[-8][0])
    frames = {"points": fixes(track), "visits": visits([(work_from, work_from + pd.Timedelta(minutes=14), WORK)])}
    stays = derive(frames, "stays")
    assert len(stays) == 2
    assert stays["from_visit"].tolist() == [False, True]
    assert stays.iloc[1]["n_points"] == 8  # the fixes inside the visit are counted, not made a stay


def _nights_at(place: tuple[float, float], first: pd.Timestamp, days: int) -> list:
    """Home from 19:00 to 08:00 and a working day at WORK, each day."""
    rows = []
    for d in range(days):
        evening = first + pd.Timedelta(days=d, hours=19)
        rows.append((evening, evening + pd.Timedelta(hours=13), place))
        if place != HOLIDAY:
            rows.append((evening + pd.Timedelta(hours=14), evening + pd.Timedelta(hours=23), WORK))
    return rows


def test_a_move_is_a_new_home_period_and_a_holiday_is_not():
    rows = (_nights_at(HOME, T0, 28) + _nights_at(HOLIDAY, T0 + pd.Timedelta(days=28), 6)
            + _nights_at(HOME, T0 + pd.Timedelta(days=34), 15) + _nights_at(WORK[:1] + (-0.2,), T0 + pd.Timedelta(days=49), 35))
    places = derive({"visits": visits(rows)}, "places")
    homes = places[places["label"] == "home"].sort_values("first")
    assert len(homes) == 2
    assert within(homes["lat"].to_numpy()[:1], homes["lon"].to_numpy()[:1], *HOME, 50)[0]
    assert homes.iloc[1]["lon"] == pytest.approx(-0.2)
    assert homes.iloc[1]["first"] == T0 + pd.Timedelta(days=49, hours=19)
    holiday = places[within(places["lat"].to_numpy(), places["lon"].to_numpy(), *HOLIDAY, 100)]
    assert holiday["label"].tolist() == ["overnight"]
    work = places[places["label"] == "work"]
    assert len(work) == 1 and within(work["lat"].to_numpy(), work["lon"].to_numpy(), *WORK, 50)[0]
    nights = derive({"visits": visits(rows)}, "nights")
    by_status = nights["status"].value_counts()
    assert by_status["away"] == 6 and by_status["home"] == 28 + 15 + 35


def test_sparse_fixes_say_not_enough_data():
    track = [(str(pd.Timestamp("2024-03-04T10:00Z") + pd.Timedelta(days=d, minutes=m)), *HOME)
             for d in range(3) for m in (0, 20)]
    places = derive({"points": fixes(track)}, "places")
    assert places["label"].tolist().count("not enough data") == 1
    assert "home" not in places["label"].tolist()
    assert places.loc[places["label"] == "not enough data", "status"].tolist() == ["not enough data"]


def test_no_location_data_gives_empty_tables():
    assert len(derive({}, "places")) == 0 and len(derive({}, "nights")) == 0


def test_a_night_across_the_change_to_summer_time_is_judged_at_the_wall_clock():
    # 2024-03-31: London clocks go from 01:00 GMT to 02:00 BST. A stay that ends at 02:30 UTC
    # on 1 April ends at 03:30 local: it covers that night's 03:00 (02:00 UTC).
    rows = _nights_at(HOME, pd.Timestamp("2024-03-18T00:00Z"), 13)
    rows.append((pd.Timestamp("2024-03-31T20:00Z"), pd.Timestamp("2024-04-01T02:30Z"), HOME))
    nights = derive({"visits": visits(rows)}, "nights", timezone="Europe/London")
    last = nights[nights["night"] == pd.Timestamp("2024-03-31", tz="UTC")]
    assert last["status"].tolist() == ["home"]
    in_utc = derive({"visits": visits(rows)}, "nights")
    assert in_utc.loc[in_utc["night"] == pd.Timestamp("2024-03-31", tz="UTC"), "status"].tolist() == ["unknown"]


def test_a_stray_fix_does_not_cut_a_stay_in_two():
    rng = np.random.default_rng(3)
    t = pd.Timestamp("2024-03-04T20:00Z")
    track = []
    for i in range(60):  # two hours on a ward, a fix every 2 minutes; one wifi fix lands 400 m away
        lat, lon = (WORK[0] + 0.0036, WORK[1]) if i == 30 else (WORK[0] + rng.normal(0, 0.0003), WORK[1] + rng.normal(0, 0.0004))
        track.append(((t + pd.Timedelta(minutes=2 * i)).isoformat(), lat, lon))
    stays = derive({"points": fixes(track)}, "stays")
    assert len(stays) == 1
    assert stays.iloc[0]["n_points"] == 59 and stays.iloc[0]["duration_min"] == 118
    assert "30" not in str(stays.iloc[0]["records"]).split()  # the stray fix is not evidence of the stay


def test_tables_are_deterministic_and_shared_by_variants_that_see_the_same_inputs():
    data, _ = persona("gig-driver")
    fresh = AuditData(data.frames, now=data.now, timezone=data.timezone).view()
    for name in ("stays", "places", "nights", "payments", "recurring", "income", "cashflow"):
        pd.testing.assert_frame_equal(fresh.table(name), data.view().table(name))
    without_bank = data.view(Variant(exclude=frozenset({"bank:Chase checking / savings", "bank:Chase credit card"})))
    assert without_bank.table("places") is data.view().table("places")  # where he slept does not need his bank
    assert len(without_bank.table("payments")) == 0
    without_location = data.view(Variant(exclude=frozenset({"google-location"})))
    assert (without_location.table("places")["label"] != "home").all()
    assert without_location.table("income") is data.view().table("income")
