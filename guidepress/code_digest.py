"""What a result kept between builds was made by: guidepress's own code as installed, every
installed distribution's version (a new docutils, MyST or Pydantic may read a page differently)
and Python's, with its Unicode tables. A cache keyed by this is made again after any of them
changes."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import os
import sys
import unicodedata
from pathlib import Path


@functools.cache
def code_digest() -> str:
    top = Path(__file__).resolve().parent
    found = []
    for folder, _, names in os.walk(top, followlinks=True):
        for name in names:
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                where = os.path.relpath(os.path.join(folder, name), top)
                found.append(f"{where} {info.st_size} {info.st_mtime_ns}")
    installed = [f"{d.metadata['Name']} {d.version}" for d in importlib.metadata.distributions()]
    python = f"python {sys.version} unicode {unicodedata.unidata_version}"
    text = "\n".join([python, *sorted(found), *sorted(installed)])
    return hashlib.sha256(text.encode()).hexdigest()
