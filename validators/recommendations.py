"""Read a page's `{recommendation}` directives into models, and check them.

The directives are found by MyST's own parser (the walk the safety check makes) and their options
read by MyST's directive parser, so what is checked here is what Sphinx renders. The Sphinx
directive renders these models; it never reads the options itself.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from pydantic import ValidationError

from guidepress.schemas import Code, Guideline
from guidepress.schemas.recommendation import OPTIONS, Recommendation
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.safety import directive_of, elements, read_directive
from guidepress.validators.source import Page

NAMES = ("recommendation", "rationale")
# Directive names are read without regard to case, as docutils reads them.
WORTH_WALKING = re.compile(r"\{[\w.:-]*(?:recommendation|rationale)\}", re.IGNORECASE)
ANY = re.compile(r"\S")
PLAIN_ROLES_SKIPPED = {"cite"}  # the evidence is listed beside the text; citations are not words


class Directive(NamedTuple):
    name: str
    first: int  # body line (0-based) of the fence
    last: int  # body line after the closing fence
    token: Any


def _directives(body: str) -> list[Directive]:
    found = []
    for line, token in elements(body, 0, WORTH_WALKING):
        directive = directive_of(token.info) if token.type in ("fence", "colon_fence") else None
        if directive and directive[0] in NAMES:
            size = (token.map[1] - token.map[0]) if token.map else 1
            found.append(Directive(directive[0], line, line + size, token))
    return found


def plain_text(markdown: str, skip: tuple[int, int] | None = None) -> str:
    """The words of some Markdown, one space between them: what a recommendation says, for the
    catalogue and for telling whether it changed. Lines in `skip` (its rationale) are left out."""
    words = []
    for line, element in elements(markdown, 0, ANY):
        if skip and skip[0] <= line < skip[1]:
            continue
        if element.type in ("text", "code_inline", "math_inline"):
            words.append(element.content)
        elif element.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif element.type == "myst_role" and element.meta.get("name") not in PLAIN_ROLES_SKIPPED:
            words.append(re.sub(r"\s*<[^<>]*>\s*$", "", element.content))
        elif element.type in ("paragraph_close", "list_item_close"):
            words.append(" ")
    return re.sub(r"\s+([.,;:!?)])", r"\1", " ".join("".join(words).split()))


def _option_line(page: Page, directive: Directive, name: str) -> int:
    """The file line of an option (`:name: value`, or `name:` in a YAML block), else the
    directive's."""
    for number, text in enumerate(directive.token.content.split("\n"), 1):
        if re.match(rf"\s*:?{re.escape(name)}:", text):
            return page.body_line + directive.first + number
        if not text.strip():
            break  # the options end at the first blank line
    return page.body_line + directive.first


class _Reader:
    def __init__(self, page: Page, model: Guideline | None) -> None:
        self.page, self.model = page, model
        self.found: list[Diagnostic] = []

    def problem(self, line: int, code: Code, message: str) -> None:
        self.found.append(self.page.at(line, 1, code, message))

    def read(self, directive: Directive, rationale: Directive | None) -> Recommendation | None:
        page = self.page
        argument = directive_of(directive.token.info)[1]  # type: ignore[index]
        options, body, offset, unreadable = read_directive(argument, directive.token.content)
        if unreadable:
            return None  # the safety check reports it: the page is refused
        markdown = "\n".join([argument, *body]) if argument else "\n".join(body)
        skip = None
        if rationale is not None:  # its lines, counted from the markdown's first
            start = rationale.first - directive.first - 1 - offset + (1 if argument else 0)
            skip = (start, start + rationale.last - rationale.first)
        data: dict[str, Any] = dict(options.items())
        data["text"] = plain_text(markdown, skip)
        if rationale is not None:  # a line after its name is its first (it takes no argument)
            first = (directive_of(rationale.token.info) or ("", ""))[1]
            data["rationale"] = plain_text(f"{first}\n{rationale.token.content}") or None
        if not data["text"]:
            self.problem(
                page.body_line + directive.first,
                Code.RECOMMENDATION_EMPTY,
                "this recommendation has no text: write the recommendation as the directive's "
                "body, after its options and a blank line",
            )
            return None
        try:
            recommendation = Recommendation.model_validate(data)
        except ValidationError as error:
            for detail in error.errors():
                self._invalid(directive, detail)
            return None
        self._evidence(directive, recommendation)
        return recommendation

    def _invalid(self, directive: Directive, detail: Any) -> None:
        at = detail.get("ctx", {}).get("at") or detail["loc"]
        name = str(at[0]) if at else "id"
        line = _option_line(self.page, directive, name)
        code = Code.RECOMMENDATION_OPTION
        if detail["type"] == Code.RECOMMENDATION_CERTAINTY:
            code = Code.RECOMMENDATION_CERTAINTY
            message = detail["msg"]
        elif detail["type"] == "extra_forbidden":
            message = f"`:{name}:` is not an option of a recommendation; it takes " + ", ".join(
                f"`:{option}:`" for option in OPTIONS
            )
        elif detail["type"] == "missing":
            message = (
                f"`:{name}:` is missing: every recommendation needs a stable id, unique in the "
                "library, e.g. `:id: "
                f"{self.model.id if self.model else 'page'}-1`"
                if name == "id"
                else f"`:{name}:` is missing"
            )
        else:
            message = f"`:{name}:` {detail['msg'][0].lower()}{detail['msg'][1:]}"
            if name == "id":
                message += " (lower-case letters, digits and single hyphens, e.g. sirt-in-mdt)"
        self.problem(line, code, message)

    def _evidence(self, directive: Directive, recommendation: Recommendation) -> None:
        if self.model is None:
            return
        known = [reference.id for reference in self.model.references]
        for ref_id in recommendation.evidence:
            if ref_id not in known:
                self.problem(
                    _option_line(self.page, directive, "evidence"),
                    Code.RECOMMENDATION_EVIDENCE,
                    f"evidence {ref_id!r} is not a reference of this page (known: "
                    f"{', '.join(known)}); fix the id or add the reference",
                )


