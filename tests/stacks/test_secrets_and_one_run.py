"""Secret values never get into stacks.yaml or a generated file; validation reports every problem in one run."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from stacks.artifacts import Artifact
from stacks.errors import StacksError
from stacks.leaks import literal_problem, scan
from stacks.project import project_from_text
from stacks.schema import json_schema
from tests.conftest import ROOT

BASE = """\
system: {name: demo}
components:
  web:
    kind: service
    build: {context: .}
    port: 8000
%s
  db: {kind: database}
connections:
  - {from: web, to: db, protocol: postgres}
stacks:
  aws: {target: aws, region: eu-west-1, environments: {prod: {}}}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(StacksError) as info:
        project_from_text(text)
    return [d.format() for d in info.value.diagnostics]


@pytest.mark.parametrize(
    "ref",
    ["k8f2m9x4q7w1z3v6b0n5", "shop/9f86d081884c7d659a2feaa0c55ad015", "prod/ghp1a2b3c4d5e6f7g8h9i0j"],
)
def test_a_secret_value_where_its_name_belongs_is_refused(ref):
    found = problems(BASE % f"    secrets: {{DB_PASSWORD: {ref}}}")
    assert any("components.web.secrets.DB_PASSWORD" in p and "not the name of a secret" in p for p in found), found


@pytest.mark.parametrize("ref", ["shop/db-password", "shop/lake-ingest-credentials", "acme/stripe_api_key-v2"])
def test_secret_names_pass(ref):
    assert literal_problem(ref) is None
    project_from_text(BASE % f"    secrets: {{DB_PASSWORD: {ref}}}")


def test_a_password_in_an_env_url_is_refused():
    found = problems(BASE % "    env: {DATABASE_URL: 'postgres://app:s3cr3t@db:5432/shop'}")
    assert any("components.web.env.DATABASE_URL" in p and "user:password@" in p for p in found), found
    project_from_text(BASE % "    env: {DATABASE_URL: 'postgres://app@db:5432/shop'}")


def test_the_leak_scan_finds_credentials_in_generated_text():
    leaky = Artifact.text("docker-compose.yml", "x: 1\nurl: redis://:hunter2@cache:6379\nkey: AKIAABCDEFGHIJKLMNOP\n")
    clean = Artifact.text("docker-compose.yml", 'MC_HOST="http://$$(cat /run/a):$$(cat /run/b)@minio:9000"\n')
    assert scan([leaky]) == [
        "docker-compose.yml:2: a URL with a password",
        "docker-compose.yml:3: an AWS access key id",
    ]
    assert scan([clean]) == []


def test_the_repositorys_generated_files_leak_nothing(project):
    from stacks.generators import by_name
    from stacks.pipeline import render

    generated = [
        a for g in by_name(["compose", "pulumi", "terraform", "docs", "schema"]) for a in render(project, g).artifacts
    ]
    assert generated and scan(generated) == []


def test_schema_and_reference_problems_come_in_one_run():
    text = BASE.replace("protocol: postgres}", "protocol: postgres}\n  - {from: web, to: dbb}")
    text %= "    scale: {min: lots}"
    found = "\n".join(problems(text))
    assert "components.web.scale.min" in found, found  # structural
    assert "unknown component 'dbb'" in found and "did you mean 'db'?" in found, found  # cross-reference


def test_a_component_with_a_structural_error_is_not_also_reported_unknown():
    text = BASE % "    port: eighty"
    found = "\n".join(problems(text))
    assert "components.web.port" in found and "unknown component 'web'" not in found, found


def test_hosting_problems_come_with_schema_problems():
    text = BASE % "    files: {/etc/app.conf: app.conf}\n  bad: {kind: database, storage_gb: 1}"
    found = "\n".join(problems(text))
    assert "components.bad.storage_gb" in found and "cannot do" in found, found


def test_the_schema_names_the_kinds_for_an_unknown_kind():
    schema = json_schema()
    data = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    data["components"]["api"]["kind"] = "servce"
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert len(errors) == 1, [e.message for e in errors]
    assert list(errors[0].absolute_path) == ["components", "api", "kind"]
    assert "'service'" in errors[0].message
    data["components"]["api"]["kind"] = "service"
    data["components"]["api"]["porrt"] = 1
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert [e.validator for e in errors] == ["additionalProperties"], [e.message for e in errors]


def test_every_field_of_the_schema_has_a_description():
    schema = json.loads(json.dumps(json_schema()))
    undocumented = [
        f"{name}.{field}"
        for name, node in [("stacks.yaml", schema), *schema["$defs"].items()]
        for field, spec in node.get("properties", {}).items()
        if not spec.get("description")
    ]
    assert undocumented == []


def test_a_misspelt_reference_to_a_malformed_component_still_gets_its_did_you_mean():
    """One run reports both problems, and the second's hint knows the component the first one broke."""
    text = """\
version: 1
system: {name: demo}
components:
  api: {kind: servce, build: {context: api}, port: 8000}
  migrate: {kind: job, build: {context: api}, before: [apii]}
"""
    with pytest.raises(StacksError) as info:
        project_from_text(text)
    messages = {d.message: d.hint for d in info.value.diagnostics}
    assert "unknown kind 'servce'" in " ".join(messages)
    assert messages["unknown component 'apii'"].startswith("did you mean 'api'?")
