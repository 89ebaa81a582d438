"""Write a file so readers see the old content or the new, never a truncated one."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside the target, then rename it over the target. The file
    keeps its permissions, and a new one gets the usual ones (the umask's), not a temporary
    file's owner-only ones: a page others edit, or a web server's downloads page, stays readable."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = Path(os.path.realpath(path))  # through a symbolic link to its file, which stays a link
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = None
    temporary = path.parent / f".{path.name}-{secrets.token_hex(8)}"
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # less the umask
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(
                stream.fileno()
            )  # on disk before the rename makes it the file: a crash loses neither
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
