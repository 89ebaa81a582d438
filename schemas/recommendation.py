"""A recommendation: what a clinician opens a guideline for.

Written in a page as a `{recommendation}` directive whose options are these fields; the body is
the recommendation, an optional `{rationale}` inside it the reasoning. Strength and certainty
follow GRADE as MAGICapp shows them: a strong or conditional recommendation, for or against,
with the certainty of its evidence; a practice statement (good practice, where no evidence is
graded) has no certainty.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from guidepress.schemas.codes import Code
from guidepress.schemas.fields import RefId, Slug

Strength = Literal["strong", "conditional", "practice-statement"]
Direction = Literal["for", "against"]
Certainty = Literal["high", "moderate", "low", "very-low"]
STRENGTH_LABELS: dict[Strength, str] = {
    "strong": "Strong recommendation",
    "conditional": "Conditional recommendation",
    "practice-statement": "Practice statement",
}
CERTAINTY_LABELS: dict[Certainty, str] = {
    "high": "High",
    "moderate": "Moderate",
    "low": "Low",
    "very-low": "Very low",
}


def _ids(value: object) -> object:
    """`evidence: a, b` or `evidence: a b`, as a directive option is one line of text."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


class Recommendation(BaseModel):
    """One recommendation of a page, as its directive's options and body give it."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: Slug = Field(
        description="Stable id, unique in the library: lower-case letters, digits and hyphens. "
        "Keep it when the text changes, so the change is tracked.",
        examples=["sirt-discuss-in-mdt"],
    )
    strength: Strength = Field(
        description="strong, conditional or practice-statement.", examples=["practice-statement"]
    )
    direction: Direction = Field(
        default="for", description="for or against what the recommendation names."
    )
    certainty: Certainty | None = Field(
        default=None,
        description="Certainty of the evidence as the sources grade it: high, moderate, low or "
        "very-low; none for a practice statement.",
        examples=["low"],
    )
    evidence: Annotated[list[RefId], BeforeValidator(_ids)] = Field(
        default_factory=list,
        description="Ids of the page's references the recommendation rests on.",
        examples=[["kennedy2007"]],
    )
    text: str = Field(description="The recommendation, as plain text.")
    rationale: str | None = Field(default=None, description="The reasoning, as plain text.")

    @model_validator(mode="after")
    def _certainty_fits_strength(self) -> Recommendation:
        if self.strength == "practice-statement" and self.certainty is not None:
            raise PydanticCustomError(
                Code.RECOMMENDATION_CERTAINTY,
                "a practice statement has no certainty of evidence: remove `:certainty:`, or "
                "grade it strong or conditional if the sources grade its evidence",
                {"at": ("certainty",)},
            )
        if self.strength != "practice-statement" and self.certainty is None:
            raise PydanticCustomError(
                Code.RECOMMENDATION_CERTAINTY,
                "a {strength} recommendation needs the certainty of its evidence: add "
                "`:certainty: high`, `moderate`, `low` or `very-low`, as the sources grade it; "
                "if they do not, make it a practice-statement",
                {"strength": self.strength, "at": ("strength",)},
            )
        return self

    @property
    def anchor(self) -> str:
        """Its link target on the page (ids are unique in the library, so in the site too)."""
        return f"rec-{self.id}"

    def grade(self) -> str:
        """How strong it is, in words: "Conditional recommendation for; low certainty"."""
        label = STRENGTH_LABELS[self.strength]
        if self.strength == "practice-statement":
            return label if self.direction == "for" else f"{label} (against)"
        certainty = CERTAINTY_LABELS[self.certainty or "very-low"].lower()
        return f"{label} {self.direction}; {certainty} certainty of evidence"


OPTIONS = ("id", "strength", "direction", "certainty", "evidence")
