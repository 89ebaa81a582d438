"""Pages are content, not code: refuse anything that could put script into the site or read
files from outside the library. The same walk checks that every image has alternative text, which
screen readers and the tagged (PDF/UA) PDF need.

The body is tokenised with MyST's own markdown-it parser, so a code block that *shows* HTML is
not mistaken for HTML. Most pages contain nothing suspicious and are never tokenised.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

SUSPICIOUS = re.compile(r"<[A-Za-z!?/]|\{(?!cite(?::[a-z]+)?\})[A-Za-z][\w:.-]*\}|!\[")
# Directives that pass text straight into the output or read other files.
FORBIDDEN_DIRECTIVES = {"raw", "include", "literalinclude", "eval-rst", "eval-md", "iframe", "script"}
FILE_OPTIONS = re.compile(r"^\s*:(file|url|source):", re.M)
PATH_DIRECTIVES = {"image", "figure"}
PATH_ROLES = {"download"}
FORBIDDEN_ROLES = {"raw", "raw-html"}
SAFE_REMOTE = ("http://", "https://")
ALT_OPTION = re.compile(r"^\s*:alt:\s*\S", re.M)
UNSAFE, NO_ALT = "unsafe-content", "image-without-alt"


@cache
def _parser() -> Any:
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(), RendererHTML)


def body_problems(body: str, depth: int) -> list[tuple[int, str, str]]:
    """(body line, 0-based; code; message) for each problem. depth: folders below the source root."""
    if not SUSPICIOUS.search(body):
        return []
    return sorted(set(_scan(body, 0, depth)))  # one report per line and problem


def _directive(info: str) -> tuple[str, str] | None:
    match = re.match(r"^\{([\w:.-]+)\}\s*(.*)$", info.strip())
    if not match:
        return None
    return match.group(1).split(":")[-1].lower(), match.group(2).strip()


def _scan(text: str, offset: int, depth: int) -> Iterator[tuple[int, str, str]]:
    for token in _parser().parse(text):
        line = offset + (token.map[0] if token.map else 0)
        if token.type in ("html_block", "html_inline"):
            yield line, UNSAFE, "raw HTML is not allowed in a page; use MyST markup (admonitions, tables, links) instead"
        elif token.type in ("fence", "colon_fence"):
            directive = _directive(token.info)
            if directive is None:
                continue  # a code block: shown as text, never run
            name, argument = directive
            if name in FORBIDDEN_DIRECTIVES:
                yield line, UNSAFE, f"the `{{{name}}}` directive is not allowed in a page: it can insert raw output or read other files"
                continue
            if FILE_OPTIONS.search(token.content):
                yield line, UNSAFE, f"the `{{{name}}}` directive may not read a file or URL (:file:, :url:); put the content in the page"
            if name in PATH_DIRECTIVES:
                yield from _check_path(line, argument, depth, f"the `{{{name}}}` path")
                if not ALT_OPTION.search(token.content):
                    yield line, NO_ALT, (f"the `{{{name}}}` {argument!r} has no alternative text; add an option line "
                                         "`:alt: what the image shows`, for readers who cannot see it")
            if SUSPICIOUS.search(token.content):  # directive bodies may hold markup of their own
                yield from _scan(token.content, line + 1, depth)
        for child in token.children or []:
            if child.type == "html_inline":
                yield line, UNSAFE, "raw HTML is not allowed in a page; use MyST markup (admonitions, tables, links) instead"
            elif child.type == "image":
                source = str(child.attrs.get("src", ""))
                yield from _check_path(line, source, depth, "the image path")
                if not child.content.strip():
                    yield line, NO_ALT, (f"the image {source!r} has no alternative text; say what it shows between "
                                         f"the brackets, ![what the image shows]({source}), for readers who cannot see it")
            elif child.type == "myst_role":
                role = str(child.meta.get("name", "")).split(":")[-1].lower()
                if role in FORBIDDEN_ROLES:
                    yield line, UNSAFE, f"the `{{{role}}}` role is not allowed in a page"
                elif role in PATH_ROLES:
                    target = re.sub(r"^.*<(.*)>\s*$", r"\1", child.content.strip())
                    yield from _check_path(line, target, depth, "the download path")


def _check_path(line: int, target: str, depth: int, what: str) -> Iterator[tuple[int, str, str]]:
    target = target.strip()
    if target.startswith(SAFE_REMOTE):
        return
    if re.match(r"^[A-Za-z][\w+.-]*:", target):
        yield line, UNSAFE, f"{what} {target!r} uses a scheme that is not allowed; use a file inside the library or an https:// address"
        return
    # Sphinx reads "/x" from the source root and "x" from the page's own folder, `depth` deep.
    folder = "" if target.startswith("/") else "/".join(["folder"] * depth)
    resolved = posixpath.normpath(posixpath.join("/root", folder, target.lstrip("/")))
    if resolved != "/root" and not resolved.startswith("/root/"):
        yield line, UNSAFE, f"{what} {target!r} points outside the library folder; keep files the page uses inside it"
