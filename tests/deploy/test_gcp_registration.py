"""The gcp ingest job (Cloud Run job) registers each lake version as BigLake tables through the
warehouse's connection, like the hybrid one: its env names the connection, its account may delegate
on that one connection and edit that one dataset, and nobody holds a project role but jobUser."""

from __future__ import annotations

import pytest

from stacks.plan.core import Ref

from .gcp_support import GCP_STACKS, grants_to, inputs, plan, recording, settings_from_plan_env


def _env(stack: str, job: str) -> dict:
    container = inputs(stack, job)["template"]["template"]["containers"][0]
    return {e["name"]: e.get("value") for e in container["envs"]}


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_the_ingest_account_delegates_on_the_one_connection_and_edits_the_one_dataset(stack):
    grants = {
        (r.type, r.inputs["role"] if isinstance(r.inputs["role"], str) else repr(r.inputs["role"]))
        for r in grants_to(stack, "ingest-account")
    }
    assert grants == {
        ("gcp:bigquery/datasetIamMember:DatasetIamMember", "roles/bigquery.dataEditor"),
        ("gcp:projects/iAMMember:IAMMember", "roles/bigquery.jobUser"),
        ("gcp:bigquery/connectionIamMember:ConnectionIamMember", repr(Ref("warehouse-delegate-role", "name"))),
        # It reads incoming/ and writes the versions' Parquet and the manifest.
        ("gcp:storage/bucketIAMMember:BucketIAMMember", "roles/storage.objectUser"),
    }
    delegate = inputs(stack, "ingest-delegates-warehouse")
    assert delegate["connection_id"] == Ref("warehouse-connection", "connection_id")
    assert inputs(stack, "warehouse-delegate-role")["permissions"] == ["bigquery.connections.delegate"]
    assert inputs(stack, "ingest-edits-warehouse")["dataset_id"] == Ref("warehouse-dataset", "dataset_id")
    # One delegate grant in the whole plan (the ingest's), on one connection; no project role but jobUser.
    members = plan(stack).by_type("gcp:bigquery/connectionIamMember:ConnectionIamMember")
    assert [r.name for r in members] == ["ingest-delegates-warehouse"]
    assert {r.inputs["role"] for r in plan(stack).by_type("gcp:projects/iAMMember:IAMMember")} == {
        "roles/bigquery.jobUser"
    }
    assert not [r for r in plan(stack).resources if "roles/bigquery.connectionAdmin" in repr(r.inputs)]


@pytest.mark.parametrize("stack", GCP_STACKS)
def test_the_api_and_the_seed_never_delegate_or_edit(stack):
    for account in ("api-account", "seed-account"):
        roles = {r.inputs["role"] for r in grants_to(stack, account) if isinstance(r.inputs["role"], str)}
        assert "roles/bigquery.dataEditor" not in roles, account
        assert not [r for r in grants_to(stack, account) if "connectionIamMember" in r.type], account


def test_the_ingest_env_names_the_connection_and_the_app_accepts_it(monkeypatch):
    from app.catalog.bigquery import bigquery_root

    env = _env("gcp-prod", "ingest-job")
    assert env["STACKS_APP_BIGQUERY_CONNECTION"] == Ref("warehouse-connection", "name")
    assert env["STACKS_APP_BIGQUERY_DATASET"] == Ref("warehouse-dataset", "dataset_id")
    assert "STACKS_APP_BIGQUERY_LAKE_URI" not in env  # the lake is gs:// itself: no mirror
    assert "STACKS_APP_BIGQUERY_CONNECTION" not in _env_service("gcp-prod", "api-service")

    resolved = {
        "lake-bucket.name": "shop-lake-prod",
        "warehouse-dataset.dataset_id": "shop_warehouse_prod",
        "warehouse-connection.name": "projects/1/locations/europe-west1/connections/shop-warehouse-prod-lake",
    }
    settings = settings_from_plan_env(env, resolved, monkeypatch)
    assert settings.lake_uri == "gs://shop-lake-prod/tables/"
    assert bigquery_root(settings) == "gs://shop-lake-prod/tables/"
    assert settings.bigquery_connection.endswith("/connections/shop-warehouse-prod-lake")


def _env_service(stack: str, service: str) -> dict:
    container = inputs(stack, service)["template"]["containers"][0]
    return {e["name"]: e.get("value") for e in container["envs"]}


def test_pulumi_and_terraform_create_the_grant_on_the_connection():
    from deploy.terraform import render_plan

    rec = {r.name: r for r in recording("gcp-prod").resources}
    assert rec["warehouse-delegate-role"].type == "gcp:projects/iAMCustomRole:IAMCustomRole"
    grant = rec["ingest-delegates-warehouse"]
    assert grant.inputs["connectionId"] == "shop-warehouse-prod-lake"
    assert grant.inputs["member"] == "serviceAccount:ingest-prod@shop-analytics-prod.iam.gserviceaccount.com"
    doc = render_plan(plan("gcp-prod"))
    member = doc["resource"]["google_bigquery_connection_iam_member"]["ingest-delegates-warehouse"]
    assert member["role"] == "${google_project_iam_custom_role.warehouse-delegate-role.name}"
    assert "google_bigquery_table" not in doc["resource"]
