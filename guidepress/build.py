"""Run Sphinx on the library and put the result in place only when the whole build succeeded."""

from __future__ import annotations

import filecmp
import os
import shutil
import stat
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO, Any, TextIO, cast

from filelock import FileLock, Timeout

from guidepress import build_stamp
from guidepress.alongside import Alongside
from guidepress.schemas import Settings
from guidepress.schemas.characters import printable
from guidepress.validators.errors import GuidepressError


class Printable:
    """A stream that escapes what a terminal would act on: Sphinx's messages name the library's
    files, and a file name may hold an escape sequence."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(printable(text))

    def flush(self) -> None:
        self.stream.flush()


class BuildError(GuidepressError):
    """Sphinx reported errors; the previous output, if any, is left as it was."""

    prefix = "guidepress: build failed: "


def sphinx_build(
    root: Path,
    settings: Settings,
    builder: str,
    outdir: Path,
    doctrees: Path,
    overrides: dict[str, Any] | None = None,
    strict: bool = True,
    alongside: Alongside | None = None,
    read_nothing: bool = False,
) -> None:
    """One Sphinx build, warnings as errors (unless not `strict`: a preview shows a page with
    problems, and says what they are), with doctrees cached between successful runs. The
    library was validated just before, which printed guidepress's own warnings (an overdue page, an
    uncited reference) and failed on them only if asked: here they are left out, so that a page
    falling overdue does not stop every build of the library.

    A failed build throws its doctrees away: Sphinx keeps a document it has read, and does not
    read it again (nor repeat its warnings) until it changes, so the next build would pass a page
    this one refused. A crash inside Sphinx becomes one line naming the page, its report a file.

    alongside: the PDF half of the build, started once this (HTML) build has saved what it read,
    and stopped before anything is deleted if this build fails. read_nothing: build only from
    what an earlier build of the same run read (the PDF half; see guidepress.alongside).
    """
    from sphinx.application import Sphinx
    from sphinx.util.console import nocolor
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    from guidepress.progress import follow

    nocolor()  # Sphinx's messages go through an escaping stream, which would show colours as codes
    app, succeeded = None, False
    try:
        with patch_docutils(root), docutils_namespace():
            app = Sphinx(
                str(root / settings.source_dir),
                str(root),
                str(outdir),
                str(doctrees),
                builder,
                # The settings the command read, handed down rather than found again.
                confoverrides={
                    "guidepress_settings": settings,
                    "guidepress_report_warnings": False,
                    **(overrides or {}),
                },
                status=None,
                warning=cast(IO[str], Printable(sys.stderr)),
                warningiserror=strict,
            )
            follow(app)
            if alongside is not None:
                app.connect("write-started", alongside.start)
            if read_nothing:
                app.connect("env-before-read-docs", _read_none, priority=900)
            app.build()
            succeeded = app.statuscode == 0
    except Exception as error:  # noqa: BLE001  Sphinx and its extensions may raise anything
        raise BuildError(_crash_report(root, settings, app, builder, error)) from None
    finally:
        if alongside is not None and not succeeded:  # failed, crashed or interrupted
            alongside.stop()  # before the doctrees it reads go
        if not succeeded and not read_nothing:  # a build that read nothing changed none of them
            shutil.rmtree(doctrees, ignore_errors=True)
    if not succeeded:
        raise BuildError(f"Sphinx {builder} build reported problems (see the messages above)")


def _read_none(app: Any, env: Any, docnames: list[str]) -> None:
    docnames.clear()  # Sphinx's documented way for an extension to choose what is read


def _crash_report(root: Path, settings: Settings, app: Any, builder: str, error: Exception) -> str:
    """Save the traceback for whoever fixes the bug; tell the editor which page set it off."""
    log = root / settings.build_dir / "sphinx-crash.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text("".join(traceback.format_exception(error)), encoding="utf-8")
    docname = _page_being_processed(error, set(app.env.found_docs)) if app is not None else None
    where = f"{app.env.doc2path(docname)}: " if docname else ""
    cause = _causes(error)[-1]  # the original error, not Sphinx's wrapper around it
    reason = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    what = "this page" if docname else "the library"
    return (
        f"{where}Sphinx stopped with an internal error in the {builder} build ({reason}). "
        "Something in "
        f"{what} trips a bug in Sphinx or an extension: simplify the markup near recent edits (a "
        "role "
        f"inside a heading, say). The full report is in {log}."
    )


def _causes(error: BaseException) -> list[BaseException]:
    """The error, then what caused it, and so on back to the original."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _page_being_processed(error: BaseException, docs: set[str]) -> str | None:
    """The document Sphinx was reading or writing: the innermost frame with a `docname` of the
    library (Sphinx's readers, writers and event handlers all name it so). Sphinx wraps an
    extension's exception, so its cause holds the innermost frames."""
    for exception in reversed(_causes(error)):
        for frame, _ in reversed(list(traceback.walk_tb(exception.__traceback__))):
            docname = frame.f_locals.get("docname")
            if isinstance(docname, str) and docname in docs:
                return docname
    return None


