"""Proof that each approval was given by its reviewer, and that the files deciding who the
reviewers are and what a build does were changed only with the reviewers' consent.

An approval is proven one of two ways, never by a name or a git identity anyone can type:
- a **signature** (`signature:` in the record): the reviewer's registered SSH key signed a
  statement of this very approval: page, version, content digest, reviewer and date;
- a **pull request review** on the forge (`review:`): the review exists, is APPROVED, was given
  by the reviewer's registered account, of the recorded commit, on the recorded date; it is
  still their last word on the pull request; the pull request changed the page; and the page at
  that commit has the recorded digest.

**Trusted files** (the registry, conf.py, pyproject.toml, requirements.txt) decide who may
approve and what a build runs. Each change to them that reached the branch (every commit of its
first-parent line, compared with the one before, so a merge answers for all it brings in) must be
signed by, or approved in a pull request review by, a member of the registry as it was before.
The chain starts at the commit that brings the registry in, which must be signed by a key
pinned in GUIDEPRESS_TRUSTED_KEYS: set where editors cannot change it (a CI variable). Without
a pin, nothing is trusted.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guidepress.forge import Forge, ForgeError, Review, from_environment
from guidepress.history import HistoryError, git, git_bytes, tracked
from guidepress.schemas import Approval, Code, Registry, RegistryMember, Settings
from guidepress.schemas.characters import printable
from guidepress.signatures import fingerprint, signed_by, signer, statement
from guidepress.validators.approvals import content_digest
from guidepress.validators.config import load_registry
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.file_types import CHECKS
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


def verify_approvals(paths: list[Path], proof: Proof) -> tuple[int, list[Diagnostic]]:
    """How many approvals the pages hold, and an `approval-unverified` diagnostic for each that
    is not proven."""
    found, count = [], 0
    for path in paths:
        page, _ = read_page(path, str(path), needs_front_matter=True)
        approvals = page.data.get("approvals") if page and isinstance(page.data, dict) else None
        if page is None or not isinstance(approvals, list):
            continue
        count += len(approvals)
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
    return count, found


def _unproven(path: Path, page: Page, approval: Approval, raw: Any, proof: Proof) -> str | None:
    member = proof.registry.find(approval.reviewer) if proof.registry else None
    if member is None:
        return "names someone not in the reviewer registry"
    if approval.review is not None:
        try:
            top, name = tracked(path)
            return _unproven_review(top, name, approval, member, proof)
        except (HistoryError, ForgeError) as error:
            return f"cannot be checked: {error}"
    if approval.signature is not None:
        return _unproven_signature(page, approval, member)
    return (
        "is neither signed nor given in a pull request review, so anyone could have written "
        f"it: {member.name} approves with `guidepress approve` and their registered key, or in "
        "a pull request review"
    )


def _unproven_review(
    top: Path, name: str, approval: Approval, member: RegistryMember, proof: Proof
) -> str | None:
    assert approval.review is not None
    forge = proof.forge
    if forge is None:
        return (
            "was given in a pull request review, which cannot be checked here: verify in CI, "
            "where GITHUB_REPOSITORY and a token are set"
        )
    recorded = approval.review
    review = forge.review(recorded.pull, recorded.id)
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
    last = _last_word(forge.reviews(recorded.pull), review.login)
    if last is not None and last.state != "APPROVED":
        return (
            f"names {where}, but {review.login}'s last review of pull request {recorded.pull} "
            f"is {last.state.lower().replace('_', ' ')}"
        )
    source = _source_in(top, proof.source)
    reviewed = _page_at(forge, recorded.commit, name, source, top, proof)
    if reviewed is None or reviewed[0] != approval.digest:
        return f"does not match the page as it was in the reviewed commit {recorded.commit[:10]}"
    if reviewed[1] != approval.status and "retired" in (reviewed[1], approval.status):
        return (
            f"is an approval of the page as {approval.status}, but in the reviewed commit "
            f"{recorded.commit[:10]} it is {reviewed[1]}"
        )
    # The review approved a change to this page: the page (with its files) differs from where
    # the pull request's branch started. A review of something else says nothing about it.
    start = forge.merge_base(forge.base(recorded.pull), recorded.commit)
    before = _page_at(forge, start, name, source, top, proof)
    if before is not None and before[0] == reviewed[0]:
        return (
            f"names {where}, but the reviewed commit does not change this page from where pull "
            f"request {recorded.pull} started ({start[:10]})"
        )
    return None


def _page_at(
    forge: Forge, commit: str, name: str, source: str, top: Path, proof: Proof
) -> tuple[str, str] | None:
    """The page's content digest and status as the forge holds them at a commit, or None."""
    text = forge.file_at(commit, name)
    digest = _digest(text, name, _ForgeFiles(forge, commit, source), top, proof)
    if digest is None or text is None:
        return None
    page, _ = parse_page(text.decode("utf-8-sig"), name, needs_front_matter=True)
    status = page.data.get("status") if page and isinstance(page.data, dict) else None
    return digest, str(status)


