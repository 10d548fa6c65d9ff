"""Every plan's nested inputs against the Pulumi SDKs' Args classes, and its AWS JSON payloads against botocore.

Over the bundled stacks and the every-kind model: a typo in a nested dict, a
missing required argument or a container definition field ECS does not know
fails here instead of at the first ``pulumi up``.
"""

from __future__ import annotations

import dataclasses

import pytest

from stacks.plan import build_plan, cloud_deployables
from stacks.plan.core import Json
from tests.deploy.sdk_checks import payload_problems, payloads, pulumi_problems


@pytest.fixture(scope="module")
def every_plan(bundled, every_kind_project):
    return {
        f"{label}:{name}": build_plan(project, name)
        for label, project in (("bundled", bundled), ("every-kind", every_kind_project))
        for name in cloud_deployables(project)
    }


def test_every_input_of_every_resource_is_an_argument_of_its_sdk_args_class(every_plan):
    problems = {key: found for key, plan in every_plan.items() if (found := pulumi_problems(plan))}
    assert problems == {}


def test_ecs_container_definitions_and_run_task_overrides_match_botocores_model(every_plan):
    kinds = {where.split(".", 1)[1] for plan in every_plan.values() for where, *_ in payloads(plan)}
    assert kinds == {"container_definitions", "input"}  # both shapes are exercised
    problems = {key: found for key, plan in every_plan.items() if (found := payload_problems(plan))}
    assert problems == {}


def test_the_checks_report_typos_a_real_provider_would_refuse(every_plan):
    plan = every_plan["bundled:aws-prod"]
    task = plan.resource("api-task")
    [container] = task.inputs["container_definitions"].value
    bad_container = {**container, "readOnlyRootFileSystem": True, "essential": "yes"}
    alb = plan.resource("api-tg")
    bad_tg = {**alb.inputs, "health_check": {**alb.inputs["health_check"], "pathh": "/health"}}
    bad = dataclasses.replace(
        plan,
        resources=tuple(
            dataclasses.replace(r, inputs={**r.inputs, "container_definitions": Json([bad_container])})
            if r.name == "api-task"
            else dataclasses.replace(r, inputs=bad_tg)
            if r.name == "api-tg"
            else r
            for r in plan.resources
        ),
    )
    sdk = "\n".join(pulumi_problems(bad))
    assert "TargetGroupHealthCheckArgs has no argument 'pathh' (did you mean 'path'?)" in sdk
    boto = "\n".join(payload_problems(bad))
    assert "has no member 'readOnlyRootFileSystem' (did you mean 'readonlyRootFilesystem'?)" in boto
    assert "essential: expected boolean" in boto
