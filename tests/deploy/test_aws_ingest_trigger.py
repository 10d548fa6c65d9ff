"""Files dropped under the lake's incoming/ run the ingest job: S3 -> EventBridge -> ECS RunTask (aws and
hybrid), with a role that may run that task family on that cluster and pass its two roles, nothing else."""

from __future__ import annotations

import json

from stacks.plan.core import Ref, to_json

from .gcp_support import plan as hybrid_plan


def _trigger(p):
    return {r.name: r for r in p.of_component("ingest")}


def _all(plans):
    return [*plans.values(), *(hybrid_plan(n) for n in ("hybrid-dev", "hybrid-prod"))]


def test_lake_bucket_sends_object_events_to_eventbridge(plans):
    for p in _all(plans):
        note = _trigger(p)["ingest-lake-events"]
        assert note.type == "aws:s3/bucketNotification:BucketNotification"
        assert note.inputs == {"bucket": Ref("lake-bucket", "id"), "eventbridge": True}
        # The lake's "no event consumer" waiver went away with the consumer.
        assert "CKV2_AWS_62" not in p.resource("lake-bucket").waivers


def test_rule_matches_objects_created_under_incoming_only(plans):
    for p in _all(plans):
        rule = _trigger(p)["ingest-incoming"]
        assert rule.type == "aws:cloudwatch/eventRule:EventRule"
        pattern = to_json(rule.inputs["event_pattern"])["$json"]
        assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
        assert pattern["detail"]["bucket"]["name"] == [{"$ref": "lake-bucket.bucket"}]
        assert pattern["detail"]["object"]["key"] == [{"prefix": "incoming/"}]


def test_target_runs_the_ingest_task_on_incoming_in_append_mode(plans):
    for p in _all(plans):
        target = _trigger(p)["ingest-incoming-target"]
        assert target.type == "aws:cloudwatch/eventTarget:EventTarget"
        i = target.inputs
        assert i["rule"] == Ref("ingest-incoming", "name") and i["arn"] == Ref("cluster", "arn")
        assert i["role_arn"] == Ref("ingest-events-role", "arn")
        ecs = i["ecs_target"]
        assert ecs["task_definition_arn"] == Ref("ingest-task", "arn_without_revision")
        assert ecs["launch_type"] == "FARGATE" and ecs["task_count"] == 1
        assert ecs["network_configuration"]["assign_public_ip"] is False
        assert ecs["network_configuration"]["security_groups"] == [Ref("ingest-sg")]
        override = to_json(i["input"])["$json"]["containerOverrides"]
        assert override == [
            {
                "name": "ingest",
                "command": [
                    "python",
                    "-m",
                    "app.ingest",
                    "--source",
                    {"$concat": ["s3://", {"$ref": "lake-bucket.bucket"}, "/incoming/"]},
                    "--mode",
                    "append",
                ],
            }
        ]
        # The container the override names is the task definition's container.
        containers = to_json(p.resource("ingest-task").inputs["container_definitions"])
        assert "ingest" in [c["name"] for c in containers["$json"]]


def test_events_role_is_least_privilege(plans):
    for p in _all(plans):
        role = _trigger(p)["ingest-events-role"].inputs
        trust = to_json(role["assume_role_policy"])["$json"]["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": "events.amazonaws.com"}]
        statements = to_json(_trigger(p)["ingest-events-policy"].inputs["policy"])["$json"]["Statement"]
        assert len(statements) == 2 and all(s["Effect"] == "Allow" for s in statements)
        run, pass_ = statements
        assert run["Action"] == ["ecs:RunTask"]
        family = {"$ref": "ingest-task.arn_without_revision"}
        assert run["Resource"] == [family, {"$concat": [family, ":*"]}]  # that family's revisions only
        assert run["Condition"] == {"ArnEquals": {"ecs:cluster": {"$ref": "cluster.arn"}}}
        assert pass_["Action"] == ["iam:PassRole"]
        assert pass_["Resource"] == [{"$ref": "ingest-execution-role.arn"}, {"$ref": "ingest-task-role.arn"}]
        assert '"*"' not in json.dumps([run["Resource"], pass_["Resource"]])  # no wildcard resource


def test_jobs_that_do_not_ingest_from_the_lake_get_no_trigger(plans):
    p = plans["aws-dev"]
    assert not [r for r in p.of_component("seed") if r.type.startswith("aws:cloudwatch/event")]
    events = [r for r in p.resources if r.type == "aws:cloudwatch/eventRule:EventRule"]
    assert [r.name for r in events] == ["ingest-incoming"]
