"""What Sphinx's own incremental HTML build leaves out, for an output folder kept between builds:

- a page's navigation lists every page, so when a page is added, removed or retitled (or a
  toctree changes), every page is written again, not only the pages Sphinx saw change;
- the output of a page that was removed, and images and downloads no page uses any more, are
  deleted rather than left to be published.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Set as AbstractSet
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.builders.html import StandaloneHTMLBuilder
from sphinx.environment import BuildEnvironment
from sphinx.environment.adapters.toctree import global_toctree_for_doc

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
        # Nothing read, nothing removed: the navigation, made of the pages' titles and
        # toctrees, is the last build's (Sphinx reads every page again when the configuration
        # changes).
        builder.__dict__["_guidepress_pages_changed"] = bool(added or changed or removed)
        for docname in removed:
            for path in (
                builder.get_output_path(docname),
                Path(builder.outdir, "_sources", f"{docname}.txt"),
            ):
                path.unlink(missing_ok=True)
    return []


def navigation_changed(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Every page, when the navigation all pages show differs from the last build's."""
    builder = _html_builder(app)
    data = env.domains["guidepress"].data
    if builder is None or (
        not builder.__dict__.get("_guidepress_pages_changed", True) and "navigation" in data
    ):
        return []
    # Sphinx keeps the root page's tree once asked for it, and would pickle it with the
    # environment: asked here, before the environment is saved, it must not be kept.
    env.__dict__.pop("master_doctree", None)
    tree = global_toctree_for_doc(env, PHANTOM, builder, tags=builder.tags, **FURO_ASKS)
    env.__dict__.pop("master_doctree", None)
    fingerprint = hashlib.sha256(tree.pformat().encode() if tree else b"").hexdigest()
    before = data.get("navigation")
    data["navigation"] = fingerprint
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


def setup_incremental(app: Sphinx) -> None:
    app.connect("env-get-outdated", forget_removed_pages)
    app.connect("env-get-updated", navigation_changed)
    app.connect("build-finished", prune_unused_files)
