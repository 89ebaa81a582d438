"""The layout other teams rely on: one import name, imports that run one way, one extension name,
settings found the same way by the command line and by sphinx-build."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, make_project, valid_page

# What each folder may import from guidepress: schemas <- validators <- the rest.
ALLOWED = {
    "schemas": ("guidepress.schemas",),
    "validators": ("guidepress.schemas", "guidepress.validators"),
}


def guidepress_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] == "guidepress"]
    return found


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_imports_run_one_way(folder: str) -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in sorted((REPO / folder).glob("*.py"))
        for line, name in guidepress_imports(path)
        if not name.startswith(ALLOWED[folder])
    ]
    assert wrong == []


@pytest.mark.parametrize("name", ["schemas", "validators"])
def test_a_folder_cannot_be_imported_under_its_own_name(name: str) -> None:
    # Run from the checkout, where the folder is on sys.path: it still installs under guidepress.
    code = f"import {name}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert f"ImportError: import guidepress.{name}, not {name}" in result.stderr


def test_sphinx_warnings_are_made_in_one_place() -> None:
    calls = [
        f"{path.relative_to(REPO)}:{number}"
        for folder in ("guidepress", "validators")
        for path in sorted((REPO / folder).glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "logger.warning(" in line
    ]
    assert calls == [f"validators/sphinx_adapter.py:{_log_line()}"]


def _log_line() -> int:
    text = (REPO / "validators" / "sphinx_adapter.py").read_text(encoding="utf-8")
    return next(n for n, line in enumerate(text.splitlines(), 1) if "logger.warning(" in line)


def sphinx_build(source: Path, *options: str) -> subprocess.CompletedProcess[str]:
    out = source.parent / "_build" / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", *options, str(source), str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_sphinx_build_finds_the_settings_above_conf_py(tmp_path: Path) -> None:
    # conf.py beside the pages (Sphinx's default layout), the settings at the project's top, and a
    # guidelines folder written with ./: the pages are guidelines to sphinx-build as to the CLI.
    make_project(tmp_path, {"guides/p.md": valid_page()}, settings='guidelines_dir = "./guides"')
    (tmp_path / "conf.py").rename(tmp_path / "docs" / "conf.py")
    result = sphinx_build(tmp_path / "docs", "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "_build" / "html" / "guides" / "p.html").read_text(encoding="utf-8")
    assert 'id="document-control"' in html
    validate = subprocess.run(
        [sys.executable, "-m", "guidepress", "validate", "--today", "2026-06-01"],
        cwd=tmp_path / "docs",
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stdout + validate.stderr


def test_sphinx_build_says_when_there_are_no_settings(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    (tmp_path / "pyproject.toml").unlink()
    result = sphinx_build(tmp_path / "docs", "-c", str(tmp_path))
    assert "[guidepress.settings-missing]" in result.stderr
    assert f"{tmp_path / 'conf.py'}:1: WARNING: warning: no pyproject.toml" in result.stderr
    assert sphinx_build(tmp_path / "docs", "-c", str(tmp_path), "-W", "-E").returncode != 0


def test_one_extension_name_sets_up_myst_too(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    conf = (tmp_path / "conf.py").read_text(encoding="utf-8")
    assert 'extensions = ["guidepress"]' in conf
    assert "myst" not in conf
    result = sphinx_build(tmp_path / "docs", "-c", str(tmp_path), "-W")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "_build" / "html" / "guidelines" / "p.html").read_text(encoding="utf-8")
    assert "<h1>Test page" in html  # the front matter's title, made the heading by MyST
