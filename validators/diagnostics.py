"""The one type every rule returns, and how it is shown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from validators.codes import CODES, Severity


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: str
    message: str
    severity: Severity = "error"

    @classmethod
    def of(cls, code: str, path: str, line: int, col: int, message: str) -> Diagnostic:
        """A diagnostic with the code's own severity (a typo in a code fails here, at once)."""
        return cls(path, line, col, code, message, CODES[code].severity)

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: [{self.code}] {self.message}"

    def github(self) -> str:
        # GitHub Actions workflow command: shows the message on the pull request's diff.
        message = _escape(self.message)
        path = (
            _escape(self.path).replace(":", "%3A").replace(",", "%2C")
        )  # property values end at , and :
        return f"::{self.severity} file={path},line={self.line},col={self.col},title={self.code}::{message}"


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.severity == "error" for d in diagnostics)


def to_json(diagnostics: list[Diagnostic], pages: int) -> str:
    return json.dumps(
        {
            "pages": pages,
            "errors": sum(d.severity == "error" for d in diagnostics),
            "warnings": sum(d.severity == "warning" for d in diagnostics),
            "diagnostics": [asdict(d) for d in diagnostics],
        },
        indent=2,
    )
