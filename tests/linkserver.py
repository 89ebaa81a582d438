"""A real HTTP server on 127.0.0.1 that answers the way the web does, for link-check tests and
the benchmark: 200, redirect chains and loops, 404, 410, 403, 429 with Retry-After, 500, a slow
answer, a DOI handle API and an NCBI summary service."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

GOOD_DOI = "10.1234/good"
GOOD_PMID = "12345678"


class LinkServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", delay: float = 0.0, slow: float = 3.0) -> None:
        super().__init__((host, 0), Handler)
        self.delay = delay  # seconds before every answer (the benchmark's 100 ms)
        self.slow = slow  # seconds /slow takes, past the checker's timeout in tests
        self.hits: Counter[str] = Counter()
        self.cases: dict[str, dict[str, Any]] = {}  # /case/NAME/…: scripted answers (cases as data)
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        # The checker hangs up on /slow by design: a dropped connection is not a server fault.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Handler(BaseHTTPRequestHandler):
    server: LinkServer

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def send(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def scripted(self, case: dict[str, Any]) -> None:
        """An answer as a case describes it: status, headers, and a body that is given, huge,
        nested deeper than parsers go, or dripped out slowly."""
        answer = case["answer"]
        body = str(answer.get("body", "")).encode()
        if "body_size" in answer:
            body = b'{"responseCode": 1, "x": "' + b"x" * int(answer["body_size"]) + b'"}'
        if "body_nested" in answer:
            depth = int(answer["body_nested"])
            body = b'{"responseCode": ' + b"[" * depth + b"]" * depth + b"}"
        if "drip" in answer:  # a byte at a time, each within a read timeout, never done
            self.send_response(int(answer["status"]))
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(float(answer["drip"]))
            return
        self.send(int(answer["status"]), body, dict(answer.get("headers", {})))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        with self.server.lock:
            self.server.hits[parts.path] += 1
            hits = self.server.hits[parts.path]
        if self.server.delay:
            time.sleep(self.server.delay)
        path = parts.path
        if path.startswith("/case/"):
            self.scripted(self.server.cases[path.split("/")[2]])
        elif path.startswith("/page/") or path == "/ok":
            self.send(200, b"<html>fine</html>")
        elif path == "/moved":
            self.send(301, headers={"Location": "/ok"})
        elif path == "/chain":
            self.send(308, headers={"Location": "/moved"})
        elif path == "/temporary":
            self.send(302, headers={"Location": "/ok"})
        elif path == "/loop":
            self.send(302, headers={"Location": "/loop"})
        elif path == "/missing":
            self.send(404)
        elif path == "/gone":
            self.send(410)
        elif path == "/forbidden":
            self.send(403)
        elif path == "/busy":  # 429 once, with Retry-After, then fine
            if hits == 1:
                self.send(429, headers={"Retry-After": "1"})
            else:
                self.send(200, b"ok now")
        elif path == "/overloaded":
            self.send(429, headers={"Retry-After": "3600"})
        elif path == "/error":
            self.send(500)
        elif path == "/slow":
            time.sleep(self.server.slow)
            self.send(200, b"late")
        elif path.startswith("/handles/"):
            doi = path.removeprefix("/handles/")
            found = doi == GOOD_DOI
            self.send(
                200 if found else 404,
                json.dumps({"responseCode": 1 if found else 100, "handle": doi}).encode(),
            )
        elif path == "/esummary":
            pmids = parse_qs(parts.query).get("id", [""])[0].split(",")
            records = {
                p: {"uid": p}
                if p == GOOD_PMID
                else {"uid": p, "error": "cannot get document summary"}
                for p in pmids
            }
            self.send(200, json.dumps({"result": {"uids": pmids, **records}}).encode())
        else:
            self.send(404)
