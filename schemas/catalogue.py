"""The library's machine-readable catalogue (catalogue.json, written with every HTML build): each
guideline page with its document control, and each recommendation with its page, version, text,
strength, certainty and the identifiers of its evidence. Its JSON Schema is published as
schemas/catalogue.schema.json, so other tools can rely on its shape: the start of computable
guidelines."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from guidepress.schemas.guideline import Status
from guidepress.schemas.recommendation import Certainty, Direction, Strength

FORMAT: Literal["guidepress-catalogue/1"] = "guidepress-catalogue/1"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueApproval(_Record):
    reviewer: str
    version: str
    date: date
    status: Literal["approved", "retired"]


class CataloguePage(_Record):
    id: str
    title: str
    summary: str
    version: str
    status: Status
    type: Literal["guideline", "patient-info"]
    language: str
    audience: list[str]
    authors: list[str]
    reviewers: list[str]
    approvals: list[CatalogueApproval]
    review_date: date
    next_review_date: date
    url: str = Field(description="The page, relative to the site's root.")
    pdf: str | None = Field(description="Its PDF, relative to the site's root, when built.")
    recommendations: list[str] = Field(description="Ids of its recommendations, in page order.")


class CatalogueEvidence(_Record):
    """A reference a recommendation rests on, by the identifiers the page gives for it."""

    id: str
    title: str
    doi: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    isbn: str | None = None
    url: str | None = None


class CatalogueRecommendation(_Record):
    id: str
    page: str = Field(description="Id of the guideline page it is in.")
    version: str = Field(description="Version of that page.")
    number: int = Field(ge=1, description="Its number on the page.")
    text: str
    rationale: str | None
    strength: Strength
    direction: Direction
    certainty: Certainty | None
    evidence: list[CatalogueEvidence]
    change: str = Field(
        description="Its change tag against the page's last approved version, e.g. [new 2026]."
    )
    url: str = Field(description="The recommendation on its page, relative to the site's root.")


class Catalogue(_Record):
    format: Literal["guidepress-catalogue/1"] = FORMAT
    library: str = Field(description="The library's name (Sphinx's project).")
    release: str | None = Field(description="The release it belongs to; none for a plain build.")
    pages: list[CataloguePage]
    recommendations: list[CatalogueRecommendation]
