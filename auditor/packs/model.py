"""The rule-pack format, declared once.

These pydantic models are the format: the loader validates packs with them (unknown
keys rejected), ``rules/schema.json`` is generated from them, and rules/README.md
documents each key (a test checks that every key here appears there). The leaf tests of
conditions come from the operator table (:mod:`auditor.engine.operators`) and measures
from the measure table (:mod:`auditor.engine.measures`), so an operator or measure is
declared in exactly one place.

A pack::

    id: example
    title: Example scorer
    version: "1.0"
    scorer: a cash-flow lender
    rules:
      - id: gambling
        kind: transactions
        where: {mcc: {in: ['7995']}}
        threshold: {at_least: 1}
        ...
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    create_model,
    model_validator,
)
from pydantic_core import PydanticCustomError

from auditor.engine.measures import MEASURES
from auditor.engine.operators import OPERATORS
from auditor.packs.issues import did_you_mean, one_of

FORMAT_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
DURATION = re.compile(r"^(\d+)(d|w|mo|y)$")
SEVERITIES = ("info", "low", "medium", "high", "critical")
OUTCOMES = ("fired", "not_fired", "abstained")
# Loc entries that name a branch of a union rather than a key in the data.
BRANCH_TAGS = ("<all>", "<any>", "<not>", "<fields>", "<text>", "<mapping>", "<number>")


class Strict(BaseModel):
    """Base of every pack model: unknown keys are errors, never silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=80)]
Text = Annotated[str, Field(min_length=1)]


def parse_duration(text: str) -> tuple[int, str]:
    """``"90d"`` -> ``(90, "d")``; raises a located-friendly error otherwise."""
    found = DURATION.match(str(text).strip())
    if not found or int(found.group(1)) == 0:
        raise PydanticCustomError(
            "duration", "found '{found}'; expected a duration like 90d, 6w, 12mo or 2y", {"found": text}
        )
    return int(found.group(1)), found.group(2)


def _duration(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration", "found '{found}'; expected a duration like 90d, 6w, 12mo or 2y", {"found": value}
        )
    parse_duration(value)
    return value.strip()


Duration = Annotated[str, BeforeValidator(_duration), Field(description="a duration: 90d, 6w, 12mo or 2y")]


# --- conditions -----------------------------------------------------------------------------

TestsModel = create_model(
    "Tests",
    __config__=ConfigDict(extra="forbid", populate_by_name=True),
    __doc__="Tests on one field; several operators in one mapping must all hold.",
    **{
        f"op_{op.name}": (Optional[op.argument], Field(default=None, alias=op.name, description=op.summary))
        for op in OPERATORS.values()
    },
)


def _at_least_one_test(model: BaseModel) -> BaseModel:
    if not model.model_dump(exclude_none=True):
        raise PydanticCustomError(
            "no_operator", "no operator given; expected one of the operators, e.g. {contains: coffee}"
        )
    return model


Tests = Annotated[TestsModel, AfterValidator(_at_least_one_test)]  # type: ignore[valid-type]
FieldTests = Annotated[dict[str, Tests], Field(min_length=1)]  # type: ignore[valid-type]


class AllOf(Strict):
    """Every condition in the list holds."""

    all: list[Condition] = Field(min_length=1)


class AnyOf(Strict):
    """At least one condition in the list holds."""

    any: list[Condition] = Field(min_length=1)


class NotOf(Strict):
    """The condition does not hold."""

    not_: Condition = Field(alias="not")


def _which_condition(value: Any) -> str | None:
    if isinstance(value, dict):
        for word in ("all", "any", "not"):
            if word in value:
                return f"<{word}>"
        return "<fields>"
    if isinstance(value, AllOf):
        return "<all>"
    if isinstance(value, AnyOf):
        return "<any>"
    if isinstance(value, NotOf):
        return "<not>"
    if isinstance(value, BaseModel):
        return "<fields>"
    return None


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("<all>")],
        Annotated[AnyOf, Tag("<any>")],
        Annotated[NotOf, Tag("<not>")],
        Annotated[FieldTests, Tag("<fields>")],
    ],
    Discriminator(
        _which_condition,
        custom_error_type="condition",
        custom_error_message="expected a condition: a mapping of field tests, or all / any / not",
    ),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


# --- measure, threshold, effect -----------------------------------------------------------------

MeasureSpec = create_model(
    "Measure",
    __config__=ConfigDict(extra="forbid", populate_by_name=True),
    __doc__="What the rule measures: exactly one measure key (a bare word where it needs no argument).",
    among=(Optional[Condition], Field(default=None, description="share only: the sub-population both sides count")),
    **{
        f"m_{m.name}": (Optional[m.argument], Field(default=None, alias=m.name, description=m.summary))
        for m in MEASURES.values()
    },
)


