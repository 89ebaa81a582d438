"""How hard a patient-information page is to read: Flesch reading ease, Flesch-Kincaid grade and
SMOG, as textstat computes them, over the page's paragraphs.

The formulas are calibrated on English, so only English pages are measured. Headings, tables and
code are left out: they are not sentences, and would count as one long one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from guidepress.schemas import Code, Guideline, Settings
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.safety import elements
from guidepress.validators.source import Page

ANY = re.compile(r"\S")
SENTENCE_END = re.compile(r"[.!?:;]\s*$")


@dataclass(frozen=True)
class Readability:
    reading_ease: float  # Flesch: 0-100, higher is easier; 60-70 is plain English
    grade: float  # Flesch-Kincaid: the school grade (US) that can read it
    smog: float  # SMOG: the grade needed to understand it, from words of three syllables or more

    def summary(self) -> str:
        return (
            f"Flesch-Kincaid grade {self.grade:.1f}, Flesch reading ease "
            f"{self.reading_ease:.1f}, SMOG {self.smog:.1f}"
        )


def prose(body: str) -> str:
    """The page's paragraphs and list items, each ending as a sentence."""
    sentences: list[str] = []
    words: list[str] = []
    inside = False
    for _, element in elements(body, 0, ANY):
        if element.type == "paragraph_open":
            inside = True
            words = []
        elif element.type == "paragraph_close" and inside:
            text = " ".join("".join(words).split())
            if text:
                sentences.append(text if SENTENCE_END.search(text) else text + ".")
            inside = False
        elif inside and element.type in ("text", "code_inline"):
            words.append(element.content)
        elif inside and element.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return " ".join(sentences)


@lru_cache(maxsize=256)
def measure(body: str) -> Readability | None:
    """The figures for a page's body, or None when it has no prose to measure."""
    text = prose(body)
    if not text:
        return None
    import textstat  # type: ignore[import-untyped]  # loads its pronouncing dictionary (about a second): only when needed

    return Readability(
        reading_ease=round(textstat.flesch_reading_ease(text), 1),
        grade=round(textstat.flesch_kincaid_grade(text), 1),
        smog=round(textstat.smog_index(text), 1),
    )


def page_readability(page_body: str, model: Guideline) -> Readability | None:
    """The figures for a patient-information page in English, else None."""
    if model.type != "patient-info" or not model.language.lower().startswith("en"):
        return None
    return measure(page_body)


def reading_level(page: Page, model: Guideline, settings: Settings) -> list[Diagnostic]:
    figures = page_readability(page.body, model)
    if figures is None or figures.grade <= settings.max_reading_grade:
        return []
    line, col = page.locate(("type",))
    return [
        page.at(
            line,
            col,
            Code.READING_LEVEL,
            f"this patient-information page reads at {figures.summary()}; the library's limit "
            f"is grade {settings.max_reading_grade:g} (max_reading_grade): use shorter "
            "sentences and everyday words",
        )
    ]
