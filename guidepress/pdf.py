"""Compile the Typst sources written by the builder into PDFs: in parallel, reproducibly,
atomically.

A PDF is only recompiled when its sources change: each result is cached under the SHA-256 of
everything that goes into it, so editing one guideline recompiles that guideline and the
compendium only.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import multiprocessing
import os
import re
import shutil
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import typst

from guidepress.alongside import die_with_parent
from guidepress.atomic import write_atomically
from guidepress.progress import Progress
from guidepress.schemas.guideline import COMPENDIUM_PDF

PDF_STANDARDS: Literal["ua-1"] = "ua-1"  # tagged, accessible PDF (PDF/UA-1)
INCLUDE = re.compile(r'(?:include|import) "([^"]+)"')
NO_GLYPH = re.compile(r'the text `"(.+?)"` could not be displayed')
COMPENDIUM_KEY = "compendium-"  # how the compendium's PDF is named in the cache
IMAGE = re.compile(r"images/[0-9a-f]{32}\.\w+")  # as typst_builder names an image it copies


class PdfError(Exception):
    """A PDF did not compile; the message names the guideline page it came from."""


@dataclass(frozen=True)
class Job:
    pdf: str
    typ: str
    source: str
    key: str

    @property
    def cached(self) -> str:
        """Its file in the PDF cache."""
        prefix = COMPENDIUM_KEY if self.pdf == COMPENDIUM_PDF else ""
        return f"{prefix}{self.key}.pdf"


def source_date_epoch() -> int:
    # Reproducible builds: the same sources give the same bytes (https://reproducible-builds.org).
    return int(os.environ.get("SOURCE_DATE_EPOCH", "0"))


@functools.cache
def _typst_version() -> str:
    return importlib.metadata.version("typst")  # read once: it costs ~0.4 ms a PDF


def cache_key(typ_dir: Path, main: str) -> str:
    """SHA-256 over the main file, every file it includes, the compiler version and settings."""
    digest = hashlib.sha256(f"{_typst_version()} {PDF_STANDARDS} {source_date_epoch()}".encode())
    seen: set[str] = set()
    pending = [main]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        text = (typ_dir / name).read_bytes()
        digest.update(name.encode() + b"\0" + text + b"\0")
        pending += INCLUDE.findall(text.decode("utf-8"))
    return digest.hexdigest()


def _compile(typ_dir: str, job: Job) -> tuple[str, bytes | None, str | None]:
    try:
        pdf = typst.Compiler(root=typ_dir, ignore_system_fonts=True).compile(
            str(Path(typ_dir) / job.typ),
            format="pdf",
            pdf_standards=PDF_STANDARDS,
            timestamp=source_date_epoch(),
        )
    except typst.TypstError as error:
        detail = " ".join(filter(None, [error.message, *getattr(error, "hints", [])]))
        if NO_GLYPH.search(
            detail
        ):  # Typst's hint is for template authors; editors cannot change fonts
            detail += (
                " (the PDF's fonts have no such character: write it another way, e.g. in words)"
            )
        image = _image(Path(typ_dir), str(getattr(error, "diagnostic", "")))
        if image:  # a file the PDF cannot use (damaged, or not what its name says): name it
            return (
                job.pdf,
                None,
                (
                    f"{_shown(image['where']) or _where(job.source, detail)}: the image "
                    f"{_shown(image['file'])} cannot go into the PDF {job.pdf}: {detail}; check "
                    "that it "
                    "opens, or save it again as PNG, JPEG, GIF, WebP or SVG"
                ),
            )
        return (
            job.pdf,
            None,
            f"{_where(job.source, detail)}: the PDF {job.pdf} did not compile: {detail}",
        )
    if not isinstance(pdf, bytes):  # a list of pages: only for image formats
        return (
            job.pdf,
            None,
            f"{job.source}: the PDF {job.pdf} came back as {type(pdf).__name__}, not a PDF",
        )
    return job.pdf, pdf, None


def _image(typ_dir: Path, diagnostic: str) -> dict[str, str] | None:
    """The image (file, and the page and line showing it) that Typst's error points at, if any."""
    found = IMAGE.search(diagnostic)
    try:
        images: dict[str, dict[str, str]] = json.loads(
            (typ_dir / "images.json").read_text(encoding="utf-8")
        )
    except (OSError, ValueError):
        return None
    return images.get(found.group(0)) if found else None


def _shown(path: str) -> str:
    return path.removeprefix(os.path.join(os.getcwd(), ""))  # as validate shows paths


def _where(source: str, detail: str) -> str:
    """The page, and for a character the bundled fonts cannot show (an emoji, most non-Latin
    scripts), the line of the page that holds it."""
    glyph = NO_GLYPH.search(detail)
    try:
        lines = Path(source).read_text(encoding="utf-8").splitlines() if glyph else []
    except OSError:
        lines = []
    line = next(
        (number for number, text in enumerate(lines, 1) if glyph and glyph.group(1) in text), None
    )
    return f"{_shown(source)}:{line}" if line else _shown(source)


def compile_all(
    typ_dir: Path,
    out_dir: Path | None,
    cache_dir: Path,
    compendium: bool,
    previous: Path | None = None,
) -> list[str]:
    """Compile every PDF of the manifest into out_dir (the compendium only when asked: it is
    the one PDF whose time grows with the library, and any change makes it again); returns the
    names recompiled (not cached). No out_dir: only into the cache. previous: the PDFs last
    published, which an unchanged PDF is linked to rather than copied again (see
    build.publish_file)."""
    from guidepress.build import publish_file

    manifest = json.loads((typ_dir / "manifest.json").read_text(encoding="utf-8"))
    if not compendium:
        manifest.pop(COMPENDIUM_PDF, None)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        Job(pdf, entry["typ"], entry["source"], cache_key(typ_dir, entry["typ"]))
        for pdf, entry in sorted(manifest.items())
    ]
    pending = [job for job in jobs if not (cache_dir / job.cached).is_file()]
    errors = []
    if pending:
        workers = min(len(pending), os.cpu_count() or 1)
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        )
        progress = Progress("compiling PDFs")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            for name, pdf, error in pool.map(_compile, [str(typ_dir)] * len(pending), pending):
                progress.step(len(pending))
                job = next(j for j in pending if j.pdf == name)
                if error:
                    errors.append(error)
                else:
                    write_atomically(cache_dir / job.cached, pdf or b"")
        progress.end()
    if errors:
        raise PdfError("\n".join(errors))
    if out_dir is None:
        return [job.pdf for job in pending]
    for job in jobs:
        # Never a link to the cache: a published PDF changed in place must not change it.
        destination = out_dir / job.pdf
        if previous is None:
            shutil.copyfile(cache_dir / job.cached, destination)
        else:
            publish_file(cache_dir / job.cached, previous / job.pdf, destination)
    keep = {job.cached for job in jobs}
    for stale in cache_dir.glob("*.pdf"):  # keep the cache to what the current library uses
        # A compendium is kept until the next build that makes one (it is made only on request).
        if stale.name not in keep and (compendium or not stale.name.startswith(COMPENDIUM_KEY)):
            stale.unlink()
    return [job.pdf for job in pending]
