"""The Sphinx extension on tiny real projects: warnings, -W, safety, rendering."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import make_project, valid_page

OVERDUE = valid_page().replace("review_date: 2026-01-10", "review_date: 2023-01-10").replace(
    "next_review_date: 2027-01-10", "next_review_date: 2024-01-10"
)


def sphinx_build(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(root), "-q", "--no-color",
               *options, str(root / "docs"), str(root / "_build" / "html")]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_problems_are_located_warnings_with_type_and_subtype(tmp_path: Path) -> None:
    bad = valid_page().replace('version: "1.0"', "version: 2.10").replace("{cite}`web`", "{cite}`nope`")
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
    assert f"{tmp_path / 'docs/guidelines/b.md'}:1: WARNING: error: id 'test-page' is already used" in result.stderr


def test_unsafe_pages_are_refused_and_never_published(tmp_path: Path) -> None:
    script = "<script>alert('pwned')</script>"
    guideline = valid_page().replace("A statement", f"A {script} statement")
    plain = f"# About\n\n<div onclick=\"alert('pwned')\">x</div>\n\n```{{raw}} html\n{script}\n```\n"
    make_project(tmp_path, {"guidelines/p.md": guideline, "about.md": plain})
    result = sphinx_build(tmp_path)
    assert "[guidepress.unsafe-content]" in result.stderr
    assert f"{tmp_path / 'docs/about.md'}:3: WARNING: error: raw HTML is not allowed" in result.stderr
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
