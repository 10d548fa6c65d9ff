"""The JSON Schema of stacks.yaml, derived from the model (editors complete and check with it)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stacks.artifacts import GENERATED, Artifact
from stacks.generators import Rendered
from stacks.model import StacksFile

if TYPE_CHECKING:
    from stacks.project import Project

SCHEMA_FILE = "stacks.schema.json"


def json_schema() -> dict[str, Any]:
    schema = StacksFile.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": GENERATED,
        "$id": "https://stacks.dev/stacks.schema.json",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render(project: Project) -> Rendered:
    return Rendered([Artifact.text(SCHEMA_FILE, schema_text(), "schema")])
