"""Security policies over the plan: the bundled stacks pass, and each policy catches what it is about."""

from __future__ import annotations

import dataclasses
import re

import pytest

from stacks.plan.core import Json, Ref
from stacks.plan.policies import POLICIES, check_policies

from .conftest import AWS_STACKS, ROOT, variant


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_bundled_stacks_pass_every_policy(plans, stack):
    assert check_policies(plans[stack]) == []


def _replace(plan, name, **inputs):
    res = plan.resource(name)
    new = dataclasses.replace(res, inputs={**res.inputs, **inputs})
    return dataclasses.replace(plan, resources=tuple(new if r.name == name else r for r in plan.resources))


def _drop(plan, name):
    return dataclasses.replace(plan, resources=tuple(r for r in plan.resources if r.name != name))


def _policy(plan, policy):
    return [str(v) for v in POLICIES[policy](plan)]


def test_public_bucket_is_caught(plans):
    plan = plans["aws-prod"]
    assert _policy(_replace(plan, "lake-bucket-public-access", block_public_policy=False), "no-public-bucket")
    assert _policy(_drop(plan, "lake-bucket-ownership"), "no-public-bucket")
    public = Json(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "x"}],
        }
    )
    found = _policy(_replace(plan, "lake-bucket-policy", policy=public), "no-public-bucket")
    assert any("allows every principal" in v for v in found) and any("without TLS" in v for v in found)


def test_unencrypted_storage_is_caught(plans):
    plan = plans["aws-prod"]
    assert _policy(_drop(plan, "lake-bucket-encryption"), "encryption-at-rest") == [
        "encryption-at-rest: lake-bucket: aws:s3/bucket:Bucket is not encrypted at rest"
    ]
    assert _policy(_replace(plan, "api-logs", kms_key_id=None), "encryption-at-rest")
    assert _policy(_replace(plan, "alerts", kms_master_key_id=None), "encryption-at-rest")
    assert _policy(_replace(plan, "api-repository", encryption_configurations=[]), "encryption-at-rest")


def test_open_ingress_is_caught_except_alb_80_443(plans):
    plan = plans["aws-prod"]
    assert _policy(plan, "no-open-ingress") == []
    bad_port = _replace(plan, "api-alb-in-443", from_port=22, to_port=22)
    assert _policy(bad_port, "no-open-ingress") == [
        "no-open-ingress: api-alb-in-443: opens ports (22, 22) to the internet; only 80/443 may"
    ]
    open_tasks = _replace(plan, "api-tasks-from-alb", cidr_ipv4="0.0.0.0/0", referenced_security_group_id=None)
    assert "not a load balancer's" in _policy(open_tasks, "no-open-ingress")[0]


def test_public_tasks_are_caught(plans):
    plan = plans["aws-prod"]
    svc = plan.resource("api-service").inputs
    public_ip = {**svc["network_configuration"], "assign_public_ip": True}
    assert "public IP" in _policy(_replace(plan, "api-service", network_configuration=public_ip), "tasks-private")[0]
    public_subnet = {**svc["network_configuration"], "subnets": [Ref("public-subnet-1")]}
    found = _policy(_replace(plan, "api-service", network_configuration=public_subnet), "tasks-private")
    assert "outside the private subnets" in found[0]


def test_iam_star_is_caught(plans):
    plan = plans["aws-prod"]
    star = Json({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]})
    found = _policy(_replace(plan, "api-task-policy", policy=star), "iam-no-star")
    assert any("every action" in v for v in found) and any("every resource" in v for v in found)
    # the only waiver is the key policy's, and it says why
    waived = {r.name: r.waivers["iam-no-star"] for r in plan.resources if "iam-no-star" in r.waivers}
    assert list(waived) == ["key"] and "key policy" in waived["key"]


def test_missing_log_retention_is_caught(plans):
    assert _policy(_replace(plans["aws-dev"], "api-logs", retention_in_days=None), "log-retention")


def test_plain_secret_env_is_caught(plans):
    plan = plans["aws-prod"]
    defs = plan.resource("api-task").inputs["container_definitions"].value
    leaked = [{**defs[0], "environment": [*defs[0]["environment"], {"name": "DB_PASSWORD", "value": "hunter2"}]}]
    found = _policy(_replace(plan, "api-task", container_definitions=Json(leaked)), "secrets-by-reference")
    assert found == ["secrets-by-reference: api-task: DB_PASSWORD is passed as plain env"]


