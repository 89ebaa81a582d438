"""Approvals nobody can forge, in real git repositories with keys made by ssh-keygen and a fake
GitHub API on 127.0.0.1: the reviewer's signature or a pull request review proves an approval; a
typed name, a claimed git identity, someone else's key, a signed commit of someone else's record,
a record edited afterwards, a review of something else, or a registry or configuration changed
without a member's consent, does not."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from guidepress.schemas import Approval
from guidepress.signatures import sign, statement
from tests.conftest import (
    CASES,
    PAGE,
    fingerprint,
    in_git,
    make_project,
    registry_with_keys,
    run_cli,
    sign_as,
    valid_page,
)
from tests.fakeforge import REPOSITORY, FakeGitHub, review
from tests.test_approvals import git
from tests.test_release import new_version

REVIEWED = "2026-01-12T10:15:31Z"


@pytest.fixture
def library(tmp_path: Path, keys: dict[str, Path]) -> Path:
    root = tmp_path / "library"
    make_project(root, {"guidelines/p.md": valid_page()})
    registry = registry_with_keys(keys, reviewer="example-reviewer")
    (root / "reviewers.yaml").write_text(registry, encoding="utf-8")
    in_git(root, signed_with=keys["reviewer"])
    return root


def verify(root: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """verify-approvals as CI runs it: the pinned key (pinned_key), the fake forge when a test
    serves one, nothing GitHub's runners would set on this machine, and `env`."""
    command = [sys.executable, "-m", "guidepress", "verify-approvals"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return subprocess.run(command, cwd=root, capture_output=True, text=True, check=False,
                          env={**environment, **env})  # fmt: skip


def approve(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return run_cli("approve", PAGE, "--reviewer", "Example Reviewer", *options, cwd=root)


def test_an_approval_signed_with_the_reviewers_key_is_verified(
    library: Path, keys: dict[str, Path]
) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    result = approve(library)
    assert result.returncode == 0, result.stderr
    assert "signature: " in (library / PAGE).read_text()
    verified = verify(library)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The signature is in the record, not the commit: rewritten history keeps the proof.
    git(library, "commit", "-q", "--amend", "-m", "Squashed", email="editor@example.org")
    assert verify(library).returncode == 0


def signature_line(root: Path) -> str:
    return next(line for line in (root / PAGE).read_text().splitlines() if "signature:" in line)


def signed_statement(key: Path, page_id: str, day: str) -> str:
    """A signature made with `key` over a statement of an approval like the test page's."""
    claim = Approval.model_validate(
        {"reviewer": "Example Reviewer", "date": day, "version": "1.0",
         "digest": "sha256:" + "0" * 64},
        context={"today": date.max},
    )  # fmt: skip
    return sign(statement(page_id, claim), str(key))


@pytest.mark.parametrize(
    ("forgery", "says"),
    [
        ("signature removed", "is neither signed nor given in a pull request review"),
        ("signed by a stranger", "is not Example Reviewer's registered key's signature"),
        ("signed by another member", "is not Example Reviewer's registered key's signature"),
        ("the date changed after signing", "is not Example Reviewer's registered key's signature"),
        ("a signature made for another page", "is not Example Reviewer's registered key's"),
        (
            "the reviewer's signed commit of a record someone else wrote",
            "is neither signed nor given in a pull request review",
        ),
    ],
)
def test_an_approval_not_signed_by_its_reviewer_proves_nothing(
    library: Path, keys: dict[str, Path], forgery: str, says: str
) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    assert verify(library).returncode == 0
    page = library / PAGE
    text, line = page.read_text(), signature_line(library)
    dated = next(d for d in text.splitlines() if d.strip().startswith("date: 2026-12"))
    day, field = dated.split()[-1], line.split(":")[0]
    resigned = {
        "signed by a stranger": (keys["outsider"], "test-page"),
        "signed by another member": (keys["author"], "test-page"),
        "a signature made for another page": (keys["reviewer"], "another-page"),
    }
    if forgery in resigned:
        key, page_id = resigned[forgery]
        text = text.replace(line, f"{field}: {signed_statement(key, page_id, day)}")
    elif forgery == "the date changed after signing":
        text = text.replace(dated, dated.replace("2026-12", "2026-02"))
    else:  # removed; or an editor writes the record and the reviewer signs a commit holding it
        text = text.replace(line + "\n", "")
    page.write_text(text)
    git(library, "commit", "-qam", "Edit the approval", email="editor@example.org")
    if forgery.startswith("the reviewer's signed commit"):
        git(library, "commit", "-S", "-q", "--amend", "--no-edit")  # as a rebase would
    result = verify(library)
    assert result.returncode == 1
    assert "[approval-unverified]" in result.stdout
    assert says in result.stdout, result.stdout
    assert result.stdout.startswith("docs/guidelines/p.md:")


def test_approve_signs_only_with_the_reviewers_registered_key(
    library: Path, keys: dict[str, Path]
) -> None:
    before = (library / PAGE).read_text()
    refused = approve(library, "--key", str(keys["outsider"]))
    assert refused.returncode == 1
    assert "is not Example Reviewer's key in the registry" in refused.stderr
    unsigned = approve(library)  # no key named, and none set in git
    assert unsigned.returncode == 1
    assert "git config --global user.signingkey" in unsigned.stderr
    assert (library / PAGE).read_text() == before
    assert approve(library, "--key", str(keys["reviewer"])).returncode == 0
    assert verify(library).returncode == 0


def unsign(root: Path) -> None:
    """Take the signature out of the page's approval record, as an editor could, and commit."""
    page = root / PAGE
    page.write_text(page.read_text().replace(signature_line(root) + "\n", ""))
    git(root, "commit", "-qam", "Approve p", email="reviewer@example.org")


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
    sign_as(library, keys["outsider"], "outsider@example.org")
    assert run_cli("approve", PAGE, "--reviewer", "Example Outsider", "--no-commit",
                   cwd=library).returncode == 0  # fmt: skip
    git(library, "commit", "-S", "-qam", "Add myself and approve")
    result = verify(library)
    assert result.returncode == 1
    assert "[registry-unverified]" in result.stdout
    assert "the change to reviewers.yaml in commit" in result.stdout
    assert "neither signed by nor approved in a pull request review by a member" in result.stdout


def test_a_registry_change_signed_by_a_member_counts(library: Path, keys: dict[str, Path]) -> None:
    registry = library / "reviewers.yaml"
    registry.write_text(registry.read_text() + "  - name: Example Newcomer\n    role: Nurse\n")
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    git(library, "commit", "-S", "-qam", "Welcome a new reviewer")
    assert approve(library).returncode == 0
    result = verify(library)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    "trusted",
    [
        "conf.py",  # runs as Python in every build
        "pyproject.toml",  # which registry, how many approvals
        "requirements.txt",  # what CI installs
        "docutils.conf",  # how pages are parsed
        ".github/workflows/release.yml",  # what a release runs
        "pip/__main__.py",  # what `python -m pip` would run in the checkout
        "docs/locales/en/LC_MESSAGES/guidelines.po",  # a translation of the pages
        "docs/_static/custom.js",  # script a theme may load on every page
        "docs/_templates/page.html",  # a template every page is written through
    ],
)
def test_anything_but_pages_changes_only_with_a_members_consent(
    library: Path, keys: dict[str, Path], trusted: str
) -> None:
    # Pages and the files they show are the editors' own (approvals cover them); any other file
    # can change who approves or what a build does. An editor changes one after the approval,
    # without a member's signature.
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    (library / trusted).parent.mkdir(parents=True, exist_ok=True)
    with (library / trusted).open("a", encoding="utf-8") as file:
        file.write("\n# changed by an editor\n")
    git(library, "add", trusted)
    git(library, "commit", "-qm", f"Change {trusted}", email="editor@example.org")
    result = verify(library)
    assert result.returncode == 1
    assert f"the change to {trusted} in commit" in result.stdout
    git(library, "commit", "-S", "-q", "--amend", "--no-edit")  # the reviewer signs it
    assert verify(library).returncode == 0


def test_a_merge_that_brings_back_an_old_registry_is_a_change_like_any_other(
    library: Path, keys: dict[str, Path]
) -> None:
    # The board removes a member whose key leaked (signed by a member). An editor merges a branch
    # cut before the removal, keeping its registry: the member is back, so the merge must be
    # approved like any change.
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    git(library, "branch", "old")
    registry = library / "reviewers.yaml"
    text = registry.read_text()
    start = text.index("  - name: Example Author")
    registry.write_text(text[:start])
    git(library, "commit", "-S", "-qam", "Remove Example Author, whose key leaked")
    git(library, "checkout", "-q", "old")
    (library / "notes.txt").write_text("unrelated\n")
    git(library, "add", "notes.txt")
    git(library, "commit", "-qm", "Unrelated", email="editor@example.org")
    git(library, "checkout", "-q", "main")
    git(library, "merge", "-q", "--no-commit", "--no-ff", "-s", "ours", "old",
        email="editor@example.org")  # fmt: skip
    registry.write_text(text)  # the old registry, with the removed member
    git(library, "add", "-A")
    git(library, "commit", "-qm", "Merge", email="editor@example.org")
    assert approve(library).returncode == 0
    result = verify(library)
    assert result.returncode == 1
    assert "the change to notes.txt, reviewers.yaml in commit" in result.stdout, result.stdout


def test_the_chain_of_trust_starts_at_a_pinned_key(library: Path, keys: dict[str, Path]) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    assert verify(library).returncode == 0  # the first commit is signed by the pinned key
    other = verify(library, GUIDEPRESS_TRUSTED_KEYS=fingerprint(keys["outsider"]))
    assert other.returncode == 1
    assert "is not signed by a key pinned in GUIDEPRESS_TRUSTED_KEYS" in other.stdout
    nothing = verify(library, GUIDEPRESS_TRUSTED_KEYS="")
    assert nothing.returncode == 1
    assert "no key is pinned in GUIDEPRESS_TRUSTED_KEYS" in nothing.stdout
    # The registry's first version committed by an editor, unsigned, is no start either.
    first = git(library, "rev-list", "--max-parents=0", "HEAD").strip()
    git(library, "rebase", "-q", "--root", "--exec",
        f'test "$(git rev-parse HEAD~0)" = "{first}" || true')  # fmt: skip
    git(library, "checkout", "-q", first)
    git(library, "commit", "-q", "--amend", "--no-gpg-sign", "--no-edit",
        email="editor@example.org")  # fmt: skip
    unsigned_first = git(library, "rev-parse", "HEAD").strip()
    git(library, "checkout", "-q", "main")
    git(library, "rebase", "-q", "--onto", unsigned_first, first, "main")
    unanchored = verify(library)
    assert unanchored.returncode == 1
    assert "is not signed by a key pinned" in unanchored.stdout


def test_release_refuses_an_unverified_approval_and_publishes_a_verified_one(
    library: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    page = library / PAGE
    page.write_text(page.read_text().replace("status: draft", "status: approved"))
    git(library, "commit", "-qam", "Ready for release", email="editor@example.org")
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    unsign(library)
    archive = tmp_path / "archive"
    refused = run_cli("release", "2026.1", "--archive", str(archive), cwd=library)
    assert refused.returncode == 1
    assert "[approval-unverified] Example Reviewer's approval of version 1.0" in refused.stdout
    assert "release refused" in refused.stderr
    assert not archive.exists() or not (archive / "2026.1").exists()
    assert approve(library).returncode == 0  # approved again, signed
    released = run_cli("release", "2026.1", "--archive", str(archive), cwd=library)
    assert released.returncode == 0, released.stdout + released.stderr


def test_build_shows_unverified_approvals_as_warnings(library: Path, keys: dict[str, Path]) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    unsign(library)
    result = run_cli("build", cwd=library)
    assert result.returncode == 0, result.stderr
    assert "warning: [approval-unverified]" in result.stdout
    assert run_cli("build", "--strict", cwd=library).returncode == 1


# Approvals given as pull request reviews on GitHub, recorded in CI and checked with its API.


@pytest.fixture
def github(library: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """The library on a branch with an edit under review, and a fake GitHub that serves it,
    named to guidepress by the environment, as CI's runner names GitHub."""
    base = git(library, "rev-parse", "HEAD").strip()
    git(library, "checkout", "-q", "-b", "revise")
    page = library / PAGE
    page.write_text(page.read_text().replace("A statement", "A revised statement"))
    git(library, "commit", "-qam", "Revise p", email="author@example.org")
    head = git(library, "rev-parse", "HEAD").strip()
    with FakeGitHub(library) as server:
        server.pulls[2] = {
            "head": head, "base": base, "files": [PAGE], "reviews": [], "commits": [head],
        }  # fmt: skip
        monkeypatch.setenv("GUIDEPRESS_FORGE_API", server.url)
        monkeypatch.setenv("GUIDEPRESS_FORGE_REPOSITORY", REPOSITORY)
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
        ("changes requested since", "last review of pull request 2 is changes requested"),
        ("a pull request that does not change the page", "does not change this page"),
        ("the date edited", "is dated 2026-01-05, but review 80 of pull request 2 was given on"),
        (
            "content the review never saw",
            "does not match the page as it was in the reviewed commit",
        ),
    ],
)
def test_a_forged_review_approval_is_refused(
    library: Path, github: FakeGitHub, keys: dict[str, Path], forgery: str, says: str
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
    elif forgery == "changes requested since":
        later = "2026-01-13T09:00:00Z"
        reviews.append(review(81, "example-reviewer", head, later, "CHANGES_REQUESTED"))
    elif forgery == "a pull request that does not change the page":
        github.pulls[2]["base"] = head  # its branch started where the reviewed commit is
    elif forgery == "the date edited":
        set_record(library, "date: 2026-01-12", "date: 2026-01-05")
    else:  # the record names the review, but its digest is of content written afterwards
        page = library / PAGE
        page.write_text(
            page.read_text().replace("A revised statement", "A statement nobody reviewed")
        )
        assert approve(library, "--no-commit", "--key", str(keys["reviewer"])).returncode == 0
        text = page.read_text().replace(signature_line(library) + "\n", "")
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


@pytest.mark.parametrize(
    "reviewed",
    ["the change", "an earlier commit without it", "the change, to a registry since changed"],
)
def test_a_registry_change_approved_in_a_pull_request_review(
    library: Path, github: FakeGitHub, keys: dict[str, Path], reviewed: str
) -> None:
    # An editor adds a reviewer on a branch; a member approves the pull request on GitHub; the
    # editor merges it, unsigned. The review counts only if it saw the change.
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    git(library, "checkout", "-q", "main")
    assert approve(library).returncode == 0
    base = git(library, "rev-parse", "HEAD").strip()
    git(library, "checkout", "-q", "-b", "newcomer")
    registry = library / "reviewers.yaml"
    before = git(library, "rev-parse", "HEAD").strip()
    registry.write_text(registry.read_text() + "  - name: Example Newcomer\n    role: Nurse\n")
    git(library, "commit", "-qam", "Welcome a new reviewer", email="editor@example.org")
    head = git(library, "rev-parse", "HEAD").strip()
    git(library, "checkout", "-q", "main")
    if reviewed.endswith("since changed"):  # meanwhile a member removes a reviewer, signed
        text = registry.read_text()
        registry.write_text(text[: text.index("  - name: Example Author")])
        git(library, "commit", "-S", "-qam", "Remove Example Author")
        git(library, "merge", "-q", "--no-ff", "--no-commit", "-s", "ours", "newcomer",
            email="editor@example.org")  # fmt: skip
        git(library, "checkout", "newcomer", "--", "reviewers.yaml")  # the reviewed file, whole
        git(library, "commit", "-q", "--no-gpg-sign", "-m", "Merge newcomer",
            email="editor@example.org")  # fmt: skip
        assert "Example Author" in registry.read_text()
    else:
        git(library, "merge", "-q", "--no-ff", "--no-gpg-sign", "-m", "Merge newcomer",
            "newcomer", email="editor@example.org")  # fmt: skip
    merge = git(library, "rev-parse", "HEAD").strip()
    approved_commit = before if reviewed == "an earlier commit without it" else head
    github.pulls[3] = {
        "head": head, "base": base, "files": ["reviewers.yaml"], "commits": [head, merge],
        "reviews": [review(90, "example-reviewer", approved_commit, REVIEWED)],
    }  # fmt: skip
    result = verify(library)
    if reviewed == "the change":
        assert result.returncode == 0, result.stdout
    else:
        assert result.returncode == 1
        assert "the change to reviewers.yaml in commit" in result.stdout


@pytest.mark.parametrize(
    ("second_key", "says"),
    [
        ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 someone", "not an Ed25519 public key line"),
        ("the reviewer's key, with another comment", "two reviewers share one signing key"),
    ],
)
def test_a_key_is_registered_once_and_only_as_ed25519(
    library: Path, keys: dict[str, Path], second_key: str, says: str
) -> None:
    # RSA's numbers can be written with padding, so one key could pass for two members'.
    reviewer = Path(f"{keys['reviewer']}.pub").read_text().split()
    key = (
        f"{reviewer[0]} {reviewer[1]} other@example.org" if "comment" in second_key else second_key
    )
    registry = library / "reviewers.yaml"
    text = registry.read_text()
    author = next(line for line in text.splitlines() if "signing_key" in line and
                  Path(f"{keys['author']}.pub").read_text().split()[1] in line)  # fmt: skip
    registry.write_text(text.replace(author, f'    signing_key: "{key}"'))
    result = run_cli("validate", cwd=library)
    assert result.returncode != 0
    assert says in result.stdout + result.stderr


def ready_for_release(root: Path, keys: dict[str, Path]) -> Path:
    """Mark the page approved (committed by an editor) and give git the reviewer's key."""
    page = root / PAGE
    page.write_text(page.read_text().replace("status: draft", "status: approved"))
    sign_as(root, keys["reviewer"], "reviewer@example.org")
    git(root, "commit", "-qam", "Ready", email="editor@example.org")
    return page


def test_a_release_never_puts_an_older_version_back(
    library: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    # Version 1.1 corrects 1.0 and is released; an editor puts the 1.0 page back, approvals and
    # all: it is the content its reviewer approved, but not the current guidance.
    page = ready_for_release(library, keys)
    assert approve(library).returncode == 0
    archive = tmp_path / "archive"
    assert run_cli("release", "2026.1", "--archive", str(archive), cwd=library).returncode == 0
    first = page.read_text()
    new_version(library, "1.1")  # edited, and approved again (approve commits)
    assert run_cli("release", "2026.2", "--archive", str(archive), cwd=library).returncode == 0
    page.write_text(first)
    git(library, "commit", "-qam", "Back to 1.0", email="editor@example.org")
    refused = run_cli("release", "2026.3", "--archive", str(archive), cwd=library)
    assert refused.returncode == 1
    assert "test-page v1.0 is older than v1.1, published in release 2026.2" in refused.stderr


def test_an_editors_page_and_picture_need_no_consent(library: Path, keys: dict[str, Path]) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    (library / "docs" / "notes.md").write_text("# Notes\n")
    (library / "docs" / "guidelines" / "flow.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    git(library, "add", "-A")
    git(library, "commit", "-qm", "A page and a picture", email="editor@example.org")
    assert verify(library).returncode == 0


def test_a_guideline_is_retired_only_with_a_reviewers_approval(
    library: Path, keys: dict[str, Path]
) -> None:
    # An approval to publish the page does not approve withdrawing it, nor the reverse.
    page = library / PAGE
    page.write_text(page.read_text().replace("status: draft", "status: approved"))
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    assert run_cli("validate", cwd=library).returncode == 0
    page.write_text(page.read_text().replace("status: approved", "status: retired", 1))
    retired = run_cli("validate", cwd=library)
    assert retired.returncode == 1
    assert "status is retired but the page has 0 valid approval(s)" in retired.stdout
    assert approve(library).returncode == 0  # the reviewer approves the retirement
    assert page.read_text().count("status: retired") == 2  # the page's, and the approval's
    assert run_cli("validate", cwd=library).returncode == 0
    assert verify(library).returncode == 0
    page.write_text(page.read_text().replace("status: retired\n", "status: approved\n", 1))
    assert run_cli("validate", cwd=library).returncode == 1  # nor back again


def test_a_merge_that_puts_an_old_line_first_is_no_release(
    library: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    # Released at commit R; an editor makes a merge whose first parent is a commit before R, so
    # the branch's own line skips everything since (a registry change, say).
    ready_for_release(library, keys)
    old = git(library, "rev-parse", "HEAD").strip()
    assert approve(library).returncode == 0
    archive = tmp_path / "archive"
    assert run_cli("release", "2026.1", "--archive", str(archive), cwd=library).returncode == 0
    tip = git(library, "rev-parse", "HEAD").strip()
    tree = git(library, "rev-parse", "HEAD^{tree}").strip()
    merge = git(library, "commit-tree", tree, "-p", old, "-p", tip, "-m", "Merge").strip()
    git(library, "reset", "-q", "--hard", merge)
    refused = run_cli("release", "2026.2", "--archive", str(archive), cwd=library)
    assert refused.returncode == 1
    assert "not on the branch's own line of history" in refused.stderr


def test_a_merge_that_drops_a_signed_change_needs_consent(
    library: Path, keys: dict[str, Path]
) -> None:
    # A member removes a reviewer whose key leaked; an editor makes a merge whose first parent
    # is from before, keeping the old registry. It is a fast-forward of main, and compared with
    # its first parent it changes nothing: against git's three-way merge it undoes the removal.
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    old = git(library, "rev-parse", "HEAD").strip()
    registry = library / "reviewers.yaml"
    text = registry.read_text()
    registry.write_text(text[: text.index("  - name: Example Author")])
    git(library, "commit", "-S", "-qam", "Remove Example Author, whose key leaked")
    tip = git(library, "rev-parse", "HEAD").strip()
    tree = git(library, "rev-parse", f"{old}^{{tree}}").strip()
    merge = git(library, "commit-tree", tree, "-p", old, "-p", tip, "-m", "Merge",
                email="editor@example.org").strip()  # fmt: skip
    git(library, "reset", "-q", "--hard", merge)
    assert "Example Author" in registry.read_text()
    result = verify(library)
    assert result.returncode == 1
    assert "the change to reviewers.yaml in commit" in result.stdout


def test_a_registry_in_the_pages_folder_or_pages_beside_the_project_are_refused(
    library: Path,
) -> None:
    # Pages are what editors change freely: who may approve, and the project's own files, are
    # kept apart from them.
    pyproject = library / "pyproject.toml"
    for setting, says in (
        ('registry = "docs/board.yaml"', "is inside the pages' folder"),
        ('source_dir = "."', "is not a folder of its own inside the project"),
    ):
        pyproject.write_text(f"[tool.guidepress]\n{setting}\n", encoding="utf-8")
        result = run_cli("validate", cwd=library)
        assert result.returncode == 2, result.stdout + result.stderr
        assert says in result.stderr


def test_a_file_name_git_cannot_decode_is_a_trusted_change_not_a_crash(
    library: Path, keys: dict[str, Path]
) -> None:
    sign_as(library, keys["reviewer"], "reviewer@example.org")
    assert approve(library).returncode == 0
    (library / "docs" / os.fsdecode(b"odd-\xff.md")).write_text("# Odd\n")
    git(library, "add", "-A")
    git(library, "commit", "-qm", "An odd name", email="editor@example.org")
    result = verify(library)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "[registry-unverified]" in result.stdout


def test_verify_checks_the_chain_even_with_no_approvals_to_prove(library: Path) -> None:
    # No page holds an approval yet: a change to conf.py, which runs in every build, still needs
    # a member's consent before anything is released from it.
    with (library / "conf.py").open("a") as conf:
        conf.write("\n# an editor's change\n")
    git(library, "commit", "-qam", "Change conf.py", email="editor@example.org")
    result = verify(library)
    assert result.returncode == 1
    assert "the change to conf.py in commit" in result.stdout
