"""The parsing shared by the ride-hail and delivery importers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from auditor.importers import rideshare_common as rc
from auditor.importers.base import BadInput, FileRef, Head, ImportReport


def _report() -> ImportReport:
    return ImportReport(path="test")


def _write(tmp_path: Path, text: str | bytes, name: str = "file.csv") -> FileRef:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return FileRef(path)


# --- Currencies -------------------------------------------------------------------------


def test_currency_names_and_codes_map_to_iso_codes():
    report = _report()
    values = pd.Series(
        [
            "United States Dollar",
            "Kenyan Shilling",
            "Euro",
            "USD",
            "  british   pound ",
            "Japanese Yen",
            None,
            "eur",
        ],
        dtype="string",
    )
    codes = rc.currency_codes(values, report)
    assert codes.tolist() == ["USD", "KES", "EUR", "USD", "GBP", "JPY", pd.NA, "EUR"]
    assert report.notes == []


def test_unknown_currency_name_is_missing_and_counted_once_per_name():
    report = _report()
    values = pd.Series(["Naira Nouveau", "Euro", "Naira Nouveau", "Space Bucks"], dtype="string")
    codes = rc.currency_codes(values, report)
    assert codes.isna().tolist() == [True, False, True, True]
    assert report.notes == [
        "currency name 'Naira Nouveau' not recognised (2 rows); currency left missing",
        "currency name 'Space Bucks' not recognised (1 row); currency left missing",
    ]


# --- Times ------------------------------------------------------------------------------


def test_provider_times_read_uber_lyft_and_iso_spellings():
    values = pd.Series(
        [
            "2018-08-15 19:27:02 +0000 UTC",
            "2024-03-14 06:51:38 UTC",
            "2026-02-04T12:31:15.000Z",
            "2017-02-27 12:18:00",
        ],
        dtype="string",
    )
    times = rc.provider_times(values)
    assert times.tolist() == [
        pd.Timestamp("2018-08-15 19:27:02", tz="UTC"),
        pd.Timestamp("2024-03-14 06:51:38", tz="UTC"),
        pd.Timestamp("2026-02-04 12:31:15", tz="UTC"),
        pd.Timestamp("2017-02-27 12:18:00", tz="UTC"),
    ]


def test_clean_times_turn_the_1970_placeholder_into_missing_with_a_note():
    report = _report()
    values = pd.Series(
        ["1970-01-01 00:00:00 +0000 UTC", "2019-01-01 10:00:00 +0000 UTC", None, "soon"], dtype="string"
    )
    times = rc.clean_times(values, report, "begin trip time")
    assert times.isna().tolist() == [True, False, True, True]
    assert report.notes[0].startswith("1 begin trip time values were the 1970-01-01 placeholder")
    assert "not a time (e.g. 'soon')" in report.notes[1]


def test_offsets_from_zones_follow_daylight_saving_and_half_hours():
    utc = pd.Series(
        pd.to_datetime(
            [
                "2023-01-15 12:00Z",
                "2023-07-15 12:00Z",
                "2023-07-15 12:00Z",
                "2024-10-27 00:30Z",
                "2024-10-27 01:30Z",
                "2023-07-15 12:00Z",
            ],
            utc=True,
        )
    )
    zones = pd.Series(
        [
            "America/Los_Angeles",
            "America/Los_Angeles",
            "Asia/Kolkata",
            "Europe/Berlin",
            "Europe/Berlin",
            "Nowhere/Special",
        ],
        dtype="string",
    )
    report = _report()
    offsets = rc.offsets_from_zones(utc, zones, report)
    assert offsets.tolist() == [-480, -420, 330, 120, 60, pd.NA]
    assert report.notes == ["time zone name(s) not recognised: Nowhere/Special"]


def test_offsets_from_wall_clock_read_the_false_z_as_local_time():
    local = pd.Series(
        ["2023-03-03T22:12:40.000Z", "2023-11-20T08:47:19.000Z", "garbage", "2023-01-03T00:00:00.000Z"]
    )
    utc = pd.Series(
        pd.to_datetime(
            ["2023-03-04 06:12:40Z", "2023-11-20 03:17:19Z", "2023-01-01 00:00:00Z", "2023-01-01 00:00:00Z"],
            utc=True,
        )
    )
    offsets = rc.offsets_from_wall_clock(local, utc)
    # The last one is 48 h off: not an offset.
    assert offsets.tolist() == [-480, 330, pd.NA, pd.NA]


# --- CSV --------------------------------------------------------------------------------


def test_csv_records_are_physical_start_lines_and_bad_rows_are_counted(tmp_path):
    text = 'a,b,c\r\n1,2,3\r\n4,"two\r\nlines",6\r\n\r\n7,8\r\n9,10,11\r\n'
    report = _report()
    table = rc.read_csv_table(_write(tmp_path, text), report)
    assert table.records.tolist() == [2, 3, 7]
    assert table.columns["b"].tolist() == ["2", "two\r\nlines", "10"]
    assert report.skipped["has 2 fields where the header has 3"].records == [6]
    assert report.rows_read == 4


def test_csv_keep_drops_other_columns_as_rows_are_read(tmp_path):
    table = rc.read_csv_table(
        _write(tmp_path, "Name,Rating\nAda Lovelace,4.9\n"), _report(), keep=lambda n: n == "Rating"
    )
    assert list(table.columns) == ["Rating"]
    assert table.header == ["Name", "Rating"]


def test_csv_strips_a_bom(tmp_path):
    report = _report()
    table = rc.read_csv_table(_write(tmp_path, "\ufeffcity,fare\r\nSão Paulo,1\r\n"), report)
    assert table.header == ["city", "fare"]
    assert table.columns["city"].tolist() == ["São Paulo"]
    assert report.notes == []


def test_csv_falls_back_to_windows_1252(tmp_path):
    report = _report()
    table = rc.read_csv_table(_write(tmp_path, "city,fare\nSão Paulo,1\n".encode("cp1252")), report)
    assert table.columns["city"].tolist() == ["São Paulo"]
    assert report.notes == ["the file is not UTF-8; it was read as Windows-1252"]


def test_csv_empty_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="empty"):
        rc.read_csv_table(_write(tmp_path, "\n\n"), _report())


def test_missing_columns_are_all_named(tmp_path):
    table = rc.read_csv_table(_write(tmp_path, "a,b\n1,2\n"), _report())
    with pytest.raises(BadInput) as error:
        rc.require_columns(table, {"x": ("x",), "a": ("a",), "y": ("y1", "y2")}, "a test layout")
    assert str(error.value) == "missing columns x, y1 or y2; expected a test layout"


def test_header_fields_never_raise_on_binary(tmp_path):
    ref = _write(tmp_path, b"\x00\x01\x02PK\x03\x04\xff\xfe")
    assert rc.header_fields(Head(ref, ref.read_bytes())) == []


def test_group_orders_fold_items_and_count_price_conflicts():
    report = _report()
    keys = pd.DataFrame({"t": ["a", "a", "b", "a", "c", "c"]})
    values = {"fare": pd.Series([10.0, 10.0, 5.0, 10.0, 3.0, 4.0]), "merchant": pd.Series(list("xxyxzz"))}
    orders, records = rc.group_orders(
        keys,
        values,
        pd.Series([2, 3, 4, 5, 6, 7]).to_numpy(),
        report,
        quantity=pd.Series(["2", "1", None, "3", "1", "1"]),
    )
    assert records.tolist() == [2, 4, 6]
    assert orders["items"].tolist() == [6, 1, 2]
    assert orders["fare"].tolist() == [10.0, 5.0, 3.0]
    assert report.notes == ["1 order list different order prices on their item rows; the first was kept"]


def test_a_short_row_in_an_otherwise_regular_file_is_counted_at_its_line(tmp_path):
    report = _report()
    table = rc.read_csv_table(_write(tmp_path, "a,b,c\n1,2,3\n4,5\n6,7,8\n"), report)
    assert table.records.tolist() == [2, 4]
    assert table.columns["c"].tolist() == ["3", "8"]
    assert report.skipped["has 2 fields where the header has 3"].records == [3]


def test_fast_and_row_by_row_reading_agree(data_dir):
    ref = FileRef(data_dir / "uber" / "2023" / "trips_data-0.csv")
    text = ref.read_bytes().decode("utf-8")
    header = text.splitlines()[0].split(",")
    fast = rc._read_regular(text, header, 1, header)
    exact = rc._read_row_by_row(text, header, 1, header, _report())
    assert fast is not None
    assert fast.records.tolist() == exact.records.tolist() == list(range(2, 9))
    for name in header:
        pd.testing.assert_series_equal(fast.columns[name], exact.columns[name], check_names=False)


@pytest.mark.parametrize("irregular", [False, True], ids=["arrow-path", "row-by-row-path"])
def test_only_the_columns_an_importer_reads_are_built(tmp_path, monkeypatch, irregular):
    # A damaged header can name thousands of columns; building a Series for each cost seconds
    # per file (found by the long fuzzing run). The importer's frame must not change.
    from auditor.dataset import import_file
    from auditor.importers import uber_eats

    sample = Path(__file__).parent / "data" / "uber-eats" / "2023" / "user_orders-0.csv"
    header, *rows = sample.read_text(encoding="utf-8").splitlines()
    extra = [f"Extra_{i}" for i in range(3000)]
    plain = [header, *rows]
    wide = [header + "," + ",".join(extra)] + [row + "," * len(extra) for row in rows]
    if irregular:  # a blank line: the exact row-by-row reader numbers the records
        plain.insert(2, "")
        wide.insert(2, "")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain_ref = _write(tmp_path, "\n".join(plain) + "\n", "a/user_orders-0.csv")
    wide_ref = _write(tmp_path, "\n".join(wide) + "\n", "b/user_orders-0.csv")
    built: list[int] = []
    original = rc._blank_to_missing
    monkeypatch.setattr(rc, "_blank_to_missing", lambda values: built.append(1) or original(values))
    importer = uber_eats.IMPORTERS[0]
    plain, _ = import_file(plain_ref, importer)
    built.clear()
    wide_frames, report = import_file(wide_ref, importer)
    assert report.error is None and len(built) < 30
    assert set(plain) == set(wide_frames)
    for kind, frame in plain.items():
        pd.testing.assert_frame_equal(
            frame.drop(columns="file"), wide_frames[kind].drop(columns="file"), check_categorical=False
        )
