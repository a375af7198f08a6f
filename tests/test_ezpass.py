"""E-ZPass statements: each crossing is a timestamped place; bookkeeping rows are not crossings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from auditor.dataset import import_file, load_dataset
from auditor.importers import ezpass
from auditor.importers.base import FileRef
from auditor.sources import claim

IMPORTER = ezpass.IMPORTERS[0]


def _load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("tolls"), report


def test_ny_statement_keeps_crossings_with_local_time_and_plaza(data_dir):
    tolls, report = _load(data_dir / "ezpass" / "statement_ny.csv")
    assert report.error is None and report.rows_read == 8
    # Lines 5 (PAYMENT) and 8 (FEE) are bookkeeping, not places: noted, never read as tolls.
    assert tolls["record"].tolist() == [2, 3, 4, 6, 7, 9]
    assert any("2 statement rows not a crossing (FEE, PAYMENT)" in note for note in report.notes)
    assert report.skipped_total == 0
    first = tolls.iloc[0]
    assert first["time"] == pd.Timestamp("2025-03-17 07:42:10", tz="UTC")  # wall clock, offset 0
    assert first["utc_offset_min"] == 0 and bool(first["has_time"])
    assert (first["agency"], first["plaza"], first["amount"]) == ("GSP", "49 - Union Toll Plaza", 1.91)
    tunnel = tolls.set_index("record").loc[4]
    assert (tunnel["entry_plaza"], tunnel["plaza"]) == ("13 - Elizabeth", "16E - Lincoln Tunnel")
    # A dash means "not applicable": a barrier toll has no entry plaza.
    assert tolls.set_index("record").loc[[2, 3, 6, 7], "entry_plaza"].isna().all()
    assert tolls["plaza"].iloc[-1] == "49 - Union Toll Plaza, Southbound"  # quoted comma
    assert (tolls["amount"] > 0).all() and set(tolls["currency"]) == {"USD"}
    assert set(tolls["source"]) == {"ezpass"} and set(tolls["tag"]) == {"505000605"}
    assert tolls.set_index("record").loc[7, "time"] == pd.Timestamp("2025-03-20 00:12:07", tz="UTC")


def test_description_variant_skips_bad_dates_and_notes_credits(data_dir):
    tolls, report = _load(data_dir / "ezpass" / "statement_description.csv")
    assert tolls["record"].tolist() == [2, 3]
    skipped = {group.reason: group.records for group in report.skipped.values()}
    assert skipped == {
        "transaction date is not M/D/YYYY (e.g. '13/45/2024')": [4],
        "no transaction date": [5],
    }
    assert any("CREDIT" in note for note in report.notes)


def test_turnpike_layout_gives_dates_only(data_dir):
    tolls, report = _load(data_dir / "ezpass" / "turnpike.csv")
    assert tolls["plaza"].tolist() == ["Harrisburg East #247", "Valley Forge #326"]
    assert tolls["amount"].tolist() == [4.90, 9.70]
    assert not tolls["has_time"].any()
    assert tolls["time"].tolist() == [
        pd.Timestamp("2025-02-01", tz="UTC"),
        pd.Timestamp("2025-02-02", tz="UTC"),
    ]
    assert "dates only" in report.timezone


@pytest.mark.parametrize(
    ("name", "claimed_by"),
    [("statement_ny.csv", "ezpass"), ("turnpike.csv", "ezpass"), ("not_ezpass.csv", "bank-csv")],
)
def test_claimed_by_content_not_name(data_dir, tmp_path, name, claimed_by):
    renamed = tmp_path / "download (3).csv"
    shutil.copy(data_dir / "ezpass" / name, renamed)
    claims, _ = claim([FileRef(renamed)])
    assert [c.importer.id for c in claims] == [claimed_by]


def test_missing_columns_is_a_clear_message(data_dir):
    with pytest.raises(ezpass.BadInput, match="missing E-ZPass columns"):
        ezpass.load(FileRef(data_dir / "ezpass" / "missing_amount.csv"), ezpass.ImportReport("x"))
    _, report = _load(data_dir / "ezpass" / "missing_amount.csv")
    assert "expected an E-ZPass statement CSV" in (report.error or "")


def test_statement_loads_into_the_dataset(data_dir):
    dataset = load_dataset([data_dir / "ezpass" / "statement_ny.csv", data_dir / "ezpass" / "turnpike.csv"])
    assert len(dataset.frames["tolls"]) == 8
    assert dataset.frames["tolls"]["time"].is_monotonic_increasing
