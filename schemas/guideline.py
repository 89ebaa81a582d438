"""The front-matter contract of a guideline page.

Pure data and field rules: nothing here knows about Sphinx or the file system. Field order is
the order the field reference in the docs lists them; each description is written for editors
and is reused in error messages, so keep it short and practical.

The extra fields beyond the core contract come from what clinical information standards ask of
a page: conflicts of interest and funding (AGREE II items 22-23, RIGHT 18-19), a feedback
contact (PIF TICK, NHS Information Standard), a change history (NHS Information Standard,
RIGHT 22) and the method used to find evidence (AGREE II items 7-9).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from guidepress.schemas.codes import Code
from guidepress.schemas.fields import (
    Contact,
    Doi,
    Isbn,
    IsoDate,
    NumberText,
    PageType,
    PastDate,
    Pmcid,
    Pmid,
    RefId,
    Slug,
    StrictText,
    Version,
    WebUrl,
    today_from,
)
from guidepress.schemas.identity import PersonName

IDENTIFIER_FIELDS = ("doi", "pmid", "pmcid", "isbn", "url")
COMPENDIUM_PDF = "compendium.pdf"  # the whole library in one PDF; each guideline's is pdf_name
Status = Literal["draft", "in-review", "approved", "retired"]
# How the website and the PDF name each status and page type: one wording for both.
STATUS_LABELS: dict[Status, str] = {
    "draft": "Draft",
    "in-review": "In review",
    "approved": "Approved",
    "retired": "Retired",
}
TYPE_LABELS: dict[PageType, str] = {
    "guideline": "Guideline (for clinicians)",
    "patient-info": "Patient information",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_none(cls, data: Any) -> Any:
        # `keywords:` with nothing after it is YAML's null. For a field that may be left out it
        # means "none yet"; a required field left empty is still an error ("is empty").
        if not isinstance(data, dict):
            return data
        optional = {name for name, field in cls.model_fields.items() if not field.is_required()}
        return {
            key: value for key, value in data.items() if value is not None or key not in optional
        }


class Person(_Strict):
    """Someone who wrote the page."""

    name: PersonName = Field(
        description="Full name as it should appear in print.", examples=["Example Author"]
    )
    role: StrictText = Field(
        description="Job title or role on this page.",
        examples=["Specialty Registrar, Interventional Radiology"],
    )
    qualifications: StrictText | None = Field(
        default=None,
        description="Professional qualifications, where known.",
        examples=["MB BS, FRCR"],
    )
    organisation: StrictText | None = Field(
        default=None,
        description="Employer or organisation, where relevant.",
        examples=["Example NHS Trust"],
    )


class Reviewer(Person):
    """Someone who reviewed the page. A reviewer may not also be an author of the same page."""


class Reference(_Strict):
    """A source the page relies on, cited in the body with {cite}`id`."""

    id: RefId = Field(
        description="Short key, unique in the page, used in {cite}`id`: letters, digits and "
        ". _ : -, no spaces.",
        examples=["micallef2020"],
    )
    title: StrictText = Field(
        description="Title of the work.",
        examples=["Hepatic necrosis after trans-arterial embolization"],
    )
    authors: list[StrictText] = Field(
        default_factory=list,
        description="Authors in Vancouver form (surname and initials), or an organisation.",
        examples=[["Micallef S", "Cortis K", "Magri C"]],
    )
    year: int | None = Field(
        default=None, ge=1500, le=2100, description="Year of publication.", examples=[2020]
    )
    journal: StrictText | None = Field(
        default=None,
        description="Journal (abbreviated NLM title where there is one).",
        examples=["Eur J Case Rep Intern Med"],
    )
    volume: NumberText | None = Field(default=None, description="Journal volume.", examples=["7"])
    issue: NumberText | None = Field(default=None, description="Journal issue.", examples=["5"])
    pages: NumberText | None = Field(
        default=None, description="Pages or article number.", examples=["001530"]
    )
    publisher: StrictText | None = Field(
        default=None,
        description="Publisher or organisation that issued the work.",
        examples=["Macmillan Cancer Support"],
    )
    doi: Doi | None = Field(
        default=None,
        description="Digital Object Identifier, bare (no https://doi.org/).",
        examples=["10.12890/2020_001530"],
    )
    pmid: Pmid | None = Field(
        default=None, description="PubMed id (digits).", examples=["32399442"]
    )
    pmcid: Pmcid | None = Field(
        default=None, description="PubMed Central id.", examples=["PMC7213831"]
    )
    isbn: Isbn | None = Field(
        default=None, description="ISBN-10 or ISBN-13 of a book.", examples=["978-0-19-852663-6"]
    )
    url: WebUrl | None = Field(
        default=None,
        description="Web address (http or https). Requires `accessed`.",
        examples=["https://www.ncbi.nlm.nih.gov/pmc/articles/PMC7213831/"],
    )
    accessed: PastDate | None = Field(
        default=None,
        description="Date you last opened the source (YYYY-MM-DD); required with `url`.",
        examples=["2026-11-23"],
    )
    note: StrictText | None = Field(
        default=None,
        description="Anything a reader needs to find or judge the source.",
        examples=["Patient information page"],
    )

    @model_validator(mode="after")
    def _findable(self) -> Reference:
        if self.url and self.accessed is None:
            raise PydanticCustomError(
                Code.URL_NEEDS_ACCESSED,
                "this reference has a url, so it needs the date you last opened it: "
                "add accessed: YYYY-MM-DD (e.g. accessed: 2026-11-23)",
                {"at": ("url",)},
            )
        has_identifier = any(getattr(self, name) for name in IDENTIFIER_FIELDS)
        has_detail = bool(self.journal or self.publisher) and bool(self.authors or self.year)
        if not (has_identifier or has_detail):
            raise PydanticCustomError(
                Code.REFERENCE_INCOMPLETE,
                "reference '{ref_id}' cannot be found from what is given: add an identifier "
                "(doi, pmid, pmcid, isbn or url) or the journal or publisher together with "
                "the authors or year",
                {"ref_id": self.id, "at": ("id",)},
            )
        return self


class ChangeEntry(_Strict):
    """One line of the page's change history."""

    version: Version = Field(description="Version this change produced.", examples=["1.1"])
    date: IsoDate = Field(description="Date of the change (YYYY-MM-DD).", examples=["2026-11-23"])
    summary: StrictText = Field(
        description="What changed, in a sentence a reader understands.",
        examples=["Added the section on aftercare."],
    )
    removed: list[Slug] = Field(
        default_factory=list,
        description="Ids of the recommendations this version removed; each needs a reason in "
        "the summary.",
        examples=[["tace-offer-first"]],
    )


