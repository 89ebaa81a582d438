"""Load the library's settings from `[tool.guidepress]` in pyproject.toml: the one place they live."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from schemas import Settings
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
