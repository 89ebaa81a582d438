"""The editorial board: who may approve pages, and the git identity each commits with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from guidepress.schemas.fields import StrictText


def person_key(name: str) -> str:
    """How names are compared (approvals, authors, the registry): case and spacing do not count."""
    return " ".join(name.casefold().split())


class RegistryMember(BaseModel):
    """One member of the editorial board."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: StrictText = Field(
        description="Full name, as used in approvals.", examples=["Example Reviewer"]
    )
    role: StrictText = Field(
        description="Role on the board or in the service.",
        examples=["Consultant Interventional Radiologist"],
    )
    qualifications: StrictText | None = Field(
        default=None, description="Professional qualifications."
    )
    git_name: StrictText | None = Field(default=None, description="user.name they commit with.")
    git_email: StrictText = Field(
        description="user.email they commit with; approvals are checked against it.",
        examples=["reviewer@example.org"],
    )


class Registry(BaseModel):
    """The file named by `registry` in [tool.guidepress] (default reviewers.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reviewers: list[RegistryMember] = Field(min_length=1)

    def find(self, name: str) -> RegistryMember | None:
        return next((m for m in self.reviewers if person_key(m.name) == person_key(name)), None)
