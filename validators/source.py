"""Read a page once: its text, its YAML front matter (with positions on demand) and its body.

Valid pages are parsed with libyaml's C loader straight to Python data; YAML nodes, which carry
line numbers, are only composed when a diagnostic needs a position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from guidepress.schemas import Code
from guidepress.schemas.characters import FORBIDDEN, describe
from guidepress.validators.diagnostics import Diagnostic

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

FENCE = "---"
MAX_REPORTED = 10  # problems of one kind reported per page: the first ones show the pattern
MAX_DEPTH = 16  # levels of nesting in front matter; a guideline's needs four
# Lines some reader of a page could take for the end of its front matter. MyST's front-matter
# plugin ends it at a line of three or more dashes, indented or not, or at `...`; MyST's reader
# of file-level settings at any line that starts with `---`. guidepress takes only a line `---`
# and refuses a page with any other such line in its front matter, where readers would disagree
# on what is front matter and what is body.
MAYBE_END = re.compile(r"[ \t]*-{3}|\.\.\.")
END = re.compile(r"--- *")
# The line breaks that str.splitlines() (MyST's settings reader) sees and markdown-it does not
# are forbidden characters: a page holding one is refused before it is split.


PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")
)
MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """YAML that is valid but not plain data: a duplicate key, a tag, a merge key."""

    def __init__(self, code: Code, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.code, self.message, self.mark = code, message, mark


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe C loader, for plain data only: text, numbers, true or false, null, dates, lists
    and mappings. It refuses tags, merge keys and duplicate keys, which YAML would turn into
    other types or fields the page does not show, or silently drop."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag not in PLAIN_TAGS:
            raise _Refused(Code.YAML_TAG, _tag_message(node), node.start_mark)
        return SafeConstructor.construct_object(self, node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                message = (
                    "`<<:` merges another mapping's fields into this one, where the page does "
                    "not show them: write each field out in full"
                )
                raise _Refused(Code.YAML_MERGE_KEY, message, key_node.start_mark)
        # Compare the keys as written: cheap, and enough to catch a field given twice.
        scalar_keys = [key for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        if len(scalar_keys) != len(node.value):
            key = next(key for key, _ in node.value if not isinstance(key, yaml.ScalarNode))
            message = "a key that is a list or a mapping is not plain data: write a plain key"
            raise _Refused(Code.YAML_SYNTAX, message, key.start_mark)
        keys = [key_node.value for key_node in scalar_keys]
        if len(set(keys)) != len(keys):
            seen: set[str] = set()
            for key_node in scalar_keys:
                if key_node.value in seen:
                    message = (
                        f"`{key_node.value}` appears twice; keep one (YAML would silently use "
                        "the last)"
                    )
                    raise _Refused(Code.DUPLICATE_KEY, message, key_node.start_mark)
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


def _tag_message(node: yaml.Node) -> str:
    if node.tag == "tag:yaml.org,2002:value":  # a plain `=`, which YAML 1.1 reads as a tag
        return '`=` alone means something special in YAML: put it in quotes, `"="`'
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"`{tag}` is a YAML tag, which turns a value into something other than plain data; "
        "front matter holds text, numbers, true or false, dates, lists and mappings only: "
        "remove the tag"
    )


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

    def position(self, offset: int) -> tuple[int, int]:
        """File line and column of a character offset in the whole text."""
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text.count("\n", 0, offset) + 1, offset - line_start + 1

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


def normalised(text: str) -> str:
    """Line ends as Sphinx reads a file (Python's universal newlines), so every reader of a page
    counts the same lines."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_page(
    text: str, display: str, *, needs_front_matter: bool
) -> tuple[Page | None, list[Diagnostic]]:
    """Split a page's text into front matter and body, as every reader of it will (see
    MAYBE_END), and load the front matter. Returns the page, or None with the diagnostics that
    stopped it."""
    page = Page(path=display, text=normalised(text))
    text = page.text
    if FORBIDDEN.search(text):
        return None, _forbidden_characters(page)
    if not text.strip():
        if not needs_front_matter:
            page.body = text
            return page, []
        message = "the file is empty: start it with front matter between two lines `---`"
        return None, [page.at(1, 1, Code.EMPTY_FILE, message)]
    lines = text.split("\n")
    if not lines[0].startswith(FENCE):
        page.body = text
        if not needs_front_matter:
            return page, []
        message = (
            "a guideline page must start with a line `---`, then its front matter (id, title, "
            "version, …), then another `---`"
        )
        return None, [page.at(1, 1, Code.NO_FRONT_MATTER, message)]
    closing = None
    for number, line in enumerate(lines):
        if not MAYBE_END.match(line):
            continue
        if not END.fullmatch(line):
            return None, [_ambiguous(page, number, line)]
        if number:
            closing = number
            break
    if closing is None:
        message = "the front matter opened here never closes: add a line `---` after the last field"
        return None, [page.at(1, 1, Code.UNCLOSED_FRONT_MATTER, message)]
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
        message = (
            f"the front matter is {kind}; write it as `key: value` lines, e.g. "
            "`title: Hepatic artery embolisation`"
        )
        return None, [page.at(2, 1, Code.NOT_A_MAPPING, message)]
    return page, []


