"""Mutating real export files into broken ones, and judging what an importer made of them.

The fuzz tests (test_fuzz_importers.py) start from real-format seeds (tests/data, the
sample personas, the shared fixtures), apply a few drawn mutations (truncations, byte
flips, wrong types, huge numbers, NaN and infinities, far dates, empty and giant fields,
mixed encodings) and run the result through the same path a user's file takes:
``sources.claim`` (every importer sniffs it) and ``dataset.import_file`` with
``AUDITOR_STRICT`` unset. :func:`judge` lists what is wrong with the outcome: an exception
that escaped, or that the edge had to turn into "please report this"; an error without
words; rows kept that break the canonical model.
"""

from __future__ import annotations

import os
import random
import re
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from auditor import model
from auditor.dataset import import_file
from auditor.importers.base import FileRef, ImportReport, Importer
from auditor.registry import REGISTRY
from auditor.sources import claim, discover

REPO = Path(__file__).resolve().parents[2]
# Seeds above this size make each example slow without finding more: real exports of every
# importer exist well below it (tests/data holds at least one per importer).
SEED_LIMIT = 32 * 1024
# A mutant never grows past this: enough for giant fields, small enough to stay fast.
MUTANT_LIMIT = 3 * 1024 * 1024
UNEXPECTED = "(please report this)"  # dataset.import_file's words for an exception it did not expect

BY_ID: dict[str, Importer] = {importer.id: importer for importer in REGISTRY}
T = TypeVar("T")


@dataclass(frozen=True)
class Seed:
    """One real-format file to mutate, with the importer that claims it."""

    importer: str
    name: str  # the file name the mutant is written under (sniffs look at names)
    data: bytes
    origin: str


def collect_seeds(roots: Iterable[Path], limit: int = SEED_LIMIT) -> dict[str, list[Seed]]:
    """Every claimed file under ``roots`` (archive members included) up to ``limit`` bytes."""
    found = discover([root for root in roots if root.exists()])
    claims, _ = claim(found.files)
    seeds: dict[str, list[Seed]] = defaultdict(list)
    for item in claims:
        if 0 < item.ref.size <= limit:
            seeds[item.importer.id].append(Seed(item.importer.id, item.ref.name, item.ref.read_bytes(), item.ref.display))
    return dict(seeds)


def repo_seeds() -> dict[str, list[Seed]]:
    return collect_seeds([REPO / "tests" / "data", REPO / "sample_exports"])


# --- mutations -------------------------------------------------------------------------------

NUMBERS = [
    b"0", b"-0", b"1e308", b"-1e309", b"1e400", b"NaN", b"nan", b"-nan", b"Infinity", b"-Infinity", b"inf",
    b"99999999999999999999999999999999", b"-9223372036854775809", b"18446744073709551616",
    b"0.0000000000000000000000001", b"1" * 400, b"0x1F", b"1,5", b"1.234.567,89", b"--1", b"1e", b".",
    b"", b"null", b'"12"', b"true", b"[1]", b"\xd9\xa3",
]  # fmt: skip
DATES = [
    b"0001-01-01T00:00:00Z", b"9999-12-31T23:59:59Z", b"1677-09-21T00:12:43Z", b"2262-04-11T23:47:17Z",
    b"2262-04-12T00:00:00Z", b"1970-01-01", b"+275760-09-13T00:00:00Z", b"-000001-01-01T00:00:00Z",
    b"2024-02-30", b"2024-13-01", b"2023-02-29T25:61:61", b"2024-01-01T00:00:00+99:99", b"1969-12-31T23:59:59Z",
    b"2100-01-01T00:00:00Z", b"99999999999999", b"00000000000000", b"", b"not a date", b"1e20", b"-1",
    b"1700000000000000000000", b"31/02/2024", b"2024-01-01T00:00:00.123456789123Z",
]  # fmt: skip
VALUES = [
    b"", b"null", b"[]", b"{}", b"true", b"false", b"0", b'""', b"[[[[[[[[[[]]]]]]]]]]", b'{"a":{"b":{"c":[]}}}',
    "caf\u00e9".encode("latin-1"), "\u65e5\u672c".encode("shift_jis"), "\u65e5\u672c".encode("utf-8"),
    "\u00e9".encode("utf-16"), b"\x00", b"\x00\x00\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xed\xa0\x80",
    b"=HYPERLINK(\"x\")", b'"', b"'", b"\\", b"\r", b"\n", b"\r\n\r\n", b",", b";", b"\t", b"<", b"</", b"&#0;",
    b"&amp;&lt;&unknown;", b"\\u0000", b"\\ud800", b"\xc3", b"A" * 70_000,
]  # fmt: skip

