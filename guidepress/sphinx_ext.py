"""The Sphinx extension a guideline library names in its conf.py: `extensions = ["guidepress"]`.

It sets up MyST-Parser itself (naming "myst_parser" too does no harm), then each part in turn:
validation (the thin adapter in guidepress.validators), the rendering of guideline pages, the
website's scripts and styles, the reference directives and the Typst builder for PDFs.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx
from sphinx.util.typing import ExtensionMetadata

from guidepress.catalogue import setup_catalogue
from guidepress.html import setup_html
from guidepress.incremental import setup_incremental
from guidepress.navigation import setup_navigation
from guidepress.page_rendering import setup_page_rendering
from guidepress.reference_docs import setup_reference_docs
from guidepress.typst_builder import setup_typst
from guidepress.validators.sphinx_adapter import setup_validation

ENV_VERSION = 4  # bump when what guidepress stores in the environment changes shape


def title_from_front_matter(app: Sphinx, config: Any) -> None:
    # A guideline's title is its front matter's `title`, which MyST turns into the page's heading
    # only with this setting; guideline pages have no heading of their own.
    config.myst_title_to_header = True


def setup_extension(app: Sphinx) -> ExtensionMetadata:
    app.setup_extension("myst_parser")
    app.connect("config-inited", title_from_front_matter)
    setup_validation(app)
    setup_page_rendering(app)
    setup_html(app)
    setup_navigation(app)
    setup_incremental(app)
    setup_reference_docs(app)
    setup_typst(app)
    setup_catalogue(app)
    return {
        "version": _version(),
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("guidepress")
    except metadata.PackageNotFoundError:  # a checkout used without installing it
        return "unknown"