def _last_word(reviews: list[Review], login: str) -> Review | None:
    """A reviewer's latest review that says something about the change (a comment does not)."""
    theirs = [
        r for r in reviews if r.login.casefold() == login.casefold() and r.state != "COMMENTED"
    ]
    never = datetime.min.replace(tzinfo=UTC)
    return max(theirs, key=lambda r: (r.submitted or never, r.id), default=None)


def _unproven_signature(page: Page, approval: Approval, member: RegistryMember) -> str | None:
    assert approval.signature is not None
    if member.signing_key is None:
        return f"is signed, but {member.name} has no signing key in the registry to check it with"
    page_id = str(page.data.get("id", "")) if isinstance(page.data, dict) else ""
    if not signed_by(statement(page_id, approval), approval.signature, member):
        return (
            f"carries a signature that is not {member.name}'s registered key's signature of this "
            "approval (its page, version, digest and date): it was made for something else, or "
            "by someone else"
        )
    return None


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


# What editors change freely: pages, and files of the kinds pages show or offer, in the
# library's source folder outside its `_` and `.` folders. Approvals cover these (a page's digest
# covers the files it shows). Everything else decides who approves or what a build does: the
# registry, conf.py, settings, workflows, templates, static files, translations, what CI installs.
EDITORS_OWN = frozenset({".md", *CHECKS})


def verify_trusted_files(root: Path, settings: Settings, forge: Forge | None) -> list[Diagnostic]:
    """A `registry-unverified` diagnostic for each change to a trusted file (anything but the
    editors' own) that no member of the registry as it was before the change signed or approved,
    and for a chain with no start."""
    registry_path = root / settings.registry
    try:
        top, registry = tracked(registry_path)
    except HistoryError as error:
        return [Diagnostic.of(Code.REGISTRY_UNVERIFIED, str(registry_path), 1, 1, str(error))]
    pages = _pages_folder(top, root / settings.source_dir)
    pinned = {key.strip() for key in os.environ.get(TRUSTED_KEYS, "").split(",") if key.strip()}
    found = []
    for commit, parents, changed in _first_parent_changes(top):
        parent = parents[0] if parents else None
        changed = sorted({*changed, *_merged_otherwise(top, commit, parents)})
        trusted = [name for name in changed if not _editors_own(name, pages)]
        if not trusted:
            continue
        present, before = _registry_at(top, parent, registry) if parent else (False, None)
        if not present:
            if registry not in trusted:
                continue  # before the registry: the commit that brings it in vouches for it all
            problem = _unanchored(top, commit, _registry_at(top, commit, registry)[1], pinned)
        elif before is None:
            problem = (
                f"the registry cannot be read at {(parent or '')[:10]}, so who could consent to "
                f"the change to {_named(trusted)} in {commit[:10]} is unknown"
            )
        else:
            problem = _unapproved_change(top, commit, parent or "", trusted, before, forge)
        if problem:
            found.append(Diagnostic.of(Code.REGISTRY_UNVERIFIED, str(registry_path), 1, 1, problem))
    return found


def _pages_folder(top: Path, source: Path) -> str | None:
    """The library's source folder, relative to the repository; None when it is not a folder
    below the repository's top (then nothing is the editors' own)."""
    try:
        folder = source.resolve().relative_to(top.resolve()).as_posix()
    except ValueError:
        return None
    return None if folder in ("", ".") else folder


def _editors_own(name: str, pages: str | None) -> bool:
    if pages is None or not name.startswith(f"{pages}/") or not name.isprintable():
        return False  # a name git could not decode is never the editors' own
    hidden = any(part.startswith(("_", ".")) for part in name[len(pages) + 1 :].split("/"))
    return not hidden and posixpath.splitext(name)[1].lower() in EDITORS_OWN


def _named(names: list[str]) -> str:
    return ", ".join(printable(name) for name in names)


def _first_parent_changes(top: Path) -> list[tuple[str, list[str], list[str]]]:
    """(commit, its parents, the files it changed) along the branch, oldest first. A merge is
    compared with its first parent: it brings in whatever its branch changed. Names git cannot
    decode as UTF-8 keep their bytes as escapes (so they are nobody's own)."""
    log = git_bytes(
        top, "-c", "core.quotePath=false", "log", "--first-parent", "--diff-merges=first-parent",
        "--reverse", "--no-renames", "--format=%x00%H %P", "--name-only",
    ).decode("utf-8", errors="surrogateescape")  # fmt: skip
    changes = []
    for entry in log.split("\0")[1:]:
        header, *files = [line for line in entry.split("\n") if line]
        commit, *parents = header.split()
        changes.append((commit, parents, sorted(set(files))))
    return changes


