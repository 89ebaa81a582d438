"""guidepress as other teams install it: a wheel that holds everything the tool needs (the site's
scripts and styles, the PDF template, the files `init` writes) under one import name, installed
beside other packages, starting and building a library with nothing but that install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

# Each folder of the checkout, and where it installs.
INSTALLED_AS = {
    "guidepress": "guidepress",
    "schemas": "guidepress/schemas",
    "validators": "guidepress/validators",
}
LINKS = ("schemas", "validators")  # guidepress/schemas -> ../schemas, for tools in the checkout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources without the links in guidepress/: as from a
    checkout where git made no symbolic links (Windows), the package-dir mapping alone must do."""
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"  # setuptools writes build/ beside the sources: not in the checkout
    for name in INSTALLED_AS:
        links = LINKS if name == "guidepress" else ()
        shutil.copytree(
            REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", *links)
        )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--wheel-dir",
        str(folder),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    (built,) = folder.glob("guidepress-*.whl")
    return built


def test_the_wheel_holds_every_file_under_one_import_name(wheel: Path) -> None:
    packaged = set(zipfile.ZipFile(wheel).namelist())
    sources = {
        f"{INSTALLED_AS[folder]}/{path.relative_to(REPO / folder).as_posix()}"
        for folder in INSTALLED_AS
        for path in (REPO / folder).rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and not path.is_symlink()
        and not (folder == "guidepress" and path.relative_to(REPO / folder).parts[0] in LINKS)
    }
    assert any(not name.endswith(".py") for name in sources), (
        "the packages have data files to check"
    )
    assert sorted(sources - packaged) == []
    outside = [name for name in packaged if not name.startswith(("guidepress/", "guidepress-"))]
    assert outside == []
    top_level = next(name for name in packaged if name.endswith("top_level.txt"))
    assert zipfile.ZipFile(wheel).read(top_level).decode().split() == ["guidepress"]


def _venv(folder: Path) -> Path:
    venv.create(folder, with_pip=True)
    return folder / ("Scripts" if os.name == "nt" else "bin")


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run away from the checkout, whose folders `python -c` would otherwise find first."""
    env = {
        key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def test_installed_beside_pypis_validators_it_starts_and_builds_a_library(
    wheel: Path, tmp_path: Path
) -> None:
    bin_dir = _venv(tmp_path / "venv")
    python = bin_dir / "python"
    use_validators = (
        "import validators; assert validators.email('a@example.org') is True; "
        "print(validators.__file__)"
    )
    assert (
        _run(python, "-m", "pip", "install", "--quiet", "validators", cwd=tmp_path).returncode == 0
    )
    before = _run(python, "-c", use_validators, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    installed = _run(python, "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    after = _run(python, "-c", use_validators, cwd=tmp_path)
    assert after.returncode == 0, after.stderr
    assert after.stdout == before.stdout

    library = tmp_path / "new library"  # an empty folder, away from this checkout
    assert _run(bin_dir / "guidepress", "init", library, cwd=tmp_path).returncode == 0
    built = _run(bin_dir / "guidepress", "build", cwd=library)
    assert built.returncode == 0, built.stdout + built.stderr
    assert (library / "_build" / "html" / "pdf" / "example-guideline-v0.1.pdf").is_file()
    for asset in ("guidepress.css", "guidepress-review.js"):
        assert (library / "_build" / "html" / "_static" / asset).is_file()

    removed = _run(python, "-m", "pip", "uninstall", "--yes", "guidepress", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    still = _run(python, "-c", use_validators, cwd=tmp_path)
    assert still.returncode == 0, still.stderr
    assert still.stdout == before.stdout
