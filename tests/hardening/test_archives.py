"""Hostile archives (DESIGN.md invariants 2 and 3): zip bombs, deep nesting, escaping and
linked members, encrypted members, thousands of tiny members, pipes.

Each is refused or skipped with a message naming the member and the reason, while the real
export beside it still loads, nothing is written anywhere, and the work stays bounded: the
central directory is read a fixed number of times, and memory stays near the sniff head.
bench/archive_bombs.py measures the time and memory of the full-size bombs by hand.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import bombs
from auditor import sources
from auditor.dataset import load_dataset

REPO = Path(__file__).resolve().parents[2]
TRIPS = (REPO / "tests" / "data" / "uber" / "2023" / "trips_data-0.csv").read_bytes()
RECORDS = (REPO / "tests" / "data" / "google-records" / "Records.json").read_bytes()
REAL = {"Uber Data/Rider/trips_data-0.csv": TRIPS}


def why(dataset, suffix: str) -> str:
    """The reason given for the one unclaimed path ending in ``suffix``."""
    reasons = [item.why for item in dataset.unclaimed if item.path.endswith(suffix)]
    assert len(reasons) == 1, f"{suffix}: {[(u.path, u.why) for u in dataset.unclaimed]}"
    return reasons[0]


def trips_read(dataset) -> int:
    return len(dataset.frames["trips"])


@pytest.fixture(scope="module")
def trips_alone(tmp_path_factory) -> int:
    """How many trips the real file gives on its own: what must still load beside a bomb."""
    archive = bombs.plain_zip(tmp_path_factory.mktemp("alone") / "alone.zip", REAL)
    count = trips_read(load_dataset([archive]))
    assert count > 0
    return count


def _entries(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- bombs ----------------------------------------------------------------------------------


def test_a_member_declaring_an_absurd_expansion_is_refused_before_reading(tmp_path: Path, trips_alone: int) -> None:
    archive = bombs.plain_zip(tmp_path / "bomb.zip", {"Takeout/Records.json": RECORDS, **REAL})
    bombs.patch_member(archive, 0, file_size=0xFFFF_FFF0, compress_size=40)
    dataset = load_dataset([archive])
    reason = why(dataset, "!Takeout/Records.json")
    assert "expands" in reason and "4,294,967,280 bytes" in reason and "zip bombs" in reason
    assert trips_read(dataset) == trips_alone


def test_a_large_member_at_a_deflate_bomb_ratio_is_refused(tmp_path: Path, trips_alone: int) -> None:
    # 600 MB out of 1 MB: within what deflate can do (about 1000x), far beyond real exports.
    # (the member comes last, so that its claimed 1 MB overlaps nothing)
    archive = bombs.plain_zip(tmp_path / "bomb.zip", {**REAL, "Takeout/Records.json": RECORDS})
    bombs.patch_member(archive, 1, file_size=600 * 1024**2, compress_size=1024**2)
    dataset = load_dataset([archive])
    assert "expands 600 times" in why(dataset, "!Takeout/Records.json")
    assert trips_read(dataset) == trips_alone


def test_a_large_real_looking_member_is_not_mistaken_for_a_bomb(tmp_path: Path) -> None:
    # 600 MB at 15x is what a big Records.json looks like: it must pass the guard.
    info = zipfile.ZipInfo("Takeout/Records.json")
    info.file_size, info.compress_size = 600 * 1024**2, 40 * 1024**2
    assert sources._member_problem(info) is None


def test_members_that_overlap_refuse_the_whole_archive(tmp_path: Path) -> None:
    archive = bombs.overlapping_zip(tmp_path / "overlap.zip", TRIPS, copies=500)
    with zipfile.ZipFile(archive) as check:  # the archive is what a bomb looks like to zipfile
        assert len(check.infolist()) == 500
    dataset = load_dataset([archive])
    assert "overlap one another" in why(dataset, "overlap.zip")
    assert dataset.reports == [] and trips_read(dataset) == 0


def test_a_genuine_deflate_bomb_is_read_no_further_than_its_head(tmp_path: Path) -> None:
    """48 MB of zeros (under the size the ratio guard watches) behind a Records.json name: only the
    sniff head is ever decompressed."""
    archive = bombs.zeros_bomb(tmp_path / "zeros.zip", "Takeout/Records.json", 48 * 1024**2)
    assert archive.stat().st_size < 200_000
    tracemalloc.start()
    try:
        dataset = load_dataset([archive])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "binary content" in why(dataset, "!Takeout/Records.json")
    assert peak < 16 * 1024**2, f"peak {peak:,} bytes: more than the head was decompressed"


# --- nesting, names, links, encryption ---------------------------------------------------------


def test_archives_nest_three_deep_and_no_deeper(tmp_path: Path, trips_alone: int) -> None:
    three = load_dataset([bombs.nested_zip(tmp_path / "three.zip", 3, REAL)])
    assert trips_read(three) == trips_alone
    assert any(r.path.endswith("!level2.zip!level3.zip!Uber Data/Rider/trips_data-0.csv") for r in three.reports)
    ten = load_dataset([bombs.nested_zip(tmp_path / "ten.zip", 10, REAL)])
    assert trips_read(ten) == 0
    assert "nested more than 3 deep" in why(ten, "!level3.zip!level4.zip")
    assert len(ten.unclaimed) == 4  # the deep archive, and the three notes on the way down


def test_a_big_nested_archive_is_listed_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_NESTED_ARCHIVE_BYTES", 1000)
    dataset = load_dataset([bombs.nested_zip(tmp_path / "outer.zip", 2, REAL)])
    assert "unzip the outer one once" in why(dataset, "outer.zip!level2.zip")
    assert trips_read(dataset) == 0


@pytest.mark.parametrize("name", ["/etc/passwd.csv", "../../trips_data-0.csv", "Uber/../../../trips.csv",
                                  "C:/Windows/trips.csv", "..\\..\\trips.csv"])  # fmt: skip
def test_members_whose_names_escape_their_folder_are_not_read(tmp_path: Path, name: str, trips_alone: int) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    archive = bombs.plain_zip(folder / "export.zip", {name: TRIPS, **REAL})
    before = _entries(tmp_path)
    dataset = load_dataset([archive])
    assert "escape its folder" in why(dataset, f"!{name}")
    assert trips_read(dataset) == trips_alone
    assert _entries(tmp_path) == before  # nothing extracted, beside the archive or above it


def test_a_symlink_member_is_not_followed(tmp_path: Path, trips_alone: int) -> None:
    archive = bombs.symlink_zip(tmp_path / "links.zip", "/etc/passwd", REAL)
    dataset = load_dataset([archive])
    assert "symbolic link" in why(dataset, "!Takeout/Records.json")
    assert trips_read(dataset) == trips_alone


def test_an_encrypted_member_is_named_and_the_rest_loads(tmp_path: Path, trips_alone: int) -> None:
    archive = bombs.plain_zip(tmp_path / "locked.zip", {"Takeout/Records.json": RECORDS, **REAL})
    bombs.patch_member(archive, 0, flag_bits=0x1)
    dataset = load_dataset([archive])
    assert "is encrypted" in why(dataset, "!Takeout/Records.json")
    assert trips_read(dataset) == trips_alone


def test_a_corrupt_archive_is_named(tmp_path: Path) -> None:
    good = bombs.plain_zip(tmp_path / "good.zip", REAL).read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(good[: len(good) // 2])  # the central directory is gone
    dataset = load_dataset([broken])
    assert "is not a readable zip archive" in why(dataset, "broken.zip")


# --- many members -------------------------------------------------------------------------------


def test_thousands_of_tiny_members_read_the_directory_a_fixed_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, trips_alone: int
) -> None:
    archive = bombs.many_members_zip(tmp_path / "takeout.zip", 3000, REAL)
    parses = 0
    original = zipfile.ZipFile._RealGetContents

    def counting(self) -> None:
        nonlocal parses
        parses += 1
        original(self)

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", counting)
    dataset = load_dataset([archive])
    assert len(dataset.unclaimed) == 3000 and trips_read(dataset) == trips_alone
    # listing once, sniffing once, then one open per file an importer reads (a sibling or two)
    assert parses <= 2 + 3 * len(dataset.reports), parses


def test_the_member_budget_covers_nested_archives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_MEMBERS", 5)
    inner = bombs._zip_bytes({f"f{i}.csv": TRIPS for i in range(4)})
    archive = bombs.plain_zip(tmp_path / "outer.zip", {"a.zip": inner, "b.zip": inner})
    dataset = load_dataset([archive])
    reasons = sorted(u.why for u in dataset.unclaimed)
    assert any("more than the 5 members read" in r for r in reasons), reasons
    assert len(dataset.reports) == 0  # a.zip's 4 plus the outer 2 passed 5: nothing opened past it


# --- things that are not files ----------------------------------------------------------------------


def test_a_named_pipe_is_listed_not_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "Records.json"
    os.mkfifo(pipe)
    outcome: dict[str, object] = {}
    # Opening a pipe with no writer blocks forever: run it aside so a regression fails, not hangs.
    worker = threading.Thread(target=lambda: outcome.setdefault("dataset", load_dataset([tmp_path])), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "load_dataset blocked on a named pipe"
    assert "not a regular file" in why(outcome["dataset"], "Records.json")


def test_a_link_to_a_device_is_listed_not_read(tmp_path: Path) -> None:
    (tmp_path / "Records.json").symlink_to("/dev/zero")
    dataset = load_dataset([tmp_path])
    assert "not a regular file" in why(dataset, "Records.json")