def measure_name_and_argument(spec: BaseModel) -> tuple[str, object]:
    """The one measure a Measure model holds, with its argument."""
    for measure in MEASURES.values():
        value = getattr(spec, f"m_{measure.name}")
        if value is not None:
            return measure.name, value
    raise ValueError("no measure")  # unreachable after validation


def _measure_before(value: Any) -> Any:
    if isinstance(value, str):
        measure = MEASURES.get(value)
        if measure is None:
            raise PydanticCustomError(
                "unknown_measure",
                "unknown measure '{found}'{hint}; expected {expected}",
                {"found": value, "hint": did_you_mean(value, MEASURES), "expected": one_of(MEASURES)},
            )
        if measure.default is None:
            raise PydanticCustomError(
                "measure_argument",
                "the measure '{found}' needs an argument, e.g. {example}",
                {"found": value, "example": measure.example.removeprefix("measure: ")},
            )
        return {value: measure.default}
    return value


def _measure_after(spec: BaseModel) -> BaseModel:
    chosen = [m.name for m in MEASURES.values() if getattr(spec, f"m_{m.name}") is not None]
    if len(chosen) != 1:
        raise PydanticCustomError(
            "measure_count",
            "expected exactly one measure, found {found}",
            {"found": ", ".join(chosen) if chosen else "none"},
        )
    if spec.among is not None and chosen[0] != "share":  # type: ignore[attr-defined]
        raise PydanticCustomError("measure_among", "'among' only applies to the share measure")
    return spec


Measure = Annotated[MeasureSpec, BeforeValidator(_measure_before), AfterValidator(_measure_after)]  # type: ignore[valid-type]


class Threshold(Strict):
    """When the measured value fires the rule: exactly one comparison. A bare number means at_least."""

    at_least: float | None = Field(default=None, description="fires when value >= this")
    more_than: float | None = Field(default=None, description="fires when value > this")
    at_most: float | None = Field(default=None, description="fires when value <= this")
    less_than: float | None = Field(default=None, description="fires when value < this")

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"at_least": value}
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Threshold:
        given = [name for name in ("at_least", "more_than", "at_most", "less_than") if getattr(self, name) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "threshold",
                "expected exactly one of at_least, more_than, at_most, less_than; found {found}",
                {"found": ", ".join(given) or "none"},
            )
        return self

    @property
    def comparison(self) -> tuple[str, float]:
        for name in ("at_least", "more_than", "at_most", "less_than"):
            value = getattr(self, name)
            if value is not None:
                return name, float(value)
        raise ValueError("empty threshold")  # unreachable after validation


class Effect(Strict):
    """How a fired rule moves the score: fixed points, points per unit of the value, or both, capped."""

    points: float | None = Field(default=None, description="fixed points when the rule fires (negative lowers)")
    per_unit: float | None = Field(default=None, description="points per unit of the measured value")
    cap: float | None = Field(default=None, gt=0, description="the most points the rule can move the score")

    @model_validator(mode="after")
    def _something(self) -> Effect:
        if self.points is None and self.per_unit is None:
            raise PydanticCustomError("effect", "an effect needs points, per_unit or both")
        return self


class Basis(Strict):
    """Why the rule exists: a named actor's practice, or our own design choice."""

    practice: Text | None = Field(default=None, description="the actor who does this (a lender, a regulator's finding...)")
    design: str | None = Field(default=None, description="our default; say what real-world anchor it is near")
    note: str | None = Field(default=None, description="more detail on the basis")

    @model_validator(mode="before")
    @classmethod
    def _word(cls, value: Any) -> Any:
        if value == "design":
            return {"design": ""}
        if value == "practice":
            raise PydanticCustomError(
                "basis_actor", "'practice' must name the actor: basis: {practice: Experian Boost}"
            )
        if isinstance(value, str):
            raise PydanticCustomError(
                "basis", "found '{found}'; expected 'design' or {practice: <actor>}", {"found": value}
            )
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Basis:
        if (self.practice is None) == (self.design is None):
            raise PydanticCustomError("basis", "expected either practice (naming the actor) or design, not both")
        return self

    @property
    def label(self) -> str:
        return f"practice: {self.practice}" if self.practice else "design"


class MinData(Strict):
    """The least data the rule needs to judge at all; with less it abstains ("not enough data")."""

    rows: int = Field(default=1, ge=1, description="rows of the kind in the window (before the condition)")
    span: Duration | None = Field(default=None, description="how long the data must cover: 90d, 6w, 12mo, 2y")


class Case(Strict):
    """A test case: a few rows per kind, and the outcome (and value) the rule must give."""

    name: Text = Field(description="what the case shows")
    now: str | None = Field(default=None, description="the clock for this case; default: the latest row's time")
    timezone: str | None = Field(default=None, description="IANA time zone for rows without an offset")
    given: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict, description="rows per kind (or derived table), columns by name"
    )
    expect: Literal["fired", "not_fired", "abstained"] = Field(description="fired, not_fired or abstained")
    value: float | None = Field(default=None, description="the measured value the rule must report")


