"""The GitHub workflows guidepress ships, its own and those `guidepress init` writes, are valid
(GitHub's workflow schema, vendored by check-jsonschema) and pass the GitHub Actions security
linter zizmor: actions pinned to commits, no credentials left in the checkout, no template
expansion inside scripts. Both tools run offline."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

BIN = Path(sys.executable).parent


def assert_valid_workflows(workflows: list[Path]) -> None:
    assert workflows
    schema = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *workflows],
        capture_output=True,
        text=True,
        check=False,
    )
    assert schema.returncode == 0, schema.stdout + schema.stderr
    audit = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", *workflows],
        capture_output=True,
        text=True,
        check=False,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_the_projects_own_workflows_are_valid() -> None:
    assert_valid_workflows(sorted((REPO / ".github" / "workflows").glob("*.yml")))


def test_the_workflows_init_writes_are_valid() -> None:
    templates = REPO / "guidepress" / "templates" / "library" / "github" / "workflows"
    assert_valid_workflows(sorted(templates.glob("*.yml")))
