"""Every external link a library writes, with each place it is written: reference url, doi and
pmid fields and a web feedback contact (at their front-matter line), and links in page bodies,
directive bodies such as admonitions included (at their body line)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from guidepress.schemas import Guideline
from guidepress.validators.library import display, find_pages
from guidepress.validators.pipeline import Checks, Layout, check_page
from guidepress.validators.safety import elements
from guidepress.validators.source import Page


class LinkKind(StrEnum):
    """What a link names, which decides how it is checked."""

    URL = "url"  # a web address: asked for itself
    DOI = "doi"  # asked of the DOI resolver
    PMID = "pmid"  # asked of NCBI's summary service


@dataclass(frozen=True, order=True)
class Place:
    path: str
    line: int
    col: int
    reference: str | None = None  # the reference id, for links in front matter


@dataclass(frozen=True, order=True)
class Link:
    kind: LinkKind
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
            found.append(Link(LinkKind.URL, href, Place(page.path, page.body_line + line, 1)))
    return found


def front_matter_links(page: Page, model: Guideline) -> list[Link]:
    found = []
    for index, reference in enumerate(model.references):
        for kind in LinkKind:
            target = getattr(reference, kind)
            if target:
                line, col = page.locate(("references", index, kind))
                found.append(Link(kind, target, Place(page.path, line, col, reference.id)))
    if model.feedback_contact.startswith(("http://", "https://")):  # readers report problems there
        line, col = page.locate(("feedback_contact",))
        found.append(Link(LinkKind.URL, model.feedback_contact, Place(page.path, line, col)))
    return found


def collect_links(paths: list[Path], layout: Layout, today: date) -> list[Link]:
    cwd = os.path.join(os.getcwd(), "")
    checks = Checks(layout, today, registry=None)  # who approved a page does not change its links
    links: list[Link] = []
    for path in find_pages(paths):
        checked = check_page(path, display(path, cwd), checks)
        if checked.page is None:
            continue  # `guidepress validate` reports unreadable pages
        links += body_links(checked.page)
        if checked.model is not None:
            links += front_matter_links(checked.page, checked.model)
    return sorted(links)
