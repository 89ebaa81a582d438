"""The library's files a page shows or offers (images, figures, downloads, links to files):
resolved, confined to the library, checked by content, and fingerprinted.

Every path a page names is resolved here and nowhere else, as Sphinx resolves it
(`BuildEnvironment.relfn2path`): "/x" from the source folder, "x" from the page's own folder.
A path that would leave the source folder (`..`, or `//x`, which Sphinx takes for an absolute
path), a symbolic link, and a file whose bytes are not a kind pages may show or offer
(`file_types`) are refused. The Sphinx adapter checks the files Sphinx itself collected again
with `refusal`, so the build refuses what `validate` refuses.

A reviewer approves what readers will see, and a figure is part of that: replacing the picture
must lapse the approval just as editing a sentence does. Files are named by their path below the
source folder, so the same fingerprints come from the working tree and from any git commit.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from guidepress.schemas import Code
from guidepress.validators import file_types
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.safety import local_files
from guidepress.validators.source import Page

MISSING = "missing"
PAGE_SUFFIXES = (".md",)  # a link to one of these is a link to a page, not a download


class SourceFiles(Protocol):
    """Files below a library's source folder, by posix path relative to it."""

    def read(self, name: str) -> bytes | None: ...

    def is_file(self, name: str) -> bool: ...

    def names_in(self, folder: str) -> list[str]: ...


class DiskFiles:
    def __init__(self, source: Path) -> None:
        self.source = source

    def symlink(self, name: str) -> str | None:
        """The first symbolic link on the way from the source folder to the file, if any."""
        path = self.source
        for part in name.split("/"):
            path = path / part
            if path.is_symlink():
                return path.relative_to(self.source).as_posix()
        return None

    def read(self, name: str) -> bytes | None:
        """The file's bytes; None when it is missing, not a file, or reached through a link."""
        if self.symlink(name):
            return None
        try:
            return (self.source / name).read_bytes()
        except OSError:  # missing, a folder, unreadable: a reviewer cannot have seen it
            return None

    def is_file(self, name: str) -> bool:
        return (self.source / name).is_file()  # links followed, as MyST looks for a file

    def names_in(self, folder: str) -> list[str]:
        base = self.source / folder
        if not base.is_dir():
            return []
        return [posixpath.join(folder, p.name) for p in base.iterdir() if p.is_file()]


@dataclass(frozen=True)
class NamedFile:
    """A file a page names: where in the body, how, and which file below the source folder."""

    line: int  # body line, 0-based
    what: str  # e.g. "the image path 'flow.png'"
    kind: str  # image, download, or link (a download only when it names a file that is no page)
    name: str | None  # below the source folder; None when the path is refused
    refused: str | None = None  # why the path itself is refused


def resolve(written: str, page_name: str) -> tuple[str | None, str | None]:
    """(the file below the source folder, None), or (None, why the path is refused), reading
    `written` as Sphinx does from the page at `page_name`."""
    if written.startswith("//") or "\\" in written:
        return None, "is one Sphinx would read as a path outside the library (// or \\)"
    start = "" if written.startswith("/") else posixpath.dirname(page_name)
    name = posixpath.normpath(posixpath.join(start, written.lstrip("/")))
    if name == ".." or name.startswith("../"):
        return None, "points outside the library folder"
    return name, None


def named_files(body: str, page_name: str) -> list[NamedFile]:
    found = []
    for line, what, written, kind in local_files(body):
        name, refused = resolve(written, page_name)
        found.append(NamedFile(line, f"{what} {written!r}", kind, name, refused))
    return found


def _is_offered(named: NamedFile, files: SourceFiles) -> bool:
    """Whether Sphinx will copy the file into the site: always for an image or a download; for a
    link, when it names a file of the library that is not a page (MyST makes it a download)."""
    if named.kind != "link":
        return True
    assert named.name is not None
    return not named.name.endswith(PAGE_SUFFIXES) and files.is_file(named.name)


def _candidates(name: str, files: SourceFiles) -> list[str]:
    # `flow.*` lets Sphinx pick a format per output, so every candidate is part of the page.
    if "*" not in name:
        return [name]
    return fnmatch.filter(files.names_in(posixpath.dirname(name)), name)


def fingerprints(body: str, page_name: str, files: SourceFiles) -> dict[str, str]:
    """{file below the source folder: "sha256:…" or "missing"} for each file the page shows or
    offers. page_name: the page's own path below the source folder."""
    found: dict[str, str] = {}
    for named in named_files(body, page_name):
        if named.name is None or not _is_offered(named, files):
            continue
        for each in _candidates(named.name, files) or [named.name]:
            data = files.read(each) if "*" not in each else None
            found[each] = MISSING if data is None else "sha256:" + hashlib.sha256(data).hexdigest()
    return found


def published_refusal(source: Path, path: Path) -> str | None:
    """Why a file Sphinx resolved for a page (links followed, as Sphinx copies it) may not be
    published: it is outside the library, or not a kind pages may show or offer. None when it
    may, or when it cannot be read (Sphinx reports a missing file itself)."""
    real = path.resolve()
    if not real.is_relative_to(source.resolve()):
        return f"{real} is outside the library folder"
    try:
        data = real.read_bytes()
    except OSError:
        return None
    return file_types.refusal(real.name, data)  # Sphinx publishes it under the name it resolved


def attach_files(page: Page, path: Path, source: Path) -> list[Diagnostic]:
    """Fill page.files from disk and report each file the page names that is refused or missing.
    A page named from outside the source folder reads from its own folder."""
    if not local_files(page.body):  # most pages: no files, and no need to resolve paths
        page.files = {}
        return []
    try:
        page_name = path.resolve().relative_to(source.resolve()).as_posix()
    except ValueError:
        source, page_name = path.parent, path.name
    disk = DiskFiles(source)
    page.files = fingerprints(page.body, page_name, disk)
    found = []
    for named in named_files(page.body, page_name):
        line = page.body_line + named.line
        problems: list[tuple[Code, str] | None] = []
        if named.refused:
            problems.append((Code.UNSAFE_CONTENT, named.refused))
        elif _is_offered(named, disk):
            assert named.name is not None
            problems += [_file_problem(disk, each) for each in _candidates(named.name, disk)]
            if not _candidates(named.name, disk):
                problems.append((Code.MISSING_FILE, f"names {named.name}, which {NOT_THERE}"))
        for code, why in filter(None, problems):
            if code == Code.UNSAFE_CONTENT:
                why += "; the page is refused"
            found.append(page.at(line, 1, code, f"{named.what} {why}"))
    return found


NOT_THERE = "does not exist in the library; add the file or correct the path"


def _file_problem(disk: DiskFiles, name: str) -> tuple[Code, str] | None:
    link = disk.symlink(name)
    if link:
        return Code.UNSAFE_CONTENT, (
            f"names {name}, reached through the symbolic link {link}; copy the file itself "
            "into the library"
        )
    data = disk.read(name)
    if data is None:
        return Code.MISSING_FILE, f"names {name}, which {NOT_THERE}"
    why = file_types.refusal(name, data)
    return (Code.UNSAFE_CONTENT, f"names {name}: {why}") if why else None
