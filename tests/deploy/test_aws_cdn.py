"""An aws environment with `cdn: true`: CloudFront in front of the ALB, rendered consistently everywhere."""

from __future__ import annotations

import json

import pytest

from stacks.plan.core import Ref

from .conftest import ROOT, variant

ZONE = "        dns_zone: shop.example.com\n"


@pytest.fixture(scope="module")
def cdn_project():
    return variant((ZONE, ZONE + "        cdn: true\n"))


@pytest.fixture(scope="module")
def cdn_plan(cdn_project):
    from stacks.plan import build_plan

    return build_plan(cdn_project, "aws-prod")


def test_cloudfront_fronts_the_load_balancer(cdn_plan):
    dist = cdn_plan.resource("api-cdn").inputs
    assert dist["aliases"] == ["analytics.shop.example.com"]
    assert dist["origins"][0]["domain_name"] == "origin.analytics.shop.example.com"
    assert dist["origins"][0]["custom_origin_config"]["origin_protocol_policy"] == "https-only"
    assert dist["default_cache_behavior"]["viewer_protocol_policy"] == "redirect-to-https"
    assert dist["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    cert = cdn_plan.resource("api-cdn-certificate")
    assert cert.alias == "us_east_1" and cdn_plan.aliases["us_east_1"][1]["region"] == "us-east-1"
    assert cdn_plan.resource("api-dns").inputs["aliases"][0]["name"] == Ref("api-cdn", "domain_name")
    assert cdn_plan.resource("api-origin-dns").inputs["aliases"][0]["name"] == Ref("api-alb", "dns_name")
    assert cdn_plan.resource("api-certificate").inputs["subject_alternative_names"] == [
        "origin.analytics.shop.example.com"
    ]


def test_only_cloudfront_reaches_the_load_balancer(cdn_plan):
    rules = cdn_plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not [r.name for r in rules if r.inputs.get("cidr_ipv4") == "0.0.0.0/0"]
    cloudfront = cdn_plan.resource("api-alb-in-cloudfront").inputs
    assert cloudfront["prefix_list_id"] == Ref("cloudfront-origins", "id") and cloudfront["from_port"] == 443
    assert "api-http-redirect" not in {r.name for r in cdn_plan.resources}


def test_cdn_needs_a_zone_located_at_validation():
    from stacks.errors import StacksError

    with pytest.raises(StacksError) as info:
        variant((ZONE, "        cdn: true\n"))
    [diag] = [d for d in info.value.diagnostics if "CloudFront" in d.message]
    assert diag.path == "stacks.aws.environments.prod.cdn" and diag.line is not None


def test_pulumi_terraform_and_diagram_agree(cdn_project, cdn_plan):
    from architecture.aws_view import aws_spec
    from architecture.registry import context
    from deploy.offline import run_offline
    from deploy.terraform import render_plan, tf_type

    rec = run_offline(cdn_plan)
    assert [(r.type, r.name) for r in rec.resources] == [
        (r.type, r.name) for r in cdn_plan.resources if "pulumi" in r.engines
    ]
    cert = next(r for r in rec.resources if r.name == "api-cdn-certificate")
    assert cert.inputs["domainName"] == "analytics.shop.example.com"
    assert rec.outputs["api_cdn_domain"].endswith(".cloudfront.net")
    tf = render_plan(cdn_plan)
    assert tf["resource"]["aws_acm_certificate"]["api-cdn-certificate"]["provider"] == "aws.us_east_1"
    assert [p.get("alias") for p in tf["provider"]["aws"]] == [None, "us_east_1"]
    in_tf = {(k, n) for k, block in tf["resource"].items() for n in block}
    assert in_tf == {(tf_type(r.type), r.name) for r in cdn_plan.for_engine("terraform")}
    from architecture.cloud import drawn as drawn_in

    spec = aws_spec(context(cdn_project, "aws"), cdn_plan).normalized()
    drawn = drawn_in(spec)  # resource -> clusters around its node, then the node; raises if drawn twice
    assert set(drawn) == {r.name for r in cdn_plan.resources}
    assert drawn["api-cdn"] == ["place-edge", "aws--api-cdn"]
    assert drawn["api-cdn-headers"] == ["place-edge", "aws--api-cdn"]  # the CDN's headers policy, listed with it
    visible = {(e.source, e.target) for e in spec.edges if e.style != "invis"}
    assert ("actor--analyst", "aws--api-cdn") in visible and ("aws--api-cdn", "aws--api-alb") in visible


@pytest.mark.slow
def test_checkov_clean(cdn_plan, tmp_path):
    from deploy.checkov import run_checkov
    from deploy.terraform import tf_json_text

    path = tmp_path / "main.tf.json"
    path.write_text(tf_json_text(cdn_plan))
    result = run_checkov(path, ROOT)
    assert result.failed == [] and not result.parsing_errors, result.failed
    waived = {(w["resource"], w["check"]) for w in result.waived}
    assert ("aws_cloudfront_distribution.api-cdn", "CKV_AWS_68") in waived
    assert json.loads(path.read_text())["resource"]["aws_cloudfront_distribution"]["api-cdn"]["//"]
