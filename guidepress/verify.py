"""Proof that each approval was given by its reviewer, and that the registry naming the reviewers
was itself changed only by reviewers already in it.

An approval is proven one of two ways, never by a name or a git identity anyone can type:
- a **pull request review** on the forge (`review:` in the record): the review exists, is
  APPROVED, was given by the reviewer's registered account, of the recorded commit, on the
  recorded date, and the page at that commit has the recorded digest;
- a **signed commit**: the commit that added the record is signed by the reviewer's registered
  key, added it exactly as it now reads, and holds the page content the digest names.

The registry (reviewers.yaml) is trusted from its first committed version, which must be signed
by a key whose fingerprint CI pins in GUIDEPRESS_TRUSTED_KEYS when that is set; each later change
must be signed by, or approved in a review by, a member of the version before it.
"""

from __future__ import annotations

import base64
import hashlib
import os
import posixpath
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guidepress.forge import Forge, ForgeError, from_settings
from guidepress.history import GitFiles, HistoryError, git, git_bytes, page_history, tracked
from guidepress.schemas import Approval, Code, Registry, RegistryMember, Settings
from guidepress.signatures import signer
from guidepress.validators.approvals import content_digest
from guidepress.validators.config import load_registry
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.library import display, find_pages
from guidepress.validators.page_files import fingerprints
from guidepress.validators.pipeline import Layout
from guidepress.validators.source import Page, parse_page, read_page

TRUSTED_KEYS = "GUIDEPRESS_TRUSTED_KEYS"  # SSH key fingerprints (SHA256:…), comma-separated


@dataclass(frozen=True)
class Proof:
    """What verification needs: the reviewers, the forge (None: no forge configured), and the
    library's source folder (where the files a page shows are named from)."""

    registry: Registry | None
    forge: Forge | None
    source: Path


def verify_approvals(paths: list[Path], proof: Proof) -> list[Diagnostic]:
    """An `approval-unverified` diagnostic for each approval of the pages that is not proven."""
    found = []
    for path in paths:
        page, _ = read_page(path, str(path), needs_front_matter=True)
        approvals = page.data.get("approvals") if page and isinstance(page.data, dict) else None
        if page is None or not isinstance(approvals, list):
            continue
        for index, raw in enumerate(approvals):
            try:
                approval = Approval.model_validate(raw, context={"today": date.max})
            except ValidationError:
                continue  # validate reports it
            problem = _unproven(path, page, approval, raw, proof)
            if problem:
                line, col = page.locate(("approvals", index, "reviewer"))
                who = f"{approval.reviewer}'s approval of version {approval.version}"
                found.append(page.at(line, col, Code.APPROVAL_UNVERIFIED, f"{who} {problem}"))
    return found


def _unproven(path: Path, page: Page, approval: Approval, raw: Any, proof: Proof) -> str | None:
    member = proof.registry.find(approval.reviewer) if proof.registry else None
    if member is None:
        return "names someone not in the reviewer registry"
    try:
        top, name = tracked(path)
        if approval.review is not None:
            return _unproven_review(top, name, approval, member, proof)
        return _unproven_signature(top, name, approval, raw, member, proof)
    except (HistoryError, ForgeError) as error:
        return f"cannot be checked: {error}"


def _unproven_review(
    top: Path, name: str, approval: Approval, member: RegistryMember, proof: Proof
) -> str | None:
    assert approval.review is not None
    if proof.forge is None:
        return (
            "was given in a pull request review, which cannot be checked: name the repository "
            "in [tool.guidepress.forge] (CI sets GITHUB_REPOSITORY) and give a token"
        )
    recorded = approval.review
    review = proof.forge.review(recorded.pull, recorded.id)
    where = f"review {recorded.id} of pull request {recorded.pull}"
    if review is None:
        return f"names {where}, which the forge does not have"
    if review.state != "APPROVED":
        return f"names {where}, which is {review.state.lower()}, not an approval"
    if not member.github or review.login.casefold() != member.github.casefold():
        account = member.github or "no account in the registry"
        return f"names {where}, given by {review.login}, not by {member.name} ({account})"
    if review.commit != recorded.commit:
        return (
            f"names {where} of commit {recorded.commit[:10]}, but it approved {review.commit[:10]}"
        )
    if review.submitted and review.submitted.date() != approval.date:
        return f"is dated {approval.date}, but {where} was given on {review.submitted.date()}"
    text = proof.forge.file_at(recorded.commit, name)
    files = _ForgeFiles(proof.forge, recorded.commit, _source_in(top, proof.source))
    if _digest(text, name, files, top, proof) != approval.digest:
        return f"does not match the page as it was in the reviewed commit {recorded.commit[:10]}"
    return None


def _unproven_signature(
    top: Path, name: str, approval: Approval, raw: Any, member: RegistryMember, proof: Proof
) -> str | None:
    """Proven when a commit signed with the member's key is the one that wrote this exact record
    (its parent did not hold it), and held the page content the digest names."""
    if member.signing_key is None:
        return (
            f"cannot be proven by a signed commit: {member.name} has no signing key in the "
            "registry; approve in a pull request review, or register a key"
        )
    writers = [
        (commit, path)
        for commit, path in page_history(top, name)
        if _holds(top, commit, path, raw) and not _holds(top, f"{commit}^", path, raw)
    ]
    if not writers:
        return "is in no commit as it now reads: the reviewer commits it, signed with their key"
    for commit, path in writers:
        if signer(top, commit, [member]) is None:
            continue
        files = GitFiles(top, commit, _source_in(top, proof.source))
        text = git_bytes(top, "show", f"{commit}:{path}")
        if _digest(text, path, files, top, proof) == approval.digest:
            return None
        return f"does not match the page as it was in the signed commit {commit[:10]}"
    return (
        f"was written by commit {writers[-1][0][:10]}, which is not signed with {member.name}'s "
        "registered key (an unsigned commit, or someone else's, proves nothing)"
    )


