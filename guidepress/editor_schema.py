"""The JSON Schema of a guideline page's front matter, for editors' tools (completion and
checking while typing). Generated from the models `validate` uses, and committed as
schemas/guideline.schema.json, which a test keeps in step: `guidepress schema` prints it.

It says less than `validate`: the rules between fields (a review date before the next one, a
citation with a reference, an approval's digest) and the located messages are validate's alone.
"""

from __future__ import annotations

import json
from typing import Any

from guidepress.schemas import Guideline

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def editor_schema() -> dict[str, Any]:
    schema = Guideline.model_json_schema()
    return {
        "$schema": DIALECT,
        "title": "guidepress guideline page front matter",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def schema_text() -> str:
    return json.dumps(editor_schema(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
