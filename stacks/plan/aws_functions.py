"""The ``function`` kind on AWS: a Lambda function from the component's container image, and its triggers.

A function is the same image on every target: on AWS it runs as a Lambda
function (``package_type: Image``, the image pulled by digest from the stack's
ECR repository, so it must speak the Lambda runtime API: built on an AWS Lambda
base image, or with the Lambda Web Adapter for an HTTP server). Its role holds
what its connections need (the same ``_data_access`` a Fargate task gets),
X-Ray tracing and the stack key's environment encryption are on, failed
asynchronous invocations land in a KMS-encrypted dead-letter queue, and its
concurrency is reserved (``concurrency``). Connected to a database or cache it
runs in the private subnets with its own security group.

Triggers: a cron ``schedule`` (EventBridge Scheduler), a ``queue`` (an SQS event
source mapping), a ``bucket`` ``prefix`` (S3 -> EventBridge -> the function) or
``http`` (a gateway route, planned by the gateway).
"""

from __future__ import annotations

from typing import Any

from stacks.errors import StacksError
from stacks.model import Function
from stacks.plan.aws import (
    AwsPlanner,
    _data_access,
    _image,
    _secret_arn,
    allow,
    assume_role,
    aws_cron,
    eventbridge_on,
    policy,
    workload_security_group,
)
from stacks.plan.core import Json, Ref, concat
from stacks.project import DeployedComponent

LAMBDA_ARCH = "x86_64"


def _role(p: AwsPlanner, comp: DeployedComponent[Function], logs: str, dlq: str) -> tuple[str, dict[str, Any]]:
    """The function's role: logs, tracing, its dead-letter queue, its secrets and what its connections need."""
    cid, model = comp.id, comp.component
    statements = _data_access(p, cid)
    env, bound_secrets = p.bound_env(comp)
    if bound_secrets:
        raise StacksError(
            f"{cid}: Lambda injects no secrets, so a function on AWS cannot receive {', '.join(sorted(bound_secrets))}",
            hint="read the secret from its store at start instead, or run it as a service",
        )
    statements += [
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [concat(Ref(logs, "arn"), ":*")], sid="Logs"),
        # X-Ray takes no resource-level permissions.
        allow(["xray:PutTelemetryRecords", "xray:PutTraceSegments"], ["*"], sid="Tracing"),
        allow(["sqs:SendMessage"], [Ref(dlq, "arn")], sid="DeadLetters"),
        allow(["kms:Decrypt", "kms:GenerateDataKey"], [Ref("key", "arn")], sid="EnvironmentKey"),
    ]
    secrets = model.secrets
    if secrets:
        statements.append(
            allow(
                ["ssm:GetParameter", "ssm:GetParameters"], [_secret_arn(p, s) for s in secrets.values()], sid="Secrets"
            )
        )
        # Lambda injects no secrets: the function reads each parameter named here at start.
        env.update({f"{var}_PARAMETER": _secret_arn(p, ref) for var, ref in secrets.items()})
    for trigger in model.triggers:
        if trigger.queue and trigger.queue in p.facts.get("queues", {}):
            queue = p.facts["queues"][trigger.queue]
            statements.append(
                allow(
                    [
                        "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:ReceiveMessage",
                    ],
                    [Ref(queue, "arn")],
                )
            )
    role = f"{cid}-function-role"
    p.add(
        "aws:iam/role:Role",
        role,
        {
            "name": p.name(cid, "lambda"),
            "assume_role_policy": assume_role("lambda.amazonaws.com"),
            "description": f"what the function {cid} may do",
        },
        cid,
        group="global",
    )
    p.add(
        "aws:iam/rolePolicy:RolePolicy",
        f"{cid}-function-policy",
        {"role": Ref(role, "name"), "policy": policy(*statements)},
        cid,
        group="global",
    )
    return role, env


def _network(p: AwsPlanner, cid: str) -> dict[str, Any] | None:
    """Private subnets and a security group when the function reaches a database, cache or a service it
    calls (by its Cloud Map name), else None."""
    near = {c.to for c in p.project.model.connections if c.from_ == cid} | {
        c.from_ for c in p.project.model.connections if c.to == cid
    }
    calls = {c.to for c in p.project.model.connections if c.from_ == cid and c.flow == "request"}
    if not near & set(p.facts.get("stores", {})) and not calls & set(p.facts.get("registries", {})):
        return None  # reaches AWS APIs only: no VPC
    sg = workload_security_group(p, cid, "lambda", f"the function {cid}")
    return {"subnet_ids": [Ref(s) for s in p.facts["private_subnets"]], "security_group_ids": [Ref(sg)]}


