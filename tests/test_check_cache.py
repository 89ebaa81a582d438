"""The editor's builds reuse the library check of pages unchanged since, and nothing else."""

from __future__ import annotations

import pickle
from datetime import timedelta
from pathlib import Path

import pytest

from guidepress.check_cache import CACHE_FILE, CheckCache
from guidepress.validators import library, pipeline
from guidepress.validators.config import Library, load_registry
from guidepress.validators.pipeline import Checks, Layout
from tests.conftest import REGISTRY, TODAY, in_git, make_project, run_cli, valid_page
from tests.test_pdf import png


@pytest.fixture
def checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages the library check really checks (not taken from the cache), run by run."""
    seen: list[str] = []
    check_page = pipeline.check_page

    def counting(path: str, *args: object, **kwargs: object) -> object:
        seen.append(Path(path).name)
        return check_page(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(library, "check_page", counting)
    monkeypatch.chdir(tmp_path)
    return seen


def check(root: Path, today: object = TODAY) -> library.Report:
    settings = Library.at(root).settings
    registry, _ = load_registry(root, settings)
    checks = Checks(Layout.of(root, settings), today, registry)  # type: ignore[arg-type]
    cache = CheckCache(root / "_build" / CACHE_FILE, checks)
    return library.check_library([root / "docs"], checks, cache)


def pages(count: int) -> dict[str, str]:
    return {
        f"guidelines/p{n}.md": valid_page().replace("id: test-page", f"id: p{n}")
        for n in range(count)
    }


def test_only_an_edited_page_is_checked_again(tmp_path: Path, checked: list[str]) -> None:
    make_project(tmp_path, pages(3))
    first = check(tmp_path)
    assert sorted(checked) == ["index.md", "p0.md", "p1.md", "p2.md"]
    checked.clear()
    again = check(tmp_path)
    assert checked == []
    assert again.diagnostics == first.diagnostics
    assert again.ids == first.ids
    page = tmp_path / "docs" / "guidelines" / "p1.md"
    page.write_text(page.read_text().replace("status: draft", "status: nope"))
    edited = check(tmp_path)
    assert checked == ["p1.md"]
    assert [d.code for d in edited.diagnostics] == ["invalid-value"]
    page.write_text(page.read_text().replace("status: nope", "status: draft"))
    assert check(tmp_path).diagnostics == first.diagnostics


def test_a_page_naming_a_file_is_checked_every_time(tmp_path: Path, checked: list[str]) -> None:
    named = pages(2)
    named["guidelines/p0.md"] += "\n![The flow](flow.png)\n"
    make_project(tmp_path, named)
    figure = tmp_path / "docs" / "guidelines" / "flow.png"
    figure.write_bytes(png(2, 2, (10, 120, 200)))
    assert check(tmp_path).diagnostics == []
    checked.clear()
    figure.write_bytes(b"<svg onload='alert(1)'></svg>")  # the page's text is unchanged
    codes = [d.code for d in check(tmp_path).diagnostics]
    assert checked == ["p0.md"]
    assert codes == ["unsafe-content"]


def test_a_new_day_settings_or_registry_checks_every_page_again(
    tmp_path: Path, checked: list[str]
) -> None:
    make_project(tmp_path, pages(2))
    check(tmp_path)
    checked.clear()
    check(tmp_path, TODAY + timedelta(days=1))
    assert len(checked) == 3, "a new day"
    checked.clear()
    (tmp_path / "reviewers.yaml").write_text(REGISTRY)
    check(tmp_path)
    assert len(checked) == 3, "a new registry"
    checked.clear()
    (tmp_path / "pyproject.toml").write_text("[tool.guidepress]\nmax_reading_grade = 12\n")
    check(tmp_path)
    assert len(checked) == 3, "new settings"


def test_a_page_replaced_by_a_link_out_is_refused_not_taken_from_the_cache(
    tmp_path: Path, checked: list[str]
) -> None:
    make_project(tmp_path / "library", pages(1))
    root = tmp_path / "library"
    assert check(root).diagnostics == []
    page = root / "docs" / "guidelines" / "p0.md"
    outside = tmp_path / "outside.md"
    outside.write_text(page.read_text())  # the same text, now outside the library
    page.unlink()
    page.symlink_to(outside)
    codes = [d.code for d in check(root).diagnostics]
    assert codes == ["unsafe-content"]


def test_a_damaged_cache_is_ignored(tmp_path: Path, checked: list[str]) -> None:
    make_project(tmp_path, pages(1))
    check(tmp_path)
    (tmp_path / "_build" / CACHE_FILE).write_bytes(b"not a pickle")
    checked.clear()
    assert check(tmp_path).diagnostics == []
    assert len(checked) == 2


def test_validate_never_uses_or_leaves_a_cache(tmp_path: Path) -> None:
    make_project(tmp_path, pages(1))
    assert run_cli("validate", "--today", TODAY.isoformat(), cwd=tmp_path).returncode == 0
    assert not (tmp_path / "_build" / CACHE_FILE).exists()


class Planted:
    """A pickle that, loaded, leaves a file: what someone could commit as a cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))


def test_a_build_folder_brought_by_a_commit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    root = make_project(tmp_path / "library", pages(1))
    marker = tmp_path / "ran"
    (root / "_build").mkdir()
    (root / "_build" / CACHE_FILE).write_bytes(pickle.dumps(Planted(marker)))
    in_git(root)  # the library's own .gitignore would keep it out: this commit forces it in
    for command in (["build"], ["serve", "--port", "0"]):
        result = run_cli(*command, cwd=root)
        assert result.returncode != 0, command
        assert f"_build holds files git tracks (_build/{CACHE_FILE}, …)" in result.stderr
        assert "Traceback" not in result.stderr
    assert not marker.exists()
    assert not (root / "_build" / "html").exists()
