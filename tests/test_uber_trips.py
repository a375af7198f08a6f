"""Uber rider trips, all three generations (formats.md §3.1 (A), (B), (C))."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from auditor.dataset import import_file
from auditor.importers import uber_trips
from auditor.importers.base import FileRef, Head
from auditor.sources import claim, discover, read_head

IMPORTER = uber_trips.IMPORTERS[0]
CANONICAL_STATUSES = {"completed", "rider_canceled", "driver_canceled", "unfulfilled", "failed"}


def _load(path: Path):
    frames, report = import_file(FileRef(path), IMPORTER)
    return frames.get("trips"), report


def _data_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def _no_1970(trips: pd.DataFrame) -> None:
    for column in ("requested", "start", "end"):
        assert not (trips[column].dt.year < 1990).any(), column


# --- The shared real-layout sample (synthetic values, short 2025 header) ----------------


def test_shared_short_sample_loads_every_row(shared_fixtures):
    path = shared_fixtures / "uber" / "trips_data_v3_short" / "sample_trips_data.csv"
    rows = _data_rows(path)
    trips, report = _load(path)
    assert report.error is None
    assert len(trips) == len(rows) == 1234
    assert report.skipped_total == 0
    assert report.detail == uber_trips.SHORT_EXPORT.name
    # Its times carry no offset (real files say Z): read as UTC, and the person is told.
    assert "1234 request times carry no UTC offset; read as UTC" in report.notes
    first = trips.iloc[0]
    assert first["requested"] == _utc("2017-02-27 12:18:00")
    assert first["end"] == _utc("2017-02-27 12:44:00")
    assert first["fare"] == pytest.approx(11.38)
    assert first["currency"] == "USD"
    assert first["distance_km"] == pytest.approx(3.69 * 1.609344)
    assert (first["pickup_lat"], first["pickup_lon"]) == (40.7587, -73.9787)
    assert first["pickup_address"] == "Rockefeller Center"
    assert set(trips["status"].astype(str)) <= CANONICAL_STATUSES
    assert set(trips["currency"].astype(str)) == {r["fare_currency"] for r in rows}
    assert trips["fare"].sum() == pytest.approx(sum(float(r["fare_amount"]) for r in rows))
    assert (trips["service"] == "ride").all() and (trips["provider"] == "uber").all()
    assert (trips["source"] == "uber").all()
    assert trips["utc_offset_min"].isna().all()


def test_shared_sample_is_claimed_by_this_importer_only(shared_fixtures):
    found = discover([shared_fixtures])
    claims, _ = claim(found.files)
    mine = {c.ref.display for c in claims if c.importer.id == IMPORTER.id}
    assert mine == {str(shared_fixtures / "uber" / "trips_data_v3_short" / "sample_trips_data.csv")}


# --- (A) Title Case trips_data.csv ------------------------------------------------------


def test_title_case_file_reads_placeholders_as_missing(data_dir):
    path = data_dir / "uber" / "2022" / "trips_data.csv"
    trips, report = _load(path)
    assert report.error is None
    assert report.detail == uber_trips.TITLE_CASE.name
    assert len(trips) == len(_data_rows(path)) == 6
    _no_1970(trips)
    assert trips["status"].astype(str).tolist() == [
        "completed",
        "completed",
        "rider_canceled",
        "driver_canceled",
        "unfulfilled",
        "completed",
    ]
    cancelled = trips.iloc[2]
    assert cancelled["requested"] == _utc("2019-01-20 08:03:41")
    assert pd.isna(cancelled["start"]) and pd.isna(cancelled["end"])
    assert pd.isna(cancelled["pickup_lat"])
    assert cancelled["dropoff_address"] == "1 Market St, San Francisco, CA 94105, US"
    assert (
        "3 begin trip time values were the 1970-01-01 placeholder written on trips that never "
        "began or ended; read as missing"
    ) in report.notes
    first = trips.iloc[0]
    assert first["start"] == _utc("2018-08-15 19:29:30")
    assert first["distance_km"] == pytest.approx(1.58 * 1.609344)
    assert first["pickup_address"] == "444 De Haro St, San Francisco, CA 94107, US"
    assert pd.isna(trips.iloc[4]["product"])  # Product Type is empty on UNFULFILLED
    assert trips.iloc[5]["currency"] == "BRL" and trips.iloc[5]["fare"] == pytest.approx(38.92)
    assert trips["record"].tolist() == [2, 3, 4, 5, 6, 7]
    assert "UTC" in report.timezone


# --- (B) 2023+ full export --------------------------------------------------------------


def test_full_export_takes_offsets_from_the_timezone_column(data_dir):
    path = data_dir / "uber" / "2023" / "trips_data-0.csv"
    trips, report = _load(path)
    assert report.error is None
    assert report.detail == uber_trips.FULL_EXPORT.name
    assert len(trips) == len(_data_rows(path)) == 7
    _no_1970(trips)
    # Seattle winter and summer, London summer, Nairobi, Kolkata (+5:30), Paris (no
    # timezone name: from the false-Z local column), Seattle on New Year's Eve.
    assert trips["utc_offset_min"].tolist() == [-480, -420, 60, 180, 330, 120, -480]
    first = trips.iloc[0]
    assert first["requested"] == _utc("2023-03-04 06:12:40")  # the UTC column, not the false-Z local one
    assert first["fare"] == pytest.approx(24.87)  # the tip (5.00) is not added
    assert first["currency"] == "USD"
    assert first["distance_km"] == pytest.approx(6.31 * 1.609344)
    assert first["pickup_address"] == "1100 E Pike St, Seattle, WA 98122, US"
    assert first["city"] == "Seattle" and first["product"] == "UberX"
    assert "1 trip without a usable timezone name" in " ".join(report.notes)
    assert any(
        note.startswith("1 trips have a tip (tip_amount_local_currency, 5.00 USD in all)")
        for note in report.notes
    )


def test_full_export_cancelled_trip_keeps_its_fee_and_places(data_dir):
    trips, _ = _load(data_dir / "uber" / "2023" / "trips_data-0.csv")
    cancelled = trips.iloc[1]
    assert cancelled["status"] == "rider_canceled"
    assert cancelled["fare"] == pytest.approx(5.00)
    assert pd.isna(cancelled["start"]) and pd.isna(cancelled["end"])
    # No begin point: where the rider asked from. No drop-off: the destination typed.
    assert (cancelled["pickup_lat"], cancelled["pickup_lon"]) == (47.6097, -122.3331)
    assert (cancelled["dropoff_lat"], cancelled["dropoff_lon"]) == (47.4502, -122.3088)
    assert trips.iloc[3]["status"] == "driver_canceled" and trips.iloc[3]["currency"] == "KES"
    assert trips.iloc[6]["status"] == "unfulfilled"  # no_car_available


def test_split_file_reads_on_its_own(data_dir):
    path = data_dir / "uber" / "2023" / "trips_data-1.csv"
    trips, report = _load(path)
    assert len(trips) == len(_data_rows(path)) == 2
    assert trips["status"].astype(str).tolist() == ["completed", "completed"]
    assert "1 row with status fare_split read as completed" in report.notes[0]
    # An unknown zone name: the offset still comes from the local column, with a note.
    assert trips["utc_offset_min"].tolist() == [-480, -480]
    assert "time zone name(s) not recognised: Mars/Olympus_Mons" in report.notes
    assert trips["record"].tolist() == [2, 3]


def test_full_export_address_aliases_and_daylight_saving_end(data_dir):
    trips, report = _load(data_dir / "uber" / "2023-alias" / "rider_lifetime_trips-0.csv")
    assert report.error is None
    assert trips["pickup_address"].iloc[0] == "Alexanderplatz, 10178 Berlin, Deutschland"
    assert trips["dropoff_address"].tolist() == [
        "Oranienstraße, 10999 Berlin, Deutschland",
        "Berlin Hauptbahnhof, 10557 Berlin, Deutschland",
    ]
    # 01:30 UTC on 27 October 2024 is after Berlin left summer time.
    assert trips["utc_offset_min"].tolist() == [60, 120]
    assert pd.isna(trips["fare"].iloc[1])


# --- (C) 2025 short export --------------------------------------------------------------


def test_short_export_maps_currency_names(data_dir):
    path = data_dir / "uber" / "2025" / "trips_data-0.csv"
    trips, report = _load(path)
    assert report.error is None
    assert len(trips) == len(_data_rows(path)) == 8
    _no_1970(trips)
    assert trips["currency"].astype("string").tolist() == [
        "KES",
        "USD",
        "USD",
        "USD",
        "KES",
        "EUR",
        pd.NA,
        "KES",
    ]
    assert "currency name 'Naira Nouveau' not recognised (1 row); currency left missing" in report.notes
    assert trips.iloc[6]["fare"] == pytest.approx(8450.0)  # the row and amount stay
    assert trips.iloc[0]["requested"] == _utc("2025-09-06 11:26:45")
    assert trips.iloc[0]["distance_km"] == pytest.approx(9.59 * 1.609344)
    assert not any("carry no UTC offset" in note for note in report.notes)


def test_short_export_cancellation_fee_is_kept(data_dir):
    trips, _ = _load(data_dir / "uber" / "2025" / "trips_data-0.csv")
    fee = trips.iloc[1]
    assert fee["status"] == "rider_canceled"
    assert fee["fare"] == pytest.approx(7.86)
    assert pd.isna(fee["start"]) and pd.isna(fee["end"])
    assert pd.isna(fee["pickup_address"])  # written as "" in the file
    assert trips["status"].astype(str).tolist()[3:5] == ["driver_canceled", "unfulfilled"]
    assert trips.iloc[7]["status"] == "failed"


# --- Recognition ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relative",
    [
        "uber/2022/trips_data.csv",
        "uber/2023/trips_data-0.csv",
        "uber/2023/trips_data-1.csv",
        "uber/2023-alias/rider_lifetime_trips-0.csv",
        "uber/2025/trips_data-0.csv",
    ],
)
def test_sniff_recognises_every_generation(data_dir, relative):
    assert uber_trips.sniff(read_head(FileRef(data_dir / relative))) == 0.95


def test_sniff_recognises_by_header_not_by_name(data_dir, tmp_path):
    renamed = tmp_path / "mes_trajets.csv"
    renamed.write_bytes((data_dir / "uber" / "2025" / "trips_data-0.csv").read_bytes())
    assert uber_trips.sniff(read_head(FileRef(renamed))) == 0.95


@pytest.mark.parametrize(
    "header",
    [
        # Lyft's rides, a Bolt-style ride history, a bank CSV, binary bytes.
        b"status,requested_timestamp,requested_lat,requested_lng,pickup_timestamp,dropoff_timestamp\n",
        b"Date,Pickup,Destination,Price,Currency,Status\n",
        b"Date,Description,Amount,Balance\n",
        b"\x00\x01PK\x03\x04\xff",
        b"",
    ],
)
def test_sniff_declines_other_files(tmp_path, header):
    path = tmp_path / "trips_data.csv"
    path.write_bytes(header)
    assert uber_trips.sniff(Head(FileRef(path), header)) == 0.0


def test_sniff_declines_driver_files(data_dir, tmp_path):
    driver = tmp_path / "Driver" / "driver_lifetime_trips-0.csv"
    driver.parent.mkdir()
    driver.write_bytes((data_dir / "uber" / "2023" / "trips_data-0.csv").read_bytes())
    assert uber_trips.sniff(read_head(FileRef(driver))) == 0.0


# --- Bad input --------------------------------------------------------------------------


def _variant(tmp_path: Path, source: Path, edit, name: str = "trips_data-0.csv") -> Path:
    text = source.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(edit(text), encoding="utf-8")
    return path


def test_missing_columns_are_named(data_dir, tmp_path):
    source = data_dir / "uber" / "2025" / "trips_data-0.csv"

    def drop_fare(text: str) -> str:
        lines = text.splitlines()
        return "\n".join(",".join(line.split(",")[:-2]) for line in lines[:1]) + "\n"

    path = _variant(tmp_path, source, drop_fare)
    assert uber_trips.sniff(read_head(FileRef(path))) == 0.6  # claimed, so the message is seen
    trips, report = _load(path)
    assert trips is None
    assert report.error == (
        "missing columns fare_amount, fare_currency; expected the header of Uber's 2025 trips_data-0.csv "
        "(city,product_type,status,request_time,...)"
    )


def test_bad_rows_are_skipped_with_their_line_and_the_rest_loads(data_dir, tmp_path):
    source = data_dir / "uber" / "2022" / "trips_data.csv"

    def damage(text: str) -> str:
        lines = text.splitlines()
        lines[1] = lines[1].replace("2018-08-15 19:27:02 +0000 UTC", "yesterday evening")
        lines[2] = lines[2].replace("2018-09-02 01:14:55 +0000 UTC", "1970-01-01 00:00:00 +0000 UTC")
        lines[3] = lines[3] + ",extra"
        return "\r\n".join(lines) + "\r\n"

    trips, report = _load(_variant(tmp_path, source, damage, "trips_data.csv"))
    assert len(trips) == 3
    assert trips["record"].tolist() == [5, 6, 7]
    reasons = {reason: group.records for reason, group in report.skipped.items()}
    assert reasons == {
        "request time is not a time between 1990 and 2100 (e.g. 'yesterday evening')": [2, 3],
        "has 16 fields where the header has 15": [4],
    }
    assert report.rows_read == 6


def test_empty_and_header_only_files(tmp_path, data_dir):
    empty = tmp_path / "trips_data.csv"
    empty.write_bytes(b"")
    assert _load(empty)[1].error == "the file is empty; expected a CSV header line"
    header_only = tmp_path / "trips_data-0.csv"
    header_only.write_text(
        (data_dir / "uber" / "2025" / "trips_data-0.csv").read_text().splitlines()[0] + "\n"
    )
    trips, report = _load(header_only)
    assert report.error is None and len(trips) == 0


def test_bom_and_crlf_as_windows_tools_save_it(data_dir, tmp_path):
    source = data_dir / "uber" / "2025" / "trips_data-0.csv"
    path = tmp_path / "trips_data-0.csv"
    path.write_bytes(b"\xef\xbb\xbf" + source.read_bytes().replace(b"\n", b"\r\n"))
    assert uber_trips.sniff(read_head(FileRef(path))) == 0.95
    trips, report = _load(path)
    assert len(trips) == 8 and report.skipped_total == 0
    assert trips["city"].iloc[0] == "Nairobi"
