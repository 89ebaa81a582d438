"""`guidepress build` keeps Sphinx's working output between builds, so it writes only what
changed, and swaps a finished copy of the site into place (guidepress/build.py,
guidepress/incremental.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guidepress.build_stamp import inputs_digest
from tests.conftest import make_project, run_cli, valid_page
from tests.test_pdf import png


def library(root: Path) -> Path:
    pages = {
        f"guidelines/{name}.md": valid_page()
        .replace("id: test-page", f"id: {name}")
        .replace("title: Test page", f"title: Page {name}")
        for name in ("a", "b", "c")
    }
    return make_project(root, pages)


def written(root: Path) -> dict[str, int]:
    """Each page Sphinx wrote in its working folder, and when."""
    work = root / "_build" / ".work" / "html"
    return {str(p.relative_to(work)): p.stat().st_mtime_ns for p in work.rglob("*.html")}


def navigation(page: Path) -> str:
    """The page's navigation tree, as Furo shows it in the sidebar."""
    html = page.read_text(encoding="utf-8")
    start = html.index('class="sidebar-tree"')
    return html[start : html.index("</div>", start)]


def build(root: Path) -> None:
    result = run_cli("build", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def inodes(folder: Path) -> set[int]:
    return {p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


def test_an_edit_rewrites_that_page_only_and_the_site_is_swapped_in_whole(tmp_path: Path) -> None:
    root = library(tmp_path)
    build(root)
    site = root / "_build" / "html"
    before, old_b = written(root), (site / "guidelines" / "b.html").read_text()
    navigation_before = navigation(site / "guidelines" / "a.html")
    assert 'href="b.html">' in navigation_before
    assert 'href="#">' in navigation_before
    b_inode = (site / "guidelines" / "b.html").stat().st_ino
    page = root / "docs" / "guidelines" / "a.md"
    page.write_text(page.read_text().replace("A statement", "An edited statement"))
    build(root)
    after = written(root)
    changed = {name for name in after if after[name] != before.get(name)}
    # The page, and what Sphinx writes every time; not the index, whose toctree lists the page
    # as before (its title and sections are the same).
    assert "guidelines/a.html" in changed
    assert changed <= {"guidelines/a.html", "genindex.html", "search.html"}, changed
    assert "An edited statement" in (site / "guidelines" / "a.html").read_text()
    # Its navigation came from the last build's (saved, the navigation being unchanged), and is
    # the one it had.
    assert navigation(site / "guidelines" / "a.html") == navigation_before
    # The unchanged page is the same file as in the last site (a link, not a copy), and no
    # published file is one Sphinx writes in place: the site never shows a half-written build.
    assert (site / "guidelines" / "b.html").stat().st_ino == b_inode
    assert (site / "guidelines" / "b.html").read_text() == old_b
    assert not inodes(site) & inodes(root / "_build" / ".work")


def test_a_new_page_reaches_every_pages_navigation(tmp_path: Path) -> None:
    root = library(tmp_path)
    build(root)
    new = valid_page().replace("id: test-page", "id: d").replace("title: Test page", "title: New")
    (root / "docs" / "guidelines" / "d.md").write_text(new)
    index = root / "docs" / "index.md"
    index.write_text(index.read_text().replace("guidelines/c\n", "guidelines/c\nguidelines/d\n"))
    build(root)
    for name in ("a", "b", "c"):
        html = (root / "_build" / "html" / "guidelines" / f"{name}.html").read_text()
        assert 'href="d.html">New</a>' in html, name


def test_a_retitled_page_is_renamed_in_every_pages_navigation(tmp_path: Path) -> None:
    root = library(tmp_path)
    build(root)
    page = root / "docs" / "guidelines" / "c.md"
    page.write_text(page.read_text().replace("title: Page c", "title: Renamed"))
    a = root / "docs" / "guidelines" / "a.md"
    a.write_text(a.read_text().replace("A statement", "An edited statement"))  # written too
    build(root)
    for name in ("a", "b"):
        html = navigation(root / "_build" / "html" / "guidelines" / f"{name}.html")
        assert 'href="c.html">Renamed</a>' in html, name
    assert '"title": "Renamed"' in (root / "_build" / "html" / "catalogue.json").read_text()
    # The index, whose toctree lists the page, is written again.
    index = (root / "_build" / "html" / "index.html").read_text()
    assert 'href="guidelines/c.html">Renamed</a>' in index.split('id="furo-main-content"')[1]


def test_a_new_summary_reaches_the_catalogue_and_a_new_section_the_index(tmp_path: Path) -> None:
    root = library(tmp_path)
    build(root)
    site = root / "_build" / "html"
    page = root / "docs" / "guidelines" / "b.md"
    text = page.read_text()
    page.write_text(text.replace("summary: A valid page", "summary: A resummarised page"))
    build(root)  # the same outline: the index is not written, the catalogue is
    assert "A resummarised page" in (site / "catalogue.json").read_text()
    page.write_text(page.read_text() + "\n## Dosing\n\nDoses.\n")
    build(root)
    content = (site / "index.html").read_text().split('id="furo-main-content"')[1]
    assert 'href="guidelines/b.html#dosing">Dosing</a>' in content


def test_a_page_the_pdf_build_read_first_still_renames_the_navigation(tmp_path: Path) -> None:
    # Saved between the website's Sphinx run and the PDF sources' run (the two share what Sphinx
    # has read): the next build reads nothing new, and must still see the new title.
    root = library(tmp_path)
    build(root)
    page = root / "docs" / "guidelines" / "c.md"
    page.write_text(page.read_text().replace("title: Page c", "title: Renamed"))
    typst_only = (
        "import sys; from pathlib import Path; from guidepress.build import sphinx_build; "
        "from guidepress.validators.config import load_settings; root = Path(sys.argv[1]); "
        "sphinx_build(root, load_settings(root), 'guidepress-typst', "
        "root / '_build/.work/typst', root / '_build/.doctrees')"
    )
    subprocess.run([sys.executable, "-c", typst_only, str(root)], check=True)
    build(root)
    for name in ("a", "b"):
        html = navigation(root / "_build" / "html" / "guidelines" / f"{name}.html")
        assert 'href="c.html">Renamed</a>' in html, name
    assert '"title": "Renamed"' in (root / "_build" / "html" / "catalogue.json").read_text()


def test_a_setting_that_rewrites_every_page_reaches_the_navigation_and_catalogue(
    tmp_path: Path,
) -> None:
    root = library(tmp_path)
    build(root)
    with (root / "conf.py").open("a") as conf:
        conf.write('html_link_suffix = ".htm"\n')
    build(root)
    html = navigation(root / "_build" / "html" / "guidelines" / "a.html")
    assert 'href="b.htm"' in html
    assert 'href="#"' in html  # the page itself still marked current
    assert "guidelines/a.htm" in (root / "_build" / "html" / "catalogue.json").read_text()


def test_a_build_with_no_page_changed_writes_no_page(tmp_path: Path) -> None:
    root = library(tmp_path)
    build(root)
    work = root / "_build" / ".work" / "html"
    before = {**written(root), "catalogue": (work / "catalogue.json").stat().st_mtime_ns}
    (root / "NOTES.txt").write_text("A file no page uses: Sphinx runs, and finds nothing to do.\n")
    build(root)
    after = {**written(root), "catalogue": (work / "catalogue.json").stat().st_mtime_ns}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed <= {"genindex.html", "search.html"}, changed  # Sphinx writes these always


def test_a_removed_page_and_its_files_leave_the_site(tmp_path: Path) -> None:
    root = library(tmp_path)
    figure = root / "docs" / "guidelines" / "flow.png"
    figure.write_bytes(png(2, 2, (10, 120, 200)))
    page = root / "docs" / "guidelines" / "c.md"
    page.write_text(page.read_text() + "\n![The flow](flow.png)\n")
    build(root)
    site = root / "_build" / "html"
    assert (site / "guidelines" / "c.html").is_file()
    assert list((site / "_images").iterdir())
    page.unlink()
    figure.unlink()
    index = root / "docs" / "index.md"
    index.write_text(index.read_text().replace("guidelines/c\n", ""))
    build(root)
    assert not (site / "guidelines" / "c.html").exists()
    assert not (site / "_images").exists() or not list((site / "_images").iterdir())
    assert sorted(os.listdir(site / "pdf")) == ["a-v1.0.pdf", "b-v1.0.pdf"]


def test_an_unchanged_pages_image_stays_and_a_planted_link_is_refused(tmp_path: Path) -> None:
    root = library(tmp_path)
    (root / "docs" / "guidelines" / "flow.png").write_bytes(png(2, 2, (10, 120, 200)))
    page_a = root / "docs" / "guidelines" / "a.md"
    page_a.write_text(page_a.read_text() + "\n![The flow](flow.png)\n")
    build(root)
    site = root / "_build" / "html"
    images = sorted(p.name for p in (site / "_images").iterdir())
    assert images
    page_b = root / "docs" / "guidelines" / "b.md"
    page_b.write_text(page_b.read_text().replace("A statement", "An edited statement"))
    build(root)  # only b is written: a's image stays
    assert sorted(p.name for p in (site / "_images").iterdir()) == images
    # A link planted in the working folder (a committed _build, a poisoned cache) would publish
    # what it points at: the build refuses it.
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET", encoding="utf-8")
    (root / "_build" / ".work" / "html" / "leak.txt").symlink_to(secret)
    refused = run_cli("build", cwd=root)
    assert refused.returncode == 1
    assert "is not a plain file or folder" in refused.stderr
    assert not [p for p in site.rglob("*") if p.is_file() and b"SECRET" in p.read_bytes()]


def test_a_file_changed_with_its_old_time_is_published_changed(tmp_path: Path) -> None:
    # Same size and modification time (cp -p, rsync -a, touch -r): only the bytes tell.
    root = library(tmp_path)
    table = root / "docs" / "guidelines" / "doses.csv"
    table.write_text("dose\n5\n", encoding="utf-8")
    page = root / "docs" / "guidelines" / "a.md"
    page.write_text(page.read_text() + "\n{download}`The doses <doses.csv>`\n")
    build(root)
    before = table.stat()
    table.write_text("dose\n6\n", encoding="utf-8")
    os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    page.write_text(page.read_text().replace("A statement", "An edited statement"))
    build(root)
    published = list((root / "_build" / "html" / "_downloads").rglob("doses.csv"))
    assert [p.read_text(encoding="utf-8") for p in published] == ["dose\n6\n"]


def test_a_build_with_nothing_changed_publishes_nothing_and_any_change_builds_again(
    tmp_path: Path,
) -> None:
    root = library(tmp_path)
    build(root)
    site = root / "_build" / "html"
    folder = site.stat().st_ino  # each build that publishes swaps in a new folder
    again = run_cli("build", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "nothing changed since the last build" in again.stderr
    assert site.stat().st_ino == folder
    # A file outside the pages that the build reads: the next build reads it.
    with (root / "conf.py").open("a") as conf:
        conf.write('html_title = "Retitled library"\n')
    build(root)
    assert site.stat().st_ino != folder
    assert "Retitled library" in (site / "index.html").read_text(encoding="utf-8")
    # A published file removed (or changed) is published again.
    (site / "guidelines" / "b.html").unlink()
    build(root)
    assert "Page b" in (site / "guidelines" / "b.html").read_text(encoding="utf-8")


def test_what_a_build_reads_includes_the_commit_and_the_installed_software(
    tmp_path: Path,
) -> None:
    root = library(tmp_path)
    build_dir = root / "_build"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    first = inputs_digest(root, build_dir, {}, compendium=False)
    # Files in git's own folder and in the build folder are not what a build reads.
    (root / ".git" / "info" / "exclude").write_text("_build/\n")
    (build_dir / "made-by-a-build.txt").parent.mkdir()
    (build_dir / "made-by-a-build.txt").write_text("not an input")
    assert inputs_digest(root, build_dir, {}, compendium=False) == first
    assert inputs_digest(root, build_dir, {}, compendium=True) != first
    git = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "pages"], check=True)
    committed = inputs_digest(root, build_dir, {}, compendium=False)
    assert committed != first  # the commit checked out: change tags come from the history
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "no file changed"], check=True)
    assert inputs_digest(root, build_dir, {}, compendium=False) != committed
    # A folder of any name may hold pages or static files, even one a commit marked as a
    # virtual environment: a change there is a change.
    for folder in (root / "docs" / "node_modules", root / "brand"):
        inside = folder / "page.md"
        inside.parent.mkdir()
        (folder / "pyvenv.cfg").write_text("")
        inside.write_text("# A page\n")
        with_page = inputs_digest(root, build_dir, {}, compendium=False)
        inside.write_text("# A page, edited\n")
        assert inputs_digest(root, build_dir, {}, compendium=False) != with_page
    # Files conf.py points Sphinx at outside the project, or an extension from a folder that
    # is neither installed nor the project's, are not looked at: such a project always builds.
    outside = {"html_static_path": [str(tmp_path.parent)]}
    assert inputs_digest(root, build_dir, outside, compendium=False) is None
    assert inputs_digest(root, build_dir, {"html_theme_path": ["../t"]}, compendium=False) is None
    (tmp_path.parent / "elsewhere_ext.py").write_text("def setup(app): pass\n")
    sys.path.insert(0, str(tmp_path.parent))
    try:
        elsewhere = {"extensions": ["elsewhere_ext"]}
        assert inputs_digest(root, build_dir, elsewhere, compendium=False) is None
    finally:
        sys.path.remove(str(tmp_path.parent))
    installed = {"extensions": ["myst_parser", "sphinx.ext.mathjax"], "html_static_path": ["s"]}
    assert inputs_digest(root, build_dir, installed, compendium=False) is not None
    # A folder linked in from elsewhere: what it holds is not looked at, so always build.
    (root / "docs" / "shared").symlink_to(tmp_path.parent, target_is_directory=True)
    assert inputs_digest(root, build_dir, {}, compendium=False) is None


def test_what_the_index_borrows_from_an_edited_page_is_written_again(tmp_path: Path) -> None:
    root = library(tmp_path)
    (root / "docs" / "guidelines" / "flow.png").write_bytes(png(2, 2, (10, 120, 200)))
    page = root / "docs" / "guidelines" / "a.md"
    figure = (
        "\n```{figure} flow.png\n:name: fig-flow\n:alt: A flow chart\n\n"
        "Flow chart version one\n```\n"
    )
    page.write_text(page.read_text() + figure)
    index = root / "docs" / "index.md"
    index.write_text(index.read_text() + "\nThe key figure: {ref}`fig-flow`.\n")
    build(root)
    site = root / "_build" / "html"
    assert "Flow chart version one" in (site / "index.html").read_text()
    page.write_text(page.read_text().replace("version one", "version two"))
    build(root)
    assert "Flow chart version two" in (site / "index.html").read_text()
