"""A Sphinx builder that writes each guideline, and the whole library, as Typst sources.

Output: `<id>.body.typ` (the translated body), `<id>-v<version>.typ` (that body under the
guideline's own document control), `compendium.typ` (every guideline, in table-of-contents
order), `images/` (the pages' images, named by their SHA-256 so that changing an image changes
the source that uses it, and so the PDF cache), the template, `manifest.json`, which maps
each PDF to its page, and `images.json`, which maps each image back to its file and the page
that shows it: both only for error messages.
Compiling to PDF is a separate step (guidepress/pdf.py).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.builders import Builder

from guidepress.render import approval_line
from guidepress.schemas import Code, Guideline, Registry, Settings
from guidepress.schemas.guideline import COMPENDIUM_PDF, STATUS_LABELS, TYPE_LABELS
from guidepress.typst_markup import TypstTranslator, UnsupportedNode, literal, value
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.sphinx_adapter import guideline_models, log_diagnostic, registry_of

TEMPLATE = Path(__file__).parent / "templates" / "guidepress.typ"
IMPORTS = '#import "guidepress.typ": admonition, recommendation\n'


def current_version_note(model: Guideline, settings: Settings) -> str:
    where = settings.publication_url or "the library's website"
    return (
        f"this copy is version {model.version} (last reviewed {model.review_date.isoformat()}); "
        f"before relying on it, check {where} for the current approved version."
    )


def meta(model: Guideline, settings: Settings, registry: Registry | None) -> dict[str, Any]:
    data = model.model_dump(mode="json", exclude={"references", "change_history", "approvals"})
    data["approvals"] = [approval_line(approval, registry) for approval in model.approvals]
    lang, _, region = model.language.partition("-")
    data.update(
        {
            "type-label": TYPE_LABELS[model.type],
            "status-label": STATUS_LABELS[model.status],
            "lang": lang,
            "region": region or None,
            "current-version-note": current_version_note(model, settings),
        }
    )
    return data


class TypstBuilder(Builder):
    name = "guidepress-typst"
    format = "typst"
    # What Typst can embed; Sphinx picks the best of an image's candidates (flow.* -> flow.svg).
    supported_image_types = ["image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"]  # noqa: RUF012  Sphinx API
    epilog = "Typst sources are in %(outdir)s."
    allow_parallel = False  # write_doc fills the image list that finish() writes

    def init(self) -> None:
        self.image_sources: dict[str, dict[str, str]] = {}
        with contextlib.suppress(OSError, ValueError):  # the images of pages not written again
            self.image_sources = json.loads(Path(self.outdir, "images.json").read_text("utf-8"))
        self.current_docname = ""

    def get_outdated_docs(self) -> Iterator[str]:
        """Guidelines whose sources are missing or older than the page as last read (its
        doctree): the output folder is kept between builds, so the others are still there."""
        for docname, model in guideline_models(self.env).items():
            written = Path(self.outdir, f"{model.id}.body.typ")
            try:
                if (
                    written.stat().st_mtime_ns
                    >= Path(self.doctreedir, f"{docname}.doctree").stat().st_mtime_ns
                ):
                    continue
            except OSError:
                pass  # not written yet, or never read: write it
            yield docname

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return docname

    def write_documents(self, docnames: AbstractSet[str]) -> None:
        """Only guidelines have a PDF. Sphinx also hands over the pages whose toctree lists an
        edited one (the index); resolving the toctree of a large index is most of the time of a
        one-page edit's build, for nothing."""
        guidelines = guideline_models(self.env)
        super().write_documents({docname for docname in docnames if docname in guidelines})

    def prepare_writing(self, docnames: AbstractSet[str]) -> None:
        pass

    @property
    def settings(self) -> Settings:
        return self.config.guidepress_settings  # type: ignore[no-any-return]

    def meta(self, model: Guideline) -> dict[str, Any]:
        return meta(model, self.settings, registry_of(self.app))

    def guideline(self, docname: str) -> Guideline | None:
        return guideline_models(self.env).get(docname)

    def write_doc(self, docname: str, doctree: nodes.document) -> None:
        self.current_docname = docname  # named in the report if something here crashes
        model = self.guideline(docname)
        if model is None:
            return
        source = str(self.env.doc2path(docname))
        try:
            body = TypstTranslator(doctree, f"{model.id}:", source, self.image_file).translate()
        except UnsupportedNode as error:
            problem = Diagnostic.of(Code.PDF_UNSUPPORTED, error.path, error.line, 1, error.message)
            log_diagnostic(problem)
            return
        key = TypstTranslator(doctree, f"{model.id}:", source, self.image_file)
        out = Path(self.outdir)
        (out / f"{model.id}.body.typ").write_text(IMPORTS + body, encoding="utf-8")
        (out / f"{model.id}.key.typ").write_text(
            IMPORTS + (key.key_recommendations() or ""), encoding="utf-8"
        )
        main = out / model.pdf_name.replace(".pdf", ".typ")
        main.write_text(
            '#import "guidepress.typ": guideline\n'
            f"#show: guideline.with(meta: {value(self.meta(model))}, "
            f'key: include "{model.id}.key.typ")\n'
            f'#include "{model.id}.body.typ"\n',
            encoding="utf-8",
        )

    def image_file(self, node: nodes.image) -> str:
        uri = node["uri"]
        if "://" in uri or uri.startswith("data:"):
            raise UnsupportedNode(
                (node.source or "a page", node.line or 1),
                f"the image {uri!r} is not a file in the "
                "library; the PDF build never uses the network, so save the image into the library",
            )
        try:
            data = (Path(self.srcdir) / uri).read_bytes()
        except OSError as error:
            raise UnsupportedNode(
                (node.source or "a page", node.line or 1),
                f"the image {uri!r} cannot be read ({error.strerror})",
            ) from None
        name = f"images/{hashlib.sha256(data).hexdigest()[:32]}{Path(uri).suffix.lower()}"
        where = f"{node.source}:{node.line}" if node.source and node.line else (node.source or "")
        self.image_sources.setdefault(name, {"file": str(Path(self.srcdir) / uri), "where": where})
        target = Path(self.outdir) / name
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(data)
        return name

    def finish(self) -> None:
        out = Path(self.outdir)
        shutil.copyfile(TEMPLATE, out / TEMPLATE.name)
        order = [d for d in self.reading_order() if self.guideline(d) is not None]
        models = [m for m in (self.guideline(d) for d in order) if m is not None]
        manifest = {
            m.pdf_name: {
                "typ": m.pdf_name.replace(".pdf", ".typ"),
                "source": str(self.env.doc2path(docname)),
                "id": m.id,
            }
            for docname, m in zip(order, models, strict=True)
        }
        authors = sorted({person.name for m in models for person in m.authors})
        keywords = sorted({word for m in models for word in m.keywords})
        first = models[0] if models else None
        lang, _, region = (first.language if first else "en-GB").partition("-")
        parts = "".join(
            f'#guideline-part({value(self.meta(m))}, include "{m.id}.key.typ", '
            f'include "{m.id}.body.typ")\n'
            for m in models
        )
        release = self.config.guidepress_release
        # Unlike a guideline's PDF, the compendium is the library at one moment: it names it.
        summary = (
            f"All {len(models)} guidelines of the library in one document, as published in "
            f"release {release}."
            if release
            else f"All {len(models)} guidelines of the library in one document. This copy was "
            "built from the library's sources and is not a published release."
        )
        note = (
            "Each guideline carries its own version and review dates. Check the library's current "
            "approved versions before relying on any of them."
        )
        (out / "compendium.typ").write_text(
            '#import "guidepress.typ": compendium, guideline-part\n'
            f"#show: compendium.with(title: {literal(self.config.project)}, "
            f"summary: {literal(summary)}, "
            f"authors: {value(authors)}, keywords: {value(keywords)}, lang: {literal(lang)}, "
            f"region: {value(region or None)}, note: {literal(note)})\n" + parts,
            encoding="utf-8",
        )
        manifest[COMPENDIUM_PDF] = {
            "typ": "compendium.typ",
            "source": "the compendium",
            "id": "compendium",
        }
        (out / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8"
        )
        (out / "images.json").write_text(
            json.dumps(self.image_sources, indent=2, sort_keys=True), encoding="utf-8"
        )

    def reading_order(self) -> list[str]:
        """Documents in table-of-contents order from the root page, then any left over."""
        order: list[str] = []

        def walk(docname: str) -> None:
            if docname in order:
                return
            order.append(docname)
            for child in self.env.toctree_includes.get(docname, []):
                walk(child)

        walk(self.config.root_doc)
        return order + sorted(set(self.env.found_docs) - set(order))


def setup_typst(app: Sphinx) -> None:
    # Writes serially by itself (Builder.allow_parallel is False), so the extension as a whole
    # stays parallel-write safe: `sphinx-build -j N -W` builds the HTML in parallel.
    app.add_builder(TypstBuilder)
