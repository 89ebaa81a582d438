"""Check a whole library: find the pages, put each through the page pipeline once, then run the
library rules.

Large libraries are checked in parallel worker processes (one per core); each page is still
read and parsed exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol

from guidepress.schemas import Code, Guideline
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.pipeline import Checks, Layout, check_page
from guidepress.validators.source import read_page

PARALLEL_FROM = 1000  # below this many pages, starting workers costs more than it saves


@dataclass
class Report:
    pages: int = 0
    ids: dict[str, str] = field(default_factory=dict)  # shown path -> id, of valid guidelines
    # shown path -> (front matter, recommendations), of valid guidelines
    guidelines: dict[str, tuple[Guideline, list[Recommendation]]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


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
        # Following links as Sphinx walks the source: links out are refused page by page.
        for folder, subfolders, files in os.walk(top, followlinks=True):
            subfolders[:] = sorted(
                d for d in subfolders if not d.startswith(("_", ".")) and not _loops(folder, d)
            )
            found.extend(
                os.path.join(folder, name) for name in sorted(files) if name.endswith(".md")
            )
    return found


def display(path: str, cwd: str) -> str:
    return path.removeprefix(cwd)


class Result(NamedTuple):
    """What the library check keeps of a checked page."""

    shown: str
    model: Guideline | None  # the front matter, when the page is a valid guideline
    recommendations: list[Recommendation]
    diagnostics: list[Diagnostic]
    digest: str | None  # CheckedPage.text_digest: what a cache of results may key it by


class ResultCache(Protocol):
    """Results of pages checked before (guidepress.check_cache)."""

    def lookup(self, path: str, layout: Layout) -> Result | None: ...

    def save(self, results: dict[str, Result]) -> None: ...


def _check_pages(files: list[str], checks: Checks) -> list[Result]:
    cwd = os.path.join(os.getcwd(), "")
    results = []
    for path in files:
        checked = check_page(path, display(path, cwd), checks)
        results.append(
            Result(
                checked.path,
                checked.model,
                checked.recommendations,
                checked.diagnostics,
                checked.text_digest,
            )
        )
    return results


def _in_parallel(files: list[str], checks: Checks) -> list[Result]:
    workers = os.cpu_count() or 1
    forks = "fork" in multiprocessing.get_all_start_methods()
    if len(files) < PARALLEL_FROM or workers < 2 or not forks:
        return _check_pages(files, checks)
    size = -(-len(files) // (workers * 4))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = pool.map(_check_pages, chunks, [checks] * len(chunks))
        return [result for part in parts for result in part]


def _results(files: list[str], checks: Checks, cache: ResultCache | None) -> list[Result]:
    """Each page's result, in order: from the cache when the page is as it was, else checked."""
    if cache is None:
        return _in_parallel(files, checks)
    known = {path: cache.lookup(path, checks.layout) for path in files}
    unknown = [path for path, result in known.items() if result is None]
    fresh = dict(zip(unknown, _in_parallel(unknown, checks), strict=True))
    results = {path: known[path] or fresh[path] for path in files}
    cache.save(results)
    return list(results.values())


def check_library(paths: list[Path], checks: Checks, cache: ResultCache | None = None) -> Report:
    """cache: results of an earlier check, for pages unchanged since (the editor's own builds
    only: validate and release check every page afresh)."""
    report = Report()
    first_with_id: dict[str, str] = {}
    first_with_recommendation: dict[str, str] = {}
    for shown, model, recommendations, diagnostics, _ in _results(find_pages(paths), checks, cache):
        report.pages += 1
        report.diagnostics += diagnostics
        if model is None:
            continue
        report.ids[shown] = model.id
        report.guidelines[shown] = (model, recommendations)
        if model.id in first_with_id:
            report.diagnostics.append(_duplicate(shown, model.id, first_with_id[model.id]))
        else:
            first_with_id[model.id] = shown
        for recommendation in recommendations:
            first = first_with_recommendation.setdefault(recommendation.id, shown)
            if first != shown:
                report.diagnostics.append(
                    _duplicate_recommendation(shown, recommendation.id, first)
                )
    report.diagnostics.sort()
    return report


def _duplicate_recommendation(shown: str, rec_id: str, first: str) -> Diagnostic:
    option = re.compile(rf"^\s*:?id:\s*{re.escape(rec_id)}\s*$")
    try:
        lines = Path(shown).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    line = next((n for n, text in enumerate(lines, 1) if option.match(text)), 1)
    return Diagnostic.of(
        Code.DUPLICATE_RECOMMENDATION_ID,
        shown,
        line,
        1,
        f"recommendation id {rec_id!r} is already used in {first}; recommendation ids are unique "
        "in the library: give this one its own",
    )


def _duplicate(shown: str, page_id: str, first: str) -> Diagnostic:
    # Rare, so the page is read again here rather than keeping every page's positions.
    page, _ = read_page(Path(shown), shown, needs_front_matter=True)
    line, col = page.locate(("id",)) if page else (1, 1)
    return Diagnostic.of(
        Code.DUPLICATE_PAGE_ID,
        shown,
        line,
        col,
        f"id {page_id!r} is already used by {first}; give this page its own id",
    )
