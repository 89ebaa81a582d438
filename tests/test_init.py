"""`guidepress init`: a new library that validates and builds at once, and never a lost file."""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.test_workflows import assert_valid_workflows

WORKFLOWS = ("pull-request.yml", "approve.yml", "release.yml", "linkcheck.yml")


def files_below(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and "_build" not in path.parts and ".git" not in path.parts
    }


def git(folder: Path, *args: str) -> None:
    identity = ["-c", "user.name=Editor", "-c", "user.email=editor@example.org"]
    subprocess.run(["git", *identity, *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("init") / "cardiology-guidelines"
    result = run_cli("init", str(folder))
    assert result.returncode == 0, result.stderr
    return folder


def test_a_new_library_validates_and_builds_at_once(library: Path) -> None:
    validate = run_cli("validate", "--strict", cwd=library)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    assert "2 page(s) checked, 0 error(s), 0 warning(s)" in validate.stderr
    git(library, "init", "-q")
    git(library, "add", "-A")
    git(library, "commit", "-qm", "A new library")
    build = run_cli("build", cwd=library)
    assert build.returncode == 0, build.stdout + build.stderr
    html = library / "_build" / "html"
    assert "<h1>Cardiology guidelines" in (html / "index.html").read_text(encoding="utf-8")
    page = (html / "guidelines" / "example-guideline.html").read_text(encoding="utf-8")
    assert 'id="document-control"' in page
    assert "This page is draft" in page
    assert (html / "pdf" / "example-guideline-v0.1.pdf").is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=library, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", "the build left files for git to commit: .gitignore misses them"


def test_the_example_page_fails_only_once_it_is_submitted_unapproved(library: Path) -> None:
    # The example is a real draft: the rules apply to it as to any page.
    page = library / "docs" / "guidelines" / "example-guideline.md"
    text = page.read_text(encoding="utf-8")
    try:
        page.write_text(text.replace("status: draft", "status: approved"), encoding="utf-8")
        result = run_cli("validate", cwd=library)
        assert result.returncode == 1
        assert "[approval-missing]" in result.stdout
    finally:
        page.write_text(text, encoding="utf-8")


def test_the_workflows_install_guidepress_as_a_package_and_are_valid(library: Path) -> None:
    workflows = [library / ".github" / "workflows" / name for name in WORKFLOWS]
    for workflow in workflows:
        text = workflow.read_text(encoding="utf-8")
        assert "pip install -r requirements.txt" in text
        assert "pip install -e" not in text
        assert "pip install ." not in text
    requirement = (library / "requirements.txt").read_text(encoding="utf-8").splitlines()[-1]
    assert requirement == f"guidepress=={metadata.version('guidepress')}"
    assert_valid_workflows(workflows)


def test_the_pre_commit_hook_validates_the_library(library: Path, tmp_path: Path) -> None:
    if not (library / ".git").exists():
        git(library, "init", "-q")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # this guidepress
    run = [str(Path(sys.executable).parent / "pre-commit"), "run", "--all-files"]
    result = subprocess.run(run, cwd=library, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "guidepress validate" in result.stdout
    assert "Passed" in result.stdout


def test_init_never_overwrites_a_library(library: Path) -> None:
    before = files_below(library)
    result = run_cli("init", str(library))
    assert result.returncode == 2
    assert "already holds a library" in result.stderr
    assert files_below(library) == before


def test_init_adds_to_files_it_shares_and_keeps_the_others(tmp_path: Path) -> None:
    pyproject = '[project]\nname = "our-docs"\n'
    gitignore = "node_modules/\n_build/"  # no newline at the end
    readme = "# Our documents\n"
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (tmp_path / ".gitignore").write_text(gitignore, encoding="utf-8")
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "pyproject.toml").read_text(encoding="utf-8").startswith(pyproject)
    assert "[tool.guidepress]" in (tmp_path / "pyproject.toml").read_text(encoding="utf-8")
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ignored[:2] == ["node_modules/", "_build/"]
    assert ignored.count("_build/") == 1
    assert ".venv/" in ignored
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == readme
    assert "kept README.md" in result.stderr
    assert run_cli("validate", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("title", "says"),
    [("Forms <b>bold</b>", "holds HTML"), ("Line\u0007bell", "control character")],
)
def test_a_title_with_markup_is_refused_before_anything_is_written(
    tmp_path: Path, title: str, says: str
) -> None:
    result = run_cli("init", str(tmp_path / "lib"), "--title", title)
    assert result.returncode == 2
    assert says in result.stderr
    assert not (tmp_path / "lib").exists() or files_below(tmp_path / "lib") == {}


def test_a_title_is_written_as_data_in_every_file(tmp_path: Path) -> None:
    title = 'Guidelines "quoted" \\ and: colons'
    result = run_cli("init", str(tmp_path), "--title", title)
    assert result.returncode == 0, result.stderr
    assert run_cli("validate", cwd=tmp_path).returncode == 0
    assert runpy.run_path(str(tmp_path / "conf.py"))["project"] == title


def test_a_title_in_any_script_or_with_tokens_is_written_as_is(tmp_path: Path) -> None:
    title = "Cardiologie pédiatrique 🫀 @REQUIREMENT@ @TODAY@"
    result = run_cli("init", str(tmp_path), "--title", title)
    assert result.returncode == 0, result.stderr
    assert run_cli("validate", cwd=tmp_path).returncode == 0
    assert runpy.run_path(str(tmp_path / "conf.py"))["project"] == title
    assert f"title: {json.dumps(title, ensure_ascii=False)}" in (
        tmp_path / "docs" / "index.md"
    ).read_text(encoding="utf-8")


def test_requirements_gain_a_guidepress_line_and_keep_theirs(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests==2.32.0\n", encoding="utf-8")
    spec = "guidepress @ git+https://example.org/guidepress.git@v0.1.0"
    result = run_cli("init", str(tmp_path), "--requirement", spec)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["requests==2.32.0", spec]
    assert "warning" not in result.stderr


@pytest.mark.parametrize("spec", ["requests==2.32.0", "guidepress==1.0\nevil==1", "guide press"])
def test_a_requirement_that_does_not_install_guidepress_is_refused(
    tmp_path: Path, spec: str
) -> None:
    result = run_cli("init", str(tmp_path), "--requirement", spec)
    assert result.returncode == 2
    assert "--requirement" in result.stderr
    assert files_below(tmp_path) == {}


def _outside_links(tmp_path: Path) -> tuple[Path, Path]:
    folder, outside = tmp_path / "lib", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    return folder, outside


@pytest.mark.parametrize("linked", ["docs", ".github", ".gitignore", "pyproject.toml"])
def test_init_writes_nothing_through_a_symbolic_link(tmp_path: Path, linked: str) -> None:
    folder, outside = _outside_links(tmp_path)
    target = outside / "target"
    if linked in (".gitignore", "pyproject.toml"):
        target.write_text("# theirs\n", encoding="utf-8")
    else:
        target.mkdir()
    (folder / linked).symlink_to(target)
    before = files_below(outside)
    result = run_cli("init", str(folder))
    assert result.returncode == 2
    assert "is a symbolic link" in result.stderr
    assert files_below(outside) == before
    assert sorted(path.name for path in folder.iterdir()) == [linked]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda f: (f / "docs").write_text("a file", encoding="utf-8"), "a file where"),
        (lambda f: (f / ".gitignore").write_bytes(b"caf\xe9\n"), "cannot be read as UTF-8"),
        (lambda f: (f / "pyproject.toml").write_text("[project\n"), "cannot read settings"),
        (lambda f: (f / "pyproject.toml").write_text("tool = {x = 1}\n"), "would not be valid"),
    ],
)
def test_init_stops_before_writing_anything(tmp_path: Path, make: Any, says: str) -> None:
    make(tmp_path)
    before = files_below(tmp_path)
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert files_below(tmp_path) == before


def test_init_refuses_a_sphinx_project_and_a_folder_inside_a_library(
    library: Path, tmp_path: Path
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("project = 'theirs'\n", encoding="utf-8")
    result = run_cli("init", str(tmp_path))
    assert result.returncode == 2
    assert "docs/conf.py" in result.stderr
    nested = run_cli("init", str(library / "docs" / "new"))
    assert nested.returncode == 2
    assert "is inside the library at" in nested.stderr
    assert not (library / "docs" / "new").exists()


def test_a_broken_pyproject_stops_every_command_it_would_configure(library: Path) -> None:
    pyproject = library / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    try:
        pyproject.write_text(text + '\n[project]\nname = "unterminated\n', encoding="utf-8")
        result = run_cli("validate", cwd=library / "docs")
        assert result.returncode == 2
        assert "pyproject.toml: cannot read settings" in result.stderr
        sphinx = subprocess.run(
            [sys.executable, "-m", "sphinx", "-q", "-c", str(library), "docs", "_x"],
            capture_output=True, text=True, check=False, cwd=library,
        )  # fmt: skip
        assert sphinx.returncode != 0
        assert "cannot read settings" in sphinx.stderr
    finally:
        pyproject.write_text(text, encoding="utf-8")
