"""The files Sphinx will copy into the site, checked where Sphinx resolved them: whatever markup
named them (a role, a directive, a Markdown link, a field MyST rendered, an extension), each must
be inside the library and of a kind pages may show or offer (page_files.published_refusal), and
a guideline page may show or offer only the files its checks saw (and its approvals sign).
Refused files are taken out of the page and off Sphinx's lists, so they are never copied."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from guidepress.schemas import Code
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.page_files import published_refusal


def refuse_unsafe_files(app: Sphinx, doctree: nodes.document) -> None:
    """After Sphinx's collectors (priority 500) have resolved the page's images and downloads."""
    from guidepress.validators.sphinx_adapter import checked_files

    env, docname, source = app.env, app.env.docname, Path(app.srcdir)
    seen = checked_files(env).get(docname)  # None: not a guideline page, whose files nobody signs
    for image in list(doctree.findall(nodes.image)):
        for mimetype, name in image.get("candidates", {}).items():
            if mimetype == "?":
                continue  # a remote image, which Sphinx leaves where it is
            why = _refusal(source, name, seen)
            if why:
                _forget(env.images, name, docname)
                _refuse(image, f"the image {image.get('uri')!r}", why, image.get("alt", ""))
                break
    for download in list(doctree.findall(addnodes.download_reference)):
        if "filename" not in download:
            continue  # a web address, or a file Sphinx could not read and will not copy
        name, _ = env.relfn2path(download["reftarget"], docname)
        why = _refusal(source, name, seen)
        if why:
            _forget(env.dlfiles, name, docname)
            _refuse(download, f"the download {download['reftarget']!r}", why, download.astext())


def refuse_unsafe_copies(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Last, once every page is read: every file on Sphinx's lists to copy, whichever node put it
    there (some, such as a rendered front-matter field, are gone from the page by then)."""
    source = Path(app.srcdir)
    lists: tuple[tuple[dict[Any, tuple[set[str], Any]], str], ...] = (
        (env.images, "image"),
        (env.dlfiles, "download"),
    )
    for files, what in lists:
        for name in list(files):
            why = published_refusal(source, source / str(name))
            if why:
                users = sorted(files.pop(name)[0])
                message = f"the {what} {name} is not published: {why}"
                path = str(env.doc2path(users[0])) if users else str(source / name)
                _log(Diagnostic.of(Code.UNSAFE_CONTENT, path, 1, 1, message))
    return []


def _refusal(source: Path, name: str, seen: frozenset[str] | None) -> str | None:
    why = published_refusal(source, source / name)
    if why is None and seen is not None and Path(name).as_posix() not in seen:
        return (
            "the page's checks did not see it (so its approvals would not cover it); name it "
            "where validate finds it, in the page's body"
        )
    return why


def _forget(files: dict[Any, tuple[set[str], Any]], name: str, docname: str) -> None:
    """Take the page off a file's list of users, and the file off Sphinx's list to copy (whose
    keys are text for images, paths for downloads)."""
    for key in (name, Path(name)):
        users = files.get(key, (set(), ""))[0]
        users.discard(docname)
        if not users:
            files.pop(key, None)


def _refuse(node: nodes.Element, what: str, why: str, text: str) -> None:
    document = node.document
    path = node.source or (document["source"] if document is not None else "")
    message = f"{what} names a file that is not published: {why}"
    _log(Diagnostic.of(Code.UNSAFE_CONTENT, path, node.line or 1, 1, message))
    node.replace_self(nodes.inline("", f"[not published: {text or what}]"))


def _log(diagnostic: Diagnostic) -> None:
    from guidepress.validators.sphinx_adapter import log_diagnostic

    log_diagnostic(diagnostic)


def setup_file_checks(app: Sphinx) -> None:
    app.connect("doctree-read", refuse_unsafe_files, priority=510)
    app.connect("env-updated", refuse_unsafe_copies, priority=999)
