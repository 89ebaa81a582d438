"""Translate a guideline's doctree into Typst markup.

Text is always written as Typst string literals (#"…"), so nothing an editor writes can be read
as Typst code. Any node without a handler stops the build with the file and line it came from.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

from docutils import nodes
from sphinx import addnodes

from guidepress.render import folded


class UnsupportedNode(Exception):
    """The PDF writer met a doctree node it cannot render, at the node's file and line."""

    def __init__(self, where: tuple[str, int], message: str) -> None:
        super().__init__(f"{where[0]}:{where[1]}: {message}")
        (self.path, self.line), self.message = where, message


ImageFiles = Callable[[nodes.image], str]  # an image node -> its file's path in the Typst folder
LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(%|px|pt|mm|cm|in|em)?\s*$")


def literal(text: str) -> str:
    """A Typst string literal."""
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
        + '"'
    )


def value(data: Any) -> str:
    """Python data (from a validated model) as a Typst value."""
    if data is None:
        return "none"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, int | float):
        return repr(data)
    if isinstance(data, datetime.date):
        return literal(data.isoformat())
    if isinstance(data, str):
        return literal(data)
    if isinstance(data, dict):
        return (
            "(" + ", ".join(f"{literal(str(k))}: {value(v)}" for k, v in data.items()) + ")"
            if data
            else "(:)"
        )
    if isinstance(data, list | tuple):
        return "(" + "".join(f"{value(item)}, " for item in data) + ")"
    raise TypeError(f"cannot write {type(data).__name__} as a Typst value")


ADMONITION_TITLES = {
    "attention": "Attention",
    "caution": "Caution",
    "danger": "Danger",
    "error": "Error",
    "hint": "Hint",
    "important": "Important",
    "note": "Note",
    "tip": "Tip",
    "warning": "Warning",
    "seealso": "See also",
}
SKIPPED = (
    nodes.comment,
    nodes.target,
    nodes.substitution_definition,
    nodes.footnote,
    nodes.meta,
    addnodes.index,
)  # index entries: the PDF has no index
LINK_SCHEMES = ("http://", "https://", "mailto:")
CELL_ALIGN = ("text-left", "text-center", "text-right")


