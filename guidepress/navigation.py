"""Furo's navigation tree, worked out once per folder of the site rather than once per page.

Furo asks Sphinx, for every page it writes, for the whole library's table of contents with that
page marked, and parses the result to add its expand buttons: work over every page, done for
every page, so a library of N pages costs N² (three quarters of a 300-page build). The tree only
differs between pages in two ways: links are relative to the page's folder, and the page's own
entry and the branch above it are marked current. So the tree is resolved and given Furo's
buttons once per folder, with no page marked, and each page marks its own branch in the result,
as Sphinx and Furo would have (tests/test_navigation.py compares the two on every page).

Only for Furo on the standard HTML builder; anything else is left to do its own work. If Furo
changes how it asks for the tree, it is simply asked again, as before: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import CONFIG_OK
from sphinx.environment.adapters.toctree import global_toctree_for_doc

from guidepress.atomic import write_atomically

# How Furo asks for the tree (furo/__init__.py, _compute_navigation_tree).
FURO_ASKS: dict[str, Any] = {
    "collapse": False,
    "titles_only": True,
    "maxdepth": -1,
    "includehidden": True,
}
SAVED = "guidepress-navigation.json"  # in the doctrees folder
PHANTOM = "guidepress-navigation-of-this-folder"  # a page no toctree lists: nothing is current
CLASS = re.compile(r'\sclass="([^"]*)"')
HREF = re.compile(r'\shref="[^"]*"')
ATTRIBUTE = re.compile(r"\s([\w:-]+)=")


@dataclass
class _Tag:
    """A start tag of the tree: where it is in the HTML, and what it says."""

    name: str
    start: int
    end: int
    parent: _Tag | None
    checkbox: _Tag | None = None  # for an <li> with children: its expand button


@dataclass
class _Tree:
    """One folder's tree, with Furo's buttons and no page marked, and its tags."""

    html: str
    links: dict[str, list[_Tag]] = field(default_factory=dict)  # by href

    def for_page(self, href: str) -> str:
        """The tree as the page at `href` (relative to the folder) shows it."""
        branch: dict[int, _Tag] = {}
        for link in self.links.get(href, []):
            tag: _Tag | None = link
            while tag is not None:
                branch[tag.start] = tag
                tag = tag.parent
        if not branch:
            return self.html
        last_item = max((t.start for t in branch.values() if t.name == "li"), default=None)
        edits: list[tuple[int, int, str]] = []
        for tag in branch.values():
            extra = ["current-page"] if tag.start == last_item else []
            edits.append((tag.start, tag.end, _marked(tag, self.html[tag.start : tag.end], extra)))
            if tag.checkbox is not None:  # Furo opens the branch of the current page
                box = tag.checkbox
                edits.append((box.start, box.end, _checked(self.html[box.start : box.end])))
        out, at = [], 0
        for start, end, text in sorted(edits):
            out += [self.html[at:start], text]
            at = end
        out.append(self.html[at:])
        return "".join(out)


def _marked(tag: _Tag, text: str, extra: list[str]) -> str:
    """The start tag with `current` added as Sphinx adds it: first on a link (whose own address
    becomes "#"), after the depth class on an item, before Furo's own classes."""
    found = CLASS.search(text)
    classes = found.group(1).split() if found else []
    at = (
        0
        if tag.name == "a"
        else next((i + 1 for i, c in enumerate(classes) if c.startswith("toctree-l")), 0)
    )
    value = " ".join([*classes[:at], "current", *classes[at:], *extra])
    if found:
        text = f"{text[: found.start(1)]}{value}{text[found.end(1) :]}"
    else:
        text = f'<{tag.name} class="{value}"{text[len(tag.name) + 1 :]}'
    if tag.name == "a":
        text = HREF.sub(' href="#"', text, count=1)
    return text


def _checked(text: str) -> str:
    """An expand button, pressed, as Furo writes it (BeautifulSoup puts attributes in order)."""
    after = next((m for m in ATTRIBUTE.finditer(text) if m.group(1) > "checked"), None)
    at = after.start() if after else len(text) - (2 if text.endswith("/>") else 1)
    return f'{text[:at]} checked=""{text[at:]}'


