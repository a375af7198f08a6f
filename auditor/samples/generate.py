"""Generate a persona: simulate the life, write every export, the README and the ground truth.

``build`` returns the persona's :class:`~auditor.samples.output.Bundle` (nothing written);
``write`` puts it in a folder. Deterministic: the same persona, seed, years and density give
byte-identical files. A folder that holds anything but this generator's own files is left
alone unless ``force`` is given (the person's own exports must never be overwritten).
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.samples.life import LifeBuilder, sample_points
from auditor.samples.output import Bundle, write_bundle
from auditor.samples.personas import PERSONAS
from auditor.samples.readme import persona_readme
from auditor.samples.spec import Persona, Run
from auditor.samples.truth import SCHEMA, Truth

DEFAULT_SEED = 1
TRUTH_NAME = "truth.json"
README_NAME = "README.md"


class FolderNotEmpty(Exception):
    """The output folder holds files this generator did not write."""


def plan(name: str, seed: int = DEFAULT_SEED, years: float | None = None, density: float | None = None) -> tuple[Persona, Run]:
    """The persona and the run settings, defaults filled in from the persona."""
    try:
        persona = PERSONAS[name]
    except KeyError:
        raise KeyError(f"unknown persona {name!r}; known: {', '.join(PERSONAS)}") from None
    years = persona.years if years is None else years
    density = persona.density if density is None else density
    if years <= 0 or density <= 0:
        raise ValueError("years and density must be positive")
    days = max(7, round(years * 365))
    return persona, Run(name, seed, years, density, persona.start, days)


def build(name: str, seed: int = DEFAULT_SEED, years: float | None = None, density: float | None = None) -> Bundle:
    """Every file of one persona, ready to write (big members stream when written)."""
    persona, run = plan(name, seed, years, density)
    builder = LifeBuilder(persona.name, persona.timezone, run.first_day, run.days, seed, run.density)
    persona.simulate(builder, run)
    life = builder.finish()
    still, moving = persona.point_seconds
    points = sample_points(life, still, moving, seed)
    truth = Truth(
        persona.name,
        dict(persona.signals),
        meta={
            "generator": f"auditor samples generate --persona {persona.name} --seed {seed} --years {run.years:g} --density {run.density:g}",
            "timezone": persona.timezone,
            "first_day": run.first_day.isoformat(),
            "last_day": run.last_day.isoformat(),
        },
    )
    for key, (description, when, place) in life.links.items():
        truth.link(key, description, when.isoformat().replace("+00:00", "Z"), place.lat, place.lon)
    bundle = persona.write(life, points, truth, run)
    truth.meta["files"] = [*bundle.files, README_NAME, TRUTH_NAME]
    bundle.add(README_NAME, persona_readme(persona, life, run, bundle, truth).encode())
    bundle.add(TRUTH_NAME, truth.to_json())
    return bundle


def generator_files(folder: Path) -> set[str]:
    """The files a previous run wrote into ``folder``, as its truth.json lists them."""
    try:
        truth = json.loads((folder / TRUTH_NAME).read_bytes())
    except (OSError, ValueError):
        return set()
    if not isinstance(truth, dict) or truth.get("schema") != SCHEMA:
        return set()
    return {name for name in truth.get("files", []) if isinstance(name, str)}


def write(
    folder: Path,
    name: str,
    seed: int = DEFAULT_SEED,
    years: float | None = None,
    density: float | None = None,
    force: bool = False,
) -> list[Path]:
    """Generate the persona into ``folder``.

    A folder holding any file that an earlier run of this generator did not write (the
    person's own exports, say) is refused unless ``force``: nothing there is overwritten.
    """
    if folder.exists() and not force:
        ours = generator_files(folder)
        others = sorted(path.name for path in folder.iterdir() if path.name not in ours)
        if others:
            raise FolderNotEmpty(
                f"{folder} already holds files this generator did not write ({', '.join(others[:3])}"
                f"{', ...' if len(others) > 3 else ''}); use --force to write there anyway"
            )
    bundle = build(name, seed, years, density)
    return write_bundle(folder, bundle)


def strangers(folder: Path, written: list[Path]) -> list[Path]:
    """Files in ``folder`` this run did not write (an older run's, or the person's own)."""
    mine = set(written)
    return sorted(path for path in folder.iterdir() if path.is_file() and path not in mine)