class ForgeReview(_Strict):
    """The pull request review an approval was given in, on the library's forge (GitHub)."""

    pull: int = Field(ge=1, description="Number of the pull request.", examples=[12])
    id: int = Field(ge=1, description="Id of the review.", examples=[2209876543])
    commit: str = Field(
        pattern=r"^[0-9a-f]{40}$",
        description="The commit the reviewer reviewed and approved.",
        examples=["0123456789abcdef0123456789abcdef01234567"],
    )


class Approval(_Strict):
    """A reviewer's approval of one version of the page, tied to its exact content by a digest.
    Who the reviewer is (name, role, qualifications) comes from the registry; the approval is
    proven by `signature`, made with the reviewer's registered key, or by `review`, a pull
    request review on the forge."""

    reviewer: PersonName = Field(
        description="Name of the approving reviewer, as in the reviewer registry.",
        examples=["Example Reviewer"],
    )
    role: StrictText | None = Field(
        default=None,
        description="Their role, as in the registry (the page shows the registry's).",
        examples=["Consultant Interventional Radiologist"],
    )
    date: PastDate = Field(
        description="Date of the approval (YYYY-MM-DD).", examples=["2026-11-23"]
    )
    version: Version = Field(description="The page version approved.", examples=['"1.0"'])
    digest: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description=(
            "SHA-256 of the page content approved; written by `guidepress approve`, never by hand."
        ),
        examples=["sha256:…"],
    )
    status: Literal["approved", "retired"] = Field(
        default="approved",
        description=(
            "What the reviewer approved the page for: publication (approved) or withdrawal "
            "(retired). An approval counts only for the status it names."
        ),
    )
    review: ForgeReview | None = Field(
        default=None,
        description="The pull request review the approval was given in; written by CI.",
    )
    signature: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9+/]{40,4000}={0,2}$",
        description=(
            "The reviewer's SSH signature of this approval (page, version, digest, reviewer "
            "and date); written by `guidepress approve`."
        ),
        examples=["U1NIU0lHAAAAAQ…"],
    )


