"""Approvals tied to content, in a real git repository: accepted, lapsed by an edit, refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from guidepress.approve import ApprovalRefused, _confirm
from tests.conftest import PAGE, REGISTRY, make_project, run_cli, valid_page
from tests.test_sphinx import sphinx_build


def git(root: Path, *args: str, email: str = "editor@example.org") -> str:
    identity = ["-c", f"user.name={email.split('@')[0]}", "-c", f"user.email={email}"]
    return subprocess.run(
        ["git", *identity, *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def library(tmp_path: Path) -> Path:
    # A page with a comment in its front matter, to show approve keeps the file byte for byte.
    page = valid_page().replace("status: draft", "status: draft  # set to approved once approved")
    make_project(tmp_path, {"guidelines/p.md": page})
    (tmp_path / "reviewers.yaml").write_text(REGISTRY, encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "First draft")
    return tmp_path


def approve(root: Path, reviewer: str) -> subprocess.CompletedProcess[str]:
    """Record an approval without committing it (test_proof.py commits them signed)."""
    return run_cli("approve", PAGE, "--reviewer", reviewer, "--no-commit", cwd=root)


def validate(root: Path) -> subprocess.CompletedProcess[str]:
    return run_cli("validate", cwd=root)


def set_status(root: Path, status: str) -> None:
    page = root / PAGE
    page.write_text(page.read_text().replace("status: draft", f"status: {status}"))


def test_approval_is_accepted_and_keeps_the_file_byte_for_byte(library: Path) -> None:
    before = (library / PAGE).read_text()
    (library / PAGE).chmod(0o664)  # e.g. a checkout an editorial team shares
    result = approve(library, "Example Reviewer")
    assert result.returncode == 0, result.stderr
    assert (library / PAGE).stat().st_mode & 0o777 == 0o664  # and its permissions
    after = (library / PAGE).read_text()
    added = after.replace(before.split("\n---\n")[0], "", 1)
    assert after.startswith(before.split("\n---\n")[0])  # everything before the record is untouched
    assert 'approvals:\n  - reviewer: "Example Reviewer"' in added
    assert after.endswith(before.split("\n---\n", 1)[1])  # and so is the body
    set_status(library, "approved")  # status is not signed: approving first, then publishing, works
    assert validate(library).returncode == 0, validate(library).stdout
    git(library, "commit", "-qam", "Approve p", email="reviewer@example.org")


def test_edit_after_approval_is_detected(library: Path) -> None:
    approve(library, "Example Reviewer")
    set_status(library, "approved")
    page = library / PAGE
    page.write_text(page.read_text().replace("A statement", "A changed statement"))
    result = validate(library)
    assert result.returncode == 1
    assert (
        "[approval-stale] approvals[0].digest" not in result.stdout
    )  # the message is the reviewer's, not a path
    assert "Example Reviewer's approval of version 1.0" in result.stdout
    assert "has lapsed: the page has changed since it was approved" in result.stdout
    assert (
        "[approval-missing] status is approved but the page has 0 valid approval(s)"
        in result.stdout
    )


def test_a_lapsed_approval_names_what_changed_since(library: Path) -> None:
    approve(library, "Example Reviewer")
    git(library, "commit", "-qam", "Approve p", email="reviewer@example.org")
    page = library / PAGE
    text = (
        page.read_text()
        .replace("A statement", "A changed statement")
        .replace("No external funding.", "A grant.")
    )
    page.write_text(
        text + "\n```text\n## not a heading, in a code block\n```\n\n## Added section\n\nMore.\n"
    )
    result = validate(library)
    assert result.returncode == 1
    assert (
        'what changed: `funding`, the section "Section", the section "Added section"'
        in result.stdout
    )


def test_reformatting_the_front_matter_keeps_the_approval(library: Path) -> None:
    approve(library, "Example Reviewer")
    page = library / PAGE
    page.write_text(
        page.read_text().replace("audience: [Testers]", "audience:\n  - Testers  # same value")
    )
    assert validate(library).returncode == 0


def test_unknown_reviewer_is_refused(library: Path) -> None:
    result = approve(library, "Someone Else")
    assert result.returncode == 1
    assert "Someone Else is not in the reviewer registry (reviewers.yaml)" in result.stderr
    page = library / PAGE
    record = (
        "\napprovals:\n  - reviewer: Someone Else\n    role: X\n    date: 2026-01-10\n    "
        'version: "1.0"\n    digest: sha256:' + "0" * 64
    )
    page.write_text(page.read_text().replace("\n---\n\n## Section", record + "\n---\n\n## Section"))
    assert (
        "[approval-unknown-reviewer] Someone Else's approval of version 1.0 (2026-01-10) does not "
        "count" in validate(library).stdout
    )


def test_self_approval_is_refused(library: Path) -> None:
    result = approve(library, "Example Author")
    assert result.returncode == 1
    assert "Example Author is an author of this page and cannot approve it" in result.stderr


def test_approval_of_another_version_is_refused(library: Path) -> None:
    approve(library, "Example Reviewer")
    page = library / PAGE
    text = page.read_text().replace('version: "1.0"\nstatus', 'version: "1.1"\nstatus', 1)
    page.write_text(
        text.replace(
            "change_history:\n",
            'change_history:\n  - version: "1.1"\n    date: 2026-01-10\n    summary: Second.\n',
        )
    )
    result = validate(library)
    assert "[approval-wrong-version] Example Reviewer's approval of version 1.0" in result.stdout
    assert "is for another version: the page is now version 1.1" in result.stdout
    assert (
        "while version 1.1 is still draft, delete this approval" in result.stdout
    )  # the editor's way out
    assert (
        approve(library, "Example Reviewer").returncode == 0
    )  # a new approval replaces the old record
    assert (library / PAGE).read_text().count("- reviewer:") == 1
    assert validate(library).returncode == 0


def test_approving_a_new_version_removes_approvals_of_earlier_ones(library: Path) -> None:
    # Two reviewers approve 1.0; version 1.1 is approved by the second alone. The first's approval
    # of 1.0 must not block 1.1 forever: approving 1.1 removes it, leaving git to keep it.
    (library / "reviewers.yaml").write_text(
        REGISTRY + "  - name: Second Reviewer\n    role: Consultant (placeholder)\n"
        "    git_email: second@example.org\n",
        encoding="utf-8",
    )
    assert approve(library, "Example Reviewer").returncode == 0
    assert approve(library, "Second Reviewer").returncode == 0
    page = library / PAGE
    text = page.read_text().replace('version: "1.0"\nstatus', 'version: "1.1"\nstatus', 1)
    page.write_text(
        text.replace(
            "change_history:\n",
            'change_history:\n  - version: "1.1"\n    date: 2026-01-10\n    summary: Second.\n',
        )
    )
    result = approve(library, "Second Reviewer")
    assert result.returncode == 0, result.stderr
    assert "removed 1 approval(s) of earlier versions" in result.stdout
    front_matter = page.read_text().split("\n---\n")[0]
    assert front_matter.count("- reviewer:") == 1
    assert '- reviewer: "Second Reviewer"' in front_matter
    assert 'version: "1.0"\n    digest' not in front_matter
    set_status(library, "approved")
    assert validate(library).returncode == 0, validate(library).stdout


def test_approving_a_page_with_errors_is_refused(library: Path) -> None:
    page = library / PAGE
    page.write_text(page.read_text().replace("funding: No external funding.\n", ""))
    result = approve(library, "Example Reviewer")
    assert result.returncode == 1
    assert "fix them before approving" in result.stderr
    assert "[missing-field]" in result.stderr
    assert "approvals:" not in page.read_text()


def test_an_inline_approvals_list_is_refused_never_corrupted(library: Path) -> None:
    page = library / PAGE
    digest = "sha256:" + "0" * 64
    inline = (
        "approvals: "
        '[{reviewer: "Example Reviewer", role: "x", date: 2026-01-02, version: "1.0", '
        f"digest: {digest}}}]\n"
    )
    page.write_text(page.read_text().replace("\n---\n", f"\n{inline}---\n", 1))
    before = page.read_bytes()
    result = approve(library, "Example Reviewer")
    assert result.returncode == 1
    assert "`approvals:` is written inline" in result.stderr
    assert "the page is unchanged" in result.stderr
    assert page.read_bytes() == before


def test_an_approval_the_edit_did_not_record_is_never_written() -> None:
    # The safety net behind the text edit: what would be written is read back first.
    text = valid_page()
    with pytest.raises(ApprovalRefused, match="the page is unchanged"):
        _confirm(text, PAGE, "Example Reviewer", "sha256:00", {})


def test_only_guideline_pages_can_be_approved(library: Path) -> None:
    index = library / "docs" / "index.md"
    before = index.read_bytes()
    result = run_cli("approve", "docs/index.md", "--reviewer", "Example Reviewer", cwd=library)
    assert result.returncode == 2
    assert (
        "docs/index.md is not a guideline page: only pages under docs/guidelines/ have"
        in result.stderr
    )
    assert index.read_bytes() == before


def test_approving_a_page_reached_by_a_symbolic_link_writes_the_page_itself(library: Path) -> None:
    page = library / PAGE
    link = library / "docs/guidelines/link.md"
    link.symlink_to(page.name)
    assert (
        run_cli(
            "approve",
            "docs/guidelines/link.md",
            "--reviewer",
            "Example Reviewer",
            "--no-commit",
            cwd=library,
        ).returncode
        == 0
    )
    assert link.is_symlink()
    assert "digest: sha256:" in page.read_text()


def test_diff_of_a_page_without_document_control_says_so(library: Path) -> None:
    result = run_cli("diff", "docs/index.md", cwd=library)
    assert result.returncode == 2
    assert "docs/index.md is not a guideline page" in result.stderr
    assert "[no-front-matter]" not in result.stderr


def test_approved_status_needs_the_configured_number(library: Path) -> None:
    with (library / "pyproject.toml").open("a") as settings:
        settings.write("required_approvals = { guideline = 2, patient-info = 1 }\n")
    approve(library, "Example Reviewer")
    set_status(library, "approved")
    said = validate(library).stdout
    assert "has 1 valid approval(s) of version 1.0 for that status; it needs 2" in said


def test_a_broken_registry_is_located(library: Path) -> None:
    (library / "reviewers.yaml").write_text(
        "reviewers:\n  - name: X\n    role: Y\n    git_emial: x@example.org\n"
    )
    result = validate(library)
    assert (
        "reviewers.yaml:4:5: error: [registry-invalid] unknown field `reviewers[0].git_emial`; "
        "did you mean `git_email`?" in result.stdout
    )


def test_diff_shows_what_changed_since_the_last_approved_version(library: Path) -> None:
    approve(library, "Example Reviewer")
    set_status(library, "approved")
    git(library, "commit", "-qam", "Approve p", email="reviewer@example.org")
    page = library / PAGE
    page.write_text(page.read_text().replace("A statement", "A changed statement"))
    result = run_cli("diff", PAGE, cwd=library)
    assert result.returncode == 0, result.stderr
    assert "(version 1.0, approved (commit" in result.stdout
    assert "-A statement {cite}`web`" in result.stdout
    assert "+A changed statement {cite}`web`" in result.stdout
    missing = run_cli("diff", PAGE, "--from", "0.9", cwd=library)
    assert missing.returncode == 1
    assert "no approved version 0.9" in missing.stderr


def test_diff_outside_git_says_so(tmp_path: Path) -> None:
    make_project(tmp_path, {"guidelines/p.md": valid_page()})  # not a git repository
    result = run_cli("diff", PAGE, cwd=tmp_path)
    assert result.returncode == 1
    assert "is not in a git repository" in result.stderr
    assert "Traceback" not in result.stderr


def png(content: bytes) -> bytes:
    """Bytes a PNG starts with, then `content`: a picture to guidepress's checks of files."""
    return b"\x89PNG\r\n\x1a\n" + content


