"""Results of the library check, kept between an editor's builds, so that a build after a
one-page edit checks that page again and not the whole library.

A result is reused only for a page whose text has exactly the SHA-256 it had when checked, and
only when everything else the check read is the same too: the settings, the registry, the day
(a page falls overdue), the folder names are shown from, and guidepress itself (its code and
every installed library's version). A page that names files of the library (an
image, a download) is checked every time, since its result depends on those files. `validate`
and `release` never use the cache: what gates a change or a publication is checked afresh.

The cache is a pickle in the build folder, beside Sphinx's own pickled environment, and trusted
as that is: whoever can write the build folder can already change what a build shows. A build
refuses a build folder that git tracks, so no commit can bring one (see
guidepress.build.refuse_planted_build_folder).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

from guidepress.atomic import write_atomically
from guidepress.code_digest import code_digest
from guidepress.validators.library import Result
from guidepress.validators.pipeline import Checks, Layout, read_in_place, text_digest
from guidepress.validators.source import normalised

CACHE_FILE = ".check-cache.pickle"


def context(checks: Checks) -> str:
    """Everything a page's result depends on besides its text."""
    layout = checks.layout
    parts = [
        code_digest(),
        os.getcwd(),  # results name pages as shown from here
        layout.source,
        layout.settings.model_dump_json(),
        checks.registry.model_dump_json() if checks.registry else "",
        checks.today.isoformat(),
    ]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class CheckCache:
    """{absolute page path: (SHA-256 of its text, its result)}, for one context."""

    def __init__(self, file: Path, checks: Checks) -> None:
        self.file, self.context = file, context(checks)
        self.entries: dict[str, tuple[str, Result]] = {}
        try:
            with file.open("rb") as stream:
                saved: Any = pickle.load(stream)  # the build folder's own file, as Sphinx's
            if saved["context"] == self.context:
                self.entries = saved["entries"]
        except Exception:  # noqa: BLE001  missing, damaged or from another version: start empty
            self.entries = {}

    def lookup(self, path: str, layout: Layout) -> Result | None:
        entry = self.entries.get(path)
        if entry is None or not read_in_place(path, layout):
            return None
        try:
            text = normalised(Path(path).read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            return None  # checked again, which reports it
        digest, result = entry
        return result if text_digest(text) == digest else None

    def save(self, results: dict[str, Result]) -> None:
        """Keep the results that depend on their page's text alone, for the pages there are."""
        entries = {
            path: (result.digest, result)
            for path, result in results.items()
            if result.digest is not None
        }
        if entries == self.entries:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps({"context": self.context, "entries": entries})
        write_atomically(self.file, data)
        self.entries = entries
