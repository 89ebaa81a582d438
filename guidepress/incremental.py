"""What Sphinx's own incremental HTML build leaves out, for an output folder kept between builds:

- a page's navigation lists every page, so when a page is added, removed or retitled (or a
  toctree changes), every page is written again, not only the pages Sphinx saw change;
- the other way round, when a page is read again with the same outline (title, sections,
  toctrees), the page whose toctree lists it (the index) shows the same, and is not written
  again;
- the output of a page that was removed, and images and downloads no page uses any more, are
  deleted rather than left to be published;
- the theme's templates are compiled again by every build (a tenth of a second): Jinja keeps
  them compiled, beside the doctrees.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from collections.abc import Set as AbstractSet
from pathlib import Path

import sphinx
from docutils.nodes import Node
from jinja2 import FileSystemBytecodeCache
from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import BuildEnvironment
from sphinx.environment.adapters.toctree import global_toctree_for_doc

from guidepress.code_digest import code_digest
from guidepress.navigation import FURO_ASKS, PHANTOM


def _html_builder(app: Sphinx) -> StandaloneHTMLBuilder | None:
    builder = app.builder
    return builder if isinstance(builder, StandaloneHTMLBuilder) else None


def forget_removed_pages(
    app: Sphinx,
    env: BuildEnvironment,
    added: AbstractSet[str],
    changed: AbstractSet[str],
    removed: AbstractSet[str],
) -> list[str]:
    builder = _html_builder(app)
    if builder is not None:
        for docname in removed:
            for path in (
                builder.get_output_path(docname),
                Path(builder.outdir, "_sources", f"{docname}.txt"),
            ):
                path.unlink(missing_ok=True)
    return []


# Per Sphinx run (never pickled): each page read or removed, with its outline before.
OUTLINES_BEFORE = "_guidepress_outlines_before"
SAME_OUTLINE = "_guidepress_same_outline"
PARENTS_KEPT = "_guidepress_parents_kept"


def outline(env: BuildEnvironment, docname: str) -> str:
    """What a page gives the toctrees that list it, and so every page's navigation: its title,
    its sections, the pages its own toctrees list, and how deep its table of contents goes."""
    parts = (
        env.titles.get(docname),
        env.tocs.get(docname),
        env.toctree_includes.get(docname),
        env.metadata.get(docname, {}).get("tocdepth"),
    )
    return "\n".join(part.pformat() if isinstance(part, Node) else repr(part) for part in parts)


def lent(env: BuildEnvironment, docname: str) -> str:
    """What other pages show of a page besides its outline: its labels with their text (a
    `{ref}` to its figure shows the caption) and its numbers (a `{numref}` shows them)."""
    labels = sorted(
        (name, *entry) for name, entry in env.domains["std"].labels.items() if entry[0] == docname
    )
    numbers = (env.toc_secnumbers.get(docname), env.toc_fignumbers.get(docname))
    return repr((labels, numbers))


def page_read_or_removed(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    """Marks the catalogue out of date, and notes the page's outline before it goes (this runs
    before Sphinx's own collectors clear it). Sphinx purges a page before reading it again and
    when it is removed, whichever builder is running, so no change escapes."""
    env.domains["guidepress"].data["pages_changed"] = True
    before = app.__dict__.setdefault(OUTLINES_BEFORE, {})
    before.setdefault(docname, (outline(env, docname), lent(env, docname)))


def pages_were_read(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Marks the navigation out of date when a page read or removed now has another outline (a
    page added had none). Pages read with the same outline are noted: the pages whose toctrees
    list them need not be written again."""
    before: dict[str, tuple[str, str]] = app.__dict__.pop(OUTLINES_BEFORE, {})
    same = {name: lent_was for name, (was, lent_was) in before.items() if outline(env, name) == was}
    if len(same) < len(before):
        env.domains["guidepress"].data["outline_changed"] = True
    app.__dict__[SAME_OUTLINE] = same
    return []


def keep_parents_unwritten(app: Sphinx, env: BuildEnvironment) -> None:
    """Sphinx writes again every page whose toctree lists a page it read (the index lists them
    all, which at 1,000 pages is most of an edit's build). A page whose outline is the same
    shows the same in those toctrees: for this run's writing only, it has no such parents.
    Runs after Sphinx has saved its environment and checked it, and is undone when the build
    ends."""
    kept = {}
    same: dict[str, str] = app.__dict__.pop(SAME_OUTLINE, {})
    for docname, lent_before in same.items():
        # Numbers are given after reading, before this: compared here.
        if env.files_to_rebuild.get(docname) and lent(env, docname) == lent_before:
            kept[docname] = env.files_to_rebuild[docname]
            env.files_to_rebuild[docname] = set()
    app.__dict__[PARENTS_KEPT] = kept


