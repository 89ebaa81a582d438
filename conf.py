"""Sphinx configuration of the sample library. The pages are in docs/; settings for the rules
live in [tool.guidepress] in pyproject.toml."""

import sys
from pathlib import Path

sys.path.insert(
    0, str(Path(__file__).parent)
)  # lets bare `sphinx-build -c . docs …` find the extension

project = "NET liver-directed therapies: a demonstration guideline library"
author = "guidepress sample library (placeholder authors)"
copyright = "2026, guidepress sample library"
language = "en"

extensions = ["myst_parser", "validators.sphinx_ext"]
myst_title_to_header = True  # the front-matter title is the page heading: one source of truth
exclude_patterns = ["_build"]

html_theme = "furo"
html_title = "NET liver-directed therapies (demonstration)"
html_theme_options = {
    "announcement": "Demonstration content: not clinically reviewed and not medical advice.",
}
html_last_updated_fmt = None
