"""One plan, four renderings: the same resources in the plan, the Pulumi run, the .tf.json and the AWS diagram."""

from __future__ import annotations

import pytest

from .conftest import AWS_STACKS


def _view(bundled, plan):
    from architecture.registry import context
    from deploy.diagram import aws_spec

    return aws_spec(context(bundled, "aws"), plan).normalized()


def _drawn(spec) -> dict[str, list[str]]:
    """resource name -> ids of the clusters around it, outermost first."""
    out: dict[str, list[str]] = {}

    def visit(cluster, path):
        for node in cluster.nodes:
            if node.id.startswith("aws--"):
                out[node.id.removeprefix("aws--")] = [*path, cluster.id]
        for inner in cluster.clusters:
            visit(inner, [*path, cluster.id])

    for cluster in spec.clusters:
        visit(cluster, [])
    return out


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_plan_pulumi_terraform_and_diagram_hold_the_same_resources(bundled, plans, recordings, stack):
    from deploy.terraform import render_plan, tf_type

    plan = plans[stack]
    planned = {(r.type, r.name) for r in plan.resources}
    recorded = {(r.type, r.name) for r in recordings[stack].resources}
    tf = render_plan(plan)
    in_tf = {(kind, name) for kind, block in tf["resource"].items() for name in block}
    pulumi_only = {(r.type, r.name) for r in plan.resources if "terraform" not in r.engines}
    drawn = _drawn(_view(bundled, plan))
    assert recorded == planned
    assert in_tf == {(tf_type(t), n) for t, n in planned - pulumi_only}
    assert {r.replaces_var for r in plan.resources if (r.type, r.name) in pulumi_only} <= set(tf["variable"])
    assert set(drawn) == {n for _t, n in planned}
    # and the docs inventory lists exactly the drawn stack's resources
    if stack == "aws-prod":
        from architecture.docs import DocContext
        from deploy.diagram import inventory_section

        text = inventory_section(DocContext(bundled, [], "docs/architecture"))
        resources = text.split("Resources of `aws-prod`")[1]
        listed = {line.split("`")[1] for line in resources.splitlines() if line.startswith("| ") and "`" in line}
        assert listed == {n for _t, n in planned}


def test_diagram_places_resources_where_they_run(bundled, plans):
    drawn = _drawn(_view(bundled, plans["aws-prod"]))
    assert drawn["private-subnet-3"][:4] == ["region", "vpc", "private-subnets", "private-az3"]
    assert drawn["nat-2"][:4] == ["region", "vpc", "public-subnets", "public-az2"]
    assert drawn["api-alb"] == ["region", "vpc", "public-subnets", "public-all--api"]
    assert drawn["api-service"] == ["region", "vpc", "private-subnets", "private-all--api"]
    assert drawn["lake-bucket"] == ["region", "regional--lake"]
    assert drawn["api-execution-role"] == ["global", "global--api"]
    assert drawn["vpc"] == ["region", "vpc", "vpc--baseline"]


def test_diagram_edges_follow_the_model_connections(bundled, plans):
    spec = _view(bundled, plans["aws-prod"])
    visible = {(e.source, e.target, e.style) for e in spec.edges if e.style != "invis"}
    assert ("actor--analyst", "aws--api-service", "solid") in visible
    assert ("aws--api-service", "aws--warehouse-workgroup", "solid") in visible
    assert ("aws--lake-bucket", "aws--ingest-task", "dashed") in visible
    assert len(visible) == len(bundled.model.connections) - 1  # seed is not deployed in prod


def test_aws_view_is_registered_and_rendered(bundled, root):
    from architecture.registry import VIEWS

    assert VIEWS["aws"].entry == "deploy.diagram:aws_view"
    assert ">api&#45;service<" in (root / "docs/architecture/diagrams/aws.svg").read_text()
    page = (root / "docs/architecture/README.md").read_text()
    assert "AWS resource inventory" in page and "diagrams/aws.svg" in page
