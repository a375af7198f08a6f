"""Records.json timestamps in Google's own shape are read with numpy, exactly as pandas reads them.

``google_records_reader._iso_times`` parses ``2017-12-10T23:14:58Z`` and
``2017-12-10T23:14:58.030Z`` (1-9 fraction digits) with numpy and leaves every other value
to pandas. Each value's nanoseconds and status must be pandas' own for that value, and a
worker process reading such a piece must not import pandas at all (0.7 s of CPU).
"""

from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from auditor.importers import google_records, parsing
from auditor.importers import google_records_reader as reader

REPO = Path(__file__).resolve().parent.parent
PERSONA = REPO / "sample_exports" / "night-shift-nurse" / "takeout-20240229T101500Z-001.zip"
MEMBER = "Takeout/Location History (Timeline)/Records.json"
BOUNDS = google_records._BOUNDS

# Shapes near Google's that numpy must refuse or get right, each checked against pandas.
EDGES = [
    "2017-12-10T23:14:58Z",
    "2017-12-10T23:14:58.030Z",
    "2017-12-10T23:14:58.000Z",
    "2017-12-10T23:14:58.0Z",
    "2017-12-10T23:14:58.123456789Z",
    "2017-12-10T23:14:58.1234567891Z",
    "2017-12-10T23:14:58.Z",
    "2016-02-29T00:00:00Z",
    "2000-02-29T12:00:00Z",
    "2017-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "2017-04-31T00:00:00Z",
    "2017-12-10T24:00:00Z",
    "2017-12-10T23:60:00Z",
    "2017-12-10T23:59:60Z",
    "2017-13-10T23:14:58Z",
    "2017-00-10T23:14:58Z",
    "2017-12-00T23:14:58Z",
    "2017-1a-10T23:14:58Z",
    "2017/12/10T23:14:58Z",
    "2017-12-10t23:14:58z",
    "2017-12-10 23:14:58Z",
    "2017-12-10T23:14:58+00:00",
    "2017-12-10T23:14:58+02:00",
    "2017-12-10T23:14:58",
    "2017-12-10",
    "",
    "not a time",
    "1989-12-31T23:59:59.999Z",
    "1990-01-01T00:00:00Z",
    "2099-12-31T23:59:59.999999999Z",
    "2100-01-01T00:00:00Z",
    "1678-01-01T00:00:00Z",
    "2261-12-31T23:59:59Z",
    "２017-12-10T23:14:58Z",
]


def with_numpy(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    ns = np.zeros(len(values), dtype=np.int64)
    status = np.zeros(len(values), dtype=np.int8)
    reader._iso_times(list(values), slice(None), ns, status, BOUNDS)
    return ns, status


def with_pandas_one_by_one(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """pandas' verdict on each value alone (in a batch, pandas' unit can depend on the others)."""
    verdicts = [reader._iso_times_pandas([value], BOUNDS) for value in values]
    return np.array([ns[0] for ns, _ in verdicts]), np.array([status[0] for _, status in verdicts])


def generated(seed: int, count: int) -> list[str]:
    """Google-shaped times with fields in and out of range, and a few edge shapes among them."""
    rng = random.Random(seed)
    values = []
    for _ in range(count):
        head = (
            f"{rng.randint(1680, 2260):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}"
            f"T{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
        )
        pick = rng.random()
        if pick < 0.4:
            values.append(head + "Z")
        elif pick < 0.85:
            digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 9)))
            values.append(f"{head}.{digits}Z")
        else:
            values.append(rng.choice(EDGES))
    return values


@pytest.mark.parametrize("values", [EDGES, generated(1, 600), generated(2, 25)], ids=["edges", "600", "25"])
def test_each_time_as_pandas_reads_it(values: list[str]) -> None:
    ns, status = with_numpy(values)
    expected_ns, expected_status = with_pandas_one_by_one(values)
    differ = [(values[i], status[i], expected_status[i]) for i in np.flatnonzero(ns != expected_ns)]
    differ += [(values[i], status[i], expected_status[i]) for i in np.flatnonzero(status != expected_status)]
    assert not differ
    # The test data holds every verdict, so agreement is not agreement on "all bad".
    assert set(status.tolist()) == {reader._TIME_OK, reader._TIME_OUT_OF_RANGE, reader._ISO_BAD}


def test_the_persona_times_as_pandas_reads_them() -> None:
    with zipfile.ZipFile(PERSONA) as archive:
        locations = json.loads(archive.read(MEMBER))["locations"]
    values = [record["timestamp"] for record in locations]
    assert {len(value) for value in values} >= {20, 24}  # both of Google's shapes, mixed
    ns, status = with_numpy(values)
    expected_ns, expected_status = reader._iso_times_pandas(values, BOUNDS)
    np.testing.assert_array_equal(ns, expected_ns)
    np.testing.assert_array_equal(status, expected_status)
    assert (status == reader._TIME_OK).all()


def test_a_far_year_in_googles_shape_is_outside_the_window_whatever_its_neighbours() -> None:
    """pandas' verdict on year 9999 depends on the batch; this one does not."""
    values = ["9999-12-31T23:59:59.123456789Z", "0001-01-01T00:00:00Z", "2017-12-10T23:14:58Z"]
    for batch in (values, values[:1], values[1:2]):
        _, status = with_numpy(batch)
        assert status[0] == reader._TIME_OUT_OF_RANGE
    assert parsing.EARLIEST.year > 1 and parsing.LATEST.year < 9999


def test_a_none_or_a_newline_among_the_values_leaves_them_all_to_pandas() -> None:
    values = ["2017-12-10T23:14:58Z", None, "2017-12-10T23:14:58\nZ", "2017-12-10T23:14:59.5Z"]
    ns, status = with_numpy(values)  # type: ignore[arg-type]
    expected_ns, expected_status = reader._iso_times_pandas(values, BOUNDS)
    np.testing.assert_array_equal(ns, expected_ns)
    np.testing.assert_array_equal(status, expected_status)
    assert reader._google_iso_times(values, BOUNDS) is None  # type: ignore[arg-type]
    assert reader._google_iso_times(values[2:], BOUNDS) is None


def test_a_worker_reading_iso_times_does_not_import_pandas(tmp_path: Path) -> None:
    with zipfile.ZipFile(PERSONA) as archive:
        data = archive.read(MEMBER)
    path = tmp_path / "Records.json"
    path.write_bytes(data)
    separator = b"\n    },\n    {"
    start = data.index(separator, len(data) // 2) + separator.index(b"{", 3)
    job = (
        str(path),
        start,
        None,
        (separator, separator.index(b"}"), separator.index(b"{", 3)),
        65536,
        BOUNDS,
    )
    program = (
        "import pickle, sys; from auditor import workers; "  # what serve() imports too
        "from auditor.importers.google_records_reader import run_job; "
        f"columns = run_job(pickle.loads({pickle.dumps(job)!r})); "
        "print(columns.count, 'pandas' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    count, pandas_imported = result.stdout.split()
    assert int(count) == data[start:].count(b'"latitudeE7"') and int(count) > 1000
    assert pandas_imported == "False"
