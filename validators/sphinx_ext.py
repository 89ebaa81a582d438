"""The Sphinx extension: a thin adapter that runs guidepress's rules during a build.

Problems become warnings with a location, type "guidepress" and the diagnostic code as subtype,
so `-W` fails the build and `suppress_warnings = ["guidepress.review-overdue"]` works.
"""

from __future__ import annotations

import os
from datetime import date
from html import escape
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.typing import ExtensionMetadata
from sphinx.writers.html5 import HTML5Translator

from schemas import Guideline, Settings
from validators import reference_docs, render
from validators.config import SettingsError, load_registry, load_settings
from validators.diagnostics import Diagnostic
from validators.html_translator import AccessibleHTMLTranslator
from validators.library import linked_out
from validators.page_files import attach_files
from validators.rules import check_guideline, misplaced_guideline, safety
from validators.safety import allowed_link
from validators.source import parse_page

logger = logging.getLogger(__name__)

# What a refused page becomes: its front matter goes too, since what was refused may be there.
REFUSED_PAGE = """# This page was refused

```{error}
This page was refused because it contains content that pages may not hold (raw HTML, script, a
link that is not to a page or the web, files from outside the library, or markup in its title).
The build log names the line.
```
"""
REFUSING_CODES = {"unsafe-content", "title-markup"}


class GuidelineDomain(Domain):
    """Per-page guideline models, kept so they survive parallel reads and incremental builds."""

    name = "guidepress"
    label = "guidepress"
    initial_data: ClassVar[dict[str, Any]] = {"pages": {}}  # Sphinx copies it into each environment

    @property
    def pages(self) -> dict[str, Guideline]:
        return self.data["pages"]  # type: ignore[no-any-return]

    def clear_doc(self, docname: str) -> None:
        self.pages.pop(docname, None)

    def merge_domaindata(self, docnames: Any, otherdata: dict[str, Any]) -> None:
        for docname in docnames:
            if docname in otherdata["pages"]:
                self.pages[docname] = otherdata["pages"][docname]

    def resolve_any_xref(self, *args: Any) -> list[tuple[str, nodes.Element]]:
        return []  # the domain holds no cross-reference targets; MyST asks every domain


def _settings(app: Sphinx) -> Settings:
    return app.config.guidepress_settings  # type: ignore[no-any-return]


def _is_guideline(app: Sphinx, docname: str) -> bool:
    return docname.startswith(_settings(app).guidelines_dir.strip("/") + "/")


def _report(app: Sphinx, docname: str, diagnostics: list[Diagnostic]) -> None:
    for diagnostic in diagnostics:
        if diagnostic.severity == "warning" and not app.config.guidepress_report_warnings:
            continue
        logger.warning(
            f"{diagnostic.severity}: {diagnostic.message} (column {diagnostic.col})",
            location=(docname, diagnostic.line),
            type="guidepress",
            subtype=diagnostic.code,
        )


def on_config_inited(app: Sphinx, config: Any) -> None:
    if config.guidepress_settings is None:  # unless handed down by the caller (conf.py or tests)
        try:
            config.guidepress_settings = load_settings(Path(app.confdir))
        except SettingsError as error:
            raise ExtensionError(str(error)) from None
    registry, problems = load_registry(Path(app.confdir), config.guidepress_settings)
    for problem in problems:
        logger.warning(
            problem.message, location=problem.path, type="guidepress", subtype=problem.code
        )
    app.guidepress_registry = registry  # type: ignore[attr-defined]


def on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # Released sites say which release a page belongs to; guidepress-versions.js does the rest.
    release = app.config.guidepress_release
    if release:
        context["metatags"] = (
            context.get("metatags", "")
            + f'<meta name="guidepress-release" content="{escape(release)}">\n'
        )


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format == "html":
        app.config.html_static_path.append(str(Path(__file__).parent / "static"))
        app.add_css_file("guidepress.css")
        app.add_js_file("guidepress-scrollable.js")
        app.add_js_file("guidepress-review.js")
        if app.config.guidepress_release:
            app.add_js_file("guidepress-versions.js")
        # Only where no other extension chose the writer: theirs wins, ours is a small fix.
        if (
            app.builder.name not in app.registry.translators
            and app.builder.default_translator_class is HTML5Translator
        ):
            app.set_translator(app.builder.name, AccessibleHTMLTranslator)
    # Defence in depth behind the safety rule: docutils itself refuses raw output and file reads.
    app.env.settings["raw_enabled"] = False
    app.env.settings["file_insertion_enabled"] = False


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    domain: GuidelineDomain = app.env.domains["guidepress"]  # type: ignore[assignment]
    is_guideline = _is_guideline(app, docname)
    path = str(app.env.doc2path(docname))
    real, top = os.path.realpath(path), os.path.join(os.path.realpath(app.srcdir), "")
    if not real.startswith(
        top
    ):  # Sphinx follows links; their targets are not the library's content
        source[0] = REFUSED_PAGE
        _report(app, docname, [linked_out(path, real)])
        return
    page, diagnostics = parse_page(source[0], path, needs_front_matter=is_guideline)
    if page is not None:
        # Sphinx reports missing files itself; a file linked from outside the library it would copy.
        files_out = [
            d
            for d in attach_files(page, Path(path), Path(app.srcdir))
            if d.code == "unsafe-content"
        ]
        found_unsafe = safety(page, depth=docname.count("/")) + files_out
        diagnostics += found_unsafe
        unsafe = any(d.code in REFUSING_CODES for d in found_unsafe)
        if is_guideline:
            registry = app.guidepress_registry  # type: ignore[attr-defined]
            model, found = check_guideline(page, _settings(app), date.today(), registry)
            diagnostics += found
            if model is not None:
                domain.pages[docname] = model
        else:
            diagnostics += misplaced_guideline(page, _settings(app).guidelines_folder)
        if unsafe:
            source[0] = REFUSED_PAGE
    _report(app, docname, diagnostics)


