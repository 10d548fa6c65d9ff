"""Terraform JSON from the same plan: same resources, deterministic, checkov-clean, and driven with a clear error."""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stacks.artifacts import GENERATED

from .conftest import AWS_STACKS, ROOT

_checkov: dict = {}


@pytest.fixture(scope="module")
def tf(plans):
    from deploy.terraform import render_plan

    return {name: render_plan(plan) for name, plan in plans.items()}


def addresses(doc: dict) -> set[tuple[str, str]]:
    return {(kind, name) for kind, block in doc["resource"].items() for name in block}


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_same_resources_as_the_plan(plans, tf, stack):
    from deploy.terraform import tf_type

    plan = plans[stack]
    expected = {(tf_type(r.type), r.name) for r in plan.for_engine("terraform")}
    assert addresses(tf[stack]) == expected
    # what Terraform cannot create (the image build) is an input variable instead, never silently dropped
    pulumi_only = [r for r in plan.resources if "terraform" not in r.engines]
    assert {r.replaces_var for r in pulumi_only} <= set(tf[stack].get("variable", {}))
    assert [r.type for r in pulumi_only] == ["docker-build:index:Image"] * len(pulumi_only)


def test_refs_become_interpolations(tf):
    res = tf["aws-prod"]["resource"]
    assert (
        res["aws_subnet"]["private-subnet-2"]["availability_zone"]
        == "${tolist(data.aws_availability_zones.azs.names)[1]}"
    )
    assert res["aws_ecs_service"]["api-service"]["task_definition"] == "${aws_ecs_task_definition.api-task.arn}"
    record = res["aws_route53_record"]["api-certificate-validation-record"]
    assert (
        record["name"]
        == "${tolist(aws_acm_certificate.api-certificate.domain_validation_options)[0].resource_record_name}"
    )
    assert res["aws_route53_record"]["api-dns"]["alias"][0]["name"] == "${aws_lb.api-alb.dns_name}"
    container = json.loads(res["aws_ecs_task_definition"]["api-task"]["container_definitions"])[0]
    assert container["image"] == "${var.api_image}"
    assert res["aws_ecs_service"]["api-service"]["lifecycle"] == {"ignore_changes": ["desired_count"]}
    assert res["aws_s3_bucket"]["lake-bucket"]["lifecycle"] == {"prevent_destroy": True}


def test_literal_template_syntax_is_escaped(tf):
    orders = tf["aws-prod"]["resource"]["aws_glue_catalog_table"]["warehouse-table-orders"]
    template = orders["parameters"]["storage.location.template"]
    assert template == "s3://${aws_s3_bucket.lake-bucket.bucket}/tables/orders/order_date=$${order_date}/"


def test_provider_and_header(tf):
    doc = tf["aws-prod"]
    assert doc["//"].startswith(GENERATED)
    default, us_east_1 = doc["provider"]["aws"]  # CloudFront's certificates come from us-east-1 (an alias)
    assert default["region"] == "eu-west-1" and "alias" not in default
    assert default["default_tags"]["tags"]["stack"] == "aws-prod"
    assert us_east_1["region"] == "us-east-1" and us_east_1["alias"] == "us_east_1"
    assert doc["terraform"]["required_providers"]["aws"]["source"] == "hashicorp/aws"


def test_deterministic_and_committed(bundled, plans):
    from deploy.terraform import tf_json_text, tf_path
    from stacks.plan import build_plan

    for stack in AWS_STACKS:
        text = tf_json_text(plans[stack])
        assert text == tf_json_text(build_plan(bundled, stack))
        assert (ROOT / tf_path(stack)).read_text() == text, f"{tf_path(stack)} is stale: run `stacks build`"


def _run_checkov(stack: str, tmp: Path, text: str):
    from deploy.checkov import run_checkov

    path = tmp / stack / "main.tf.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    return run_checkov(path, ROOT)


@pytest.fixture(scope="module")
def checkov_results(plans, tmp_path_factory):
    from deploy.terraform import tf_json_text

    if not _checkov:
        tmp = tmp_path_factory.mktemp("checkov")
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {s: pool.submit(_run_checkov, s, tmp, tf_json_text(plans[s])) for s in AWS_STACKS}
        _checkov.update({s: f.result() for s, f in futures.items()})
    return _checkov


@pytest.mark.slow
@pytest.mark.parametrize("stack", AWS_STACKS)
def test_checkov_has_no_unwaived_failure(checkov_results, stack):
    result = checkov_results[stack]
    assert not result.parsing_errors, result.parsing_errors
    assert result.failed == [], "\n".join(f"{f['check']} {f['resource']}: {f['name']}" for f in result.failed)
    assert result.passed > 150


@pytest.mark.slow
@pytest.mark.parametrize("stack", AWS_STACKS)
def test_every_waiver_is_needed_and_explained(checkov_results, tf, stack):
    from deploy.checkov import waivers_in

    declared = {(addr, check) for addr, checks in waivers_in(tf[stack]).items() for check in checks}
    used = {(w["resource"], w["check"]) for w in checkov_results[stack].waived}
    assert declared == used, f"unused waivers: {declared - used}"
    for reasons in waivers_in(tf[stack]).values():
        for reason in reasons.values():
            assert len(reason) > 30


def test_terraform_missing_is_a_clear_error(monkeypatch, bundled, tmp_path):
    from deploy.cloud import terraform
    from stacks.errors import StacksError

    project = _copy_project(bundled, tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(StacksError, match="terraform binary is not installed") as info:
        terraform(project, "aws-dev", ["init"])
    assert "install Terraform" in info.value.hint
    assert (tmp_path / "deploy/terraform/aws-dev/main.tf.json").is_file()  # the JSON is written regardless


def test_terraform_without_providers_is_a_clear_error(monkeypatch, bundled, tmp_path):
    """A real `terraform init` through python-terraform against an empty provider mirror."""
    from deploy.cloud import terraform
    from stacks.errors import StacksError

    if shutil.which("terraform") is None:
        pytest.fail(
            "terraform is not installed: install Terraform >= 1.6 "
            "(https://developer.hashicorp.com/terraform/install) to run this test"
        )
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rc = tmp_path / "terraformrc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(rc))
    project = _copy_project(bundled, tmp_path)
    with pytest.raises(StacksError, match="terraform init failed") as info:
        terraform(project, "aws-dev", ["init"])
    assert "hashicorp/aws" in info.value.message
    assert "provider" in info.value.hint


def test_terraform_plan_before_init_says_to_init(bundled, tmp_path):
    from deploy.cloud import terraform
    from stacks.errors import StacksError

    if shutil.which("terraform") is None:
        pytest.fail("terraform is not installed: install Terraform >= 1.6 to run this test")
    project = _copy_project(bundled, tmp_path)
    with pytest.raises(StacksError, match="terraform plan failed") as info:
        terraform(project, "aws-dev", ["plan"])
    assert "--init" in (info.value.hint or "")


def _copy_project(bundled, tmp_path: Path):
    from stacks.project import load_project

    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    os.makedirs(tmp_path / "deploy", exist_ok=True)
    return load_project(tmp_path / "stacks.yaml")
