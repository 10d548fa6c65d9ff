"""The real Pulumi program, run offline under mocks: what it registers is exactly the plan."""

from __future__ import annotations

import importlib
import inspect
import json
import re

import pytest

from .conftest import AWS_STACKS, ROOT


def camel(key: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_recording_is_the_plan(plans, recordings, stack):
    plan, rec = plans[stack], recordings[stack]
    planned = [(r.type, r.name, r.component) for r in plan.for_engine("pulumi")]
    recorded = [(r.type, r.name, r.component) for r in rec.resources]
    assert recorded == planned
    assert len(set(recorded)) == len(recorded)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_one_component_resource_per_model_component(plans, recordings, stack):
    rec = recordings[stack]
    kinds = {c.name: c.type for c in rec.components}
    assert kinds.pop("baseline") == "stacks:aws:Baseline"
    assert kinds == {cid: f"stacks:aws:{kind.capitalize()}" for cid, kind in plans[stack].components.items()}
    parents = {c.urn: c.name for c in rec.components}
    for res in rec.resources:
        parent_type = res.urn.split("::")[2].split("$")[-2]  # urn:pulumi:stack::project::parent$type::name
        assert parent_type.startswith("stacks:aws:"), res.urn
    assert len(parents) == len(plans[stack].components) + 1


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_no_input_vanishes(plans, recordings, stack):
    """Every input the plan sets reaches the engine (a mock missing an attribute would drop dependents)."""
    recorded = {r.name: r.inputs for r in recordings[stack].resources}
    for res in plans[stack].for_engine("pulumi"):
        got = recorded[res.name]
        for key, value in res.inputs.items():
            if value in (None, [], {}, ""):
                continue
            assert camel(key) in got, f"{res.name}: input {key} vanished"
            assert got[camel(key)] not in (None, ""), f"{res.name}: input {key} resolved to nothing"


def test_every_input_is_an_argument_of_its_class(plans):
    from deploy.realize import resource_class

    seen = set()
    for plan in plans.values():
        for res in plan.resources:
            cls = resource_class(res.type)
            params = set(inspect.signature(cls._internal_init).parameters)
            unknown = set(res.inputs) - params
            assert not unknown, f"{res.type} has no argument(s) {unknown}"
            seen.add(res.type)
    assert len(seen) > 40


def test_data_source_functions_exist(plans):
    from deploy.realize import data_function

    for data in plans["aws-prod"].data:
        assert callable(data_function(data.type, data.function))


def test_task_definition_reaches_the_engine_resolved(recordings):
    rec = recordings["aws-prod"]
    task = next(r for r in rec.resources if r.name == "api-task")
    [container] = json.loads(task.inputs["containerDefinitions"])
    assert container["image"].startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/")
    assert "@sha256:" in container["image"]
    assert container["secrets"] == [
        {"name": "STACKS_APP_API_KEY", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/shop/api-key"}
    ]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["STACKS_APP_LAKE_URI"] == "s3://shop-lake-prod-123456789012/tables/"  # the account makes it unique
    assert env["STACKS_APP_ATHENA_WORKGROUP"] == "shop-warehouse-prod"
    policy = json.loads(next(r for r in rec.resources if r.name == "api-task-policy").inputs["policy"])
    resources = {x for s in policy["Statement"] for x in s["Resource"]}
    assert "arn:aws:glue:eu-west-1:123456789012:database/shop_warehouse_prod" in resources
    service = next(r for r in rec.resources if r.name == "api-service").inputs
    assert service["networkConfiguration"]["assignPublicIp"] is False
    assert service["loadBalancers"][0]["containerPort"] == 8000


def test_stack_outputs(recordings):
    out = recordings["aws-prod"].outputs
    assert out["url"] == "https://analytics.shop.example.com"
    assert out["lake_bucket"] == "shop-lake-prod-123456789012"
    assert out["workgroup"] == "shop-warehouse-prod"
    assert out["cluster_name"] == "shop-prod" and out["api_service_name"] == "shop-api-prod"
    assert out["api_repository_url"].endswith("/shop-api-prod")
    assert recordings["aws-dev"].outputs["url"].startswith("http://")


def test_the_pulumi_project_wires_stacks_yaml(monkeypatch, plans):
    """deploy/__main__.py: the stack name selects the deployable; the program realizes its plan."""
    from deploy.offline import record

    monkeypatch.setenv("STACKS_FILE", str(ROOT / "stacks.yaml"))
    program = importlib.import_module("deploy.program")
    rec = record("aws-staging", "eu-west-1", program.main)
    assert {(r.type, r.name) for r in rec.resources} == {(r.type, r.name) for r in plans["aws-staging"].resources}
    image = next(r for r in rec.resources if r.type == "docker-build:index:Image")
    assert image.inputs["tags"][0].rsplit(":", 1)[1].startswith("ctx-")  # tag from the build context's hash
    assert image.inputs["context"]["location"] == ".."
    main = (ROOT / "deploy" / "__main__.py").read_text()
    assert "main()" in main and len(main.splitlines()) < 10


def test_project_files(bundled):
    import yaml

    project = yaml.safe_load((ROOT / "deploy" / "Pulumi.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["name"] == "shop"
    for stack in AWS_STACKS:
        config = yaml.safe_load((ROOT / "deploy" / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert config["aws:region"] == "eu-west-1"
        assert config["aws:defaultTags"]["tags"]["stack"] == stack


def test_the_static_site_reaches_the_engine_resolved(recordings):
    """The distribution gets the bucket's regional name, the OAC, the function and the headers policy it needs."""
    for stack, api_host in (
        ("aws-prod", "analytics.shop.example.com"),
        ("aws-dev", "api-alb.eu-west-1.elb.amazonaws.com"),
    ):
        rec = {r.name: r.inputs for r in recordings[stack].resources}
        dist = rec["dashboard-cdn"]
        site, api = dist["origins"]
        assert (
            site["domainName"] == "shop-dashboard-" + stack.split("-")[1] + "-123456789012.s3.eu-west-1.amazonaws.com"
        )
        assert site["originAccessControlId"] == "dashboard-oac-id"
        assert api["domainName"] == api_host
        [assoc] = dist["defaultCacheBehavior"]["functionAssociations"]
        assert assoc["functionArn"] == "arn:aws:cloudfront:eu-west-1:123456789012:dashboard-spa"
        assert dist["orderedCacheBehaviors"][0]["responseHeadersPolicyId"] == "dashboard-site-headers-id"
        policy = json.loads(rec["dashboard-site-policy"]["policy"])
        [allow] = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
        assert (
            allow["Condition"]["StringEquals"]["AWS:SourceArn"]
            == "arn:aws:cloudfront:eu-west-1:123456789012:dashboard-cdn"
        )
    out = recordings["aws-prod"].outputs
    assert out["dashboard_url"] == "https://dashboard.analytics.shop.example.com"
    assert out["dashboard_bucket"] == "shop-dashboard-prod-123456789012"
