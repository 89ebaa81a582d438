"""How fast are the PDFs? Prints figures; asserts nothing.

    python benchmarks/pdf_speed.py [--guidelines 100]

For a synthetic library of N guidelines: the time to write the Typst sources and compile every
per-guideline PDF plus the compendium from a cold cache (target <= 20 s for 100 on 2 cores), the
same with a warm cache after editing one guideline, and, where LaTeX is installed, Sphinx's
`latexpdf` on the same content (target: Typst >= 10x faster).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from validate_speed import make_library

CONF = 'project = "Benchmark"\nextensions = ["guidepress"]\nmyst_title_to_header = True\n'


def seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr[-2000:]}")
    return time.perf_counter() - start


def typst_pdfs(root: Path) -> float:
    """Sources from the doctrees, then every PDF, as `guidepress build` does it."""
    code = (
        "import sys; from pathlib import Path; from guidepress.build import sphinx_build; "
        "from guidepress.pdf import compile_all; "
        "from guidepress.validators.config import load_settings; "
        "root = Path(sys.argv[1]); s = load_settings(root); "
        "sphinx_build(root, s, 'guidepress-typst', root / '_build/typst', root / "
        "'_build/.doctrees'); "
        "print(len(compile_all(root / '_build/typst', root / '_build/pdf', root / "
        "'_build/.pdf-cache', compendium=True)))"
    )
    return seconds([sys.executable, "-c", code, str(root)], root)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--guidelines", type=int, default=100)
    count = parser.parse_args().guidelines
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        make_library(root, count)
        (root / "conf.py").write_text(CONF, encoding="utf-8")
        # Read the sources once, so both engines below start from the same cached doctrees.
        seconds(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-q",
                "-b",
                "guidepress-typst",
                "-c",
                str(root),
                "-d",
                str(root / "_build/.doctrees"),
                str(root / "docs"),
                str(root / "_build/warmup"),
            ],
            root,
        )
        cold = typst_pdfs(root)
        page = root / "docs" / "guidelines" / "page-00000.md"
        page.write_text(page.read_text().replace("Paragraph 0", "Edited paragraph 0"))
        warm = typst_pdfs(root)
        print(f"Typst, {count} guideline PDFs + compendium: cold {cold:6.2f} s   target <= 20 s")
        print(
            f"Typst, after editing one guideline:          {warm:6.2f} s   (recompiles that "
            "guideline and the compendium)"
        )
        if shutil.which("pdflatex") and shutil.which("latexmk"):
            latex = seconds(
                [
                    sys.executable,
                    "-m",
                    "sphinx",
                    "-M",
                    "latexpdf",
                    str(root / "docs"),
                    str(root / "_latex"),
                    "-c",
                    str(root),
                    "-q",
                ],
                root,
            )
            print(
                f"Sphinx latexpdf (one PDF, same content):      {latex:6.2f} s   Typst is "
                f"{latex / cold:4.1f}x faster (target >= 10x)"
            )
        else:
            print(
                "Sphinx latexpdf: skipped, LaTeX (pdflatex, latexmk) is not installed on this "
                "machine."
            )


if __name__ == "__main__":
    main()
