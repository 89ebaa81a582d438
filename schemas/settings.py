"""Library settings: the `[tool.guidepress]` table of the project's pyproject.toml."""

from __future__ import annotations

import posixpath
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from guidepress.schemas.fields import PageType, WebUrl


class IgnoredLink(BaseModel):
    """A link not to check, and why (kept in the report)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern: str = Field(
        description="Regular expression matched against the whole URL, DOI or PMID."
    )
    reason: str = Field(min_length=1, description="Why it is not checked.")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"{value!r} is not a regular expression: {error}") from None
        return value


class LinkStatus(StrEnum):
    """What `guidepress linkcheck` found of a link."""

    OK = "ok"
    REDIRECTED = "redirected"  # permanently: the page should use the new address
    BROKEN = "broken"  # 404/410, unknown host, DOI or PubMed id not found, redirect loop
    BLOCKED = "blocked"  # 401/403/418: the site refuses robots
    TRANSIENT = "transient"  # timeout, 429, 5xx, not reached in time
    IGNORED = "ignored"  # matched an ignore pattern of the settings


# The statuses a run may be set to fail on (all but ok and ignored).
FailOn = Literal["broken", "transient", "blocked", "redirected"]


class LinkcheckSettings(BaseModel):
    """[tool.guidepress.linkcheck]: how `guidepress linkcheck` checks links."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doi_api: WebUrl = Field(
        default="https://doi.org/api/handles/",
        description="DOI resolver's handle API (a DOI is appended).",
    )
    pubmed_api: WebUrl = Field(
        default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils/esummary.fcgi",
        description="NCBI E-utilities summary service, used to check PubMed ids.",
    )
    timeout: float = Field(default=15.0, gt=0, description="Seconds to wait for one response.")
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Extra attempts for a transient failure (timeout, 429, 5xx).",
    )
    backoff: float = Field(
        default=1.0, ge=0, description="Seconds before the first retry; doubles each time."
    )
    max_retry_after: float = Field(
        default=60.0, ge=0, description="Longest Retry-After honoured, in seconds."
    )
    per_host: int = Field(
        default=8, ge=1, le=64, description="Requests in flight at once to one host."
    )
    ncbi_per_second: float = Field(
        default=3.0, gt=0, description="Requests a second to NCBI (its limit without an API key)."
    )
    total_timeout: float = Field(
        default=600.0,
        gt=0,
        description="Bound on the whole run; links left are reported transient.",
    )
    cache_max_age_days: float = Field(
        default=7.0, ge=0, description="How long a successful result is trusted."
    )
    fail_on: list[FailOn] = Field(
        default=["broken"],
        description="Classes that fail the run (exit 1): broken, transient, blocked or redirected.",
    )
    ignore: list[IgnoredLink] = Field(
        default_factory=list, description="Links not to check, each with a reason."
    )


def _outside(path: str) -> bool:
    """Whether a normalised relative path leaves the folder it is relative to."""
    return posixpath.isabs(path) or path == ".." or path.startswith("../")


