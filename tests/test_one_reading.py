"""One reading of a page: guidepress and every reader of pages in MyST-Parser agree on where the
front matter ends, on pages generated from the lines that confuse readers. Where they could
disagree, guidepress refuses the page, so no page is published whose body nobody checked."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig, TopmatterReadError, read_topmatter
from myst_parser.parsers.mdit import create_md_parser

from guidepress.validators.source import parse_page

# Lines that end, or almost end, front matter for one reader or another, and ordinary ones.
LINES = [
    "---", "--- ", "----", "---x", "---\t", "  ---", "    ---", "\t---", "...", "... ", "...x",
    "- ---", "-- -", "key: value", "title: T", "  - item", "", "***", "text", "# heading",
    "a: '---'", "  more text",
]  # fmt: skip
LINE_ENDS = ["\n", "\r\n", "\r"]
MYST = create_md_parser(MdParserConfig(), RendererHTML)


def as_sphinx_reads(text: str) -> str:
    """Sphinx opens sources with Python's universal newlines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def myst_front_matter(text: str) -> tuple[str, int] | None:
    """MyST's front-matter plugin's reading: the front matter, and the line the body starts on."""
    tokens = MYST.parse(text)
    if not tokens or tokens[0].type != "front_matter" or tokens[0].map is None:
        return None
    return tokens[0].content, tokens[0].map[1]


def myst_settings(text: str) -> Any:
    """What MyST's reader of file-level settings takes from the top of the page."""
    try:
        return read_topmatter(text)
    except TopmatterReadError:
        return "unreadable"


@settings(max_examples=600, deadline=None)
@given(
    first=st.sampled_from(["---", *LINES]),
    lines=st.lists(st.sampled_from(LINES), max_size=10),
    end=st.sampled_from(LINE_ENDS),
)
@example(first="---", lines=["title: T", "---x", "key: value", "---", "text"], end="\n")
@example(first="----", lines=["key: value", "----", "text"], end="\n")
@example(first="---", lines=["title: T", "  ---", "key: value", "---"], end="\n")
@example(first="---", lines=["title: T", "---", "text"], end="\r")
@example(first="", lines=[""], end="\n")
def test_guidepress_reads_front_matter_as_myst_does(first: str, lines: list[str], end: str) -> None:
    text = end.join([first, *lines])
    page, problems = parse_page(text, "page.md", needs_front_matter=False)
    rendered = as_sphinx_reads(text)
    if page is None:
        codes = {problem.code for problem in problems}
        assert codes <= {
            "ambiguous-front-matter",
            "unclosed-front-matter",
            "yaml-syntax",
            "duplicate-key",
            "not-a-mapping",
            "yaml-tag",
        }, problems
        return  # refused, so never published: there is nothing the readers could disagree on
    plugin = myst_front_matter(rendered)
    if page.front_matter is None:
        assert plugin is None
        assert myst_settings(rendered) is None
        assert page.body == rendered
        return
    assert plugin is not None
    content, body_start = plugin
    assert content.rstrip("\n") == page.front_matter.rstrip("\n")
    assert body_start == page.body_line - 1  # the body starts on the same line
    data = yaml.safe_load(page.front_matter)
    expected = data if isinstance(data, dict) else "unreadable"
    assert myst_settings(rendered) == expected


def test_content_for_one_output_only_never_reaches_a_page() -> None:
    # Behind the safety rule ({only} is refused): whatever markup made it, an `only` node is
    # removed before the page is saved, so the website and the PDF say the same.
    from docutils import frontend, nodes
    from docutils.utils import new_document
    from sphinx import addnodes

    from guidepress.validators.sphinx_adapter import remove_unsafe_output

    document = new_document("page.md", frontend.get_default_settings())
    only = addnodes.only(expr="html")
    only += nodes.paragraph("Web only.", "Web only.")
    document += only
    document += nodes.paragraph("Both.", "Both.")
    remove_unsafe_output(None, document)  # type: ignore[arg-type]
    assert document.astext() == "Both."


def test_marks_of_what_guidepress_writes_cannot_be_forged() -> None:
    # Behind the safety rule: a guidepress-… class or a reference's id on a node guidepress did
    # not make is removed before the page is rendered; guidepress's own nodes keep theirs.
    from docutils import frontend, nodes
    from docutils.utils import new_document

    from guidepress.validators.sphinx_adapter import remove_forged_marks

    document = new_document("page.md", frontend.get_default_settings())
    forged = nodes.paragraph("Fake.", "Fake.", classes=["guidepress-recommendation", "x"])
    forged["ids"] = ["ref-web", "mine"]
    own = nodes.container(classes=["guidepress-recommendation"], guidepress_made=True)
    document += [forged, own]
    remove_forged_marks(None, document)  # type: ignore[arg-type]
    assert (forged["classes"], forged["ids"]) == (["x"], ["mine"])
    assert own["classes"] == ["guidepress-recommendation"]
