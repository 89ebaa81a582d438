"""Run Sphinx on the library and put the result in place only when the whole build succeeded."""

from __future__ import annotations

import os
import shutil
import tempfile
import traceback
from contextlib import redirect_stdout
from pathlib import Path

from schemas import Settings


class BuildError(Exception):
    """Sphinx reported errors; the previous output, if any, is left as it was."""


def sphinx_build(root: Path, settings: Settings, builder: str, outdir: Path, *overrides: str) -> None:
    """One Sphinx build, warnings as errors, with doctrees cached between runs."""
    from sphinx.cmd.build import build_main

    build_dir = root / settings.build_dir
    arguments = [
        "-b", builder,
        "-c", str(root),
        "-d", str(build_dir / ".doctrees"),
        "-W", "--keep-going", "-q",
        *(f"-D{override}" for override in overrides),
        str(root / settings.source_dir),
        str(outdir),
    ]
    with redirect_stdout(None):  # Sphinx's progress goes to stdout; its warnings go to stderr
        status = build_main(arguments)
    if status != 0:
        raise BuildError(f"Sphinx {builder} build reported problems (see the messages above)")


def read_sphinx_config(root: Path) -> None:
    """Read conf.py before Sphinx does, so a mistake in it is one clear line, not a crash report."""
    from sphinx.config import Config
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    conf = root / "conf.py"
    if not conf.is_file():
        raise BuildError(f"{conf}: not found; the library's Sphinx configuration lives beside pyproject.toml")
    try:
        Config.read(root, overrides={}, tags=Tags())
    except ConfigError as error:
        cause = error.__cause__
        if isinstance(cause, SyntaxError):
            line, detail = cause.lineno, f"syntax error: {cause.msg}"
        elif cause is not None:
            frames = [f for f in traceback.extract_tb(cause.__traceback__) if Path(f.filename) == conf]
            line, detail = (frames[-1].lineno if frames else None), f"{type(cause).__name__}: {cause}"
        else:
            line, detail = None, str(error)
        raise BuildError(f"{conf}:{line or 1}: error in the Sphinx configuration: {detail}") from None


def build_site(root: Path, settings: Settings, target: Path | None = None, release: str | None = None) -> tuple[Path, list[str]]:
    """HTML site with a PDF per guideline and a compendium in its pdf/ folder, swapped in whole.
    Returns the site folder and the PDFs that had to be compiled (the rest came from the cache)."""
    from guidepress.pdf import PdfError, compile_all

    read_sphinx_config(root)
    build_dir = root / settings.build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    target = target or build_dir / "html"
    staging = Path(tempfile.mkdtemp(prefix=".html-", dir=target.parent))
    typst_sources = build_dir / "typst"
    try:
        release_options = [f"guidepress_release={release}"] if release else []
        sphinx_build(root, settings, "html", staging, "guidepress_pdf=1", *release_options)
        shutil.rmtree(typst_sources, ignore_errors=True)
        sphinx_build(root, settings, "guidepress-typst", typst_sources)
        try:
            compiled = compile_all(typst_sources, staging / "pdf", build_dir / ".pdf-cache")
        except PdfError as error:
            raise BuildError(str(error)) from None
        replace_folder(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, compiled


def replace_folder(new: Path, target: Path) -> None:
    """Swap a finished folder into place; readers see the old or the new one, never a mix."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
