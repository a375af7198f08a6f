"""The parse cache: a second read of the same exports skips parsing and gives the same data.

Also: what invalidates an entry (a touched file, changed content with --cache-verify, other
importer code), owner-only permissions, clear, damaged entries, nothing written beside the
inputs, and the command-line switches (off by default, --cache, --no-cache, cache info|clear).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from auditor import cache, dataset
from auditor.cache import ParseCache
from auditor.cli import main
from auditor.dataset import load_dataset

REPO = Path(__file__).resolve().parent.parent
PERSONA = REPO / "sample_exports" / "comfortable-commuter"


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A private copy of a persona, so tests may touch and change its files."""
    target = tmp_path / "exports"
    shutil.copytree(PERSONA, target)
    return target


def _report_view(data: dataset.Dataset) -> dict[str, tuple]:
    return {
        r.path: (r.importer, r.detail, r.rows_read, r.kept_total, r.skipped_total, r.timezone, tuple(r.notes),
                 r.error, {k: (s.kept, s.first, s.last) for k, s in r.kinds.items()}, r.duplicates_dropped)
        for r in data.reports
    }  # fmt: skip


def test_second_run_reads_the_cache_instead_of_parsing_and_gives_the_same_data(exports, cache_dir, parsed):
    fresh = load_dataset([exports])
    parsed_without_cache = len(parsed)
    assert parsed_without_cache >= 6  # the persona's CSVs, OFX, JSON and archive members

    first = load_dataset([exports], cache=ParseCache())
    assert len(parsed) == 2 * parsed_without_cache
    second_cache = ParseCache()
    second = load_dataset([exports], cache=second_cache)
    assert len(parsed) == 2 * parsed_without_cache, "the second run parsed files again"
    assert second_cache.stats.hits >= 1 and second_cache.stats.misses == 0

    for kind, frame in fresh.frames.items():
        for other in (first, second):
            pd.testing.assert_frame_equal(frame, other.frames[kind], check_categorical=False)
            for column in frame.columns:  # the declared dtypes survive the round trip
                assert isinstance(other.frames[kind][column].dtype, type(frame[column].dtype)), (kind, column)
    assert _report_view(second) == _report_view(fresh)
    assert [(u.path, u.why) for u in second.unclaimed] == [(u.path, u.why) for u in fresh.unclaimed]
    assert [(d.kind, d.kept_file, d.dropped_file, d.count) for d in second.duplicates] == [
        (d.kind, d.kept_file, d.dropped_file, d.count) for d in fresh.duplicates
    ]


