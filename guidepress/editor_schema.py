"""The JSON Schema of a guideline page's front matter, for editors' tools (completion and
checking while typing). Generated from the models `validate` uses, and committed as
schemas/guideline.schema.json, which a test keeps in step: `guidepress schema` prints it.

It says less than `validate`: the rules between fields (a review date before the next one, a
citation with a reference, an approval's digest) and the located messages are validate's alone.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from guidepress.schemas import Guideline
from guidepress.schemas.catalogue import Catalogue

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _published(model: type[BaseModel], title: str) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "$schema": DIALECT,
        "title": title,
        **{key: value for key, value in schema.items() if key != "title"},
    }


def editor_schema() -> dict[str, Any]:
    return _published(Guideline, "guidepress guideline page front matter")


def catalogue_schema() -> dict[str, Any]:
    """The shape of catalogue.json (schemas/catalogue.schema.json), for tools that read it."""
    return _published(Catalogue, "guidepress library catalogue")


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
