"""Every diagnostic code guidepress reports, in one place.

The code is what editors see in brackets, what `--format json` reports, and the Sphinx warning
subtype (so `suppress_warnings = ["guidepress.review-overdue"]` works). The docs list this table.
Each member carries its severity, its area and what it means, so a misspelt code is a type error.
The schemas' custom Pydantic errors use these codes as their error types.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, Self

Severity = Literal["error", "warning"]
Area = Literal[
    "approval",
    "citation",
    "library",
    "pdf",
    "readability",
    "recommendation",
    "reference",
    "review",
    "safety",
    "schema",
    "settings",
    "source",
]


class Code(StrEnum):
    """A diagnostic code: `Code.MISSING_FIELD == "missing-field"`."""

    severity: Severity
    area: Area
    meaning: str

    def __new__(cls, value: str, severity: Severity, area: Area, meaning: str) -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.severity, member.area, member.meaning = severity, area, meaning
        return member

    # Settings
    SETTINGS_MISSING = (
        "settings-missing",
        "warning",
        "settings",
        (
            "sphinx-build found no pyproject.toml with a [tool.guidepress] table at or above "
            "conf.py, "
            "so the default settings apply; add the table (guidepress init writes one)."
        ),
    )

    # Reading the file
    UNREADABLE_FILE = (
        "unreadable-file",
        "error",
        "source",
        "The file cannot be read: a link to nothing, or no permission to read it.",
    )
    NOT_UTF8 = (
        "not-utf8",
        "error",
        "source",
        "The file is not UTF-8 text. Save it as UTF-8 in your editor.",
    )
    EMPTY_FILE = (
        "empty-file",
        "error",
        "source",
        "The file is empty. Add front matter and content, or delete the file.",
    )
    NO_FRONT_MATTER = (
        "no-front-matter",
        "error",
        "source",
        "A guideline page must start with a line `---`, its YAML front matter, and another `---`.",
    )
    UNCLOSED_FRONT_MATTER = (
        "unclosed-front-matter",
        "error",
        "source",
        "The front matter opens with `---` but never closes; add a line `---` after it.",
    )
    AMBIGUOUS_FRONT_MATTER = (
        "ambiguous-front-matter",
        "error",
        "source",
        (
            "A line in the front matter that some reader of pages would take for its end (more "
            "dashes, an indented `---`, `...`, or a line break other than a newline): readers "
            "would disagree on what the page says, so it is refused."
        ),
    )
    CONTROL_CHARACTER = (
        "control-character",
        "error",
        "source",
        (
            "A control character, a bidirectional control or a line separator in the page: "
            "invisible, it can change what a reader or a terminal shows. Delete it."
        ),
    )
    YAML_SYNTAX = (
        "yaml-syntax",
        "error",
        "source",
        "The front matter is not valid YAML; the message gives YAML's reason and place.",
    )
    YAML_ALIAS = (
        "yaml-alias",
        "error",
        "source",
        "YAML anchors and aliases (`&name`, `*name`) are refused: write values out in full.",
    )
    YAML_TAG = (
        "yaml-tag",
        "error",
        "source",
        (
            "A YAML tag (`!!set`, `!!binary`, `!name`): front matter holds plain data only, "
            "text, numbers, true or false, dates, lists and mappings."
        ),
    )
    YAML_MERGE_KEY = (
        "yaml-merge-key",
        "error",
        "source",
        "A YAML merge key (`<<:`), which brings in fields unseen: write each field out.",
    )
    DUPLICATE_KEY = (
        "duplicate-key",
        "error",
        "source",
        "The same key appears twice in one mapping; YAML would silently keep only the last.",
    )
    NOT_A_MAPPING = (
        "not-a-mapping",
        "error",
        "source",
        "The front matter must be a mapping of `key: value` lines, not a list or a single value.",
    )

    # The schema
    INVALID_NAME = (
        "invalid-name",
        "error",
        "schema",
        (
            "A person's name with an invisible character or letters of more than one script: it "
            "could pass for someone else's name, so it is refused."
        ),
    )
    MISSING_FIELD = (
        "missing-field",
        "error",
        "schema",
        (
            "A required field is absent. The message says what it holds; the field reference has "
            "examples."
        ),
    )
    UNKNOWN_FIELD = (
        "unknown-field",
        "error",
        "schema",
        "A key the schema does not know, often a typo: the message suggests the nearest field.",
    )
    INVALID_VALUE = (
        "invalid-value",
        "error",
        "schema",
        "A value of the wrong kind (text, list, number) or outside what the field allows.",
    )
    INVALID_DATE = (
        "invalid-date",
        "error",
        "schema",
        "A date not written as YYYY-MM-DD.",
    )
    DATE_IN_FUTURE = (
        "date-in-future",
        "error",
        "schema",
        "review_date or accessed lies after today.",
    )
    VERSION_NOT_STRING = (
        "version-not-string",
        "error",
        "schema",
        "An unquoted version such as 2.10, which YAML reads as the number 2.1: quote it.",
    )
    INVALID_VERSION = (
        "invalid-version",
        "error",
        "schema",
        "A version not of the form MAJOR.MINOR.",
    )
    INVALID_DOI = (
        "invalid-doi",
        "error",
        "schema",
        "A DOI not of the form 10.NNNN/suffix (give it bare, without https://doi.org/).",
    )
    INVALID_PMID = (
        "invalid-pmid",
        "error",
        "schema",
        "A PubMed id that is not digits.",
    )
    INVALID_PMCID = (
        "invalid-pmcid",
        "error",
        "schema",
        "A PubMed Central id not of the form PMC1234567.",
    )
    INVALID_ISBN = (
        "invalid-isbn",
        "error",
        "schema",
        "An ISBN whose check digit does not match.",
    )
    INVALID_URL = (
        "invalid-url",
        "error",
        "schema",
        "A url that is not a full http:// or https:// address.",
    )
    INVALID_CONTACT = (
        "invalid-contact",
        "error",
        "schema",
        "A feedback_contact that is neither an email nor a web address.",
    )
    URL_NEEDS_ACCESSED = (
        "url-needs-accessed",
        "error",
        "reference",
        "A reference with a url must say when it was accessed.",
    )
    REFERENCE_INCOMPLETE = (
        "reference-incomplete",
        "error",
        "reference",
        (
            "A reference with no identifier and too little detail (journal or publisher, with "
            "authors or year) to be found."
        ),
    )
    DUPLICATE_REFERENCE_ID = (
        "duplicate-reference-id",
        "error",
        "reference",
        "Two references of one page share an id.",
    )
    NEXT_REVIEW_BEFORE_REVIEW = (
        "next-review-before-review",
        "error",
        "review",
        "next_review_date is not after review_date.",
    )

    # Page rules
    NEXT_REVIEW_TOO_FAR = (
        "next-review-too-far",
        "error",
        "review",
        "next_review_date is further from review_date than the library's review interval.",
    )
    REVIEW_OVERDUE = (
        "review-overdue",
        "warning",
        "review",
        "next_review_date has passed: the page is due for review.",
    )
    REVIEWER_IS_AUTHOR = (
        "reviewer-is-author",
        "error",
        "review",
        "The same person is both an author and a reviewer of the page.",
    )
    CHANGE_HISTORY_MISSING_VERSION = (
        "change-history-missing-version",
        "error",
        "review",
        "change_history has no entry for the page's current version.",
    )
    UNKNOWN_CITATION = (
        "unknown-citation",
        "error",
        "citation",
        "{cite}`id` names an id that is not among the page's references.",
    )
    UNCITED_REFERENCE = (
        "uncited-reference",
        "warning",
        "citation",
        "A reference that the body never cites.",
    )
    SECOND_TITLE = (
        "second-title",
        "error",
        "review",
        (
            "A top-level heading (`# …`) in a guideline's body: the title comes from the front "
            "matter, so sections start at `##`."
        ),
    )
    UNSAFE_CONTENT = (
        "unsafe-content",
        "error",
        "safety",
        (
            "Raw HTML, script (in the page, or in an SVG or web page it shows or offers), a link "
            "that is not to a page or the web, file inclusion, a path outside the library, or "
            "front "
            "matter that reconfigures the parser: pages are content, not code."
        ),
    )
    TITLE_MARKUP = (
        "title-markup",
        "error",
        "safety",
        (
            "Markup in a title (emphasis, code, a link, a role, HTML, an entity): titles are plain "
            "text, shown as written on the website and in the PDF."
        ),
    )
    BORROWED_TEXT = (
        "borrowed-text",
        "error",
        "safety",
        (
            "A guideline page shows text from another page (a link or reference with no text of "
            "its own shows the other page's title; a toctree lists other titles): its approvals "
            "would not cover that text."
        ),
    )
    IMAGE_WITHOUT_ALT = (
        "image-without-alt",
        "error",
        "safety",
        (
            "An image or figure without alternative text, which screen readers and the accessible "
            "PDF need."
        ),
    )
    MISSING_FILE = (
        "missing-file",
        "error",
        "safety",
        (
            "An image, figure or download names a file that is not in the library: add the file or "
            "correct the path."
        ),
    )

    # Approvals
    APPROVAL_UNKNOWN_REVIEWER = (
        "approval-unknown-reviewer",
        "error",
        "approval",
        "An approval by someone who is not in the reviewer registry.",
    )
    APPROVAL_BY_AUTHOR = (
        "approval-by-author",
        "error",
        "approval",
        "An approval by an author of the page: authors cannot approve their own work.",
    )
    APPROVAL_WRONG_VERSION = (
        "approval-wrong-version",
        "error",
        "approval",
        "An approval of another version than the page's current one.",
    )
    APPROVAL_STALE = (
        "approval-stale",
        "error",
        "approval",
        (
            "The page, or a file it shows, changed after it was approved: its digest no longer "
            "matches."
        ),
    )
    APPROVAL_MISSING = (
        "approval-missing",
        "error",
        "approval",
        "status: approved without enough valid approvals of the current version.",
    )
    APPROVAL_UNVERIFIED = (
        "approval-unverified",
        "warning",
        "approval",
        (
            "An approval not proven by a pull request review of the reviewer's registered "
            "account or a commit signed with their registered key. A warning in builds, so "
            "drafts preview; verify-approvals and release refuse it."
        ),
    )
    APPROVAL_DISAGREES = (
        "approval-disagrees",
        "error",
        "approval",
        (
            "An approval whose role differs from the reviewer's in the registry, which is the one "
            "source of who reviewers are."
        ),
    )
    REGISTRY_INVALID = (
        "registry-invalid",
        "error",
        "approval",
        "The reviewer registry file is unreadable or does not match its schema.",
    )
    DUPLICATE_PAGE_ID = (
        "duplicate-page-id",
        "error",
        "library",
        "Two guideline pages share an id.",
    )
    REGISTRY_UNVERIFIED = (
        "registry-unverified",
        "warning",
        "approval",
        (
            "A change to the reviewer registry not signed by, or approved in a review by, a "
            "member of the registry as it was before; or a first version not signed by a key "
            "pinned in GUIDEPRESS_TRUSTED_KEYS."
        ),
    )

    # Recommendations
    RECOMMENDATION_OPTION = (
        "recommendation-option",
        "error",
        "recommendation",
        (
            "A `{recommendation}` with a missing, unknown or invalid option (id, strength, "
            "direction, certainty, evidence); the message lists the values it takes."
        ),
    )
    RECOMMENDATION_CERTAINTY = (
        "recommendation-certainty",
        "error",
        "recommendation",
        (
            "A graded recommendation without the certainty of its evidence, or a practice "
            "statement with one (it rests on practice, not graded evidence)."
        ),
    )
    RECOMMENDATION_EVIDENCE = (
        "recommendation-evidence",
        "error",
        "recommendation",
        "A recommendation's `evidence` names an id that is not among the page's references.",
    )
    RECOMMENDATION_EMPTY = (
        "recommendation-empty",
        "error",
        "recommendation",
        "A `{recommendation}` with no text of its own: the body is the recommendation.",
    )
    RECOMMENDATION_MISPLACED = (
        "recommendation-misplaced",
        "error",
        "recommendation",
        (
            "A `{recommendation}` outside a guideline page or inside another recommendation, or "
            "a `{rationale}` outside a recommendation (or a second one in it)."
        ),
    )
    DUPLICATE_RECOMMENDATION_ID = (
        "duplicate-recommendation-id",
        "error",
        "recommendation",
        "Two recommendations share an id; ids are unique in the whole library, and stable.",
    )
    RECOMMENDATION_REMOVED = (
        "recommendation-removed",
        "error",
        "recommendation",
        (
            "A recommendation of the page's last approved version is gone, and the change "
            "history of the current version does not list it under `removed`."
        ),
    )
    READING_LEVEL = (
        "reading-level",
        "warning",
        "readability",
        (
            "A patient-information page reads above the library's grade limit "
            "(`max_reading_grade`, Flesch-Kincaid); shorter sentences and words bring it down."
        ),
    )

    # Library rules
    GUIDELINE_OUTSIDE_FOLDER = (
        "guideline-outside-folder",
        "error",
        "library",
        (
            "A page with a guideline's document control (status, reviewers, approvals, review "
            "dates) outside the guidelines folder, where it would be published without them."
        ),
    )

    # Output
    PDF_UNSUPPORTED = (
        "pdf-unsupported",
        "error",
        "pdf",
        (
            "The page uses an element the PDF writer cannot render yet (e.g. maths, a remote "
            "image); the build names the page."
        ),
    )


_BY_NAME = {code.value: code for code in Code}


def code_named(name: str) -> Code | None:
    """The code written as `name` (e.g. "missing-field"), or None when there is none."""
    return _BY_NAME.get(name)
