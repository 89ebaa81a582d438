"""Sphinx's HTML writer with the one accessibility fix the library's theme needs.

Toctree captions are written as ``<p class="caption" role="heading">`` without a level, which
WAI-ARIA requires for the heading role (axe: aria-required-attr). They sit one level below the
page or site title, so they get level 2.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.writers.html5 import HTML5Translator


class AccessibleHTMLTranslator(HTML5Translator):
    def visit_title(self, node: nodes.title) -> None:
        start = len(self.body)
        super().visit_title(node)
        if isinstance(node.parent, addnodes.compact_paragraph) and node.parent.get("toctree"):
            self.body[start] = self.body[start].replace(
                'role="heading"', 'role="heading" aria-level="2"', 1
            )