def refuse_planted_build_folder(root: Path, build_dir: Path) -> None:
    """A build folder is made by builds on this machine, never brought by the repository: what
    it caches (Sphinx's pickled environment, the library check's results, PDFs) would otherwise
    run, or count as checked, whatever someone committed there."""
    from guidepress.history import HistoryError, git_bytes

    if build_dir.is_symlink():
        raise BuildError(
            f"{build_dir} is a symbolic link; the build folder must be a folder of its own: "
            "remove the link and build again"
        )
    try:
        tracked = git_bytes(root, "ls-files", "-z", "--", str(build_dir.absolute()))
    except HistoryError:
        return  # not in git, or the folder is outside the repository
    if tracked:
        first = tracked.split(b"\0", 1)[0].decode(errors="replace")
        raise BuildError(
            f"{build_dir} holds files git tracks ({printable(first)}, …): a build folder is made "
            "by builds, never committed; remove it from git (`git rm -r --cached "
            f"{build_dir.name}`), add it to .gitignore, delete it, and build again"
        )


def read_sphinx_config(root: Path) -> dict[str, Any]:
    """Read conf.py before Sphinx does, so a mistake in it is one clear line, not a crash report.
    Returns the values conf.py sets."""
    from sphinx.config import Config
    from sphinx.errors import ConfigError
    from sphinx.util.tags import Tags

    conf = root / "conf.py"
    if not conf.is_file():
        raise BuildError(
            f"{conf}: not found; the library's Sphinx configuration lives beside pyproject.toml"
        )
    try:
        return dict(Config.read(root, overrides={}, tags=Tags())._raw_config)
    except ConfigError as error:
        cause = error.__cause__
        if isinstance(cause, SyntaxError):
            line, detail = cause.lineno, f"syntax error: {cause.msg}"
        elif cause is not None:
            frames = [
                f for f in traceback.extract_tb(cause.__traceback__) if Path(f.filename) == conf
            ]
            line, detail = (
                (frames[-1].lineno if frames else None),
                f"{type(cause).__name__}: {cause}",
            )
        else:
            line, detail = None, str(error)
        raise BuildError(
            f"{conf}:{line or 1}: error in the Sphinx configuration: {detail}"
        ) from None


