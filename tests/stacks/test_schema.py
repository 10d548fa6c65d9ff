"""stacks.schema.json stays in sync with the model, and the default file validates against it."""

from __future__ import annotations

import json

import jsonschema
import yaml

from stacks.schema import schema_text
from tests.conftest import ROOT


def test_committed_schema_matches_the_model():
    committed = (ROOT / "stacks.schema.json").read_text()
    assert committed == schema_text(), "stacks.schema.json drifted from stacks/model.py: run `stacks build`"


def test_default_file_points_editors_at_the_schema():
    first = (ROOT / "stacks.yaml").read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=./stacks.schema.json"


def test_default_file_validates_against_the_json_schema():
    schema = json.loads(schema_text())
    data = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    jsonschema.validate(data, schema)
    data["components"]["api"]["kind"] = "servce"
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError:
        pass
    else:  # pragma: no cover
        raise AssertionError("the JSON schema accepted an unknown kind")
