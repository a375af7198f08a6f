"""The whole-audit cache: the same inputs read back merged, with their derived tables.

A cached audit must give exactly what an uncached one gives (scores, findings, evidence,
what each source gives away, the JSON a user reads), and anything that could make it
differ (a changed input, other importer or derive code, another clock or time zone, a
damaged entry) must make it read and build again.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import audit_cache, cache
from auditor.cache import ParseCache
from auditor.cli import main
from auditor.derive import stays as stays_module
from auditor.pipeline import AuditResult, run_audit

REPO = Path(__file__).resolve().parent.parent
PERSONA = REPO / "sample_exports" / "gig-driver"  # location, rides, two bank accounts, posts
TIMEZONE = "America/Chicago"


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """A private copy of a persona, so tests may touch and change its files."""
    target = tmp_path / "exports"
    shutil.copytree(PERSONA, target)
    return target


@pytest.fixture
def stays_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per time the stays table is actually built (not read back)."""
    calls: list[int] = []
    real = stays_module.build_stays

    def counting(frames, now, timezone):
        calls.append(1)
        return real(frames, now, timezone)

    monkeypatch.setattr(stays_module, "build_stays", counting)
    return calls


def _outcome(result: AuditResult) -> list:
    """Everything an audit concluded, evidence rows included, as plain comparable values."""
    out = []
    for pack in result.packs:
        out.append((pack.pack.id, pack.score.score, [d.applied for d in pack.score.dimensions]))
        for f in pack.findings:
            out.append((f.rule, f.outcome, f.value, f.shown_value, f.distance, f.effect, f.reason,
                        f.judged_rows, f.unjudged_rows, np.asarray(f.evidence).tolist(),
                        [(g.label, g.value, g.passed, g.rows) for g in f.groups]))  # fmt: skip
        for s in pack.sources:
            out.append((s.source, s.rows, s.without.score, s.without.fired, s.alone.score, s.alone.fired, s.needs_it))
    return out


def _same_frames(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame], strict: bool = False) -> None:
    """Equal values and dtypes; ``strict`` also compares the dtype of categories (text categories
    are "str" or "string" depending on the path a frame took through the parse cache's merge)."""
    assert list(left) == list(right)
    for kind, frame in left.items():
        pd.testing.assert_frame_equal(frame, right[kind], check_exact=True, check_dtype=strict, check_categorical=strict)
        assert list(frame.dtypes.astype(str)) == list(right[kind].dtypes.astype(str)), kind


def test_a_cached_audit_gives_exactly_the_uncached_result(exports, cache_dir, parsed, stays_built):
    announced: dict[str, list] = {"fresh": [], "cached": []}  # progress: each file read, and by which importer
    fresh = run_audit([exports], timezone=TIMEZONE, on_file=lambda c: announced["fresh"].append((c.ref.display, c.importer.id)))
    parsed_alone, stays_alone = len(parsed), len(stays_built)
    assert parsed_alone >= 5 and stays_alone >= 2  # stays per ablation variant that sees other location sources

    filling = run_audit([exports], timezone=TIMEZONE, cache=ParseCache())
    assert filling.data.store is not None and filling.data.store.written >= 7  # every derived table, per variant
    parsed.clear(), stays_built.clear()
    second_cache = ParseCache()
    second = run_audit([exports], timezone=TIMEZONE, cache=second_cache,
                       on_file=lambda c: announced["cached"].append((c.ref.display, c.importer.id)))
    assert parsed == [] and stays_built == []  # nothing parsed, merged or derived again
    assert announced["cached"] == announced["fresh"] and len(announced["fresh"]) == parsed_alone
    assert second_cache.stats.hits == 1 and second.data.store.read >= 7 and second.data.store.written == 0

    for other in (filling, second):
        assert _outcome(other) == _outcome(fresh)
        _same_frames(fresh.dataset.frames, other.dataset.frames)
        assert [(r.path, r.importer, r.rows_read, r.kept_total, r.notes, r.duplicates_dropped) for r in other.dataset.reports] == [
            (r.path, r.importer, r.rows_read, r.kept_total, r.notes, r.duplicates_dropped) for r in fresh.dataset.reports]
        assert other.dataset.unclaimed == fresh.dataset.unclaimed
        assert other.dataset.duplicates == fresh.dataset.duplicates
    _same_frames(filling.dataset.frames, second.dataset.frames, strict=True)  # read back exactly as kept
    for name in ("stays", "places", "nights", "payments", "recurring", "income", "cashflow"):
        _same_frames({name: fresh.frame(name)}, {name: second.frame(name)})
        _same_frames({name: filling.frame(name)}, {name: second.frame(name)}, strict=True)


def test_the_json_a_user_reads_is_the_same_byte_for_byte(exports, cache_dir, capsys):
    scan = ["scan", str(exports), "--format", "json", "--timezone", TIMEZONE]
    assert main([*scan, "--no-cache"]) == 0
    plain = capsys.readouterr().out
    assert main([*scan, "--cache"]) == 0
    assert main([*scan, "--cache"]) == 0
    assert capsys.readouterr().out == plain * 2
    assert json.loads(plain)["packs"][0]["findings"]


# The tests below leave ablation out: what they check does not depend on it, and it triples the time.


