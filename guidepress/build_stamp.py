"""Whether the published site is already the build of the project as it is now, so that a build
with nothing to do does not start Sphinx.

After each build that published, a stamp in the build folder records a digest of what the build
read and of the site it published. A later build is skipped only when both are unchanged:
- every file of the project (its path, size, modification and change times), the build folder
  left out, and, outside the pages' folder, git's own folder, virtual environments and tools'
  caches: pages, figures, bibliographies, conf.py, pyproject.toml, the registry, templates and
  static files;
- the git commit checked out (change tags come from the history), the day, SOURCE_DATE_EPOCH
  (the PDFs' date), the project's place, whether the compendium was asked for;
- guidepress's files and every installed distribution (see code_digest);
- every file of the published site, so a site someone changed or removed is built again.
Sphinx itself decides that a page is out of date from its modification time; this is as
strict, for every file, before anything is imported. A project holding a symbolic link to a
folder is always built: what it points at is outside what is looked at here.
The stamp is JSON, not a pickle: it only ever makes a build happen or not.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import date
from pathlib import Path

from guidepress.atomic import write_atomically
from guidepress.code_digest import code_digest

STAMP_FILE = ".build-stamp.json"
# Folders that are never the library's input: tools' caches and installed software.
NOT_INPUTS = {".git", "__pycache__", "node_modules", ".tox", ".nox", ".mypy_cache",
              ".pytest_cache", ".ruff_cache", ".hypothesis"}  # fmt: skip


def inputs_digest(root: Path, source_dir: str, build_dir: Path, compendium: bool) -> str | None:
    """Digest of everything a build reads; None when it cannot be told (a linked folder)."""
    from guidepress.history import HistoryError, git

    try:
        commit = git(root, "rev-parse", "--verify", "-q", "HEAD").strip()
    except HistoryError:
        commit = ""  # not in git, or no commit yet
    files = _project_files(root, build_dir.resolve(), (root / source_dir).resolve())
    if files is None:
        return None
    context = {
        "root": str(root.resolve()),
        "commit": commit,
        "today": date.today().isoformat(),
        "source_date_epoch": os.environ.get("SOURCE_DATE_EPOCH", ""),
        "compendium": compendium,
        "code": code_digest(),
    }
    digest = hashlib.sha256(json.dumps(context, sort_keys=True).encode())
    for line in files:
        digest.update(line.encode(errors="surrogateescape") + b"\0")
    return digest.hexdigest()


def _project_files(root: Path, build_dir: Path, source: Path) -> list[str] | None:
    """Every file's line, the build folder left out, and tools' folders outside the pages' (a
    folder of pages may have any name)."""
    found = []
    for folder, folders, names in os.walk(root):
        kept = []
        for name in folders:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                return None
            resolved = Path(path).resolve()
            if resolved == build_dir:
                continue
            if not resolved.is_relative_to(source) and (
                name in NOT_INPUTS or os.path.exists(os.path.join(path, "pyvenv.cfg"))
            ):
                continue  # a tool's cache, or installed software (counted by code_digest)
            kept.append(name)
        folders[:] = kept
        for name in names:
            path = os.path.join(folder, name)
            found.append(_stat_line(os.path.relpath(path, root), path))
    return sorted(found)


def _stat_line(relative: str, path: str) -> str:
    try:
        info = os.stat(path)  # through a link to a file: its target's times
    except OSError:
        return f"{relative} missing"
    return f"{relative} {info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns}"


def site_digest(site: Path) -> str | None:
    """Digest of the published site's files; None when there is none."""
    if not site.is_dir() or site.is_symlink():
        return None
    digest = hashlib.sha256()
    for folder, folders, names in os.walk(site):
        folders.sort()
        if any(os.path.islink(os.path.join(folder, name)) for name in folders):
            return None
        for name in sorted(names):
            path = os.path.join(folder, name)
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode):
                return None
            line = f"{os.path.relpath(path, site)} {info.st_size} {info.st_mtime_ns} {info.st_ino}"
            digest.update(line.encode(errors="surrogateescape") + b"\0")
    return digest.hexdigest()


def is_current(build_dir: Path, inputs: str | None, site: Path) -> bool:
    """The last build that published read exactly these inputs, and its site is untouched."""
    if inputs is None:
        return False
    try:
        stamp = json.loads((build_dir / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(stamp, dict):
        return False
    published = site_digest(site)
    return published is not None and stamp == {"inputs": inputs, "site": published}


def record(build_dir: Path, inputs: str | None, site: Path) -> None:
    """Stamp a build that just published `site` from `inputs` (taken before it read anything,
    so an edit made during the build is seen by the next one)."""
    stamp = build_dir / STAMP_FILE
    published = site_digest(site)
    try:
        if inputs is None or published is None:
            stamp.unlink(missing_ok=True)
        else:
            write_atomically(stamp, json.dumps({"inputs": inputs, "site": published}))
    except OSError:  # the site is published; without a stamp, the next build only runs in full
        pass
