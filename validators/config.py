"""Load the library's settings from `[tool.guidepress]` in pyproject.toml: the one place they live."""

from __future__ import annotations

import tomllib

import yaml
from pathlib import Path

from pydantic import ValidationError

from schemas import Registry, Settings
from validators.diagnostics import Diagnostic
from validators.schema_errors import schema_diagnostics
from validators.source import Page, _DuplicateKey, _Loader
from validators.schema_errors import dotted


class SettingsError(Exception):
    """pyproject.toml is unreadable or its [tool.guidepress] table is invalid."""


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
            key = str(item["loc"][0]) if item["loc"] else ""
            line = next((n for n, t in enumerate(lines, 1) if key and t.strip().startswith(key)), 1)
            problems.append(f"{path}:{line}:1: error: [tool.guidepress] {dotted(tuple(item['loc']))}: {item['msg']}")
        raise SettingsError("\n".join(problems)) from None


def load_registry(root: Path, settings: Settings) -> tuple[Registry | None, list[Diagnostic]]:
    """The editorial board, or None when the library has no registry file."""
    path = root / settings.registry
    if not path.is_file():
        return None, []
    shown = str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (the safe loader, refusing duplicate keys)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, _DuplicateKey) as error:
        return None, [Diagnostic.of("registry-invalid", shown, 1, 1, f"cannot read the reviewer registry: {error}")]
    page = Page(path=shown, text=text, front_matter=text, data=data, offset=1)
    try:
        return Registry.model_validate(data), []
    except ValidationError as error:
        return None, [Diagnostic.of("registry-invalid", d.path, d.line, d.col, d.message) for d in schema_diagnostics(page, error, Registry)]
