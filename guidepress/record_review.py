"""`guidepress record-review --event FILE`: in CI, when a reviewer approves a pull request on
GitHub, record an approval of each guideline page the pull request changes, bound to the commit
the reviewer reviewed, and commit the records to the branch.

The workflow that runs this is a convenience, not the proof: anyone who can push can change it.
What makes such an approval count is `verify-approvals` asking the forge that the review exists,
approved that commit, and was given by the reviewer's registered account (verify.py).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from guidepress.approve import ApprovalRefused, approve
from guidepress.forge import Forge
from guidepress.history import HistoryError, git
from guidepress.schemas import Registry
from guidepress.schemas.guideline import ForgeReview
from guidepress.validators.errors import GuidepressError, UsageError
from guidepress.validators.pipeline import Checks

BOT = ["-c", "user.name=guidepress", "-c", "user.email=guidepress@users.noreply.github.com"]


class RecordRefused(GuidepressError):
    """The review's approvals were not recorded; the pull request was told why."""

    prefix = "guidepress: approvals not recorded: "


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Event):
    login: str


class _Review(_Event):
    id: int
    state: str
    user: _User
    commit_id: str
    submitted_at: datetime


class _Pull(_Event):
    number: int


class ReviewEvent(_Event):
    """The parts of GitHub's pull_request_review event that are used."""

    review: _Review
    pull_request: _Pull


def read_event(path: Path) -> ReviewEvent:
    try:
        return ReviewEvent.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as error:
        raise UsageError(f"{path} is not a pull_request_review event: {error}") from None


def record_review(event: ReviewEvent, root: Path, checks: Checks, forge: Forge) -> list[str]:
    """Record and commit the approvals; returns a line for each page approved."""
    review, pull = event.review, event.pull_request.number
    if review.state.lower() != "approved":
        return [f"review {review.id} is not an approval: nothing to record"]
    registry: Registry | None = checks.registry
    member = registry.by_github(review.user.login) if registry else None
    if member is None:
        _refuse(forge, pull, f"@{review.user.login} is not a reviewer in the library's registry")
    assert member is not None
    head, here = forge.head(pull), git(root, "rev-parse", "HEAD").strip()
    if head != review.commit_id or here != review.commit_id:
        _refuse(
            forge,
            pull,
            f"@{review.user.login} approved commit {review.commit_id[:10]}, but the branch is now "
            f"at {head[:10]}: review the latest changes and approve again",
        )
    top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    pages = [
        top / name
        for name in forge.changed_files(pull)
        if name.endswith(".md") and checks.layout.is_guideline(os.path.abspath(top / name))
    ]
    if not pages:
        return [f"pull request {pull} changes no guideline page: nothing to record"]
    on_the_day = replace(checks, today=review.submitted_at.date())
    reference = ForgeReview(pull=pull, id=review.id, commit=review.commit_id)
    said, refused = [], []
    for page in pages:
        try:
            said.append(approve(page, member.name, on_the_day, reference))
        except ApprovalRefused as error:
            refused.append(f"- {page.relative_to(top)}: {error}")
    if said:
        names = [str(page.relative_to(top)) for page in pages]
        message = f"Record {member.name}'s approval (review {review.id} of pull request {pull})"
        try:
            git(top, *BOT, "commit", "--only", "--quiet", "-m", message, "--", *names)
        except HistoryError as error:
            raise RecordRefused(f"the approvals could not be committed: {error}") from None
    if refused:  # the others are recorded; say which were not, and fail only if none was
        why = "these pages could not be approved:\n" + "\n".join(refused)
        if not said:
            _refuse(forge, pull, why)
        forge.comment(pull, f"guidepress recorded {len(said)} approval(s), but {why}")
    return said


def _refuse(forge: Forge, pull: int, why: str) -> None:
    forge.comment(pull, f"guidepress did not record this approval: {why}")
    raise RecordRefused(why)
