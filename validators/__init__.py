"""Reading pages, the rules that check them, their diagnostics, and a thin Sphinx adapter that
only checks and reports.

Installed as `guidepress.validators` (see CONTRIBUTING.md, "One import name"). Imports run one
way: schemas <- validators <- the rest of guidepress; nothing here imports the tool.
"""

if __name__ != "guidepress.validators":  # e.g. `import validators` with a checkout on sys.path
    raise ImportError(
        f"import guidepress.validators, not {__name__}: the folder installs under guidepress"
    )
