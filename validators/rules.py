"""Page rules: plain functions of a read page and its validated model that return diagnostics."""

from __future__ import annotations

import re
from datetime import date

from pydantic import ValidationError

from guidepress.schemas import Code, Guideline, Registry, Settings, person_key
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.approvals import check_approvals
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.readability import reading_level
from guidepress.validators.recommendations import read_recommendations
from guidepress.validators.safety import (
    body_problems,
    borrowed_text,
    elements,
    front_matter_problems,
    title_markup,
)
from guidepress.validators.schema_errors import schema_diagnostics
from guidepress.validators.source import Page

CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")
# A line that may be a top-level heading (`# Title`, or a title underlined with ===): only such
# bodies are parsed to make sure, so most pages cost one regular-expression scan.
MAYBE_TOP_HEADING = re.compile(r"^ {0,3}(?:#(?:[ \t]|$)|=+[ \t]*$)", re.MULTILINE)


def citations(body: str) -> list[tuple[str, int]]:
    """Each cited key with the body offset of its role, e.g. {cite}`a,b` gives a and b."""
    found = []
    for match in CITE.finditer(body):
        for key in match.group(1).split(","):
            if key.strip():
                found.append((key.strip(), match.start()))
    return found


def check_guideline(
    page: Page, settings: Settings, today: date, registry: Registry | None
) -> tuple[Guideline | None, list[Recommendation], list[Diagnostic]]:
    """Schema, review, recommendation, citation, readability and approval rules for one
    guideline page."""
    try:
        model = Guideline.check(page.data, today=today)
    except ValidationError as error:
        return None, [], schema_diagnostics(page, error, Guideline)
    recommendations, found = read_recommendations(page, model)
    evidence = {ref_id for r in recommendations for ref_id in r.evidence}
    found += review(page, model, settings, today) + citation(page, model, evidence)
    found += second_title(page) + reading_level(page, model, settings)
    return model, recommendations, found + check_approvals(page, model, registry, settings)


def review(page: Page, model: Guideline, settings: Settings, today: date) -> list[Diagnostic]:
    found = []
    years = settings.review_interval_years
    latest = add_years(model.review_date, years)
    if model.next_review_date > latest:
        line, col = page.locate(("next_review_date",))
        found.append(
            page.at(
                line,
                col,
                Code.NEXT_REVIEW_TOO_FAR,
                f"next_review_date {model.next_review_date} is more than {years} years after "
                f"review_date {model.review_date}; set it on or before {latest}",
            )
        )
    if model.next_review_date < today:
        line, col = page.locate(("next_review_date",))
        found.append(
            page.at(
                line,
                col,
                Code.REVIEW_OVERDUE,
                f"this page was due for review on {model.next_review_date}; review it, then "
                "update review_date and next_review_date",
            )
        )
    authors = {person_key(person.name) for person in model.authors}
    for index, reviewer in enumerate(model.reviewers):
        if person_key(reviewer.name) in authors:
            line, col = page.locate(("reviewers", index, "name"))
            found.append(
                page.at(
                    line,
                    col,
                    Code.REVIEWER_IS_AUTHOR,
                    f"{reviewer.name} is an author of this page and cannot also review it; "
                    "ask someone who did not write it",
                )
            )
    if model.current_change is None:
        line, col = page.locate(("change_history",))
        found.append(
            page.at(
                line,
                col,
                Code.CHANGE_HISTORY_MISSING_VERSION,
                f"change_history has no entry for version {model.version}; add one saying what "
                "changed",
            )
        )
    return found


