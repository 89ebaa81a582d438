"""What a release archive records: each release's entry in versions.json (and its own
release.json). An archive is read through these models, never trusted as it lies on disk: a
damaged or crafted entry is a clear error, and every file an entry names stays inside its own
release folder."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, RootModel, model_validator

from guidepress.schemas.fields import IsoDate, Slug, StrictText, Version
from guidepress.schemas.guideline import COMPENDIUM_PDF, Status

RELEASE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,63}")
# Names the archive itself uses beside the release folders; lower case, as some disks ignore case.
RESERVED_NAMES = frozenset({"latest", "versions.json", "downloads.html", "index.html"})


def release_name_problem(name: str) -> str | None:
    """Why `name` cannot name a release folder beside the archive's own files, or None."""
    if not RELEASE_NAME.fullmatch(name) or ".." in name:
        return (
            f"{name!r} is not a release name: up to 64 letters, digits, '.', '-' or '_', starting "
            "with a letter or digit, e.g. 2026.1"
        )
    if name.lower() == "latest":
        return "'latest' is the alias of the newest release, not a release name"
    if name.lower() in RESERVED_NAMES:
        return (
            f"{name!r} is a file the archive keeps beside its releases, not a release name; "
            "use e.g. 2026.1"
        )
    return None


def _release_name(name: str) -> str:
    problem = release_name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


ReleaseName = Annotated[str, AfterValidator(_release_name)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Download(_Record):
    """A PDF of the release: where it is in the archive, its size and its SHA-256."""

    pdf: str
    size: int = Field(ge=0)
    sha256: Sha256


class ReleasedGuideline(Download):
    id: Slug
    title: StrictText
    version: Version
    status: Status
    review_date: IsoDate
    next_review_date: IsoDate
    digest: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")

    @property
    def pdf_name(self) -> str:
        return f"{self.id}-v{self.version}.pdf"


class ReleaseEntry(_Record):
    version: ReleaseName
    date: IsoDate
    aliases: list[str] = Field(default_factory=list)
    guidelines: list[ReleasedGuideline]
    compendium: Download | None = None
    commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")

    @model_validator(mode="after")
    def _files_in_own_folder(self) -> ReleaseEntry:
        # The archive's pages link each PDF where its entry says: only where the release put it.
        expected = [(g.pdf, f"{self.version}/pdf/{g.pdf_name}") for g in self.guidelines]
        if self.compendium:
            expected.append((self.compendium.pdf, f"{self.version}/pdf/{COMPENDIUM_PDF}"))
        for written, where in expected:
            if written != where:
                raise ValueError(f"names the PDF {written!r}, which must be {where!r}")
        if len({g.id for g in self.guidelines}) != len(self.guidelines):
            raise ValueError("lists a guideline twice")
        return self


class Versions(RootModel[list[ReleaseEntry]]):
    """versions.json: every release, newest first, each once."""

    @model_validator(mode="after")
    def _each_once(self) -> Versions:
        names = [entry.version.lower() for entry in self.root]
        if len(set(names)) != len(names):
            raise ValueError("lists a release twice")
        return self
