"""The one base of every error a command stops on, carrying the exit code it ends with.

Exit codes: 0 clean (warnings allowed), 1 the library has errors or an action was refused,
2 bad usage or settings. Only the command line prints these and exits; code below it raises.
"""

from __future__ import annotations

from typing import ClassVar

from guidepress.schemas.characters import printable

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class GuidepressError(Exception):
    """A problem the user can fix, said in one message; never shown as a traceback."""

    exit_code: ClassVar[int] = EXIT_ERRORS
    prefix: ClassVar[str] = "guidepress: error: "

    def report(self) -> str:
        """The message for a terminal: anything in it a terminal would act on is escaped (it may
        name a file or quote an answer from the network)."""
        return f"{self.prefix}{printable(str(self))}"


class UsageError(GuidepressError):
    """The command was asked for something it cannot do: a missing file, a bad option value."""

    exit_code = EXIT_USAGE
