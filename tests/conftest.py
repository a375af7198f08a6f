"""Shared test set-up: where the real export samples are, and strict importer errors."""

from __future__ import annotations

import atexit
import importlib.util
import os
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"

# An importer bug must fail the tests, not be turned into a polite message.
os.environ["AUDITOR_STRICT"] = "1"

# Offline guard (DESIGN.md invariant 1). The test process, and every Python it starts
# (PYTHONPATH makes children import the guard as sitecustomize), raises on any network
# connection, name lookup or datagram and logs the attempt; a test during which the log
# grew fails, even if the code under test swallowed the error. How it works:
# tests/hardening/offline_guard/sitecustomize.py; proof: tests/hardening/test_offline.py.
_OFFLINE_GUARD_DIR = REPO / "tests" / "hardening" / "offline_guard"
_offline_fd, _offline_log_name = tempfile.mkstemp(prefix="auditor-offline-", suffix=".log")
os.close(_offline_fd)
OFFLINE_LOG = Path(_offline_log_name)
atexit.register(OFFLINE_LOG.unlink, missing_ok=True)
os.environ["AUDITOR_OFFLINE_GUARD"] = "1"
os.environ["AUDITOR_OFFLINE_LOG"] = str(OFFLINE_LOG)
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_OFFLINE_GUARD_DIR), os.environ.get("PYTHONPATH")]))
_guard_spec = importlib.util.spec_from_file_location("auditor_offline_guard", _OFFLINE_GUARD_DIR / "sitecustomize.py")
offline_guard = importlib.util.module_from_spec(_guard_spec)
_guard_spec.loader.exec_module(offline_guard)
offline_guard.install()


@pytest.fixture(autouse=True)
def _no_network():
    """Fail any test during which this process or a child tried to reach the network."""
    before = OFFLINE_LOG.stat().st_size
    yield
    with open(OFFLINE_LOG, encoding="utf-8") as log:
        log.seek(before)
        attempts = log.read()
    if attempts:
        pytest.fail(f"the test tried to reach the network (DESIGN.md invariant 1):\n{attempts}", pytrace=False)


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


# --- the parse cache's tests (test_cache.py, test_audit_cache.py) ---------------------------------


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache folder of the test's own, with the cache not switched on by the environment."""
    from auditor import cache

    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    monkeypatch.delenv(cache.ENV_ON, raising=False)
    return folder


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display path of every file an importer actually parses (import_file calls)."""
    from auditor import dataset

    calls: list[str] = []
    real = dataset.import_file

    def counting(ref, importer):
        calls.append(ref.display)
        return real(ref, importer)

    monkeypatch.setattr(dataset, "import_file", counting)
    return calls
