"""A fake GitHub REST API on 127.0.0.1: the few endpoints guidepress asks, answering from the
pull requests a test sets up and from a real git repository (file contents at a commit)."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

REPOSITORY = "example-trust/guidelines"


class FakeGitHub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, repo: Path) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.repo = repo  # the git repository whose commits the API serves files from
        self.pulls: dict[int, dict[str, Any]] = {}  # number: {head, files, reviews, commits}
        self.comments: list[tuple[int, str]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class Handler(BaseHTTPRequestHandler):
    server: FakeGitHub

    def log_message(self, *args: object) -> None:
        pass

    def answer(self, code: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        prefix = f"/repos/{REPOSITORY}/"
        if not parts.path.startswith(prefix):
            return self.answer(404, {"message": "Not Found"})
        path = parts.path.removeprefix(prefix)
        query = parse_qs(parts.query)
        page = int(query.get("page", ["1"])[0])
        pulls = self.server.pulls
        if match := re.fullmatch(r"pulls/(\d+)/reviews/(\d+)", path):
            reviewed = pulls.get(int(match.group(1)), {})
            found = [r for r in reviewed.get("reviews", []) if r["id"] == int(match.group(2))]
            return (
                self.answer(200, found[0]) if found else self.answer(404, {"message": "Not Found"})
            )
        if match := re.fullmatch(r"pulls/(\d+)/reviews", path):
            reviews = pulls.get(int(match.group(1)), {}).get("reviews", [])
            return self.answer(200, reviews if page == 1 else [])
        if match := re.fullmatch(r"pulls/(\d+)/files", path):
            files = pulls.get(int(match.group(1)), {}).get("files", [])
            listed = [{"filename": name, "status": "modified"} for name in files]
            return self.answer(200, listed if page == 1 else [])
        if match := re.fullmatch(r"pulls/(\d+)", path):
            pull = pulls.get(int(match.group(1)))
            if pull is None:
                return self.answer(404, {"message": "Not Found"})
            return self.answer(
                200,
                {
                    "number": int(match.group(1)),
                    "head": {"sha": pull["head"]},
                    "base": {"sha": pull.get("base", "0" * 40)},
                },
            )
        if match := re.fullmatch(r"commits/([0-9a-f]{40})/pulls", path):
            numbers = [n for n, p in pulls.items() if match.group(1) in p.get("commits", [])]
            return self.answer(200, [{"number": n} for n in numbers])
        if match := re.fullmatch(r"compare/([0-9a-f]{40})\.\.\.([0-9a-f]{40})", path):
            base = subprocess.run(
                ["git", "-C", str(self.server.repo), "merge-base", *match.groups()],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if base.returncode != 0:
                return self.answer(404, {"message": "Not Found"})
            return self.answer(200, {"merge_base_commit": {"sha": base.stdout.strip()}})
        if match := re.fullmatch(r"contents/(.+)", path):
            return self.contents(unquote(match.group(1)), query.get("ref", ["HEAD"])[0])
        return self.answer(404, {"message": "Not Found"})

    def contents(self, name: str, ref: str) -> None:
        git = ["git", "-C", str(self.server.repo)]
        kind = subprocess.run(
            [*git, "cat-file", "-t", f"{ref}:{name}"], capture_output=True, text=True, check=False
        )
        if kind.returncode != 0:
            return self.answer(404, {"message": "Not Found"})
        if kind.stdout.strip() == "tree":
            listing = subprocess.run(
                [*git, "ls-tree", "--name-only", f"{ref}:{name}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            return self.answer(
                200, [{"type": "file", "path": f"{name}/{entry}"} for entry in listing]
            )
        data = subprocess.run(
            [*git, "show", f"{ref}:{name}"], capture_output=True, check=True
        ).stdout
        encoded = base64.b64encode(data).decode()
        return self.answer(
            200, {"type": "file", "path": name, "encoding": "base64", "content": encoded}
        )

    def do_POST(self) -> None:
        match = re.fullmatch(
            rf"/repos/{REPOSITORY}/issues/(\d+)/comments", urlsplit(self.path).path
        )
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if not match or not isinstance(body.get("body"), str):
            return self.answer(404, {"message": "Not Found"})
        self.server.comments.append((int(match.group(1)), body["body"]))
        return self.answer(201, {"id": len(self.server.comments)})


def review(
    review_id: int, login: str, commit: str, submitted: str, state: str = "APPROVED"
) -> dict[str, Any]:
    """A review as GitHub's REST API returns it."""
    return {
        "id": review_id,
        "node_id": f"PRR_{review_id}",
        "user": {"login": login, "id": 1000 + review_id, "type": "User"},
        "body": "Looks right to me.",
        "state": state,
        "html_url": f"https://github.com/{REPOSITORY}/pull/1#pullrequestreview-{review_id}",
        "commit_id": commit,
        "submitted_at": submitted,
        "author_association": "MEMBER",
    }