def _holds(top: Path, commit: str, path: str, raw: Any) -> bool:
    """Whether the page at the commit holds the approval record exactly as `raw`."""
    try:
        text = git(top, "show", f"{commit}:{path}")
    except HistoryError:  # no such commit (a root's parent) or no page there
        return False
    page, _ = parse_page(text, path, needs_front_matter=True)
    records = page.data.get("approvals") if page and isinstance(page.data, dict) else None
    return isinstance(records, list) and raw in records


def _digest(text: bytes | None, name: str, files: Any, top: Path, proof: Proof) -> str | None:
    """The content digest of a page's text with the files it showed, read from `files`."""
    if text is None:
        return None
    try:
        page, _ = parse_page(text.decode("utf-8-sig"), name, needs_front_matter=True)
    except UnicodeDecodeError:
        return None
    if page is None or not isinstance(page.data, dict):
        return None
    below = posixpath.relpath(name, _source_in(top, proof.source))
    page.files = fingerprints(page.body, below, files)
    return content_digest(page.data, page.body, page.files)


def _source_in(top: Path, source: Path) -> str:
    try:
        return source.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return "."


class _ForgeFiles:
    """The library's source folder as the forge holds it at a commit."""

    def __init__(self, forge: Forge, commit: str, source: str) -> None:
        self.forge, self.commit, self.source = forge, commit, source

    def _path(self, name: str) -> str:
        return posixpath.normpath(posixpath.join(self.source, name))

    def read(self, name: str) -> bytes | None:
        return self.forge.file_at(self.commit, self._path(name))

    def is_file(self, name: str) -> bool:
        return self.read(name) is not None

    def names_in(self, folder: str) -> list[str]:
        prefix = self._path(folder)
        names = self.forge.names_in(self.commit, prefix)
        return [posixpath.join(folder, posixpath.relpath(n, prefix)) for n in names]


def verify_registry(root: Path, registry_name: str, forge: Forge | None) -> list[Diagnostic]:
    """A `registry-unverified` diagnostic for each change to the registry not signed by, or
    approved in a review by, a member of the registry as it was before the change."""
    path = root / registry_name
    try:
        top, name = tracked(path)
    except HistoryError:
        return []  # not in git: verify-approvals reports every approval as unproven anyway
    log = git(top, "log", "--reverse", "--format=%H", "--", name).split()
    pinned = {key.strip() for key in os.environ.get(TRUSTED_KEYS, "").split(",") if key.strip()}
    found = []
    previous: Registry | None = None
    for commit in log:
        current = _registry_at(top, commit, name)
        if previous is None:
            problem = _unanchored(top, commit, current, pinned)
        else:
            problem = _unapproved_change(top, commit, name, previous, forge)
        if problem:
            found.append(Diagnostic.of(Code.REGISTRY_UNVERIFIED, str(path), 1, 1, problem))
        previous = current or previous
    return found


def _unanchored(top: Path, commit: str, registry: Registry | None, pinned: set[str]) -> str | None:
    if not pinned:
        return None  # trusted as first committed: the docs say how to pin it
    members = registry.reviewers if registry else []
    signed = signer(top, commit, members)
    key = _fingerprint(signed.signing_key) if signed and signed.signing_key else None
    if key not in pinned:
        return (
            f"the registry's first version (commit {commit[:10]}) is not signed by a key "
            f"pinned in {TRUSTED_KEYS}: the chain of trust has no start"
        )
    return None


def _unapproved_change(
    top: Path, commit: str, name: str, before: Registry, forge: Forge | None
) -> str | None:
    if signer(top, commit, before.reviewers) is not None:
        return None
    content = git_bytes(top, "show", f"{commit}:{name}")
    if forge is not None:
        try:
            for pull in forge.pulls_of(commit):
                for review in forge.reviews(pull):
                    member = before.by_github(review.login)
                    if (
                        review.state == "APPROVED"
                        and member is not None
                        and (forge.file_at(review.commit, name) == content)
                    ):
                        return None
        except ForgeError as error:
            return f"the change to the registry in {commit[:10]} cannot be checked: {error}"
    return (
        f"the change to the registry in commit {commit[:10]} is neither signed by nor approved "
        "in a review by a member of the registry as it was before it"
    )


def _registry_at(top: Path, commit: str, name: str) -> Registry | None:
    try:
        return Registry.model_validate(yaml.safe_load(git(top, "show", f"{commit}:{name}")))
    except (HistoryError, yaml.YAMLError, ValidationError):
        return None  # deleted or damaged at that commit: validate reports the current one


def _fingerprint(key: str) -> str:
    """The key's SHA-256 fingerprint, as ssh-keygen -l and git show it."""
    blob = base64.b64decode(key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def unproven(
    root: Path, settings: Settings, paths: list[Path]
) -> tuple[list[Path], list[Diagnostic]]:
    """The guideline pages (of `paths`, or all of the library), and a diagnostic for every
    approval of them and every change to the registry that is not proven."""
    layout = Layout.of(root, settings)
    registry, problems = load_registry(root, settings)
    cwd = os.path.join(os.getcwd(), "")
    guidelines = [Path(layout.guidelines)] if Path(layout.guidelines).is_dir() else []  # none yet
    pages = [Path(display(p, cwd)) for p in find_pages(paths or guidelines)]
    forge = from_settings(settings.forge)
    proof = Proof(registry, forge, Path(layout.source))
    found = problems + verify_registry(root, settings.registry, forge)
    return pages, found + verify_approvals(pages, proof)
