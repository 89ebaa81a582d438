"""`guidepress release VERSION`: publish the approved library, immutably, into an archive.

A release is built from what git holds at the library's commit, exported into a folder of its
own: a file git does not track (or ignores) cannot be published, and the working tree must match
the commit, so the release is what was checked and approved. The build happens in a staging
folder inside the archive, moved into place only when complete: that rename is the moment it is
published (see archive.py for the archive's layout). Prior art: mike's versions.json and
aliases.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from filelock import FileLock

from guidepress.archive import (
    ReleaseRefused,
    complete_archive,
    read_versions,
    write_release,
)
from guidepress.build import BuildError, build_site
from guidepress.history import HistoryError, export_library, git, library_commit
from guidepress.schemas import Guideline, Settings
from guidepress.schemas.guideline import COMPENDIUM_PDF
from guidepress.schemas.release import (
    Download,
    ReleasedGuideline,
    ReleaseEntry,
    release_name_problem,
)
from guidepress.validators.approvals import content_digest
from guidepress.validators.config import SettingsError, load_registry, load_settings
from guidepress.validators.errors import UsageError
from guidepress.validators.library import find_pages
from guidepress.validators.pipeline import Checks, Layout, check_page

LOCK_TIMEOUT = 600  # seconds a second release waits for the first
__all__ = ["ReleaseRefused", "check_archive", "check_release_name", "release"]


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
    root: Path, published: list[Published], versions: list[ReleaseEntry]
) -> None:
    """A guideline version names one content for ever: clinics compare version numbers, so an
    edited page must carry a new version before it is published again."""
    earlier: dict[tuple[str, str], tuple[str, str]] = {}
    for entry in reversed(versions):  # oldest first: name the release that first published it
        for item in entry.guidelines:
            if item.digest:  # releases made before digests were recorded cannot be compared
                earlier.setdefault((item.id, item.version), (item.digest, entry.version))
    changed = []
    for each in published:
        digest, release_name = earlier.get((each.model.id, each.model.version), (each.digest, ""))
        if digest != each.digest:
            changed.append(
                f"  {os.path.relpath(each.source, root)}: {each.model.id} v{each.model.version} "
                f"differs from the v{each.model.version} published in release {release_name}"
            )
    if changed:
        raise ReleaseRefused(
            "these pages changed since their version was published, so the library cannot be "
            "released:\n" + "\n".join(changed) + "\ngive each a new version, with a change_history "
            "entry, and have it approved again"
        )


def refuse_rollback(root: Path, commit: str, versions: list[ReleaseEntry]) -> None:
    """The newest release's commit must be on the branch's own line (its first parents) back
    from the commit released now. Otherwise history was rewritten, or a merge made an old line
    the branch's own (an old registry back, say), and what was verified since would not count."""
    newest = next((entry for entry in versions if entry.commit), None)
    if newest is None or newest.commit is None:
        return
    try:
        line = set(git(root, "rev-list", "--first-parent", commit).split())
    except HistoryError as error:
        raise ReleaseRefused(str(error)) from None
    if newest.commit not in line:
        raise ReleaseRefused(
            f"release {newest.version} was built from commit {newest.commit[:10]}, which is not "
            f"on the branch's own line of history back from {commit[:10]}: the history was "
            "rewritten, or a merge put an older line first; release from a branch that continues "
            f"the one release {newest.version} came from"
        )


