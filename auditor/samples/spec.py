"""What a persona is made of: its story, its signals, its writers, and the run settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from auditor.samples.life import Life, LifeBuilder, Points
from auditor.samples.output import Bundle, ZipTime
from auditor.samples.truth import Truth


@dataclass(frozen=True)
class Run:
    """The settings of one generation: the same run gives the same bytes."""

    persona: str
    seed: int
    years: float
    density: float
    first_day: date
    days: int

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)

    @property
    def export_day(self) -> date:
        """The day the persona downloaded their data: the day after the last one."""
        return self.last_day + timedelta(days=1)

    @property
    def export_time(self) -> datetime:
        day = self.export_day
        return datetime(day.year, day.month, day.day, 10, 15, 0)

    @property
    def zip_time(self) -> ZipTime:
        moment = self.export_time
        return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)


@dataclass(frozen=True)
class Persona:
    """A synthetic person: the story that makes their life and the files they download.

    ``signals`` names each planted signal (tags from ``rules/signals.yaml``) with what it
    means in this story; ``point_seconds`` is how often the phone records a fix when still
    and when moving (at density 1).
    """

    name: str
    summary: str
    timezone: str
    start: date
    years: float
    density: float
    shipped: bool
    signals: Mapping[str, str]
    simulate: Callable[[LifeBuilder, Run], None]
    write: Callable[[Life, Points, Truth, Run], Bundle]
    story: str
    inferences: str
    point_seconds: tuple[float, float] = (900.0, 90.0)
