"""The JSON Schema for editors' tools (schemas/guideline.schema.json) is the models', kept in
step, and agrees with validate on real pages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO, run_cli

SCHEMA = REPO / "schemas" / "guideline.schema.json"
BIN = Path(sys.executable).parent


def test_the_committed_schema_is_the_models() -> None:
    printed = run_cli("schema", cwd=REPO)
    assert printed.returncode == 0, printed.stderr
    assert SCHEMA.read_text(encoding="utf-8") == printed.stdout, (
        "schemas/guideline.schema.json is out of date: guidepress schema > "
        "schemas/guideline.schema.json"
    )


def front_matter(page: Path) -> object:
    text = page.read_text(encoding="utf-8")
    return yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))


def check(instances: list[Path]) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *map(str, instances)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_the_sample_guidelines_meet_the_schema_and_a_bad_page_does_not(tmp_path: Path) -> None:
    pages = sorted((REPO / "docs" / "guidelines").glob("*.md"))
    instances = []
    for page in pages:  # dates as YAML reads them are the schema's "date" strings
        instance = tmp_path / f"{page.stem}.json"
        instance.write_text(json.dumps(front_matter(page), default=str), encoding="utf-8")
        instances.append(instance)
    result = check(instances)
    assert result.returncode == 0, result.stdout + result.stderr
    bad = json.loads(instances[0].read_text(encoding="utf-8"))
    bad.update({"version": "one", "status": "published"})
    del bad["references"]
    wrong = tmp_path / "bad.json"
    wrong.write_text(json.dumps(bad), encoding="utf-8")
    result = check([wrong])
    assert result.returncode == 1
    for said in ("'one' does not match", "'published' is not one of", "'references' is a required"):
        assert said in result.stdout, result.stdout