def refuse_older_versions(
    root: Path, published: list[Published], versions: list[ReleaseEntry]
) -> None:
    """A guideline's version never goes back: an older approved version put back in place would
    replace the newer one (a corrected dose, say) as current, with approvals still valid."""
    newest: dict[str, tuple[tuple[int, ...], str, str]] = {}
    for entry in reversed(versions):  # oldest first, so the newest release is taken last
        for item in entry.guidelines:
            number = _number(item.version)
            if number > newest.get(item.id, ((), "", ""))[0]:
                newest[item.id] = (number, item.version, entry.version)
    older = []
    for each in published:
        number, highest, release_name = newest.get(each.model.id, ((), "", ""))
        if _number(each.model.version) < number:
            older.append(
                f"  {os.path.relpath(each.source, root)}: {each.model.id} v{each.model.version} "
                f"is older than v{highest}, published in release {release_name}"
            )
    if older:
        raise ReleaseRefused(
            "these pages are older versions than ones already published, so the library cannot "
            "be released:\n" + "\n".join(older) + "\nto go back to earlier content, publish it "
            "as a new version, with a change_history entry, approved again"
        )


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def refuse_vanished_guidelines(published: list[Published], versions: list[ReleaseEntry]) -> None:
    """A guideline the newest release offers as current is withdrawn by retiring it, never by
    deleting its page: only a retired guideline tells a clinic holding its PDF to stop using it."""
    if not versions:
        return
    present = {each.model.id for each in published}
    gone = [
        f"  {item.id} v{item.version} ({item.title})"
        for item in versions[0].guidelines
        if item.id not in present and item.status != "retired"
    ]
    if gone:
        raise ReleaseRefused(
            f"these guidelines are current in release {versions[0].version} but their pages are "
            "gone from the library, so the library cannot be released:\n"
            + "\n".join(gone)
            + "\nto withdraw a guideline, keep its page and set status: retired, so that the "
            "downloads page and the PDF check tell clinics not to use it (after a change of id, "
            "retire the page under its old id); if it was deleted by mistake, restore it"
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


def source_commit(root: Path, settings: Settings) -> str:
    """The commit of everything the release is built from: pages, settings, Sphinx configuration
    and registry, which must all match it."""
    inputs = [
        root / settings.source_dir,
        root / "pyproject.toml",
        root / "conf.py",
        root / settings.registry,
    ]
    try:
        commit = library_commit(root, inputs)
    except HistoryError as error:
        raise ReleaseRefused(str(error)) from None
    if commit is None:
        raise ReleaseRefused(
            f"{root} is not kept in git: a release is built from a commit, so that what is "
            "published is exactly what was committed and approved; keep the library in git"
        )
    return commit


@contextmanager
def exported(root: Path, commit: str, archive: Path) -> Iterator[Path]:
    """The library folder as git holds it at the commit, in a staging folder of the archive (which
    the next run clears if this one is killed)."""
    folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=archive))
    try:
        try:
            yield export_library(root, commit, folder)
        except HistoryError as error:
            raise ReleaseRefused(str(error)) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def release_entry(
    version: str, today: date, folder: Path, published: list[Published], commit: str
) -> ReleaseEntry:
    guidelines = []
    for each in sorted(published, key=lambda p: p.model.id):
        model = each.model
        guidelines.append(
            ReleasedGuideline(
                id=model.id,
                title=model.title,
                version=model.version,
                status=model.status,
                review_date=model.review_date,
                next_review_date=model.next_review_date,
                digest=each.digest,
                **_download(version, folder / "pdf" / model.pdf_name).model_dump(),
            )
        )
    compendium = _download(version, folder / "pdf" / COMPENDIUM_PDF)
    return ReleaseEntry(
        version=version, date=today, guidelines=guidelines, compendium=compendium, commit=commit
    )


def _download(version: str, pdf: Path) -> Download:
    data = pdf.read_bytes()
    return Download(
        pdf=f"{version}/pdf/{pdf.name}", size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )


def check_release_name(version: str) -> None:
    """Refuse a `version` that cannot name a release folder beside the archive's own files."""
    problem = release_name_problem(version)
    if problem:
        raise UsageError(problem)


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
    commit = source_commit(root, settings)
    archive.mkdir(parents=True, exist_ok=True)
    with FileLock(str(archive / ".lock"), timeout=LOCK_TIMEOUT):
        complete_archive(archive)  # finish whatever an interrupted run left
        target = archive / version
        if target.exists() or target.is_symlink():
            raise ReleaseRefused(
                f"version {version} is already published in {archive}; releases are never "
                "overwritten: choose a new version"
            )
        with exported(root, commit, archive) as snapshot:
            try:
                committed = load_settings(snapshot)
            except SettingsError as error:
                raise ReleaseRefused(str(error)) from None
            published = approved_guidelines(snapshot, committed, today)
            earlier = read_versions(archive)
            refuse_rollback(root, commit, earlier)
            refuse_changed_versions(snapshot, published, earlier)
            refuse_older_versions(snapshot, published, earlier)
            refuse_vanished_guidelines(published, earlier)
            history = root / committed.source_dir  # the export has no git: its history is here
            _publish(snapshot, committed, version, archive, today, published, commit, history)
        complete_archive(archive)
    return target


def _publish(
    snapshot: Path,
    settings: Settings,
    version: str,
    archive: Path,
    today: date,
    published: list[Published],
    commit: str,
    history: Path,
) -> None:
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=archive))
    try:
        try:
            folder, _ = build_site(
                snapshot, settings, staging / version, release=version, history=history
            )
        except BuildError as error:
            raise ReleaseRefused(str(error)) from None
        write_release(folder, release_entry(version, today, folder, published, commit))
        (folder / "SHA256SUMS").write_text(checksums(folder), encoding="utf-8")
        folder.rename(archive / version)  # published
    finally:
        shutil.rmtree(staging, ignore_errors=True)
