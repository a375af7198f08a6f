"""What the location-tracker importers share: checking fixes, building frames, JSON records.

GPX, OwnTracks, Overland, GPSLogger and Polarsteps all end the same way: columns of
raw fixes (a time, a latitude, a longitude and a few measurements) become a canonical
``points`` frame, and the rows that cannot be placed in time or on the globe are
counted with a reason instead of vanishing. The formats differ only in how those
columns are read, so that part stays in each importer and the checks live here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from auditor.importers import parsing
from auditor.importers.base import BadInput, FileRef, ImportReport, frame, strip_bom

NO_TIME = "no time: a fix that cannot be placed in time"
BAD_TIME = "the time is not a date and time that can be read"
TIME_OUT_OF_RANGE = "the time is before 1990 or after 2100: a clock error, not a real fix"
NO_COORDINATES = "latitude/longitude missing or not a number"
BAD_COORDINATES = "latitude/longitude off the globe (latitude within ±90, longitude within ±180 expected)"
NULL_ISLAND = "latitude and longitude are both 0: a null fix, not a place"


def present(values: pd.Series) -> pd.Series:
    """True where a raw value was written at all (not missing, not blank text)."""
    written = values.notna()
    if not written.any():
        return written
    blank = values[written].astype(str).str.strip() == ""
    return written & ~blank.reindex(values.index, fill_value=False)


def usable_fixes(
    report: ImportReport,
    records: np.ndarray,
    *,
    time_written: pd.Series,
    time: pd.Series,
    lat: pd.Series,
    lon: pd.Series,
) -> np.ndarray:
    """The rows that have a plausible time and coordinates; the others are counted with a reason.

    ``time_written`` says where the file wrote a time at all (see :func:`present`), to
    tell "no time" from "a time that cannot be read". Each row is counted once, under
    the first reason that applies.
    """
    records = np.asarray(records)
    remaining = np.ones(len(records), dtype=bool)
    checks = (
        (~time_written.to_numpy(dtype=bool), NO_TIME),
        (time.isna().to_numpy(dtype=bool), BAD_TIME),
        (parsing.out_of_range(time).to_numpy(dtype=bool), TIME_OUT_OF_RANGE),
        ((lat.isna() | lon.isna()).to_numpy(dtype=bool), NO_COORDINATES),
        (~(lat.between(-90, 90) & lon.between(-180, 180)).to_numpy(dtype=bool), BAD_COORDINATES),
        (((lat == 0) & (lon == 0)).to_numpy(dtype=bool), NULL_ISLAND),
    )
    for failed, reason in checks:
        hit = remaining & failed
        report.skip_many(records[hit], reason)
        remaining &= ~hit
    return remaining


def points_frame(
    columns: Mapping[str, pd.Series | np.ndarray | list[Any]],
    keep: np.ndarray,
    *,
    ref: FileRef,
    importer: str,
    source: str,
    records: np.ndarray,
) -> pd.DataFrame:
    """A canonical ``points`` frame of the kept rows, ordered as in the file."""
    kept: dict[str, object] = {}
    for name, values in columns.items():
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        kept[name] = series[keep].reset_index(drop=True)
    return frame("points", kept, ref=ref, importer=importer, source=source, records=np.asarray(records)[keep])


def non_negative(values: pd.Series) -> pd.Series:
    """Measurements where trackers write a negative number to mean "not measured" (iOS does)."""
    return values.where(values >= 0)


def offsets_where_stated(raw_time: pd.Series) -> pd.Series:
    """Local UTC offsets (minutes) written in ISO times; missing for ``Z`` times.

    A ``Z`` says the writer chose UTC, not where the person was, so it gives no local
    offset; ``+07:00`` or ``-0700`` does.
    """
    text = raw_time.astype("string").str.strip()
    utc = text.str.upper().str.endswith("Z").fillna(False).to_numpy(dtype=bool)
    offsets = pd.Series(pd.NA, index=raw_time.index, dtype="Int32")
    if not utc.all():  # most trackers write Z everywhere: skip the regex then
        offsets[~utc] = parsing.iso_offsets_minutes(text[~utc])
    return offsets


def epoch_or_iso_to_utc(values: pd.Series) -> pd.Series:
    """Times written either as epoch seconds (number or numeric text) or as ISO-8601 text."""
    numbers = parsing.to_float(values)
    from_epoch = parsing.epoch_to_utc(numbers, "s")
    is_text = numbers.isna() & present(values)
    if not is_text.any():
        return from_epoch
    from_iso = parsing.iso_to_utc(values.where(is_text).astype("string"))
    return from_epoch.where(~is_text, from_iso)


def decode_records(
    ref: FileRef,
    data: bytes,
    item: type,
    report: ImportReport,
    *,
    container: type | None = None,
    key: str | None = None,
) -> tuple[list[Any], np.ndarray]:
    """Decode a JSON list of records (at the top level, or under ``key``) into ``item`` structs.

    Returns the structs and their record numbers (JSON array indexes). The whole file is
    decoded in one typed pass with msgspec; only when a record has a field of the wrong
    type does it fall back to converting record by record, so that the odd record is
    counted with its reason and the rest still load. ``container`` is the typed wrapper
    of ``{key: [...]}`` files.
    """
    body = strip_bom(data)
    try:
        if container is not None:
            items = list(getattr(msgspec.json.decode(body, type=container), key or ""))
        else:
            items = list(msgspec.json.decode(body, type=list[item]))
        return items, np.arange(len(items), dtype="int64")
    except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError):
        pass  # decoded again below: untyped, to tell a broken file from one odd record
    raw = parsing.decode_json(ref, data)  # raises BadInput for empty, truncated or non-JSON files
    if key is not None:
        if not isinstance(raw, dict) or not isinstance(raw.get(key), list):
            raise BadInput(f'expected a JSON object with a "{key}" list')
        raw = raw[key]
    elif not isinstance(raw, list):
        raise BadInput("expected a JSON array of records")
    decoded: list[Any] = []
    records: list[int] = []
    for index, element in enumerate(raw):
        try:
            decoded.append(msgspec.convert(element, item))
            records.append(index)
        except msgspec.ValidationError as error:
            report.skip(
                index, f"the record does not have the expected fields and types ({_field_problem(error)})"
            )
    return decoded, np.asarray(records, dtype="int64")


def _field_problem(error: msgspec.ValidationError) -> str:
    # msgspec says "Expected `float | str | null`, got `bool` - at `$.lat`"; the field and
    # what was found are what a person needs, without the type algebra.
    text = str(error)
    where = text.rsplit(" - at ", 1)
    found = text.split("got ", 1)[1].split(" ", 1)[0].strip("`") if "got " in text else ""
    # Without " - at ..." the record itself has the wrong type.
    field = where[1].strip("`").removeprefix("$.") if len(where) == 2 else "$"
    if field == "$" and found:
        return f"a JSON {found} where an object was expected"
    if field and found:
        return f"'{field}' is {found}"
    return where[0]


def column(items: list[Any], name: str) -> pd.Series:
    """One field of decoded structs as a column of Python objects (missing stays None)."""
    return pd.Series([getattr(item, name) for item in items], dtype="object")
