"""Directives that document the schema and the diagnostic codes from the code itself, so the docs
cannot drift from what the validator enforces."""

from __future__ import annotations

import typing
from datetime import date
from typing import Any, Literal

from docutils import nodes
from pydantic import BaseModel
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from guidepress.schemas import (
    Approval,
    ChangeEntry,
    Code,
    Guideline,
    Person,
    Reference,
    Registry,
    RegistryMember,
    Reviewer,
    Settings,
)
from guidepress.schemas.guideline import ForgeReview
from guidepress.schemas.recommendation import Recommendation
from guidepress.schemas.settings import IgnoredLink, LinkcheckSettings

DOCUMENTED_MODELS: list[type[BaseModel]] = [
    Guideline,
    Person,
    Reviewer,
    Reference,
    ChangeEntry,
    Approval,
    ForgeReview,
    Recommendation,
    Registry,
    RegistryMember,
]


def describe(annotation: Any) -> str:
    """A reader's name for a field's type: 'list of Person', 'date (YYYY-MM-DD)'…"""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return " | ".join(str(a) for a in typing.get_args(annotation))
    if origin is list:
        return "list of " + describe(args[0])
    if origin is dict:  # e.g. required_approvals = { guideline = 1 }
        return f"table of {describe(args[0])} = {describe(args[1])}"
    if args and origin is not None:  # an optional value
        return describe(args[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return {str: "text", date: "date (YYYY-MM-DD)", int: "whole number", bool: "true or false"}.get(
        annotation, str(annotation)
    )


def _cell(text: str, literal: bool = False) -> nodes.entry:
    inner = nodes.literal(text, text) if literal else nodes.Text(text)
    return nodes.entry("", nodes.paragraph("", "", inner))


def _table(header: list[str], rows: list[list[nodes.entry]]) -> nodes.table:
    group = nodes.tgroup(cols=len(header))
    for _ in header:
        group += nodes.colspec(colwidth=1)
    group += nodes.thead("", nodes.row("", *[_cell(h) for h in header]))
    group += nodes.tbody("", *[nodes.row("", *row) for row in rows])
    return nodes.table("", group)


def field_rows(model: type[BaseModel]) -> list[list[nodes.entry]]:
    rows = []
    for name, info in model.model_fields.items():
        example = info.examples[0] if info.examples else ""
        rows.append(
            [
                _cell(name, literal=True),
                _cell("required" if info.is_required() else "optional"),
                _cell(describe(info.annotation)),
                _cell(info.description or ""),
                _cell(str(example), literal=bool(example)),
            ]
        )
    return rows


class FieldsDirective(SphinxDirective):
    """{guidepress-fields}: one table per front-matter model."""

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        titles: dict[type[BaseModel], str] = {
            Settings: "Library settings ([tool.guidepress])",
            LinkcheckSettings: "Link checking ([tool.guidepress.linkcheck])",
        }
        models: list[type[BaseModel]] = [
            *DOCUMENTED_MODELS,
            Settings,
            LinkcheckSettings,
            IgnoredLink,
        ]
        for model in models:
            title = titles.get(model, model.__name__)
            section = nodes.section(ids=[nodes.make_id(f"model-{model.__name__}")])
            section += nodes.title(title, title)
            doc = (model.__doc__ or "").strip().split("\n\n")[0]
            section += nodes.paragraph(doc, doc)
            section += _table(
                ["Field", "Required", "Type", "Meaning", "Example"], field_rows(model)
            )
            result.append(section)
        return result


class CodesDirective(SphinxDirective):
    """{guidepress-codes}: every diagnostic code with its severity and meaning."""

    def run(self) -> list[nodes.Node]:
        rows = [
            [_cell(code, literal=True), _cell(code.severity), _cell(code.area), _cell(code.meaning)]
            for code in Code
        ]
        return [_table(["Code", "Severity", "Area", "Meaning and fix"], rows)]


def setup_reference_docs(app: Sphinx) -> None:
    app.add_directive("guidepress-fields", FieldsDirective)
    app.add_directive("guidepress-codes", CodesDirective)
