"""How does `guidepress build` scale? Prints figures; asserts nothing.

    python benchmarks/build_speed.py [--pages 100 300 1000] [--profile no-op|edit|cold]

For synthetic libraries of N guideline pages, in one run: the time of a cold build, a build
when nothing changed (no-op) and a build after a one-sentence edit of one page, for
`guidepress build` (validation, HTML and a PDF per guideline plus the compendium) beside plain
`sphinx-build -b html` with MyST and Furo (front-matter titles as headings) on the same pages,
with the peak memory of each. Targets on 2 cores: no-op and one-edit builds <= 10 % of the cold
build; the cold build, PDFs included, no slower than plain Sphinx's HTML alone; time per page at
1,000 pages within 1.5x of that at 100.

--profile writes a cProfile of guidepress's build of the largest size, at that stage, to
build-<stage>.prof (read it with `python -m pstats`).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_speed import make_library, timed

GUIDEPRESS_CONF = 'project = "Benchmark"\nextensions = ["guidepress"]\nhtml_theme = "furo"\n'
PLAIN_CONF = 'extensions = ["myst_parser"]\nmyst_title_to_header = True\nhtml_theme = "furo"\n'
EDITED = "guidelines/page-00001.md"
STAGES = ("cold", "no-op", "edit")


def guidepress_build(root: Path, profile: Path | None = None) -> list[str]:
    prefix = [sys.executable]
    if profile is not None:
        prefix += ["-m", "cProfile", "-o", str(profile)]
    return [*prefix, "-m", "guidepress", "build"]


def plain_build(root: Path) -> list[str]:
    return [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", str(root / "plain"),
            "-d", str(root / "_plain" / ".doctrees"), str(root / "docs"),
            str(root / "_plain" / "html")]  # fmt: skip


def edit(root: Path) -> None:
    """Change one sentence of one page (back and forth, so each call is a change)."""
    page = root / "docs" / EDITED
    text = page.read_text(encoding="utf-8")
    before, after = ("Paragraph 3 of", "Paragraph three of")
    if before not in text:
        before, after = after, before
    page.write_text(text.replace(before, after, 1), encoding="utf-8")


def run_stages(
    root: Path, command: list[str], profile_stage: str | None, profiled: list[str] | None
) -> dict[str, tuple[float, int]]:
    """Cold, no-op and one-edit times (s) and peak memory (MB) of one way of building."""
    figures = {}
    for stage in STAGES:
        if stage == "edit":
            edit(root)
        this = profiled if (profiled is not None and stage == profile_stage) else command
        seconds, status, peak = timed(this, root)
        if status != 0:
            failed = subprocess.run(this, cwd=root, capture_output=True, text=True, check=False)
            raise SystemExit(f"{' '.join(this)} failed:\n{failed.stderr[-3000:]}")
        figures[stage] = (seconds, peak)
    return figures


def bench(pages: int, profile_stage: str | None) -> tuple[float, float]:
    """Prints one size's figures; returns the cold seconds per page of guidepress and plain."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_library(root, pages)
        (root / "conf.py").write_text(GUIDEPRESS_CONF, encoding="utf-8")
        (root / "plain").mkdir()
        (root / "plain" / "conf.py").write_text(PLAIN_CONF, encoding="utf-8")
        profile = Path.cwd() / f"build-{profile_stage}.prof" if profile_stage else None
        ours = run_stages(
            root,
            guidepress_build(root),
            profile_stage,
            guidepress_build(root, profile) if profile else None,
        )
        shutil.rmtree(root / "_build", ignore_errors=True)
        plain = run_stages(root, plain_build(root), None, None)
    print(f"{pages} pages" + (f" (guidepress's {profile_stage} build profiled)" if profile else ""))
    print(f"  {'':28s} {'cold':>16s} {'no-op':>16s} {'one edit':>16s}")
    for label, figures in (
        ("guidepress build (HTML+PDF)", ours),
        ("plain sphinx-build (HTML)", plain),
    ):
        cells = [f"{figures[s][0]:7.2f} s {figures[s][1]:4d} MB" for s in STAGES]
        print(f"  {label:28s} " + " ".join(f"{c:>16s}" for c in cells))
    cold = ours["cold"][0]
    print(
        f"  guidepress no-op {ours['no-op'][0] / cold * 100:5.1f} %, one edit "
        f"{ours['edit'][0] / cold * 100:5.1f} % of its cold build (target <= 10 %); cold "
        f"{cold / plain['cold'][0]:4.2f}x plain Sphinx's (target <= 1.0x)"
    )
    return cold / pages, plain["cold"][0] / pages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--profile", choices=STAGES, default=None)
    args = parser.parse_args()
    sizes = sorted(args.pages)
    per_page = {}
    for size in sizes:
        per_page[size] = bench(size, args.profile if size == sizes[-1] else None)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        ours = per_page[large][0] / per_page[small][0]
        plain = per_page[large][1] / per_page[small][1]
        print(
            f"cold time per page, {large} vs {small} pages: guidepress {ours:4.2f}x, plain "
            f"Sphinx {plain:4.2f}x (target <= 1.5x)"
        )


if __name__ == "__main__":
    main()
