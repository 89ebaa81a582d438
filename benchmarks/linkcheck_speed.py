"""How fast is link checking? Prints figures; asserts nothing.

    python benchmarks/linkcheck_speed.py [--links 1000]

Local HTTP servers (on 127.0.0.1-127.0.0.8, never the internet) answer every request after
100 ms. A library whose pages hold N distinct links is checked by `guidepress linkcheck` cold
(target <= 10 s for 1,000) and again with the warm cache (target <= 1 s), and by the stock
`sphinx-build -b linkcheck` on the same pages.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.linkserver import LinkServer

HOSTS = [f"127.0.0.{n}" for n in range(1, 9)]


def seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=1000)
    count = parser.parse_args().links
    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        servers = [stack.enter_context(LinkServer(host, delay=0.1)) for host in HOSTS]
        root = Path(folder)
        docs = root / "docs"
        docs.mkdir()
        links = [f"{servers[n % len(servers)].url}/page/{n}" for n in range(count)]
        pages = [links[i : i + 100] for i in range(0, count, 100)]
        for number, chunk in enumerate(pages):
            body = "\n".join(f"- [link {i}]({url})" for i, url in enumerate(chunk))
            (docs / f"page{number}.md").write_text(f"# Page {number}\n\n{body}\n", encoding="utf-8")
        toctree = "\n".join(f"page{n}" for n in range(len(pages)))
        (docs / "index.md").write_text(
            f"# Links\n\n```{{toctree}}\n{toctree}\n```\n", encoding="utf-8"
        )
        (root / "pyproject.toml").write_text(
            "[tool.guidepress]\n[tool.guidepress.linkcheck]\nretries = 0\n", encoding="utf-8"
        )
        (root / "conf.py").write_text('extensions = ["myst_parser"]\n', encoding="utf-8")
        cache = root / "cache.json"
        command = [sys.executable, "-m", "guidepress", "linkcheck", "--cache", str(cache)]
        cold = seconds(command, root)
        warm = seconds(command, root)
        stock = seconds(
            [
                sys.executable,
                "-m",
                "sphinx",
                "-q",
                "-b",
                "linkcheck",
                "-c",
                str(root),
                str(docs),
                str(root / "_linkcheck"),
            ],
            root,
        )
        print(f"{count} distinct links, server answers after 100 ms, {len(HOSTS)} hosts:")
        print(f"  guidepress linkcheck, cold cache   {cold:6.2f} s   target <= 10 s")
        print(f"  guidepress linkcheck, warm cache   {warm:6.2f} s   target <= 1 s")
        print(f"  sphinx-build -b linkcheck (stock)  {stock:6.2f} s")


if __name__ == "__main__":
    main()