def _merged_otherwise(top: Path, commit: str, parents: list[str]) -> list[str]:
    """For a merge: the files whose result is not what git's three-way merge of its parents
    gives (a side's change dropped, or a conflict settled by hand). Compared with its first
    parent alone, a merge that put an older line first would hide that the other line's changes
    were undone."""
    if len(parents) < 2:
        return []
    if len(parents) > 2:  # an octopus merge: every file any line changed counts as changed
        base = git(top, "merge-base", "--octopus", *parents).strip()
        return sorted({n for p in parents for n in _diff_names(top, base, p)})
    first, second = parents
    base = git(top, "merge-base", first, second).strip()
    touched = sorted({*_diff_names(top, base, first), *_diff_names(top, base, second)})
    odd = []
    for name in touched:
        ours, theirs, was = (_blob(top, c, name) for c in (first, second, base))
        expected = ours if ours == theirs or theirs == was else theirs if ours == was else None
        if expected is None or _blob(top, commit, name) != expected:
            odd.append(name)
    return odd


def _diff_names(top: Path, old: str, new: str) -> list[str]:
    text = git_bytes(top, "-c", "core.quotePath=false", "diff", "--no-renames", "--name-only",
                     old, new).decode("utf-8", errors="surrogateescape")  # fmt: skip
    return [line for line in text.split("\n") if line]


def _unanchored(top: Path, commit: str, registry: Registry | None, pinned: set[str]) -> str | None:
    where = f"the commit that brings the registry in ({commit[:10]})"
    if not pinned:
        return (
            f"no key is pinned in {TRUSTED_KEYS}, so nothing says who may start the registry: "
            f"set it (in CI, where editors cannot change it) to the fingerprint of the key that "
            f"signed {where}"
        )
    members = registry.reviewers if registry else []
    signed = signer(top, commit, members)
    key = fingerprint(signed.signing_key) if signed and signed.signing_key else None
    if key not in pinned:
        return f"{where} is not signed by a key pinned in {TRUSTED_KEYS}: the chain has no start"
    return None


def _unapproved_change(
    top: Path, commit: str, parent: str, changed: list[str], before: Registry, forge: Forge | None
) -> str | None:
    if signer(top, commit, before.reviewers) is not None:
        return None
    what = _named(changed)
    if forge is not None:
        try:
            if _approved_in_review(top, commit, parent, changed, before, forge):
                return None
        except ForgeError as error:
            return f"the change to {what} in {commit[:10]} cannot be checked: {error}"
    return (
        f"the change to {what} in commit {commit[:10]} is neither signed by nor approved in a "
        "pull request review by a member of the registry as it was before it"
    )


def _approved_in_review(
    top: Path, commit: str, parent: str, changed: list[str], before: Registry, forge: Forge
) -> bool:
    """Whether a member's last word on a pull request that brought the commit in approved a
    commit holding exactly these files, which the pull request changed."""
    for pull in forge.pulls_of(commit):
        reviews, base = forge.reviews(pull), forge.base(pull)
        for member in before.reviewers:
            last = _last_word(reviews, member.github) if member.github else None
            if last is None or last.state != "APPROVED":
                continue
            start = forge.merge_base(base, last.commit)
            # The reviewed change is the one applied: from the same content, to the same.
            if all(
                forge.file_at(last.commit, name) == _blob(top, commit, name)
                and forge.file_at(start, name) != _blob(top, commit, name)
                and forge.file_at(start, name) == _blob(top, parent, name)
                for name in changed
            ):
                return True
    return False


def _blob(top: Path, commit: str, name: str) -> bytes | None:
    try:
        return git_bytes(top, "show", f"{commit}:{name}")
    except HistoryError:
        return None  # removed by the commit


def _registry_at(top: Path, commit: str, name: str) -> tuple[bool, Registry | None]:
    """Whether the commit has the registry, and the registry, if it can be read."""
    try:
        text = git(top, "show", f"{commit}:{name}")
    except HistoryError:
        return False, None
    try:
        return True, Registry.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError):
        return True, None


def unproven(
    root: Path,
    settings: Settings,
    paths: list[Path],
    always: bool = True,
    skip: AbstractSet[str] = frozenset(),
) -> tuple[list[Path], list[Diagnostic]]:
    """The guideline pages (of `paths`, or all of the library), and a diagnostic for every
    approval of them and every change to a trusted file that is not proven (the changes only
    when there are approvals, unless `always`: verify-approvals and release always check).
    skip: pages, as shown, that a check just found to hold no approval."""
    layout = Layout.of(root, settings)
    registry, problems = load_registry(root, settings)
    cwd = os.path.join(os.getcwd(), "")
    guidelines = [Path(layout.guidelines)] if Path(layout.guidelines).is_dir() else []  # none yet
    pages = [Path(display(p, cwd)) for p in find_pages(paths or guidelines)]
    forge = from_environment()
    approved = [page for page in pages if str(page) not in skip]
    count, found = verify_approvals(approved, Proof(registry, forge, Path(layout.source)))
    if count or always:  # a preview build of drafts need not ask who may approve
        found = verify_trusted_files(root, settings, forge) + found
    return pages, problems + found
