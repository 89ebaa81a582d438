"""Check a whole library: find the pages, read each once, run page rules, then library rules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from schemas import Guideline, Settings
from validators.diagnostics import Diagnostic
from validators.rules import check_guideline, safety
from validators.source import Page, read_page


@dataclass
class Report:
    pages: int = 0
    guidelines: dict[str, Guideline] = field(default_factory=dict)  # display path -> model
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """Where the library's pages are, resolved against the project root."""

    source: Path
    guidelines: Path

    @classmethod
    def of(cls, root: Path, settings: Settings) -> Layout:
        source = (root / settings.source_dir).resolve()
        return cls(source, (source / settings.guidelines_dir).resolve())

    def is_guideline(self, path: Path) -> bool:
        # A file named outside the library is checked as a guideline: that is why it was named.
        return path.is_relative_to(self.guidelines) or not path.is_relative_to(self.source)

    def depth(self, path: Path) -> int:
        return len(path.relative_to(self.source).parts) - 1 if path.is_relative_to(self.source) else 0


def find_pages(paths: list[Path]) -> list[Path]:
    """Markdown files named, or found below named folders (skipping _build, .git, _static…)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith(("_", ".")))
                found.extend(Path(folder, name) for name in sorted(files) if name.endswith(".md"))
        else:
            found.append(path)
    return [page.resolve() for page in found]


def display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def check_page(path: Path, layout: Layout, settings: Settings, today: date) -> tuple[Page | None, Guideline | None, list[Diagnostic]]:
    is_guideline = layout.is_guideline(path)
    page, diagnostics = read_page(path, display(path), needs_front_matter=is_guideline)
    if page is None:
        return None, None, diagnostics
    diagnostics = safety(page, layout.depth(path))
    model = None
    if is_guideline:
        model, found = check_guideline(page, settings, today)
        diagnostics += found
    return page, model, diagnostics


def check_library(paths: list[Path], layout: Layout, settings: Settings, today: date) -> Report:
    report = Report()
    first_with_id: dict[str, str] = {}
    for path in find_pages(paths):
        report.pages += 1
        page, model, diagnostics = check_page(path, layout, settings, today)
        report.diagnostics += diagnostics
        if page is None or model is None:
            continue
        report.guidelines[page.path] = model
        if model.id in first_with_id:
            line, col = page.locate(("id",))
            report.diagnostics.append(page.at(line, col, "duplicate-page-id",
                                              f"id {model.id!r} is already used by {first_with_id[model.id]}; "
                                              "give this page its own id"))
        else:
            first_with_id[model.id] = page.path
    report.diagnostics.sort()
    return report
