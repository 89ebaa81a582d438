"""Library rules: checks across pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import TODAY, make_project, run_cli, valid_page


def test_duplicate_page_id(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/a.md": valid_page(), "guidelines/b.md": valid_page()})
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        (
            "docs/guidelines/b.md:2:1: error: [duplicate-page-id] id 'test-page' is already used "
            "by "
            "docs/guidelines/a.md; give this page its own id"
        )
    ]


def test_a_missing_image_is_reported_on_any_page(tmp_path: Path) -> None:
    make_project(tmp_path, {"top.md": "# Top\n\n![diagram](figures/d.png)\n"})
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    assert (
        "docs/top.md:3:1: error: [missing-file] the image path 'figures/d.png' names figures/d.png"
        in result.stdout
    )


def test_image_path_is_judged_from_the_page_folder(tmp_path: Path) -> None:
    body = "\n![diagram](../_static/d.png)\n"
    make_project(tmp_path, {"guidelines/a.md": valid_page() + body, "top.md": "# Top\n" + body})
    (tmp_path / "docs/_static").mkdir()
    (tmp_path / "docs/_static/d.png").write_bytes(b"\x89PNG\r\n\x1a\nimage data")
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    # From guidelines/ the path stays inside docs/; from the top-level page it escapes.
    assert result.stdout.splitlines() == [
        (
            "docs/top.md:3:1: error: [unsafe-content] the image path '../_static/d.png' points "
            "outside the library folder; the page is refused"
        )
    ]


def outside_links(root: Path) -> Path:
    """A library whose links lead out of docs/: a page, a folder of pages and an image."""
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.md").write_text("# Secret\n\nCONTENTS OF A FILE OUTSIDE THE LIBRARY\n")
    (outside / "secret.png").write_bytes(b"SECRET IMAGE BYTES")
    library = make_project(
        root / "library",
        {"guidelines/a.md": valid_page() + "\n![A diagram](d.png)\n", "about.md": "# About\n"},
    )
    docs = library / "docs"
    (docs / "notes.md").symlink_to(outside / "secret.md")
    (docs / "more").symlink_to(outside, target_is_directory=True)
    (docs / "guidelines" / "d.png").symlink_to(outside / "secret.png")
    (docs / "same.md").symlink_to(docs / "about.md")  # a link inside the library is harmless
    (docs / "gone.md").symlink_to(docs / "deleted.md")  # a link to nothing
    with (docs / "index.md").open("a") as index:
        index.write("\n```{toctree}\nnotes\nmore/secret\nsame\nabout\n```\n")
    return library


def test_links_out_of_the_library_are_refused_never_read(tmp_path: Path) -> None:
    library = outside_links(tmp_path)
    (library / "docs" / "guidelines" / "up").symlink_to(
        library / "docs", target_is_directory=True
    )  # a loop: not walked
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=library)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    outside = (tmp_path / "outside").resolve()
    assert (
        "docs/notes.md:1:1: error: [unsafe-content] this page is a symbolic link (or in a linked "
        f"folder) to {outside}/secret.md, outside the library's source folder; keep the page "
        "itself in the library; the page is refused" in lines
    )
    assert any(
        line.startswith(
            "docs/more/secret.md:1:1: error: [unsafe-content] this page is a symbolic link (or "
            f"in a linked folder) to {outside}/secret.md"
        )
        for line in lines
    )
    assert any(
        line.startswith(
            "docs/guidelines/a.md:44:1: error: [unsafe-content] the image path 'd.png' names "
            "guidelines/d.png, reached through the symbolic link guidelines/d.png"
        )
        for line in lines
    )
    assert (
        "docs/gone.md:1:1: error: [unreadable-file] cannot read the file: No such file or "
        "directory; fix its permissions or the link it is, or remove it" in lines
    )
    assert len(lines) == 4, lines  # same.md, and the loop walked once, are not problems
    assert "SECRET" not in result.stdout + result.stderr


def test_parallel_check_reports_exactly_what_a_serial_one_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from guidepress.schemas import Settings
    from guidepress.validators import library
    from guidepress.validators.pipeline import Checks, Layout

    pages = {
        f"guidelines/p{n}.md": valid_page().replace("id: test-page", f"id: p{n % 5}")
        for n in range(12)
    }
    pages["guidelines/bad.md"] = valid_page().replace("status: draft", "status: nope")
    make_project(tmp_path, pages)
    monkeypatch.chdir(tmp_path)
    checks = Checks(Layout.of(tmp_path, Settings()), TODAY, registry=None)
    serial = library.check_library([tmp_path / "docs"], checks)
    monkeypatch.setattr(library, "PARALLEL_FROM", 2)
    parallel = library.check_library([tmp_path / "docs"], checks)
    assert parallel.diagnostics == serial.diagnostics
    assert len([d for d in serial.diagnostics if d.code == "duplicate-page-id"]) == 7


def test_pages_outside_the_guidelines_may_not_reconfigure_the_parser(tmp_path: Path) -> None:
    about = "---\norphan: true\nmyst:\n  enable_extensions: [html_image]\n---\n# About\n"
    make_project(tmp_path, {"about.md": about, "news.md": "---\ntitle: News *today*\n---\nText.\n"})
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "docs/about.md:3:1: error: [unsafe-content] `myst` is not allowed in front matter"
    )
    assert lines[1].startswith("docs/news.md:2:1: error: [title-markup] the title holds emphasis")
    assert len(lines) == 2  # orphan, a key Sphinx reads, is fine


def test_a_guideline_outside_the_guidelines_folder_is_an_error(tmp_path: Path) -> None:
    # Elsewhere it would be published as a plain page: no document control, approvals or PDF.
    make_project(
        tmp_path,
        {"treatment.md": valid_page(), "about.md": "---\norphan: true\ntitle: About\n---\nText.\n"},
    )
    result = run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path)
    assert result.returncode == 1
    status_line = valid_page().splitlines().index("status: draft") + 1
    assert result.stdout.splitlines() == [
        (
            f"docs/treatment.md:{status_line}:1: error: [guideline-outside-folder] this page has "
            "a guideline's document "
            "control (`status`, `reviewers`, `review_date`, `next_review_date`) but is not under "
            "docs/guidelines/, so it would be published without its document control, approvals "
            "check or PDF; "
            "move it into docs/guidelines/"
        )
    ]
