"""Properties over generated aws environments: every combination plans, passes the policies, renders consistently."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import ROOT

RETENTION = (1, 7, 14, 30, 90, 365, 3653)
SIZES = ((0.25, 512), (0.5, 1024), (1, 2048), (2, 4096), (4, 8192))


@st.composite
def environments(draw):
    env: dict = {
        "nat": draw(st.sampled_from(["none", "single", "per_az"])),
        "availability_zones": draw(st.integers(2, 6)),
        "deletion_protection": draw(st.booleans()),
        "log_retention_days": draw(st.sampled_from(RETENTION)),
    }
    if draw(st.booleans()):
        env["domain"] = "api.example.org"
        if draw(st.booleans()):
            env["dns_zone"] = "example.org"
            env["cdn"] = draw(st.booleans())
    if draw(st.booleans()):
        env["alert_email"] = "ops@example.org"
    cpu, memory = draw(st.sampled_from(SIZES))
    lo = draw(st.integers(0, 3))
    env["components"] = {
        "api": {
            "resources": {"cpu": cpu, "memory": memory},
            "scale": {"min": lo, "max": max(1, lo + draw(st.integers(0, 5)))},
        }
    }
    return env


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(env=environments())
def test_any_environment_plans_consistently(env):
    import yaml

    from architecture.aws_view import aws_spec
    from architecture.registry import context
    from deploy.terraform import render_plan, tf_type
    from stacks.plan import build_plan
    from stacks.project import project_from_text

    doc = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    # Production serves HTTPS only (validation): an environment without a domain is a non-production one.
    name = "prod" if env.get("domain") else "staging"
    env["deletion_protection"] = env["deletion_protection"] and name == "prod"
    doc["stacks"] = {"aws": {"target": "aws", "region": "us-east-1", "environments": {name: env}}}
    project = project_from_text(yaml.safe_dump(doc), root=ROOT)
    plan = build_plan(project, f"aws-{name}")  # raises if a policy breaks

    names = {r.name for r in plan.resources}
    assert len(names) == len(plan.resources)
    subnets = plan.by_type("aws:ec2/subnet:Subnet")
    assert len(subnets) == 2 * env["availability_zones"]
    nats = len(plan.by_type("aws:ec2/natGateway:NatGateway"))
    assert nats == {"none": 0, "single": 1, "per_az": env["availability_zones"]}[env["nat"]]
    assert ("api-cdn" in names) == bool(env.get("cdn"))
    assert ("api-https" in names) == ("domain" in env)
    assert ("api-scaling-target" in names) == (
        env["components"]["api"]["scale"]["max"] > env["components"]["api"]["scale"]["min"]
    )
    tf = render_plan(plan)
    in_tf = {(kind, name) for kind, block in tf["resource"].items() for name in block}
    assert in_tf == {(tf_type(r.type), r.name) for r in plan.for_engine("terraform")}
    from architecture.cloud import drawn

    spec = aws_spec(context(project, "aws"), plan).normalized()
    assert set(drawn(spec)) == names  # each resource in exactly one node of a drawn group (drawn raises otherwise)
