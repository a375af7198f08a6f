"""The person's files are only read (DESIGN.md invariant 2), and what auditor does write is
written safely (reports all or nothing, owner-only; the cache only where it was asked to be).

Every command runs through ``auditor.cli.main`` on copies of real exports (a persona, a rule
pack with its list files) in a folder of their own, from an empty working folder, with an
empty HOME. Before and after each, every input is hashed and stat'ed: same bytes, same
modification time, same mode, and nothing new beside them, in the working folder or HOME.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import cli
from auditor.reports import atomic

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Inputs (two personas, a pack with its lists) and empty working, home and output folders."""
    inputs = tmp_path / "inputs"
    shutil.copytree(REPO / "sample_exports" / "gig-driver", inputs / "gig-driver")
    shutil.copytree(REPO / "sample_exports" / "comfortable-commuter", inputs / "commuter")
    (inputs / "packs").mkdir()
    shutil.copy(REPO / "rules" / "example.yaml", inputs / "packs" / "example.yaml")
    shutil.copytree(REPO / "rules" / "lists", inputs / "packs" / "lists")
    folders = {"inputs": inputs}
    for name in ("work", "home", "out"):
        folders[name] = tmp_path / name
        folders[name].mkdir()
    monkeypatch.chdir(folders["work"])
    monkeypatch.setenv("HOME", str(folders["home"]))
    for variable in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "AUDITOR_CACHE", "AUDITOR_CACHE_DIR"):
        monkeypatch.delenv(variable, raising=False)
    return folders


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry under ``folder``: content hash (files), modification time and mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[str(path.relative_to(folder))] = (digest, info.st_mtime_ns, stat.S_IMODE(info.st_mode))
    return out


def _commands(place: dict[str, Path]) -> list[list[str]]:
    driver, commuter, packs, out = (str(place["inputs"] / "gig-driver"), str(place["inputs"] / "commuter"),
                                    str(place["inputs"] / "packs"), place["out"])  # fmt: skip
    example = str(Path(packs) / "example.yaml")
    return [
        ["--no-tui", commuter],
        ["sources", driver, "--format", "json"],
        ["sources", commuter, "--timezone", "America/New_York"],
        ["scan", driver, "--format", "json", "--no-ablation"],
        ["scan", commuter, "--format", "markdown", "--pack", example],
        ["rules", "list", packs],
        ["rules", "lint", packs],
        ["rules", "test", packs],
        ["samples", "list"],
        ["compare", commuter, "--pack", example],
        ["report", commuter, "--format", "html", "--output", str(out / "report.html"), "--no-ablation"],
        ["report", commuter, "--format", "csv", "--output", str(out / "report.csv"), "--redact", "coarse", "--pack", example],
        ["report", commuter, "--format", "json", "--output", "-", "--pack", example],
        ["cache", "info"],
    ]


def test_no_command_writes_beside_the_inputs_or_anywhere_unasked(place: dict[str, Path], capsys) -> None:
    inputs_before = snapshot(place["inputs"])
    assert len(inputs_before) > 20
    written: set[str] = set()
    for argv in _commands(place):
        code = cli.main(argv)
        captured = capsys.readouterr()
        assert code in (0, 1), (argv, code, captured.err[-1000:])
        assert "Traceback" not in captured.err
        assert snapshot(place["inputs"]) == inputs_before, f"{argv} changed the inputs"
        assert snapshot(place["work"]) == {}, f"{argv} wrote into the working folder"
        assert snapshot(place["home"]) == {}, f"{argv} wrote into HOME (a cache or config nobody asked for)"
        outputs = set(snapshot(place["out"]))
        assert outputs - written <= {Path(a).name for a in argv if a.startswith(str(place["out"]))}, argv
        written = outputs
    assert written == {"report.html", "report.csv"}
    for name in written:
        assert stat.S_IMODE((place["out"] / name).stat().st_mode) == 0o600  # a report holds personal data


def test_the_cache_writes_only_where_it_lives_and_owner_only(place: dict[str, Path], capsys) -> None:
    inputs_before = snapshot(place["inputs"])
    cache = place["home"] / ".cache" / "auditor"
    for _ in range(2):  # the second run reads the cache back
        assert cli.main(["scan", str(place["inputs"] / "commuter"), "--format", "json", "--cache", "--no-ablation"]) == 0
    capsys.readouterr()
    assert snapshot(place["inputs"]) == inputs_before
    assert snapshot(place["work"]) == {}
    entries = snapshot(place["home"])
    assert entries and all(name.startswith(".cache") for name in entries)
    for name, (_, _, mode) in entries.items():
        inside = Path(name).parts[:2] == (".cache", "auditor") and len(Path(name).parts) > 2
        if inside or name == ".cache/auditor":
            assert mode & 0o077 == 0, f"{name} is readable by others ({oct(mode)})"
    assert cache.is_dir()


# --- reports: all or nothing -------------------------------------------------------------------


class Interrupted(BaseException):
    """A crash in the middle of writing (a kill, a full disk, Ctrl-C)."""


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_crash_while_writing_a_report_leaves_the_old_one_whole_and_no_half_file(
    place: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys, step: str
) -> None:
    target = place["out"] / "report.md"
    first = b"# last week's report\n" * 100
    target.write_bytes(first)

    def crash(*args, **kwargs):
        raise Interrupted(step)

    if step == "write":
        real_fdopen = os.fdopen

        class Failing:
            def __init__(self, handle):
                self._handle = handle

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self._handle.close()

            def fileno(self):
                return self._handle.fileno()

            def write(self, data):
                self._handle.write(data[: len(data) // 2])  # half the report reaches the disk...
                raise Interrupted(step)  # ...then the process dies

            def flush(self):
                self._handle.flush()

        monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    elif step == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", crash)
    else:
        monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(Interrupted):
        cli.main(["report", str(place["inputs"] / "commuter"), "--format", "markdown", "--output", str(target),
                  "--pack", str(place["inputs"] / "packs" / "example.yaml"), "--no-ablation"])  # fmt: skip
    capsys.readouterr()
    assert target.read_bytes() == first  # the previous report, whole
    assert sorted(p.name for p in place["out"].iterdir()) == ["report.md"]  # no temporary left behind


def test_a_report_is_owner_only_whatever_the_umask(place: dict[str, Path], capsys) -> None:
    previous = os.umask(0)
    try:
        target = place["out"] / "open.html"
        assert cli.main(["report", str(place["inputs"] / "commuter"), "--output", str(target),
                         "--pack", str(place["inputs"] / "packs" / "example.yaml"), "--no-ablation"]) == 0  # fmt: skip
    finally:
        os.umask(previous)
    capsys.readouterr()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_an_html_report_writes_nothing_into_home(place: dict[str, Path]) -> None:
    """matplotlib (the charts) writes a font cache on first use: never into the person's HOME.

    A child process: in this one matplotlib may already be imported with another HOME."""
    target = place["out"] / "report.html"
    argv = ["report", str(place["inputs"] / "commuter"), "--output", str(target),
            "--pack", str(place["inputs"] / "packs" / "example.yaml"), "--no-ablation"]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MPL", "XDG_"))}
    env["HOME"] = str(place["home"])
    done = subprocess.run([sys.executable, "-m", "auditor", *argv], capture_output=True, text=True, env=env,
                          cwd=place["work"], timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert target.is_file()
    assert snapshot(place["home"]) == {}
