"""Turn Pydantic's validation errors into located diagnostics that say how to fix the page."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from guidepress.schemas import Code
from guidepress.schemas.codes import code_named
from guidepress.validators.diagnostics import Diagnostic
from guidepress.validators.source import Page


def dotted(loc: tuple[Any, ...]) -> str:
    """('references', 2, 'accessed') -> 'references[2].accessed'."""
    text = ""
    for part in loc:
        if part == "[key]":  # Pydantic's marker for a dict's key, after the key itself
            continue
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def field_at(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """The model owning the last named part of loc, and that field's info (None if unknown)."""
    names = [part for part in loc if isinstance(part, str)]
    owner: type[BaseModel] | None = model
    for position, name in enumerate(names):
        if owner is None or name not in owner.model_fields:
            return owner, None
        info = owner.model_fields[name]
        if position == len(names) - 1:
            return owner, info
        nested = _models_in(info.annotation)
        owner = nested[0] if nested else None
    return owner, None


def _example(info: FieldInfo | None) -> str:
    if info is None or not info.examples:
        return ""
    value = info.examples[0]
    if isinstance(value, list):
        value = "[" + ", ".join(str(v) for v in value) + "]"
    return f" (e.g. {value})"


def _hint(info: FieldInfo | None) -> str:
    if info is None or not info.description:
        return ""
    text = info.description.rstrip(".")
    return (
        text if text[1:2].isupper() else text[0].lower() + text[1:]
    )  # keep SHA-256, DOI… as written


def _close_match(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The field an unknown key at loc was probably meant to be."""
    owner, _ = field_at(model, loc)
    known = list(owner.model_fields) if owner else []
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    return close[0] if close else None


def schema_diagnostics(
    page: Page, error: ValidationError, model: type[BaseModel]
) -> list[Diagnostic]:
    diagnostics = []
    items = error.errors(include_url=False)
    # A misspelt required key is one mistake: "did you mean `summary`?" says all that
    # "`summary` is required" would, so the second report is left out.
    misspelt = {
        (*i["loc"][:-1], _close_match(model, tuple(i["loc"])))
        for i in items
        if i["type"] == "extra_forbidden"
    }
    for item in items:
        loc = tuple(item["loc"])
        if item["type"] == "missing" and loc in misspelt:
            continue
        context = item.get("ctx") or {}
        kind = item["type"]
        where = tuple(loc) + tuple(context.get("at", ()))
        owner, info = field_at(model, loc)
        name = dotted(loc)
        code: Code | None
        if item.get("input", "") is None and name and kind != "missing":  # `review_date:` alone
            code, message = Code.MISSING_FIELD, f"`{name}` is empty: {_hint(info)}{_example(info)}"
        elif code := code_named(kind):  # our own custom errors, named by their code
            message = f"{name}: {item['msg']}" if name else item["msg"]
        elif kind == "missing":
            field = loc[-1]
            code = Code.MISSING_FIELD
            message = f"`{field}` is required" + (f" in {dotted(loc[:-1])}" if len(loc) > 1 else "")
            message += f": {_hint(info)}{_example(info)}"
        elif kind == "extra_forbidden":
            code = Code.UNKNOWN_FIELD
            close = _close_match(model, loc)
            known = list(owner.model_fields) if owner else []
            message = f"unknown field `{name}`"
            message += (
                f"; did you mean `{close}`?"
                if close
                else f"; the fields here are: {', '.join(known)}"
            )
        elif kind == "string_pattern_mismatch":  # Pydantic would quote the regular expression
            code = Code.INVALID_VALUE
            message = (
                f"{name}: {item.get('input')!r} is not in the form this field takes; "
                f"expected: {_hint(info)}{_example(info)}"
            )
        else:
            code = Code.INVALID_VALUE
            got = item.get("input")
            shown = (
                f" (got {got!r})"
                if isinstance(got, str | int | float | bool) or got is None
                else ""
            )
            reason = item["msg"][0].lower() + item["msg"][1:]
            message = f"{name}: {reason}{shown}"
            if info is not None and info.description:
                message += f"; expected: {_hint(info)}{_example(info)}"
        line, col = page.locate(where)
        diagnostics.append(page.at(line, col, code, message))
    return diagnostics
