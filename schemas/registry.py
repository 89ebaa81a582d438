"""The editorial board: who may approve pages, and how each proves an approval is theirs.

The registry is the one source of a reviewer's identity. A page shows an approval's name, role
and qualifications from here; an approval counts only when it is proven: by a review on the
library's forge (a GitHub pull request review, by the `github` account named here) or by a git
commit signed with the `signing_key` named here.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from guidepress.schemas.fields import StrictText
from guidepress.schemas.identity import PersonName, person_key

# GitHub's account names: letters, digits and hyphens inside, at most 39 characters.
GithubLogin = Annotated[str, Field(pattern=r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$")]
# Ed25519 keys only (plain, or held on a security key): each has exactly one encoding, so one key
# cannot be registered twice in two spellings (RSA's numbers can be padded), and it is the kind
# ssh-keygen and the reviewers' guide make.
SSH_KEY = re.compile(
    r"^(ssh-ed25519|sk-ssh-ed25519@openssh\.com) (AAAA[A-Za-z0-9+/]+={0,2})( [^\n]*)?$"
)


def _canonical_key(text: str) -> str:
    """The key as `type base64` (without its comment), once its bytes are checked to be exactly
    one key of its type."""
    match = SSH_KEY.match(text)
    if match is None:
        raise ValueError("not an Ed25519 public key line (ssh-ed25519 AAAA… comment)")
    kind, encoded = match.group(1), match.group(2)
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise ValueError("the key's base64 does not decode") from None
    fields, at = [], 0
    while at < len(blob):
        size = int.from_bytes(blob[at : at + 4], "big")
        fields.append(blob[at + 4 : at + 4 + size])
        at += 4 + size
    expected = 3 if kind.startswith("sk-") else 2  # type, key (and a security key's application)
    if at != len(blob) or len(fields) != expected or fields[0] != kind.encode():
        raise ValueError(f"the key's bytes are not one {kind} key")
    if len(fields[1]) != 32:
        raise ValueError("an Ed25519 key is 32 bytes")
    return f"{kind} {base64.b64encode(blob).decode()}"


SshKey = Annotated[str, AfterValidator(_canonical_key)]


class RegistryMember(BaseModel):
    """One member of the editorial board."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: PersonName = Field(
        description="Full name, as pages show it on their approvals.",
        examples=["Example Reviewer"],
    )
    role: StrictText = Field(
        description="Role on the board or in the service.",
        examples=["Consultant Interventional Radiologist"],
    )
    qualifications: StrictText | None = Field(
        default=None, description="Professional qualifications."
    )
    github: GithubLogin | None = Field(
        default=None,
        description="GitHub account whose pull request reviews approve pages.",
        examples=["example-reviewer"],
    )
    signing_key: SshKey | None = Field(
        default=None,
        description=(
            "Public Ed25519 SSH key their approvals are signed with (the line of a .pub file)."
        ),
        examples=["ssh-ed25519 AAAAC3Nza… reviewer@example.org"],
    )
    # Kept so that registries written before signed approvals still load; a git identity is
    # what the committer says it is, so neither proves anything.
    git_name: StrictText | None = Field(
        default=None, description="user.name they commit with (for people; proves nothing)."
    )
    git_email: StrictText | None = Field(
        default=None,
        description="user.email they commit with (for people; proves nothing).",
        examples=["reviewer@example.org"],
    )

    @property
    def key(self) -> str:
        return person_key(self.name)


class Registry(BaseModel):
    """The file named by `registry` in [tool.guidepress] (default reviewers.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reviewers: list[RegistryMember] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_each(self) -> Registry:
        # Two entries for one person, account or key would let one approval count twice.
        for what, values in (
            ("name", [m.key for m in self.reviewers]),
            ("github account", [m.github.casefold() for m in self.reviewers if m.github]),
            ("signing key", [m.signing_key for m in self.reviewers if m.signing_key]),
        ):
            if len(set(values)) != len(values):
                raise ValueError(f"two reviewers share one {what}: each person is listed once")
        return self

    def find(self, name: str) -> RegistryMember | None:
        return next((m for m in self.reviewers if m.key == person_key(name)), None)

    def by_github(self, login: str) -> RegistryMember | None:
        wanted = login.casefold()
        return next((m for m in self.reviewers if m.github and m.github.casefold() == wanted), None)
