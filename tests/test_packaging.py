"""A non-editable install works outside the repository, with its rules and samples inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("auditor-*.whl")
    return built


def test_wheel_ships_rules_and_sample_personas_inside_the_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert any(name.startswith("auditor/sample_exports/night-shift-nurse/") and name.endswith(".zip") for name in names)
    assert any(name.startswith("auditor/rules/") for name in names)
    assert "auditor/schemas/sources.schema.json" in names


def test_console_script_runs_from_a_non_editable_install_outside_the_repo(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    script = target / "bin" / "auditor"
    assert script.exists()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    located = subprocess.run(
        [sys.executable, "-c", "import auditor, auditor.resources as r; print(auditor.__file__); print(r.persona_dir())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    module_file, persona = located.stdout.split()
    assert module_file.startswith(str(target)) and persona.startswith(str(target))
    result = subprocess.run([sys.executable, str(script)], cwd=elsewhere, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Sample persona 'night-shift-nurse'" in result.stdout
    assert "What scorers could infer" in result.stdout
    assert "Records.json" in result.stdout
