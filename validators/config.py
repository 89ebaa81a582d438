"""Load the library's settings from `[tool.guidepress]` in pyproject.toml: the one place they
live."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from guidepress.schemas import Code, Registry, Settings
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.errors import EXIT_USAGE, GuidepressError
from guidepress.validators.schema_errors import dotted, schema_diagnostics
from guidepress.validators.source import Page, _Loader, _Refused


class SettingsError(GuidepressError):
    """pyproject.toml is unreadable or its [tool.guidepress] table is invalid."""

    exit_code = EXIT_USAGE
    prefix = ""  # the message is already one located line per problem


@dataclass(frozen=True)
class Library:
    """Where a library is and its settings, found the same way by every command and by Sphinx."""

    root: Path
    settings: Settings
    has_settings: bool  # False: no [tool.guidepress] table, so the defaults apply

    @classmethod
    def at(cls, root: Path) -> Library:
        """The library whose project folder is `root` (the command line's --root)."""
        return cls(root, load_settings(root), _settings_table(root) is not None)

    @classmethod
    def around(cls, start: Path) -> Library:
        """The library holding `start`: the nearest folder at or above it whose pyproject.toml has
        a [tool.guidepress] table, so guidepress works from any folder inside the library, as
        pytest and ruff do. Without one, `start` itself, with the default settings. A
        pyproject.toml on the way that cannot be read is an error, never passed over: it may be
        the library's own."""
        for folder in (start, *start.parents):
            if _settings_table(folder) is not None:
                return cls.at(folder)
        return cls(start, Settings(), has_settings=False)


def _settings_table(folder: Path) -> dict[str, Any] | None:
    """The folder's [tool.guidepress] table; None when it has no pyproject.toml or no table."""
    path = folder / "pyproject.toml"
    if not path.is_file():
        return None
    try:
        tool = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: cannot read settings: {error}") from None
    table = tool.get("guidepress") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):
        raise SettingsError(f"{path}: tool.guidepress must be a table, [tool.guidepress]")
    return table


def load_settings(root: Path) -> Settings:
    path = root / "pyproject.toml"
    if not path.is_file():
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
        table = tomllib.loads(text).get("tool", {}).get("guidepress", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SettingsError(f"{path}: cannot read settings: {error}") from None
    try:
        return Settings.model_validate(table)
    except ValidationError as error:
        lines = text.splitlines()
        problems = []
        for item in error.errors(include_url=False):
            line = _setting_line(lines, tuple(item["loc"]))
            # A check of ours raises ValueError, which Pydantic prefixes with "Value error, ".
            message = str(item["ctx"]["error"]) if item["type"] == "value_error" else item["msg"]
            where = dotted(tuple(item["loc"]))
            problems.append(f"{path}:{line}:1: error: [tool.guidepress] {where}: {message}")
        raise SettingsError("\n".join(problems)) from None


def _setting_line(lines: list[str], loc: tuple[int | str, ...]) -> int:
    """The line of a setting: under its own table header ([tool.guidepress.linkcheck]) if it has
    one.
    tomllib keeps no positions, and settings files are short enough to search."""
    table, start = (
        "tool.guidepress",
        next((i for i, t in enumerate(lines) if t.strip() == "[tool.guidepress]"), 0),
    )
    for key in (str(k) for k in loc if isinstance(k, str)):
        header = next((i for i, t in enumerate(lines) if t.strip() == f"[{table}.{key}]"), None)
        if header is not None:
            table, start = f"{table}.{key}", header
            continue
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*[=.]")  # key = …, or a dotted key.sub = …
        found = next((i for i in range(start, len(lines)) if pattern.match(lines[i])), None)
        return (found if found is not None else start) + 1
    return start + 1


def load_registry(root: Path, settings: Settings) -> tuple[Registry | None, list[Diagnostic]]:
    """The editorial board, or None when the library has no registry file."""
    path = root / settings.registry
    if not path.is_file():
        return None, []
    shown = str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _Refused) as error:
        return None, [
            Diagnostic.of(
                Code.REGISTRY_INVALID, shown, 1, 1, f"cannot read the reviewer registry: {error}"
            )
        ]
    page = Page(path=shown, text=text, front_matter=text, data=data, offset=1)
    try:
        return Registry.model_validate(data), []
    except ValidationError as error:
        return None, [
            Diagnostic.of(Code.REGISTRY_INVALID, d.path, d.line, d.col, d.message)
            for d in schema_diagnostics(page, error, Registry)
        ]
