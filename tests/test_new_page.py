"""`guidepress new`: a page skeleton that validate faults only for what its editor must write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_project, run_cli, valid_page

PLACEHOLDERS = {
    "summary": "summary: What the page covers.",
    "audience": "audience: [Clinicians of the service]",
    "authors": "authors:\n  - name: Example Author\n    role: Author",
    "reviewers": "reviewers:\n  - name: Example Reviewer\n    role: Consultant",
    "references": (
        "references:\n  - id: source\n    title: A source\n    url: https://example.org/\n"
        "    accessed: 2026-01-05"
    ),
    "conflicts_of_interest": "conflicts_of_interest: None declared.",
    "funding": "funding: None.",
    "feedback_contact": "feedback_contact: guidelines@example.org",
}


@pytest.mark.parametrize("page_type", ["guideline", "patient-info"])
def test_a_new_page_fails_validation_only_on_its_placeholders(
    tmp_path: Path, page_type: str
) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})
    made = run_cli("new", "Day surgery: what to expect", "--type", page_type, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    page = tmp_path / "docs" / "guidelines" / "day-surgery-what-to-expect.md"
    assert made.stdout.strip() == "docs/guidelines/day-surgery-what-to-expect.md"
    result = run_cli("validate", "--format", "json", str(page), cwd=tmp_path)
    found = json.loads(result.stdout)["diagnostics"]
    assert {d["code"] for d in found} == {"missing-field"}, found
    named = {d["message"].split("`")[1] for d in found}
    assert named == set(PLACEHOLDERS)
    text = page.read_text(encoding="utf-8")
    assert f"type: {page_type}" in text
    for key, filled in PLACEHOLDERS.items():  # filled in, the page is valid
        text = text.replace(f"\n{key}:\n", f"\n{filled}\n", 1)
    page.write_text(text, encoding="utf-8")
    result = run_cli("validate", str(page), cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_new_never_overwrites_and_refuses_an_id_in_use(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})  # id: test-page
    taken = run_cli("new", "Test page", cwd=tmp_path)
    assert taken.returncode == 2
    assert "the id 'test-page' is already used by docs/guidelines/p.md" in taken.stderr
    other = tmp_path / "docs" / "guidelines" / "notes.md"
    other.write_text("kept", encoding="utf-8")
    clash = run_cli("new", "Notes", cwd=tmp_path)
    assert clash.returncode == 2
    assert "already exists; guidepress new never overwrites a file" in clash.stderr
    assert other.read_text(encoding="utf-8") == "kept"
    nameless = run_cli("new", "???", cwd=tmp_path)
    assert nameless.returncode == 2
    assert "give one with --id" in nameless.stderr
    assert "Traceback" not in taken.stderr + clash.stderr + nameless.stderr
