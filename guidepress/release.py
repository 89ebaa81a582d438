"""`guidepress release VERSION`: publish the approved library, immutably, into an archive.

archive/
  versions.json        every release, newest first, with the guideline versions inside
  <VERSION>/           one release: its HTML site, pdf/, release.json, SHA256SUMS; never
                       written again
  latest/              a copy of the newest release (the `latest` alias)
  downloads.html       the current PDF of each guideline, with earlier versions
  index.html           sends readers to latest/

A release is built in a staging folder inside the archive and moved into place only when
complete: that rename is the moment it is published. Everything outside the release folders is
derived from them (each carries its own release.json), so a run killed after the rename is
completed by the next run, which rebuilds the rest under the same lock. Prior art: mike's
versions.json and aliases.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from filelock import FileLock

from guidepress.atomic import write_atomically
from guidepress.build import BuildError, build_site, replace_folder
from guidepress.downloads import downloads_page, root_index
from guidepress.history import HistoryError, library_commit
from guidepress.schemas import Guideline, Settings
from guidepress.schemas.guideline import COMPENDIUM_PDF
from guidepress.validators.approvals import content_digest
from guidepress.validators.config import load_registry
from guidepress.validators.errors import GuidepressError, UsageError
from guidepress.validators.library import find_pages
from guidepress.validators.pipeline import Checks, Layout, check_page

VERSION_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
LOCK_TIMEOUT = 600  # seconds a second release waits for the first
RELEASE_FILE = "release.json"  # in each release folder: its versions.json entry
# Names the archive itself uses beside the release folders; lower case, as some disks ignore case.
RESERVED_NAMES = {"latest", "versions.json", "downloads.html", "index.html"}


class ReleaseRefused(GuidepressError):
    """The release was not made; the archive is as it was."""

    prefix = "guidepress: release refused: "


@dataclass(frozen=True)
class Published:
    model: Guideline
    source: str
    digest: str  # what its approvals sign: one guideline version is one content, in every release


def approved_guidelines(root: Path, settings: Settings, today: date) -> list[Published]:
    """Every guideline, refusing the release if any is not approved (retired pages may stay)."""
    layout = Layout.of(root, settings)
    checks = Checks(layout, today, load_registry(root, settings)[0])
    pages, unapproved = [], []
    for path in find_pages([Path(layout.guidelines)]):
        checked = check_page(path, path, checks)
        page, model = checked.page, checked.model
        if page is None or model is None:
            continue  # the check before the release has reported it
        if model.status not in ("approved", "retired"):
            where = os.path.relpath(path, root)
            unapproved.append(f"  {where}: {model.id} v{model.version} is {model.status}")
        pages.append(Published(model, path, content_digest(page.data, page.body, page.files)))
    if unapproved:
        raise ReleaseRefused(
            "these pages are not approved, so the library cannot be released:\n"
            + "\n".join(unapproved)
        )
    return pages


def refuse_changed_versions(
    root: Path, published: list[Published], versions: list[dict[str, Any]]
) -> None:
    """A guideline version names one content for ever: clinics compare version numbers, so an
    edited page must carry a new version before it is published again."""
    earlier: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in reversed(versions):  # oldest first: name the release that first published it
        for item in entry["guidelines"]:
            if "digest" in item:  # releases made before digests were recorded cannot be compared
                earlier.setdefault(
                    (item["id"], item["version"]), (item["digest"], entry["version"])
                )
    changed = []
    for item in published:
        digest, release_name = earlier.get((item.model.id, item.model.version), (item.digest, ""))
        if digest != item.digest:
            changed.append(
                f"  {os.path.relpath(item.source, root)}: {item.model.id} v{item.model.version} "
                f"differs from the v{item.model.version} published in release {release_name}"
            )
    if changed:
        raise ReleaseRefused(
            "these pages changed since their version was published, so the library cannot be "
            "released:\n" + "\n".join(changed) + "\ngive each a new version, with a change_history "
            "entry, and have it approved again"
        )


def refuse_vanished_guidelines(published: list[Published], versions: list[dict[str, Any]]) -> None:
    """A guideline the newest release offers as current is withdrawn by retiring it, never by
    deleting its page: only a retired guideline tells a clinic holding its PDF to stop using it."""
    if not versions:
        return
    present = {item.model.id for item in published}
    gone = [
        f"  {item['id']} v{item['version']} ({item['title']})"
        for item in versions[0]["guidelines"]
        if item["id"] not in present and item.get("status") != "retired"
    ]
    if gone:
        raise ReleaseRefused(
            f"these guidelines are current in release {versions[0]['version']} but their pages are "
            "gone from the library, so the library cannot be released:\n"
            + "\n".join(gone)
            + "\nto withdraw a guideline, keep its page and set status: retired, so that the "
            "downloads "
            "page and the PDF check tell clinics not to use it (after a change of id, retire the "
            "page under its old id); if it was deleted by mistake, restore it"
        )


def checksums(folder: Path) -> str:
    """sha256sum-style lines for every file in the release, so anyone can check a download."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        lines.append(
            f"{hashlib.sha256(path.read_bytes()).hexdigest()}  "
            f"{path.relative_to(folder).as_posix()}"
        )
    return "\n".join(lines) + "\n"


def source_commit(root: Path, settings: Settings) -> str | None:
    """The commit of everything the release is built from: pages, settings, Sphinx configuration
    and registry."""
    inputs = [
        root / settings.source_dir,
        root / "pyproject.toml",
        root / "conf.py",
        root / settings.registry,
    ]
    try:
        return library_commit(root, inputs)
    except HistoryError as error:
        raise ReleaseRefused(str(error)) from None


