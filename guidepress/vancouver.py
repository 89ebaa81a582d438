"""Format a reference in Vancouver (NLM) style as text segments, some of them links.

Writers (HTML through docutils nodes, PDF through Typst) turn the segments into their own
markup, so every output formats references the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from guidepress.schemas import Reference

MAX_AUTHORS = 6  # NLM: list the first six, then "et al."


@dataclass(frozen=True)
class Segment:
    text: str
    url: str | None = None


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


# NLM's month abbreviations, written out: strftime("%b") follows the locale, which sphinx-build
# sets from the environment, so a French machine would print "nov." and change every PDF's bytes.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def nlm_date(day: date) -> str:
    return f"{day.year} {MONTHS[day.month - 1]} {day.day}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "?", "!")) else text + "."


def format_reference(reference: Reference) -> list[Segment]:
    parts: list[Segment] = []
    if reference.authors:
        names = list(reference.authors[:MAX_AUTHORS])
        if len(reference.authors) > MAX_AUTHORS:
            names.append("et al")
        parts.append(Segment(_sentence(", ".join(names)) + " "))
    title = reference.title.rstrip(".")
    parts.append(
        Segment(title + (" [Internet]" if reference.url and not reference.journal else "") + ". ")
    )
    if reference.journal:
        citation = f"{reference.journal}."
        if reference.year:
            citation += f" {reference.year}"
        if reference.volume:
            citation += f";{reference.volume}"
            if reference.issue:
                citation += f"({reference.issue})"
        if reference.pages:
            citation += f":{reference.pages}"
        parts.append(Segment(_sentence(citation) + " "))
    elif reference.publisher or reference.year:
        published = "; ".join(str(p) for p in (reference.publisher, reference.year) if p)
        parts.append(Segment(_sentence(published) + " "))
    if reference.isbn:
        parts.append(Segment(f"ISBN: {reference.isbn}. "))
    if reference.doi:
        parts += [Segment("doi: "), Segment(reference.doi, doi_url(reference.doi)), Segment(". ")]
    if reference.pmid:
        parts += [Segment("PMID: "), Segment(reference.pmid, pubmed_url(reference.pmid))]
        parts.append(Segment(f"; PMCID: {reference.pmcid}. " if reference.pmcid else ". "))
    elif reference.pmcid:
        parts.append(Segment(f"PMCID: {reference.pmcid}. "))
    if reference.url:
        parts += [Segment("Available from: "), Segment(reference.url, reference.url), Segment(" ")]
    if reference.accessed:
        parts.append(Segment(f"[accessed {nlm_date(reference.accessed)}]. "))
    if reference.note:
        parts.append(Segment(_sentence(reference.note)))
    return _tidy(parts)


def _tidy(parts: list[Segment]) -> list[Segment]:
    if parts and parts[-1].url is None:
        parts[-1] = Segment(parts[-1].text.rstrip())
    return parts


def plain(reference: Reference) -> str:
    return "".join(segment.text for segment in format_reference(reference))
