"""The Sphinx extension on tiny real projects: warnings, -W, safety, rendering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import make_project, valid_page
from tests.test_library import outside_links

OVERDUE = (
    valid_page()
    .replace("review_date: 2026-01-10", "review_date: 2023-01-10")
    .replace("next_review_date: 2027-01-10", "next_review_date: 2024-01-10")
)


def sphinx_build(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-m",
        "sphinx",
        "-b",
        "html",
        "-c",
        str(root),
        "-q",
        "--no-color",
        *options,
        str(root / "docs"),
        str(root / "_build" / "html"),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_problems_are_located_warnings_with_type_and_subtype(tmp_path: Path) -> None:
    bad = (
        valid_page()
        .replace('version: "1.0"', "version: 2.10")
        .replace("{cite}`web`", "{cite}`nope`")
    )
    make_project(tmp_path, {"guidelines/p.md": bad})
    result = sphinx_build(tmp_path)
    page = tmp_path / "docs" / "guidelines" / "p.md"
    assert f"{page}:5: WARNING: error: version: version must be quoted" in result.stderr
    assert "[guidepress.version-not-string]" in result.stderr
    assert result.returncode == 0  # without -W, Sphinx carries on ...
    strict = sphinx_build(tmp_path, "-W", "-E")
    assert strict.returncode != 0  # ... with -W the same problem fails the build


def test_citation_problems_point_at_the_body_line(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page().replace("{cite}`web`", "{cite}`nope`")})
    result = sphinx_build(tmp_path)
    page = tmp_path / "docs" / "guidelines" / "p.md"
    assert f"{page}:42: WARNING: error: {{cite}}`nope` does not match" in result.stderr
    assert "[guidepress.unknown-citation]" in result.stderr


def test_a_code_can_be_suppressed(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": OVERDUE})
    assert "[guidepress.review-overdue]" in sphinx_build(tmp_path).stderr
    with (tmp_path / "conf.py").open("a") as conf:
        conf.write('suppress_warnings = ["guidepress.review-overdue"]\n')
    result = sphinx_build(tmp_path, "-W", "-E")
    assert result.returncode == 0, result.stderr


def test_duplicate_ids_across_pages(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/a.md": valid_page(), "guidelines/b.md": valid_page()})
    result = sphinx_build(tmp_path)
    assert (
        f"{tmp_path / 'docs/guidelines/b.md'}:1: WARNING: error: id 'test-page' is already used"
        in result.stderr
    )


def test_unsafe_pages_are_refused_and_never_published(tmp_path: Path) -> None:
    script = "<script>alert('pwned')</script>"
    guideline = valid_page().replace("A statement", f"A {script} statement")
    plain = (
        f"# About\n\n<div onclick=\"alert('pwned')\">x</div>\n\n```{{raw}} html\n{script}\n```\n"
    )
    make_project(tmp_path, {"guidelines/p.md": guideline, "about.md": plain})
    result = sphinx_build(tmp_path)
    assert "[guidepress.unsafe-content]" in result.stderr
    assert (
        f"{tmp_path / 'docs/about.md'}:3: WARNING: error: raw HTML is not allowed" in result.stderr
    )
    for name in ("guidelines/p.html", "about.html"):
        html = (tmp_path / "_build/html" / name).read_text()
        assert "pwned" not in html
        assert "This page was refused" in html


def test_valid_page_renders_document_control_and_references(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    result = sphinx_build(tmp_path, "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "_build/html/guidelines/p.html").read_text()
    assert 'id="document-control"' in html
    assert '<a class="guidepress-citation reference internal" href="#ref-web"' in html
    assert 'href="https://doi.org/10.1234/example.5678"' in html
    assert "[accessed 2026 Jan 5]" in html


def test_a_parallel_build_with_w_succeeds(tmp_path: Path) -> None:
    # `sphinx-build -j auto -W` is a common CI line: no guidepress extension may force a serial
    # write, whose warning -W turns into a failure.
    make_project(
        tmp_path,
        {
            "guidelines/p.md": valid_page(),
            "guidelines/q.md": valid_page().replace("id: test-page", "id: q"),
        },
    )
    result = sphinx_build(tmp_path, "-W", "-j", "2")
    assert result.returncode == 0, result.stderr
    assert 'id="document-control"' in (tmp_path / "_build/html/guidelines/q.html").read_text()
    # Pages read in other processes are merged back: a library-wide rule still sees both.
    (tmp_path / "docs/guidelines/q.md").write_text(valid_page())
    result = sphinx_build(tmp_path, "-j", "2", "-E")
    assert "[guidepress.duplicate-page-id]" in result.stderr


def test_unsafe_links_and_front_matter_are_refused_without_w(tmp_path: Path) -> None:
    about = (
        '---\nmyst:\n  html_meta:\n    "http-equiv=refresh": "0; '
        'url=https://evil.example/"\n---\n# About\n\n'
        "```{toctree}\nClick <javascript://%0aalert(1)>\n```\n"
    )
    image = "\n```{image} d.png\n:alt: A diagram\n:target: javascript:alert(2)\n```\n"
    make_project(tmp_path, {"guidelines/p.md": valid_page() + image, "about.md": about})
    result = sphinx_build(tmp_path)
    assert "[guidepress.unsafe-content]" in result.stderr
    for page in (tmp_path / "_build/html").rglob("*.html"):
        html = page.read_text()
        assert "javascript:" not in html, page
        assert "evil.example" not in html, page
    assert "This page was refused" in (tmp_path / "_build/html/about.html").read_text()


def test_markup_in_a_title_refuses_the_page_instead_of_crashing_sphinx(tmp_path: Path) -> None:
    titled = valid_page().replace(
        "title: Test page", 'title: "Forms {download}`form.txt` <b>x</b>"'
    )
    make_project(tmp_path, {"guidelines/p.md": titled})
    (tmp_path / "docs/guidelines/form.txt").write_text("x")
    result = sphinx_build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"{tmp_path / 'docs/guidelines/p.md'}:3: WARNING: error: the title holds a role"
        in result.stderr
    )
    html = (tmp_path / "_build/html/guidelines/p.html").read_text()
    assert "<h1>This page was refused" in html
    assert "<b>x</b>" not in html


@pytest.mark.parametrize("priority", [300, 500, 950])
def test_links_that_run_script_never_reach_the_site_whatever_made_them(
    tmp_path: Path, priority: int
) -> None:
    # An extension outside guidepress's rules (here, in conf.py) makes the links the rules refuse,
    # before guidepress's check of a page that is read, after it, or after everything.
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    with (tmp_path / "conf.py").open("a") as conf:
        conf.write(
            "from docutils import nodes\nfrom sphinx import addnodes\n"
            "def inject(app, doctree):\n"
            "    section = doctree.next_node(nodes.section)\n"
            "    section += nodes.paragraph('', '', nodes.reference('evil', 'evil', refuri=' "
            "JavaScript:alert(1)'))\n"
            "    section += nodes.raw('', '<br /><script>alert(3)</script>', format='html')\n"
            "    section += nodes.meta(content='0;url=https://evil.example/', "
            "**{'http-equiv': 'refresh'})\n"
            "    section += nodes.math('', r'\\href{javascript:alert(4)}{x}')\n"
            "    for toctree in doctree.findall(addnodes.toctree):\n"
            "        toctree['entries'].append(('bad', 'javascript://%0aalert(2)'))\n"
            f"def setup(app):\n    app.connect('doctree-read', inject, priority={priority})\n"
        )
    result = sphinx_build(tmp_path)
    assert result.stderr.count("[guidepress.unsafe-content]") >= 4, result.stderr
    assert "the link ' JavaScript:alert(1)' is not allowed and was removed" in result.stderr
    assert "maths may not use \\href" in result.stderr
    for page in ("index.html", "guidelines/p.html"):
        html = (tmp_path / "_build/html" / page).read_text()
        assert not [n for n in (1, 2, 3) if f"alert({n})" in html], page
        assert 'class="math' not in html, page  # the maths is shown as text, never typeset
        assert "evil.example" not in html, page
    assert (
        "evil" in (tmp_path / "_build/html/guidelines/p.html").read_text()
    )  # the text stays, the link goes


def test_sphinx_publishes_nothing_from_links_out_of_the_library(tmp_path: Path) -> None:
    library = outside_links(tmp_path)
    result = sphinx_build(library)
    assert result.stderr.count("[guidepress.unsafe-content]") == 3, result.stderr
    html = library / "_build" / "html"
    for name in ("notes.html", "more/secret.html", "guidelines/a.html"):
        assert "This page was refused" in (html / name).read_text(), name
    published = [path for path in html.rglob("*") if path.is_file()]
    assert not [path for path in published if b"SECRET" in path.read_bytes()]
    assert "About" in (html / "same.html").read_text()  # a link inside the library is read as usual


def test_a_hard_line_break_is_kept_as_a_break(tmp_path: Path) -> None:
    page = valid_page() + "\nA line ending in two spaces  \nthen a backslash\\\nthen the end.\n"
    make_project(tmp_path, {"guidelines/p.md": page})
    assert sphinx_build(tmp_path, "-W").returncode == 0
    html = (tmp_path / "_build/html/guidelines/p.html").read_text()
    assert "A line ending in two spaces<br />\nthen a backslash<br />\nthen the end." in html


def test_references_and_change_history_are_in_the_pages_contents(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    assert sphinx_build(tmp_path, "-W").returncode == 0
    html = (tmp_path / "_build/html/guidelines/p.html").read_text()
    contents = html[html.index('class="toc-tree"') :]
    assert 'href="#references"' in contents
    assert 'href="#change-history"' in contents


def test_a_missing_link_target_is_reported_once_and_not_blamed_on_guidepress(
    tmp_path: Path,
) -> None:
    make_project(
        tmp_path, {"guidelines/p.md": valid_page() + "\nSee [the other page](other.md).\n"}
    )
    result = sphinx_build(tmp_path)
    assert "cross-reference target not found: 'other.md'" in result.stderr
    assert "guidepress" not in result.stderr, result.stderr


def test_a_guideline_outside_the_guidelines_folder_is_a_warning_in_sphinx(tmp_path: Path) -> None:
    make_project(tmp_path, {"treatment.md": valid_page()})
    result = sphinx_build(tmp_path)
    assert "[guidepress.guideline-outside-folder]" in result.stderr
    assert "treatment.md" in result.stderr


def test_a_page_no_rule_could_read_is_never_published(tmp_path: Path) -> None:
    # Front matter that does not parse: its body was never checked, so it is not published.
    unread = "---\ntitle: [About\n---\n# About\n\n{download}`passwords <../secret.txt>`\n"
    ambiguous = "---\ntitle: Notes\n----\nmyst: {html_meta: {x: y}}\n---\n# Notes\n"
    make_project(tmp_path, {"about.md": unread, "notes.md": ambiguous})
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    result = sphinx_build(tmp_path)
    assert "[guidepress.yaml-syntax]" in result.stderr
    assert "[guidepress.ambiguous-front-matter]" in result.stderr
    html = tmp_path / "_build" / "html"
    for name in ("about.html", "notes.html"):
        assert "This page was refused" in (html / name).read_text(encoding="utf-8"), name
    assert not [
        path for path in html.rglob("*") if path.is_file() and b"SECRET" in path.read_bytes()
    ]


def test_files_sphinx_collects_are_checked_where_it_resolves_them(tmp_path: Path) -> None:
    # Markup from outside guidepress's rules (an extension in conf.py) names a file outside the
    # library the way Sphinx reads `//` paths, a web page, and a web page named as a picture.
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    make_project(tmp_path / "lib", {"guidelines/p.md": valid_page()})
    library = tmp_path / "lib"
    (library / "docs/guidelines/form.html").write_text("<script>alert(1)</script>")
    (library / "docs/guidelines/chart.png").write_text("<script>alert(2)</script>")
    with (library / "conf.py").open("a") as conf:
        conf.write(
            "from docutils import nodes\nfrom sphinx import addnodes\n"
            "def inject(app, doctree):\n"
            "    if app.env.docname != 'guidelines/p':\n        return\n"
            "    section = doctree.next_node(nodes.section)\n"
            f"    for target in ['/{secret}', 'form.html']:\n"
            "        section += nodes.paragraph('', '', addnodes.download_reference(\n"
            "            '', target, reftarget=target, refdoc=app.env.docname, refexplicit=True))\n"
            "    section += nodes.image(uri='chart.png', alt='a chart')\n"
            "def setup(app):\n    app.connect('doctree-read', inject, priority=300)\n"
        )
    result = sphinx_build(library)
    assert result.stderr.count("[guidepress.unsafe-content]") == 3, result.stderr
    assert "is outside the library folder" in result.stderr
    html = library / "_build" / "html"
    published = [path for path in html.rglob("*") if path.is_file()]
    assert not [
        path
        for path in published
        if path.suffix in (".html", ".png") and b"alert(" in path.read_bytes()
    ]
    assert not [path for path in published if b"SECRET" in path.read_bytes()]
    assert "[not published:" in (html / "guidelines" / "p.html").read_text(encoding="utf-8")


def test_sphinx_publishes_only_the_pages_guidepress_checks(tmp_path: Path) -> None:
    # A reStructuredText page, and pages in folders `validate` never looks in, are not built;
    # a page outside the guidelines folder may set only plain keys in its front matter.
    about = '---\ntitle: About\nauthor: "{download}`secret <../secret.txt>`"\n---\n# About\n'
    make_project(
        tmp_path,
        {
            "guidelines/p.md": valid_page(),
            "about.md": about,
            "_drafts/d.md": "# Draft\n\n<script>alert(1)</script>\n",
            ".hidden/h.md": "# Hidden\n\n<script>alert(2)</script>\n",
            "notes.rst": "Notes\n=====\n\n.. raw:: html\n\n   <script>alert(3)</script>\n",
        },
    )
    (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
    result = sphinx_build(tmp_path)
    assert "`author` is not allowed in front matter" in result.stderr, result.stderr
    html = tmp_path / "_build" / "html"
    assert "This page was refused" in (html / "about.html").read_text(encoding="utf-8")
    for unbuilt in ("_drafts/d.html", ".hidden/h.html", "notes.html"):
        assert not (html / unbuilt).exists(), unbuilt
    published = [path for path in html.rglob("*") if path.is_file()]
    assert not [path for path in published if b"SECRET" in path.read_bytes()]
    assert not [path for path in published if b"alert(" in path.read_bytes()]
    assert (html / "_static" / "guidepress.css").is_file()  # static files are not "hidden"


def test_a_translation_catalogue_never_replaces_the_checked_text(tmp_path: Path) -> None:
    # Sphinx would read docs/locales/<language>/LC_MESSAGES/*.po and put its "translations" in
    # place of the text the checks read and the approvals sign.
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    with (tmp_path / "conf.py").open("a") as conf:
        conf.write('language = "en"\n')
    catalogue = tmp_path / "docs" / "locales" / "en" / "LC_MESSAGES" / "guidelines.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "A statement {cite}`web` and another {cite}`article`."\n'
        'msgstr "Give TEN TIMES the usual dose {cite}`web` and another {cite}`article`."\n',
        encoding="utf-8",
    )
    assert sphinx_build(tmp_path).returncode == 0
    html = (tmp_path / "_build/html/guidelines/p.html").read_text(encoding="utf-8")
    assert "TEN TIMES" not in html
    assert "A statement" in html
