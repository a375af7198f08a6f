"""The committed sample personas are exactly what their generator writes."""

from __future__ import annotations

from pathlib import Path

from auditor.samples import starter

REPO = Path(__file__).resolve().parent.parent


def test_starter_generator_is_deterministic_and_matches_the_committed_files():
    built = starter.build()
    assert built == starter.build()
    for name, data in built.items():
        committed = (REPO / "sample_exports" / "starter" / name).read_bytes()
        assert committed == data, f"{name} differs from auditor/samples/starter.py output; regenerate it"


def test_a_different_seed_gives_a_different_life():
    assert starter.build(seed=1)[starter.MONZO_NAME] != starter.build()[starter.MONZO_NAME]