class Guideline(_Strict):
    """Front matter of a guideline page (a page under the guidelines folder)."""

    id: Slug = Field(
        description="Lower-case letters, digits and single hyphens (a slug), unique in the "
        "library; names the PDF.",
        examples=["hepatic-artery-embolisation"],
    )
    title: StrictText = Field(
        description="Title shown on the page and the PDF.", examples=["Hepatic artery embolisation"]
    )
    summary: StrictText = Field(
        description="One or two sentences on what the page covers.",
        examples=["When embolisation is offered and what to expect."],
    )
    version: Version = Field(
        description="MAJOR.MINOR in quotes; bump it for every published change.", examples=['"1.0"']
    )
    status: Status = Field(
        description="Where the page is in its life: draft, in-review, approved or retired.",
        examples=["draft"],
    )
    type: PageType = Field(
        description="guideline (for clinicians) or patient-info (for patients and carers).",
        examples=["guideline"],
    )
    audience: list[StrictText] = Field(
        min_length=1,
        description="Who the page is written for.",
        examples=[["Interventional radiologists"]],
    )
    authors: list[Person] = Field(min_length=1, description="Who wrote the page (at least one).")
    reviewers: list[Reviewer] = Field(
        min_length=1, description="Who reviewed the page (at least one, none of them an author)."
    )
    review_date: PastDate = Field(
        description="Date of the last review (YYYY-MM-DD), not in the future.",
        examples=["2026-11-23"],
    )
    next_review_date: IsoDate = Field(
        description="When the page must be reviewed again: after review_date, within the "
        "library's review interval.",
        examples=["2029-11-23"],
    )
    references: list[Reference] = Field(
        min_length=1, description="The sources the page relies on (at least one)."
    )
    conflicts_of_interest: StrictText = Field(
        description="Declared competing interests of authors and reviewers, or 'None declared.'",
        examples=["None declared."],
    )
    funding: StrictText = Field(
        description="Who paid for the work, and any influence they had.",
        examples=["No external funding."],
    )
    feedback_contact: Contact = Field(
        description="Email or web address where readers can send feedback.",
        examples=["guidelines@example.org"],
    )
    change_history: list[ChangeEntry] = Field(
        min_length=1,
        description="What changed in each version, newest first; must include the current version.",
    )
    approvals: list[Approval] = Field(
        default_factory=list,
        description="Reviewers' approvals of this version, written by `guidepress approve`; status "
        "approved needs them.",
    )
    methods: StrictText | None = Field(
        default=None,
        description="How the evidence was found and selected.",
        examples=["Narrative review of the cited sources."],
    )
    keywords: list[StrictText] = Field(
        default_factory=list,
        description="Words for search and PDF metadata.",
        examples=[["embolisation", "NET"]],
    )
    language: StrictText = Field(
        default="en-GB",
        pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$",
        description="Language tag of the page.",
        examples=["en-GB"],
    )

    @field_validator("references")
    @classmethod
    def _unique_reference_ids(cls, references: list[Reference]) -> list[Reference]:
        seen: set[str] = set()
        for index, reference in enumerate(references):
            if reference.id in seen:
                raise PydanticCustomError(
                    Code.DUPLICATE_REFERENCE_ID,
                    "reference id '{ref_id}' is used twice in this page; give each reference its "
                    "own id",
                    {"ref_id": reference.id, "at": (index, "id")},
                )
            seen.add(reference.id)
        return references

    @model_validator(mode="after")
    def _review_dates_in_order(self) -> Guideline:
        if self.next_review_date <= self.review_date:
            raise PydanticCustomError(
                Code.NEXT_REVIEW_BEFORE_REVIEW,
                "next_review_date {next} must be after review_date {last}",
                {
                    "next": self.next_review_date.isoformat(),
                    "last": self.review_date.isoformat(),
                    "at": ("next_review_date",),
                },
            )
        return self

    @property
    def pdf_name(self) -> str:
        """The PDF's file name, the same on the website, in releases and in checksums."""
        return f"{self.id}-v{self.version}.pdf"

    @property
    def current_change(self) -> ChangeEntry | None:
        return next((entry for entry in self.change_history if entry.version == self.version), None)

    @classmethod
    def check(cls, data: object, *, today: object = None) -> Guideline:
        """Validate front matter, with an explicit "today" for the rules that refuse the future."""
        return cls.model_validate(data, context={"today": today} if today else None)


__all__ = [
    "COMPENDIUM_PDF",
    "STATUS_LABELS",
    "TYPE_LABELS",
    "Approval",
    "ChangeEntry",
    "ForgeReview",
    "Guideline",
    "Person",
    "Reference",
    "Reviewer",
    "Status",
    "today_from",
]
