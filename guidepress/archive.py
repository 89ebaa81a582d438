"""The release archive on disk, read through its models and never trusted as it lies there.

archive/
  versions.json        every release, newest first, with the guideline versions inside
  <VERSION>/           one release: its HTML site, pdf/, release.json, SHA256SUMS; never
                       written again
  latest/              a copy of the newest release (the `latest` alias)
  downloads.html       the current PDF of each guideline, with earlier versions
  index.html           sends readers to latest/

Everything outside the release folders is derived from them (each carries its own
release.json), so a run killed after publishing is completed by the next one. A damaged or
crafted versions.json or release.json is a clear refusal; a release folder must be a real
folder of the archive, holding no symbolic link, before anything is copied from it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path

from pydantic import ValidationError

from guidepress.atomic import write_atomically
from guidepress.build import replace_folder
from guidepress.downloads import downloads_page, root_index
from guidepress.schemas.release import ReleaseEntry, Versions
from guidepress.validators.errors import GuidepressError

RELEASE_FILE = "release.json"  # in each release folder: its versions.json entry
VERSIONS_FILE = "versions.json"
MAX_RECORD = 64 * 10**6  # bytes: versions.json of a thousand releases of a large library


class ReleaseRefused(GuidepressError):
    """The release was not made; the archive is as it was."""

    prefix = "guidepress: release refused: "


def read_versions(archive: Path) -> list[ReleaseEntry]:
    path = archive / VERSIONS_FILE
    if not path.exists() and not path.is_symlink():
        return []
    text = _read(path)
    try:
        return Versions.model_validate_json(text).root
    except ValidationError as error:
        raise ReleaseRefused(
            f"{path} is damaged ({_first(error)}); restore it from a backup or from the "
            f"{RELEASE_FILE} of each release folder"
        ) from None


def read_release(folder: Path) -> ReleaseEntry | None:
    """The entry a release folder carries; None for a folder that holds no release."""
    path = folder / RELEASE_FILE
    if not path.exists() and not path.is_symlink():
        return None
    try:
        entry = ReleaseEntry.model_validate_json(_read(path))
    except ValidationError as error:
        raise ReleaseRefused(
            f"{path} is damaged ({_first(error)}); restore it from a backup"
        ) from None
    if entry.version != folder.name:
        raise ReleaseRefused(f"{path} says it is release {entry.version}, not {folder.name}")
    return entry


def release_folder(archive: Path, version: str) -> Path:
    """The folder of a published release: a real folder of the archive, with no link in it."""
    folder = archive / version
    if folder.is_symlink() or not folder.is_dir():
        raise ReleaseRefused(f"{folder} is not a release folder of the archive")
    for parent, folders, files in os.walk(folder):
        for name in [*folders, *files]:
            if os.path.islink(os.path.join(parent, name)):
                link = os.path.relpath(os.path.join(parent, name), archive)
                raise ReleaseRefused(
                    f"{link} in the archive is a symbolic link; releases hold none"
                )
    return folder


def write_release(folder: Path, entry: ReleaseEntry) -> None:
    data = entry.model_dump(mode="json", exclude_none=True)
    (folder / RELEASE_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def complete_archive(archive: Path) -> None:
    """Bring versions.json, latest/, downloads.html and index.html in line with the release
    folders, and clear what killed runs left behind. Safe to repeat; call under the lock."""
    for leftover in [*archive.glob(".staging-*"), *archive.glob(".latest-old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    versions = read_versions(archive)
    listed = {entry.version for entry in versions}
    # A folder not yet listed can only be the newest: releases are serialised and each completes
    # the archive before publishing.
    for folder in sorted(archive.iterdir()):
        if folder.name == "latest" or folder.name.startswith(".") or not folder.is_dir():
            continue
        entry = read_release(folder)
        if entry is not None and entry.version not in listed:
            versions.insert(0, entry)
    if not versions:
        return
    versions = [
        entry.model_copy(update={"aliases": [a for a in entry.aliases if a != "latest"]})
        for entry in versions
    ]
    versions[0] = versions[0].model_copy(update={"aliases": [*versions[0].aliases, "latest"]})
    folders = [release_folder(archive, entry.version) for entry in versions]  # all real, no links
    write_atomically(archive / VERSIONS_FILE, _json(versions))
    newest = folders[0]
    latest = archive / "latest"
    if latest.is_symlink():
        raise ReleaseRefused(f"{latest} is a symbolic link; the archive's latest/ is a folder")
    if _release_in(latest) != newest.name:
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=archive))
        try:
            shutil.copytree(newest, staging / "latest", symlinks=True)  # none: checked above
            replace_folder(staging / "latest", latest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    plain = [entry.model_dump(mode="json", exclude_none=True) for entry in versions]
    write_atomically(archive / "downloads.html", downloads_page(plain))
    write_atomically(archive / "index.html", root_index())


def _release_in(folder: Path) -> str | None:
    try:
        entry = read_release(folder) if folder.is_dir() else None
    except ReleaseRefused:
        return None  # damaged: replaced by a fresh copy of the newest release
    return entry.version if entry else None


def _read(path: Path) -> str:
    """The file's text: a regular file of the archive's own (not a link, a pipe that would never
    end, or a file larger than any listing of releases)."""
    try:
        state = path.lstat()
        if stat.S_ISLNK(state.st_mode):
            raise ReleaseRefused(f"{path} is a symbolic link; the archive's files are its own")
        if not stat.S_ISREG(state.st_mode) or state.st_size > MAX_RECORD:
            raise ReleaseRefused(f"{path} is not a file of at most {MAX_RECORD // 10**6} MB")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReleaseRefused(f"{path} cannot be read ({error})") from None


def _first(error: ValidationError) -> str:
    item = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in item["loc"])
    message = str(item["ctx"]["error"]) if item["type"] == "value_error" else item["msg"]
    return f"{where}: {message}" if where else message


def _json(entries: list[ReleaseEntry]) -> str:
    data = [entry.model_dump(mode="json", exclude_none=True) for entry in entries]
    return json.dumps(data, indent=2) + "\n"