def read_recommendations(
    page: Page, model: Guideline | None
) -> tuple[list[Recommendation], list[Diagnostic]]:
    """The page's recommendations in page order, and the problems found in them. model: the
    page's validated front matter, or None for a page that is not a (valid) guideline."""
    if not WORTH_WALKING.search(page.body):
        return [], []
    reader = _Reader(page, model)
    directives = _directives(page.body)
    outer = [d for d in directives if d.name == "recommendation"]
    recommendations: list[Recommendation] = []
    seen: set[str] = set()
    for directive in directives:
        around = [o for o in outer if o.first < directive.first < o.last]
        line = page.body_line + directive.first
        if directive.name == "recommendation" and (around or model is None):
            where = "inside another recommendation" if around else "outside a guideline page"
            reader.problem(
                line,
                Code.RECOMMENDATION_MISPLACED,
                f"a recommendation {where}: recommendations belong in guideline pages, one "
                "after another",
            )
        elif directive.name == "rationale" and not around:
            reader.problem(
                line,
                Code.RECOMMENDATION_MISPLACED,
                "a `{rationale}` outside a recommendation: put it inside the `{recommendation}` "
                "whose reasoning it gives (the recommendation's fence needs more backticks than "
                "the rationale's)",
            )
    for directive in outer:
        if model is None or any(o.first < directive.first < o.last for o in outer):
            continue
        inside = [d for d in directives if d.name == "rationale" and d.first > directive.first]
        inside = [d for d in inside if d.last <= directive.last]
        if len(inside) > 1:
            reader.problem(
                page.body_line + inside[1].first,
                Code.RECOMMENDATION_MISPLACED,
                "a second `{rationale}` in one recommendation: give its reasoning in one",
            )
        recommendation = reader.read(directive, inside[0] if inside else None)
        if recommendation is None:
            continue
        if recommendation.id in seen:
            reader.problem(
                _option_line(page, directive, "id"),
                Code.DUPLICATE_RECOMMENDATION_ID,
                f"recommendation id {recommendation.id!r} is used twice in this page; give each "
                "recommendation its own",
            )
        seen.add(recommendation.id)
        recommendations.append(recommendation)
    return recommendations, reader.found


def unrecorded_removals(
    page: Page, model: Guideline, removed: dict[str, str], since: str
) -> list[Diagnostic]:
    """Recommendations of the last approved version (`since`; removed: id -> its text) that are
    gone without the current version's change-history entry listing them under `removed`."""
    entry = model.current_change
    listed = set(entry.removed) if entry else set()
    index = next((i for i, e in enumerate(model.change_history) if e is entry), None)
    line, col = page.locate(("change_history", index) if index is not None else ("version",))
    return [
        page.at(
            line,
            col,
            Code.RECOMMENDATION_REMOVED,
            f'recommendation {rec_id!r} of approved version {since} ("{_short(text)}") is gone '
            f"from the page: if that is intended, add `removed: [{rec_id}]` to the change_history "
            f"entry for version {model.version} and say why in its summary; if not, put it back",
        )
        for rec_id, text in removed.items()
        if rec_id not in listed
    ]


def _short(text: str, words: int = 12) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")
