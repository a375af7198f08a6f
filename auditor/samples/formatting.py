"""Small formatting helpers the writers share: timestamps, float32 noise, CSV lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone

import numpy as np


def iso_z(moment: datetime, millis: bool = True) -> str:
    """``2024-01-05T23:25:00.123Z``; Google drops ``.000`` when there are no milliseconds."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    ms = moment.microsecond // 1000
    if millis and ms:
        return f"{text}.{ms:03d}Z"
    return text + "Z"


def iso_z_ms(moment: datetime) -> str:
    """Always three fraction digits: ``2024-01-05T23:25:00.000Z`` (Uber, iOS windows)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond // 1000:03d}Z"


def iso_local(moment: datetime, offset_min: int) -> str:
    """Local time with its offset and milliseconds: ``2019-04-03T08:00:00.000+02:00``."""
    local = moment.astimezone(timezone(timedelta(minutes=offset_min)))
    sign = "+" if offset_min >= 0 else "-"
    hours, minutes = divmod(abs(offset_min), 60)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond // 1000:03d}{sign}{hours:02d}:{minutes:02d}"


def float32(value: float) -> float:
    """A value as the phone stored it (float32), printed as Python prints a double."""
    return float(np.float32(value))


def ms_to_iso_z(time_ms: np.ndarray) -> list[str]:
    """Vectorised :func:`iso_z` for epoch milliseconds (the point streams)."""
    text = np.datetime_as_string(time_ms.astype("datetime64[ms]"), unit="ms")
    whole = (time_ms % 1000) == 0
    out = np.char.add(text, "Z")
    if whole.any():
        out[whole] = np.char.add(np.char.replace(text[whole], ".000", ""), "Z")
    return out.tolist()


def csv_text(rows: Iterable[Sequence[object]], line_end: str = "\n", quote_all: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=line_end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return out.getvalue()


def card_descriptor(name: str, city: str, country: str) -> str:
    """The card-network merchant descriptor: name in 23 characters, city in 13, country.

    ``SAINSBURYS SACAT 0602  LADBROKE GROV GBR`` (John Lewis card fixture), the text most
    UK and EU statements show for a card payment.
    """
    return f"{name[:22]:<23}{city[:13]:<13} {country}"
