"""A long build's progress on one line of a terminal: pages read, pages written, PDFs compiled.
Quiet anywhere else (CI logs, files, pipes), where only the summary at the end is printed."""

from __future__ import annotations

import os
import sys
from typing import Any

from sphinx.application import Sphinx


def wanted() -> bool:
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    def __init__(self, what: str) -> None:
        self.what, self.done, self.total = what, 0, 0
        self.shown = wanted()

    def step(self, total: int | None = None) -> None:
        self.done += 1
        self.total = total or self.total
        if self.shown:
            of = f"/{self.total}" if self.total else ""
            sys.stderr.write(f"\rguidepress: {self.what} {self.done}{of}\x1b[K")
            sys.stderr.flush()

    def end(self) -> None:
        if self.shown and self.done:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def follow(app: Sphinx) -> None:
    """Show a Sphinx build's pages read and written."""
    if not wanted():
        return
    reading, writing = Progress("reading pages"), Progress("writing pages")
    to_read: list[int] = [0]

    def before_read(app: Sphinx, env: Any, docnames: list[str]) -> None:
        to_read[0] = len(docnames)

    def read(app: Sphinx, docname: str, source: list[str]) -> None:
        reading.step(to_read[0])

    def written(*args: Any) -> None:
        if reading.done:
            reading.end()
            reading.done = 0
        writing.step()

    app.connect("env-before-read-docs", before_read)
    app.connect("source-read", read, priority=900)
    app.connect("doctree-resolved", written, priority=900)

    def finished(app: Sphinx, exception: BaseException | None) -> None:
        reading.end()
        writing.end()

    app.connect("build-finished", finished)