def add_figure(root: Path, picture: bytes) -> None:
    """Give the page a figure, shown from the page's folder, and a download, named from the root."""
    (root / "docs/guidelines/pathway.png").write_bytes(png(picture))
    (root / "docs/leaflet.txt").write_text("Leaflet, first edition\n")
    page = root / PAGE
    page.write_text(
        page.read_text()
        + "\n![The care pathway](pathway.png)\n\n{download}`Leaflet </leaflet.txt>`\n"
    )


def test_replacing_a_file_the_page_shows_lapses_the_approval(library: Path) -> None:
    add_figure(library, b"first picture")
    assert approve(library, "Example Reviewer").returncode == 0
    set_status(library, "approved")
    assert validate(library).returncode == 0, validate(library).stdout
    git(library, "add", "-A")
    git(library, "commit", "-qm", "Approve p with its figure", email="reviewer@example.org")
    # The page's text is unchanged.
    (library / "docs/guidelines/pathway.png").write_bytes(png(b"another picture"))
    result = validate(library)
    assert result.returncode == 1
    assert "[approval-stale]" in result.stdout
    assert (
        "has lapsed: the page or a file it shows has changed since it was approved" in result.stdout
    )
    assert "what changed: file guidelines/pathway.png" in result.stdout
    diff = run_cli("diff", PAGE, cwd=library)
    assert diff.returncode == 0, diff.stderr
    assert "-file guidelines/pathway.png: sha256:" in diff.stdout
    assert "+file guidelines/pathway.png: sha256:" in diff.stdout
    assert "-file leaflet.txt" not in diff.stdout
    assert "+file leaflet.txt" not in diff.stdout
    (library / "docs/guidelines/pathway.png").write_bytes(png(b"first picture"))  # put back
    assert validate(library).returncode == 0  # approved again
    (library / "docs/leaflet.txt").write_text("Leaflet, second edition\n")  # a download is signed

    assert "[approval-stale]" in validate(library).stdout


