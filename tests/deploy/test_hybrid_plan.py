"""The hybrid plan: placement from stacks.yaml, AWS and GCP builders in one plan, keyless cross-cloud paths."""

from __future__ import annotations

import pytest

from stacks.errors import StacksError
from stacks.plan.core import Json, Ref, concat, to_json, walk

from .gcp_support import HYBRID_STACKS, inputs, plan, project, variant


def clouds(name: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for res in plan(name).resources:
        if res.component:
            out.setdefault(res.component, set()).add(res.type.split(":")[0])
    return out


def test_placement_puts_each_component_on_its_cloud():
    p = plan("hybrid-prod")
    assert p.target == "hybrid" and set(p.providers) == {"aws", "gcp"}
    assert p.providers["gcp"]["project"] == "shop-analytics-prod" and p.providers["aws"]["region"] == "eu-west-1"
    assert p.components == {
        "api": "service",
        "dashboard": "frontend",
        "ingest": "job",
        "lake": "bucket",
        "warehouse": "warehouse",
    }
    assert p.resource("dashboard-cdn").type == "aws:cloudfront/distribution:Distribution"
    assert p.resource("api-service").type == "aws:ecs/service:Service"
    assert p.resource("ingest-task").type == "aws:ecs/taskDefinition:TaskDefinition"
    assert p.resource("lake-bucket").type == "aws:s3/bucket:Bucket"
    assert p.resource("warehouse-dataset").type == "gcp:bigquery/dataset:Dataset"
    on = clouds("hybrid-prod")
    assert on["warehouse"] == {"gcp"}
    assert "gcp" in on["api"] and "aws" in on["api"]  # the API's GCP identity belongs to the API
    assert not p.by_type("aws:athena/workgroup:Workgroup") and not p.by_type("gcp:cloudrunv2/service:Service")


def test_names_carry_the_stack_id_so_they_never_collide_with_the_single_cloud_stacks():
    from stacks.plan import build_plan

    hybrid = plan("hybrid-prod")
    aws = build_plan(project(), "aws-prod")
    # S3 names are global: the account id makes them this account's own.
    assert hybrid.resource("lake-bucket").inputs["bucket"] == concat(
        "shop-hybrid-lake-prod-", Ref("caller", "account_id")
    )
    assert aws.resource("lake-bucket").inputs["bucket"] == concat("shop-lake-prod-", Ref("caller", "account_id"))
    assert inputs("hybrid-prod", "warehouse-dataset")["dataset_id"] == "shop_hybrid_warehouse_prod"
    assert inputs("hybrid-prod", "api-gcp-account")["account_id"] == "api-hybrid-prod"
    gcp_names = {r.inputs.get("name") for r in build_plan(project(), "gcp-prod").resources} - {None}
    hybrid_names = {r.inputs.get("name") for r in hybrid.resources if isinstance(r.inputs.get("name"), str)}
    assert not gcp_names & hybrid_names


def test_cross_cloud_links_name_the_mechanism_and_identity():
    from stacks.plan.hybrid import cross_cloud_links

    links = cross_cloud_links(project(), project().deployment("hybrid-prod"))
    by_pair = {(link.source, link.target): link for link in links}
    assert set(by_pair) == {("lake", "warehouse"), ("api", "warehouse"), ("ingest", "warehouse")}
    data = by_pair[("lake", "warehouse")]
    assert data.path == "data" and "shop-hybrid-lake-prod-transfer" in data.identity
    query = by_pair[("api", "warehouse")]
    assert query.path == "query" and "shop-hybrid-api-prod-task" in query.identity
    assert "api-hybrid-prod@shop-analytics-prod" in query.identity
    names = {r.name for r in plan("hybrid-prod").resources}
    for link in links:
        assert set(link.resources) <= names, link


def test_data_path_s3_to_gcs_through_a_role_trusting_googles_transfer_agent():
    role = plan("hybrid-prod").resource("lake-transfer-role")
    trust = role.inputs["assume_role_policy"].value["Statement"][0]
    assert trust["Principal"] == {"Federated": "accounts.google.com"}
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Condition"]["StringEquals"]["accounts.google.com:sub"] == Ref("gcp-transfer-agent", "subject_id")
    statements = inputs("hybrid-prod", "lake-transfer-policy")["policy"].value["Statement"]
    actions = sorted(a for s in statements for a in s["Action"])
    assert actions == ["kms:Decrypt", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket"]  # read only
    job = inputs("hybrid-prod", "lake-transfer")
    source = job["transfer_spec"]["aws_s3_data_source"]
    assert source["role_arn"] == Ref("lake-transfer-role", "arn") and "aws_access_key" not in source
    assert source["bucket_name"] == Ref("lake-bucket", "bucket") and source["path"] == "tables/"
    assert job["transfer_spec"]["gcs_data_sink"] == {"bucket_name": Ref("lake-mirror", "name"), "path": "tables/"}
    assert job["schedule"]["repeat_interval"] == "3600s" and job["status"] == "ENABLED"
    mirror = inputs("hybrid-prod", "lake-mirror")
    assert mirror["public_access_prevention"] == "enforced" and mirror["uniform_bucket_level_access"] is True
    grants = {inputs("hybrid-prod", n)["role"] for n in ("lake-mirror-transfer-writes", "lake-mirror-transfer-reads")}
    assert grants == {"roles/storage.legacyBucketWriter", "roles/storage.objectViewer"}
    # the warehouse's connection reads the mirror (the ingest job registers BigLake tables over it)
    reads = inputs("hybrid-prod", "warehouse-connection-reads-lake")
    assert reads["bucket"] == Ref("lake-mirror", "name") and reads["role"] == "roles/storage.objectViewer"


def test_query_path_workload_identity_federation_trusting_only_the_task_roles():
    pool = inputs("hybrid-prod", "gcp-workload-pool")
    assert pool["workload_identity_pool_id"] == "shop-hybrid-prod"
    provider = inputs("hybrid-prod", "gcp-workload-provider")
    assert provider["aws"] == {"account_id": Ref("caller", "account_id")}  # this stack's AWS account only
    assert provider["attribute_condition"] == (
        "attribute.aws_role in ['shop-hybrid-api-prod-task', 'shop-hybrid-ingest-prod-task']"
    )
    assert provider["attribute_mapping"]["attribute.aws_role"] == "assertion.arn.extract('assumed-role/{role}/')"
    assert inputs("hybrid-prod", "api-task-role")["name"] == "shop-hybrid-api-prod-task"
    imp = inputs("hybrid-prod", "api-gcp-impersonation")
    assert imp["role"] == "roles/iam.workloadIdentityUser"
    assert imp["service_account_id"] == Ref("api-gcp-account", "name")
    assert to_json(imp["member"])["$concat"][-1] == "/attribute.aws_role/shop-hybrid-api-prod-task"
    # the federated identity may query the warehouse and nothing else: no bucket access (BigLake delegates)
    roles = {
        r.inputs["role"]
        for r in plan("hybrid-prod").resources
        if r.type.startswith("gcp:") and r.component == "api" and "role" in r.inputs
    }
    assert roles == {"roles/iam.workloadIdentityUser", "roles/bigquery.dataViewer", "roles/bigquery.jobUser"}


def test_credential_configuration_is_delivered_without_a_key():
    param = plan("hybrid-prod").resource("api-gcp-credential-config")
    assert param.type == "aws:ssm/parameter:Parameter"
    assert param.inputs["type"] == "SecureString" and param.inputs["key_id"] == Ref("key", "arn")
    config = param.inputs["value"]
    assert isinstance(config, Json)
    assert config.value["type"] == "external_account"
    assert config.value["subject_token_type"] == "urn:ietf:params:aws:token-type:aws4_request"
    assert config.value["credential_source"]["environment_id"] == "aws1"
    keys = {k for v in walk(config.value) if isinstance(v, dict) for k in v}
    assert not keys & {"private_key", "private_key_id", "client_secret", "refresh_token", "aws_secret_access_key"}
    task_policy = inputs("hybrid-prod", "api-task-policy")["policy"].value["Statement"]
    by_sid = {s.get("Sid"): s for s in task_policy}
    assert by_sid["GcpCredentialConfig"]["Action"] == ["ssm:GetParameter"]
    assert (
        to_json(by_sid["GcpCredentialConfig"]["Resource"][0])["$concat"][-1]
        == ":parameter/shop-hybrid-api-prod/gcp-credential-config"
    )
    assert by_sid["LakeObjects"]["Action"] == ["s3:GetObject"]  # the API only queries: it reads the lake


def test_app_engine_settings_are_in_the_task_env():
    container = inputs("hybrid-prod", "api-task")["container_definitions"].value[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["STACKS_APP_BIGQUERY_PROJECT"] == "shop-analytics-prod"
    assert env["STACKS_APP_BIGQUERY_DATASET"] == Ref("warehouse-dataset", "dataset_id")
    assert env["STACKS_APP_GCP_CREDENTIAL_PARAMETER"] == "/shop-hybrid-api-prod/gcp-credential-config"
    assert to_json(env["STACKS_APP_LAKE_URI"]) == {"$concat": ["s3://", {"$ref": "lake-bucket.bucket"}, "/tables/"]}
    assert env["STACKS_APP_ENGINE"] == "bigquery" and "GOOGLE_CLOUD_PROJECT" not in env  # only what the model binds


@pytest.mark.parametrize("stack", HYBRID_STACKS)
def test_every_environment_plans_with_both_paths(stack):
    p = plan(stack)
    assert p.by_type("gcp:storage/transferJob:TransferJob")
    assert p.by_type("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
    assert {"sts.googleapis.com", "storagetransfer.googleapis.com", "iamcredentials.googleapis.com"} <= {
        r.inputs["service"] for r in p.by_type("gcp:projects/service:Service")
    }


def test_a_cross_cloud_connection_without_a_keyless_carrier_is_refused():
    """Refused by validation, located at the connection (the planner's own check stays as a backstop)."""
    with pytest.raises(StacksError) as info:
        variant(("      lake: aws\n      warehouse: gcp\n", "      lake: gcp\n      warehouse: aws\n"))
    found = [d for d in info.value.diagnostics if "crosses from" in d.message and "no keyless way" in d.message]
    assert found and all(d.path.startswith("connections[") and d.line for d in found), info.value.format()
    assert all("placement" in d.hint for d in found)


def test_everything_on_one_cloud_needs_no_cross_cloud_resources():
    from stacks.plan import build_plan

    proj = variant(("      warehouse: gcp\n", "      warehouse: aws\n"))
    p = build_plan(proj, "hybrid-prod")
    assert not p.by_type("gcp:storage/transferJob:TransferJob")
    assert not p.by_type("gcp:iam/workloadIdentityPool:WorkloadIdentityPool")
    assert p.by_type("aws:athena/workgroup:Workgroup")


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (("      api: aws\n", "      api: azure\n"), "stacks.hybrid.placement.api", "'azure' is not allowed"),
        (
            ("      ingest: aws\n", "      ingets: aws\n"),
            "stacks.hybrid.placement.ingets",
            "unknown component 'ingets'",
        ),
        (
            (
                "    gcp: {project: shop-analytics-prod, region: europe-west1}\n",
                "    gcp: {project: shop-analytics-prod, region: europe-west-1}\n",
            ),
            "stacks.hybrid.gcp.region",
            "unknown GCP region 'europe-west-1'",
        ),
        (
            (
                "    gcp: {project: shop-analytics-prod, region: europe-west1}\n",
                "    gcp: {project: Shop_Analytics, region: europe-west1}\n",
            ),
            "stacks.hybrid.gcp.project",
            "GCP project ids",
        ),
    ],
)
def test_bad_placement_or_gcp_settings_are_located_validation_errors(edit, where, message):
    with pytest.raises(StacksError) as info:
        variant(edit)
    hits = [d for d in info.value.diagnostics if message in d.format()]
    assert hits, [d.format() for d in info.value.diagnostics]
    assert hits[0].line is not None and hits[0].path.startswith(where), hits[0].format()
