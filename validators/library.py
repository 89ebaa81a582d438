"""Check a whole library: find the pages, read each once, run page rules, then library rules.

Large libraries are checked in parallel worker processes (one per core); each page is still
read and parsed exactly once.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from schemas import Registry, Settings
from validators.diagnostics import Diagnostic
from validators.page_files import attach_files
from validators.rules import check_guideline, misplaced_guideline, safety
from validators.source import read_page

PARALLEL_FROM = 1000  # below this many pages, starting workers costs more than it saves


@dataclass
class Report:
    pages: int = 0
    ids: dict[str, str] = field(
        default_factory=dict
    )  # display path -> id, for valid guideline pages
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """Where the library's pages are, as absolute folder paths ending in a separator."""

    source: str
    guidelines: str

    @classmethod
    def of(cls, root: Path, settings: Settings) -> Layout:
        source = os.path.join(os.path.abspath(root / settings.source_dir), "")
        return cls(
            source, os.path.join(os.path.abspath(os.path.join(source, settings.guidelines_dir)), "")
        )

    def is_guideline(self, path: str) -> bool:
        # A file named outside the library is checked as a guideline: that is why it was named.
        return path.startswith(self.guidelines) or not path.startswith(self.source)

    def depth(self, path: str) -> int:
        return path[len(self.source) :].count(os.sep) if path.startswith(self.source) else 0

    def links_out(self, path: str) -> str | None:
        """Where a page of the library really is when a symbolic link (the page's own, or a
        folder's above it) takes it outside the source folder; None for every usual page."""
        if not path.startswith(self.source):
            return None  # named from outside the library: read where it is
        folder, name = os.path.split(path)
        real = (
            os.path.realpath(path)
            if os.path.islink(path)
            else os.path.join(_real_folder(folder), name)
        )
        return None if real.startswith(os.path.join(_real_folder(self.source), "")) else real


def linked_out(shown: str, real: str) -> Diagnostic:
    return Diagnostic.of(
        "unsafe-content",
        shown,
        1,
        1,
        f"this page is a symbolic link (or in a linked folder) to {real}, "
        "outside the library's source folder; keep the page itself in the library; the page is refused",
    )


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(
        folder
    )  # once per folder: resolving every page would cost ~10% of a run


def _loops(folder: str, name: str) -> bool:
    """A folder link back up the tree, which would be walked forever."""
    path = os.path.join(folder, name)
    if not os.path.islink(path):
        return False
    real, here = os.path.realpath(path), os.path.realpath(folder)
    return here == real or here.startswith(os.path.join(real, ""))


def find_pages(paths: list[Path]) -> list[str]:
    """Markdown files named, or found below named folders (skipping _build, .git, _static…)."""
    found: list[str] = []
    for path in paths:
        top = os.path.abspath(path)
        if not os.path.isdir(top):
            found.append(top)
            continue
        for folder, subfolders, files in os.walk(
            top, followlinks=True
        ):  # as Sphinx walks the source
            subfolders[:] = sorted(
                d for d in subfolders if not d.startswith(("_", ".")) and not _loops(folder, d)
            )
            found.extend(
                os.path.join(folder, name) for name in sorted(files) if name.endswith(".md")
            )
    return found


def display(path: str, cwd: str) -> str:
    return path.removeprefix(cwd)


def _check_pages(
    files: list[str], layout: Layout, settings: Settings, today: date, registry: Registry | None
) -> list[tuple[str, str | None, list[Diagnostic]]]:
    """(display path, page id if the guideline is valid, diagnostics) for each file."""
    cwd = os.path.join(os.getcwd(), "")
    results: list[tuple[str, str | None, list[Diagnostic]]] = []
    for path in files:
        outside = layout.links_out(path)
        if outside:  # never read: its content would be published from outside the library
            results.append((display(path, cwd), None, [linked_out(display(path, cwd), outside)]))
            continue
        is_guideline = layout.is_guideline(path)
        page, diagnostics = read_page(
            Path(path), display(path, cwd), needs_front_matter=is_guideline
        )
        page_id = None
        if page is not None:
            diagnostics = safety(page, layout.depth(path)) + attach_files(
                page, Path(path), Path(layout.source)
            )
            if is_guideline:
                model, found = check_guideline(page, settings, today, registry)
                diagnostics += found
                page_id = model.id if model else None
            else:
                diagnostics += misplaced_guideline(page, settings.guidelines_folder)
        results.append((display(path, cwd), page_id, diagnostics))
    return results


def _in_parallel(
    files: list[str], layout: Layout, settings: Settings, today: date, registry: Registry | None
) -> list[tuple[str, str | None, list[Diagnostic]]]:
    workers = os.cpu_count() or 1
    if (
        len(files) < PARALLEL_FROM
        or workers < 2
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return _check_pages(files, layout, settings, today, registry)
    size = -(-len(files) // (workers * 4))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(
            _check_pages,
            chunks,
            *zip(*[(layout, settings, today, registry)] * len(chunks), strict=True),
        )
        return [result for part in parts for result in part]


def check_library(
    paths: list[Path],
    layout: Layout,
    settings: Settings,
    today: date,
    registry: Registry | None = None,
) -> Report:
    report = Report()
    first_with_id: dict[str, str] = {}
    for shown, page_id, diagnostics in _in_parallel(
        find_pages(paths), layout, settings, today, registry
    ):
        report.pages += 1
        report.diagnostics += diagnostics
        if page_id is None:
            continue
        report.ids[shown] = page_id
        if page_id in first_with_id:
            report.diagnostics.append(_duplicate(shown, page_id, first_with_id[page_id]))
        else:
            first_with_id[page_id] = shown
    report.diagnostics.sort()
    return report


def _duplicate(shown: str, page_id: str, first: str) -> Diagnostic:
    # Rare, so the page is read again here rather than keeping every page's positions.
    page, _ = read_page(Path(shown), shown, needs_front_matter=True)
    line, col = page.locate(("id",)) if page else (1, 1)
    return Diagnostic.of(
        "duplicate-page-id",
        shown,
        line,
        col,
        f"id {page_id!r} is already used by {first}; give this page its own id",
    )
