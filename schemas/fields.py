"""Reusable field types for guideline front matter.

Each custom error type is a diagnostic code (``Code``, in ``schemas/codes.py``), so the
command line and Sphinx can name the rule that failed. An error may carry ``at`` in its
context: a path below the failing object that locates the field the editor must fix.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from guidepress.schemas.codes import Code

PageType = Literal["guideline", "patient-info"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
VERSION_PATTERN = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_PATTERN = re.compile(r"^[1-9]\d{0,8}$")
PMCID_PATTERN = re.compile(r"^PMC\d{1,9}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_PATTERN = re.compile(r"^https?://[^\s/?#@]+(?:[/?#]\S*)?$")


def today_from(info: ValidationInfo) -> date:
    """The date "today" for rules that refuse the future; tests pass their own in the context."""
    context = info.context or {}
    value = context.get("today")
    return value if isinstance(value, date) else date.today()


def _iso_date(value: Any) -> date:
    # YAML turns an unquoted 2026-11-23 into a date; a quoted one stays a string.
    if isinstance(value, datetime):
        raise PydanticCustomError(
            Code.INVALID_DATE,
            "write a date without a time, e.g. {example}",
            {"example": value.date()},
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return (
                date.fromisoformat(value.strip()) if len(value.strip()) == 10 else _bad_date(value)
            )
        except ValueError:
            return _bad_date(value)
    return _bad_date(value)


def _bad_date(value: Any) -> date:
    raise PydanticCustomError(
        Code.INVALID_DATE,
        "'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23",
        {"value": value},
    )


def _not_future(value: date, info: ValidationInfo) -> date:
    today = today_from(info)
    if value > today:
        raise PydanticCustomError(
            Code.DATE_IN_FUTURE,
            "{value} is in the future (today is {today}); use the date it actually happened",
            {"value": value.isoformat(), "today": today.isoformat()},
        )
    return value


def _version(value: Any) -> str:
    if isinstance(value, int | float):  # bool is an int too
        raise PydanticCustomError(
            Code.VERSION_NOT_STRING,
            'version must be quoted, e.g. version: "{value}": unquoted, YAML reads it as the '
            "number {value}, which turns 2.10 into 2.1",
            {"value": value},
        )
    if not isinstance(value, str) or not VERSION_PATTERN.match(value):
        raise PydanticCustomError(
            Code.INVALID_VERSION,
            '\'{value}\' is not a version; write MAJOR.MINOR in quotes, e.g. "1.0" or "2.10"',
            {"value": value},
        )
    return value


def _text(value: Any) -> Any:
    # Reject numbers and dates in text fields rather than silently turning them into strings.
    if isinstance(value, str):
        return value.strip()
    return value


def _pattern(code: Code, pattern: re.Pattern[str], hint: str) -> Any:
    def check(value: str) -> str:
        if not pattern.match(value):
            raise PydanticCustomError(code, "'{value}' is not valid: " + hint, {"value": value})
        return value

    return check


def _doi(value: str) -> str:
    lowered = value.lower()
    for prefix in (
        "https://doi.org/",
        "http://doi.org/",
        "https://dx.doi.org/",
        "http://dx.doi.org/",
        "doi:",
    ):
        if lowered.startswith(prefix):
            raise PydanticCustomError(
                Code.INVALID_DOI,
                "give the bare DOI without '{prefix}', e.g. doi: \"{bare}\"",
                {"prefix": value[: len(prefix)], "bare": value[len(prefix) :]},
            )
    checked: str = _pattern(
        Code.INVALID_DOI,
        DOI_PATTERN,
        "a DOI starts with 10. and a registrant code, then a slash, e.g. 10.12890/2020_001530",
    )(value)
    return checked


def _isbn(value: str) -> str:
    digits = value.replace("-", "").replace(" ", "").upper()
    valid = False
    if re.fullmatch(r"\d{9}[\dX]", digits):
        total = sum((10 - i) * (10 if c == "X" else int(c)) for i, c in enumerate(digits))
        valid = total % 11 == 0
    elif re.fullmatch(r"\d{13}", digits):
        total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(digits))
        valid = total % 10 == 0
    if not valid:
        raise PydanticCustomError(
            Code.INVALID_ISBN,
            "'{value}' is not a valid ISBN-10 or ISBN-13 (check digit does not match); "
            "copy it again from the book",
            {"value": value},
        )
    return value


StrictText = Annotated[str, BeforeValidator(_text), StringConstraints(min_length=1)]
# Volume, issue and pages are often plain numbers in YAML; they are still text (e.g. "7", "e5606").
NumberText = Annotated[
    str,
    BeforeValidator(
        lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else _text(v)
    ),
    StringConstraints(min_length=1),
]
Slug = Annotated[str, BeforeValidator(_text), StringConstraints(pattern=SLUG_PATTERN)]
RefId = Annotated[
    str, BeforeValidator(_text), StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
]
# What editors' tools are told (the JSON Schema): the validators below say it in words.
Version = Annotated[
    str,
    BeforeValidator(_version),
    WithJsonSchema({"type": "string", "pattern": VERSION_PATTERN.pattern}),
]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
PastDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_not_future)]
Doi = Annotated[str, BeforeValidator(_text), AfterValidator(_doi)]
Pmid = Annotated[
    str,
    BeforeValidator(
        lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else _text(v)
    ),
    AfterValidator(
        _pattern(Code.INVALID_PMID, PMID_PATTERN, "a PubMed id is digits only, e.g. 32399442")
    ),
    WithJsonSchema({"type": ["string", "integer"], "pattern": PMID_PATTERN.pattern}),
]
Pmcid = Annotated[
    str,
    BeforeValidator(_text),
    AfterValidator(
        _pattern(
            Code.INVALID_PMCID,
            PMCID_PATTERN,
            "a PubMed Central id is PMC then digits, e.g. PMC7213831",
        )
    ),
    WithJsonSchema({"type": "string", "pattern": PMCID_PATTERN.pattern}),
]
Isbn = Annotated[str, BeforeValidator(_text), AfterValidator(_isbn)]
WebUrl = Annotated[
    str,
    BeforeValidator(_text),
    AfterValidator(
        _pattern(
            Code.INVALID_URL,
            URL_PATTERN,
            "write the full web address starting with https:// or http://",
        )
    ),
    WithJsonSchema({"type": "string", "pattern": URL_PATTERN.pattern}),
]
Contact = Annotated[
    str,
    BeforeValidator(_text),
    AfterValidator(
        _pattern(
            Code.INVALID_CONTACT,
            re.compile(EMAIL_PATTERN.pattern + "|" + URL_PATTERN.pattern),
            "give an email address or a web address (https://…) where readers can send feedback",
        )
    ),
]
