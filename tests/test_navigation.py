"""guidepress works out Furo's navigation tree once per folder (guidepress/navigation.py); every
page must still show exactly the tree Furo would have made for it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import make_project, valid_page
from tests.test_sphinx import sphinx_build

# Beside guidepress's, conf.py asks Sphinx and Furo for each page's tree the way Furo does.
ORACLE = """
import json
from pathlib import Path
def furos_own(app, pagename, templatename, context, doctree):
    from furo.navigation import get_navigation_tree
    html = app.builder._get_local_toctree(
        pagename, collapse=False, titles_only=True, maxdepth=-1, includehidden=True
    )
    folder = Path(app.outdir).parent / "navigation"
    folder.mkdir(exist_ok=True)
    name = pagename.replace("/", "~")
    both = {"furo": get_navigation_tree(html), "guidepress": context["furo_navigation_tree"]}
    (folder / f"{name}.json").write_text(json.dumps(both))
def setup(app):
    app.connect("html-page-context", furos_own, priority=900)
"""


def test_every_page_shows_the_tree_furo_would_have_made(tmp_path: Path) -> None:
    page = valid_page()
    make_project(
        tmp_path,
        {
            "guidelines/a.md": page.replace("id: test-page", "id: a"),
            "guidelines/b.md": page.replace("id: test-page", "id: b"),
            "section/index.md": (
                "# Section\n\n```{toctree}\n:caption: Inside\n\none\nsub/deep\n```\n"
            ),
            "section/one.md": "# One\n\n## A heading\n\nText.\n",
            "section/sub/deep.md": "# Deep & <odd> 'quoted' \"title\"\n\nText.\n",
            "about.md": "# About\n\n```{toctree}\n:hidden:\n\nsection/one\n```\n",
        },
    )
    index = tmp_path / "docs" / "index.md"
    index.write_text(
        index.read_text() + "\n```{toctree}\n:caption: More\n\nsection/sub/deep\n```\n"
    )
    with (tmp_path / "conf.py").open("a") as conf:
        conf.write(ORACLE)
    result = sphinx_build(tmp_path)
    assert result.returncode == 0, result.stderr
    compared = sorted((tmp_path / "_build" / "navigation").glob("*.json"))
    assert len(compared) >= 8, compared  # every page, and the index, search and genindex pages
    marked = 0
    for path in compared:
        both = json.loads(path.read_text())
        assert both["guidepress"] == both["furo"], path.stem
        marked += "current-page" in both["furo"]
    assert marked >= 6  # most pages are in the tree, and mark their own place in it
    deep = (tmp_path / "_build/html/section/sub/deep.html").read_text(encoding="utf-8")
    assert 'class="toctree-l1 current has-children"' in deep
    assert 'checked=""' in deep