def build_function(p: AwsPlanner, comp: DeployedComponent[Function]) -> None:
    cid, model = comp.id, comp.component
    if model.image and ".dkr.ecr." not in model.image:
        raise StacksError(
            f"{cid}: Lambda runs images from ECR only, not {model.image}",
            hint=f"give components.{cid} a build: so the plan pushes the image to the stack's ECR repository",
        )
    image = _image(p, comp)
    name = p.name(cid)
    logs = p.log_group(f"{cid}-logs", f"/aws/lambda/{name}", cid)
    dlq = f"{cid}-dead-letters"
    p.add(
        "aws:sqs/queue:Queue",
        dlq,
        {"name": p.name(cid, "dlq"), "message_retention_seconds": 1209600, "kms_master_key_id": Ref("key", "arn")},
        cid,
        group="region",
    )
    role, env = _role(p, comp, logs, dlq)
    vpc = _network(p, cid)
    inputs: dict[str, Any] = {
        "name": name,
        "description": getattr(model, "description", "") or f"{cid} ({p.deployment.name})",
        "package_type": "Image",
        "image_uri": image,
        "role": Ref(role, "arn"),
        "architectures": [LAMBDA_ARCH],
        "memory_size": comp.resources.memory if comp.resources else 1024,
        "timeout": model.timeout,
        "reserved_concurrent_executions": model.concurrency,
        "kms_key_arn": Ref("key", "arn"),
        "tracing_config": {"mode": "Active"},
        "dead_letter_config": {"target_arn": Ref(dlq, "arn")},
        "logging_config": {"log_format": "JSON", "log_group": Ref(logs, "name")},
        "environment": {"variables": env},
    }
    if model.command:
        inputs["image_config"] = {"commands": list(model.command)}
    if vpc:
        inputs["vpc_config"] = vpc
    waivers = {
        "CKV_AWS_272": "code signing applies to zip packages; the image is pulled by digest from the stack's "
        "immutable, scan-on-push ECR repository",
    }
    if not vpc:
        waivers["CKV_AWS_117"] = f"{cid} connects to no database or cache: it needs no VPC, only AWS APIs"
    fn = f"{cid}-function"
    p.add(
        "aws:lambda/function:Function",
        fn,
        inputs,
        cid,
        group="private" if vpc else "region",
        depends_on=(f"{cid}-function-policy",),
        waivers=waivers,
    )
    p.facts.setdefault("functions", {})[cid] = fn
    for i, trigger in enumerate(model.triggers):
        _trigger(p, cid, fn, i, trigger)
    p.output(f"{cid.replace('-', '_')}_function", Ref(fn, "name"), f"Lambda function of {cid}")


def _invoke_role(p: AwsPlanner, cid: str, fn: str, service: str) -> str:
    role = f"{cid}-invoker-role"
    if not any(r.name == role for r in p.resources):
        p.add(
            "aws:iam/role:Role",
            role,
            {"name": p.name(cid, "invoker"), "assume_role_policy": assume_role(service)},
            cid,
            group="global",
        )
        p.add(
            "aws:iam/rolePolicy:RolePolicy",
            f"{cid}-invoker-policy",
            {"role": Ref(role, "name"), "policy": policy(allow(["lambda:InvokeFunction"], [Ref(fn, "arn")]))},
            cid,
            group="global",
        )
    return role


def _trigger(p: AwsPlanner, cid: str, fn: str, i: int, trigger: Any) -> None:
    if trigger.schedule:
        role = _invoke_role(p, cid, fn, "scheduler.amazonaws.com")
        p.add(
            "aws:scheduler/schedule:Schedule",
            f"{cid}-schedule-{i}",
            {
                "name": p.name(cid, f"t{i}"),
                "schedule_expression": aws_cron(trigger.schedule),
                "flexible_time_window": {"mode": "OFF"},
                "target": {"arn": Ref(fn, "arn"), "role_arn": Ref(role, "arn")},
            },
            cid,
            group="region",
            waivers={"CKV_AWS_297": "the schedule carries no payload, only the function's ARN and the invoker role"},
        )
    elif trigger.queue:
        queue = p.facts.get("queues", {}).get(trigger.queue)
        if queue is None:
            raise StacksError(
                f"{cid}: its trigger queue '{trigger.queue}' is not deployed by {p.deployment.name}",
                hint=f"deploy '{trigger.queue}' in the same stack",
            )
        p.add(
            "aws:lambda/eventSourceMapping:EventSourceMapping",
            f"{cid}-from-{trigger.queue}",
            {
                "event_source_arn": Ref(queue, "arn"),
                "function_name": Ref(fn, "arn"),
                "batch_size": 10,
                "function_response_types": ["ReportBatchItemFailures"],
            },
            cid,
            group="region",
        )
    elif trigger.bucket:
        bucket = p.facts.get("buckets", {}).get(trigger.bucket)
        if bucket is None:
            raise StacksError(
                f"{cid}: its trigger bucket '{trigger.bucket}' is not deployed by {p.deployment.name}",
                hint=f"deploy '{trigger.bucket}' in the same stack",
            )
        eventbridge_on(p, bucket, f"{bucket}-eventbridge", cid)
        key: dict[str, Any] = {"key": [{"prefix": trigger.prefix}]} if trigger.prefix else {}
        where = f"{trigger.bucket} under {trigger.prefix}" if trigger.prefix else trigger.bucket
        rule = f"{cid}-objects-{i}"
        p.add(
            "aws:cloudwatch/eventRule:EventRule",
            rule,
            {
                "name": p.name(cid, f"t{i}"),
                "description": f"objects created in {where} invoke {cid}",
                "event_pattern": Json(
                    {
                        "source": ["aws.s3"],
                        "detail-type": ["Object Created"],
                        "detail": {"bucket": {"name": [Ref(bucket, "bucket")]}, **({"object": key} if key else {})},
                    }
                ),
            },
            cid,
            group="region",
        )
        p.add(
            "aws:cloudwatch/eventTarget:EventTarget",
            f"{rule}-target",
            {"rule": Ref(rule, "name"), "arn": Ref(fn, "arn")},
            cid,
            group="region",
        )
        p.add(
            "aws:lambda/permission:Permission",
            f"{rule}-may-invoke",
            {
                "action": "lambda:InvokeFunction",
                "function": Ref(fn, "name"),
                "principal": "events.amazonaws.com",
                "source_arn": Ref(rule, "arn"),
            },
            cid,
            group="region",
        )
