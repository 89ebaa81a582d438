"""Read a page once: its text, its YAML front matter (with positions on demand) and its body.

Valid pages are parsed with libyaml's C loader straight to Python data; YAML nodes, which carry
line numbers, are only composed when a diagnostic needs a position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from guidepress.schemas import Code
from guidepress.validators.diagnostics import Diagnostic

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FENCE = "---"


class _DuplicateKey(Exception):
    def __init__(self, key: object, mark: yaml.Mark) -> None:
        super().__init__(key)
        self.key = key
        self.mark = mark


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe C loader, refusing duplicate keys instead of keeping the last silently."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Compare the keys as written: cheap, and enough to catch a field given twice.
        keys = [
            key_node.value for key_node, _ in node.value if isinstance(key_node, yaml.ScalarNode)
        ]
        if len(set(keys)) != len(keys):
            seen: set[str] = set()
            for key_node, _ in node.value:
                if key_node.value in seen:
                    raise _DuplicateKey(key_node.value, key_node.start_mark)
                seen.add(key_node.value)
        mapping: dict[Any, Any] = SafeConstructor.construct_mapping(self, node, deep=deep)
        return mapping

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # A date-shaped value that is no date (2026-13-01) stays text, so the schema reports it at
        # its field instead of YAML raising from deep inside the loader.
        try:
            return SafeConstructor.construct_yaml_timestamp(self, node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


@dataclass
class Page:
    """One Markdown page as read from disk."""

    path: str
    text: str
    front_matter: str | None = None  # the YAML between the fences
    data: Any = None  # the parsed front matter
    body: str = ""
    body_line: int = 1  # file line on which the body starts
    offset: int = 2  # file line of the front matter's first line (after the opening fence)
    # Fingerprints of the files it shows (see page_files).
    files: dict[str, str] = field(default_factory=dict)
    _nodes: Any = field(default=None, repr=False)

    def at(self, line: int, col: int, code: Code, message: str) -> Diagnostic:
        return Diagnostic.of(code, self.path, line, col, message)

    def locate(self, loc: tuple[str | int, ...]) -> tuple[int, int]:
        """File line and column of a front-matter field, or of its nearest existing parent."""
        if self._nodes is None and self.front_matter is not None:
            self._nodes = yaml.compose(self.front_matter, Loader=_BaseLoader)
        node = self._nodes
        line, col = 1, 1  # the opening fence: where a missing top-level field belongs
        for part in loc:
            if isinstance(node, yaml.MappingNode):
                match = next((pair for pair in node.value if pair[0].value == part), None)
                if match is None:
                    break
                key_node, node = match
                line, col = key_node.start_mark.line + self.offset, key_node.start_mark.column + 1
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and part < len(node.value)
            ):
                node = node.value[part]
                line, col = node.start_mark.line + self.offset, node.start_mark.column + 1
            else:
                break
        return line, col

    def body_position(self, offset: int) -> tuple[int, int]:
        """File line and column of a character offset in the body."""
        line_start = self.body.rfind("\n", 0, offset) + 1
        return self.body_line + self.body.count("\n", 0, offset), offset - line_start + 1


def read_page(
    path: Path, display: str, *, needs_front_matter: bool
) -> tuple[Page | None, list[Diagnostic]]:
    """Read and split a page. Returns the page, or None with the diagnostics that stopped it."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [
            Diagnostic.of(
                Code.UNREADABLE_FILE,
                display,
                1,
                1,
                f"cannot read the file: {error.strerror}; "
                "fix its permissions or the link it is, or remove it",
            )
        ]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        col = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [
            Diagnostic.of(
                Code.NOT_UTF8,
                display,
                line,
                col,
                f"byte 0x{raw[error.start]:02x} is not UTF-8; "
                "save the file as UTF-8 (in most editors: Save with encoding, UTF-8)",
            )
        ]
    return parse_page(text, display, needs_front_matter=needs_front_matter)


def parse_page(
    text: str, display: str, *, needs_front_matter: bool
) -> tuple[Page | None, list[Diagnostic]]:
    """Split text already in memory (Sphinx hands us the source) into front matter and body."""
    page = Page(path=display, text=text.replace("\r\n", "\n"))
    text = page.text
    if not text.strip():
        if not needs_front_matter:
            return page, []
        return None, [
            page.at(
                1,
                1,
                Code.EMPTY_FILE,
                "the file is empty: start it with front matter between two lines `---`",
            )
        ]
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        page.body = text
        if not needs_front_matter:
            return page, []
        return None, [
            page.at(
                1,
                1,
                Code.NO_FRONT_MATTER,
                "a guideline page must start with a line `---`, then "
                "its front matter (id, title, version, …), then another `---`",
            )
        ]
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() in (FENCE, "...")), None)
    if closing is None:
        return None, [
            page.at(
                1,
                1,
                Code.UNCLOSED_FRONT_MATTER,
                "the front matter opened here never closes: add a line `---` after the last field",
            )
        ]
    page.front_matter = "\n".join(lines[1:closing]) + "\n"
    page.body = "\n".join(lines[closing + 1 :])
    page.body_line = closing + 2
    problem = _load(page)
    if problem:
        return None, [problem]
    if page.data is None and not needs_front_matter:
        return page, []
    if not isinstance(page.data, dict):
        kind = "empty" if page.data is None else f"a {type(page.data).__name__}"
        return None, [
            page.at(
                2,
                1,
                Code.NOT_A_MAPPING,
                f"the front matter is {kind}; write it as "
                "`key: value` lines, e.g. `title: Hepatic artery embolisation`",
            )
        ]
    return page, []


def _load(page: Page) -> Diagnostic | None:
    source = page.front_matter or ""
    if "&" in source or "*" in source:  # only then pay for an event scan
        try:
            for event in yaml.parse(source, Loader=_BaseLoader):
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                    mark = event.start_mark
                    return page.at(
                        mark.line + 2,
                        mark.column + 1,
                        Code.YAML_ALIAS,
                        "YAML anchors and aliases (&name, *name) are not allowed in front "
                        "matter; write the value out in full",
                    )
        except yaml.YAMLError:
            pass  # the loader below reports the syntax error with its position
    try:
        page.data = yaml.load(source, Loader=_Loader)
    except _DuplicateKey as duplicate:
        mark = duplicate.mark
        return page.at(
            mark.line + 2,
            mark.column + 1,
            Code.DUPLICATE_KEY,
            f"`{duplicate.key}` appears twice; keep one (YAML would silently use the last)",
        )
    except (yaml.MarkedYAMLError, ConstructorError) as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 2, mark.column + 1) if mark else (2, 1)
        reason = " ".join(filter(None, [error.problem, error.context]))
        return page.at(
            line,
            col,
            Code.YAML_SYNTAX,
            f"the front matter is not valid YAML: {reason}; "
            "check indentation and quote values that contain `: ` or start with a special "
            "character",
        )
    except yaml.YAMLError as error:
        return page.at(2, 1, Code.YAML_SYNTAX, f"the front matter is not valid YAML: {error}")
    return None
