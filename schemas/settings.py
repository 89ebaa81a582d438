"""Library settings: the `[tool.guidepress]` table of the project's pyproject.toml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source_dir: str = Field(default="docs", description="Folder holding the library's pages (the Sphinx source).")
    guidelines_dir: str = Field(
        default="guidelines",
        description="Folder, inside source_dir, whose pages are guidelines and must carry full front matter.",
    )
    build_dir: str = Field(default="_build", description="Where `guidepress build` writes its output.")
    publication_url: str | None = Field(
        default=None,
        description="Where readers check for the current approved version; printed on every PDF.",
    )
    registry: str = Field(
        default="reviewers.yaml",
        description="File, relative to the project, listing the editorial board who may approve pages.",
    )
    required_approvals: dict[str, int] = Field(
        default_factory=lambda: {"guideline": 1, "patient-info": 1},
        description="Valid approvals a page of each type needs before it may have status approved.",
    )
    review_interval_years: int = Field(
        default=3, ge=1, le=10, description="Longest allowed gap between review_date and next_review_date, in years."
    )
