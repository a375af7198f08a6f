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
import re
import traceback
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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


def _clip(position: int, data: bytes) -> int:
    return min(position, len(data))


@st.composite
def mutants(draw: st.DrawFn, seed: bytes) -> bytes:
    """The seed after one to four drawn mutations."""
    data = seed
    for _ in range(draw(st.integers(1, 4))):
        data = draw(_one_mutation(data))
        if len(data) > MUTANT_LIMIT:
            data = data[:MUTANT_LIMIT]
    return data


def _one_mutation(data: bytes) -> st.SearchStrategy[bytes]:
    size = max(len(data), 1)
    position = st.integers(0, size)
    return st.one_of(
        # truncation
        position.map(lambda at: data[:at]),
        # byte flips
        st.lists(st.tuples(position, st.integers(1, 255)), min_size=1, max_size=8).map(lambda flips: _flip(data, flips)),
        # inserted noise or a special value
        st.tuples(position, st.one_of(st.binary(max_size=24), st.sampled_from(VALUES + NUMBERS + DATES))).map(
            lambda item: data[: item[0]] + item[1] + data[item[0] :]
        ),
        # a slice deleted, or repeated (many records, giant fields)
        st.tuples(position, st.integers(1, 4096)).map(lambda cut: data[: cut[0]] + data[cut[0] + cut[1] :]),
        st.tuples(position, st.integers(1, 512), st.integers(2, 2000)).map(lambda rep: _repeat(data, *rep)),
        # a token replaced: wrong types, huge numbers, NaN, far dates, empty and giant values
        st.tuples(st.sampled_from(sorted(_TOKENS)), st.integers(0, 10_000), st.sampled_from(NUMBERS + DATES + VALUES)).map(
            lambda item: _replace_token(data, *item)
        ),
        # every token of one kind replaced at once (a whole column gone wrong)
        st.tuples(st.sampled_from(sorted(_TOKENS)), st.sampled_from(NUMBERS + DATES + VALUES), st.integers(1, 7)).map(
            lambda item: _replace_every(data, *item)
        ),
        # a stretch re-encoded (mixed encodings), or line endings changed
        st.tuples(position, st.integers(1, 4096), st.sampled_from(_ENCODINGS)).map(lambda item: _reencode(data, *item)),
        st.sampled_from([(b"\n", b"\r\n"), (b"\r\n", b"\n"), (b"\n", b"\r"), (b"\n", b"")]).map(
            lambda pair: data.replace(*pair)
        ),
        # lines swapped or dropped
        st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)).map(lambda pair: _swap_lines(data, *pair)),
    )


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
