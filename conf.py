"""Sphinx configuration of the sample library. The pages are in docs/; settings for the rules
live in [tool.guidepress] in pyproject.toml."""

project = "NET liver-directed therapies: a demonstration guideline library"
author = "guidepress sample library (placeholder authors)"
copyright = "2026, guidepress sample library"
language = "en"

# guidepress sets up MyST Markdown itself, and makes each page's front-matter title its heading.
extensions = ["guidepress"]

html_theme = "furo"
html_title = "NET liver-directed therapies (demonstration)"
html_theme_options = {
    "announcement": "Demonstration content: not clinically reviewed and not medical advice.",
}
html_last_updated_fmt = None
