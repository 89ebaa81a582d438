"""How fast is validation? Prints figures; asserts nothing (speed is measured, not tested).

    python benchmarks/validate_speed.py [--pages 10000] [--build-pages 500 (0 to skip)]

1. `guidepress validate` on N synthetic pages, as a whole process (start-up included), with its
   peak memory, beside a bare baseline: a process that only reads the files and parses their
   front matter with libyaml. Targets: <= 2 s and <= 300 MB for 10,000 pages on 2 cores.
2. The Sphinx HTML build of a 500-page library: plain MyST, with the extension's validation only,
   and with the full extension (validation plus rendered document control and references).
   Target: validation overhead <= 5 %.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PAGE = (REPO / "tests" / "cases" / "valid_page.md").read_text(encoding="utf-8")

BASELINE = textwrap.dedent("""
    import sys, yaml
    from pathlib import Path
    for path in sorted(Path(sys.argv[1]).rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\\n"):
            yaml.load(text[4:text.index("\\n---", 4)], Loader=yaml.CSafeLoader)
""")


def make_library(root: Path, pages: int) -> None:
    guidelines = root / "docs" / "guidelines"
    guidelines.mkdir(parents=True)
    (root / "pyproject.toml").write_text("[tool.guidepress]\n", encoding="utf-8")
    names = []
    for number in range(pages):
        name = f"page-{number:05d}"
        body = "\n".join(
            f"Paragraph {i} of page {number}, citing {{cite}}`web` and {{cite}}`article`."
            for i in range(8)
        )
        text = PAGE.replace("id: test-page", f"id: {name}").replace(
            "title: Test page", f"title: Page {number}"
        )
        recommendation = (
            f"````{{recommendation}}\n:id: {name}-first\n:strength: conditional\n"
            ":certainty: low\n:evidence: article\n\nOffer the treatment to adults.\n\n"
            "```{rationale}\nA trial found a benefit.\n```\n````\n"
        )
        (guidelines / f"{name}.md").write_text(
            text + "\n" + body + "\n\n" + recommendation, encoding="utf-8"
        )
        names.append(f"guidelines/{name}")
    toctree = "\n".join(names)
    (root / "docs" / "index.md").write_text(
        f"# Library\n\n```{{toctree}}\n:maxdepth: 1\n\n{toctree}\n```\n", encoding="utf-8"
    )


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc), in KB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(
                next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def timed(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall seconds, exit code, and peak resident memory (MB) of a command and its workers."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.01)
    return time.perf_counter() - start, process.returncode, peak // 1024


def best_of(runs: int, command: list[str], cwd: Path) -> tuple[float, int, int]:
    results = [timed(command, cwd) for _ in range(runs)]
    return min(r[0] for r in results), results[0][1], max(r[2] for r in results)


def bench_validate(pages: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_library(root, pages)
        baseline, _, base_mb = best_of(
            3, [sys.executable, "-c", BASELINE, str(root / "docs")], root
        )
        validate, status, mb = best_of(
            3, [sys.executable, "-m", "guidepress", "validate", "--today", "2026-06-01"], root
        )
        print(
            f"validate {pages} pages:  guidepress {validate:6.2f} s, peak {mb} MB (exit {status})"
            f"   | bare YAML parse {baseline:6.2f} s, peak {base_mb} MB"
            f"   | ratio {validate / baseline:4.2f}x   target <= 2 s, <= 300 MB"
        )


CONF = 'extensions = ["myst_parser"{extra}]\nmyst_title_to_header = True\nhtml_theme = "furo"\n'
# Validation alone: the validation adapter runs the rules, but nothing renders the document
# control, numbered citations or reference list; citations become plain text.
VALIDATE_ONLY = textwrap.dedent("""
    from docutils import nodes
    from guidepress.validators.sphinx_adapter import setup_validation
    def _cite(name, rawtext, text, lineno, inliner, options=None, content=None):
        return [nodes.Text("[n]")], []
    def setup(app):
        setup_validation(app)
        app.add_role("cite", _cite, override=True)
""")
BUILDS = {
    "plain MyST": CONF.format(extra=""),
    "validation only": CONF.format(extra="") + VALIDATE_ONLY,
    "full extension": CONF.format(extra=', "guidepress"'),
}


def bench_build(pages: int) -> None:
    times = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_library(root, pages)
        for label, conf in BUILDS.items():
            (root / "conf.py").write_text(conf, encoding="utf-8")
            out = root / "_build"
            shutil.rmtree(out, ignore_errors=True)
            command = [
                sys.executable,
                "-m",
                "sphinx",
                "-q",
                "-E",
                "-b",
                "html",
                "-c",
                str(root),
                "-d",
                str(out / ".doctrees"),
                str(root / "docs"),
                str(out / "html"),
            ]
            times[label] = timed(command, root)[0]
    plain = times["plain MyST"]
    print(f"HTML build {pages} pages (Furo):")
    for label, seconds in times.items():
        print(
            f"  {label:16s} {seconds:7.2f} s   {(seconds - plain) / plain * 100:+6.1f} % vs plain"
        )
    print(
        "  target: validation overhead <= 5 %; the rest of 'full' is the document control and "
        "reference"
    )
    print("  list it adds to every page (more HTML for Sphinx and the theme to write).")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--build-pages", type=int, default=500)
    args = parser.parse_args()
    bench_validate(args.pages)
    if args.build_pages:
        bench_build(args.build_pages)


if __name__ == "__main__":
    main()
