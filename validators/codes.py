"""Every diagnostic code guidepress reports, in one place.

The code is what editors see in brackets, what `--format json` reports, and the Sphinx warning
subtype (so `suppress_warnings = ["guidepress.review-overdue"]` works). The docs list this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    name: str
    severity: Severity
    area: str
    meaning: str


_ALL = [
    # Reading the file
    Code(
        "unreadable-file",
        "error",
        "source",
        "The file cannot be read: a link to nothing, or no permission to read it.",
    ),
    Code(
        "not-utf8",
        "error",
        "source",
        "The file is not UTF-8 text. Save it as UTF-8 in your editor.",
    ),
    Code(
        "empty-file",
        "error",
        "source",
        "The file is empty. Add front matter and content, or delete the file.",
    ),
    Code(
        "no-front-matter",
        "error",
        "source",
        "A guideline page must start with a line `---`, its YAML front matter, and another `---`.",
    ),
    Code(
        "unclosed-front-matter",
        "error",
        "source",
        "The front matter opens with `---` but never closes; add a line `---` after it.",
    ),
    Code(
        "yaml-syntax",
        "error",
        "source",
        "The front matter is not valid YAML; the message gives YAML's reason and place.",
    ),
    Code(
        "yaml-alias",
        "error",
        "source",
        "YAML anchors and aliases (`&name`, `*name`) are refused: write values out in full.",
    ),
    Code(
        "duplicate-key",
        "error",
        "source",
        "The same key appears twice in one mapping; YAML would silently keep only the last.",
    ),
    Code(
        "not-a-mapping",
        "error",
        "source",
        "The front matter must be a mapping of `key: value` lines, not a list or a single value.",
    ),
    # The schema
    Code(
        "missing-field",
        "error",
        "schema",
        "A required field is absent. The message says what it holds; the field reference has examples.",
    ),
    Code(
        "unknown-field",
        "error",
        "schema",
        "A key the schema does not know, often a typo: the message suggests the nearest field.",
    ),
    Code(
        "invalid-value",
        "error",
        "schema",
        "A value of the wrong kind (text, list, number) or outside what the field allows.",
    ),
    Code("invalid-date", "error", "schema", "A date not written as YYYY-MM-DD."),
    Code("date-in-future", "error", "schema", "review_date or accessed lies after today."),
    Code(
        "version-not-string",
        "error",
        "schema",
        "An unquoted version such as 2.10, which YAML reads as the number 2.1: quote it.",
    ),
    Code("invalid-version", "error", "schema", "A version not of the form MAJOR.MINOR."),
    Code(
        "invalid-doi",
        "error",
        "schema",
        "A DOI not of the form 10.NNNN/suffix (give it bare, without https://doi.org/).",
    ),
    Code("invalid-pmid", "error", "schema", "A PubMed id that is not digits."),
    Code("invalid-pmcid", "error", "schema", "A PubMed Central id not of the form PMC1234567."),
    Code("invalid-isbn", "error", "schema", "An ISBN whose check digit does not match."),
    Code("invalid-url", "error", "schema", "A url that is not a full http:// or https:// address."),
    Code(
        "invalid-contact",
        "error",
        "schema",
        "A feedback_contact that is neither an email nor a web address.",
    ),
    Code(
        "url-needs-accessed",
        "error",
        "reference",
        "A reference with a url must say when it was accessed.",
    ),
    Code(
        "reference-incomplete",
        "error",
        "reference",
        "A reference with no identifier and too little detail (journal or publisher, with authors or year) to be found.",
    ),
    Code("duplicate-reference-id", "error", "reference", "Two references of one page share an id."),
    # Page rules
    Code(
        "next-review-before-review", "error", "review", "next_review_date is not after review_date."
    ),
    Code(
        "next-review-too-far",
        "error",
        "review",
        "next_review_date is further from review_date than the library's review interval.",
    ),
    Code(
        "review-overdue",
        "warning",
        "review",
        "next_review_date has passed: the page is due for review.",
    ),
    Code(
        "reviewer-is-author",
        "error",
        "review",
        "The same person is both an author and a reviewer of the page.",
    ),
    Code(
        "change-history-missing-version",
        "error",
        "review",
        "change_history has no entry for the page's current version.",
    ),
    Code(
        "unknown-citation",
        "error",
        "citation",
        "{cite}`id` names an id that is not among the page's references.",
    ),
    Code("uncited-reference", "warning", "citation", "A reference that the body never cites."),
    Code(
        "second-title",
        "error",
        "review",
        "A top-level heading (`# …`) in a guideline's body: the title comes from the front matter, so sections start at `##`.",
    ),
    Code(
        "unsafe-content",
        "error",
        "safety",
        "Raw HTML, script (in the page, or in an SVG or web page it shows or offers), a link that is not to a page or the web, file inclusion, a path outside the library, or front matter that reconfigures the parser: pages are content, not code.",
    ),
    Code(
        "title-markup",
        "error",
        "safety",
        "Markup in a title (emphasis, code, a link, a role, HTML, an entity): titles are plain text, shown as written on the website and in the PDF.",
    ),
    Code(
        "image-without-alt",
        "error",
        "safety",
        "An image or figure without alternative text, which screen readers and the accessible PDF need.",
    ),
    Code(
        "missing-file",
        "error",
        "safety",
        "An image, figure or download names a file that is not in the library: add the file or correct the path.",
    ),
    # Approvals
    Code(
        "approval-unknown-reviewer",
        "error",
        "approval",
        "An approval by someone who is not in the reviewer registry.",
    ),
    Code(
        "approval-by-author",
        "error",
        "approval",
        "An approval by an author of the page: authors cannot approve their own work.",
    ),
    Code(
        "approval-wrong-version",
        "error",
        "approval",
        "An approval of another version than the page's current one.",
    ),
    Code(
        "approval-stale",
        "error",
        "approval",
        "The page, or a file it shows, changed after it was approved: its digest no longer matches.",
    ),
    Code(
        "approval-missing",
        "error",
        "approval",
        "status: approved without enough valid approvals of the current version.",
    ),
    Code(
        "approval-unverified",
        "error",
        "approval",
        "guidepress verify-approvals: the commit adding an approval was not made with the reviewer's registered git identity.",
    ),
    Code(
        "registry-invalid",
        "error",
        "approval",
        "The reviewer registry file is unreadable or does not match its schema.",
    ),
    # Library rules
    Code("duplicate-page-id", "error", "library", "Two guideline pages share an id."),
    Code(
        "guideline-outside-folder",
        "error",
        "library",
        "A page with a guideline's document control (status, reviewers, approvals, review dates) outside the guidelines folder, where it would be published without them.",
    ),
    # Output
    Code(
        "pdf-unsupported",
        "error",
        "pdf",
        "The page uses an element the PDF writer cannot render yet (e.g. maths, a remote image); the build names the page.",
    ),
]

CODES: dict[str, Code] = {code.name: code for code in _ALL}
