"""pre-commit: other repositories run `guidepress validate` as a hook from this one
(.pre-commit-hooks.yaml), and this repository checks itself before each commit
(.pre-commit-config.yaml)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, make_project, valid_page
from tests.test_approvals import git

PRE_COMMIT = str(Path(sys.executable).parent / "pre-commit")


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [PRE_COMMIT, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False,
        timeout=900,
    )  # fmt: skip


def test_the_hook_manifest_and_this_repositorys_configuration_are_valid(tmp_path: Path) -> None:
    manifest = pre_commit("validate-manifest", ".pre-commit-hooks.yaml", cwd=REPO, home=tmp_path)
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = pre_commit("validate-config", ".pre-commit-config.yaml", cwd=REPO, home=tmp_path)
    assert config.returncode == 0, config.stdout + config.stderr


def test_another_repository_runs_guidepress_validate_from_this_one(tmp_path: Path) -> None:
    # pre-commit installs guidepress from this repository into an environment of its own, as it
    # would from GitHub, and runs the hook on a library: a clean page passes, a broken one fails.
    library = make_project(tmp_path / "library", {"guidelines/p.md": valid_page()})
    git(library, "init", "-q", "-b", "main")
    git(library, "add", "-A")
    home = tmp_path / "pre-commit-home"
    args = ("try-repo", str(REPO), "guidepress-validate", "--all-files")
    passed = pre_commit(*args, cwd=library, home=home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "guidepress validate" in passed.stdout
    page = library / "docs" / "guidelines" / "p.md"
    page.write_text(page.read_text().replace("status: draft", "status: nope"))
    git(library, "add", "-A")
    failed = pre_commit(*args, cwd=library, home=home)
    assert failed.returncode == 1
    assert "[invalid-value]" in failed.stdout
