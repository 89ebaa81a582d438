"""The one page pipeline: read -> safety -> files -> page rules.

Every consumer checks a page here and nowhere else: `guidepress validate` and `build` (through
the library check), the Sphinx adapter, `approve`, `release` and the link checker. So a page
means the same to all of them: which pages are guidelines, which are refused, which files they
show, and what their front matter says.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from guidepress.schemas import Code, Guideline, Registry, Settings
from guidepress.schemas.characters import FORBIDDEN, describe, printable
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.page_files import attach_files
from guidepress.validators.recommendations import read_recommendations
from guidepress.validators.rules import check_guideline, misplaced_guideline, safety
from guidepress.validators.safety import local_files
from guidepress.validators.source import Page, parse_page, read_page

# A page with one of these is never published: Sphinx renders a notice in its place.
REFUSING_CODES = frozenset(
    {Code.UNSAFE_CONTENT, Code.TITLE_MARKUP, Code.CONTROL_CHARACTER, Code.GUIDELINE_OUTSIDE_FOLDER}
)


@dataclass(frozen=True)
class Layout:
    """Where a library's pages are: its source folder (absolute, ending in a separator) and the
    settings that say which of its pages are guidelines."""

    source: str
    settings: Settings

    @classmethod
    def of(cls, root: Path, settings: Settings) -> Layout:
        return cls.at_source(root / settings.source_dir, settings)

    @classmethod
    def at_source(cls, source: Path, settings: Settings) -> Layout:
        """For Sphinx, whose source folder is the one it was given."""
        return cls(os.path.join(os.path.abspath(source), ""), settings)

    @property
    def guidelines(self) -> str:
        """The guidelines folder, absolute, ending in a separator."""
        folder = os.path.join(self.source, self.settings.guidelines_dir)
        return os.path.join(os.path.abspath(folder), "")

    def name_of(self, path: str) -> str | None:
        """The page's path below the source folder, with / between folders (as Sphinx names
        documents); None for a file outside the library."""
        if not path.startswith(self.source):
            return None
        return path[len(self.source) :].replace(os.sep, "/")

    def is_guideline(self, path: str) -> bool:
        # A file named outside the library is checked as a guideline: that is why it was named.
        name = self.name_of(path)
        return name is None or self.settings.is_guideline_page(name)

    def links_out(self, path: str) -> str | None:
        """Where a page of the library really is when a symbolic link (the page's own, or a
        folder's above it) takes it outside the source folder; None for every usual page."""
        if not path.startswith(self.source):
            return None  # named from outside the library: read where it is
        folder, name = os.path.split(path)
        if os.path.islink(path):
            real = os.path.realpath(path)
        else:
            real = os.path.join(_real_folder(folder), name)
        return None if real.startswith(os.path.join(_real_folder(self.source), "")) else real


def forget_real_folders() -> None:
    _real_folder.cache_clear()


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(
        folder
    )  # once per folder: resolving every page would cost ~10% of a run


@dataclass(frozen=True)
class Checks:
    """What the rules need besides the page: the library, the day, and who may approve."""

    layout: Layout
    today: date
    registry: Registry | None


@dataclass
class CheckedPage:
    """A page as the pipeline left it: read (or None when it could not be), its validated front
    matter when it is a valid guideline, and every problem found, in the order found."""

    path: str  # as shown to the user
    is_guideline: bool
    page: Page | None = None
    model: Guideline | None = None
    recommendations: list[Recommendation] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def text_digest(self) -> str | None:
        """The SHA-256 of the text checked, when the result depends on that text alone (and on
        the Checks): None for a page that could not be read or that names files of the library,
        whose result depends on those files too."""
        if self.page is None or local_files(self.page.body):
            return None
        return text_digest(self.page.text)

    @property
    def refused(self) -> bool:
        """Never published: refused content, or a page that could not be read, whose content
        no rule has seen."""
        return self.page is None or any(d.code in REFUSING_CODES for d in self.diagnostics)


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read_in_place(path: str, layout: Layout) -> bool:
    """Whether check_page reads the page's text at all: a page whose name holds a forbidden
    character, or that a symbolic link takes outside the library, is refused unread."""
    named = layout.name_of(path) or path
    return not FORBIDDEN.search(named) and layout.links_out(path) is None


def check_page(path: str, shown: str, checks: Checks, text: str | None = None) -> CheckedPage:
    """Check one page. path: absolute; shown: how messages name it; text: the page as Sphinx
    read it, or None to read it from disk."""
    layout = checks.layout
    checked = CheckedPage(shown, layout.is_guideline(path))
    named = layout.name_of(path) or path  # where the library is stored is not the page's doing
    if FORBIDDEN.search(named):  # its name alone would rewrite what a terminal shows
        checked.diagnostics.append(_named_badly(shown, named))
        return checked
    outside = layout.links_out(path)
    if outside:  # never read: its content would be published from outside the library
        checked.diagnostics.append(linked_out(shown, outside))
        return checked
    needs_front_matter = checked.is_guideline
    if text is None:
        page, problems = read_page(Path(path), shown, needs_front_matter=needs_front_matter)
    else:
        page, problems = parse_page(text, shown, needs_front_matter=needs_front_matter)
    checked.page, checked.diagnostics = page, problems
    if page is None:
        return checked
    checked.diagnostics += safety(page, checked.is_guideline)
    checked.diagnostics += attach_files(page, Path(path), Path(layout.source))
    if not checked.is_guideline:
        checked.diagnostics += misplaced_guideline(page, layout.settings.guidelines_folder)
        checked.diagnostics += read_recommendations(page, None)[1]
        return checked
    checked.model, checked.recommendations, found = check_guideline(
        page, layout.settings, checks.today, checks.registry
    )
    checked.diagnostics += found
    return checked


def _named_badly(shown: str, named: str) -> Diagnostic:
    found = FORBIDDEN.search(named)
    assert found is not None
    message = (
        f"the page's path holds {describe(found.group(0))}, an invisible character that can "
        "change what terminals show; rename it; the page is refused"
    )
    return Diagnostic.of(Code.CONTROL_CHARACTER, printable(shown), 1, 1, message)


def linked_out(shown: str, real: str) -> Diagnostic:
    return Diagnostic.of(
        Code.UNSAFE_CONTENT,
        shown,
        1,
        1,
        f"this page is a symbolic link (or in a linked folder) to {real}, outside the library's "
        "source folder; keep the page itself in the library; the page is refused",
    )