def test_a_touched_file_is_parsed_again_and_only_that_one(exports, cache_dir, parsed):
    load_dataset([exports], cache=ParseCache())
    parsed.clear()
    statement = exports / "statement-4471-20240830.ofx"
    status = statement.stat()
    os.utime(statement, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    load_dataset([exports], cache=ParseCache())
    assert parsed == [str(statement)]


def test_changed_content_with_the_same_size_and_time_needs_verify(exports, cache_dir, parsed):
    csv = exports / "2024-08-30_transaction_download.csv"
    load_dataset([exports], cache=ParseCache())
    status = csv.stat()
    data = bytearray(csv.read_bytes())
    position = data.rindex(b"1")  # one digit of an amount
    data[position : position + 1] = b"2"
    csv.write_bytes(bytes(data))
    os.utime(csv, ns=(status.st_atime_ns, status.st_mtime_ns))
    parsed.clear()
    load_dataset([exports], cache=ParseCache())
    assert parsed == []  # size and mtime alone cannot see it: the documented trade-off
    verified = ParseCache(verify=True)
    load_dataset([exports], cache=verified)
    assert str(csv) in parsed
    # The entries written with a hash are trusted on the next verified run.
    parsed.clear()
    load_dataset([exports], cache=ParseCache(verify=True))
    assert parsed == []


def test_other_importer_code_invalidates_every_entry(exports, cache_dir, parsed, monkeypatch):
    load_dataset([exports], cache=ParseCache())
    parsed.clear()
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the importers")
    load_dataset([exports], cache=ParseCache())
    assert len(parsed) >= 6


def test_the_fingerprint_covers_the_importers_and_the_version():
    first = cache.code_fingerprint()
    cache.code_fingerprint.cache_clear()
    assert cache.code_fingerprint() == first  # deterministic
    assert len(first) == 32


def test_cache_is_owner_only_and_nothing_is_written_beside_the_inputs(exports, cache_dir):
    before = sorted((p.relative_to(exports), p.stat().st_mtime_ns) for p in exports.rglob("*"))
    load_dataset([exports], cache=ParseCache())
    assert sorted((p.relative_to(exports), p.stat().st_mtime_ns) for p in exports.rglob("*")) == before
    everything = [cache_dir, *cache_dir.rglob("*")]
    assert len(everything) > 5
    for path in everything:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_damaged_entry_is_parsed_again_with_a_note_and_repaired(exports, cache_dir, parsed):
    load_dataset([exports], cache=ParseCache())
    frames = sorted(cache_dir.rglob("transactions.arrow"))
    assert frames
    for path in frames:
        path.write_bytes(path.read_bytes()[:100])  # cut short, as by a full disk
    parsed.clear()
    damaged = ParseCache()
    again = load_dataset([exports], cache=damaged)
    assert damaged.stats.unreadable == len(frames)
    notes = [note for report in again.reports for note in report.notes if "cached copy" in note]
    assert notes and "parsed again" in notes[0]
    assert len(again.frames["transactions"]) == len(load_dataset([exports]).frames["transactions"])
    parsed.clear()
    repaired = ParseCache()
    load_dataset([exports], cache=repaired)
    assert parsed == [] and repaired.stats.unreadable == 0


def test_clear_removes_the_cache_and_refuses_a_folder_it_did_not_create(exports, cache_dir, tmp_path):
    load_dataset([exports], cache=ParseCache())
    held = cache.info()
    assert held.entries >= 6 and held.bytes > 0
    assert any("statement-4471-20240830.ofx" in name for name in held.files)
    assert cache.clear() == held.entries
    assert not cache_dir.exists()
    assert cache.info().entries == 0

    stranger = tmp_path / "someone-elses-folder"
    (stranger / "entries-v1").mkdir(parents=True)
    (stranger / "keep.txt").write_text("not ours")
    with pytest.raises(cache.NotOurCache):
        cache.clear(stranger)
    assert (stranger / "keep.txt").exists() and (stranger / "entries-v1").exists()


def test_cache_folder_follows_xdg_when_auditor_cache_dir_is_unset(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_dir() == tmp_path / "xdg" / "auditor"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/paths/are/ignored")
    assert cache.default_dir() == Path.home() / ".cache" / "auditor"


def test_command_line_cache_is_off_by_default_and_switches_work(exports, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "cli-cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    monkeypatch.delenv(cache.ENV_ON, raising=False)
    scan = ["scan", str(exports), "--format", "json", "--no-ablation", "--pack", str(REPO / "rules" / "example.yaml")]
    assert main(scan) == 0
    plain = capsys.readouterr().out
    assert not folder.exists()  # off unless asked

    assert main([*scan, "--cache"]) == 0
    assert folder.is_dir()
    assert main([*scan, "--cache"]) == 0  # this time from the cache
    assert capsys.readouterr().out == plain * 2  # same findings, same evidence

    assert main(["cache", "info"]) == 0
    listed = capsys.readouterr().out
    assert "statement-4471-20240830.ofx" in listed and "personal data" in listed

    # The bare main job (the sources inventory) takes the same switches.
    shutil.rmtree(folder)
    monkeypatch.setenv(cache.ENV_ON, "1")
    assert main([str(exports), "--format", "json", "--no-cache"]) == 0
    assert not folder.exists()  # --no-cache wins over AUDITOR_CACHE=1
    assert main([str(exports), "--format", "json"]) == 0
    assert folder.is_dir()

    capsys.readouterr()
    assert main(["cache", "clear"]) == 0
    assert "removed" in capsys.readouterr().out
    assert not folder.exists()
