"""The JSON Schema of stacks.yaml, derived from the model (editors complete and check with it).

Tagged unions (components by ``kind``, stacks by ``target``) are written as an enum of
the tags plus one ``if``/``then`` per tag, rather than pydantic's ``oneOf``: an editor
then says "kind must be one of service, worker, ..." for an unknown kind, and checks a
known one against that kind's fields only, instead of reporting every alternative.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from stacks.artifacts import GENERATED, Artifact
from stacks.generators import Rendered
from stacks.model import StacksFile

if TYPE_CHECKING:
    from stacks.project import Project

SCHEMA_FILE = "stacks.schema.json"
TAG_DESCRIPTIONS = {
    "kind": "What the component is; it decides which other fields apply.",
    "target": "Where the stack runs; it decides which other fields apply.",
}


def _by_tag(node: dict[str, Any]) -> dict[str, Any]:
    """A pydantic discriminated union (oneOf + discriminator) as a tag enum plus if/then per tag."""
    tag = node["discriminator"]["propertyName"]
    mapping = node["discriminator"]["mapping"]
    return {
        "type": "object",
        "required": [tag],
        "properties": {tag: {"enum": sorted(mapping), "description": TAG_DESCRIPTIONS.get(tag, f"The {tag}.")}},
        "allOf": [
            {"if": {"properties": {tag: {"const": value}}, "required": [tag]}, "then": {"$ref": ref}}
            for value, ref in sorted(mapping.items())
        ],
    }


def _rewrite(node: Any) -> Any:
    if isinstance(node, dict):
        if "discriminator" in node and "oneOf" in node:
            return _by_tag(node)
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return node


def json_schema() -> dict[str, Any]:
    schema = _rewrite(StacksFile.model_json_schema(by_alias=True, mode="validation"))
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
