"""`guidepress init [FOLDER]`: start a library that validates and builds at once.

It writes the settings, the Sphinx configuration, a placeholder reviewer, a home page, one
example guideline in draft, a .gitignore, CI workflows that install guidepress as a package
(requirements.txt says which), and a pre-commit configuration.

It never overwrites or loses a file. Every step is planned and checked before the first is
taken: a folder that already holds a library or a Sphinx project, or lies inside a library, is
refused; so is a symbolic link on the way to any file it would write. It adds its lines to an
existing pyproject.toml, .gitignore or requirements.txt and keeps every other file that exists.
If a step fails after all, the steps already taken are undone.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from guidepress.atomic import write_atomically
from guidepress.schemas.characters import FORBIDDEN
from guidepress.validators.config import Library, SettingsError
from guidepress.validators.errors import UsageError
from guidepress.validators.rules import add_years
from guidepress.validators.safety import title_markup

TEMPLATES = Path(__file__).parent / "templates" / "library"
# A library's own files, by the template each is written from: where one exists, the folder
# already holds a library or a Sphinx project, and init writes nothing.
CORE = {
    "conf.py": "conf.py.in",
    "reviewers.yaml": "reviewers.yaml",
    "docs/index.md": "docs/index.md",
    "docs/guidelines/example-guideline.md": "docs/guidelines/example-guideline.md",
}
SPHINX_PROJECT = ("docs/conf.py", "docs/index.rst", "docs/index.txt")
# Files init adds its lines to, and files it keeps as they are where they exist.
EXTENDED = {
    "pyproject.toml": "pyproject.toml",
    ".gitignore": "gitignore",
    "requirements.txt": "requirements.txt",
}
OPTIONAL = {
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/pull-request.yml": "github/workflows/pull-request.yml",
    ".github/workflows/approve.yml": "github/workflows/approve.yml",
    ".github/workflows/release.yml": "github/workflows/release.yml",
    ".github/workflows/linkcheck.yml": "github/workflows/linkcheck.yml",
    "README.md": "README.md",
}
TOKEN = re.compile(r"@(TITLE|TITLE_TEXT|TODAY|NEXT_REVIEW|YEAR|REQUIREMENT)@")


@dataclass(frozen=True)
class Values:
    """What the templates are filled in with."""

    title: str
    today: date
    requirement: str

    def fill(self, text: str) -> str:
        values = {
            "TITLE": json.dumps(self.title, ensure_ascii=False),  # quoted for Python and YAML
            "TITLE_TEXT": self.title,
            "TODAY": self.today.isoformat(),
            "NEXT_REVIEW": add_years(self.today, 3).isoformat(),  # the default review interval
            "YEAR": str(self.today.year),
            "REQUIREMENT": self.requirement,
        }
        return TOKEN.sub(lambda match: values[match.group(1)], text)  # one pass: a title stays


@dataclass
class Step:
    """One file init writes: created new, or extended from `before` to `after`."""

    path: Path
    name: str
    after: str
    before: str | None = None  # None: the file is new
    made: list[Path] = field(default_factory=list)  # folders this step created, for undoing

    def take(self) -> None:
        if self.before is None:
            self._create()
        elif self.path.read_text(encoding="utf-8") == self.before:
            write_atomically(self.path, self.after)
        else:
            raise UsageError(f"{self.path} changed while init was writing; it was left as it is")

    def undo(self) -> None:
        if self.before is not None:
            write_atomically(self.path, self.before)
            return
        self.path.unlink(missing_ok=True)
        for folder in reversed(self.made):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()

    def _create(self) -> None:
        for folder in reversed(self.path.parents):
            if not folder.exists():
                folder.mkdir()
                self.made.append(folder)
        # Whole or not at all, and never over a file that appeared since the plan was made: a
        # finished temporary file gets the name by a hard link, which fails if the name is taken.
        temporary = self.path.with_name(f".{self.path.name}-{secrets.token_hex(8)}")
        temporary.write_text(self.after, encoding="utf-8")
        try:
            os.link(temporary, self.path)
        except FileExistsError:
            raise UsageError(
                f"{self.path} appeared while init was writing; left as it is"
            ) from None
        except OSError:  # a file system without hard links
            with self.path.open("x", encoding="utf-8") as stream:
                stream.write(self.after)
        finally:
            temporary.unlink(missing_ok=True)


def init_library(
    folder: Path, title: str | None, requirement: str | None, today: date | None = None
) -> list[str]:
    """Write the library into `folder`; returns a line for each file written, extended or kept,
    and a warning when the library's CI may not be able to install guidepress."""
    folder = _library_folder(folder)
    wanted, said = _requirement(requirement)
    values = Values(_title(folder, title), today or date.today(), wanted)
    steps, kept = _plan(folder, values)
    taken: list[Step] = []
    try:
        for step in steps:
            step.take()
            taken.append(step)
    except BaseException:
        for step in reversed(taken):
            step.undo()
        raise
    said += [f"{'added to' if s.before else 'wrote'} {s.name}" for s in steps]
    said += [f"kept {name}, which exists; compare it with what init writes" for name in kept]
    return [*said, f"the library in {folder} is ready: run `guidepress build` there"]


def installed_as() -> tuple[str, bool]:
    """The requirement that installs the guidepress running now, and whether a CI machine can use
    it: a git address and commit on a server, else the version (good once it is on PyPI)."""
    try:
        distribution = metadata.distribution("guidepress")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "guidepress", False
    try:
        origin = json.loads(distribution.read_text("direct_url.json") or "{}")
    except ValueError:
        origin = {}
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    remote = str(origin.get("url", "")).startswith(("https://", "ssh://", "git@"))
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id") and remote:
        return f"guidepress @ git+{origin['url']}@{vcs['commit_id']}", True
    return f"guidepress=={distribution.version}", False