def restore_parents(app: Sphinx, exception: BaseException | None) -> None:
    kept = app.__dict__.pop(PARENTS_KEPT, {})
    if app.env is not None:
        app.env.files_to_rebuild.update(kept)


def rendered_with(builder: StandaloneHTMLBuilder) -> str:
    """What, besides the pages, the navigation's HTML and the catalogue's addresses come from:
    the settings that make Sphinx write every page again (a link suffix, say), which read none,
    and the code that renders them."""
    info = builder.build_info
    versions = f"sphinx {sphinx.__version__} furo {importlib.metadata.version('furo')}"
    return f"{info.config_hash} {info.tags_hash} {versions} {code_digest()}"


def is_current(builder: StandaloneHTMLBuilder) -> bool:
    """Whether the catalogue is the last build's: no page read or removed, nor what renders it
    changed."""
    return bool(builder.__dict__.get("_guidepress_catalogue_current", False))


def navigation_changed(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Every page, when the navigation all pages show differs from the last build's. Worked out
    again only when a page's outline changed, or what renders it."""
    builder = _html_builder(app)
    if builder is None:
        return []
    data = env.domains["guidepress"].data
    key = rendered_with(builder)
    same_renderer = data.get("rendered_with") == key
    builder.__dict__["_guidepress_catalogue_current"] = (
        same_renderer and not data.get("pages_changed", True) and "navigation" in data
    )
    data["pages_changed"] = False
    if same_renderer and not data.get("outline_changed", True) and "navigation" in data:
        return []
    # Sphinx keeps the root page's tree once asked for it, and would pickle it with the
    # environment: asked here, before the environment is saved, it must not be kept.
    env.__dict__.pop("master_doctree", None)
    tree = global_toctree_for_doc(env, PHANTOM, builder, tags=builder.tags, **FURO_ASKS)
    env.__dict__.pop("master_doctree", None)
    fingerprint = hashlib.sha256(tree.pformat().encode() if tree else b"").hexdigest()
    before = data.get("navigation")
    data.update(navigation=fingerprint, rendered_with=key, outline_changed=False)
    return sorted(env.found_docs) if before not in (None, fingerprint) else []


def prune_unused_files(app: Sphinx, exception: BaseException | None) -> None:
    """Images and downloads that no page of this build shows or offers leave the output."""
    builder = _html_builder(app)
    if builder is None or exception is not None:
        return
    out = Path(builder.outdir)
    # Every page's, not only those written now (builder.images): the others keep theirs.
    wanted = {out / builder.imagedir / name for _, name in app.env.images.values()} | {
        out / "_downloads" / destination for _, destination in app.env.dlfiles.values()
    }
    for folder in (out / builder.imagedir, out / "_downloads"):
        if folder.is_symlink():
            folder.unlink()  # never prune, or copy, through a link: Sphinx made none
            continue
        for top, folders, names in os.walk(folder, topdown=False):
            for name in names:
                path = Path(top, name)
                if path.is_symlink() or path not in wanted:
                    path.unlink()
            for name in folders:
                path = Path(top, name)
                if path.is_symlink():
                    path.unlink()
                elif not any(path.iterdir()):
                    path.rmdir()


def keep_compiled_templates(app: Sphinx) -> None:
    """Jinja's own cache of compiled templates, checked against each template's source. Kept
    with the doctrees: what the build folder holds is trusted as Sphinx's pickles are."""
    builder = _html_builder(app)
    environment = getattr(getattr(builder, "templates", None), "environment", None)
    if environment is not None:
        folder = Path(app.doctreedir, "jinja")
        folder.mkdir(parents=True, exist_ok=True)
        environment.bytecode_cache = FileSystemBytecodeCache(str(folder))


def setup_incremental(app: Sphinx) -> None:
    app.connect("builder-inited", keep_compiled_templates)
    app.connect("env-updated", pages_were_read)
    app.connect("env-check-consistency", keep_parents_unwritten)
    app.connect("build-finished", restore_parents)
    app.connect("env-get-outdated", forget_removed_pages)
    app.connect("env-get-updated", navigation_changed)
    app.connect("env-purge-doc", page_read_or_removed, priority=100)  # before Sphinx's
    app.connect("build-finished", prune_unused_files)
