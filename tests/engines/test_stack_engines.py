"""The cloud stacks configure the app's engine, and the env they set is a valid app configuration."""

from __future__ import annotations

import pytest

from app.lake import manifest as lake_manifest
from stacks.plan.core import Concat, Ref

ROOT_YAML = "stacks.yaml"


def _plan(name):
    from pathlib import Path

    from stacks.plan import build_plan
    from stacks.project import load_project

    return build_plan(load_project(Path(__file__).resolve().parents[2] / ROOT_YAML), name)


def _concrete(value):
    """A plan value with its cloud references replaced by plausible resolved values."""
    if isinstance(value, Ref):
        return {
            "dataset_id": "shop_warehouse_prod",
            "bucket": "shop-lake-prod",
            "name": "shop-lake-prod",
            "email": "api@shop.iam.gserviceaccount.com",
        }.get(value.attr, "shop-warehouse-prod")
    if isinstance(value, Concat):
        return "".join(_concrete(part) for part in value.parts)
    return str(value)


def _env(plan, logical):
    inputs = plan.resource(logical).inputs
    if "container_definitions" in inputs:
        container = inputs["container_definitions"].value[0]
        return {e["name"]: e["value"] for e in container["environment"]}
    return {e["name"]: e.get("value") for e in inputs["template"]["containers"][0]["envs"] if "value" in e}


@pytest.mark.parametrize(
    ("stack", "logical", "engine"),
    [
        ("aws-prod", "api-task", "athena"),
        ("gcp-prod", "api-service", "bigquery"),
        ("hybrid-prod", "api-task", "bigquery"),
    ],
)
def test_each_cloud_stack_sets_its_engine_and_the_app_accepts_the_env(stack, logical, engine, monkeypatch):
    from app.settings import Settings

    env = _env(_plan(stack), logical)
    assert env["STACKS_APP_ENGINE"] == engine
    for key in list(__import__("os").environ):
        if key.startswith("STACKS_APP_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, _concrete(value))
    settings = Settings()
    assert settings.engine == engine and settings.read_only
    assert settings.lake_uri.startswith(("s3://", "gs://")) and settings.lake_uri.endswith("/tables/")
    if engine == "athena":
        assert settings.athena_workgroup and settings.glue_database and settings.athena_output_uri
    else:
        assert settings.bigquery_project == "shop-analytics-prod" and settings.bigquery_dataset
    if stack.startswith("hybrid"):
        assert settings.gcp_credential_parameter.endswith("/gcp-credential-config")


def test_the_lake_partitioning_is_the_warehouse_model_s():
    from pathlib import Path

    from stacks.project import load_project

    project = load_project(Path(__file__).resolve().parents[2] / ROOT_YAML)
    warehouse = project.model.components["warehouse"]
    declared = {t.name: t.partition_by for t in warehouse.tables if t.partition_by}
    assert declared == lake_manifest.PARTITION_BY