class TypstTranslator:
    """Walks one document; `label_prefix` keeps anchors unique when documents share a PDF."""

    def __init__(
        self, document: nodes.document, label_prefix: str, source: str, images: ImageFiles
    ) -> None:
        self.document = document
        self.prefix = label_prefix
        self.source = source
        self.images = images
        self.level = 0
        # Ids that links of this page point at (a section, a label, a citation): each becomes a
        # Typst label where its node is written; a link whose target is never written loses its
        # link.
        self.targets = {
            str(n["refid"]) for n in document.findall(nodes.reference) if n.get("refid")
        }
        self.written: set[str] = set()
        self.spelled_out: set[str] = set()  # abbreviations already explained on this page
        self.handlers: dict[type, Callable[[Any], str]] = {
            nodes.document: self.children,
            nodes.section: self.section,
            nodes.paragraph: self.paragraph,
            nodes.Text: lambda n: "#" + literal(n.astext().replace("\n", " ")),
            nodes.emphasis: lambda n: f"#emph[{self.children(n)}]",
            nodes.strong: lambda n: f"#strong[{self.children(n)}]",
            nodes.literal: lambda n: f"#raw({literal(n.astext())})",
            nodes.subscript: lambda n: f"#sub[{self.children(n)}]",
            nodes.superscript: lambda n: f"#super[{self.children(n)}]",
            nodes.title_reference: lambda n: f"#emph[{self.children(n)}]",
            nodes.inline: self.children,
            nodes.abbreviation: self.abbreviation,
            nodes.compound: self.children,
            nodes.reference: self.reference,
            nodes.bullet_list: self.bullet_list,
            nodes.enumerated_list: self.enumerated_list,
            nodes.list_item: self.list_item,
            nodes.definition_list: self.definition_list,
            nodes.table: self.table,
            nodes.Admonition: self.admonition,
            nodes.topic: self.titled_box,
            nodes.sidebar: self.titled_box,
            nodes.footnote_reference: self.footnote_reference,
            nodes.literal_block: lambda n: f"#raw(block: true, {literal(n.astext())})\n\n",
            nodes.block_quote: lambda n: f"#quote(block: true)[{self.children(n)}]\n\n",
            nodes.attribution: lambda n: f"#align(right)[— {self.children(n)}]",
            nodes.rubric: lambda n: f"#strong[{self.children(n)}]\n\n",
            nodes.container: self.container,
            folded: self.folded,
            nodes.transition: self.transition,
            nodes.line_block: self.children,
            nodes.line: lambda n: f"{self.children(n)} \\\n",
            nodes.image: self.image,
            nodes.figure: self.figure,
            nodes.raw: self.raw,
            # Sphinx's own: a glossary is a definition list; hlist columns are one list on paper.
            addnodes.glossary: self.children,
            addnodes.hlist: self.children,
            addnodes.hlistcol: self.children,
            addnodes.centered: lambda n: f"#align(center)[#strong[{self.children(n)}]]\n\n",
        }

    def translate(self) -> str:
        markup = self.visit(self.document)
        for anchor in self.targets - self.written:  # e.g. a target inside a title: keep the words
            markup = markup.replace(f"#link({self.label(anchor)})[", "#[")
        return markup

    def visit(self, node: nodes.Node) -> str:
        anchors = self.anchors(node) if isinstance(node, nodes.Element) else ""
        if isinstance(node, SKIPPED):
            return anchors
        for kind in type(node).__mro__:
            handler = self.handlers.get(kind)
            if handler is not None:
                return anchors + handler(node)
        raise UnsupportedNode(
            self.where(node),
            f"the PDF writer cannot render a {node.tagname!r} element; "
            "remove it from the page or ask for PDF support for it",
        )

    def where(self, node: nodes.Node) -> tuple[str, int]:
        source = node.get("source", None) if isinstance(node, nodes.Element) else None
        return source or self.source, _line_of(node) or 1

    def children(self, node: nodes.Node) -> str:
        return "".join(self.visit(child) for child in node.children)

    def label(self, anchor: str) -> str:
        return f"<{self.prefix}{anchor}>"

    def anchors(self, node: nodes.Element) -> str:
        """Invisible labels for the ids of the node that links point at (references always)."""
        found = [
            a
            for a in node.get("ids", [])
            if (a in self.targets or a.startswith("ref-")) and a not in self.written
        ]
        self.written.update(found)
        return "".join(f"#metadata(none) {self.label(anchor)}" for anchor in found)

    def section(self, node: nodes.section) -> str:
        self.level += 1
        title = node.next_node(nodes.title)
        heading = f"#heading(level: {self.level})[{self.children(title)}]\n\n" if title else ""
        body = "".join(
            self.visit(child) for child in node.children if not isinstance(child, nodes.title)
        )
        self.level -= 1
        # The page title itself comes from the front matter (document control), not the body.
        return (
            body
            if self.level == 0 and node is self.document.next_node(nodes.section)
            else heading + body
        )

    def abbreviation(self, node: nodes.abbreviation) -> str:
        # Paper has no hover: spell the abbreviation out where it is first used, as Sphinx's LaTeX
        # does.
        explanation = node.get("explanation")
        if not explanation or node.astext() in self.spelled_out:
            return self.children(node)
        self.spelled_out.add(node.astext())
        return f"{self.children(node)}#{literal(f' ({explanation})')}"

    def paragraph(self, node: nodes.paragraph) -> str:
        return self.children(node) + "\n\n"

    def reference(self, node: nodes.reference) -> str:
        uri = node.get("refuri", "")
        if node.get("refid"):
            return f"#link({self.label(node['refid'])})[{self.children(node)}]"
        if uri.startswith(LINK_SCHEMES):
            text, address = node.astext().strip(), uri.removeprefix("mailto:")
            # On paper a link is only its words: give the address in a footnote, unless it is the
            # words.
            plain = text in (uri, address) or self._in_references(node)
            shown = "" if plain else f"#footnote[#link({literal(uri)})[#{literal(address)}]]"
            return f"#link({literal(uri)})[{self.children(node)}]{shown}"
        return self.children(node)  # a link to another page of the website: keep its text

    def raw(self, node: nodes.raw) -> str:
        # Pages may not hold raw markup (the safety rules refuse it), so the only raw nodes here are
        # MyST's own hard line break, written once for HTML and once for LaTeX.
        return (
            "#linebreak()"
            if node.get("format") == "html" and node.astext().strip() == "<br />"
            else ""
        )

    @staticmethod
    def _in_references(node: nodes.Node) -> bool:
        """In the reference list a DOI or PMID is itself the identifier: no footnote for it."""
        parent = node.parent
        while parent is not None:
            if "guidepress-references" in parent.get("classes", []):
                return True
            parent = parent.parent
        return False

    def bullet_list(self, node: nodes.bullet_list) -> str:
        return "#list(" + "".join(f"[{self.visit(item)}], " for item in node.children) + ")\n\n"

    def enumerated_list(self, node: nodes.enumerated_list) -> str:
        items = "".join(f"[{self.visit(item)}], " for item in node.children)
        return f"#enum(start: {node.get('start', 1)}, {items})\n\n"

    def list_item(self, node: nodes.list_item) -> str:
        return self.children(node).strip()

    def definition_list(self, node: nodes.definition_list) -> str:
        items = []
        for item in node.children:
            term = item.next_node(nodes.term)
            definition = item.next_node(nodes.definition)
            items.append(
                f"terms.item([{self.anchors(term)}{self.children(term)}], "
                f"[{self.children(definition).strip()}]), "
            )
        return "#terms(" + "".join(items) + ")\n\n"

    def table(self, node: nodes.table) -> str:
        group = node.next_node(nodes.tgroup)
        columns = int(group["cols"])
        header = [
            self.cell(entry)
            for row in group.findall(nodes.row)
            if isinstance(row.parent, nodes.thead)
            for entry in row.children
        ]
        body = [
            self.cell(entry)
            for row in group.findall(nodes.row)
            if isinstance(row.parent, nodes.tbody)
            for entry in row.children
        ]
        parts = [f"columns: {columns}"]
        if header:
            parts.append("table.header(" + ", ".join(header) + ")")
        table = "table(" + ", ".join(parts + body) + ")"
        title = next((child for child in node.children if isinstance(child, nodes.title)), None)
        if title is None:
            return f"#{table}\n\n"
        # A titled table (list-table, csv-table, {table}) is a figure, captioned above as on the
        # website.
        return f"#figure(kind: table, caption: [{self.children(title)}])[#{table}]\n\n"

    def cell(self, entry: nodes.entry) -> str:
        spans = []
        if entry.get("morecols"):
            spans.append(f"colspan: {entry['morecols'] + 1}")
        if entry.get("morerows"):
            spans.append(f"rowspan: {entry['morerows'] + 1}")
        align = next(
            (c.removeprefix("text-") for c in entry.get("classes", []) if c in CELL_ALIGN), None
        )
        if align:  # Markdown's |:--|--:| columns
            spans.append(f"align: {align}")
        content = f"[{self.children(entry).strip()}]"
        return f"table.cell({', '.join(spans)}){content}" if spans else content

    def admonition(self, node: nodes.Element) -> str:
        if isinstance(node, addnodes.versionmodified):  # its text begins "Added in version 1.0:"
            return f"#emph[{self.children(node).strip()}]\n\n"
        if isinstance(node, nodes.admonition):
            return self.titled_box(node)
        name = ADMONITION_TITLES.get(node.tagname, node.tagname.title())
        return f"#admonition({literal(name)})[{self.children(node).strip()}]\n\n"

    def transition(self, node: nodes.transition) -> str:
        # MyST draws a rule above the footnotes it gathers at the page's end; the PDF puts each at
        # the foot of its own page, so that rule would stand alone.
        return "" if "footnotes" in node.get("classes", []) else "#line(length: 100%)\n\n"

    def titled_box(self, node: nodes.Element) -> str:
        """A box with its own title: a custom admonition, a topic or a sidebar (on paper, in the
        flow)."""
        title_node = node.next_node(nodes.title)
        title = self.children(title_node) if title_node else '#"Note"'
        subtitle = node.next_node(nodes.subtitle)
        if subtitle is not None:
            title += f": {self.children(subtitle)}"
        body = "".join(
            self.visit(c) for c in node.children if not isinstance(c, (nodes.title, nodes.subtitle))
        )
        return f"#admonition([{title}])[{body.strip()}]\n\n"

    def footnote_reference(self, node: nodes.footnote_reference) -> str:
        footnote = self.document.ids.get(node.get("refid", ""))
        if footnote is None:
            return ""
        text = "".join(self.visit(c) for c in footnote.children if not isinstance(c, nodes.label))
        return f"#footnote[{text.strip()}]"

    def image_call(self, node: nodes.image) -> str:
        alt = node.get("alt", "").strip()
        if not alt:  # the image-without-alt rule stops such pages first; PDF/UA needs it too
            raise UnsupportedNode(
                self.where(node), f"the image {node.get('uri')!r} has no alternative text"
            )
        arguments = [literal(self.images(node)), f"alt: {literal(alt)}"]
        width = _length(node.get("width", ""))
        if width:
            arguments.append(f"width: {width}")
        return f"image({', '.join(arguments)})"

    def image(self, node: nodes.image) -> str:
        if isinstance(node.parent, nodes.TextElement):  # ![alt](file) inside a paragraph
            return f"#box({self.image_call(node)})"
        return f"#align(center, {self.image_call(node)})\n\n"

    def figure(self, node: nodes.figure) -> str:
        image = node.next_node(nodes.image)
        if image is None:
            return self.children(node)
        arguments = [self.image_call(image)]
        caption = node.next_node(nodes.caption)
        if caption is not None:
            arguments.append(f"caption: [{self.children(caption)}]")
        legend = node.next_node(nodes.legend)
        return f"#figure({', '.join(arguments)})\n\n" + (
            self.children(legend) if legend is not None else ""
        )

    def container(self, node: nodes.container) -> str:
        if "guidepress-document-control" in node.get("classes", []):
            # The PDF builds its own document control from the front matter; the key
            # recommendations inside it are written apart (key_recommendations).
            return ""
        if "guidepress-recommendation" in node.get("classes", []):
            return f"#recommendation[{self.children(node).strip()}]\n\n"
        caption = node.next_node(nodes.caption)
        if node.get("literal_block") and caption is not None:  # a code block with a caption
            code = "".join(
                self.visit(c) for c in node.children if not isinstance(c, nodes.caption)
            ).strip()
            return f"#figure(kind: raw, caption: [{self.children(caption)}])[{code}]\n\n"
        return self.children(node)

    def folded(self, node: folded) -> str:
        # Paper does not fold: the part is shown whole, under its summary line.
        return f"#strong[#{literal(node['summary'])}]\n\n{self.children(node)}"

    def key_recommendations(self) -> str | None:
        """The page's key recommendations, for the PDF's opening, or None when it has none."""
        for node in self.document.findall(nodes.container):
            if "guidepress-key-recommendations" in node.get("classes", []):
                return self.children(node)
        return None


def _length(text: str) -> str | None:
    """A docutils length (50%, 300px, 4cm) as a Typst length; None for what Typst cannot take."""
    match = LENGTH.match(text or "")
    if not match:
        return None
    number, unit = float(match.group(1)), match.group(2) or "px"
    if unit == "px":
        number, unit = number * 0.75, "pt"  # CSS pixels: 96 to the inch
    return f"{number:g}{unit}"


def _line_of(node: nodes.Node) -> int | None:
    while node is not None:
        if getattr(node, "line", None):
            return node.line  # type: ignore[no-any-return]
        node = node.parent
    return None
