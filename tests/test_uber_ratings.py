"""Uber ratings received: one row per rating, and the profile's current rating only."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditor.dataset import import_file
from auditor.importers import uber_ratings
from auditor.importers.base import FileRef, Head
from auditor.sources import read_head

IMPORTER = uber_ratings.IMPORTERS[0]
PII = ("Avery", "Quintero-Lindqvist", "avery.quintero.lindqvist@example.org", "+12065550187", "AVERYQ123")


def _load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("ratings"), report


def test_lifetime_ratings_one_row_each_without_time(data_dir):
    path = data_dir / "uber-ratings" / "rider_lifetime_ratings_received-0.csv"
    lines = path.read_text().splitlines()
    ratings, report = _load(path)
    assert report.error is None
    assert len(ratings) == len(lines) - 1 == 10
    assert ratings["value"].tolist() == [float(v) for v in lines[1:]]
    assert ratings["time"].isna().all()
    assert not ratings["aggregate"].any()
    assert set(ratings["direction"]) == {"received"} and set(ratings["scale"]) == {5.0}
    assert set(ratings["provider"]) == {"uber"} and set(ratings["source"]) == {"uber"}
    assert ratings["record"].tolist() == list(range(2, 12))


def test_profile_gives_the_current_rating_and_nothing_personal(data_dir):
    ratings, report = _load(data_dir / "uber-ratings" / "user_profile-0.csv")
    assert report.error is None
    assert len(ratings) == 1
    assert ratings["value"].iloc[0] == pytest.approx(4.91)
    assert bool(ratings["aggregate"].iloc[0]) is True
    everything = " ".join(
        [
            *ratings.astype("string").fillna("").to_numpy().ravel(),
            *report.notes,
            report.detail,
            *report.skipped,
        ]
    )
    for secret in PII:
        assert secret not in everything


def test_bad_ratings_are_skipped_with_reasons(tmp_path):
    path = tmp_path / "rider_lifetime_ratings_received-0.csv"
    path.write_text("five_star_rating\n5\n\nsix\n0\n4\n,\n")
    ratings, report = _load(path)
    assert ratings["value"].tolist() == [5.0, 4.0]
    assert ratings["record"].tolist() == [2, 6]
    assert report.skipped["five_star_rating is not a rating from 1 to 5 (e.g. 'six')"].records == [4, 5]
    assert report.skipped["has 2 fields where the header has 1"].records == [7]


def test_profile_without_rating_value_is_counted(tmp_path):
    path = tmp_path / "user_profile-0.csv"
    path.write_text("First Name,E-Mail,Rating\nAvery,a@example.org,\n")
    ratings, report = _load(path)
    assert len(ratings) == 0
    assert report.skipped["Rating is empty"].records == [2]
    assert "a@example.org" not in " ".join(report.skipped)


def test_sniff(data_dir, tmp_path):
    assert (
        uber_ratings.sniff(
            read_head(FileRef(data_dir / "uber-ratings" / "rider_lifetime_ratings_received-0.csv"))
        )
        == 0.95
    )
    assert uber_ratings.sniff(read_head(FileRef(data_dir / "uber-ratings" / "user_profile-0.csv"))) == 0.9
    # A film-ratings CSV has a Rating column but none of the profile's fields.
    films = b"Title,Year,Rating\nAlien,1979,5\n"
    assert uber_ratings.sniff(Head(FileRef(tmp_path / "x.csv"), films)) == 0.0
    assert uber_ratings.sniff(read_head(FileRef(data_dir / "uber" / "2025" / "trips_data-0.csv"))) == 0.0
    assert uber_ratings.sniff(Head(FileRef(tmp_path / "x"), b"\xff\xfe\x00\x00")) == 0.0


def test_rider_ratings_say_whose_rating_they_are(data_dir):
    from auditor.dataset import load_dataset

    dataset = load_dataset([data_dir / "uber-ratings"])
    assert len(dataset["ratings"]) > 0
    assert set(dataset["ratings"]["role"]) == {"rider"}