def release_entry(
    version: str, today: date, folder: Path, published: list[Published], commit: str | None
) -> dict[str, Any]:
    guidelines = []
    for item in sorted(published, key=lambda p: p.model.id):
        model = item.model
        guidelines.append(
            {
                "id": model.id,
                "title": model.title,
                "version": model.version,
                "status": model.status,
                "review_date": model.review_date.isoformat(),
                "next_review_date": model.next_review_date.isoformat(),
                "digest": item.digest,
                **_download(version, folder / "pdf" / model.pdf_name),
            }
        )
    entry = {
        "version": version,
        "date": today.isoformat(),
        "aliases": [],
        "guidelines": guidelines,
        "compendium": _download(version, folder / "pdf" / COMPENDIUM_PDF),
    }
    return entry | ({"commit": commit} if commit else {})


def _download(version: str, pdf: Path) -> dict[str, Any]:
    return {
        "pdf": f"{version}/pdf/{pdf.name}",
        "size": pdf.stat().st_size,
        "sha256": hashlib.sha256(pdf.read_bytes()).hexdigest(),
    }


def check_release_name(version: str) -> None:
    """Refuse a `version` that cannot name a release folder beside the archive's own files."""
    if not VERSION_NAME.match(version):
        raise UsageError(
            f"{version!r} is not a release name: use letters, digits, '.', '-' or '_', e.g. 2026.1"
        )
    if version.lower() == "latest":
        raise UsageError("'latest' is the alias of the newest release, not a release name")
    if version.lower() in RESERVED_NAMES:
        raise UsageError(
            f"{version!r} is a file the archive keeps beside its releases, not a release name; "
            "use e.g. 2026.1"
        )


def check_archive(root: Path, settings: Settings, archive: Path) -> None:
    """Releases are kept for ever: never in a file, where a build replaces everything, or where
    Sphinx reads pages."""
    if archive.exists() and not archive.is_dir():
        raise UsageError(f"the archive {archive} is a file; give a folder with --archive")
    for folder, why in (
        (root / settings.build_dir / "html", "every `guidepress build` replaces"),
        (root / settings.source_dir, "Sphinx reads as the library's pages"),
    ):
        if archive.resolve().is_relative_to(folder.resolve()):
            raise UsageError(
                f"the archive {archive} is inside {folder}, which {why}; keep releases in a folder "
                "of their own, e.g. the default _build/archive"
            )


def release(root: Path, settings: Settings, version: str, archive: Path, today: date) -> Path:
    check_release_name(version)
    check_archive(root, settings, archive)
    published = approved_guidelines(root, settings, today)
    commit = source_commit(root, settings)
    archive.mkdir(parents=True, exist_ok=True)
    with FileLock(str(archive / ".lock"), timeout=LOCK_TIMEOUT):
        complete_archive(archive)  # finish whatever an interrupted run left
        target = archive / version
        if target.exists():
            raise ReleaseRefused(
                f"version {version} is already published in {archive}; releases are never "
                "overwritten: choose a new version"
            )
        earlier = _versions(archive)
        refuse_changed_versions(root, published, earlier)
        refuse_vanished_guidelines(published, earlier)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=archive))
        try:
            try:
                folder, _ = build_site(root, settings, staging / version, release=version)
            except BuildError as error:
                raise ReleaseRefused(str(error)) from None
            entry = release_entry(version, today, folder, published, commit)
            (folder / RELEASE_FILE).write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
            (folder / "SHA256SUMS").write_text(checksums(folder), encoding="utf-8")
            folder.rename(target)  # published
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        complete_archive(archive)
    return target


def complete_archive(archive: Path) -> None:
    """Bring versions.json, latest/, downloads.html and index.html in line with the release
    folders, and clear what killed runs left behind. Safe to repeat; call under the lock."""
    for leftover in [*archive.glob(".staging-*"), *archive.glob(".latest-old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    versions = _versions(archive)
    listed = {entry["version"] for entry in versions}
    # A folder not yet listed can only be the newest: releases are serialised and each completes
    # the archive before publishing.
    for release_file in sorted(archive.glob(f"*/{RELEASE_FILE}")):
        folder = release_file.parent
        if folder.name != "latest" and folder.name not in listed:
            versions.insert(0, json.loads(release_file.read_text(encoding="utf-8")))
    if not versions:
        return
    for entry in versions:
        entry["aliases"] = [a for a in entry.get("aliases", []) if a != "latest"]
    versions[0]["aliases"].append("latest")
    write_atomically(archive / "versions.json", json.dumps(versions, indent=2) + "\n")
    newest = versions[0]["version"]
    latest = archive / "latest"
    if _release_in(latest) != newest:
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=archive))
        try:
            shutil.copytree(archive / newest, staging / "latest")
            replace_folder(staging / "latest", latest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    write_atomically(archive / "downloads.html", downloads_page(versions))
    write_atomically(archive / "index.html", root_index())


def _versions(archive: Path) -> list[dict[str, Any]]:
    versions_file = archive / "versions.json"
    try:
        return (
            list(json.loads(versions_file.read_text(encoding="utf-8")))
            if versions_file.exists()
            else []
        )
    except (ValueError, TypeError) as error:
        raise ReleaseRefused(
            f"{versions_file} is damaged ({error}); restore it from a backup or from the "
            f"release.json of each release folder"
        ) from None


def _release_in(folder: Path) -> str | None:
    try:
        return str(json.loads((folder / RELEASE_FILE).read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return None
