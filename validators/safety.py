"""Pages are content, not code: refuse anything that could put script into the site. The same
walk finds the files a page shows or offers (page_files resolves and checks them) and checks that
every image has alternative text, which screen readers and the tagged (PDF/UA) PDF need.

The body is tokenised with MyST's own markdown-it parser, so a code block that *shows* HTML is
not mistaken for HTML. Most pages contain nothing suspicious and are never tokenised.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from typing import Any, NamedTuple

from docutils.parsers.rst import Directive
from docutils.parsers.rst.directives.tables import CSVTable

from guidepress.schemas import Code

SUSPICIOUS = re.compile(r"<[A-Za-z!?/]|\{(?!cite(?::[a-z]+)?\})[A-Za-z][\w:.-]*\}|!\[")
# A Markdown link, inline or defined, to a path (or MyST's path: scheme) rather than a web address
# or an anchor: MyST makes it a download when it names a file of the library.
LOCAL_LINK = re.compile(
    r"(?:\]\(|^ {0,3}\[[^\]]+\]:)\s*<?(?:path:|(?![A-Za-z][\w+.-]*:|#))", re.MULTILINE
)
MAYBE_FILE = re.compile(f"{SUSPICIOUS.pattern}|{LOCAL_LINK.pattern}", re.MULTILINE)
# Directives that pass text straight into the output or read other files.
FORBIDDEN_DIRECTIVES = {
    "raw",
    "include",
    "literalinclude",
    "eval-rst",
    "eval-md",
    "iframe",
    "script",
    "meta",
    # Content shown by one output and not another: reviewers read the web page, clinics the PDF.
    "only",
    "ifconfig",
}
FILE_OPTIONS = {"file", "url", "source"}
PATH_DIRECTIVES = {"image", "figure"}
PATH_ROLES = {"download"}
FORBIDDEN_ROLES = {"raw", "raw-html"}
# TeX macros with which MathJax writes links, styles or HTML attributes, or loads code.
UNSAFE_TEX = re.compile(r"\\(href|url|class|cssId|style|require|data|htmlData|unicode)(?![A-Za-z])")
UNSAFE_TEX_MESSAGE = (
    "maths may not use \\href, \\url, \\class, \\cssId, \\style, \\require, \\data or "
    "\\unicode, with which MathJax writes links and HTML into the page"
)
SAFE_REMOTE = ("http://", "https://")
DERIVED_ROLE = re.compile(r"^[\w.-]+\s*\(\s*([\w:.-]+)\s*\)")  # {role} name(base)
TOCTREE_TARGET = re.compile(r"<([^<>]*)>\s*$")  # "Title <target>"
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
LINK_SCHEMES = {"http", "https", "mailto"}
# Front-matter keys through which MyST would change the parser or write HTML <meta> tags.
FORBIDDEN_KEYS = {"myst", "html_meta", "substitutions"}
# Front-matter keys of a page outside the guidelines folder: its title, and Sphinx's plain flags.
PAGE_KEYS = {"title", "orphan", "tocdepth", "nosearch", "nocomments"}
UNSAFE, NO_ALT = Code.UNSAFE_CONTENT, Code.IMAGE_WITHOUT_ALT


def allowed_link(uri: str) -> bool:
    """A relative link, or one to the web or an email address: never javascript:, data: and the
    like.
    Browsers drop control characters, tabs and newlines before reading the scheme, so we do too."""
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", uri)
    scheme = SCHEME.match(cleaned)
    return scheme is None or scheme.group(1).lower() in LINK_SCHEMES


def is_line_break(raw: Any) -> bool:
    """MyST's hard line break (two spaces or a backslash at the end of a line) is a raw `<br />`:
    the one piece of raw HTML that is harmless whoever wrote it, and without it words run
    together. raw: a docutils raw node."""
    return bool(raw.get("format") == "html") and raw.astext().strip() == "<br />"


@cache
def _parser() -> Any:
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    return create_md_parser(MdParserConfig(), RendererHTML)


def body_problems(body: str) -> list[tuple[int, Code, str]]:
    """(body line, 0-based; code; message) for each problem."""
    if not SUSPICIOUS.search(body):
        return []
    return sorted(set(_scan(body)))  # one report per line and problem


@lru_cache(maxsize=8)
def _tokens(text: str) -> tuple[Any, ...]:
    # The safety check and the list of files a page uses walk the same body one after the other.
    return tuple(_parser().parse(text))


def directive_of(info: str) -> tuple[str, str] | None:
    match = re.match(r"^\{([\w:.-]+)\}\s*(.*)$", info.strip())
    if not match:
        return None
    return match.group(1).split(":")[-1].lower(), match.group(2).strip()


def elements(
    text: str, offset: int = 0, worth_walking: re.Pattern[str] | None = SUSPICIOUS
) -> Iterator[tuple[int, Any]]:
    """Every block token and inline element, with its body line (0-based). Directives may hold
    markup of their own, so they are walked too (when they hold what the caller looks for; never
    with None), unless the directive is refused whole: its body, with its argument line before it
    (MyST makes that line the body's first of a directive that takes no argument, and a title of
    one that does), and each cell of a CSV table, which MyST reads as Markdown. A directive's
    content is read in each way MyST could read it; what two readings share is given once."""
    yield from _walk(text, offset, worth_walking, set())


def _walk(
    text: str, offset: int, worth_walking: re.Pattern[str] | None, seen: set[tuple[Any, ...]]
) -> Iterator[tuple[int, Any]]:
    skipping = False
    for token in _tokens(text):
        line = offset + (token.map[0] if token.map else 0)
        if token.map:  # a closing token has no place: it goes with the token before it
            key = (line, token.type, token.info, token.content, token.markup)
            skipping = key in seen
            seen.add(key)
        if skipping:
            continue
        yield line, token
        directive = directive_of(token.info) if token.type in ("fence", "colon_fence") else None
        if directive and directive[0] not in FORBIDDEN_DIRECTIVES and worth_walking:
            for part, start in _nested(directive, token.content, line):
                if worth_walking.search(part):
                    yield from _walk(part, start, worth_walking, seen)
        for child in token.children or []:
            yield line, child


class _AnyOption(dict[str, Any]):
    """An option list that takes every name, so that MyST reads all of a directive's options in
    either of its forms (`:name: value` lines or a `---` YAML block), whatever the directive."""

    def __bool__(self) -> bool:
        return True

    def __contains__(self, name: object) -> bool:
        return True

    def __getitem__(self, name: str) -> Any:
        return _text

    def get(self, name: str, default: Any = None) -> Any:
        return _text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class _AnyDirective(Directive):  # type: ignore[misc]
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _AnyOption()


class _Directive(NamedTuple):
    options: dict[str, str]  # lower-cased names
    body: tuple[str, ...]
    body_offset: int  # the body's first line within the content
    unreadable: str  # why MyST could not read the options, or ""


@lru_cache(maxsize=64)
def read_directive(argument: str, content: str) -> _Directive:
    """A directive's parts, read by MyST's own directive parser, so no way of writing an option
    escapes the checks."""
    from docutils.parsers.rst.states import MarkupError
    from myst_parser.parsers.directives import parse_directive_text

    try:
        read = parse_directive_text(_AnyDirective, argument, content)
    except MarkupError as error:
        return _Directive({}, tuple(content.splitlines()), 0, str(error))
    options = {str(name).lower(): value for name, value in read.options.items()}
    problem = "; ".join(w.msg for w in read.warnings if "option" in w.msg.lower())
    return _Directive(options, tuple(read.body), read.body_offset, problem)


def _nested(directive: tuple[str, str], content: str, line: int) -> list[tuple[str, int]]:
    """(Markdown a directive holds, its first line) for the parts MyST reads as Markdown: all of
    it, option lines too, whatever the directive (more than MyST reads, never less); and each
    cell of a CSV table, split as docutils splits it."""
    name, argument = directive
    parts = [(f"{argument}\n{content}", line) if argument else (content, line + 1)]
    # As MyST reads it: the options taken off (a `---` block ends where MyST says, and what
    # follows on its closing line is body), and the argument on its own, or as the body's first
    # line for a directive that takes none. Each reading is walked.
    options, body, offset, _ = read_directive(argument, content)
    start = line + 1 + offset
    parts.append(("\n".join(body), start))
    if argument:
        parts.append((argument + "\n" * (start - line) + "\n".join(body), line))
        parts.append((argument + "\n" + "\n".join(body), line))  # MyST joins them so
    if name == "csv-table":
        with contextlib.suppress(csv.Error, TypeError, ValueError):  # docutils refuses it too
            dialect = CSVTable.DocutilsDialect(_csv_options(options))
            reader = csv.reader((row + "\n" for row in body), dialect=dialect)
            while body[reader.line_num :]:
                first = line + 1 + offset + reader.line_num  # a quoted cell may span lines
                parts += [(cell, first) for cell in next(reader, [])]
    return parts


def _csv_options(options: dict[str, str]) -> dict[str, str]:
    """The dialect options as docutils converts them ("tab", "space", a character)."""
    from docutils.parsers.rst import directives

    return {
        name: directives.single_char_or_whitespace_or_unicode(options[name])
        for name in ("delim", "quote", "escape")
        if name in options
    } | ({"keepspace": ""} if "keepspace" in options else {})


def _math(element: Any) -> str | None:
    """The TeX of a maths role or directive, or None for anything else."""
    if element.type == "myst_role" and _role(element) == "math":
        return str(element.content)
    directive = directive_of(element.info) if element.type in ("fence", "colon_fence") else None
    if directive and directive[0] == "math":
        return f"{directive[1]}\n{element.content}"
    return None


def _role(element: Any) -> str:
    return str(element.meta.get("name", "")).split(":")[-1].lower()


def _file_target(element: Any) -> tuple[str, str, str] | None:
    """(what it is, the path as MyST and Sphinx read it, its kind) for an element that shows or
    offers a file. The kind is "image", "download", or "link": a link that is a download only
    when it names a file of the library that is not a page."""
    if element.type in ("fence", "colon_fence"):
        directive = directive_of(element.info)
        if directive and directive[0] in PATH_DIRECTIVES:
            return f"the `{{{directive[0]}}}` path", directive[1], "image"
    elif element.type == "image":
        return "the image path", str(element.attrs.get("src", "")), "image"
    elif element.type == "myst_role" and _role(element) in PATH_ROLES:
        written = re.sub(r"^.*<(.*)>\s*$", r"\1", element.content.strip())
        return "the download path", written, "download"
    elif element.type == "link_open":
        href = str(element.attrs.get("href", ""))
        target = _parser().normalizeLinkText(href)  # as MyST decodes it (%2e is a dot)
        if target.startswith("path:"):  # MyST's scheme for a download
            return "the download path", target.removeprefix("path:").split("#")[0], "download"
        if target and not target.startswith("#") and not SCHEME.match(target):
            return "the link target", target.split("#")[0], "link"
    return None


# Roles that show another page's title, or a section's, when given no text of their own.
REFERENCE_ROLES = {"doc", "ref", "numref", "any", "download"}
LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$", re.MULTILINE)  # MyST's `(name)=` target line
BORROWS = re.compile(r"\]\(|\{[\w:.-]+\}|```|:::|\[\]")  # links, roles and directives


def borrowed_text(body: str) -> list[tuple[int, str]]:
    """(body line, 0-based; message) for each place a guideline page would show another page's
    text: what its digest, and so its approvals, do not cover."""
    if not BORROWS.search(body):
        return []
    found = []
    labels = set(LABEL.findall(body))  # a section of this page: its title is the page's own
    tokens = list(elements(body, 0, BORROWS))
    for position, (line, element) in enumerate(tokens):
        if element.type == "link_open":
            following = tokens[position + 1][1] if position + 1 < len(tokens) else None
            closes = following is None or following.type == "link_close"
            href = str(element.attrs.get("href", ""))
            if closes and not SCHEME.match(href) and not href.startswith("#"):  # another page
                found.append((line, "a link with no words of its own shows the other page's title"))
        elif element.type == "myst_role" and _role(element) in REFERENCE_ROLES - {"download"}:
            target = element.content.strip()
            own = bool(re.search(r"<[^<>]*>$", target)) or target.lstrip("#") in labels
            if not own:
                role = _role(element)
                said = (
                    f"the `{{{role}}}` role with no words of its own shows a title from "
                    f"elsewhere (write {{{role}}}`your words <{target}>`)"
                )
                found.append((line, said))
        elif element.type in ("fence", "colon_fence"):
            directive = directive_of(element.info)
            if directive and directive[0] == "toctree":
                found.append((line, "a toctree lists other pages' titles"))
    return found


def local_files(body: str) -> list[tuple[int, str, str, str]]:
    """(body line, 0-based; what it is; path as written; kind) for each of the library's files
    the page may show or offer: images, figures, downloads, and links to files."""
    if not MAYBE_FILE.search(body):
        return []
    found = []
    for line, element in elements(body, 0, MAYBE_FILE):
        target = _file_target(element)
        if target and target[1].strip() and not SCHEME.match(target[1].strip()):
            found.append((line, target[0], target[1].strip(), target[2]))
    return found


def _scan(text: str) -> Iterator[tuple[int, Code, str]]:
    raw_html = (
        "raw HTML is not allowed in a page; use MyST markup (admonitions, tables, links) instead"
    )
    for line, element in elements(text, 0):
        target = _file_target(element)
        if target and target[2] != "link":  # page_files resolves and checks the paths
            yield from _check_scheme(line, target[1], target[0])
        if element.type in ("html_block", "html_inline"):
            yield line, UNSAFE, raw_html
        elif element.type in ("fence", "colon_fence"):
            directive = directive_of(element.info)
            if directive is not None:  # not a code block, which is shown as text, never run
                yield from _check_directive(line, *directive, element.content)
        elif element.type == "image" and not element.content.strip():
            source = str(element.attrs.get("src", ""))
            yield (
                line,
                NO_ALT,
                (
                    f"the image {source!r} has no alternative text; say what it shows between "
                    f"the brackets, ![what the image shows]({source}), for readers who cannot see "
                    "it"
                ),
            )
        elif element.type == "myst_role" and _role(element) in FORBIDDEN_ROLES:
            yield line, UNSAFE, f"the `{{{_role(element)}}}` role is not allowed in a page"
        if _math(element) and UNSAFE_TEX.search(_math(element) or ""):
            yield line, UNSAFE, UNSAFE_TEX_MESSAGE


def _check_directive(
    line: int, name: str, argument: str, content: str
) -> Iterator[tuple[int, Code, str]]:
    if name in FORBIDDEN_DIRECTIVES:
        why = (
            "it shows content in one output and not another, and the web page and the PDF "
            "must say the same"
            if name in ("only", "ifconfig")
            else "it can insert raw output or read other files"
        )
        yield line, UNSAFE, f"the `{{{name}}}` directive is not allowed in a page: {why}"
        return
    options, _, _, unreadable = read_directive(argument, content)
    if unreadable:  # MyST drops options it cannot read, which no one then sees or checks
        yield (
            line,
            UNSAFE,
            (
                f"MyST cannot read the options of the `{{{name}}}` directive ({unreadable}); "
                "write each on its own line as `:name: value`, without tabs"
            ),
        )
    if FILE_OPTIONS & options.keys():
        yield (
            line,
            UNSAFE,
            (
                f"the `{{{name}}}` directive may not read a file or URL (:file:, :url:); put the "
                "content in the page"
            ),
        )
    classes = [v for k, v in options.items() if "class" in k]
    # Directives whose argument is a class (a role's name becomes its class).
    classes += [argument] if name in ("container", "rst-class", "cssclass", "role") else []
    if any("guidepress" in value.lower() for value in classes):
        yield (
            line,
            UNSAFE,
            (
                f"the `{{{name}}}` directive may not use a class named guidepress-…: those mark "
                "what guidepress itself writes (recommendations, document control)"
            ),
        )
    derived = DERIVED_ROLE.match(argument) if name == "role" else None
    if derived and derived.group(1).split(":")[-1].lower() in FORBIDDEN_ROLES:
        yield (
            line,
            UNSAFE,
            (
                "the `{role}` directive may not make a role from "
                f"`{derived.group(1)}`: it writes raw output"
            ),
        )
    target = options.get("target", "").strip()
    if target and not allowed_link(target):
        yield (
            line,
            UNSAFE,
            (
                f"the `{{{name}}}` link target {target!r} is not allowed; link to a page or an "
                "https:// address"
            ),
        )
    if name == "toctree":
        yield from _check_toctree(line, content)
    if name in PATH_DIRECTIVES and not options.get("alt", "").strip():
        yield (
            line,
            NO_ALT,
            (
                f"the `{{{name}}}` {argument!r} has no alternative text; add an option line "
                "`:alt: what the image shows`, for readers who cannot see it"
            ),
        )


def _check_toctree(line: int, content: str) -> Iterator[tuple[int, Code, str]]:
    for entry in content.splitlines():
        entry = entry.strip()
        if not entry or entry.startswith(":"):
            continue  # a blank line or an option
        written = TOCTREE_TARGET.search(entry)
        target = written.group(1) if written else entry
        if not allowed_link(target):
            yield (
                line,
                UNSAFE,
                (
                    f"the toctree entry {target!r} is not allowed; list pages of the library or "
                    "https:// addresses"
                ),
            )


# Characters that can start inline markup (or, a line break, end MyST's `# {title}` heading).
TITLE_MARKUP = re.compile(r"[*_`\[!<&\\{$~\n\r]")
MARKUP_NAMES = {
    "em_open": "emphasis",
    "strong_open": "bold",
    "code_inline": "code",
    "link_open": "a link",
    "image": "an image",
    "html_inline": "HTML",
    "myst_role": "a role",
    "softbreak": "a line break",
}


def title_markup(title: str) -> str | None:
    """What markup a title holds, or None for plain text. MyST makes the front-matter title the
    page's heading by parsing it as Markdown, while the PDF prints it as written: only plain text
    reads the same in both, and cannot carry a role or HTML into the site."""
    if not TITLE_MARKUP.search(title):
        return None  # most titles: nothing that could start markup, so no need to parse
    tokens = _parser().parseInline(title)
    children = [child for token in tokens for child in token.children or []]
    for child in children:
        if child.type != "text":
            return MARKUP_NAMES.get(child.type, str(child.type).replace("_", " "))
    if "".join(child.content for child in children) != title.strip():
        return "an escape or entity"
    return None


def front_matter_problems(data: object, is_guideline: bool) -> list[tuple[str, str]]:
    """(key, message) for each front-matter key a page may not have. On any page, the keys that
    would let it change the parser or the HTML head. On a page outside the guidelines folder
    (whose front matter no schema checks), every key but a few plain ones: MyST renders most
    others (author, contact, date …) as Markdown that no rule has read."""
    if not isinstance(data, dict):
        return []
    found = []
    for key in data:
        if key in FORBIDDEN_KEYS:
            why = "it would let the page change how the site is parsed or write HTML <meta> tags"
        elif not is_guideline and key not in PAGE_KEYS:
            allowed = ", ".join(sorted(PAGE_KEYS))
            why = (
                "a page outside the guidelines folder may only have these front-matter keys: "
                f"{allowed} (MyST would show others as Markdown no rule has read)"
            )
        else:
            continue
        found.append((str(key), f"`{key}` is not allowed in front matter: {why}"))
    return found


def _check_scheme(line: int, target: str, what: str) -> Iterator[tuple[int, Code, str]]:
    target = target.strip()
    if target.startswith(SAFE_REMOTE) or not SCHEME.match(target):
        return
    yield (
        line,
        UNSAFE,
        (
            f"{what} {target!r} uses a scheme that is not allowed; use a file inside the library "
            "or an https:// address"
        ),
    )
