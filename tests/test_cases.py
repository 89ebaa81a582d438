"""Runs every bad-input case in tests/cases/*.yaml through `guidepress validate --format json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from guidepress.cli import main
from guidepress.schemas import (
    Approval,
    ChangeEntry,
    Code,
    Guideline,
    Person,
    Reference,
    Reviewer,
)
from guidepress.schemas.codes import code_named
from guidepress.schemas.recommendation import Recommendation
from tests.conftest import CASES, REGISTRY, TODAY, make_project, valid_page

AREAS = [
    "source",
    "schema",
    "references",
    "review",
    "citations",
    "safety",
    "approvals",
    "identity",
    "recommendations",
    "readability",
]
TESTED_ELSEWHERE = {
    "approval-unverified": "test_proof.py",
    "registry-unverified": "test_proof.py",
    "settings-missing": "test_structure.py",
    "duplicate-page-id": "test_library.py",
    "unreadable-file": "test_library.py",  # a link to nothing, which a case file cannot hold
    "pdf-unsupported": "test_pdf.py",
    "guideline-outside-folder": "test_library.py",
    "approval-by-author": "test_approvals.py",
    "approval-wrong-version": "test_approvals.py",
    "approval-stale": "test_approvals.py",
    "recommendation-removed": "test_recommendations.py",  # needs git history
    "registry-invalid": "test_approvals.py",
}


def load_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for area in AREAS:
        for case in yaml.safe_load((CASES / f"{area}.yaml").read_text(encoding="utf-8")):
            cases.append((area, case))
    return cases


ALL_CASES = load_cases()


def write_case(root: Path, case: dict[str, Any]) -> Path:
    if "text" in case:
        text = case["text"]
    else:
        text = valid_page()
        for old, new in case.get("replace", {}).items():
            assert old in text, f"case {case['name']!r}: {old!r} is not in valid_page.md"
            text = text.replace(old, new, 1)
    if case.get("crlf"):
        text = text.replace("\n", "\r\n")
    if case.get("cr"):
        text = text.replace("\n", "\r")
    if case.get("bom"):
        text = "\ufeff" + text
    make_project(root, {})
    if case.get("registry"):
        (root / "reviewers.yaml").write_text(REGISTRY, encoding="utf-8")
    page = root / "docs" / "guidelines" / "test-page.md"
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_bytes(text.encode(case.get("encoding", "utf-8")))
    files = case.get("files", [])  # files the page shows, below docs/: names, or names and contents
    for name, content in files.items() if isinstance(files, dict) else ((n, None) for n in files):
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        data = content.encode(case.get("file_encoding", "utf-8")) if content else sample_file(name)
        (root / "docs" / name).write_bytes(data)
    return page


def sample_file(name: str) -> bytes:
    """A small file that is what its name says, for cases that only name their files."""
    kinds = {
        ".png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 16,
        ".svg": b"<svg xmlns='http://www.w3.org/2000/svg'><rect width='1' height='1'/></svg>",
        ".pdf": b"%PDF-1.7\n",
        ".txt": b"plain text\n",
    }
    return kinds.get(Path(name).suffix, b"some bytes")


def validate_json(
    root: Path, capsys: pytest.CaptureFixture[str], *paths: str
) -> tuple[int, dict[str, Any]]:
    status = main(
        ["--root", str(root), "validate", "--today", TODAY.isoformat(), "--format", "json", *paths]
    )
    return status, json.loads(capsys.readouterr().out)


def test_valid_page_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_case(tmp_path, {"name": "valid"})
    status, report = validate_json(tmp_path, capsys)
    assert report["diagnostics"] == []
    assert (status, report["pages"]) == (0, 2)


@pytest.mark.parametrize(
    ("area", "case"), ALL_CASES, ids=[f"{a}: {c['name']}" for a, c in ALL_CASES]
)
def test_case(
    area: str,
    case: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = write_case(tmp_path, case)
    monkeypatch.chdir(tmp_path)
    status, report = validate_json(tmp_path, capsys)
    found = report["diagnostics"]
    assert [(d["code"], d["line"]) for d in found] == [
        (e["code"], e["line"]) for e in case["expect"]
    ], found
    for diagnostic, expected in zip(found, case["expect"], strict=True):
        assert expected["says"] in diagnostic["message"], diagnostic
        assert diagnostic["path"] == str(page.relative_to(tmp_path))
        code = code_named(diagnostic["code"])
        assert code is not None, diagnostic
        assert diagnostic["severity"] == code.severity
    errors = any(d["severity"] == "error" for d in found)
    assert status == (1 if errors else 0)


def test_every_schema_field_has_a_bad_input_case() -> None:
    covered = {name for _, case in ALL_CASES for name in case.get("covers", [])}
    models: list[type[BaseModel]] = [
        Guideline,
        Person,
        Reviewer,
        Reference,
        ChangeEntry,
        Approval,
        Recommendation,
    ]
    fields = {f"{m.__name__}.{f}" for m in models for f in m.model_fields if m is not Reviewer}
    fields |= {m.__name__ for m in models}
    assert sorted(fields - covered) == []


def test_every_code_has_a_case() -> None:
    expected = {e["code"] for _, case in ALL_CASES for e in case["expect"]}
    assert sorted(set(Code) - expected - set(TESTED_ELSEWHERE)) == []