@pytest.mark.parametrize(
    "markup",
    [
        "```{note} ![The care pathway](pathway.png)\nSee the pathway.\n```",
        "```{admonition} The pathway ![The care pathway](pathway.png)\nSee it.\n```",
        (
            "```{csv-table}\n:header: Step, Picture\n\n"
            'Referral, "![The care pathway](pathway.png)"\n```'
        ),
        "```{figure} pathway.png\n---\nalt: The care pathway\n---\n```",
    ],
    ids=["note's first line", "admonition title", "CSV table cell", "YAML options"],
)
def test_a_file_named_wherever_myst_reads_markup_is_signed(library: Path, markup: str) -> None:
    (library / "docs/guidelines/pathway.png").write_bytes(png(b"first picture"))
    page = library / PAGE
    page.write_text(page.read_text() + f"\n{markup}\n")
    assert approve(library, "Example Reviewer").returncode == 0
    assert validate(library).returncode == 0, validate(library).stdout
    (library / "docs/guidelines/pathway.png").write_bytes(png(b"another picture"))
    result = validate(library)
    assert "[approval-stale]" in result.stdout, result.stdout


def test_approving_a_page_whose_file_is_missing_is_refused(library: Path) -> None:
    add_figure(library, b"picture")
    (library / "docs/guidelines/pathway.png").unlink()
    result = approve(library, "Example Reviewer")
    assert result.returncode == 1
    assert "the page has errors" in result.stderr
    assert (
        "[missing-file] the image path 'pathway.png' names guidelines/pathway.png, which does not "
        "exist" in result.stderr
    )
    assert "approvals:" not in (library / PAGE).read_text()


def test_sphinx_rereads_a_page_whose_figure_changed_and_finds_the_approval_lapsed(
    library: Path,
) -> None:
    add_figure(library, b"first picture")
    approve(library, "Example Reviewer")
    set_status(library, "approved")
    first = sphinx_build(library)
    assert first.returncode == 0, first.stderr
    assert "approval" not in first.stderr
    (library / "docs/guidelines/pathway.png").write_bytes(png(b"another picture"))
    again = sphinx_build(library)  # incremental: only the figure changed, not the page
    assert "[guidepress.approval-stale]" in again.stderr
    assert "p.md:" in again.stderr
