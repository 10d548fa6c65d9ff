"""The real Pulumi program of the gcp-* and hybrid-* stacks, run offline under mocks: it registers exactly the plan."""

from __future__ import annotations

import inspect
import json
import re

import pytest

from .gcp_support import ALL_STACKS, ROOT, plan, recording


def camel(key: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_recording_is_the_plan(stack):
    planned = [(r.type, r.name, r.component) for r in plan(stack).for_engine("pulumi")]
    recorded = [(r.type, r.name, r.component) for r in recording(stack).resources]
    assert recorded == planned
    assert len(set(recorded)) == len(recorded)


@pytest.mark.parametrize("stack", ["gcp-prod", "hybrid-prod"])
def test_one_component_resource_per_model_component(stack):
    rec = recording(stack)
    target = plan(stack).target
    kinds = {c.name: c.type for c in rec.components}
    assert kinds.pop("baseline") == f"stacks:{target}:Baseline"
    assert kinds == {cid: f"stacks:{target}:{kind.capitalize()}" for cid, kind in plan(stack).components.items()}
    for res in rec.resources:
        assert res.urn.split("::")[2].split("$")[-2].startswith(f"stacks:{target}:"), res.urn


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_no_input_vanishes(stack):
    """Every input the plan sets reaches the engine resolved (a mock missing an attribute would drop it)."""
    recorded = {r.name: r.inputs for r in recording(stack).resources}
    for res in plan(stack).for_engine("pulumi"):
        got = recorded[res.name]
        for key, value in res.inputs.items():
            if value in (None, [], {}, ""):
                continue
            assert camel(key) in got, f"{res.name}: input {key} vanished"
            assert got[camel(key)] not in (None, ""), f"{res.name}: input {key} resolved to nothing"


def test_every_input_is_an_argument_of_its_class():
    from deploy.realize import resource_class

    seen = set()
    for stack in ("gcp-dev", "gcp-prod", "hybrid-prod"):
        for res in plan(stack).resources:
            cls = resource_class(res.type)
            params = set(inspect.signature(cls._internal_init).parameters)
            unknown = set(res.inputs) - params
            assert not unknown, f"{res.type} has no argument(s) {unknown}"
            seen.add(res.type)
    assert len([t for t in seen if t.startswith("gcp:")]) >= 30


def test_nested_inputs_are_arguments_of_their_args_classes():
    """Nested dicts match the pulumi_gcp *Args classes (a typo there would fail only at `pulumi up`)."""
    import pulumi_gcp

    def check(cls_name: str, module, value: dict):
        args = getattr(module, cls_name, None)
        assert args is not None, cls_name
        params = set(inspect.signature(args.__init__).parameters) - {"self"}
        assert set(value) <= params, f"{cls_name} has no argument(s) {set(value) - params}"

    svc = plan("gcp-prod").resource("api-service").inputs
    run = pulumi_gcp.cloudrunv2
    check("ServiceTemplateArgs", run, svc["template"])
    container = svc["template"]["containers"][0]
    check("ServiceTemplateContainerArgs", run, container)
    check("ServiceTemplateContainerResourcesArgs", run, container["resources"])
    check("ServiceTemplateContainerStartupProbeArgs", run, container["startup_probe"])
    check("ServiceTemplateContainerLivenessProbeArgs", run, container["liveness_probe"])
    check("ServiceTemplateScalingArgs", run, svc["template"]["scaling"])
    check("ServiceTemplateVolumeArgs", run, svc["template"]["volumes"][0])
    # The ingest job's delegate grant on the one connection (BigLake tables), with its one-permission role.
    delegate = plan("gcp-prod").resource("ingest-delegates-warehouse").inputs
    check("ConnectionIamMemberArgs", pulumi_gcp.bigquery, delegate)
    check("IAMCustomRoleArgs", pulumi_gcp.projects, plan("gcp-prod").resource("warehouse-delegate-role").inputs)
    job = plan("hybrid-prod").resource("lake-transfer").inputs
    st = pulumi_gcp.storage
    check("TransferJobTransferSpecArgs", st, job["transfer_spec"])
    check("TransferJobTransferSpecAwsS3DataSourceArgs", st, job["transfer_spec"]["aws_s3_data_source"])
    check("TransferJobTransferSpecTransferOptionsArgs", st, job["transfer_spec"]["transfer_options"])
    check("TransferJobScheduleArgs", st, job["schedule"])
    for rule in plan("gcp-prod").resource("api-armor").inputs["rules"]:
        check("SecurityPolicyRuleArgs", pulumi_gcp.compute, rule)
    backend = plan("gcp-prod").resource("api-backend").inputs
    check("BackendServiceCdnPolicyArgs", pulumi_gcp.compute, backend["cdn_policy"])
    cond = plan("gcp-prod").resource("api-alert-errors").inputs["conditions"][0]["condition_threshold"]
    check("AlertPolicyConditionConditionThresholdArgs", pulumi_gcp.monitoring, cond)


def test_data_source_functions_exist():
    from deploy.realize import data_function

    for stack in ("gcp-prod", "hybrid-prod"):
        for d in plan(stack).data:
            assert callable(data_function(d.type, d.function)), d.type


def test_cloud_run_service_reaches_the_engine_resolved():
    rec = {r.name: r for r in recording("gcp-prod").resources}
    container = rec["api-service"].inputs["template"]["containers"][0]
    envs = {e["name"]: e for e in container["envs"]}
    assert envs["STACKS_APP_LAKE_URI"]["value"] == "gs://shop-analytics-prod-shop-lake-prod/tables/"
    assert envs["STACKS_APP_BIGQUERY_DATASET"]["value"] == "shop_warehouse_prod"
    assert (
        envs["STACKS_APP_API_KEY"]["valueSource"]["secretKeyRef"]["secret"]
        == "projects/shop-analytics-prod/secrets/shop-api-key"
    )
    assert container["image"].startswith("europe-west1-docker.pkg.dev/shop-analytics-prod/shop-prod/api@sha256:")
    assert (
        rec["api-service"].inputs["template"]["serviceAccount"]
        == "api-prod@shop-analytics-prod.iam.gserviceaccount.com"
    )
    reads = rec["warehouse-connection-reads-lake"].inputs
    assert (
        reads["member"].startswith("serviceAccount:bqcx-") and reads["bucket"] == "shop-analytics-prod-shop-lake-prod"
    )


def test_stack_outputs():
    assert recording("gcp-prod").outputs == {
        "api_ip_address": "203.0.113.10",
        "api_service_name": "shop-api-prod",
        "dashboard_bucket": "shop-analytics-prod-shop-dashboard-prod",
        "dashboard_ip_address": "203.0.113.10",
        "dashboard_url": "https://dashboard.analytics.shop.example.com",
        "dataset": "shop_warehouse_prod",
        "ingest_job_name": "shop-ingest-prod",
        "lake_bucket": "shop-analytics-prod-shop-lake-prod",  # the project id makes the name unique
        "project": "shop-analytics-prod",
        "repository": "europe-west1-docker.pkg.dev/shop-analytics-prod/shop-prod",
        "url": "https://analytics.shop.example.com",
    }
    hybrid = recording("hybrid-prod").outputs
    assert (
        hybrid["dataset"] == "shop_hybrid_warehouse_prod"
        and hybrid["lake_bucket"] == "shop-hybrid-lake-prod-123456789012"
    )
    assert (
        hybrid["lake_mirror_bucket"] == "shop-analytics-prod-shop-hybrid-lake-prod"
        and hybrid["gcp_project"] == "shop-analytics-prod"
    )
    assert hybrid["lake_transfer_role_arn"].startswith("arn:aws:iam:")


def test_hybrid_cross_cloud_wiring_reaches_the_engine():
    rec = {r.name: r for r in recording("hybrid-prod").resources}
    trust = json.loads(rec["lake-transfer-role"].inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Federated": "accounts.google.com"}
    assert trust["Condition"]["StringEquals"]["accounts.google.com:sub"] == "109876543210987654321"
    source = rec["lake-transfer"].inputs["transferSpec"]["awsS3DataSource"]
    assert source["roleArn"] == rec["lake-transfer-role"].inputs.get("arn", source["roleArn"])
    assert "awsAccessKey" not in source
    member = rec["api-gcp-impersonation"].inputs["member"]
    assert member == (
        "principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
        "workloadIdentityPools/shop-hybrid-prod/attribute.aws_role/shop-hybrid-api-prod-task"
    )
    assert rec["gcp-workload-provider"].inputs["aws"] == {"accountId": "123456789012"}
    config = json.loads(rec["api-gcp-credential-config"].inputs["value"]["value"])
    assert config["type"] == "external_account"
    assert config["audience"].endswith("/workloadIdentityPools/shop-hybrid-prod/providers/aws-ecs-tasks")
    assert "api-hybrid-prod@shop-analytics-prod.iam.gserviceaccount.com" in config["service_account_impersonation_url"]
    assert not {"private_key", "private_key_id", "client_secret", "refresh_token"} & set(config)
    env = {e["name"]: e["value"] for e in json.loads(rec["api-task"].inputs["containerDefinitions"])[0]["environment"]}
    assert env["STACKS_APP_GCP_CREDENTIAL_PARAMETER"] == "/shop-hybrid-api-prod/gcp-credential-config"
    assert env["STACKS_APP_BIGQUERY_DATASET"] == "shop_hybrid_warehouse_prod"
    assert env["STACKS_APP_LAKE_URI"] == "s3://shop-hybrid-lake-prod-123456789012/tables/"
    assert "STACKS_APP_GCP_SERVICE_ACCOUNT" not in env  # the credential config names it; the app reads that


@pytest.mark.parametrize("stack", ["gcp-staging", "hybrid-staging"])
def test_the_pulumi_project_runs_the_gcp_and_hybrid_stacks(monkeypatch, stack):
    """deploy/__main__.py's program: the Pulumi stack name selects the deployable; it realizes that plan."""
    import importlib

    from deploy.offline import AwsMocks, record
    from deploy.offline_gcp import cloud_mocks

    monkeypatch.setenv("STACKS_FILE", str(ROOT / "stacks.yaml"))
    program = importlib.import_module("deploy.program")
    p = plan(stack)
    rec = record(stack, "eu-west-1", program.main, cloud_mocks(p, AwsMocks("eu-west-1")))
    assert {(r.type, r.name) for r in rec.resources} == {(r.type, r.name) for r in p.for_engine("pulumi")}
    images = [r for r in rec.resources if r.type == "docker-build:index:Image"]
    assert images and all(i.inputs["tags"][0].rsplit(":", 1)[1].startswith("ctx-") for i in images)