def citation(page: Page, model: Guideline, evidence: set[str]) -> list[Diagnostic]:
    """Every citation names a reference of the page, and every reference is cited (in the text,
    or as a recommendation's evidence)."""
    found = []
    known = {reference.id for reference in model.references}
    cited = set(evidence)
    for key, offset in citations(page.body):
        cited.add(key)
        if key not in known:
            line, col = page.body_position(offset)
            found.append(
                page.at(
                    line,
                    col,
                    Code.UNKNOWN_CITATION,
                    f"{{cite}}`{key}` does not match any reference id of this page "
                    f"(known: {', '.join(sorted(known))}); fix the id or add the reference",
                )
            )
    for index, reference in enumerate(model.references):
        if reference.id not in cited:
            line, col = page.locate(("references", index, "id"))
            found.append(
                page.at(
                    line,
                    col,
                    Code.UNCITED_REFERENCE,
                    f"reference {reference.id!r} is never cited; cite it with "
                    f"{{cite}}`{reference.id}` "
                    "where the page relies on it, or remove it",
                )
            )
    return found


def second_title(page: Page) -> list[Diagnostic]:
    """The page's title comes from its front matter: a top-level heading in the body would be a
    second title on the website and in the PDF, and would put the sections under the wrong one."""
    if not MAYBE_TOP_HEADING.search(page.body):
        return []
    found = []
    tokens = list(elements(page.body, worth_walking=None))  # directives hold no sections
    for position, (line, token) in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            heading = tokens[position + 1][
                1
            ].content  # the inline token that follows holds the text
            found.append(
                page.at(
                    page.body_line + line,
                    1,
                    Code.SECOND_TITLE,
                    f"`# {heading}` would be a second title: the page's title comes from `title` "
                    "in "
                    f"its front matter; start sections at `## {heading}`, or delete the heading if "
                    "it repeats the title",
                )
            )
    return found


def safety(page: Page, is_guideline: bool) -> list[Diagnostic]:
    """What a page may not hold, in its front matter and its body: unsafe content and markup in the
    title (the page is refused), and images without alternative text."""
    found = []
    # A guideline outside its folder is reported as that (guideline-outside-folder), whole.
    plain_page = not is_guideline and not _guideline_fields(page.data)
    for key, message in front_matter_problems(page.data, is_guideline=not plain_page):
        line, col = page.locate((key,))
        found.append(page.at(line, col, Code.UNSAFE_CONTENT, message + "; the page is refused"))
    title = page.data.get("title") if isinstance(page.data, dict) else None
    markup = title_markup(title) if isinstance(title, str) and title.strip() else None
    if markup:
        line, col = page.locate(("title",))
        found.append(
            page.at(
                line,
                col,
                Code.TITLE_MARKUP,
                f"the title holds {markup}: write it as plain text, which "
                "the website and the PDF both show as written; the page is refused",
            )
        )
    if is_guideline:
        found += [
            page.at(
                page.body_line + line,
                1,
                Code.BORROWED_TEXT,
                f"{message}; this page's approvals would not cover that text: write the words here",
            )
            for line, message in borrowed_text(page.body)
        ]
    return found + [
        page.at(
            page.body_line + line,
            1,
            code,
            message + ("; the page is refused" if code == Code.UNSAFE_CONTENT else ""),
        )
        for line, code, message in body_problems(page.body)
    ]


# Document-control fields no other page has: a page holding them outside the guidelines folder is a
# guideline put in the wrong place, which the site would publish without its document control.
GUIDELINE_ONLY_FIELDS = ("status", "reviewers", "approvals", "review_date", "next_review_date")


def _guideline_fields(data: object) -> list[str]:
    present = data if isinstance(data, dict) else {}
    return [name for name in GUIDELINE_ONLY_FIELDS if name in present]


def misplaced_guideline(page: Page, guidelines_folder: str) -> list[Diagnostic]:
    """A page outside the guidelines folder whose front matter is a guideline's."""
    fields = _guideline_fields(page.data)
    if not fields:
        return []
    line, col = page.locate((fields[0],))
    named = ", ".join(f"`{name}`" for name in fields)
    return [
        page.at(
            line,
            col,
            Code.GUIDELINE_OUTSIDE_FOLDER,
            f"this page has a guideline's document control ({named}) but is not under "
            f"{guidelines_folder}, so "
            "it would be published without its document control, approvals check or PDF; move it "
            "into "
            f"{guidelines_folder}",
        )
    ]


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