def test_policy_violations_stop_the_plan(monkeypatch, bundled):
    from stacks.errors import StacksError
    from stacks.plan import aws, build_plan

    original = aws._access_logs

    def leaky(p):
        original(p)
        p.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "ssh-open",
            {
                "security_group_id": Ref("default-sg"),
                "ip_protocol": "tcp",
                "from_port": 22,
                "to_port": 22,
                "cidr_ipv4": "0.0.0.0/0",
            },
        )

    monkeypatch.setattr(aws, "_access_logs", leaky)
    with pytest.raises(StacksError, match="breaks 1 security policy") as info:
        build_plan(bundled, "aws-dev")
    assert "ssh-open" in info.value.message


SECRET_PATTERNS = re.compile(r"(AKIA[0-9A-Z]{16}|BEGIN [A-Z ]*PRIVATE KEY|mock-token|hunter2)")


def test_no_secret_value_in_any_generated_cloud_file(bundled, plans):
    """Generated cloud files hold secret names (SSM ARNs) only: never a value."""
    from deploy.pulumi_config import project_file, stack_file
    from deploy.terraform import tf_json_text

    files = {"Pulumi.yaml": project_file(bundled)}
    for name, plan in plans.items():
        files[f"Pulumi.{name}.yaml"] = stack_file(plan)
        files[f"{name}/main.tf.json"] = tf_json_text(plan)
    for path, text in files.items():
        assert not SECRET_PATTERNS.search(text), path
    prod = files["aws-prod/main.tf.json"]
    assert "parameter/shop/api-key" in prod  # the reference is there ...
    assert '\\"name\\":\\"STACKS_APP_API_KEY\\",\\"valueFrom\\"' in prod  # ... as a secret, not as env
    assert (ROOT / "deploy").is_dir()


@pytest.mark.parametrize(
    ("edit", "where", "message"),
    [
        (
            (
                "api: {resources: {cpu: 2, memory: 4096}, scale: {min: 2, max: 8, target_cpu: 60}}",
                "api: {resources: {cpu: 2, memory: 3000}, scale: {min: 2, max: 8, target_cpu: 60}}",
            ),
            "stacks.aws.environments.prod.components.api.resources",
            "Fargate with 2.0 vCPU takes 4096-16384 MiB",
        ),
        (
            ("    resources: {cpu: 1, memory: 2048}\n    scale:", "    resources: {cpu: 3, memory: 2048}\n    scale:"),
            "components.api.resources",
            "Fargate has no 3.0 vCPU size",
        ),
        (
            ("system:\n  name: shop\n", "system:\n  name: shop-analytics-platform-data-engineering\n"),
            "components.warehouse",
            "S3 bucket name 'shop-analytics-platform-data-engineering-warehouse-staging-results'",
        ),
        (
            (
                "    region: eu-west-1\n    environments:\n      dev:\n        nat: single",
                "    region: eu-wset-1\n    environments:\n      dev:\n        nat: single",
            ),
            "stacks.aws.region",
            "unknown AWS region 'eu-wset-1'",
        ),
    ],
)
def test_bad_input_is_a_located_validation_error(edit, where, message):
    from stacks.errors import StacksError

    with pytest.raises(StacksError) as info:
        variant(edit)
    hits = [d for d in info.value.diagnostics if message in d.message]
    assert hits, [d.format() for d in info.value.diagnostics]
    assert hits[0].line is not None and hits[0].path.startswith(where), hits[0].format()


def test_too_long_queue_name_is_located():
    from stacks.errors import StacksError

    long_system = "system:\n  name: shop-analytics-platform-data-engineering\n"
    queue = "  events-from-the-storefront-x:\n    kind: queue\n    fifo: true\n\n  lake:\n"
    text = (ROOT / "stacks.yaml").read_text().replace("system:\n  name: shop\n", long_system, 1)
    text = text.replace("  lake:\n", queue, 1)
    from stacks.project import project_from_text

    with pytest.raises(StacksError) as info:
        project_from_text(text, root=ROOT)
    [hit] = [d for d in info.value.diagnostics if "SQS queue" in d.message and "aws-dev" in d.message]
    assert hit.path == "components.events-from-the-storefront-x" and "at most 80" in hit.message