class Rule(Strict):
    """One rule: which rows, what is measured, when it fires, what the scorer concludes."""

    id: Id = Field(description="unique within the pack: lower case, digits, . _ -")
    title: Text
    description: str | None = None
    kind: Text = Field(description="the table read: transactions, points, visits, activities, trips, ratings, or a derived table")
    where: Condition | None = Field(default=None, description="which rows count; every row when absent")
    window: Duration | None = Field(default=None, description="look back this far from now: 90d, 6w, 12mo, 2y")
    time_column: str | None = Field(default=None, description="the time column windows and time groups use")
    group_by: str | None = Field(default=None, description="day, week, month, year, weekday, hour, place or a column")
    groups: Threshold | None = Field(default=None, description="how many groups must reach the threshold")
    measure: Measure = Field(default="count", validate_default=True)  # type: ignore[assignment]
    threshold: Threshold
    effect: Effect | None = None
    dimension: str | None = Field(default=None, description="the pack dimension the effect counts toward")
    infers: Text = Field(description="what the scorer would conclude; may quote {value}, {threshold}, {window}...")
    severity: Literal["info", "low", "medium", "high", "critical"] = "medium"
    basis: Basis
    references: list[str] = Field(default_factory=list, description="keys of the pack's references")
    legal: str | None = Field(default=None, description="where using this signal is restricted, and by which law")
    min_data: MinData = Field(default_factory=MinData)
    signals: list[Text] = Field(min_length=1, description="signal tags from rules/signals.yaml")
    cases: list[Case] = Field(default_factory=list)


class Scale(Strict):
    """The score's range and where everyone starts."""

    min: float
    max: float
    start: float

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if not self.min < self.max:
            raise PydanticCustomError("scale", "min ({lo}) must be below max ({hi})", {"lo": self.min, "hi": self.max})
        if not self.min <= self.start <= self.max:
            raise PydanticCustomError("scale", "start ({s}) is outside [min, max]", {"s": self.start})
        return self


class Band(Strict):
    """A score band: from which score it applies, and what it unlocks or blocks."""

    at_least: float = Field(description="the lowest score in the band")
    label: Text
    unlocks: list[str] = Field(default_factory=list, description="what a score in this band gets you")
    blocks: list[str] = Field(default_factory=list, description="what a score in this band keeps from you")


class Dimension(Strict):
    """A part of the score; with a weight, its effects are capped at weight x (max - min)."""

    title: Text
    weight: float | None = Field(default=None, gt=0, le=1)
    description: str | None = None


class Reference(Strict):
    """A source a rule relies on."""

    title: Text
    year: int | None = None
    source: Text = Field(description="publisher, court, regulator or outlet")
    url: str | None = None


ListValues = Annotated[list[Union[str, int, float]], Field(min_length=1)]


class Pack(Strict):
    """A rule pack: one scorer."""

    format: Literal[1] = Field(default=FORMAT_VERSION, description="the pack format version")
    id: Id
    title: Text
    description: str | None = None
    version: Text = Field(description='the pack\'s own version, as text: "1.0"')
    scorer: Text = Field(description="who the pack plays: a cash-flow lender, an insurer...")
    run_by_default: bool = Field(
        default=True,
        description="false for an example or a draft: an audit runs the pack only when it is named "
        "(--pack ID or its path); lint and test still read it",
    )
    scale: Scale | None = Field(default=None, description="without a scale the pack is an exposure report")
    bands: list[Band] = Field(default_factory=list)
    dimensions: dict[str, Dimension] = Field(default_factory=dict)
    lists: dict[str, ListValues] = Field(default_factory=dict, description="named lists rules reuse")
    include: list[str] = Field(default_factory=list, description="list files to include, relative to the pack")
    references: dict[str, Reference] = Field(default_factory=dict)
    rules: list[Rule] = Field(min_length=1)


class PackHeader(Pack):
    """The pack with its rules unvalidated: lets each rule be validated (and reported) alone."""

    rules: list[Any] = Field(min_length=1)  # type: ignore[assignment]


class ListFile(Strict):
    """A shared list file in rules/lists/."""

    description: str | None = None
    sources: list[str] = Field(default_factory=list, description="where the values come from")
    lists: dict[str, ListValues] = Field(min_length=1)


SESAME_DIMENSIONS = (
    "credit_history",
    "fulfilment_capacity",
    "behaviour_preferences",
    "identity_characteristics",
    "interpersonal_relationships",
)


class Signal(Strict):
    """One signal tag of the shared vocabulary."""

    meaning: Text
    dimension: Literal[
        "credit_history",
        "fulfilment_capacity",
        "behaviour_preferences",
        "identity_characteristics",
        "interpersonal_relationships",
    ]
    special_category: Literal["art9", "art10"] | None = Field(
        default=None, description="GDPR Art. 9 special category or Art. 10 criminal data"
    )


class SignalFile(Strict):
    """rules/signals.yaml."""

    signals: dict[str, Signal] = Field(min_length=1)

