"""Versioned, immutable releases: structure, refusals, interruption, concurrency (the switcher and
banner are exercised in a browser by test_browser)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pypdf
import pytest
import yaml

from tests.conftest import (
    CASES,
    PAGE,
    in_git,
    make_project,
    registry_with_keys,
    run_cli,
    sign_as,
    valid_page,
)
from tests.test_approvals import git


def tree(folder: Path) -> dict[str, str]:
    """SHA-256 of every published file (staging folders and the lock file are not published)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and not any(part.startswith((".staging-", ".lock")) for part in p.relative_to(folder).parts)
    }


def release(
    root: Path, version: str, archive: Path, commit: bool = True
) -> subprocess.CompletedProcess[str]:
    """`guidepress release`, of the library as it is now committed (a release is built from git)."""
    if commit:
        commit_all(root)
    return run_cli("release", version, "--archive", str(archive), cwd=root)


def commit_all(root: Path, signed_with: Path | None = None) -> None:
    """Commit everything, into a new repository if there is none (signed with a key when given:
    the first commit is where the chain of trust starts)."""
    if not (root / ".git").exists():
        git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    if git(root, "status", "--porcelain"):
        key = ["-c", "gpg.format=ssh", "-c", f"user.signingkey={signed_with}"]
        config, sign = (key, ["-S"]) if signed_with else ([], [])
        git(root, *config, "commit", "-qm", "The library as it is now", *sign)


def new_version(root: Path, version: str) -> None:
    page = root / PAGE
    text = page.read_text().replace('version: "1.0"\nstatus', f'version: "{version}"\nstatus', 1)
    text = text.replace(
        "change_history:\n",
        f'change_history:\n  - version: "{version}"\n    date: 2026-01-10\n    summary: Revised.\n',
    )
    page.write_text(text.replace("A statement", "A revised statement"))
    assert run_cli("approve", PAGE, "--reviewer", "Example Reviewer", cwd=root).returncode == 0


