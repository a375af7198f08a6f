"""Where the files that ship with auditor live: the rule packs and the sample personas.

In the repository they sit at the top (``rules/``, ``sample_exports/``, a fixed layout);
in an installed wheel they are package data under ``auditor/`` (pyproject's
force-include). Both are found here, so ``pipx install .`` works anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

DEFAULT_PERSONA = "night-shift-nurse"


def _shipped(name: str) -> Path:
    packaged = Path(str(resources.files("auditor") / name))
    if packaged.is_dir():
        return packaged
    in_repo = Path(__file__).resolve().parent.parent / name
    if in_repo.is_dir():
        return in_repo
    raise FileNotFoundError(f"auditor's {name}/ folder is missing from this installation")


def rules_dir() -> Path:
    """The built-in rule packs."""
    return _shipped("rules")


def samples_dir() -> Path:
    """The folder of sample personas; every subfolder is one persona."""
    return _shipped("sample_exports")


def personas() -> list[str]:
    """Names of the sample personas that ship with auditor."""
    return sorted(p.name for p in samples_dir().iterdir() if p.is_dir() and not p.name.startswith("."))


def persona_dir(name: str = DEFAULT_PERSONA) -> Path:
    path = samples_dir() / name
    if not path.is_dir():
        raise FileNotFoundError(f"no sample persona named {name!r}; there are: {', '.join(personas())}")
    return path


def persona_timezone(paths: Iterable[Path]) -> str | None:
    """The time zone a shipped sample persona lived in (its truth.json), else None.

    Only folders inside auditor's own ``sample_exports/`` are asked: a person's own folder
    is never searched for a file it did not bring.
    """
    try:
        root = samples_dir().resolve()
    except FileNotFoundError:
        return None
    zones = set()
    for path in paths:
        folder = Path(path).resolve()
        if folder.parent != root or not (folder / "truth.json").is_file():
            return None
        try:
            zones.add(json.loads((folder / "truth.json").read_text(encoding="utf-8")).get("timezone"))
        except (OSError, ValueError, AttributeError):
            return None
    return zones.pop() if len(zones) == 1 else None
