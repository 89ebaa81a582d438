"""Write catalogue.json, the machine-readable catalogue of the library, with every HTML build.

Everything in it comes from the models the page pipeline checked (kept in Sphinx's environment,
so an incremental build still lists every page) and the change tags computed when each page was
last read. Its shape is `guidepress.schemas.catalogue`, published as a JSON Schema.
"""

from __future__ import annotations

import json
from pathlib import Path

from sphinx.application import Sphinx

from guidepress.atomic import write_atomically
from guidepress.incremental import is_current
from guidepress.schemas import Guideline
from guidepress.schemas.catalogue import (
    Catalogue,
    CatalogueApproval,
    CatalogueEvidence,
    CataloguePage,
    CatalogueRecommendation,
)
from guidepress.schemas.recommendation import Recommendation
from guidepress.validators.sphinx_adapter import (
    change_tags,
    checked_recommendations,
    guideline_models,
)

NAME = "catalogue.json"


def _page(model: Guideline, uri: str, pdf: bool, ids: list[str]) -> CataloguePage:
    return CataloguePage(
        id=model.id,
        title=model.title,
        summary=model.summary,
        version=model.version,
        status=model.status,
        type=model.type,
        language=model.language,
        audience=model.audience,
        authors=[person.name for person in model.authors],
        reviewers=[person.name for person in model.reviewers],
        approvals=[
            CatalogueApproval(reviewer=a.reviewer, version=a.version, date=a.date, status=a.status)
            for a in model.approvals
        ],
        review_date=model.review_date,
        next_review_date=model.next_review_date,
        url=uri,
        pdf=f"pdf/{model.pdf_name}" if pdf else None,
        recommendations=ids,
    )


def _recommendation(
    model: Guideline, r: Recommendation, number: int, tag: str, uri: str
) -> CatalogueRecommendation:
    references = {reference.id: reference for reference in model.references}
    evidence = [
        CatalogueEvidence(
            id=ref_id,
            title=references[ref_id].title,
            doi=references[ref_id].doi,
            pmid=references[ref_id].pmid,
            pmcid=references[ref_id].pmcid,
            isbn=references[ref_id].isbn,
            url=references[ref_id].url,
        )
        for ref_id in r.evidence
        if ref_id in references
    ]
    return CatalogueRecommendation(
        id=r.id,
        page=model.id,
        version=model.version,
        number=number,
        text=r.text,
        rationale=r.rationale,
        strength=r.strength,
        direction=r.direction,
        certainty=r.certainty,
        evidence=evidence,
        change=tag,
        url=f"{uri}#{r.anchor}",
    )


def catalogue(app: Sphinx) -> Catalogue:
    env = app.env
    recommendations = checked_recommendations(env)
    tags = change_tags(env)
    pages, entries = [], []
    for docname, model in sorted(guideline_models(env).items(), key=lambda i: i[1].id):
        uri = app.builder.get_target_uri(docname)
        own = recommendations.get(docname, [])
        pages.append(_page(model, uri, bool(app.config.guidepress_pdf), [r.id for r in own]))
        for number, r in enumerate(own, 1):
            tag = tags.get(docname, {}).get(r.id, "")
            entries.append(_recommendation(model, r, number, tag, uri))
    return Catalogue(
        library=app.config.project,
        release=app.config.guidepress_release or None,
        pages=pages,
        recommendations=entries,
    )


def write_catalogue(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / NAME
    if is_current(app.builder) and target.is_file():  # type: ignore[arg-type]
        return  # no page read or removed, nor settings changed, since it was written
    data = catalogue(app).model_dump(mode="json")
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    write_atomically(target, text.encode())


def setup_catalogue(app: Sphinx) -> None:
    app.connect("build-finished", write_catalogue)