_TOKENS = {
    "number": re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"),
    "date": re.compile(
        rb"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
        rb"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{14}(?:\.\d+)?(?:\[[^\]]*\])?"
    ),
    "string": re.compile(rb'"(?:[^"\\\r\n]|\\.){0,300}"'),
    "field": re.compile(rb"[^,;\t\r\n<>{}\[\]\"]+"),
    "markup": re.compile(rb">[^<\r\n]*<"),
}
_ENCODINGS = ("latin-1", "cp1252", "utf-16", "utf-16-be", "shift_jis", "utf-32")


class Chooser(Protocol):
    """Where a mutation's choices come from: hypothesis (tests, shrinkable) or a seeded
    random generator (bench/fuzz_long.py, ten times cheaper per input)."""

    def integer(self, low: int, high: int) -> int: ...

    def choice(self, items: Sequence[T]) -> T: ...

    def binary(self, max_size: int) -> bytes: ...


class DrawChooser:
    def __init__(self, draw: st.DrawFn):
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def choice(self, items: Sequence[T]) -> T:
        return items[self._draw(st.integers(0, len(items) - 1))]

    def binary(self, max_size: int) -> bytes:
        return self._draw(st.binary(max_size=max_size))


class RandomChooser:
    def __init__(self, rng: random.Random):
        self._rng = rng

    def integer(self, low: int, high: int) -> int:
        return self._rng.randint(low, high)

    def choice(self, items: Sequence[T]) -> T:
        return self._rng.choice(items)

    def binary(self, max_size: int) -> bytes:
        return self._rng.randbytes(self._rng.randint(0, max_size))


