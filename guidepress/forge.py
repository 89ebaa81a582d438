"""The library's forge (GitHub), where reviewers approve pull requests: the few questions
guidepress asks of it, behind one small interface so that another forge (GitLab merge request
approvals) can follow.

Every answer is hostile until read through its model and bounded in size and time; the API
address comes from the settings and the token from the environment, so tests answer from a fake
API on 127.0.0.1.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from guidepress.validators.errors import GuidepressError

MAX_ANSWER = 5_000_000  # bytes: a page of reviews, or a guideline page's file
PAGE_SIZE = 100


class ForgeError(GuidepressError):
    """The forge could not be asked, or answered something it should not."""


@dataclass(frozen=True)
class Review:
    """A pull request review as the forge records it."""

    id: int
    pull: int
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING
    login: str
    commit: str
    submitted: datetime | None


class Forge(Protocol):
    def review(self, pull: int, review_id: int) -> Review | None: ...

    def reviews(self, pull: int) -> list[Review]: ...

    def pulls_of(self, commit: str) -> list[int]: ...

    def head(self, pull: int) -> str: ...

    def base(self, pull: int) -> str: ...

    def changed_files(self, pull: int) -> list[str]: ...

    def merge_base(self, base: str, head: str) -> str: ...

    def file_at(self, commit: str, path: str) -> bytes | None: ...

    def names_in(self, commit: str, folder: str) -> list[str]: ...

    def comment(self, pull: int, body: str) -> None: ...


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Answer):
    login: str


class _Review(_Answer):
    id: int
    state: str
    user: _User
    commit_id: str
    submitted_at: datetime | None = None


class _Number(_Answer):
    number: int


class _Sha(_Answer):
    sha: str


class _Head(_Answer):
    sha: str


class _Pull(_Answer):
    head: _Head
    base: _Head


class _File(_Answer):
    filename: str
    status: str


class _Compare(_Answer):
    merge_base_commit: _Sha


class _Content(_Answer):
    type: str
    path: str
    encoding: str | None = None
    content: str | None = None


Shape = TypeVar("Shape")


class GitHub:
    """GitHub's REST API (or GitHub Enterprise's, at the address its runners set)."""

    def __init__(self, api: str, repository: str, token: str | None, timeout: float = 15) -> None:
        headers = {"Accept": "application/vnd.github+json", "User-Agent": "guidepress"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.repository = repository
        self.client = httpx.Client(
            base_url=api.rstrip("/") + f"/repos/{repository}/",
            headers=headers,
            timeout=timeout,
            follow_redirects=False,
        )

    def review(self, pull: int, review_id: int) -> Review | None:
        found = self._get(f"pulls/{pull}/reviews/{review_id}", _Review, missing_ok=True)
        return None if found is None else _review(found, pull)

    def reviews(self, pull: int) -> list[Review]:
        return [_review(r, pull) for r in self._pages(f"pulls/{pull}/reviews", _Review)]

    def pulls_of(self, commit: str) -> list[int]:
        return [p.number for p in self._get(f"commits/{commit}/pulls", list[_Number]) or []]

    def head(self, pull: int) -> str:
        return self._pull(pull).head.sha

    def base(self, pull: int) -> str:
        return self._pull(pull).base.sha

    def _pull(self, pull: int) -> _Pull:
        found: _Pull | None = self._get(f"pulls/{pull}", _Pull)
        if found is None:
            raise ForgeError(f"{self.repository} has no pull request {pull}")
        return found

    def changed_files(self, pull: int) -> list[str]:
        files = self._pages(f"pulls/{pull}/files", _File)
        return [f.filename for f in files if f.status != "removed"]

    def merge_base(self, base: str, head: str) -> str:
        """The commit a branch at `head` started from, on the line of `base`."""
        found: _Compare | None = self._get(f"compare/{quote(base)}...{quote(head)}", _Compare)
        if found is None:
            raise ForgeError(f"{self.repository} cannot compare {base[:10]} with {head[:10]}")
        return found.merge_base_commit.sha

    def file_at(self, commit: str, path: str) -> bytes | None:
        found = self._get(_contents(path, commit), _Content, missing_ok=True)
        if found is None or found.type != "file" or found.encoding != "base64":
            return None
        try:
            return base64.b64decode(found.content or "", validate=False)
        except ValueError:
            raise ForgeError(f"GitHub sent {path} at {commit[:10]} damaged") from None

    def names_in(self, commit: str, folder: str) -> list[str]:
        found = self._get(_contents(folder, commit), list[_Content], missing_ok=True)
        return [entry.path for entry in found or [] if entry.type == "file"]

    def comment(self, pull: int, body: str) -> None:
        self._send("POST", f"issues/{pull}/comments", json={"body": body})

    def _pages(self, path: str, shape: type[Shape]) -> list[Shape]:
        found: list[Shape] = []
        for page in range(1, 100):  # at most 9,900 items: more is no pull request
            batch = self._get(f"{path}?per_page={PAGE_SIZE}&page={page}", list[shape]) or []  # type: ignore[valid-type]
            found += batch
            if len(batch) < PAGE_SIZE:
                break
        return found

    def _get(self, path: str, shape: Any, missing_ok: bool = False) -> Any:
        response = self._send("GET", path, missing_ok=missing_ok)
        if response is None:
            return None
        try:
            return TypeAdapter(shape).validate_json(response)
        except ValidationError:
            raise ForgeError(f"GitHub's answer to {path} is not what it should be") from None

    def _send(
        self, method: str, path: str, missing_ok: bool = False, **kwargs: Any
    ) -> bytes | None:
        try:
            with self.client.stream(method, path, **kwargs) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER:
                        raise ForgeError(f"GitHub's answer to {path} is too large")
        except httpx.HTTPError as error:
            raise ForgeError(f"GitHub could not be asked about {path}: {error}") from None
        if response.status_code == 404 and missing_ok:
            return None
        if not 200 <= response.status_code < 300:
            raise ForgeError(f"GitHub answered {response.status_code} to {method} {path}")
        return bytes(body)


def _contents(path: str, commit: str) -> str:
    return f"contents/{quote(path.strip('/'), safe='/')}?ref={quote(commit, safe='')}"


def _review(found: _Review, pull: int) -> Review:
    return Review(
        found.id, pull, found.state, found.user.login, found.commit_id, found.submitted_at
    )


API, REPOSITORY = "GUIDEPRESS_FORGE_API", "GUIDEPRESS_FORGE_REPOSITORY"


def from_environment(environ: Mapping[str, str] | None = None) -> Forge | None:
    """The forge CI runs on, or None when there is none. Its address and the repository come
    from the environment only (GitHub Actions sets GITHUB_API_URL and GITHUB_REPOSITORY), never
    from the library's files: whoever can edit those could otherwise point verification, and
    the token, at a server that says every review approved."""
    env = os.environ if environ is None else environ
    repository = env.get(REPOSITORY) or env.get("GITHUB_REPOSITORY")
    if not repository:
        return None
    api = env.get(API) or env.get("GITHUB_API_URL") or "https://api.github.com"
    token = env.get("GUIDEPRESS_FORGE_TOKEN") or env.get("GITHUB_TOKEN")
    return GitHub(api, repository, token)
