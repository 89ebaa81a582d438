"""What a guideline page shows besides its body, put into its doctree during a Sphinx build:
numbered citations, the document control, the reference list, the change history and the link
to the page's PDF. The nodes themselves are built in `guidepress.render`."""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

from guidepress import render
from guidepress.recommendations import render_recommendations, setup_recommendations
from guidepress.validators.sphinx_adapter import (
    checked_recommendations,
    guideline_models,
    registry_of,
)


def cite_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Any,
    options: Any = None,
    content: Any = None,
) -> tuple[list[nodes.Node], list[Any]]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    return [render.citation_ref(rawtext, keys=keys)], []


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    model = guideline_models(app.env).get(app.env.docname)
    recommendations = checked_recommendations(app.env).get(app.env.docname, [])
    # Before the citations are numbered: a recommendation's evidence is cited in its box.
    placed = render_recommendations(app, doctree, model, recommendations) if model else None
    citations = list(doctree.findall(render.citation_ref))
    if model is None:
        for citation in citations:
            citation.replace_self(nodes.Text("[?]"))
        return
    order = render.citation_order(model, (key for c in citations for key in c["keys"]))
    numbers = {ref_id: number for number, ref_id in enumerate(order, 1)}
    for citation in citations:
        citation.replace_self(render.citation_links(citation["keys"], numbers))
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    key, changes = placed if placed else (None, None)
    section.insert(1, render.document_control(model, registry_of(app), key))
    section += render.reference_section(model, order, doctree)
    if changes is not None:
        section += changes
    section += render.change_history_section(model)


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    # Added at write time, so cached doctrees stay the same whether or not PDFs are built.
    model = guideline_models(app.env).get(docname)
    if model is None or not app.config.guidepress_pdf or app.builder.format != "html":
        return
    for box in doctree.findall(nodes.container):
        if "guidepress-document-control" in box["classes"]:
            up = "../" * docname.count("/")
            # A release sits one folder below the archive, whose downloads page lists every PDF.
            downloads = f"../{up}downloads.html#check" if app.config.guidepress_release else None
            summary = next(c for c in box.children if "guidepress-summary" in c["classes"])
            box.insert(box.index(summary) + 1, render.pdf_link(model, up, downloads))
            break


def setup_page_rendering(app: Sphinx) -> None:
    app.add_config_value("guidepress_pdf", False, "html", types=frozenset({bool}))
    app.add_role("cite", cite_role, override=True)
    app.add_node(render.citation_ref)
    setup_recommendations(app)
    # Before the unsafe output is removed (490) and Sphinx's collectors copy titles (500).
    app.connect("doctree-read", on_doctree_read, priority=400)
    app.connect("doctree-resolved", on_doctree_resolved)
