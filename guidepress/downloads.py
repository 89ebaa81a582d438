"""The archive's downloads page: per guideline, the PDF of the current release, with earlier
ones."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

# The site's own script marks a guideline read after its next review date; the page embeds it.
REVIEW_SCRIPT = Path(__file__).parent / "static" / "guidepress-review.js"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{
  font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.5;
}}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{
  border: 1px solid #767676; padding: 0.4rem 0.6rem; text-align: left; vertical-align: top;
}}
code {{ font-size: 0.8rem; word-break: break-all; }}
</style>
</head>
<body>
<main>
{body}
</main>
</body>
</html>
"""


# The page's check of a PDF a clinic holds, run in the browser.
CHECK_SCRIPT = Path(__file__).parent / "templates" / "downloads-check.js"


def _script_json(data: Any) -> str:
    # "<" only occurs inside JSON strings, where \u003c means the same: no title can end the
    # <script> element early or open an HTML comment in it.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")


def _size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def downloads_page(versions: list[dict[str, Any]]) -> str:
    current = versions[0]
    rows = []
    for guideline in [g for g in current["guidelines"] if g["status"] != "retired"]:
        earlier: dict[
            str, str
        ] = {}  # each earlier version once, from the newest release holding it
        for entry in versions[1:]:
            for g in entry["guidelines"]:
                if (
                    g["id"] == guideline["id"]
                    and g["version"] != guideline["version"]
                    and g["version"] not in earlier
                ):
                    earlier[g["version"]] = (
                        f'<a href="{escape(g["pdf"])}">v{escape(g["version"])} (release '
                        f"{escape(entry['version'])})</a>"
                    )
        rows.append(
            "<tr>"
            f'<td><a href="{escape(guideline["pdf"])}">{escape(guideline["title"])}</a></td>'
            f"<td>{escape(guideline['version'])}</td>"
            f"<td>{escape(guideline['review_date'])}</td>"
            "<td><span "
            f'class="guidepress-next-review">{escape(guideline["next_review_date"])}</span></td>'
            f"<td>{_size(guideline['size'])}</td>"
            f"<td><code>{escape(guideline['sha256'])}</code></td>"
            f"<td>{', '.join(earlier.values()) or 'none'}</td>"
            "</tr>"
        )
    body = f"""<h1>Downloads</h1>
<p><a href="latest/index.html">Read the library's website</a> (the current release).</p>
<p>The PDF of each guideline in the current release,
<strong>{escape(current["version"])}</strong> (published {escape(current["date"])}). To prove
which version a printed or saved copy is, compare its SHA-256 (<code>sha256sum FILE</code>)
with the one listed here or in the release's
<a href="{escape(current["version"])}/SHA256SUMS">SHA256SUMS</a>.</p>
<table>
<caption>Current approved guidelines</caption>
<thead><tr><th scope="col">Guideline (PDF)</th><th scope="col">Version</th>
<th scope="col">Last reviewed</th><th scope="col">Next review due</th><th scope="col">Size</th>
<th scope="col">SHA-256</th><th scope="col">Earlier versions</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{_retired(current)}
{_compendium(current)}
<h2 id="check">Check a PDF you hold</h2>
<p>Choose a PDF to learn which guideline, version and release it is, and whether it is still the
current version. The file is checked in your browser and is not uploaded anywhere.</p>
<p><label for="check-file">PDF to check:</label>
<input type="file" id="check-file" accept=".pdf,application/pdf"></p>
<p id="check-result" role="status"></p>
<script type="application/json" id="releases">{_script_json(versions)}</script>
<script>{REVIEW_SCRIPT.read_text(encoding="utf-8")}</script>
<script>{CHECK_SCRIPT.read_text(encoding="utf-8")}</script>
<h2>All releases</h2>
<ul>
{chr(10).join(_release_item(entry) for entry in versions)}
</ul>"""
    return PAGE.format(title="Downloads", body=body)


def _retired(release: dict[str, Any]) -> str:
    retired = [g for g in release["guidelines"] if g["status"] == "retired"]
    if not retired:
        return ""
    items = "\n".join(
        f'<li><a href="{escape(g["pdf"])}">{escape(g["title"])}</a>, version '
        f"{escape(g['version'])}. "
        f"SHA-256: <code>{escape(g['sha256'])}</code></li>"
        for g in retired
    )
    return (
        "<h2>Retired guidelines</h2>\n<p>These guidelines have been withdrawn: <strong>do not use "
        "them</strong>. "
        f"Their last PDFs stay here for the record.</p>\n<ul>\n{items}\n</ul>"
    )


def _compendium(release: dict[str, Any]) -> str:
    compendium = release.get("compendium")  # releases made before guidepress listed it have none
    if not compendium:
        return ""
    return (
        "<h2>The whole library in one PDF</h2>\n<p><a "
        f'href="{escape(compendium["pdf"])}">Compendium of '
        f"release {escape(release['version'])}</a> (PDF, {_size(compendium['size'])}), every "
        "guideline above "
        f"in one document. SHA-256: <code>{escape(compendium['sha256'])}</code></p>"
    )


def _release_item(release: dict[str, Any]) -> str:
    version = escape(release["version"])
    compendium = release.get("compendium")
    extra = (
        f', <a href="{escape(compendium["pdf"])}">compendium of {version} (PDF)</a>'
        if compendium
        else ""
    )
    # Releases of a library kept in git name the commit they were built from.
    source = (
        f", built from commit <code>{escape(release['commit'])}</code>"
        if release.get("commit")
        else ""
    )
    return (
        f'<li><a href="{version}/index.html">{version}</a> '
        f"({escape(release['date'])}{source}){extra}</li>"
    )


def root_index() -> str:
    body = (
        '<h1>Guideline library</h1>\n<p><a href="latest/index.html">Read the current version</a>, '
        'see <a href="downloads.html">downloads</a>, or choose a release from '
        '<a href="versions.json">versions.json</a>.</p>'
    )
    return PAGE.format(title="Guideline library", body=body).replace(
        "<head>\n", '<head>\n<meta http-equiv="refresh" content="0; url=latest/index.html">\n', 1
    )
