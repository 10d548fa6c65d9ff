"""The function kind: Lambda on AWS, an internal Cloud Run service on GCP, a container in compose, with triggers."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
import yaml

from stacks.errors import StacksError
from stacks.plan.core import Ref, to_json

ROOT = Path(__file__).resolve().parents[2]

SYSTEM = """
version: 1
system: {name: orbit}
environments: [dev, prod]
components:
  thumbs:
    kind: function
    build: {context: ., dockerfile: Dockerfile}
    concurrency: 20
    timeout: 120
    resources: {cpu: 1, memory: 2048}
    secrets: {SIGNING_KEY: orbit/signing-key}
    env: {DB_HOST: "${db.host}", UPLOADS_BUCKET: "${uploads.name}"}
    triggers:
      - {bucket: uploads, prefix: incoming/}
      - {schedule: "0 3 * * *"}
      - {queue: jobs}
  uploads: {kind: bucket, purpose: assets}
  jobs: {kind: queue}
  db: {kind: database}
connections:
  - {from: thumbs, to: uploads, protocol: s3}
  - {from: thumbs, to: db, protocol: postgres}
stacks:
  aws: {target: aws, region: eu-west-1, environments: {dev: {}, prod: {deletion_protection: true}}}
  gcp:
    target: gcp
    project: orbit-prod-1
    region: europe-west1
    environments: {dev: {}, prod: {deletion_protection: true}}
  local: {target: compose, environments: {dev: {}, prod: {}}}
