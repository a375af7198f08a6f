"""GPSLogger for Android CSV logs: one fix per line, written by the app on the phone.

Source: formats.md §2 ("GPSLogger CSV"), the dawarich fixture ``csv/gpslogger.csv``,
and the headers the app has written over the years (seen in projects that read them).

Headers by era (columns are read by name, so every era loads the same way):

* oldest: ``time,lat,lon,elevation,accuracy,bearing,speed``
* ``...,speed,satellites,provider`` (rows sometimes end with an extra comma)
* ``...,provider,hdop,vdop,pdop,geoidheight,ageofdgpsdata,dgpsid,activity,battery,annotation``
* current: the above plus ``timestamp_ms,time_offset,distance,starttimestamp_ms,
  profile_name,battery_charging``
* dawarich's sample: ``time,lat,lon,elevation,accuracy,bearing,speed,satellites,provider,
  activity,battery``

Quirks:

* ``time`` is ISO-8601 UTC (``2024-06-15T10:30:00.000Z``), or local with an offset when
  the app's "log time with timezone offset" setting is on; ``time_offset`` (current
  versions) repeats the time in local time with its offset, which gives the local offset.
* ``provider`` (gps, network, passive) says how the fix was made: it becomes ``signal``.
* ``speed`` is metres per second; ``accuracy`` is metres.
* Record numbers are physical line numbers (the header is line 1); a quoted field that
  spans lines would shift them, which GPSLogger does not write.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import HEAD_BYTES, BadInput, FileRef, Head, Importer, ImportReport, strip_bom
from auditor.importers.tracker_common import (
    non_negative,
    offsets_where_stated,
    points_frame,
    present,
    usable_fixes,
)

ID = "gpslogger"
SOURCE = "gpslogger"
CHUNK_ROWS = 200_000
REQUIRED = ("time", "lat", "lon")
TOO_MANY_FIELDS = "the line has more fields than the header"
MAX_COLUMNS = 100  # four times the widest header GPSLogger has written
_BAD_LINE = re.compile(r"Skipping line (\d+)")
_WIDER_FIRST_ROW = "Length of header or names does not match length of data"


def sniff(head: Head) -> float:
    """0.95 for GPSLogger's own header; 0.5 for any CSV that starts ``time,lat,lon``."""
    header = head.first_line.strip().lower()
    if header.startswith("time,lat,lon,elevation,accuracy"):
        return 0.95
    if header.startswith("time,lat,lon,") or header == "time,lat,lon":
        return 0.5
    return 0.0


def load(ref: FileRef, report: ImportReport) -> dict[str, pd.DataFrame]:
    """Read the log in chunks; each line with a readable time and place becomes a point."""
    parts = [_points_of(chunk, lines, ref, report) for chunk, lines in _chunks(ref, report)]
    points = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    report.detail = "GPSLogger CSV"
    report.timezone = (
        "UTC in the file; the local offset from time_offset (or from the time itself) where the app wrote one, "
        "else local time comes from --timezone"
    )
    return {"points": points}


def _chunks(ref: FileRef, report: ImportReport) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The CSV as text columns, chunk by chunk, with each row's line number in the file."""
    _check_header(ref)
    wide: list[int] = []
    with warnings.catch_warnings(record=True) as caught:
        # pandas names the lines it drops only in a warning; it is caught here, never printed.
        warnings.simplefilter("always", pd.errors.ParserWarning)
        chunks = _read_chunks(ref, wide)
        first = next(chunks, None)
        if any(_WIDER_FIRST_ROW in str(warning.message) for warning in caught):
            # pandas takes a first data row wider than the header as the table's width and
            # cuts every row that wide down to the header, silently. Those lines are found
            # once (only in such a file) and skipped as too wide, as any other wide line is.
            chunks.close()
            caught.clear()
            wide = _wide_lines(ref)
            chunks = _read_chunks(ref, wide)
            first = next(chunks, None)
        bad_lines: list[int] = list(wide)
        next_line = 2  # line 1 is the header
        for chunk in itertools.chain([first] if first is not None else [], chunks):
            bad_lines.extend(_bad_line_numbers(caught))
            lines = _line_numbers(next_line, len(chunk), bad_lines)
            if len(lines):
                next_line = int(lines[-1]) + 1
            yield chunk.fillna(""), lines
        bad_lines.extend(_bad_line_numbers(caught))
    report.skip_many(np.asarray(sorted(set(bad_lines)), dtype="int64"), TOO_MANY_FIELDS)
    if first is None:
        yield pd.DataFrame({name: pd.Series(dtype=object) for name in REQUIRED}), np.zeros(0, dtype="int64")


