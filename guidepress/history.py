"""What git knows about a page: earlier versions (for `diff`), what changed since an approval,
who added each approval (for `verify-approvals`), and which commit a release is built from."""

from __future__ import annotations

import dataclasses
import difflib
import os
import posixpath
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import yaml

from guidepress.schemas import Guideline
from guidepress.schemas.characters import printable
from guidepress.validators.approvals import UNSIGNED_FIELDS, content_digest
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.errors import GuidepressError
from guidepress.validators.page_files import attach_files, fingerprints
from guidepress.validators.source import Page, parse_page, read_page


class HistoryError(GuidepressError):
    """git is missing, the page is not in a repository, or no earlier version fits."""


def git_bytes(
    folder: Path, *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=folder,
            capture_output=True,
            check=False,
            input=stdin,
            env={**os.environ, **env} if env else None,
        )
    except FileNotFoundError:
        raise HistoryError("git is not installed") from None
    if result.returncode != 0:
        raise HistoryError(
            result.stderr.decode(errors="replace").strip() or f"git {' '.join(args)} failed"
        )
    return result.stdout


def git(folder: Path, *args: str) -> str:
    return git_bytes(folder, *args).decode()


class GitFiles:
    """The library's source folder as it was at a commit (see validators.page_files)."""

    def __init__(self, top: Path, commit: str, source: str) -> None:
        self.top, self.commit, self.source = top, commit, source

    def _path(self, name: str) -> str:
        joined = posixpath.normpath(posixpath.join(self.source, name))
        return "" if joined == "." else joined  # "commit:" names the top folder

    def read(self, name: str) -> bytes | None:
        try:
            return git_bytes(self.top, "cat-file", "blob", f"{self.commit}:{self._path(name)}")
        except HistoryError:  # not in that commit
            return None

    def is_file(self, name: str) -> bool:
        return self.read(name) is not None

    def names_in(self, folder: str) -> list[str]:
        try:
            listing = git(self.top, "ls-tree", "--name-only", f"{self.commit}:{self._path(folder)}")
        except HistoryError:  # no such folder in that commit
            return []
        return [posixpath.join(folder, entry) for entry in listing.splitlines()]


def in_git(path: Path) -> bool:
    """Whether the file is in a git repository."""
    try:
        git(path.resolve().parent, "rev-parse", "--git-dir")
    except HistoryError:
        return False
    return True


def tracked(path: Path) -> tuple[Path, str]:
    try:
        top = Path(git(path.parent, "rev-parse", "--show-toplevel").strip())
    except HistoryError:
        raise HistoryError(
            f"{path} is not in a git repository: approvals and versions are read from "
            "git history, so keep the library in git"
        ) from None
    if git(top, "rev-parse", "--is-shallow-repository").strip() == "true":
        # A shallow clone's oldest commit seems to add every file: who added an approval, and
        # which versions came before, would be read wrong rather than not at all.
        raise HistoryError(
            f"{top} is a shallow clone, so git has only part of its history and cannot say "
            "who committed each approval or what earlier versions said; fetch the whole "
            "history (git fetch --unshallow; in GitHub Actions, actions/checkout with "
            "fetch-depth: 0)"
        )
    return top, path.resolve().relative_to(top).as_posix()


def _below_source(top: Path, name: str, source: Path) -> tuple[str, str]:
    """(the source folder, the page's path below it), the folder relative to the repository top."""
    try:
        folder = source.resolve().relative_to(top).as_posix()
        below = posixpath.relpath(name, folder)
        if not below.startswith("../"):
            return folder, below
    except ValueError:  # the library's source folder is not in this repository
        pass
    return posixpath.dirname(name), posixpath.basename(
        name
    )  # a page from outside reads its own folder


def page_history(top: Path, name: str) -> list[tuple[str, str]]:
    """(commit, the page's path in it) for each commit that changed the page, newest first,
    following renames: a page moved or renamed after approval keeps its history."""
    log = git(
        top,
        "-c",
        "core.quotePath=false",
        "log",
        "--follow",
        "--format=%x00%H",
        "--name-only",
        "--",
        name,
    )
    history, path = [], name
    for entry in log.split("\0")[1:]:
        commit, *names = [line for line in entry.splitlines() if line]
        path = names[0] if names else path  # a merge lists no name: the page kept its path
        history.append((commit, path))
    return history


def earlier_versions(path: Path, source: Path) -> Iterator[tuple[str, Page]]:
    """(commit, page as it was, with the files it showed then) for each commit that changed the
    page, newest first. An approval is written into the page, so every approved state is one of
    them."""
    top, name = tracked(path)
    for commit, then in page_history(top, name):
        source_name, in_source = _below_source(top, then, source)
        try:
            text = git(top, "show", f"{commit}:{then}")
        except HistoryError:  # not at that path in that commit: nothing to compare
            continue
        page, _ = parse_page(text, f"{then}@{commit[:10]}", needs_front_matter=True)
        if page is not None:
            page.files = fingerprints(page.body, in_source, GitFiles(top, commit, source_name))
            yield commit, page


def _approved(page: Page) -> Guideline | None:
    try:
        model = Guideline.check(page.data)
    except ValueError:
        return None
    digest = content_digest(page.data, page.body, page.files)
    ok = any(a.version == model.version and a.digest == digest for a in model.approvals)
    return model if ok else None