def build_site(
    root: Path,
    settings: Settings,
    target: Path | None = None,
    release: str | None = None,
    history: Path | None = None,
    compendium: bool = False,
) -> tuple[Path, list[str] | None]:
    """HTML site with a PDF per guideline in its pdf/ folder (and the compendium, for a release
    or when asked), swapped in whole. Returns the site folder and the PDFs that had to be
    compiled (the rest came from the cache).
    history: the source folder in git whose history the recommendations' change tags come from,
    when root is an export without git (a release). The PDFs compiled are None when nothing
    changed since the last build, which published the site as it is (see build_stamp)."""
    build_dir = root / settings.build_dir
    build_dir.mkdir(parents=True, exist_ok=True)
    # Builds share Sphinx's cache, the Typst sources and the PDF cache: one at a time.
    lock = FileLock(str(build_dir / ".build.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        print(
            "guidepress: another build of this library is running; waiting for it to finish",
            file=sys.stderr,
            flush=True,
        )
        lock.acquire()  # released by the OS if its holder dies, so a wait always ends
    try:
        if release or target:  # a release, or a site published elsewhere: always from scratch
            read_sphinx_config(root)
            extra = {"guidepress_history_source": str(history)} if history else {}
            output = target or build_dir / "html"
            return _build_site(root, settings, build_dir, output, release, extra, compendium)
        output = build_dir / "html"
        config = read_sphinx_config(root)
        inputs = build_stamp.inputs_digest(root, build_dir, config, compendium)
        if build_stamp.is_current(build_dir, inputs, output):
            return output, None
        built = _build_site(root, settings, build_dir, output, None, {}, compendium)
        build_stamp.record(build_dir, inputs, output)
        return built
    finally:
        lock.release()


def _build_site(
    root: Path,
    settings: Settings,
    build_dir: Path,
    target: Path,
    release: str | None,
    extra: dict[str, Any],
    compendium: bool,
) -> tuple[Path, list[str]]:
    """Sphinx writes into a working folder kept between builds, so it writes only the pages that
    changed (with their doctrees, also kept); the finished site is then copied beside the target
    and swapped in whole. A release starts from nothing: what is published never rests on what
    an earlier build left behind."""
    from guidepress.pdf import PdfError, compile_all

    work = Path(tempfile.mkdtemp(prefix=".release-", dir=build_dir)) if release else build_dir
    staging = Path(tempfile.mkdtemp(prefix=".html-", dir=target.parent))
    try:
        html, typst = work / ".work" / "html", work / ".work" / "typst"
        doctrees = work / ".doctrees"
        # A release compiles every PDF afresh: nothing it publishes rests on a cache.
        cache = work / ".pdf-cache" if release else build_dir / ".pdf-cache"
        # The compendium is the whole library again after any edit: a release's, or asked.
        compendium = compendium or bool(release)

        def pdf_half() -> list[str]:
            typst_overrides = {"guidepress_release": release or "", **extra}
            sphinx_build(
                root, settings, "guidepress-typst", typst, doctrees, typst_overrides,
                read_nothing=True,
            )  # fmt: skip
            try:
                return compile_all(typst, None, cache, compendium)
            except PdfError as error:
                raise BuildError(str(error)) from None

        _preload_sphinx()  # once, before the fork: both halves use it
        alongside = Alongside(pdf_half, BuildError)
        try:
            overrides = {"guidepress_pdf": True, "guidepress_release": release or "", **extra}
            sphinx_build(root, settings, "html", html, doctrees, overrides, alongside=alongside)
            compiled: list[str] = alongside.result()
        except BaseException:  # failed, crashed or interrupted: the next build starts clean
            alongside.stop()
            shutil.rmtree(work / ".work", ignore_errors=True)
            raise
        site = staging / "site"
        snapshot(html, target, site)
        try:  # every PDF is in the cache now: this publishes them
            compile_all(typst, site / "pdf", cache, compendium, target / "pdf")
        except PdfError as error:
            raise BuildError(str(error)) from None
        replace_folder(site, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if release:
            shutil.rmtree(work, ignore_errors=True)
    return target, compiled


def _preload_sphinx() -> None:
    """Import what a Sphinx build of the library imports, so a forked process need not."""
    import furo  # noqa: F401
    import myst_parser  # noqa: F401
    import sphinx.application  # noqa: F401

    import guidepress.sphinx_ext  # noqa: F401


def snapshot(work: Path, previous: Path, new: Path) -> int:
    """Copy the finished working folder to `new`, which nothing else writes to: a file with the
    same bytes as its copy in the previous snapshot is a hard link to that copy, any other a
    fresh copy. Never a link to the working file itself, which Sphinx overwrites in place, and
    never anything but folders and regular files (Sphinx makes nothing else: a link found there
    was put there, and would publish whatever it points at). Returns how many were copied."""
    copied = 0
    for folder, folders, names in os.walk(work):
        relative = os.path.relpath(folder, work)
        os.makedirs(os.path.join(new, relative), exist_ok=True)
        for name in [*folders, *names]:
            path = os.path.join(folder, name)
            mode = os.lstat(path).st_mode
            if not (stat.S_ISDIR(mode) if name in folders else stat.S_ISREG(mode)):
                raise BuildError(
                    f"{path} is not a plain file or folder, which Sphinx never makes: delete "
                    f"{work.parent} and build again"
                )
        for name in names:
            copied += publish_file(
                os.path.join(folder, name),
                os.path.join(previous, relative, name),
                os.path.join(new, relative, name),
            )
    return copied


def publish_file(source: str | Path, before: str | Path, destination: str | Path) -> bool:
    """Put the bytes of `source` at `destination`, in a new snapshot: a hard link to `before`,
    its copy in the previous snapshot, when that holds the same bytes, else a fresh copy (so a
    file changed in place in a snapshot is never published again, nor changes its source).
    Returns whether it copied."""
    if _same_bytes(source, before) and not os.path.samefile(source, before):  # never the source
        try:
            os.link(before, destination)
            return False
        except OSError:
            pass  # another file system, or links not allowed: copy
    shutil.copy2(source, destination)
    return True


def _same_bytes(source: str | Path, before: str | Path) -> bool:
    try:
        now, then = os.lstat(source), os.lstat(before)
    except OSError:
        return False
    if not stat.S_ISREG(then.st_mode) or now.st_size != then.st_size:
        return False
    return filecmp.cmp(source, before, shallow=False)


def replace_folder(new: Path, target: Path) -> None:
    """Swap a finished folder into place; readers see the old or the new one, never a mix."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
