"""The library's files a page shows or offers (images, figures, downloads), fingerprinted.

A reviewer approves what readers will see, and a figure is part of that: replacing the picture
must lapse the approval just as editing a sentence does. Files are named by their path below the
source folder, so the same fingerprints come from the working tree and from any git commit.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from guidepress.schemas import Code
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.safety import local_files
from guidepress.validators.source import Page

MISSING = "missing"


class SourceFiles(Protocol):
    """Files below a library's source folder, by posix path relative to it."""

    def read(self, name: str) -> bytes | None: ...

    def names_in(self, folder: str) -> list[str]: ...


class DiskFiles:
    def __init__(self, source: Path) -> None:
        self.source = source

    def links_out(self, name: str) -> bool:
        """A symbolic link that leads outside the source folder: such a file is never read."""
        path = self.source / name
        return path.exists() and not path.resolve().is_relative_to(self.source.resolve())

    def read(self, name: str) -> bytes | None:
        if self.links_out(name):
            return None
        try:
            return (self.source / name).read_bytes()
        except OSError:  # missing, a folder, unreadable: a reviewer cannot have seen it
            return None

    def names_in(self, folder: str) -> list[str]:
        base = self.source / folder
        return (
            [posixpath.join(folder, p.name) for p in base.iterdir() if p.is_file()]
            if base.is_dir()
            else []
        )


def fingerprints(body: str, page_name: str, files: SourceFiles) -> dict[str, str]:
    """{file below the source folder: "sha256:…" or "missing"} for each file the page uses.
    page_name: the page's own path below the source folder, whose folder relative paths start
    from."""
    found: dict[str, str] = {}
    for _, _, name in _uses(body, page_name):
        # `flow.*` lets Sphinx pick a format per output, so every candidate is part of the page.
        names = (
            fnmatch.filter(files.names_in(posixpath.dirname(name)), name) if "*" in name else [name]
        )
        for each in names or [name]:
            data = files.read(each) if "*" not in each else None
            found[each] = (
                "sha256:" + hashlib.sha256(data).hexdigest() if data is not None else MISSING
            )
    return found


def _uses(body: str, page_name: str) -> Iterator[tuple[int, str, str]]:
    """(body line, what it is, file below the source folder) for each library file the page uses."""
    for line, what, written in local_files(body):
        # As Sphinx reads them: "/x" from the source folder, "x" from the page's folder.
        start = "" if written.startswith("/") else posixpath.dirname(page_name)
        name = posixpath.normpath(posixpath.join(start, written.lstrip("/")))
        if name != ".." and not name.startswith("../"):  # outside: refused as unsafe-content
            yield line, f"{what} {written!r}", name


def attach_files(page: Page, path: Path, source: Path) -> list[Diagnostic]:
    """Fill page.files from disk and report each file the page names that is not there. A page
    named from outside the source folder reads from its own folder."""
    if not local_files(page.body):  # most pages: no files, and no need to resolve paths
        page.files = {}
        return []
    try:
        name = path.resolve().relative_to(source.resolve()).as_posix()
    except ValueError:
        source, name = path.parent, path.name
    disk = DiskFiles(source)
    page.files = fingerprints(page.body, name, disk)
    found = []
    for line, what, file in _uses(page.body, name):
        if page.files.get(file) != MISSING:
            found += [
                page.at(
                    page.body_line + line,
                    1,
                    Code.UNSAFE_CONTENT,
                    f"{what} names {shown}, {why}; the page is refused",
                )
                for shown, why in _active(file, page.files, disk)
            ]
            continue
        if disk.links_out(file):
            found.append(
                page.at(
                    page.body_line + line,
                    1,
                    Code.UNSAFE_CONTENT,
                    f"{what} names {file}, a symbolic link to a file outside the library; copy the "
                    "file itself into the library; the page is refused",
                )
            )
        else:
            found.append(
                page.at(
                    page.body_line + line,
                    1,
                    Code.MISSING_FILE,
                    f"{what} names {file}, which does not exist in the library; add the file or "
                    "correct the path",
                )
            )
    return found


# Files the website serves that a browser runs as a page or a program, not shows as a picture or
# saves: opened from the site, their script would run with the site's own rights.
ACTIVE_TYPES = (".html", ".htm", ".xhtml", ".xht", ".xml", ".js", ".mjs")
SVG_SCRIPT = re.compile(
    rb"<script|<foreignobject|<iframe|<embed|<object|\son[a-z]+\s*=|javascript:", re.IGNORECASE
)


def _active(pattern: str, files: dict[str, str], disk: DiskFiles) -> Iterator[tuple[str, str]]:
    """(file, why it is refused) for each file used by the page that would run script."""
    for name in fnmatch.filter(files, pattern) if "*" in pattern else [pattern]:
        suffix = posixpath.splitext(name)[1].lower()
        if suffix in ACTIVE_TYPES:
            yield (
                name,
                (
                    f"a {suffix} file, which browsers run as a web page or program rather than "
                    "save; offer "
                    "the content as a PDF or text file, or as a page of the library"
                ),
            )
        elif suffix == ".svg" and SVG_SCRIPT.search(disk.read(name) or b""):
            yield (
                name,
                (
                    "an SVG holding script, an event handler or embedded HTML, which would run "
                    "when it is "
                    "opened from the website; export it again as a plain SVG, or use a PNG"
                ),
            )