def _is_line_break(raw: nodes.raw) -> bool:
    """MyST's hard line break (two spaces or a backslash at the end of a line) is a raw `<br />`:
    the one piece of raw HTML that is harmless whoever wrote it, and without it words run together."""
    return bool(raw.get("format") == "html") and raw.astext().strip() == "<br />"


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


def remove_unsafe_output(doctree: nodes.document) -> None:
    """Defence in depth behind the safety rule: whatever markup produced them, no raw output and
    no script links reach the site. Runs before Sphinx's collectors copy toctrees and titles."""
    for raw in list(doctree.findall(nodes.raw)):
        if not _is_line_break(raw):
            raw.parent.remove(raw)
    for reference in list(doctree.findall(nodes.reference)):
        if not allowed_link(reference.get("refuri", "")):
            _refused_link(reference, reference["refuri"])
            reference.replace_self(nodes.Text(reference.astext()))
    for toctree in doctree.findall(addnodes.toctree):
        for title, target in list(toctree["entries"]):
            if not allowed_link(target):
                _refused_link(toctree, target)
                toctree["entries"].remove((title, target))


def _refused_link(node: nodes.Element, target: str) -> None:
    logger.warning(
        f"error: the link {target!r} is not allowed and was removed; link to a page or an https:// address",
        location=node,
        type="guidepress",
        subtype="unsafe-content",
    )


def on_doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    remove_unsafe_output(doctree)
    docname = app.env.docname
    model = app.env.domains["guidepress"].pages.get(docname)  # type: ignore[attr-defined]
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
    section.insert(1, render.document_control(model))
    section += render.reference_section(model, order, doctree)
    section += render.change_history_section(model)


def on_doctree_resolved(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    # Added at write time, so cached doctrees stay the same whether or not PDFs are built.
    model = app.env.domains["guidepress"].pages.get(docname)  # type: ignore[attr-defined]
    if model is None or not app.config.guidepress_pdf or app.builder.format != "html":
        return
    for box in doctree.findall(nodes.container):
        if "guidepress-document-control" in box["classes"]:
            up = "../" * docname.count("/")
            # A release sits one folder below the archive, whose downloads page lists every PDF.
            downloads = f"../{up}downloads.html#check" if app.config.guidepress_release else None
            box.insert(
                1, render.pdf_link(model, f"{up}pdf/{model.id}-v{model.version}.pdf", downloads)
            )
            break


def on_check_consistency(app: Sphinx, env: BuildEnvironment) -> None:
    seen: dict[str, str] = {}
    for docname, model in sorted(env.domains["guidepress"].pages.items()):  # type: ignore[attr-defined]
        if model.id in seen:
            logger.warning(
                f"error: id {model.id!r} is already used by {env.doc2path(seen[model.id])}; "
                "give this page its own id",
                location=(docname, 1),
                type="guidepress",
                subtype="duplicate-page-id",
            )
        else:
            seen[model.id] = docname


def setup(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("myst_parser")
    app.setup_extension("guidepress.typst_builder")
    app.add_config_value(
        "guidepress_settings", None, "env", types=frozenset({Settings, type(None)})
    )
    app.add_config_value("guidepress_pdf", False, "html", types=frozenset({bool}))
    app.add_config_value("guidepress_release", "", "html", types=frozenset({str}))
    # `guidepress build` validates first, printing warnings and failing on them only with --strict;
    # its Sphinx runs, warnings-as-errors for Sphinx's own problems, leave guidepress's warnings out.
    app.add_config_value("guidepress_report_warnings", True, "", types=frozenset({bool}))
    app.add_domain(GuidelineDomain)
    app.add_role("cite", cite_role, override=True)
    app.add_node(render.citation_ref)
    app.add_directive("guidepress-fields", reference_docs.FieldsDirective)
    app.add_directive("guidepress-codes", reference_docs.CodesDirective)
    app.connect("config-inited", on_config_inited)
    app.connect("builder-inited", on_builder_inited)
    app.connect("source-read", on_source_read)
    app.connect(
        "doctree-read", on_doctree_read, priority=400
    )  # before the collectors (500) copy titles
    app.connect("doctree-resolved", on_doctree_resolved)
    app.connect("html-page-context", on_html_page_context)
    app.connect("env-check-consistency", on_check_consistency)
    return {
        "version": "0.1",
        "env_version": 2,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
