"""Sphinx configuration of the guideline library: the pages are in docs/; the library's own
settings are in [tool.guidepress] in pyproject.toml."""

project = @TITLE@
language = "en"

# guidepress sets up MyST Markdown itself, and makes each page's front-matter title its heading.
extensions = ["guidepress"]

html_theme = "furo"
html_title = project
html_last_updated_fmt = None
