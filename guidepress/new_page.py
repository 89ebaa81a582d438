"""`guidepress new "Title" [--type guideline|patient-info] [--id ID]`: start a page.

The skeleton has the title, an id made from it, today's review dates, version 0.1 in draft and a
first change-history entry; everything only its editor can say (summary, audience, authors,
reviewers, references, interests, funding, contact) is left empty, with a comment saying what to
write, so that `validate` names each one until it is filled. It never overwrites a file, and
refuses an id another page already has.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from datetime import date
from pathlib import Path

from guidepress.schemas.fields import SLUG_PATTERN
from guidepress.validators.errors import UsageError
from guidepress.validators.library import find_pages
from guidepress.validators.pipeline import Layout
from guidepress.validators.source import read_page

TEMPLATE = Path(__file__).parent / "templates" / "new-page.md"
PAGE_TYPES = ("guideline", "patient-info")


def slug(title: str) -> str:
    """An id from a title: letters without accents, digits and hyphens ("Über Ärzte" ->
    "uber-arzte")."""
    plain = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", plain.lower()))


def new_page(layout: Layout, title: str, page_type: str, page_id: str | None, today: date) -> Path:
    """Write the page into the guidelines folder; returns its path."""
    if not title.strip() or "\n" in title:
        raise UsageError('give the page\'s title, on one line, e.g. guidepress new "Day surgery"')
    chosen = page_id or slug(title)
    if not re.match(SLUG_PATTERN, chosen):
        raise UsageError(
            f"{chosen!r} cannot be a page id: use lower-case letters, digits and hyphens "
            "(--id day-surgery)"
            if chosen
            else f"no id can be made from {title!r}: give one with --id, e.g. --id day-surgery"
        )
    folder = Path(layout.guidelines)
    users = _pages_with_id(folder, chosen)
    if users:
        raise UsageError(
            f"the id {chosen!r} is already used by {users[0]}: choose another with --id"
        )
    path = folder / f"{chosen}.md"
    interval = layout.settings.review_interval_years
    next_review = _years_after(today, interval)
    text = (
        TEMPLATE.read_text(encoding="utf-8")
        .replace("@ID@", chosen)
        .replace("@TITLE@", json.dumps(title.strip(), ensure_ascii=False))
        .replace("@TYPE@", page_type)
        .replace("@TODAY@", today.isoformat())
        .replace("@NEXT_REVIEW@", next_review.isoformat())
    )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:  # never over a page
            file.write(text)
    except FileExistsError:
        raise UsageError(f"{path} already exists; guidepress new never overwrites a file") from None
    return path


def _pages_with_id(folder: Path, page_id: str) -> list[str]:
    found = []
    for name in find_pages([folder]) if folder.is_dir() else []:
        page, _ = read_page(Path(name), name, needs_front_matter=False)
        data = page.data if page is not None else None
        if isinstance(data, dict) and data.get("id") == page_id:
            found.append(os.path.relpath(name))
    return found


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)
