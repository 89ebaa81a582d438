"""Characters no page may hold, and how to show text on a terminal safely.

Control characters (other than tab and newline), the bidirectional controls that reorder what a
reader sees (the "Trojan Source" characters) and the Unicode line and paragraph separators have
no place in a guideline: on a terminal they rewrite what is shown, in a PDF they stop the
compiler, and some readers of a page take the separators for line ends.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls but tab and newline; bidi marks, embeddings, overrides and isolates; the
# line and paragraph separators; the byte-order mark inside text.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)
# What a terminal or a log must never receive raw: the above, the carriage return and tab
# too, which move the cursor, and the bytes of a file name that are not UTF-8 (Python keeps them
# as lone surrogates).
UNPRINTABLE = re.compile(f"[\t\r{FORBIDDEN.pattern[1:-1]}\udc80-\udcff]")


def describe(char: str) -> str:
    """U+001B ESCAPE, for a message."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "a control character")
    return f"U+{ord(char):04X} {name}"


def printable(text: str) -> str:
    r"""The text with every character a terminal would act on written as an escape (\x1b)."""
    if not UNPRINTABLE.search(text):
        return text
    return UNPRINTABLE.sub(lambda match: match.group(0).encode("unicode_escape").decode(), text)


_CONTROL_NAMES = {
    "\x00": "NULL",
    "\x07": "BELL",
    "\x08": "BACKSPACE",
    "\x0b": "LINE TABULATION",
    "\x0c": "FORM FEED",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
    "\x85": "NEXT LINE",
}
