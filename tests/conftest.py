"""Shared fixtures: tiny projects in tmp_path, and one real build of the sample library per
session."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "cases"
TODAY = date(2026, 6, 1)  # the cases' dates are written relative to this day

CONF_PY = """
extensions = ["guidepress"]
html_theme = "furo"
"""


REGISTRY = """reviewers:
  - name: Example Reviewer
    role: Consultant (placeholder)
    git_email: reviewer@example.org
  - name: Example Author
    role: Registrar (placeholder)
    git_email: author@example.org
"""
PAGE = "docs/guidelines/p.md"  # where tests put their one guideline


def valid_page() -> str:
    return (CASES / "valid_page.md").read_text(encoding="utf-8")


def make_project(root: Path, pages: dict[str, str], settings: str = "") -> Path:
    """A tiny library: pyproject.toml, conf.py and the given pages under docs/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(f"[tool.guidepress]\n{settings}\n", encoding="utf-8")
    (root / "conf.py").write_text(CONF_PY, encoding="utf-8")
    docs = root / "docs"
    toctree = "\n".join(name.removesuffix(".md") for name in pages)
    (docs).mkdir(exist_ok=True)
    (docs / "index.md").write_text(f"# Index\n\n```{{toctree}}\n{toctree}\n```\n", encoding="utf-8")
    for name, text in pages.items():
        path = docs / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real `guidepress` command in a subprocess, as a user runs it."""
    command = [sys.executable, "-m", "guidepress", *args]
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture
def approved(tmp_path: Path) -> Path:
    """A library of one guideline, approved by the registry's reviewer."""
    root = tmp_path / "library"
    make_project(
        root, {"guidelines/p.md": valid_page().replace("status: draft", "status: approved")}
    )
    (root / "reviewers.yaml").write_text(REGISTRY, encoding="utf-8")
    assert run_cli("approve", PAGE, "--reviewer", "Example Reviewer", cwd=root).returncode == 0
    return root


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 for a built site; yields its base URL."""
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample library (sources only), so builds never write into the checkout."""
    root = tmp_path_factory.mktemp("sample")
    for name in ("docs", "conf.py", "pyproject.toml", "reviewers.yaml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("_build"))
        else:
            shutil.copy2(source, root / name)
    return root


@pytest.fixture(scope="session")
def sample_build(sample_project: Path) -> Path:
    """One real `guidepress build` of the sample library, shared by every test that reads it."""
    result = run_cli("--root", str(sample_project), "build", cwd=sample_project)
    assert result.returncode == 0, result.stdout + result.stderr
    return sample_project / "_build"