"""


@cache
def project(text: str = SYSTEM):
    from stacks.project import project_from_text

    return project_from_text(text, root=ROOT)


@cache
def plan(name: str):
    from stacks.plan import build_plan

    return build_plan(project(), name)


def test_lambda_from_the_image_with_tracing_dlq_reserved_concurrency_and_vpc():
    p = plan("aws-prod")
    fn = p.resource("thumbs-function").inputs
    assert fn["package_type"] == "Image" and fn["image_uri"] == Ref("thumbs-image", "ref")
    assert (fn["memory_size"], fn["timeout"], fn["reserved_concurrent_executions"]) == (2048, 120, 20)
    assert fn["tracing_config"] == {"mode": "Active"} and fn["kms_key_arn"] == Ref("key", "arn")
    assert fn["dead_letter_config"]["target_arn"] == Ref("thumbs-dead-letters", "arn")
    assert fn["vpc_config"]["security_group_ids"] == [Ref("thumbs-sg")]  # connected to the database
    assert p.resource("db-from-thumbs").inputs["referenced_security_group_id"] == Ref("thumbs-sg")
    env = fn["environment"]["variables"]
    assert env["DB_HOST"] == Ref("db-db", "address") and env["UPLOADS_BUCKET"] == Ref("uploads-bucket", "bucket")
    assert "SIGNING_KEY" not in env and "SIGNING_KEY_PARAMETER" in env  # a reference, never the value
    role = json.dumps(to_json(p.resource("thumbs-function-policy").inputs["policy"]))
    assert "rds-db:connect" in role and "sqs:ReceiveMessage" in role and "ssm:GetParameter" in role


def test_aws_triggers_schedule_queue_and_bucket_prefix():
    p = plan("aws-prod")
    schedule = p.resource("thumbs-schedule-1").inputs
    assert schedule["schedule_expression"] == "cron(0 3 * * ? *)"
    assert schedule["target"]["arn"] == Ref("thumbs-function", "arn")
    mapping = p.resource("thumbs-from-jobs").inputs
    assert mapping["event_source_arn"] == Ref("jobs-queue", "arn")
    rule = p.resource("thumbs-objects-0").inputs
    pattern = json.dumps(to_json(rule["event_pattern"]))
    assert '"prefix": "incoming/"' in pattern and "uploads-bucket" in pattern
    assert p.resource("thumbs-objects-0-may-invoke").inputs["principal"] == "events.amazonaws.com"
    assert len(p.by_type("aws:s3/bucketNotification:BucketNotification")) == 1


def test_gcp_function_is_an_internal_cloud_run_service_invoked_by_its_triggers():
    p = plan("gcp-prod")
    svc = p.resource("thumbs-service").inputs
    assert svc["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert svc["template"]["scaling"]["max_instance_count"] == 20
    assert svc["template"]["vpc_access"]["egress"] == "PRIVATE_RANGES_ONLY"  # reaches Cloud SQL
    invoke = p.resource("thumbs-triggers-invoke").inputs
    assert invoke["role"] == "roles/run.invoker" and invoke["name"] == Ref("thumbs-service", "name")
    sched = p.resource("thumbs-schedule-1").inputs["http_target"]
    assert sched["oidc_token"]["service_account_email"] == Ref("thumbs-trigger-account", "email")
    push = p.resource("thumbs-from-jobs").inputs
    assert push["topic"] == Ref("jobs-topic", "id") and push["push_config"]["push_endpoint"] == Ref(
        "thumbs-service", "uri"
    )
    note = p.resource("thumbs-objects-0-notification").inputs
    assert note["object_name_prefix"] == "incoming/" and note["event_types"] == ["OBJECT_FINALIZE"]


def test_compose_runs_the_function_as_a_container_on_its_port():
    from deploy.compose import local

    (plan_,) = [c for c in local.plan(project()) if c.stack == "local"]
    services = {s.name: s.body for s in plan_.services}
    fn = services["thumbs"]
    assert (fn.get("ports") or fn.get("expose"))[0].endswith("8080") and "build" in fn
    assert fn["environment"]["DB_HOST"] == "db"  # the model's binding, resolved to the postgres container


def test_trigger_errors_are_located():
    with pytest.raises(StacksError) as info:
        project(SYSTEM.replace("{queue: jobs}", "{queue: uploads}"))
    messages = {d.path: d.message for d in info.value.diagnostics}
    assert "'uploads' is a bucket, not a queue" in messages["components.thumbs.triggers[2].queue"]
    with pytest.raises(StacksError) as info:
        project(SYSTEM.replace("{schedule:", "{http: true, schedule:"))
    assert any("exactly one of" in d.message for d in info.value.diagnostics)


def test_lambda_memory_is_checked_at_validation():
    with pytest.raises(StacksError) as info:
        project(SYSTEM.replace("memory: 2048}", "memory: 20480}"))
    assert any("Lambda takes 128-10240 MiB" in d.message for d in info.value.diagnostics)


def test_terraform_and_pulumi_render_every_function_resource():
    from deploy.offline import run_offline
    from deploy.terraform import render_plan

    for name in ("aws-prod", "gcp-prod"):
        p = plan(name)
        tf = render_plan(p)
        recorded = {r.name for r in run_offline(p).resources}
        assert {r.name for r in p.resources if "pulumi" in r.engines} == recorded
        if name == "aws-prod":
            fn = tf["resource"]["aws_lambda_function"]["thumbs-function"]
            assert fn["function_name"] == "orbit-thumbs-prod" and "name" not in fn
            perm = tf["resource"]["aws_lambda_permission"]["thumbs-objects-0-may-invoke"]
            assert perm["function_name"] == "${aws_lambda_function.thumbs-function.function_name}"
        else:
            assert "google_storage_notification" in tf["resource"]


@pytest.mark.slow
def test_checkov_has_no_unwaived_failure(tmp_path):
    from deploy.checkov import run_checkov
    from deploy.terraform import tf_json_text

    for name in ("aws-prod", "gcp-prod"):
        path = tmp_path / name / "main.tf.json"
        path.parent.mkdir()
        path.write_text(tf_json_text(plan(name)))
        result = run_checkov(path, ROOT)
        assert result.failed == [], name + ": " + yaml.safe_dump(result.failed)
