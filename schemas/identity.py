"""Who a name means: how people are compared (authors, reviewers, approvals, the registry), and
which names are refused because they could pass for someone else.

Two names are the same person when they are equal after Unicode compatibility normalisation
(NFKC: a full-width letter is the letter), with invisible and format characters removed, case
folded, punctuation dropped, spaces collapsed and titles (Dr, Prof …) left out. A name holding an
invisible or control character, or letters of more than one script (a Cyrillic letter a in a Latin
name), is refused where it is written: it could only be meant to look like another name.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

import regex
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from guidepress.schemas.characters import describe
from guidepress.schemas.codes import Code
from guidepress.schemas.fields import StrictText

_TITLES = "dr doctor prof professor mr mrs ms miss mx sir dame lord lady rev revd reverend"
TITLES = frozenset(_TITLES.split())
WORD = regex.compile(r"[\p{L}\p{N}]+")
INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]")
# The scripts a name's letters are written in; a few are used together in one language.
_SCRIPTS = (
    "Latin Greek Cyrillic Armenian Hebrew Arabic Syriac Thaana Devanagari Bengali Gurmukhi "
    "Gujarati Oriya Tamil Telugu Kannada Malayalam Sinhala Thai Lao Tibetan Myanmar Georgian "
    "Hangul Ethiopic Cherokee Khmer Mongolian Hiragana Katakana Han"
)
SCRIPTS = _SCRIPTS.split()
SCRIPT_OF = regex.compile("|".join(f"(?P<{name}>\\p{{sc={name}}})" for name in SCRIPTS))
WRITTEN_TOGETHER = (frozenset({"Han", "Hiragana", "Katakana"}), frozenset({"Han", "Hangul"}))


def person_key(name: str) -> str:
    """What is compared when names are compared: "Dr  Example Reviewer." and "example reviewer"
    are one person."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).casefold()
    words = WORD.findall(text)
    while words and words[0] in TITLES:
        words.pop(0)
    return " ".join(words)


def name_problem(name: str) -> str | None:
    """Why a name may not be used (it could pass for another), or None."""
    hidden = INVISIBLE.search(name)
    if hidden:
        return (
            f"holds {describe(hidden.group(0))}, an invisible character; write the name with "
            "visible letters only"
        )
    scripts = set()
    for char in unicodedata.normalize("NFKC", name):
        if char.isalpha():
            match = SCRIPT_OF.match(char)
            scripts.add(match.lastgroup if match and match.lastgroup else "another")
    if len(scripts) > 1 and not any(scripts <= together for together in WRITTEN_TOGETHER):
        return (
            f"mixes letters of {' and '.join(sorted(scripts))} scripts, as a look-alike of another "
            "name would; write it in one script"
        )
    if not person_key(name):
        return "has no letters once titles and punctuation are set aside"
    return None


def _checked(name: str) -> str:
    problem = name_problem(name)
    if problem:
        raise PydanticCustomError(Code.INVALID_NAME, "the name '{name}' " + problem, {"name": name})
    return name


PersonName = Annotated[StrictText, AfterValidator(_checked)]
