"""`guidepress serve`: a real server on 127.0.0.1 that rebuilds on save; a real browser sees the
edit without reloading by hand, and a page's problems are shown on the page."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import make_project, valid_page
from tests.test_browser import browser  # noqa: F401  the module's Chromium, for the reload test


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A library under `guidepress serve`, and its address, once the first build is served."""
    root = make_project(tmp_path / "library", {"guidelines/p.md": valid_page()})
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "guidepress", "serve", "--port", str(port)],
            cwd=root, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(lambda: "serving the preview" in log.read_text(), 120, log)
            wait_for(lambda: fetch(url + "/") is not None, 30, log)
            yield root, url
        finally:
            os.killpg(server.pid, signal.SIGINT)
            server.wait(timeout=30)


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode("utf-8", errors="replace"))
    # Asked while a rebuild rewrites the page in place (the preview serves Sphinx's working
    # folder): not there yet.
    except (OSError, http.client.HTTPException):
        return None


def wait_for(condition: object, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out; the server said:\n{log.read_text()}")


def test_a_saved_edit_is_served_and_problems_are_shown_on_the_page(
    served: tuple[Path, str],
) -> None:
    root, url = served
    page_url = f"{url}/guidelines/p.html"
    first = fetch(page_url)
    assert first is not None
    assert "websocket-reload" in first  # the page reloads itself when the library changes
    assert "guidepress found problems" not in first
    assert (fetch(f"{url}/pdf/test-page-v1.0.pdf") or "").startswith("%PDF-")  # its PDF, too
    page = root / "docs" / "guidelines" / "p.md"
    page.write_text(page.read_text().replace("A statement", "A freshly saved statement"))
    log = root.parent / "serve.log"
    wait_for(lambda: "A freshly saved statement" in (fetch(page_url) or ""), 120, log)
    page.write_text(page.read_text().replace("status: draft", "status: nope"))
    wait_for(lambda: "guidepress found problems" in (fetch(page_url) or ""), 120, log)
    shown = fetch(page_url) or ""
    assert "[invalid-value]" in shown
    assert "[invalid-value]" in log.read_text()  # and in the terminal


def test_the_browser_shows_a_saved_edit_by_itself(
    served: tuple[Path, str],
    browser: Browser,  # noqa: F811
) -> None:
    root, url = served
    view = browser.new_page()
    view.goto(f"{url}/guidelines/p.html")
    page = root / "docs" / "guidelines" / "p.md"
    page.write_text(page.read_text().replace("A statement", "Words the browser reloads"))
    view.wait_for_function(
        "document.body.innerText.includes('Words the browser reloads')", timeout=120_000
    )
    view.close()


UPGRADE = (
    "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


def test_the_preview_answers_only_its_own_address(served: tuple[Path, str]) -> None:
    # A page on another site cannot reach it through a name of its own (DNS rebinding), nor
    # open its websocket.
    _, url = served
    port = int(url.rsplit(":", 1)[1])
    for headers in (
        "Host: attacker.example\r\n",
        f"Host: 127.0.0.1:{port}\r\nOrigin: http://attacker.example\r\n",
    ):
        for path, upgrade in (("/guidelines/p.html", ""), ("/websocket-reload", UPGRADE)):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
                connection.sendall(f"GET {path} HTTP/1.1\r\n{headers}{upgrade}\r\n".encode())
                status = connection.recv(200).split(b"\r\n", 1)[0]
            assert b" 200 " not in status, (headers, path, status)
            assert b" 101 " not in status, (headers, path, status)
