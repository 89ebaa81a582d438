"""`guidepress init [FOLDER]`: start a library that validates and builds at once.

It writes the settings, the Sphinx configuration, a placeholder reviewer, a home page, one
example guideline in draft, a .gitignore, CI workflows that install guidepress as a package, and a
pre-commit configuration. It never overwrites a file: it refuses a folder that already holds a
library, adds its lines to an existing pyproject.toml or .gitignore, and keeps any other file
that exists (saying so).
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path

from guidepress.atomic import write_atomically
from guidepress.validators.errors import UsageError
from guidepress.validators.rules import add_years
from guidepress.validators.safety import title_markup

TEMPLATES = Path(__file__).parent / "templates" / "library"
EXAMPLE_PAGE = "docs/guidelines/example-guideline.md"
# Files of a library: where one exists, the folder already holds a library (or another Sphinx
# project), and init writes nothing.
CORE = ("conf.py", "reviewers.yaml", "docs/index.md", EXAMPLE_PAGE)
# Files init adds to rather than refuses: (file, its template).
EXTENDED = {"pyproject.toml": "pyproject.toml", ".gitignore": "gitignore"}
# Files a library is better with, kept as they are where they exist: (file, its template).
OPTIONAL = {
    "requirements.txt": "requirements.txt",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/pull-request.yml": "github/workflows/pull-request.yml",
    ".github/workflows/release.yml": "github/workflows/release.yml",
    ".github/workflows/linkcheck.yml": "github/workflows/linkcheck.yml",
    "README.md": "README.md",
}


@dataclass(frozen=True)
class Values:
    """What the templates are filled in with."""

    title: str
    today: date
    requirement: str

    def fill(self, text: str) -> str:
        next_review = add_years(self.today, 3)  # the default review interval
        replacements = {
            "@TITLE@": json.dumps(self.title),  # a quoted string in Python, YAML and TOML alike
            "@TITLE_TEXT@": self.title,
            "@TODAY@": self.today.isoformat(),
            "@NEXT_REVIEW@": next_review.isoformat(),
            "@YEAR@": str(self.today.year),
            "@REQUIREMENT@": self.requirement,
        }
        for token, value in replacements.items():
            text = text.replace(token, value)
        return text


def init_library(
    folder: Path, title: str | None, requirement: str | None, today: date | None = None
) -> list[str]:
    """Write the library into `folder`; returns a line for each file written, extended or kept."""
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; give a folder for the new library")
    values = Values(_title(folder, title), today or date.today(), requirement or installed_as())
    existing = [name for name in CORE if (folder / name).exists()]
    if _has_settings(folder / "pyproject.toml"):
        existing.insert(0, "pyproject.toml (with [tool.guidepress])")
    if existing:
        raise UsageError(
            f"{folder} already holds a library or a Sphinx project ({', '.join(existing)}); "
            "init never overwrites a file: start the library in a new folder"
        )
    said = []
    for name in CORE:
        _create(folder / name, values.fill(_template(name)))
        said.append(f"wrote {name}")
    for name, template in EXTENDED.items():
        said.append(_extend(folder / name, values.fill(_template(template)), name))
    for name, template in OPTIONAL.items():
        if (folder / name).exists():
            said.append(f"kept {name}, which exists; compare it with what init writes")
        else:
            _create(folder / name, values.fill(_template(template)))
            said.append(f"wrote {name}")
    said.append(f"a library is ready in {folder}: run `guidepress build` there")
    return said


def installed_as() -> str:
    """The requirement that installs the guidepress running now: its git address and commit when
    it was installed from git, else its version (for PyPI, or once it is published there)."""
    distribution = metadata.distribution("guidepress")
    try:
        origin = json.loads(distribution.read_text("direct_url.json") or "{}")
    except ValueError:
        origin = {}
    vcs = origin.get("vcs_info") if isinstance(origin, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and vcs.get("commit_id"):
        return f"guidepress @ git+{origin['url']}@{vcs['commit_id']}"
    return f"guidepress=={distribution.version}"


def _title(folder: Path, title: str | None) -> str:
    if title is None:
        words = folder.resolve().name.replace("-", " ").replace("_", " ").strip()
        title = (words[:1].upper() + words[1:]) if words else "Guideline library"
    title = " ".join(title.split())
    markup = title_markup(title) if title else "nothing"
    if markup or any(ord(c) < 32 or ord(c) == 127 for c in title):
        raise UsageError(
            f"the title {title!r} holds {markup or 'a control character'}: give it as plain "
            "text with --title, e.g. --title 'Cardiology guidelines'"
        )
    return title


def _template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _has_settings(pyproject: Path) -> bool:
    try:
        return "guidepress" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(
            f"{pyproject} cannot be read ({error}); fix it, then run init again"
        ) from None


def _create(path: Path, text: str) -> None:
    """Write a new file whole, never over one that exists: a hard link to a finished temporary
    file is made in one step and fails if the name is taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.parent / f".{path.name}-{secrets.token_hex(8)}"
    temporary.write_text(text, encoding="utf-8")
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise UsageError(f"{path} appeared while init was writing; it was left as it is") from None
    finally:
        temporary.unlink()


def _extend(path: Path, addition: str, name: str) -> str:
    """Create the file, or add what it lacks to its end, keeping everything it holds."""
    if not path.exists():
        _create(path, addition)
        return f"wrote {name}"
    text = path.read_text(encoding="utf-8")
    if name == "pyproject.toml":  # _has_settings found no table
        added, what = "\n" + addition, "the [tool.guidepress] table"
        try:
            tomllib.loads(text + "\n" + added)
        except tomllib.TOMLDecodeError as error:
            raise UsageError(
                f"{path} would not be valid with the settings added ({error}); add "
                "a [tool.guidepress] table to it by hand"
            ) from None
    else:
        have = {line.strip() for line in text.splitlines()}
        wanted = [line for line in addition.splitlines() if line and not line.startswith("#")]
        missing = [line for line in wanted if line.strip() not in have]
        added, what = "".join(f"{line}\n" for line in missing), ", ".join(missing)
    if not added.strip():
        return f"kept {name}, which already has what the library needs"
    separator = "" if not text or text.endswith("\n") else "\n"
    write_atomically(path, text + separator + added)
    return f"added {what} to {name}"
