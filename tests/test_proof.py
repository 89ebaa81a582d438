"""Approvals nobody can forge, in real git repositories with keys made by ssh-keygen and a fake
GitHub API on 127.0.0.1: a signed commit or a pull request review proves an approval; a typed
name, a claimed git identity, someone else's key, a record edited afterwards, a review of
something else, or a registry its own beneficiary changed, does not."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    CASES,
    PAGE,
    in_git,
    make_project,
    registry_with_keys,
    run_cli,
    sign_as,
    valid_page,
)
from tests.fakeforge import REPOSITORY, FakeGitHub, review
from tests.test_approvals import git

REVIEWED = "2026-01-12T10:15:31Z"


@pytest.fixture
def library(tmp_path: Path, keys: dict[str, Path]) -> Path:
    root = tmp_path / "library"
    make_project(root, {"guidelines/p.md": valid_page()})
    registry = registry_with_keys(keys, reviewer="example-reviewer")
    (root / "reviewers.yaml").write_text(registry, encoding="utf-8")
    in_git(root)
    return root


def verify(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "guidepress", "verify-approvals"]
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GUIDEPRESS_"))
    }
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False,
                          env={**environment, **env})  # fmt: skip


def approve(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli("approve", PAGE, "--reviewer", "Example Reviewer", *options, cwd=root)


def fingerprint(key: Path) -> str:
    blob = base64.b64decode(Path(f"{key}.pub").read_text().split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_an_approval_signed_with_the_reviewers_key_is_verified(
    library: Path, keys: dict[str, Path]
) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    result = approve(library)
    assert result.returncode == 0, result.stderr
    assert "committed, signed" in result.stderr
    verified = verify(library)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.parametrize(
    ("key", "email", "says"),
    [
        (None, "reviewer@example.org", "is not signed with Example Reviewer's registered key"),
        (
            "outsider",
            "reviewer@example.org",
            "is not signed with Example Reviewer's registered key",
        ),
        ("author", "author@example.org", "is not signed with Example Reviewer's registered key"),
    ],
    ids=["unsigned, claiming the reviewer's identity", "a stranger's key", "another member's key"],
)
def test_an_approval_not_signed_by_its_reviewer_proves_nothing(
    library: Path, keys: dict[str, Path], key: str | None, email: str, says: str
) -> None:
    assert approve(library, "--no-commit").returncode == 0
    if key is None:
        git(library, "commit", "-qam", "Approve p", email=email)  # anyone can type this identity
    else:
        sign_as(library, keys[key], email)
        git(library, "commit", "-S", "-qam", "Approve p")
    result = verify(library)
    assert result.returncode == 1
    assert "[approval-unverified]" in result.stdout
    assert says in result.stdout
    assert result.stdout.startswith("docs/guidelines/p.md:")


def test_an_approval_edited_after_it_was_signed_is_caught(
    library: Path, keys: dict[str, Path]
) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    page = library / PAGE
    text = page.read_text(encoding="utf-8")
    dated = next(line for line in text.splitlines() if line.strip().startswith("date: 2026-12"))
    page.write_text(text.replace(dated, dated.replace("2026-12", "2026-02")), encoding="utf-8")
    git(library, "commit", "-qam", "Backdate the approval", email="editor@example.org")
    result = verify(library)
    assert result.returncode == 1
    assert "which is not signed with Example Reviewer's registered key" in result.stdout


def test_a_reviewer_who_added_themselves_to_the_registry_is_not_trusted(
    library: Path, keys: dict[str, Path]
) -> None:
    # An outsider with write access lists themselves, with their own key, and approves, all in
    # one commit signed with that key: the registry they changed did not trust them.
    registry = library / "reviewers.yaml"
    public = Path(f"{keys['outsider']}.pub").read_text().strip()
    registry.write_text(
        registry.read_text()
        + f'  - name: Example Outsider\n    role: Anyone\n    signing_key: "{public}"\n',
        encoding="utf-8",
    )
    assert run_cli("approve", PAGE, "--reviewer", "Example Outsider", "--no-commit",
                   cwd=library).returncode == 0  # fmt: skip
    sign_as(library, keys["outsider"], "outsider@example.org")
    git(library, "commit", "-S", "-qam", "Add myself and approve")
    result = verify(library)
    assert result.returncode == 1
    assert "[registry-unverified]" in result.stdout
    assert "neither signed by nor approved in a review by a member of the registry" in result.stdout


def test_a_registry_change_signed_by_a_member_counts(library: Path, keys: dict[str, Path]) -> None:
    registry = library / "reviewers.yaml"
    registry.write_text(registry.read_text() + "  - name: Example Newcomer\n    role: Nurse\n")
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    git(library, "commit", "-S", "-qam", "Welcome a new reviewer")
    result = verify(library)
    assert result.returncode == 0, result.stdout


def test_the_chain_of_trust_starts_at_a_pinned_key(library: Path, keys: dict[str, Path]) -> None:
    # The registry's first version was committed by an editor, unsigned: with a key pinned in CI,
    # that is no start for the chain; signed by the pinned key, it is.
    pinned = verify(library, GUIDEPRESS_TRUSTED_KEYS=fingerprint(keys["reviewer"]))
    assert pinned.returncode == 1
    assert "is not signed by a key pinned in GUIDEPRESS_TRUSTED_KEYS" in pinned.stdout
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    git(library, "commit", "-S", "-q", "--amend", "--no-edit")  # the first commit, now signed
    assert verify(library, GUIDEPRESS_TRUSTED_KEYS=fingerprint(keys["reviewer"])).returncode == 0
    other = verify(library, GUIDEPRESS_TRUSTED_KEYS=fingerprint(keys["outsider"]))
    assert other.returncode == 1


def test_release_refuses_an_unverified_approval_and_publishes_a_verified_one(
    library: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    page = library / PAGE
    page.write_text(page.read_text().replace("status: draft", "status: approved"))
    git(library, "commit", "-qam", "Ready for release", email="editor@example.org")
    assert approve(library, "--no-commit").returncode == 0
    git(library, "commit", "-qam", "Approve p", email="reviewer@example.org")
    archive = tmp_path / "archive"
    refused = run_cli("release", "2026.1", "--archive", str(archive), cwd=library)
    assert refused.returncode == 1
    assert "[approval-unverified] Example Reviewer's approval of version 1.0" in refused.stdout
    assert "release refused" in refused.stderr
    assert not archive.exists() or not (archive / "2026.1").exists()
    again = approve(library)  # the same record: nothing to commit, and it says what to do
    assert again.returncode == 1
    assert "remove the record, commit that, then approve again" in again.stderr
    git(library, "revert", "--no-edit", "HEAD")
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0  # approved again, signed this time
    released = run_cli("release", "2026.1", "--archive", str(archive), cwd=library)
    assert released.returncode == 0, released.stdout + released.stderr


def test_build_shows_unverified_approvals_as_warnings(library: Path) -> None:
    assert approve(library, "--no-commit").returncode == 0
    git(library, "commit", "-qam", "Approve p", email="reviewer@example.org")
    result = run_cli("build", cwd=library)
    assert result.returncode == 0, result.stderr
    assert "warning: [approval-unverified]" in result.stdout
    assert run_cli("build", "--strict", cwd=library).returncode == 1


# Approvals given as pull request reviews on GitHub, recorded in CI and checked with its API.


@pytest.fixture
def github(library: Path) -> Iterator[FakeGitHub]:
    """The library on a branch with an edit under review, and a fake GitHub that serves it."""
    git(library, "checkout", "-q", "-b", "revise")
    page = library / PAGE
    page.write_text(page.read_text().replace("A statement", "A revised statement"))
    git(library, "commit", "-qam", "Revise p", email="author@example.org")
    head = git(library, "rev-parse", "HEAD").strip()
    with FakeGitHub(library) as server:
        server.pulls[2] = {"head": head, "files": [PAGE], "reviews": [], "commits": [head]}
        with (library / "pyproject.toml").open("a") as pyproject:
            pyproject.write(
                f'[tool.guidepress.forge]\napi = "{server.url}"\nrepository = "{REPOSITORY}"\n'
            )
        git(library, "commit", "-qam", "Name the forge", email="author@example.org")
        server.pulls[2]["head"] = git(library, "rev-parse", "HEAD").strip()
        server.pulls[2]["commits"].append(server.pulls[2]["head"])
        yield server


def event_file(
    root: Path, commit: str, login: str = "example-reviewer", review_id: int = 80
) -> Path:
    event = json.loads((CASES / "github" / "pull_request_review.json").read_text())
    event["review"].update({"commit_id": commit, "id": review_id, "submitted_at": REVIEWED})
    event["review"]["user"]["login"] = login
    event["pull_request"]["head"]["sha"] = commit
    path = root.parent / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def record(root: Path, event: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("record-review", "--event", str(event), cwd=root)


def test_a_review_on_github_is_recorded_and_verified(library: Path, github: FakeGitHub) -> None:
    head = github.pulls[2]["head"]
    github.pulls[2]["reviews"].append(review(80, "example-reviewer", head, REVIEWED))
    result = record(library, event_file(library, head))
    assert result.returncode == 0, result.stderr
    text = (library / PAGE).read_text()
    assert f'review: {{pull: 2, id: 80, commit: "{head}"}}' in text
    assert "date: 2026-01-12" in text
    assert git(library, "log", "-1", "--format=%an").strip() == "guidepress"
    assert verify(library).returncode == 0, verify(library).stdout


def set_record(root: Path, old: str, new: str) -> None:
    page = root / PAGE
    page.write_text(page.read_text().replace(old, new, 1), encoding="utf-8")
    git(root, "commit", "-qam", "Edit the record", email="author@example.org")


@pytest.mark.parametrize(
    ("forgery", "says"),
    [
        ("no such review", "which the forge does not have"),
        ("a comment, not an approval", "which is commented, not an approval"),
        ("another account's review", "given by example-author, not by Example Reviewer"),
        ("a review of another commit", "but it approved"),
        ("the date edited", "is dated 2026-01-05, but review 80 of pull request 2 was given on"),
        (
            "content the review never saw",
            "does not match the page as it was in the reviewed commit",
        ),
    ],
)
def test_a_forged_review_approval_is_refused(
    library: Path, github: FakeGitHub, forgery: str, says: str
) -> None:
    head = github.pulls[2]["head"]
    reviews = github.pulls[2]["reviews"]
    reviews.append(review(80, "example-reviewer", head, REVIEWED))
    assert record(library, event_file(library, head)).returncode == 0
    if forgery == "no such review":
        reviews.clear()
    elif forgery == "a comment, not an approval":
        reviews[0]["state"] = "COMMENTED"
    elif forgery == "another account's review":
        reviews[0]["user"]["login"] = "example-author"
    elif forgery == "a review of another commit":
        reviews[0]["commit_id"] = "0" * 40
    elif forgery == "the date edited":
        set_record(library, "date: 2026-01-12", "date: 2026-01-05")
    else:  # the record names the review, but its digest is of content written afterwards
        page = library / PAGE
        page.write_text(
            page.read_text().replace("A revised statement", "A statement nobody reviewed")
        )
        assert approve(library, "--no-commit").returncode == 0
        text = page.read_text()
        digest = next(line for line in text.splitlines() if "digest:" in line).split()[-1]
        dated = next(line for line in text.splitlines() if "date: 2026-12" in line)
        page.write_text(text.replace(dated, "    date: 2026-01-12"))
        reference = f'review: {{pull: 2, id: 80, commit: "{head}"}}'
        set_record(library, f"digest: {digest}", f"digest: {digest}\n    {reference}")
    result = verify(library)
    assert result.returncode == 1, result.stdout
    assert says in result.stdout


def test_a_review_of_an_older_commit_is_not_recorded(library: Path, github: FakeGitHub) -> None:
    reviewed = git(library, "rev-parse", "HEAD~1").strip()  # the branch moved on since
    result = record(library, event_file(library, reviewed))
    assert result.returncode == 1
    assert "the branch is now at" in result.stderr
    assert len(github.comments) == 1
    assert "approve again" in github.comments[0][1]
    assert "approvals:" not in (library / PAGE).read_text()


def test_a_review_by_someone_not_in_the_registry_is_not_recorded(
    library: Path, github: FakeGitHub
) -> None:
    head = github.pulls[2]["head"]
    result = record(library, event_file(library, head, login="example-author"))
    assert result.returncode == 1
    said = "@example-author is not a reviewer in the library's registry"
    assert github.comments == [(2, f"guidepress did not record this approval: {said}")]
