"""What kinds of file a page may show or offer, decided by the file's bytes and name together.

The website serves a file by its name (`.html` as a web page, `.png` as a picture), so a file is
published only when its name is one of a short list and its bytes are what that name says:
PDF, PNG, JPEG, GIF and WebP, plain text and CSV (served as text), and SVG that keeps to a plain
subset of drawing elements. Anything a browser would run (a web page, a script, an SVG with
script, links or foreign elements, a server-parsed type) is refused, whatever it is called.
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Callable
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
XML = "{http://www.w3.org/XML/1998/namespace}"

# Drawing elements only: no script, foreignObject, links (<a>), animation (which can rewrite an
# attribute into a script link), images of other files, or elements of other namespaces.
_ELEMENTS = (
    "svg g defs symbol use title desc path rect circle ellipse line polyline polygon text tspan "
    "textPath linearGradient radialGradient stop clipPath mask pattern marker filter feBlend "
    "feColorMatrix feComponentTransfer feComposite feFlood feFuncA feFuncB feFuncG feFuncR "
    "feGaussianBlur feMerge feMergeNode feMorphology feOffset style"
)
SVG_ELEMENTS = frozenset(_ELEMENTS.split())
# Geometry, presentation and text attributes; `href` only to a fragment of the same file.
_ATTRIBUTES = (
    "id class style transform viewBox preserveAspectRatio version width height x y x1 y1 x2 y2 "
    "cx cy r rx ry d points pathLength fill fill-opacity fill-rule stroke stroke-width "
    "stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray stroke-dashoffset "
    "stroke-opacity opacity color display visibility overflow clip-path clip-rule mask filter "
    "marker-start marker-mid marker-end markerWidth markerHeight markerUnits refX refY orient "
    "font-family font-size font-style font-weight font-variant letter-spacing word-spacing "
    "text-anchor dominant-baseline alignment-baseline baseline-shift text-decoration dx dy "
    "rotate textLength lengthAdjust startOffset gradientUnits gradientTransform spreadMethod "
    "offset stop-color stop-opacity fx fy fr patternUnits patternContentUnits patternTransform "
    "clipPathUnits maskUnits maskContentUnits filterUnits primitiveUnits in in2 result "
    "stdDeviation mode operator k1 k2 k3 k4 values type tableValues slope intercept amplitude "
    "exponent flood-color flood-opacity radius href"
)
SVG_ATTRIBUTES = frozenset(_ATTRIBUTES.split())
# In a style (an attribute or a <style>), CSS may only point inside the file: url(#id).
CSS_OUTSIDE = re.compile(r"url\(\s*['\"]?(?!#)|@import|expression\s*\(|javascript:", re.IGNORECASE)


def refusal(name: str, data: bytes) -> str | None:
    """Why the file named `name` holding `data` may not be published, or None when it may."""
    suffix = posixpath.splitext(name)[1].lower()
    check = CHECKS.get(suffix)
    if check is None:
        kinds = ", ".join(sorted({kind for kind, _ in CHECKS.values()}))
        return (
            f"a {suffix or 'nameless'} file is not among the kinds a page may show or offer "
            f"({kinds}); offer the content as one of them, or as a page of the library"
        )
    kind, is_it = check
    problem = is_it(data)
    if problem:
        return f"it is named as {kind} but {problem}; save it again as {kind}"
    return None


def _magic(*signatures: bytes, at: int = 0) -> Callable[[bytes], str | None]:
    def check(data: bytes) -> str | None:
        if any(data[at : at + len(s)] == s for s in signatures):
            return None
        return "its content is something else"

    return check


def _webp(data: bytes) -> str | None:
    is_webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return None if is_webp else "its content is something else"


def _text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return f"byte {error.start} is not UTF-8 text"
    return "it holds a NUL byte, so it is not text" if "\x00" in text else None


def _svg(data: bytes) -> str | None:
    try:
        found = list(ElementTree.iterparse(io.BytesIO(data), ("start", "pi"), forbid_dtd=True))
    except DefusedXmlException:
        return "it declares a document type or entities, which a plain drawing does not need"
    except ElementTree.ParseError as error:
        return f"it is not well-formed XML ({error})"
    for position, (event, element) in enumerate(found):
        if event == "pi":  # e.g. <?xml-stylesheet?>: an XSLT stylesheet can write a script
            return "it holds a processing instruction (<?…?>), which a plain drawing does not"
        if position == 0 and element.tag != f"{SVG}svg":
            return "its top element is not an SVG drawing"
        problem = _svg_element(element)
        if problem:
            return problem
    return None if found else "it holds no drawing"


def _svg_element(element: Element) -> str | None:
    local = element.tag.removeprefix(SVG)
    if local == element.tag or local not in SVG_ELEMENTS:
        return f"it holds a <{_plain(element.tag)}> element, which is not part of a plain drawing"
    if local == "style" and CSS_OUTSIDE.search(element.text or ""):
        return "its <style> points outside the file"
    for attribute, value in element.attrib.items():
        name = attribute.removeprefix(XML) if attribute.startswith(XML) else attribute
        if attribute == XLINK_HREF:
            name = "href"
        if name not in SVG_ATTRIBUTES and not attribute.startswith(XML):
            return f"its <{local}> has a {_plain(attribute)} attribute, which a plain drawing lacks"
        if name == "href" and not value.startswith("#"):
            return f"its <{local}> links to {value!r}, outside the file"
        if CSS_OUTSIDE.search(value):
            return f"its <{local}> {name} points outside the file"
    return None


def _plain(tag: str) -> str:
    return tag.rpartition("}")[2] if tag.startswith("{") else tag


# Each allowed name ending: (what it is, the check its bytes must pass).
CHECKS: dict[str, tuple[str, Callable[[bytes], str | None]]] = {
    ".pdf": ("PDF", _magic(b"%PDF-")),
    ".png": ("PNG", _magic(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("JPEG", _magic(b"\xff\xd8\xff")),
    ".jpeg": ("JPEG", _magic(b"\xff\xd8\xff")),
    ".gif": ("GIF", _magic(b"GIF87a", b"GIF89a")),
    ".webp": ("WebP", _webp),
    ".txt": ("plain text", _text),
    ".csv": ("CSV text", _text),
    ".svg": ("plain SVG", _svg),
}
