"""What a result kept between builds was made by: guidepress's own files as installed (code,
templates, styles), every installed distribution's version (a new docutils, MyST or Pydantic
may read a page differently) and Python's, with its Unicode tables. A cache keyed by this is
made again after any of them changes."""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import unicodedata
from pathlib import Path


@functools.cache
def code_digest() -> str:
    top = Path(__file__).resolve().parent
    found = []
    for folder, folders, names in os.walk(top, followlinks=True):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in names:  # code, templates, styles, scripts
            info = os.stat(os.path.join(folder, name))
            where = os.path.relpath(os.path.join(folder, name), top)
            found.append(f"{where} {info.st_size} {info.st_mtime_ns}")
    installed = _installed()
    python = f"python {sys.version} unicode {unicodedata.unidata_version}"
    text = "\n".join([python, *sorted(found), *sorted(installed)])
    return hashlib.sha256(text.encode()).hexdigest()


def _installed() -> list[str]:
    """Every distribution Python can import, named by its metadata folder (name and version,
    made again by each install), with that folder's time; read from the folders rather than
    parsing every distribution's metadata, which took a tenth of a second."""
    found = []
    for entry in sys.path:
        try:
            listing = list(os.scandir(entry or "."))
        except OSError:
            continue  # a zip file, or gone
        for item in listing:
            if item.name.endswith((".dist-info", ".egg-info")):
                try:
                    when = item.stat().st_mtime_ns
                except OSError:  # a dangling link
                    when = -1
                found.append(f"{os.path.abspath(item.path)} {when}")
    return found
