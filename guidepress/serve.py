"""`guidepress serve`: a live preview. It builds the library into its own folder, serves it on
127.0.0.1, and on every save checks the library, rebuilds what changed (Sphinx's incremental
build; the PDFs of changed guidelines, not the compendium) and reloads the browser.

Unlike `guidepress build` it publishes nothing and stops at no error: a page with problems is
shown all the same, with them listed on the page itself and in the terminal. The watching,
reloading and serving are sphinx-autobuild's (watchfiles, a websocket, Starlette); the build each
change triggers is guidepress's own.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from pathlib import Path
from typing import Any

from guidepress.check_cache import CACHE_FILE, CheckCache
from guidepress.schemas.characters import printable
from guidepress.validators.config import Library, SettingsError, load_registry
from guidepress.validators.errors import GuidepressError
from guidepress.validators.library import check_library
from guidepress.validators.pipeline import Checks, Layout

PROBLEMS = "problems.json"  # each page's problems, by its address in the site
# Folders whose changes need no rebuild: tools' caches, and the builds themselves.
NOT_WATCHED = (".git", ".venv", "venv", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hg")


@dataclass(frozen=True)
class Preview:
    """One preview build; run in a fresh process for each change (so it can be pickled)."""

    root: Path
    folder: Path  # the preview's own build folder

    @property
    def site(self) -> Path:
        return self.folder / "html"

    def __call__(self, *, changed_paths: Sequence[Path] = ()) -> None:
        from guidepress.build import BuildError, sphinx_build
        from guidepress.pdf import PdfError, compile_all

        shown = ", ".join(os.path.relpath(p, self.root) for p in changed_paths[:3])
        say(f"changed: {shown}; rebuilding" if shown else "building the preview")
        try:
            settings = Library.at(self.root).settings
        except SettingsError as error:
            say(error.report() if isinstance(error, GuidepressError) else str(error))
            return
        self._check(settings)
        try:
            # guidepress's own problems were told above, once: Sphinx need not repeat them.
            common: dict[str, Any] = {"suppress_warnings": ["guidepress"]}
            doctrees = self.folder / ".doctrees"
            html = {**common, "guidepress_pdf": True}
            sphinx_build(self.root, settings, "html", self.site, doctrees, html, strict=False)
            typst = self.folder / "typst"
            sphinx_build(self.root, settings, "guidepress-typst", typst, doctrees, common, False)
            compiled = compile_all(typst, self.site / "pdf", self.folder / ".pdf-cache", False)
        except (BuildError, PdfError) as error:
            say(f"the preview could not be rebuilt: {error}")
            return
        made = f"; PDFs compiled: {', '.join(compiled)}" if compiled else ""
        say(f"preview up to date{made}")

    def _check(self, settings: Any) -> None:
        """Check the library as `validate` does: each problem to the terminal, and beside the
        page it is on (problems.json, which ProblemsOnPage shows)."""
        layout = Layout.of(self.root, settings)
        registry, problems = load_registry(self.root, settings)
        checks = Checks(layout, date.today(), registry)
        cache = CheckCache(self.folder / CACHE_FILE, checks)
        report = check_library([Path(layout.source)], checks, cache)
        by_page: dict[str, list[str]] = {}
        for diagnostic in [*problems, *report.diagnostics]:
            print(printable(diagnostic.format()), file=sys.stderr)
            page = Path(os.path.abspath(diagnostic.path))
            try:
                address = page.relative_to(layout.source).with_suffix(".html").as_posix()
            except ValueError:
                address = "index.html"  # the registry or settings: shown on the home page
            by_page.setdefault(address, []).append(diagnostic.format())
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / PROBLEMS).write_text(json.dumps(by_page), encoding="utf-8")


def say(line: str) -> None:
    print(f"guidepress: {printable(line)}", file=sys.stderr, flush=True)


class LocalOnly:
    """ASGI middleware: answer only requests made to this preview's own address (a web page
    elsewhere cannot reach it through a name it controls, DNS rebinding), and let only its own
    pages open the reload websocket."""

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app, self.hosts = app, set(hosts)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers", []))
            host = headers.get(b"host", b"").decode("latin-1")
            origin = headers.get(b"origin", b"").decode("latin-1")
            own = host in self.hosts and (
                not origin or origin in {f"http://{h}" for h in self.hosts}
            )
            if not own:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                else:
                    await send({"type": "http.response.start", "status": 403, "headers": []})
                    await send(
                        {"type": "http.response.body", "body": b"not this preview's address"}
                    )
                return
        await self.app(scope, receive, send)


class ProblemsOnPage:
    """ASGI middleware: a served page shows its problems in a box at the top."""

    def __init__(self, app: Any, problems: Path) -> None:
        self.app, self.problems = app, problems

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = scope["path"].lstrip("/") or "index.html"
        address = f"{address}index.html" if address.endswith("/") else address
        box = _box(self._problems().get(address, []))
        is_page = False

        async def send_with_box(message: dict[str, Any]) -> None:
            nonlocal is_page
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                is_page = headers.get(b"content-type", b"").startswith(b"text/html") and bool(box)
                if is_page:
                    message["headers"] = [
                        (k, str(int(v) + len(box)).encode() if k == b"content-length" else v)
                        for k, v in message.get("headers", [])
                    ]
            elif (
                message["type"] == "http.response.body"
                and is_page
                and not message.get("more_body", False)
            ):
                message["body"] = message.get("body", b"") + box
            await send(message)

        await self.app(scope, receive, send_with_box)

    def _problems(self) -> dict[str, list[str]]:
        try:
            found = json.loads(self.problems.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return found if isinstance(found, dict) else {}


def _box(lines: list[str]) -> bytes:
    if not lines:
        return b""
    items = "".join(f"<li>{escape(printable(line))}</li>" for line in lines)
    style = (
        "position:fixed;top:0;left:0;right:0;z-index:1000;max-height:40vh;overflow:auto;"
        "margin:0;padding:0.5em 1em;background:#fff3cd;color:#1a1a1a;border-bottom:2px solid "
        "#8a6d00;font:14px/1.4 system-ui,sans-serif"
    )
    return (
        f'<aside class="guidepress-problems" role="region" aria-label="guidepress problems" '
        f'style="{style}"><strong>guidepress found problems on this page</strong>'
        f"<ul>{items}</ul></aside>"
    ).encode()


def serve(root: Path, build_dir: Path, host: str, port: int) -> None:
    """Build, then serve and rebuild on every change until interrupted."""
    import uvicorn
    from sphinx_autobuild.filter import IgnoreFilter
    from sphinx_autobuild.middleware import JavascriptInjectorMiddleware
    from sphinx_autobuild.server import RebuildServer
    from sphinx_autobuild.utils import find_free_port
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.routing import Mount, WebSocketRoute
    from starlette.staticfiles import StaticFiles

    from guidepress.build import refuse_planted_build_folder

    refuse_planted_build_folder(root, build_dir)  # before any cache is read
    preview = Preview(root, build_dir / "preview")
    port = port or find_free_port()
    address = f"{host}:{port}"
    preview()
    preview.site.mkdir(parents=True, exist_ok=True)
    ignored = IgnoreFilter([str(build_dir), *(str(root / name) for name in NOT_WATCHED)], [])
    watcher = RebuildServer([root], ignored, change_callback=preview)
    app = Starlette(
        routes=[
            WebSocketRoute("/websocket-reload", watcher, name="reload"),
            Mount("/", app=StaticFiles(directory=preview.site, html=True), name="site"),
        ],
        middleware=[
            Middleware(LocalOnly, hosts=[address, f"localhost:{port}"]),
            Middleware(JavascriptInjectorMiddleware, ws_url=address),
            Middleware(ProblemsOnPage, problems=preview.folder / PROBLEMS),
        ],
        lifespan=watcher.lifespan,
    )
    say(f"serving the preview at http://{address}/ (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
