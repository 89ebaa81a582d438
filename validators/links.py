"""Every external link a library writes, with each place it is written: reference url, doi and
pmid fields and a web feedback contact (at their front-matter line), and links in page bodies,
directive bodies such as admonitions included (at their body line)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from schemas import Guideline
from validators.library import Layout, display, find_pages
from validators.safety import elements
from validators.source import Page, read_page

KINDS = ("url", "doi", "pmid")


@dataclass(frozen=True, order=True)
class Place:
    path: str
    line: int
    col: int
    reference: str | None = None  # the reference id, for links in front matter


@dataclass(frozen=True, order=True)
class Link:
    kind: str  # url, doi or pmid
    target: str
    place: Place


WEB_LINK = re.compile(r"https?://")


def body_links(page: Page) -> list[Link]:
    if "http" not in page.body:
        return []
    found = []
    for line, element in elements(page.body, worth_walking=WEB_LINK):
        href = str(element.attrs.get("href", "")) if element.type == "link_open" else ""
        if href.startswith(("http://", "https://")):
            found.append(Link("url", href, Place(page.path, page.body_line + line, 1)))
    return found


def front_matter_links(page: Page, model: Guideline) -> list[Link]:
    found = []
    for index, reference in enumerate(model.references):
        for kind in KINDS:
            target = getattr(reference, kind)
            if target:
                line, col = page.locate(("references", index, kind))
                found.append(Link(kind, target, Place(page.path, line, col, reference.id)))
    if model.feedback_contact.startswith(
        ("http://", "https://")
    ):  # readers' way to report a problem
        line, col = page.locate(("feedback_contact",))
        found.append(Link("url", model.feedback_contact, Place(page.path, line, col)))
    return found


def collect_links(paths: list[Path], layout: Layout) -> list[Link]:
    cwd = os.path.join(os.getcwd(), "")
    links: list[Link] = []
    for path in find_pages(paths):
        is_guideline = layout.is_guideline(path)
        page, _ = read_page(Path(path), display(path, cwd), needs_front_matter=is_guideline)
        if page is None:
            continue  # `guidepress validate` reports unreadable pages
        links += body_links(page)
        if is_guideline:
            try:
                links += front_matter_links(page, Guideline.check(page.data))
            except ValidationError:
                continue
    return sorted(links)
