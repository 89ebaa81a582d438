"""The one type every rule returns, and how it is shown."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from guidepress.schemas import Code, Severity
from guidepress.schemas.characters import printable


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    code: Code
    message: str

    @classmethod
    def of(cls, code: Code, path: str, line: int, col: int, message: str) -> Diagnostic:
        return cls(path, line, col, code, message)

    @property
    def severity(self) -> Severity:
        return self.code.severity

    def format(self) -> str:
        """One line for a terminal or a log, with anything a terminal would act on escaped."""
        where = printable(f"{self.path}:{self.line}:{self.col}")
        return f"{where}: {self.severity}: [{self.code}] {printable(self.message)}"

    def github(self) -> str:
        # GitHub Actions workflow command: shows the message on the pull request's diff.
        message = _escape(printable(self.message))
        # Property values end at , and :
        path = _escape(printable(self.path)).replace(":", "%3A").replace(",", "%2C")
        return (
            f"::{self.severity} file={path},line={self.line},col={self.col},title={self.code}"
            f"::{message}"
        )

    def as_dict(self) -> dict[str, str | int]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": str(self.code),
            "message": self.message,
            "severity": self.severity,
        }


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
            "diagnostics": [d.as_dict() for d in diagnostics],
        },
        indent=2,
    )
