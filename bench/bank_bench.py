"""Benchmark: the bank-csv importer on a large statement in a real preset's layout.

Generates, deterministically (same rows and seed give byte-identical files), a statement
of N rows in one of these layouts (headers exactly as the presets expect):

* ``sparkasse``: Sparkasse CSV-MT940, Windows-1252, everything quoted, semicolons,
  DD.MM.YY, decimal comma with thousands dots, CRLF; one row in 500 has a quoted line
  break in its purpose text (the slower path for line numbers is not needed for that);
* ``schwab``: Charles Schwab checking, ``$``-prefixed Withdrawal/Deposit columns with
  thousands commas (every amount goes through the decorated-amount parser);
* ``monzo``: Monzo 2018, timestamps with ``+0000`` (date-time parsing with offsets).

Then it times ``dataset.import_file`` (read, decode, detect, parse, build the frame) and
the sniff of the file's head, a few times, and prints the median.

Usage::

    python bench/bank_bench.py                      # 50k rows, every layout, 5 repeats
    python bench/bank_bench.py --rows 200000 --layout schwab
    python bench/bank_bench.py --check              # exit 1 above 1 s for 50k rows

The target (issue): a 50k-row CSV loads in well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from auditor.dataset import import_file  # noqa: E402
from auditor.importers import bank_csv  # noqa: E402
from auditor.importers.base import FileRef  # noqa: E402
from auditor.sources import read_head  # noqa: E402

TARGET_S_FOR_50K = 1.0
DATA = REPO / "bench" / "data"
MERCHANTS = (
    "REWE SAGT DANKE",
    "Bäckerei Müller",
    "ARAL Tankstelle",
    "Stadtwerke München",
    "Amazon EU S.a.r.l.",
    "Café Zentral",
)


def _amounts(rng: np.random.Generator, rows: int) -> np.ndarray:
    values = np.round(rng.lognormal(3.0, 1.2, rows), 2)
    sign = np.where(rng.random(rows) < 0.85, -1.0, 1.0)
    return values * sign


def _days(rows: int) -> np.ndarray:
    start = np.datetime64("2015-01-01")
    return start + (np.arange(rows) * 3 // 40).astype("timedelta64[D]")


def sparkasse(rows: int, rng: np.random.Generator) -> tuple[str, bytes]:
    header = (
        '"Auftragskonto";"Buchungstag";"Valutadatum";"Buchungstext";"Verwendungszweck";'
        '"Beguenstigter/Zahlungspflichtiger";"Kontonummer";"BLZ";"Betrag";"Waehrung";"Info"'
    )
    amounts = _amounts(rng, rows)
    merchants = rng.integers(0, len(MERCHANTS), rows)
    lines = [header]
    for i, (day, amount, merchant) in enumerate(zip(_days(rows), amounts, merchants, strict=True)):
        date = day.astype(object).strftime("%d.%m.%y")
        text = f"{MERCHANTS[merchant]} {i}" + ("\r\nzweite Zeile" if i % 500 == 0 else "")
        money = f"{amount:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
        lines.append(
            f'"0123456789";"{date}";"{date}";"KARTENZAHLUNG";"{text}";"{MERCHANTS[merchant]}";'
            f'"DE02120300000000202051";"BYLADEM1001";"{money}";"EUR";"Umsatz gebucht"'
        )
    return "sparkasse-umsatz.CSV", ("\r\n".join(lines) + "\r\n").encode("cp1252")


def schwab(rows: int, rng: np.random.Generator) -> tuple[str, bytes]:
    amounts = _amounts(rng, rows)
    balance = 10_000 + np.cumsum(amounts)
    lines = ['"Date","Status","Type","CheckNumber","Description","Withdrawal","Deposit","RunningBalance"']
    for i, (day, amount, running) in enumerate(zip(_days(rows)[::-1], amounts, balance, strict=True)):
        date = day.astype(object).strftime("%m/%d/%Y")
        out, into = (f"${-amount:,.2f}", "") if amount < 0 else ("", f"${amount:,.2f}")
        lines.append(
            f'"{date}","Posted","VISA","","{MERCHANTS[i % len(MERCHANTS)]} {i}","{out}","{into}","${running:,.2f}"'
        )
    return "schwab-checking.csv", ("\n".join(lines) + "\n").encode("utf-8")


def monzo(rows: int, rng: np.random.Generator) -> tuple[str, bytes]:
    amounts = _amounts(rng, rows)
    seconds = rng.integers(0, 86_400, rows)
    lines = [
        "id,created,amount,currency,local_amount,local_currency,category,emoji,description,address,notes,receipt"
    ]
    for i, (day, amount, second) in enumerate(zip(_days(rows), amounts, seconds, strict=True)):
        moment = (day + np.timedelta64(int(second), "s")).astype(object).strftime("%Y-%m-%d %H:%M:%S")
        lines.append(
            f"tx_{i:020d},{moment} +0000,{amount:.2f},GBP,{amount:.2f},GBP,groceries,,{MERCHANTS[i % 6]},,,"
        )
    return "MonzoDataExport_February2018_2018-02-26_174335.csv", ("\n".join(lines) + "\n").encode("utf-8")


LAYOUTS = {"sparkasse": sparkasse, "schwab": schwab, "monzo": monzo}


def generate(layout: str, rows: int, seed: int) -> Path:
    name, data = LAYOUTS[layout](rows, np.random.default_rng(seed))
    folder = DATA / f"bank-{layout}-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    return path


def run(path: Path, repeat: int) -> tuple[float, float, int, str]:
    ref = FileRef(path, (), path.stat().st_size)
    importer = next(i for i in bank_csv.IMPORTERS)
    loads, sniffs, kept, detail = [], [], 0, ""
    for _ in range(repeat):
        started = time.perf_counter()
        bank_csv.sniff(read_head(ref))
        sniffs.append(time.perf_counter() - started)
        started = time.perf_counter()
        frames, report = import_file(ref, importer)
        loads.append(time.perf_counter() - started)
        kept, detail = len(frames["transactions"]), report.detail
        if report.error or report.skipped_total:
            raise SystemExit(f"{path}: {report.error or report.skipped}")
    return statistics.median(loads), statistics.median(sniffs), kept, detail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--layout", choices=[*LAYOUTS, "all"], default="all")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="exit 1 when a layout is above the target")
    args = parser.parse_args()
    slow = False
    limit = TARGET_S_FOR_50K * args.rows / 50_000
    for layout in LAYOUTS if args.layout == "all" else [args.layout]:
        path = generate(layout, args.rows, args.seed)
        load, sniff, kept, detail = run(path, args.repeat)
        size = path.stat().st_size / 1e6
        print(
            f"{layout:10s} {kept:>8,} rows  {size:6.1f} MB  import {load * 1000:7.1f} ms  "
            f"({kept / load / 1e3:6.0f}k rows/s)  sniff {sniff * 1000:5.1f} ms  [{detail}]"
        )
        slow |= load > limit
    if args.check and slow:
        print(f"above the target of {limit:.2f} s", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
