"""Fuzzing every importer from real-format seeds (DESIGN.md invariant 3: bad input never crashes).

Each example takes a real file (tests/data, a persona, or a shared fixture), applies one to
four mutations (tests/hardening/mutations.py) and runs it the way a user's file runs:
every importer sniffs it, then the seed's importer (and any other that claims the mutant)
reads it through ``dataset.import_file`` with ``AUDITOR_STRICT`` unset. Any exception that
escapes, or that the edge has to call "please report this", fails; so do rows kept that
break the canonical model (coordinates off the globe, infinite amounts...).

The default run is small and derandomised (CI); the long variant runs by hand:

    AUDITOR_FUZZ_EXAMPLES=10000 AUDITOR_FUZZ_STATS=/tmp/fuzz.jsonl \\
        python -m pytest tests/hardening/test_fuzz_importers.py -m slow -p no:cacheprovider
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutations import BY_ID, collect_seeds, mutants, repo_seeds, run_mutant

SEEDS = repo_seeds()
CI_EXAMPLES = int(os.environ.get("AUDITOR_FUZZ_CI_EXAMPLES", "30"))
LONG_EXAMPLES = int(os.environ.get("AUDITOR_FUZZ_EXAMPLES", "10000"))
_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
          HealthCheck.function_scoped_fixture]  # fmt: skip


def test_every_importer_has_a_seed() -> None:
    """A new importer without a real-format sample in tests/data would go unfuzzed."""
    assert sorted(BY_ID) == sorted(SEEDS), f"importers without a seed: {sorted(set(BY_ID) - set(SEEDS))}"


def _fuzz(importer_id: str, seeds, workdir: Path, examples: int, derandomize: bool) -> Counter:
    stats: Counter = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              suppress_health_check=_QUIET, print_blob=True)  # fmt: skip
    @given(st.data())
    def run(data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(seeds) - 1), label="seed")
        seed = seeds[index]
        mutant = data.draw(mutants(seed.data), label="mutant")
        folder = workdir / str(index)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        outcome = run_mutant(folder / seed.name, mutant, seed.importer)
        took = time.perf_counter() - started
        (folder / seed.name).unlink()
        stats["inputs"] += 1
        stats["refused"] += outcome.refused
        stats["rows_kept"] += outcome.kept
        stats["bytes"] += len(mutant)
        stats["max_ms"] = max(stats["max_ms"], round(took * 1000))
        stats["total_ms"] += round(took * 1000)
        assert not outcome.problems, f"seed {seed.origin}:\n" + "\n".join(outcome.problems)

    run()
    return stats


def _record(importer_id: str, stats: Counter) -> None:
    target = os.environ.get("AUDITOR_FUZZ_STATS")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"importer": importer_id, **stats}) + "\n")


@pytest.mark.parametrize("importer_id", sorted(SEEDS))
def test_fuzz_importer(importer_id: str, tmp_path: Path) -> None:
    stats = _fuzz(importer_id, SEEDS[importer_id], tmp_path, CI_EXAMPLES, derandomize=True)
    assert stats["inputs"] == CI_EXAMPLES


@pytest.mark.slow
@pytest.mark.parametrize("importer_id", sorted(SEEDS))
def test_fuzz_importer_long(importer_id: str, tmp_path: Path) -> None:
    stats = _fuzz(importer_id, SEEDS[importer_id], tmp_path, LONG_EXAMPLES, derandomize=False)
    _record(importer_id, stats)
    assert stats["inputs"] >= LONG_EXAMPLES


def test_fuzz_shared_fixture_seeds(shared_fixtures: Path, tmp_path: Path) -> None:
    """The other projects' real samples as seeds: formats seen in the wild, not only ours."""
    seeds = collect_seeds([shared_fixtures])
    assert seeds, "no shared fixture was claimed by any importer"
    for importer_id in sorted(seeds):
        _fuzz(importer_id, seeds[importer_id], tmp_path / importer_id, max(CI_EXAMPLES // 3, 5), derandomize=True)


CRASHERS = sorted((Path(__file__).parent / "crashers").glob("*--*--*"))


@pytest.mark.parametrize("path", CRASHERS, ids=[p.name.split("--")[1] for p in CRASHERS])
def test_inputs_that_once_crashed_an_importer_now_read_or_refuse_cleanly(path: Path, tmp_path: Path) -> None:
    """Mutants the long campaign (bench/fuzz_long.py) found, kept as ``importer--what--name``."""
    importer_id, _, name = path.name.split("--", 2)
    outcome = run_mutant(tmp_path / name, path.read_bytes(), importer_id)
    assert not outcome.problems, "\n".join(outcome.problems)