def _one_approval_each() -> dict[PageType, int]:
    return {"guideline": 1, "patient-info": 1}


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source_dir: str = Field(
        default="docs", description="Folder holding the library's pages (the Sphinx source)."
    )
    guidelines_dir: str = Field(
        default="guidelines",
        description="Folder, inside source_dir, whose pages are guidelines and must carry full "
        "front matter.",
    )
    build_dir: str = Field(
        default="_build",
        validate_default=True,
        description="Where `guidepress build` writes its output.",
    )
    publication_url: WebUrl | None = Field(
        default=None,
        description="Where readers check for the current approved version; printed on every PDF.",
    )
    registry: str = Field(
        default="reviewers.yaml",
        description=(
            "File, relative to the project, listing the editorial board who may approve pages."
        ),
    )
    # At least one: an approved page with no approval would be a page no reviewer ever saw.
    required_approvals: dict[PageType, Annotated[int, Field(ge=1, le=10)]] = Field(
        default_factory=_one_approval_each,
        description="Valid approvals a page of each type needs before it may have status approved.",
    )
    linkcheck: LinkcheckSettings = Field(
        default_factory=LinkcheckSettings, description="See [tool.guidepress.linkcheck]."
    )
    review_interval_years: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Longest allowed gap between review_date and next_review_date, in years.",
    )
    max_reading_grade: float = Field(
        default=8,
        ge=1,
        le=20,
        description=(
            "Flesch-Kincaid grade above which a patient-information page is reported as hard to "
            "read (school grade; UK advice for health information is a reading age of 9-11)."
        ),
    )

    def is_guideline_page(self, name: str) -> bool:
        """Whether the page at `name` (its path below the source folder, with / between folders)
        is a guideline: the one test of the guidelines folder, for the commands and for Sphinx."""
        folder = posixpath.normpath(self.guidelines_dir)
        return folder == "." or posixpath.normpath(name).startswith(folder + "/")

    @property
    def guidelines_folder(self) -> str:
        """The guidelines folder as editors name it, e.g. docs/guidelines/."""
        return posixpath.join(
            posixpath.normpath(self.source_dir), posixpath.normpath(self.guidelines_dir), ""
        )

    @field_validator("source_dir")
    @classmethod
    def _a_folder_of_its_own(cls, value: str) -> str:
        # Pages, and the files they show, are what editors change freely (their approvals cover
        # them): the folder holding them must not hold the project's other files too.
        folder = posixpath.normpath(value)
        if folder == "." or _outside(folder):
            raise ValueError(
                f"{value!r} is not a folder of its own inside the project: give one, e.g. docs"
            )
        return value

    @field_validator("registry")
    @classmethod
    def _beside_the_pages(cls, value: str, info: ValidationInfo) -> str:
        # Who may approve is no page: it lives in the project, outside the pages' folder.
        registry = posixpath.normpath(value)
        source = posixpath.normpath(info.data.get("source_dir", "docs"))
        if _outside(registry):
            raise ValueError(f"the registry {value!r} is outside the project; e.g. reviewers.yaml")
        if registry.startswith(source + "/"):
            raise ValueError(
                f"the registry {value!r} is inside the pages' folder {source!r}, where editors "
                "change files freely; keep it beside pyproject.toml, e.g. reviewers.yaml"
            )
        if posixpath.splitext(registry)[1].lower() not in (".yaml", ".yml"):
            raise ValueError(f"the registry {value!r} is a YAML file, e.g. reviewers.yaml")
        return value

    @field_validator("guidelines_dir")
    @classmethod
    def _inside_source(cls, value: str) -> str:
        if _outside(posixpath.normpath(value)):
            raise ValueError(
                f"{value!r} is not inside source_dir: give a folder below it, e.g. guidelines"
            )
        return value

    @field_validator("build_dir")
    @classmethod
    def _own_folder(cls, value: str, info: ValidationInfo) -> str:
        # A build replaces html/, typst/ and its caches in this folder, and Sphinx reads every page
        # of the source folder: the two must not share a folder, or a build deletes or reads the
        # other.
        build, source = (
            posixpath.normpath(value),
            posixpath.normpath(info.data.get("source_dir", "docs")),
        )
        if build == ".":
            raise ValueError(
                "the build folder cannot be the project folder itself, where a build would replace "
                "folders of yours; give it a folder of its own, e.g. _build"
            )
        if _outside(build):
            # Its caches (the PDFs of unchanged pages) go into every release built from the
            # project: outside it, anyone who can write there would write into releases.
            raise ValueError(
                f"the build folder {value!r} is outside the project; give a folder inside it, "
                "e.g. _build"
            )
        if build == source or build.startswith(source + "/") or source.startswith(build + "/"):
            raise ValueError(
                f"the build folder {value!r} overlaps the source folder {source!r}: Sphinx would "
                "read "
                'the build\'s output as pages; keep them apart, e.g. source_dir = "docs" and '
                'build_dir = "_build"'
            )
        return value