@st.composite
def mutants(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed after one to four drawn mutations."""
    return mutate(seed, DrawChooser(draw))


def mutate(seed: bytes, choose: Chooser) -> bytes:
    """The seed after one to four mutations, each picked and parametrised by ``choose``."""
    data = seed
    for _ in range(choose.integer(1, 4)):
        data = choose.choice(MUTATIONS)(data, choose)[:MUTANT_LIMIT]
    return data


_SPECIALS = VALUES + NUMBERS + DATES
_KINDS = sorted(_TOKENS)


def _at(data: bytes, choose: Chooser) -> int:
    return choose.integer(0, len(data))


def _truncate(data: bytes, choose: Chooser) -> bytes:
    return data[: _at(data, choose)]


def _flips(data: bytes, choose: Chooser) -> bytes:
    return _flip(data, [(_at(data, choose), choose.integer(1, 255)) for _ in range(choose.integer(1, 8))])


def _insert(data: bytes, choose: Chooser) -> bytes:
    at = _at(data, choose)
    chunk = choose.binary(24) if choose.integer(0, 1) else choose.choice(_SPECIALS)
    return data[:at] + chunk + data[at:]


def _delete(data: bytes, choose: Chooser) -> bytes:
    at = _at(data, choose)
    return data[:at] + data[at + choose.integer(1, 4096) :]


def _repeats(data: bytes, choose: Chooser) -> bytes:
    return _repeat(data, _at(data, choose), choose.integer(1, 512), choose.integer(2, 2000))


def _token(data: bytes, choose: Chooser) -> bytes:
    return _replace_token(data, choose.choice(_KINDS), choose.integer(0, 10_000), choose.choice(_SPECIALS))


def _every(data: bytes, choose: Chooser) -> bytes:
    return _replace_every(data, choose.choice(_KINDS), choose.choice(_SPECIALS), choose.integer(1, 7))


def _encoding(data: bytes, choose: Chooser) -> bytes:
    return _reencode(data, _at(data, choose), choose.integer(1, 4096), choose.choice(_ENCODINGS))


def _newlines(data: bytes, choose: Chooser) -> bytes:
    return data.replace(*choose.choice([(b"\n", b"\r\n"), (b"\r\n", b"\n"), (b"\n", b"\r"), (b"\n", b"")]))


def _lines(data: bytes, choose: Chooser) -> bytes:
    return _swap_lines(data, choose.integer(0, 10_000), choose.integer(0, 10_000))


# Truncations, byte flips, inserted noise or special values, cut or repeated slices (many
# records, giant fields), one token or a whole column of them replaced (wrong types, huge
# numbers, NaN, far dates, empty and giant values), re-encoded stretches, line endings, lines.
MUTATIONS: tuple[Callable[[bytes, Chooser], bytes], ...] = (
    _truncate, _flips, _insert, _delete, _repeats, _token, _every, _encoding, _newlines, _lines,
)  # fmt: skip


def _clip(position: int, data: bytes) -> int:
    return min(position, len(data))


def _flip(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for at, mask in flips:
        if out:
            out[min(at, len(out) - 1)] ^= mask
    return bytes(out)


def _repeat(data: bytes, at: int, length: int, times: int) -> bytes:
    at = _clip(at, data)
    chunk = data[at : at + length]
    times = min(times, MUTANT_LIMIT // max(len(chunk), 1))
    return data[:at] + chunk * times + data[at + length :]


def _replace_token(data: bytes, kind: str, index: int, value: bytes) -> bytes:
    matches = list(_TOKENS[kind].finditer(data))
    if not matches:
        return data
    match = matches[index % len(matches)]
    if kind == "string" and value[:1] not in (b'"', b"[", b"{") and value not in (b"null", b"true", b"false"):
        value = b'"' + value + b'"' if index % 2 else value  # sometimes text stays text, sometimes the type changes
    return data[: match.start()] + value + data[match.end() :]


def _replace_every(data: bytes, kind: str, value: bytes, stride: int) -> bytes:
    count = 0

    def swap(match: re.Match[bytes]) -> bytes:
        nonlocal count
        count += 1
        return value if count % stride == 0 or stride == 1 else match.group(0)

    return _TOKENS[kind].sub(swap, data)


def _reencode(data: bytes, at: int, length: int, encoding: str) -> bytes:
    at = _clip(at, data)
    text = data[at : at + length].decode("utf-8", errors="replace")
    return data[:at] + text.encode(encoding, errors="replace") + data[at + length :]


def _swap_lines(data: bytes, first: int, second: int) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    i, j = first % len(lines), second % len(lines)
    if i == j:
        del lines[i]
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


# --- judging ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one mutant did: importers run, rows kept, whether the file was refused."""

    importers: list[str]
    kept: int
    refused: bool
    problems: list[str]


def run_mutant(path: Path, data: bytes, seed_importer: str) -> Outcome:
    """Write ``data`` at ``path``, let every importer sniff it, import it as a user's file would be."""
    path.write_bytes(data)
    ref = FileRef(path, (), len(data))
    problems: list[str] = []
    try:
        claims, _ = claim([ref])
    except Exception as error:  # noqa: BLE001 - any escape is the finding
        return Outcome([], 0, False, [f"claim() raised {_describe(error)}"])
    chosen = [BY_ID[seed_importer], *(c.importer for c in claims if c.importer.id != seed_importer)]
    kept = 0
    refused = False
    for importer in chosen:
        strict = os.environ.pop("AUDITOR_STRICT", None)
        try:
            frames, report = import_file(ref, importer)
        except Exception as error:  # noqa: BLE001
            problems.append(f"{importer.id}: import_file raised {_describe(error)}")
            continue
        finally:
            if strict is not None:
                os.environ["AUDITOR_STRICT"] = strict
        problems.extend(f"{importer.id}: {p}" for p in judge(frames, report, ref, importer))
        kept += sum(len(frame) for frame in frames.values())
        refused = refused or report.error is not None
    return Outcome([i.id for i in chosen], kept, refused, problems)


def _describe(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)[-6:])


