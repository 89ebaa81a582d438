"""guidepress: clinical guidelines as code.

Also the Sphinx extension of a guideline library: `extensions = ["guidepress"]` in its conf.py.
Sphinx is imported only when Sphinx loads the extension, so the command line starts quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.util.typing import ExtensionMetadata


def setup(app: Sphinx) -> ExtensionMetadata:
    from guidepress.sphinx_ext import setup_extension

    return setup_extension(app)