def _forbidden_characters(page: Page) -> list[Diagnostic]:
    found = []
    for match in list(FORBIDDEN.finditer(page.text))[:MAX_REPORTED]:
        line, col = page.position(match.start())
        message = (
            f"{describe(match.group(0))} is an invisible character that can change what readers "
            "and terminals show; delete it (your editor may show it as a box or a code)"
        )
        found.append(page.at(line, col, Code.CONTROL_CHARACTER, message))
    return found


def _ambiguous(page: Page, number: int, line: str) -> Diagnostic:
    if number == 0:
        what = f"starts the front matter as {line.strip()!r}"
    else:
        what = f"is {line.strip()!r}, which some readers take for the end of it"
    return page.at(
        number + 1,
        1,
        Code.AMBIGUOUS_FRONT_MATTER,
        f"this line of the front matter {what}: the front matter starts and ends at lines of "
        "exactly `---`, with no other line in it that starts with `---` or `...`; change the "
        "line (indent a value that starts with dashes inside quotes)",
    )


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
    except _Refused as refused:
        return page.at(
            refused.mark.line + 2, refused.mark.column + 1, refused.code, refused.message
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
    except (ValueError, OverflowError, RecursionError, TypeError) as error:
        # YAML that parses but builds no plain data: a number of thousands of digits, nesting
        # deeper than Python goes.
        reason = str(error) or type(error).__name__
        return page.at(2, 1, Code.YAML_SYNTAX, f"the front matter cannot be read as data: {reason}")
    return _not_plain(page)


def _not_plain(page: Page) -> Diagnostic | None:
    """The first key or value nested deeper than front matter needs (where readers of pages part
    ways: one loader takes what another refuses), or holding a forbidden character written as
    an escape (\\x1b) in a double-quoted value."""
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(page.data, ())]
    while pending:
        value, loc = pending.pop()
        if len(loc) > MAX_DEPTH:
            line, col = page.locate(loc)
            message = f"the front matter is nested deeper than {MAX_DEPTH} levels: flatten it"
            return page.at(line, col, Code.YAML_SYNTAX, message)
        if isinstance(value, dict):
            pending += [(key, (*loc, key)) for key in value]
            pending += [(item, (*loc, key)) for key, item in value.items()]
        elif isinstance(value, list):
            pending += [(item, (*loc, index)) for index, item in enumerate(value)]
        elif isinstance(value, str) and (match := FORBIDDEN.search(value)):
            line, col = page.locate(loc)
            message = (
                f"{'.'.join(map(str, loc)) or 'a key'} holds {describe(match.group(0))}, an "
                "invisible character that can change what readers and terminals show; remove "
                "its escape"
            )
            return page.at(line, col, Code.CONTROL_CHARACTER, message)
    return None
