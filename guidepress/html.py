"""The website's own parts: guidepress's scripts and stylesheet, the release a page belongs to,
and Sphinx's HTML writer with an accessibility fix and a last check.

Toctree captions are written as ``<p class="caption" role="heading">`` without a level, which
WAI-ARIA requires for the heading role (axe: aria-required-attr). They sit one level below the
page or site title, so they get level 2. And whatever reached the writer by a way the Sphinx
adapter did not foresee, it writes no raw HTML but a line break and no link that runs script.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

from guidepress.validators.safety import allowed_link, is_line_break

STATIC = Path(__file__).parent / "static"


class AccessibleHTMLTranslator(HTML5Translator):
    def visit_raw(self, node: nodes.raw) -> None:
        if not is_line_break(node):
            raise nodes.SkipNode
        super().visit_raw(node)

    def visit_reference(self, node: nodes.reference) -> None:
        if "refuri" in node and not allowed_link(node["refuri"]):
            self.body.append(self.encode(node.astext()))  # the words, without the link
            raise nodes.SkipNode
        super().visit_reference(node)

    def visit_title(self, node: nodes.title) -> None:
        start = len(self.body)
        super().visit_title(node)
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            self.body[start] = self.body[start].replace(
                'role="heading"', 'role="heading" aria-level="2"', 1
            )


def on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    app.config.html_static_path.append(str(STATIC))
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


def on_html_page_context(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # Released sites say which release a page belongs to; guidepress-versions.js does the rest.
    release = app.config.guidepress_release
    if release:
        tag = f'<meta name="guidepress-release" content="{escape(release)}">\n'
        context["metatags"] = context.get("metatags", "") + tag


def setup_html(app: Sphinx) -> None:
    app.add_config_value("guidepress_release", "", "html", types=frozenset({str}))
    app.connect("builder-inited", on_builder_inited)
    app.connect("html-page-context", on_html_page_context)