def test_a_changed_input_is_read_again_and_the_result_follows_it(exports, cache_dir, parsed, stays_built):
    run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    statement = next(exports.glob("Chase1234_*.CSV"))
    lines = statement.read_text(encoding="utf-8").splitlines(keepends=True)
    statement.write_text("".join(lines[:1] + lines[40:]), encoding="utf-8")  # 39 movements fewer
    parsed.clear(), stays_built.clear()
    changed = run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert parsed == [str(statement)]  # the other files come from their own entries
    # the derived tables are built again from the new dataset (all of them: they are kept per dataset)
    assert changed.data.store.written >= 5 and stays_built
    fresh = run_audit([exports], timezone=TIMEZONE, ablation=False)
    assert len(fresh.dataset.frames["transactions"]) == len(changed.dataset.frames["transactions"])
    assert _outcome(changed) == _outcome(fresh)
    _same_frames(fresh.dataset.frames, changed.dataset.frames)


def test_other_code_or_version_invalidates(exports, cache_dir, parsed, stays_built, monkeypatch):
    run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    parsed.clear(), stays_built.clear()
    monkeypatch.setattr(audit_cache, "derive_fingerprint", lambda: "other derive code")
    rebuilt = run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert parsed == [] and stays_built and rebuilt.data.store.read == 0
    # another auditor version or importer code: every file is parsed again
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "auditor 9.9 with other importers")
    stays_built.clear()
    again = run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert len(parsed) >= 5 and stays_built
    assert _outcome(again) == _outcome(rebuilt)


def test_another_clock_or_time_zone_builds_its_own_tables(exports, cache_dir, stays_built):
    run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    stays_built.clear()
    # "UTC" named: with no zone given, one is inferred from the exports (auditor.timezones)
    utc = run_audit([exports], timezone="UTC", cache=ParseCache(), ablation=False)
    assert stays_built and utc.data.store.read == 0
    assert _outcome(utc) == _outcome(run_audit([exports], timezone="UTC", ablation=False))
    stays_built.clear()
    earlier = run_audit([exports], now="2025-01-31", cache=ParseCache(), ablation=False)
    assert stays_built and earlier.data.store.read == 0
    assert _outcome(earlier) == _outcome(run_audit([exports], now="2025-01-31", ablation=False))


def test_a_damaged_entry_is_read_again_and_replaced(exports, cache_dir, parsed):
    fresh = run_audit([exports], timezone=TIMEZONE, ablation=False)
    run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    damaged = sorted((cache_dir / audit_cache.AUDITS).rglob("*.arrow"))
    assert any(path.parent.name == "frames" for path in damaged) and any(path.parent.name == "derived" for path in damaged)
    for path in damaged:
        path.write_bytes(path.read_bytes()[:64])  # cut short, as by a full disk
    parsed.clear()
    recovered = run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert parsed == []  # the per-file entries were intact
    assert _outcome(recovered) == _outcome(fresh)
    repaired = run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert repaired.data.store.read >= 5 and _outcome(repaired) == _outcome(fresh)


def test_entries_are_owner_only_listed_and_cleared(exports, cache_dir, capsys):
    before = sorted((p.relative_to(exports), p.stat().st_mtime_ns) for p in exports.rglob("*"))
    run_audit([exports], timezone=TIMEZONE, cache=ParseCache(), ablation=False)
    assert sorted((p.relative_to(exports), p.stat().st_mtime_ns) for p in exports.rglob("*")) == before
    audits = cache_dir / audit_cache.AUDITS
    everything = [audits, *audits.rglob("*")]
    assert len(everything) > 10
    for path in everything:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
    held = cache.info()
    assert any(name.startswith("merged audit of") and str(exports) in name for name in held.files)
    assert main(["cache", "clear"]) == 0
    assert f"{held.entries} entries removed" in capsys.readouterr().out
    assert not cache_dir.exists()


def test_a_store_only_reads_tables_of_its_own_key(tmp_path):
    folder = tmp_path / "derived"
    inputs = (("points", frozenset({"google-location"})), ("trips", frozenset({"uber", "lyft"})))
    frame = pd.DataFrame({"a": [1, 2], "b": pd.Series(["x", None], dtype="string")})
    store = audit_cache.DerivedStore(folder, {"now": "2024-01-01", "code": "1"})
    store.put("stays", inputs, frame)
    # the same sources listed in another order name the same table
    shuffled = (("points", frozenset({"google-location"})), ("trips", frozenset({"lyft", "uber"})))
    pd.testing.assert_frame_equal(store.get("stays", shuffled), frame)
    assert store.get("places", inputs) is None
    other = audit_cache.DerivedStore(folder, {"now": "2024-02-01", "code": "1"})
    assert other.get("stays", inputs) is None
    other.put("stays", inputs, frame.iloc[:1])
    assert store.get("stays", inputs) is None  # the folder now holds the other clock's tables
    assert os.listdir(folder) and all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in os.listdir(folder))


def test_a_report_from_the_cache_is_the_same_file(exports, cache_dir, capsys):
    report = ["report", str(exports), "--format", "markdown", "--output", "-", "--no-ablation", "--timezone", TIMEZONE]
    assert main([*report, "--no-cache"]) == 0
    plain = capsys.readouterr().out
    assert not cache_dir.exists()
    assert main([*report, "--cache"]) == 0
    assert main([*report, "--cache"]) == 0
    assert capsys.readouterr().out == plain * 2
    assert "## What was read" in plain and (cache_dir / audit_cache.AUDITS).is_dir()
