"""The personas the generator knows: three shipped in ``sample_exports/`` and a benchmark one.

* ``night-shift-nurse``: sound finances that night shifts and hospital visits make look
  irregular and unhealthy (Google Takeout, Monzo, Uber 2023).
* ``gig-driver``: thin savings, a payday loan, overdrafts and a middling rider rating
  (on-device Android Timeline, Chase checking and credit card, Uber 2025).
* ``comfortable-commuter``: a high score that still exposes worship, a dating app, union
  dues and casino weekends (on-device iOS Timeline, OFX checking, Capital One card, Lyft).
* ``decade``: the nurse's routine over ten years at benchmark density: about 3 million
  fixes, 50,000 transactions and 2,000 rides. Not shipped; ``bench`` and tests make it.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.samples import persona_commuter, persona_driver, persona_nurse
from auditor.samples.spec import Persona

DECADE = replace(
    persona_nurse.PERSONA,
    name="decade",
    summary="the night-shift nurse's routine over a decade, at benchmark density (not shipped)",
    start=persona_nurse.PERSONA.start.replace(year=2014),
    years=10.0,
    density=8.0,
    shipped=False,
    point_seconds=(130.0, 12.0),
)

PERSONAS: dict[str, Persona] = {
    persona.name: persona
    for persona in (persona_nurse.PERSONA, persona_driver.PERSONA, persona_commuter.PERSONA, DECADE)
}
SHIPPED: tuple[str, ...] = tuple(name for name, persona in PERSONAS.items() if persona.shipped)
DEFAULT_PERSONA = "night-shift-nurse"
