"""The hybrid ingest job registers each lake version in BigQuery over the GCS mirror: its IAM is the
least that takes (dataEditor on the dataset, jobUser, delegate on the one connection), and its env
points the app's catalog at the mirror with the same layout the transfer job copies."""

from __future__ import annotations

import pytest

from stacks.plan.core import Ref, to_json, walk

from .gcp_support import HYBRID_STACKS, grants_to, inputs, plan, recording, settings_from_plan_env


def _env(stack: str, task: str) -> dict:
    container = inputs(stack, task)["container_definitions"].value[0]
    return {e["name"]: e["value"] for e in container["environment"]}


@pytest.mark.parametrize("stack", HYBRID_STACKS)
def test_the_ingest_account_edits_the_dataset_only_and_delegates_on_the_connection_only(stack):
    grants = {
        (r.type, r.inputs["role"] if isinstance(r.inputs["role"], str) else repr(r.inputs["role"]))
        for r in grants_to(stack, "ingest-gcp-account")
    }
    assert grants == {
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "roles/bigquery.dataEditor"),
        ("gcp:projects/iAMMember:IAMMember", "roles/bigquery.jobUser"),
        ("gcp:bigquery/connectionIamMember:ConnectionIamMember", repr(Ref("warehouse-delegate-role", "name"))),
    }
    edits = plan(stack).resource("ingest-edits-warehouse").inputs
    assert edits["dataset_id"] == Ref("warehouse-dataset", "dataset_id")
    delegate = plan(stack).resource("ingest-delegates-warehouse").inputs
    assert delegate["connection_id"] == Ref("warehouse-connection", "connection_id")
    role = plan(stack).resource("warehouse-delegate-role").inputs
    assert role["permissions"] == ["bigquery.connections.delegate"]
    # Nothing else at project level: no project role but jobUser, to anyone in the plan.
    project_roles = {r.inputs["role"] for r in plan(stack).by_type("gcp:projects/iAMMember:IAMMember")}
    assert project_roles == {"roles/bigquery.jobUser"}
    # No object access to the mirror: BigLake reads it with the connection's identity.
    assert not [r for r in grants_to(stack, "ingest-gcp-account") if r.type.startswith("gcp:storage/")]


@pytest.mark.parametrize("stack", HYBRID_STACKS)
def test_the_api_account_still_only_reads(stack):
    grants = {(r.type, r.inputs["role"]) for r in grants_to(stack, "api-gcp-account")}
    assert grants == {
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "roles/bigquery.dataViewer"),
        ("gcp:projects/iAMMember:IAMMember", "roles/bigquery.jobUser"),
    }


def test_the_ingest_env_names_the_mirror_and_the_connection_the_app_accepts(monkeypatch):
    from app.catalog.bigquery import bigquery_root

    env = _env("hybrid-prod", "ingest-task")
    assert to_json(env["STACKS_APP_BIGQUERY_LAKE_URI"]) == {
        "$concat": ["gs://", {"$ref": "lake-mirror.name"}, "/tables/"]
    }
    assert env["STACKS_APP_BIGQUERY_CONNECTION"] == Ref("warehouse-connection", "name")
    assert "STACKS_APP_BIGQUERY_LAKE_URI" not in _env("hybrid-prod", "api-task")
    # The transfer copies tables/ to tables/: the mirror root holds the lake root's layout.
    spec = inputs("hybrid-prod", "lake-transfer")["transfer_spec"]
    assert spec["aws_s3_data_source"]["path"] == spec["gcs_data_sink"]["path"] == "tables/"
    assert to_json(env["STACKS_APP_LAKE_URI"])["$concat"][-1] == "/tables/"

    resolved = {
        "lake-mirror.name": "shop-hybrid-lake-prod",
        "lake-bucket.bucket": "shop-hybrid-lake-prod",
        "warehouse-dataset.dataset_id": "shop_hybrid_warehouse_prod",
        "warehouse-connection.name": "projects/1/locations/europe-west1/connections/c",
    }
    settings = settings_from_plan_env(env, resolved, monkeypatch)
    assert settings.lake_uri == "s3://shop-hybrid-lake-prod/tables/"
    assert bigquery_root(settings) == "gs://shop-hybrid-lake-prod/tables/"
    assert settings.bigquery_connection.endswith("/connections/c")


def test_the_pulumi_program_creates_the_role_and_the_grant():
    rec = {r.name: r for r in recording("hybrid-prod").resources}
    assert rec["warehouse-delegate-role"].type == "gcp:projects/iAMCustomRole:IAMCustomRole"
    grant = rec["ingest-delegates-warehouse"]
    assert grant.inputs["connectionId"] == "shop-hybrid-warehouse-prod-lake"
    assert grant.inputs["member"] == "serviceAccount:ingest-hybrid-prod@shop-analytics-prod.iam.gserviceaccount.com"


def test_terraform_names_the_custom_role_and_the_connection():
    from deploy.terraform import render_plan

    doc = render_plan(plan("hybrid-prod"))
    member = doc["resource"]["google_bigquery_connection_iam_member"]["ingest-delegates-warehouse"]
    assert member["role"] == "${google_project_iam_custom_role.warehouse-delegate-role.name}"
    assert member["connection_id"] == "${google_bigquery_connection.warehouse-connection.connection_id}"
    role = doc["resource"]["google_project_iam_custom_role"]["warehouse-delegate-role"]
    assert role["role_id"] == "shop_hybrid_warehouse_prod_delegate"
    assert not [v for v in walk(doc) if isinstance(v, str) and "roles/bigquery.connectionAdmin" in v]