def judge(frames: dict[str, pd.DataFrame], report: ImportReport, ref: FileRef, importer: Importer) -> list[str]:
    """What is wrong with an import's outcome; empty when it is a clean result or a clear refusal."""
    problems: list[str] = []
    if report.error is not None:
        if UNEXPECTED in report.error:
            problems.append(f"an unexpected exception reached the edge: {report.error[:400]}\n{_strict_traceback(ref, importer)}")
        elif len(report.error.strip()) < 10:
            problems.append(f"a refusal without words: {report.error!r}")
        elif "Traceback" in report.error:
            problems.append(f"a traceback in the message: {report.error[:400]}")
    for group in report.skipped.values():
        if not group.reason.strip() or group.count <= 0:
            problems.append(f"a skip group without a reason or count: {group!r}")
    for kind, frame in frames.items():
        if kind not in model.KINDS:
            problems.append(f"an undeclared kind {kind!r}")
            continue
        problems.extend(f"{kind}: {p}" for p in _frame_problems(kind, frame, ref))
    return problems


def _frame_problems(kind: str, frame: pd.DataFrame, ref: FileRef) -> list[str]:
    declared = [(c.name, c.dtype) for c in model.columns(kind)]
    actual = [(name, str(dtype)) for name, dtype in frame.dtypes.items()]
    if [n for n, _ in declared] != [n for n, _ in actual]:
        return [f"columns {list(frame.columns)} differ from the declared ones"]
    if not len(frame):
        return []
    problems = []
    if set(frame["file"].astype(str)) != {ref.display}:
        problems.append(f"rows name other files: {sorted(set(frame['file'].astype(str)))[:3]}")
    if (frame["record"] < 0).any():
        problems.append("negative record numbers")
    for lat, lon in (("lat", "lon"), ("start_lat", "start_lon"), ("end_lat", "end_lon"),
                     ("pickup_lat", "pickup_lon"), ("dropoff_lat", "dropoff_lon")):  # fmt: skip
        if lat in frame:
            lat_values, lon_values = frame[lat].to_numpy(), frame[lon].to_numpy()
            off = (np.abs(lat_values) > 90) | (np.abs(lon_values) > 180) | np.isinf(lat_values) | np.isinf(lon_values)
            if off.any():
                problems.append(f"kept {int(off.sum())} rows with {lat}/{lon} off the globe, e.g. "
                                f"{lat_values[off][0]}, {lon_values[off][0]}")  # fmt: skip
    if kind == "points" and (frame["lat"].isna() | frame["lon"].isna()).any():
        problems.append("kept points without coordinates")
    for column in ("amount", "fare", "value", "balance", "distance_km", "distance_m"):
        if column in frame and np.isinf(frame[column].to_numpy(dtype="float64", na_value=np.nan)).any():
            problems.append(f"kept an infinite {column}")
    if kind == "transactions" and frame["amount"].isna().any():
        problems.append("kept transactions without an amount")
    return problems


def _strict_traceback(ref: FileRef, importer: Importer) -> str:
    """Re-run with AUDITOR_STRICT=1 to show where the exception came from."""
    previous = os.environ.get("AUDITOR_STRICT")
    os.environ["AUDITOR_STRICT"] = "1"
    try:
        import_file(ref, importer)
    except Exception as error:  # noqa: BLE001
        return _describe(error)
    finally:
        if previous is None:
            os.environ.pop("AUDITOR_STRICT", None)
        else:
            os.environ["AUDITOR_STRICT"] = previous
    return "(the strict re-run did not raise)"
