"""Recommendations on a guideline page: the `{recommendation}` and `{rationale}` directives, the
numbered boxes, the key recommendations that open the page, and what changed since the last
approved version.

The directives only mark where a recommendation is and parse its body; what it is (id, strength,
certainty, evidence) comes from the model the page pipeline read and checked
(`validators.recommendations`), so the website and the PDF show exactly what was checked.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from guidepress.recommendation_history import Changes, LibraryHistory, version_year
from guidepress.render import citation_ref, folded
from guidepress.schemas import Code, Guideline
from guidepress.schemas.recommendation import OPTIONS, Recommendation
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.sphinx_adapter import change_tags, log_diagnostic

BOX = "guidepress-recommendation"
KEY = "guidepress-key-recommendations"


def visit_folded_html(translator: Any, node: folded) -> None:
    classes = " ".join(node.get("classes", []))
    shown = " open" if node.get("open") else ""
    translator.body.append(
        f'<details class="{escape(classes)}"{shown}><summary>{escape(node["summary"])}</summary>\n'
    )


def depart_folded_html(translator: Any, node: folded) -> None:
    translator.body.append("</details>\n")


def visit_folded_other(translator: Any, node: folded) -> None:
    pass  # text, LaTeX and other writers show the content as it is


def depart_folded_other(translator: Any, node: folded) -> None:
    pass


class RecommendationDirective(SphinxDirective):
    """Marks a recommendation: its options are checked, and shown, from the page's model."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = dict.fromkeys(OPTIONS, directives.unchanged)

    def run(self) -> list[nodes.Node]:
        box = nodes.container(classes=[BOX], guidepress_made=True)
        box["recommendation"] = self.options.get("id", "")
        self.set_source_info(box)
        box += self.parse_content_to_nodes()
        return [box]