def _requirement(given: str | None) -> tuple[str, list[str]]:
    if given is None:
        requirement, reachable = installed_as()
        if reachable:
            return requirement, []
        warning = (
            f"warning: requirements.txt says {requirement}, which CI machines install from PyPI; "
            "if that is not published there, run init with --requirement and a git address "
            '(--requirement "guidepress @ git+https://…@TAG") or edit requirements.txt'
        )
        return requirement, [warning]
    try:
        parsed = Requirement(given)
    except InvalidRequirement as error:
        raise UsageError(
            f"--requirement {given!r} is not a requirement pip reads: {error}"
        ) from None
    if canonicalize_name(parsed.name) != "guidepress" or "\n" in given:
        raise UsageError(f"--requirement {given!r} must be one requirement for guidepress")
    return given, []


def _library_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give a folder for the new library")
    if folder.is_symlink() and not folder.exists():
        raise UsageError(f"{folder} is a symbolic link to nothing; give a folder for the library")
    folder = folder.resolve()
    try:
        around = Library.around(folder.parent)
    except SettingsError as error:
        raise UsageError(str(error)) from None
    if around.has_settings:
        raise UsageError(
            f"{folder} is inside the library at {around.root}, whose pages and checks would take "
            "it in; start the new library in a folder of its own"
        )
    return folder


def _title(folder: Path, title: str | None) -> str:
    if title is None:
        words = folder.name.replace("-", " ").replace("_", " ").strip()
        title = (words[:1].upper() + words[1:]) if words else "Guideline library"
    title = " ".join(title.split())
    if not title:
        raise UsageError("the title is empty: give the library's title with --title")
    problem = title_markup(title) or ("a control character" if FORBIDDEN.search(title) else None)
    if problem:
        raise UsageError(
            f"the title {title!r} holds {problem}: give it as plain text with --title, e.g. "
            "--title 'Cardiology guidelines'"
        )
    return title


def _plan(folder: Path, values: Values) -> tuple[list[Step], list[str]]:
    """Every file init would write, checked before any is written."""
    everything = [*CORE, *SPHINX_PROJECT, *EXTENDED, *OPTIONAL]
    for name in everything:
        _check_way(folder, name)
    existing = [name for name in (*CORE, *SPHINX_PROJECT) if (folder / name).exists()]
    if _read(folder, "pyproject.toml") is not None and _has_settings(folder):
        existing.insert(0, "pyproject.toml with [tool.guidepress]")
    if existing:
        raise UsageError(
            f"{folder} already holds a library or a Sphinx project ({', '.join(existing)}); "
            "init never overwrites a file: start the library in a new folder"
        )
    steps = [Step(folder / name, name, values.fill(_template(t))) for name, t in CORE.items()]
    kept = []
    for name, template in EXTENDED.items():
        step = _extend(folder, name, values.fill(_template(template)), values.requirement)
        if step:
            steps.append(step)
        else:
            kept.append(name)
    for name, template in OPTIONAL.items():
        if (folder / name).exists():
            kept.append(name)
        else:
            steps.append(Step(folder / name, name, values.fill(_template(template))))
    return steps, kept


def _check_way(folder: Path, name: str) -> None:
    """Refuse a symbolic link (to a file or a folder) on the way to a file init would write,
    through which it would write outside the library, and a file where a folder must be."""
    path = folder
    parts = name.split("/")
    for position, part in enumerate(parts):
        path = path / part
        if path.is_symlink():
            raise UsageError(
                f"{path} is a symbolic link; init writes files only inside {folder}: remove the "
                "link or start the library elsewhere"
            )
        if position < len(parts) - 1 and path.exists() and not path.is_dir():
            raise UsageError(f"{path} is a file where the library needs a folder")


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _read(folder: Path, name: str) -> str | None:
    path = folder / name
    if not path.exists():
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path} cannot be read as UTF-8 text ({error}); fix it first") from None


def _has_settings(folder: Path) -> bool:
    try:
        return Library.at(folder).has_settings
    except SettingsError as error:
        raise UsageError(str(error)) from None


def _extend(folder: Path, name: str, addition: str, requirement: str) -> Step | None:
    """A step creating the file, or adding what it lacks to its end; None when it lacks nothing."""
    before = _read(folder, name)
    if before is None:
        return Step(folder / name, name, addition)
    lines = before.splitlines()
    if name == "pyproject.toml":  # it has no [tool.guidepress] table (checked before)
        added = "\n" + addition
    elif name == "requirements.txt":
        names_it = re.compile(r"\s*guidepress\b", re.IGNORECASE)
        added = "" if any(names_it.match(line) for line in lines) else requirement + "\n"
    else:
        wanted = [line for line in addition.splitlines() if line and not line.startswith("#")]
        added = "".join(f"{line}\n" for line in wanted if line not in map(str.strip, lines))
    if not added:
        return None
    after = before + ("" if not before or before.endswith("\n") else "\n") + added
    if name == "pyproject.toml":
        try:
            tomllib.loads(after)
        except tomllib.TOMLDecodeError as error:
            raise UsageError(
                f"{folder / name} would not be valid with the settings added ({error}); add a "
                "[tool.guidepress] table to it by hand"
            ) from None
    return Step(folder / name, name, after, before)
