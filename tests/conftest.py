"""Shared test set-up: where the real export samples are, and strict importer errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"

# An importer bug must fail the tests, not be turned into a polite message.
os.environ["AUDITOR_STRICT"] = "1"


@pytest.fixture
def shared_fixtures() -> Path:
    """The real export samples in ../shared/fixtures.

    They are published by other projects and never copied into this repo. Where
    ../shared is absent the tests that need them skip, except in CI, where
    AUDITOR_REQUIRE_SHARED=1 (set by .ci/run) turns the skip into a failure.
    """
    if not SHARED_FIXTURES.is_dir():
        message = f"real export samples not found at {SHARED_FIXTURES} (../shared is absent)"
        if os.environ.get("AUDITOR_REQUIRE_SHARED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_FIXTURES


@pytest.fixture
def data_dir() -> Path:
    """The repo's own real-format samples, written by us: tests/data/<importer>/."""
    return DATA
