"""Shared fixtures: tiny projects in tmp_path, and one real build of the sample library per
session."""

from __future__ import annotations

import base64
import functools
import hashlib
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


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """SSH signing keys made with ssh-keygen: the registry's reviewer's, its author-member's, and
    an outsider's. Each name gives the private key; its .pub file beside it."""
    folder = tmp_path_factory.mktemp("keys")
    made = {}
    for who in ("reviewer", "author", "outsider"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{who}@example.org",
             "-f", str(folder / who)],
            check=True, capture_output=True,
        )  # fmt: skip
        made[who] = folder / who
    return made


def fingerprint(key: Path) -> str:
    """The SHA-256 fingerprint of a key made by `keys`, as ssh-keygen -l prints it."""
    blob = base64.b64decode(Path(f"{key}.pub").read_text().split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


@pytest.fixture(scope="session", autouse=True)
def pinned_key(keys: dict[str, Path]) -> Iterator[str]:
    """As in a library's CI: the key that signs a test library's first commit (in_git) is pinned
    as the start of its chain of trust, for every command the tests run."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GUIDEPRESS_TRUSTED_KEYS", fingerprint(keys["reviewer"]))
        yield fingerprint(keys["reviewer"])


def registry_with_keys(keys: dict[str, Path], **github: str) -> str:
    """REGISTRY with each member's signing key (and GitHub account, when given)."""
    lines = []
    for line in REGISTRY.splitlines():
        lines.append(line)
        for who, name in (("reviewer", "Example Reviewer"), ("author", "Example Author")):
            if line.endswith(f"name: {name}"):
                public = Path(f"{keys[who]}.pub").read_text(encoding="utf-8").strip()
                lines.append(f'    signing_key: "{public}"')
                if who in github:
                    lines.append(f"    github: {github[who]}")
    return "\n".join(lines) + "\n"


def sign_as(root: Path, key: Path, email: str) -> None:
    """Make git in the library sign its commits with `key`, as `email`: a reviewer's set-up."""
    for setting, value in (
        ("gpg.format", "ssh"), ("user.signingkey", str(key)), ("user.name", email.split("@")[0]),
        ("user.email", email),
    ):  # fmt: skip
        subprocess.run(["git", "config", setting, value], cwd=root, check=True)


def in_git(root: Path, signed_with: Path | None = None) -> None:
    """Put the library in git, committed by an editor; signed with a key when given (the key the
    chain of trust starts at: `pinned_key`)."""
    identity = ["-c", "user.name=editor", "-c", "user.email=editor@example.org"]
    if signed_with is not None:
        identity += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={signed_with}"]
    commit = ["commit", "-qm", "Library", *(["-S"] if signed_with else [])]
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], commit):
        subprocess.run(["git", *identity, *command], cwd=root, check=True, capture_output=True)


@pytest.fixture
def approved(tmp_path: Path, keys: dict[str, Path]) -> Path:
    """A library of one guideline in git, approved by the registry's reviewer with their
    registered key."""
    root = tmp_path / "library"
    make_project(
        root, {"guidelines/p.md": valid_page().replace("status: draft", "status: approved")}
    )
    (root / "reviewers.yaml").write_text(registry_with_keys(keys), encoding="utf-8")
    in_git(root, signed_with=keys["reviewer"])
    sign_as(root, keys["reviewer"], "reviewer@example.org")
    result = run_cli("approve", PAGE, "--reviewer", "Example Reviewer", cwd=root)
    assert result.returncode == 0, result.stderr
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
    result = run_cli("--root", str(sample_project), "build", "--compendium", cwd=sample_project)
    assert result.returncode == 0, result.stdout + result.stderr
    return sample_project / "_build"