class RationaleDirective(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        part = folded(summary="Rationale", classes=["guidepress-rationale"], guidepress_made=True)
        self.set_source_info(part)
        part += self.parse_content_to_nodes()
        return [part]


def history_of(app: Sphinx) -> LibraryHistory:
    """The library's git history, read once per build. A release builds an export of a commit,
    which has no git: it names the library whose history that commit is in."""
    history: LibraryHistory | None = getattr(app, "guidepress_history", None)
    if history is None:
        source = app.config.guidepress_history_source or app.srcdir
        history = LibraryHistory(Path(source))
        app.guidepress_history = history  # type: ignore[attr-defined]
    return history


def changes_of(app: Sphinx, docname: str, model: Guideline) -> Changes:
    in_source = Path(app.env.doc2path(docname)).relative_to(Path(app.srcdir)).as_posix()
    return history_of(app).changes(in_source, model.version)


def close_history(app: Sphinx, exception: Exception | None) -> None:
    history: LibraryHistory | None = getattr(app, "guidepress_history", None)
    if history is not None:
        history.close()


def number_boxes(
    doctree: nodes.document, recommendations: list[Recommendation], tags: dict[str, str]
) -> None:
    """Give each box its number, tag, grade and evidence, from the checked models (matched by
    id; a box the checks did not accept keeps its text and is reported by them)."""
    boxes = [box for box in doctree.findall(nodes.container) if BOX in box["classes"]]
    if [box.get("recommendation") for box in boxes] != [r.id for r in recommendations]:
        refuse_boxes(doctree, boxes)
        return
    for box, (number, recommendation) in zip(boxes, enumerate(recommendations, 1), strict=True):
        box["ids"].append(recommendation.anchor)
        box["classes"].append(f"guidepress-{recommendation.strength}")
        heading = nodes.paragraph(classes=["guidepress-recommendation-heading"])
        heading += nodes.strong(f"Recommendation {number}", f"Recommendation {number}")
        heading += nodes.Text(" ")
        tag = tags[recommendation.id]
        heading += nodes.inline(tag, tag, classes=["guidepress-change-tag"])
        grade = nodes.paragraph(classes=["guidepress-recommendation-grade"])
        grade += nodes.Text(recommendation.grade())
        if recommendation.evidence:
            grade += nodes.Text(". Evidence: ")
            grade += citation_ref("", keys=list(recommendation.evidence))
        box.insert(0, grade)
        box.insert(0, heading)


def refuse_boxes(doctree: nodes.document, boxes: list[nodes.container]) -> None:
    """The boxes Sphinx made are not the recommendations the checks read (a reading of the page
    no check shares): none is published, and the build fails."""
    source = doctree.get("source", "")
    for box in boxes:
        message = (
            "this recommendation is not one the checks read in the page (its directive is "
            "written where MyST and the checks read it differently); it is not published"
        )
        log_diagnostic(
            Diagnostic.of(
                Code.RECOMMENDATION_MISPLACED, box.source or source, box.line or 1, 1, message
            )
        )
        notice = nodes.error()
        notice += nodes.paragraph(message, "This recommendation was refused: " + message + ".")
        box.replace_self(notice)


def key_recommendations(
    recommendations: list[Recommendation], tags: dict[str, str]
) -> nodes.container:
    """The list that opens the page: every recommendation, numbered, linked to its box."""
    key = nodes.container(classes=[KEY], ids=["key-recommendations"])
    key += nodes.rubric("Key recommendations", "Key recommendations")
    listing = nodes.enumerated_list(enumtype="arabic", prefix="", suffix=".")
    for number, recommendation in enumerate(recommendations, 1):
        paragraph = nodes.paragraph()
        label = f"Recommendation {number}"
        paragraph += nodes.reference(label, label, refid=recommendation.anchor)
        paragraph += nodes.Text(f" {tags[recommendation.id]}: {recommendation.text}")
        listing += nodes.list_item("", paragraph)
    key += listing
    return key


def changes_in_this_version(
    model: Guideline, recommendations: list[Recommendation], changes: Changes
) -> nodes.section:
    """What the current version added, amended and removed, against the last approved one."""
    section = nodes.section(ids=["changes-in-this-version"], names=["changes in this version"])
    section += nodes.title("Changes in this version", "Changes in this version")
    if changes.version is None:
        text = (
            "No earlier approved version of this page is recorded: every recommendation is new "
            f"in version {model.version}."
        )
        section += nodes.paragraph(text, text)
        return section
    intro = f"Against version {changes.version}, the last approved version:"
    section += nodes.paragraph(intro, intro)
    listing = nodes.bullet_list()
    numbers = {r.id: n for n, r in enumerate(recommendations, 1)}
    for what, group in (
        ("added", changes.added(recommendations)),
        ("amended", changes.amended(recommendations)),
    ):
        for recommendation in group:
            item = nodes.paragraph()
            label = f"Recommendation {numbers[recommendation.id]}"
            item += nodes.reference(label, label, refid=recommendation.anchor)
            item += nodes.Text(f" {what}: {recommendation.text}")
            listing += nodes.list_item("", item)
    # From the front matter the approvals cover, never from history: only the page's own
    # words are published.
    entry = model.current_change
    for rec_id in entry.removed if entry else []:
        text = f"Removed: {rec_id} (the change history says why)."
        listing += nodes.list_item("", nodes.paragraph(text, text))
    if not listing.children:
        text = "No recommendation was added, amended or removed."
        section += nodes.paragraph(text, text)
    else:
        section += listing
    return section


def render_recommendations(
    app: Sphinx, doctree: nodes.document, model: Guideline, recommendations: list[Recommendation]
) -> tuple[nodes.container, nodes.section] | None:
    """Number the page's boxes; returns the key list and the changes section to place, or None
    for a page without recommendations."""
    if not recommendations:
        return None
    changes = changes_of(app, app.env.docname, model)
    year = version_year(model)
    tags = {r.id: changes.tag(r, year) for r in recommendations}
    change_tags(app.env)[app.env.docname] = tags  # for the catalogue
    number_boxes(doctree, recommendations, tags)
    return key_recommendations(recommendations, tags), changes_in_this_version(
        model, recommendations, changes
    )


def setup_recommendations(app: Sphinx) -> None:
    # Set by a release, which builds an export without git: the source folder whose history
    # the tags are computed from.
    app.add_config_value("guidepress_history_source", "", "env", types=frozenset({str}))
    app.add_directive("recommendation", RecommendationDirective)
    app.add_directive("rationale", RationaleDirective)
    other = (visit_folded_other, depart_folded_other)
    app.add_node(
        folded,
        html=(visit_folded_html, depart_folded_html),
        latex=other,
        text=other,
        man=other,
        texinfo=other,
    )
    app.connect("build-finished", close_history)