def _comparable(page: Page) -> list[str]:
    fields = {k: v for k, v in page.data.items() if k != "approvals"}
    metadata: str = yaml.safe_dump(
        fields, sort_keys=True, allow_unicode=True, default_flow_style=False
    )
    files = [f"file {name}: {fingerprint}\n" for name, fingerprint in sorted(page.files.items())]
    return (
        metadata.splitlines(keepends=True)
        + files
        + ["---\n"]
        + [line + "\n" for line in page.body.split("\n")]
    )


def diff_since_approved(path: Path, from_version: str | None, source: Path) -> str:
    current, problems = read_page(path, str(path), needs_front_matter=True)
    if current is None:
        raise HistoryError("\n".join(p.format() for p in problems))
    attach_files(current, path, source)
    for commit, page in earlier_versions(path, source):
        model = _approved(page)
        if model is None or (from_version and model.version != from_version):
            continue
        label = f"version {model.version}, approved (commit {commit[:10]})"
        lines = difflib.unified_diff(
            _comparable(page), _comparable(current), f"{path} ({label})", f"{path} (now)"
        )
        # As a terminal should show it: an earlier version may hold what pages now may not.
        shown = "".join(printable(line.rstrip("\n")) + "\n" for line in lines)
        return shown or f"No changes since {label}.\n"
    wanted = f"version {from_version}" if from_version else "any version"
    raise HistoryError(f"git history has no approved {wanted} of {path}")


def explain_stale(diagnostic: Diagnostic, source: Path) -> Diagnostic:
    """An approval-stale diagnostic, with what changed since the approval where git can tell."""
    path = Path(diagnostic.path)
    page, _ = read_page(path, diagnostic.path, needs_front_matter=True)
    approvals = (
        page.data.get("approvals") if page is not None and isinstance(page.data, dict) else None
    )
    for index, approval in enumerate(approvals if isinstance(approvals, list) else []):
        if (
            page
            and isinstance(approval, dict)
            and page.locate(("approvals", index, "digest"))[0] == diagnostic.line
        ):
            attach_files(page, path, source)
            what = changed_since(page, path, str(approval.get("digest")), source)
            if what:
                return dataclasses.replace(
                    diagnostic, message=f"{diagnostic.message}; what changed: {what}"
                )
    return diagnostic


def changed_since(current: Page, path: Path, digest: str, source: Path) -> str | None:
    """What differs between the page now and the state an approval's digest signed, in words:
    the fields, files and body sections; None when git history does not hold that state."""
    try:
        approved = next(
            (
                page
                for _, page in earlier_versions(path, source)
                if content_digest(page.data, page.body, page.files) == digest
            ),
            None,
        )
    except HistoryError:
        return None
    if approved is None:
        return None
    keys = [k for k in {**approved.data, **current.data} if k not in UNSIGNED_FIELDS]
    parts = [f"`{k}`" for k in keys if approved.data.get(k) != current.data.get(k)]
    parts += [
        f"file {name}"
        for name in sorted({*approved.files, *current.files})
        if approved.files.get(name) != current.files.get(name)
    ]
    before, now = _sections(approved.body), _sections(current.body)
    parts += [
        f'the section "{title}"' if title else "the text before the first section"
        for title in {**now, **before}
        if before.get(title) != now.get(title)
    ]
    return ", ".join(parts) or None


def _sections(body: str) -> dict[str, str]:
    """The body's text under each heading (\"\" before the first), ignoring blank-line changes."""
    sections: dict[str, list[str]] = {"": []}
    title, fence = "", ""
    for line in body.split("\n"):
        marker = re.match(r"\s*(`{3,}|~{3,})", line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        heading = None if fence else re.match(r"#{1,6}\s+(.+?)\s*#*\s*$", line)
        if heading:
            title = heading.group(1)
            sections.setdefault(title, [])
        elif line.strip():
            sections[title].append(line.rstrip())
    return {title: "\n".join(lines) for title, lines in sections.items()}


def library_commit(root: Path, inputs: list[Path]) -> str | None:
    """The commit the library's input files are at, so a release can name the sources it was built
    from; None when the library is not kept in git. Raises HistoryError naming the files that
    differ from that commit: a release of them would match no commit."""
    try:
        top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    except HistoryError:  # no git, or not a repository: there is no commit to name
        return None
    names = [os.path.relpath(path.resolve(), top) for path in inputs if path.exists()]
    changed = git(top, "status", "--porcelain", "--untracked-files=all", "--", *names).splitlines()
    if changed:
        listed = "\n".join(f"  {line[3:]}" for line in changed[:20])
        more = f"\n  … and {len(changed) - 20} more" if len(changed) > 20 else ""
        raise HistoryError(
            "these files differ from the last commit, so the release would match no commit; "
            f"commit them (or set them aside) first:\n{listed}{more}"
        )
    try:
        return git(top, "rev-parse", "HEAD").strip()
    except HistoryError:
        raise HistoryError("the repository has no commit yet: commit the library first") from None


def export_library(root: Path, commit: str, folder: Path) -> Path:
    """Write the library folder as git holds it at `commit` into `folder` (which git is told
    nothing about: a throw-away index, no worktree); returns the library's folder in it. Only
    files git tracks are written, symbolic links as links."""
    top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    below = root.resolve().relative_to(top.resolve()).as_posix()
    index = {"GIT_INDEX_FILE": str(folder / "index")}
    git_bytes(top, "read-tree", commit, env=index)
    names = git_bytes(top, "ls-files", "-z", "--", below if below != "." else ":/", env=index)
    tree = folder / "tree"
    tree.mkdir()
    git_bytes(
        top, "checkout-index", "-z", "--stdin", "-f", f"--prefix={tree}/", env=index, stdin=names
    )
    return tree / below