class _Reader(HTMLParser):
    """Notes each list, item, link and expand button of the tree, with the tags around it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tree = _Tree(html)
        self.open: list[_Tag] = []
        self.offsets = [0]
        for line in html.splitlines(keepends=True):
            self.offsets.append(self.offsets[-1] + len(line))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, column = self.getpos()
        start = self.offsets[line - 1] + column
        text = self.get_starttag_text() or ""
        parent = next((t for t in reversed(self.open) if t.name in ("ul", "li")), None)
        node = _Tag(tag, start, start + len(text), parent)
        if tag == "a":
            self.tree.links.setdefault(dict(attrs).get("href") or "", []).append(node)
        elif tag == "input" and parent is not None and parent.name == "li":
            parent.checkbox = node
        if tag in ("ul", "li", "a"):
            self.open.append(node)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].name == tag:
                del self.open[index:]
                return


def _tree_for_folder(app: Sphinx, folder: str) -> _Tree:
    reader = _Reader(_folder_html(app, folder))
    reader.feed(reader.tree.html)
    reader.close()
    return reader.tree


def _folder_html(app: Sphinx, folder: str) -> str:
    """The folder's tree with Furo's buttons: as the last build left it when the navigation and
    the configuration are the same (a build after an edit), else worked out again."""
    from furo.navigation import get_navigation_tree

    saved = _saved(app)
    if folder in saved.folders:
        return saved.folders[folder]
    builder = app.builder
    assert isinstance(builder, StandaloneHTMLBuilder)
    phantom = posixpath.join(folder, PHANTOM)
    toctree = global_toctree_for_doc(app.env, phantom, builder, tags=builder.tags, **FURO_ASKS)
    html = builder.render_partial(toctree)["fragment"] if toctree is not None else ""
    saved.folders[folder] = get_navigation_tree(html)
    saved.changed = True
    return saved.folders[folder]


@dataclass
class _Saved:
    """Each folder's tree, kept in the doctrees folder between builds (as JSON: only the next
    build reads it, and it holds nothing but HTML Sphinx and Furo wrote)."""

    key: str
    folders: dict[str, str] = field(default_factory=dict)
    changed: bool = False


def _saved(app: Sphinx) -> _Saved:
    saved: _Saved | None = app.builder.__dict__.get("_guidepress_saved_navigation")
    if saved is not None:
        return saved
    # The navigation's fingerprint, and what renders it (guidepress.incremental).
    data = app.env.domains["guidepress"].data
    fingerprint, rendered_with = data.get("navigation"), data.get("rendered_with")
    saved = _Saved(f"{fingerprint} {rendered_with}")
    if fingerprint and rendered_with and app.env.config_status == CONFIG_OK:
        # A damaged or foreign file counts for nothing: the trees are worked out again.
        with contextlib.suppress(
            OSError, ValueError, TypeError, AttributeError, KeyError, RecursionError
        ):
            data = json.loads(Path(app.doctreedir, SAVED).read_text(encoding="utf-8"))
            if data["key"] == saved.key and all(
                isinstance(k, str) and isinstance(v, str) for k, v in data["folders"].items()
            ):
                saved.folders = data["folders"]
    app.builder.__dict__["_guidepress_saved_navigation"] = saved
    return saved


def save_navigation(app: Sphinx, exception: BaseException | None) -> None:
    saved: _Saved | None = app.builder.__dict__.get("_guidepress_saved_navigation")
    if exception is None and saved is not None and saved.changed:
        data = {"key": saved.key, "folders": saved.folders}
        write_atomically(Path(app.doctreedir, SAVED), json.dumps(data))


def _uses_furo(app: Sphinx) -> bool:
    builder = app.builder
    return (
        type(builder) is StandaloneHTMLBuilder and getattr(app.config, "html_theme", None) == "furo"
    )


def before_furo(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Furo's own request for the whole tree gets an empty answer, cheaply; after_furo fills in
    the tree."""
    if not _uses_furo(app) or "toctree" not in context:
        return
    asks_sphinx = context["toctree"]

    def toctree(**kwargs: Any) -> str:
        if kwargs == FURO_ASKS and context.get("_guidepress_navigation") is None:
            context["_guidepress_navigation"] = True
            return ""
        return str(asks_sphinx(**kwargs))

    context["toctree"] = toctree


def after_furo(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if not context.pop("_guidepress_navigation", None):
        return  # Furo asked in another way: it made its own tree
    trees: dict[str, _Tree] = app.builder.__dict__.setdefault("_guidepress_navigation", {})
    folder = posixpath.dirname(pagename)
    if folder not in trees:
        trees[folder] = _tree_for_folder(app, folder)
    href = app.builder.get_relative_uri(posixpath.join(folder, PHANTOM), pagename)
    context["furo_navigation_tree"] = trees[folder].for_page(href)


def setup_navigation(app: Sphinx) -> None:
    app.connect("html-page-context", before_furo, priority=400)
    app.connect("html-page-context", after_furo, priority=600)
    app.connect("build-finished", save_navigation)