def _read_chunks(ref: FileRef, skip_lines: list[int]) -> Iterator[pd.DataFrame]:
    # index_col=False: a first data row wider than the header must never become an index
    # (every column shifted by one; thousands of index levels for a row of thousands of fields).
    with ref.open() as handle:
        try:
            yield from pd.read_csv(
                handle,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                encoding="utf-8-sig",
                encoding_errors="replace",
                on_bad_lines="warn",
                index_col=False,
                skiprows=[line - 1 for line in skip_lines],
                chunksize=CHUNK_ROWS,
            )
        except pd.errors.ParserError as error:
            raise BadInput(f"the CSV cannot be read: {error}") from None


def _wide_lines(ref: FileRef) -> list[int]:
    """The lines (1-based) where a record with more fields than the header starts."""
    text = strip_bom(ref.read_bytes()).decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    wide: list[int] = []
    line_before = 0
    try:
        for row in reader:
            start, line_before = line_before + 1, reader.line_num
            if header is None:
                header = row if row else None
            elif len(row) > len(header):
                wide.append(start)
    except csv.Error:
        pass  # pandas meets the same damage and reports it; this scan only measures widths
    return wide


def _check_header(ref: FileRef) -> None:
    raw = ref.read_head()
    head = strip_bom(raw).decode("utf-8", errors="replace")
    if not head.strip():
        raise BadInput("the file is empty; expected a GPSLogger CSV with a header line")
    first_line = head.splitlines()[0]
    if len(raw) == HEAD_BYTES and len(first_line) == len(head):
        raise BadInput(
            f"the header line is longer than {HEAD_BYTES // 1024} KB; a GPSLogger header is one short line"
        )
    names = [name.strip().strip('"').lower() for name in first_line.split(",")]
    if len(names) > MAX_COLUMNS:
        # pandas spends milliseconds per column and renames repeated names with a quadratic
        # search: a damaged header of 20,000 names took 10 s for a 40 KB file (found by the
        # long fuzzing run). No GPSLogger version writes more than about 25.
        raise BadInput(
            f"the header names {len(names):,} columns; a GPSLogger log has at most about 25 "
            f"(time,lat,lon,...), so this is not read"
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise BadInput(f"the header has no {', '.join(missing)} column; expected time,lat,lon,...")


def _bad_line_numbers(caught: list[warnings.WarningMessage]) -> list[int]:
    found = [int(m.group(1)) for w in caught for m in _BAD_LINE.finditer(str(w.message))]
    caught.clear()
    return found


def _line_numbers(first: int, rows: int, bad_lines: list[int]) -> np.ndarray:
    """The line numbers of ``rows`` rows read from line ``first`` on, minus the lines skipped."""
    candidates = np.arange(first, first + rows + len(bad_lines), dtype="int64")
    return np.setdiff1d(candidates, np.asarray(bad_lines, dtype="int64"), assume_unique=False)[:rows]


def _points_of(chunk: pd.DataFrame, lines: np.ndarray, ref: FileRef, report: ImportReport) -> pd.DataFrame:
    chunk = chunk.rename(columns=lambda name: str(name).strip().lower())
    # Blank lines are kept by the reader so that line numbers stay true; they are no records.
    blank = (chunk.apply(lambda col: col.str.strip()) == "").all(axis=1).to_numpy()
    chunk, lines = chunk[~blank].reset_index(drop=True), lines[~blank]

    def text(name: str) -> pd.Series:
        return chunk[name] if name in chunk else pd.Series([""] * len(chunk), dtype=object)

    raw_time = text("time")
    time = parsing.iso_to_utc(raw_time)
    lat = parsing.to_float(text("lat"))
    lon = parsing.to_float(text("lon"))
    keep = usable_fixes(report, lines, time_written=present(raw_time), time=time, lat=lat, lon=lon)
    local = text("time_offset")
    offset = parsing.first_present(
        offsets_where_stated(local.where(local != "")), offsets_where_stated(raw_time)
    )
    columns = {
        "time": time,
        "utc_offset_min": offset,
        "lat": lat,
        "lon": lon,
        "accuracy_m": non_negative(parsing.to_float(text("accuracy"))),
        "altitude_m": parsing.to_float(text("elevation")),
        "speed_mps": non_negative(parsing.to_float(text("speed"))),
        "signal": _blank_to_missing(parsing.upper_snake(text("provider"))),
        "activity": _blank_to_missing(parsing.upper_snake(text("activity"))),
    }
    return points_frame(columns, keep, ref=ref, importer=ID, source=SOURCE, records=lines)


def _blank_to_missing(values: pd.Series) -> pd.Series:
    return values.mask((values == "").fillna(False).astype(bool))


IMPORTERS = (Importer(id=ID, title="GPSLogger for Android (CSV)", kinds=("points",), sniff=sniff, load=load),)
