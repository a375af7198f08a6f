"""The pyarrow fast paths in parsing.py give exactly what the general helpers give.

split_lat_lon_fast, iso_offsets_minutes_fast and iso_to_utc_fast exist for columns of
millions (on-device Timeline exports); they must never accept, reject or read a value
differently from split_lat_lon, iso_offsets_minutes and iso_to_utc.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from auditor.importers import parsing

number = st.one_of(
    st.floats(-200, 200, allow_nan=False).map(lambda x: f"{x:.7f}"),
    st.integers(-200, 200).map(str),
    st.sampled_from(["", "-", ".5", "1.", "1e5", "+3", "nan", "١٢", " 4", "12.5 "]),
)
coordinate = st.one_of(
    st.tuples(number, number).map(lambda p: f"{p[0]}°, {p[1]}°"),
    st.tuples(number, number).map(lambda p: f"geo:{p[0]},{p[1]}"),
    st.tuples(number, number, st.sampled_from([",", ", ", " , ", ";", "°,", "° ,  "])).map(
        lambda p: f"{p[0]}{p[2]}{p[1]}"
    ),
    st.text(max_size=12),
    st.none(),
)

iso_time = st.one_of(
    st.tuples(
        st.datetimes(min_value=pd.Timestamp("1900-01-01").to_pydatetime(),
                     max_value=pd.Timestamp("2200-01-01").to_pydatetime()),
        st.sampled_from(["", ".000", ".5", ".123456", ".123456789"]),
        st.sampled_from(["Z", "z", "+01:00", "-05:30", "+0100", "+14:00", "-12:00", "", " ", "+1", "+01:00 "]),
    ).map(lambda p: p[0].strftime("%Y-%m-%dT%H:%M:%S") + p[1] + p[2]),
    st.sampled_from(["2024-02-30T00:00:00Z", "24-01-01T00:00:00Z", "2024-01-01", "noon", "", "2024-01-01 10:00:00+02:00"]),
    st.text(max_size=10),
    st.none(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(coordinate, max_size=30))
def test_split_lat_lon_fast_matches_split_lat_lon(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    fast_lat, fast_lon = parsing.split_lat_lon_fast(series)
    lat, lon = parsing.split_lat_lon(series)
    pd.testing.assert_series_equal(fast_lat, lat, check_names=False)
    pd.testing.assert_series_equal(fast_lon, lon, check_names=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(iso_time, max_size=30))
def test_iso_offsets_minutes_fast_matches(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    pd.testing.assert_series_equal(
        parsing.iso_offsets_minutes_fast(series), parsing.iso_offsets_minutes(series), check_names=False
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(iso_time, max_size=30))
def test_iso_to_utc_fast_gives_the_same_instants(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    fast = parsing.iso_to_utc_fast(series)
    general = parsing.iso_to_utc(series)
    assert fast.isna().tolist() == general.isna().tolist()
    present = general.notna()
    assert fast[present].tolist() == general[present].tolist()


def test_fast_paths_keep_the_index_and_take_arrow_arrays() -> None:
    series = pd.Series(["50.1°, 14.2°", None, "geo:1.5,-2.5"], index=[10, 20, 30])
    lat, lon = parsing.split_lat_lon_fast(series)
    assert lat.index.tolist() == [10, 20, 30]
    assert lat.tolist()[0::2] == [50.1, 1.5] and lon.tolist()[0::2] == [14.2, -2.5]
    times = pa.array(["2024-03-10T10:30:12.000+01:00", "2024-03-10T10:30:12Z"])
    assert parsing.iso_offsets_minutes_fast(times).tolist() == [60, 0]
    assert parsing.iso_to_utc_fast(times).tolist() == [
        pd.Timestamp("2024-03-10T09:30:12", tz="UTC"),
        pd.Timestamp("2024-03-10T10:30:12", tz="UTC"),
    ]


def test_fast_paths_fall_back_for_values_that_are_not_strings() -> None:
    mixed = pd.Series([5, "48.1°, 11.5°", 3.2], dtype=object)
    lat, _ = parsing.split_lat_lon_fast(mixed)
    expected, _ = parsing.split_lat_lon(mixed)
    pd.testing.assert_series_equal(lat, expected)
