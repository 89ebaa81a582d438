"""Whether the published site is already the build of the project as it is now, so that a build
with nothing to do does not start Sphinx.

After each build that published, a stamp in the build folder records a digest of what the build
read and of the site it published. A later build is skipped only when both are unchanged:
- every file of the project (its path, size, modification and change times), but the build
  folder, git's own and the virtual environment running guidepress: pages, figures,
  bibliographies, conf.py, pyproject.toml, the registry, templates and static files;
- the git commit checked out (change tags come from the history), the day, SOURCE_DATE_EPOCH
  (the PDFs' date), the project's place, whether the compendium was asked for;
- guidepress's files and every installed distribution (see code_digest);
- every file of the published site, so a site someone changed or removed is built again.
Sphinx itself decides that a page is out of date from its modification time; this is as
strict, for every file, before anything is imported. A project is always built when it holds a
symbolic link to a folder or a folder that cannot be read, or when conf.py points Sphinx at
files outside it (static files, templates, a theme) or at an extension that is neither an
installed package nor in the project: what those hold is not looked at here.
The stamp is JSON, not a pickle: it only ever makes a build happen or not.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import stat
import sys
from datetime import date
from pathlib import Path
from typing import Any

from guidepress.atomic import write_atomically
from guidepress.code_digest import code_digest

STAMP_FILE = ".build-stamp.json"


def inputs_digest(
    root: Path, build_dir: Path, config: dict[str, Any], compendium: bool
) -> str | None:
    """Digest of everything a build reads; None when that cannot be told: the configuration
    names a file or extension outside the project and the installed packages, the project holds
    a linked folder, or a folder cannot be read."""
    from guidepress.history import HistoryError, git

    if not _all_inside(root.resolve(), config):
        return None
    try:
        commit = git(root, "rev-parse", "--verify", "-q", "HEAD").strip()
    except HistoryError:
        commit = ""  # not in git, or no commit yet
    try:
        files = _project_files(root, build_dir.resolve())
    except (OSError, RecursionError):
        return None
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


# Paths conf.py may set that Sphinx reads files from, relative to the project's folder.
CONFIG_PATHS = ("templates_path", "html_static_path", "html_extra_path", "html_theme_path",
                "locale_dirs", "html_logo", "html_favicon", "bibtex_bibfiles")  # fmt: skip


def _all_inside(root: Path, config: dict[str, Any]) -> bool:
    """Whether every file the configuration points Sphinx at is in the project (looked at by
    the walk), and every extension is guidepress or an installed package (counted by
    code_digest), not code from a folder elsewhere (PYTHONPATH, an editable install)."""
    named: list[Any] = []
    for key in CONFIG_PATHS:
        value = config.get(key)
        named += value if isinstance(value, (list, tuple)) else [value]
    for value in named:
        if value is None or (isinstance(value, str) and "://" in value):
            continue  # not set, or an address
        if not isinstance(value, (str, os.PathLike)):
            return False
        if not (root / value).resolve().is_relative_to(root):
            return False
    extensions = config.get("extensions", [])
    if not isinstance(extensions, (list, tuple)):
        return False
    for name in extensions:
        top = str(name).split(".", 1)[0]
        if top == "guidepress":
            continue
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            return False
        origin = spec.origin if spec and spec.origin else None
        if origin is None or not _installed_or_inside(Path(origin).resolve(), root):
            return False
    return True


def _installed_or_inside(path: Path, root: Path) -> bool:
    return path.is_relative_to(root) or any(
        part in ("site-packages", "dist-packages") for part in path.parts
    ) or path.is_relative_to(Path(sys.base_prefix).resolve())  # fmt: skip


def _project_files(root: Path, build_dir: Path) -> list[str] | None:
    """Every file's line; the build folder, git's folder and the Python running this (when it
    is a virtual environment in the project) left out. Nothing is left out by its name alone:
    a folder of any name may hold pages or static files."""
    found = []
    environment = Path(sys.prefix).resolve()

    def unreadable(error: OSError) -> None:
        raise error

    for folder, folders, names in os.walk(root, onerror=unreadable):
        kept = []
        for name in folders:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                return None
            resolved = Path(path).resolve()
            if resolved in (build_dir, environment) or name == ".git":
                continue
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