def test_release_publishes_site_pdfs_checksums_and_versions(approved: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    result = release(approved, "2026.1", archive)
    assert result.returncode == 0, result.stdout + result.stderr
    folder = archive / "2026.1"
    assert (folder / "index.html").is_file()
    assert (folder / "pdf" / "test-page-v1.0.pdf").is_file()
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    versions = json.loads((archive / "versions.json").read_text())
    assert [v["version"] for v in versions] == ["2026.1"]
    assert versions[0]["aliases"] == ["latest"]
    entry = versions[0]["guidelines"][0]
    assert (entry["id"], entry["version"], entry["pdf"]) == (
        "test-page",
        "1.0",
        "2026.1/pdf/test-page-v1.0.pdf",
    )
    assert entry["sha256"] == hashlib.sha256((archive / entry["pdf"]).read_bytes()).hexdigest()
    assert tree(archive / "latest") == tree(folder)
    downloads = (archive / "downloads.html").read_text()
    assert entry["sha256"] in downloads
    assert 'href="2026.1/pdf/test-page-v1.0.pdf"' in downloads
    compendium = versions[0]["compendium"]
    assert compendium["pdf"] == "2026.1/pdf/compendium.pdf"
    assert (
        compendium["sha256"]
        == hashlib.sha256((archive / compendium["pdf"]).read_bytes()).hexdigest()
    )
    assert '<a href="2026.1/pdf/compendium.pdf">Compendium of release 2026.1</a>' in downloads
    umask = os.umask(0)
    os.umask(umask)
    for name in (
        "versions.json",
        "downloads.html",
        "index.html",
    ):  # readable by a web server's user
        assert (archive / name).stat().st_mode & 0o777 == 0o666 & ~umask, name
    assert compendium["sha256"] in downloads
    title_page = pypdf.PdfReader(archive / compendium["pdf"]).pages[0].extract_text()
    assert "as published in release 2026.1" in " ".join(title_page.split())
    page = (folder / "guidelines" / "p.html").read_text()
    assert '<meta name="guidepress-release" content="2026.1">' in page
    assert "guidepress-versions.js" in page
    assert (folder / "_static" / "guidepress-versions.js").is_file()


def test_second_release_of_a_version_is_refused_and_changes_nothing(
    approved: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    before = tree(archive)
    again = release(approved, "2026.1", archive)
    assert again.returncode == 1
    assert "version 2026.1 is already published" in again.stderr
    assert tree(archive) == before


def test_a_later_release_keeps_earlier_ones_untouched(approved: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    first = tree(archive / "2026.1")
    new_version(approved, "1.1")
    assert release(approved, "2026.2", archive).returncode == 0
    assert tree(archive / "2026.1") == first
    versions = json.loads((archive / "versions.json").read_text())
    assert [(v["version"], v["aliases"]) for v in versions] == [
        ("2026.2", ["latest"]),
        ("2026.1", []),
    ]
    assert (archive / "latest" / "pdf" / "test-page-v1.1.pdf").is_file()
    downloads = (archive / "downloads.html").read_text()
    assert 'href="2026.2/pdf/test-page-v1.1.pdf"' in downloads
    assert '<a href="2026.1/pdf/test-page-v1.0.pdf">v1.0 (release 2026.1)</a>' in downloads
    assert release(approved, "2026.3", archive).returncode == 0  # the same guideline version again
    downloads = (archive / "downloads.html").read_text()
    assert 'href="2026.3/pdf/test-page-v1.1.pdf"' in downloads
    assert "v1.1 (release" not in downloads  # the current version is not an earlier one
    assert downloads.count("v1.0 (release") == 1


def test_a_guideline_version_cannot_be_published_with_other_content(
    approved: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    page = approved / PAGE
    page.write_text(page.read_text().replace("A statement", "A quietly changed statement"))
    assert run_cli("approve", PAGE, "--reviewer", "Example Reviewer", cwd=approved).returncode == 0
    before = tree(archive)
    refused = release(approved, "2026.2", archive)
    assert refused.returncode == 1
    assert (
        "docs/guidelines/p.md: test-page v1.0 differs from the v1.0 published in release 2026.1"
        in refused.stderr
    )
    assert "give each a new version" in refused.stderr
    assert tree(archive) == before
    new_version(approved, "1.1")
    assert release(approved, "2026.2", archive).returncode == 0


def test_a_damaged_versions_file_is_a_clear_refusal(approved: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    (archive / "versions.json").write_text("[{not json")
    refused = release(approved, "2026.2", archive)
    assert refused.returncode == 1
    assert "versions.json is damaged" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (archive / "2026.2").exists()


def test_drafts_are_refused_with_a_list(approved: Path, tmp_path: Path) -> None:
    extra = valid_page().replace("id: test-page", "id: second")
    (approved / "docs" / "guidelines" / "second.md").write_text(extra)
    result = release(approved, "2026.1", tmp_path / "archive")
    assert result.returncode == 1
    assert "docs/guidelines/second.md: second v1.0 is draft" in result.stderr
    assert not (tmp_path / "archive" / "2026.1").exists()


def test_a_release_names_its_commit_and_refuses_uncommitted_changes(
    approved: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    (approved / "conf.py").write_text(
        (approved / "conf.py").read_text() + "html_title = 'Uncommitted'\n"
    )
    (approved / "docs" / "extra.txt").write_text("a file nobody committed\n")
    refused = release(approved, "2026.1", archive, commit=False)
    assert refused.returncode == 1
    assert "the release would match no commit" in refused.stderr
    assert "  conf.py\n  docs/extra.txt" in refused.stderr
    assert not archive.exists()
    git(approved, "checkout", "--", "conf.py")
    (approved / "docs" / "extra.txt").unlink()
    (approved / "notes.txt").write_text("not part of the library")  # outside its inputs: no matter
    assert release(approved, "2026.1", archive, commit=False).returncode == 0
    head = git(approved, "rev-parse", "HEAD").strip()
    assert json.loads((archive / "2026.1" / "release.json").read_text())["commit"] == head
    assert json.loads((archive / "versions.json").read_text())[0]["commit"] == head
    assert f"built from commit <code>{head}</code>" in (archive / "downloads.html").read_text()


def test_bad_release_names_are_bad_usage(approved: Path, tmp_path: Path) -> None:
    names = ("../escape", "latest", "Latest", "downloads.html", "index.html", "versions.json")
    for name in (*names, "2026.1\n", "x" * 65, "2026..1", ".hidden"):
        result = release(approved, name, tmp_path / "archive")
        assert result.returncode == 2, name
        assert "not a release name" in result.stderr
        assert "page(s) checked" not in result.stderr  # told before any work
        assert not (tmp_path / "archive").exists()


def test_an_archive_where_builds_or_sphinx_would_reach_it_is_refused(approved: Path) -> None:
    for inside, says in (
        ("_build/html/releases", "which every `guidepress build` replaces"),
        ("docs/releases", "which Sphinx reads as the library's pages"),
    ):
        result = release(approved, "2026.1", approved / inside)
        assert result.returncode == 2
        assert says in result.stderr
        assert not (approved / inside).exists()


def test_an_archive_that_is_not_a_folder_is_a_clear_error(approved: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    for archive, code, message in (
        (tmp_path / "file", 2, "is a file"),
        (tmp_path / "file" / "below", 1, "Not a directory"),
    ):
        result = release(approved, "2026.1", archive)
        assert result.returncode == code, result.stderr
        assert message in result.stderr
        assert "Traceback" not in result.stderr


def test_a_release_killed_part_way_leaves_the_archive_as_it_was(
    approved: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    before = tree(archive)
    new_version(approved, "1.1")
    commit_all(approved)
    process = subprocess.Popen(
        [sys.executable, "-m", "guidepress", "release", "2026.2", "--archive", str(archive)],
        cwd=approved,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not any(archive.glob(".staging-*/2026.2*")) and not any(
        archive.glob(".staging-*/.html-*")
    ):
        assert process.poll() is None, "release ended before it could be interrupted"
        assert time.monotonic() < deadline, "release never reached the point to interrupt"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert tree(archive) == before
    assert not (archive / "2026.2").exists()
    assert release(approved, "2026.2", archive).returncode == 0  # and the archive still works
    assert list(archive.glob(".staging-*")) == [], "the killed run's staging folder is cleared"


def test_a_release_killed_after_publishing_is_completed_by_the_next_run(
    approved: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    pointers = {name: (archive / name).read_bytes() for name in ("versions.json", "downloads.html")}
    old_latest = tmp_path / "latest-2026.1"
    shutil.copytree(archive / "latest", old_latest)
    new_version(approved, "1.1")
    assert release(approved, "2026.2", archive).returncode == 0
    published = tree(archive / "2026.2")
    # The state a kill right after the release folder's rename leaves: the folder is there, the
    # files that point at it are not yet updated.
    for name, content in pointers.items():
        (archive / name).write_bytes(content)
    shutil.rmtree(archive / "latest")
    shutil.copytree(old_latest, archive / "latest")

    again = release(approved, "2026.2", archive)
    assert again.returncode == 1
    assert "version 2026.2 is already published" in again.stderr
    versions = json.loads((archive / "versions.json").read_text())
    assert [(v["version"], v["aliases"]) for v in versions] == [
        ("2026.2", ["latest"]),
        ("2026.1", []),
    ]
    assert tree(archive / "latest") == tree(archive / "2026.2") == published
    assert "2026.2/pdf/test-page-v1.1.pdf" in (archive / "downloads.html").read_text()


def test_two_releases_at_once_cannot_corrupt_the_archive(approved: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    copy = tmp_path / "copy"
    commit_all(approved)
    shutil.copytree(approved, copy)  # separate build folders, one archive
    command = [sys.executable, "-m", "guidepress", "release", "2026.1", "--archive", str(archive)]
    runs = [
        subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for root in (approved, copy)
    ]
    messages = [run.communicate()[1] for run in runs]
    assert sorted(run.returncode for run in runs) == [0, 1], messages
    assert any("version 2026.1 is already published" in message for message in messages)
    versions = json.loads((archive / "versions.json").read_text())
    assert [v["version"] for v in versions] == ["2026.1"]
    for line in (archive / "2026.1" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((archive / "2026.1" / name).read_bytes()).hexdigest() == digest


def add_retired_page(root: Path) -> None:
    retired = (
        valid_page()
        .replace("id: test-page", "id: old-advice")
        .replace("title: Test page", "title: Old advice")
    )
    (root / "docs" / "guidelines" / "old.md").write_text(
        retired.replace("status: draft", "status: retired")
    )
    index = root / "docs" / "index.md"
    index.write_text(index.read_text().replace("guidelines/p\n", "guidelines/p\nguidelines/old\n"))
    # A reviewer approves the retirement, as any change to what clinics are told.
    approved = run_cli(
        "approve", "docs/guidelines/old.md", "--reviewer", "Example Reviewer", cwd=root
    )
    assert approved.returncode == 0, approved.stderr


def test_retired_guidelines_are_listed_apart_never_as_current(
    approved: Path, tmp_path: Path
) -> None:
    add_retired_page(approved)
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0
    downloads = (archive / "downloads.html").read_text()
    current, retired = downloads.split("<h2>Retired guidelines</h2>")
    assert "test-page-v1.0.pdf" in current
    assert "old-advice-v1.0.pdf" not in current.split("<h2")[0]
    assert '<a href="2026.1/pdf/old-advice-v1.0.pdf">Old advice</a>' in retired
    assert "do not use them" in retired


def test_a_current_guideline_is_withdrawn_by_retiring_it_not_by_deleting_its_page(
    approved: Path, tmp_path: Path
) -> None:
    add_retired_page(approved)
    old = approved / "docs" / "guidelines" / "old.md"
    old.write_text(old.read_text().replace("status: retired", "status: approved"))
    assert (
        run_cli(
            "approve", "docs/guidelines/old.md", "--reviewer", "Example Reviewer", cwd=approved
        ).returncode
        == 0
    )
    archive = tmp_path / "archive"
    assert release(approved, "2026.1", archive).returncode == 0  # old-advice is current in 2026.1
    index = approved / "docs" / "index.md"
    old.unlink()
    index.write_text(index.read_text().replace("guidelines/old\n", ""))
    before = tree(archive)
    refused = release(approved, "2026.2", archive)
    assert refused.returncode == 1
    assert "current in release 2026.1 but their pages are gone from the library" in refused.stderr
    assert "  old-advice v1.0 (Old advice)" in refused.stderr
    assert "keep its page and set status: retired" in refused.stderr
    assert tree(archive) == before

    add_retired_page(approved)  # withdrawn as it should be: the release says so to clinics
    assert release(approved, "2026.2", archive).returncode == 0
    assert "<h2>Retired guidelines</h2>" in (archive / "downloads.html").read_text()
    old.unlink()  # once a release has said it is retired, the page may go
    index.write_text(index.read_text().replace("guidelines/old\n", ""))
    assert release(approved, "2026.3", archive).returncode == 0


ARCHIVE_CASES = yaml.safe_load((CASES / "archive.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, keys: dict[str, Path]) -> tuple[Path, Path]:
    """A library in git, and an archive holding its release 2026.1."""
    root = tmp_path_factory.mktemp("published") / "library"
    page = valid_page().replace("status: draft", "status: approved")
    make_project(root, {"guidelines/p.md": page})
    (root / "reviewers.yaml").write_text(registry_with_keys(keys), encoding="utf-8")
    in_git(root, signed_with=keys["reviewer"])
    sign_as(root, keys["reviewer"], "reviewer@example.org")
    assert run_cli("approve", PAGE, "--reviewer", "Example Reviewer", cwd=root).returncode == 0
    archive = root.parent / "archive"
    assert release(root, "2026.1", archive).returncode == 0
    return root, archive


@pytest.mark.parametrize("case", ARCHIVE_CASES, ids=[case["name"] for case in ARCHIVE_CASES])
def test_a_damaged_or_crafted_archive_is_refused_and_left_alone(
    published: tuple[Path, Path], tmp_path: Path, case: dict[str, Any]
) -> None:
    root, original = published
    archive, outside = tmp_path / "archive", tmp_path / "outside"
    shutil.copytree(original, archive, symlinks=True)
    outside.mkdir()
    (outside / "SECRET").write_text("SECRET", encoding="utf-8")
    versions = json.loads((archive / "versions.json").read_text(encoding="utf-8"))
    if "edit" in case:
        field, value = next(iter(case["edit"].items()))
        target = versions[0] if field == "version" else versions[0]["guidelines"][0]
        target[field] = value
        (archive / "versions.json").write_text(json.dumps(versions), encoding="utf-8")
    if case.get("twice"):
        (archive / "versions.json").write_text(json.dumps(versions * 2), encoding="utf-8")
    for name, text in case.get("write", {}).items():
        (archive / name).write_text(text, encoding="utf-8")
    if "fifo" in case:
        (archive / case["fifo"]).unlink()
        os.mkfifo(archive / case["fifo"])
    for name, target in case.get("link", {}).items():
        path = archive / name
        if path.is_dir():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        path.symlink_to(str(target).replace("OUTSIDE", str(outside)))
    before = tree(archive)
    result = release(root, "2026.2", archive, commit=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert case["says"] in result.stderr
    assert "Traceback" not in result.stderr
    assert tree(archive) == before
    assert not (archive / "2026.2").exists()


def test_a_file_git_does_not_track_is_never_published(approved: Path, tmp_path: Path) -> None:
    (approved / ".gitignore").write_text("_build/\ndocs/notes.md\n", encoding="utf-8")
    git(approved, "add", "-A")
    git(approved, "commit", "-S", "-qm", "Ignore the notes")  # a trusted file: signed
    (approved / "docs" / "notes.md").write_text("# Notes\n\nSECRET\n", encoding="utf-8")
    archive = tmp_path / "archive"
    result = release(approved, "2026.1", archive, commit=False)
    assert result.returncode == 0, result.stderr
    published = [path for path in archive.rglob("*") if path.is_file()]
    assert not [path for path in published if b"SECRET" in path.read_bytes()]


def test_a_library_not_kept_in_git_cannot_be_released(approved: Path, tmp_path: Path) -> None:
    shutil.rmtree(approved / ".git")
    result = release(approved, "2026.1", tmp_path / "archive", commit=False)
    assert result.returncode == 1
    assert "is not kept in git: a release is built from a commit" in result.stderr
