"""One plan, four renderings: the same resources in the plan, the Pulumi run, the .tf.json and the AWS diagram."""

from __future__ import annotations

import pytest

from .conftest import AWS_STACKS


def _view(bundled, plan):
    from architecture.aws_view import aws_spec
    from architecture.registry import context

    return aws_spec(context(bundled, "aws"), plan).normalized()


def _drawn(spec) -> dict[str, list[str]]:
    """resource name -> ids of the clusters around the node that stands for it, outermost first, then the node.

    A main resource is an icon; a supporting one is listed in the node of the main resource it belongs to
    (``Node.members``). ``drawn`` raises if a resource is in two nodes or a node does not show one it lists.
    """
    from architecture.cloud import drawn

    return drawn(spec)


@pytest.mark.parametrize("stack", AWS_STACKS)
def test_plan_pulumi_terraform_and_diagram_hold_the_same_resources(bundled, plans, recordings, stack):
    from deploy.terraform import render_plan, tf_type

    plan = plans[stack]
    planned = {(r.type, r.name) for r in plan.resources}
    recorded = {(r.type, r.name) for r in recordings[stack].resources}
    tf = render_plan(plan)
    in_tf = {(kind, name) for kind, block in tf["resource"].items() for name in block}
    pulumi_only = {(r.type, r.name) for r in plan.resources if "terraform" not in r.engines}
    spec = _view(bundled, plan)
    drawn = _drawn(spec)
    assert recorded == planned
    assert in_tf == {(tf_type(t), n) for t, n in planned - pulumi_only}
    assert {r.replaces_var for r in plan.resources if (r.type, r.name) in pulumi_only} <= set(tf["variable"])
    assert set(drawn) == {n for _t, n in planned}  # every resource, each in exactly one node of a group
    assert sum(len(n.members) for n in spec.all_nodes()) == len(planned)
    icons = [n for n in spec.all_nodes() if n.members]
    assert len(icons) < len(planned) / 3  # supporting resources are listed, not drawn one icon each
    # and the docs inventory lists exactly the drawn stack's resources
    if stack == "aws-prod":
        from architecture.aws_view import inventory_section
        from architecture.docs import DocContext

        text = inventory_section(DocContext(bundled, [], "docs/architecture"))
        resources = text.split("Resources of `aws-prod`")[1]
        listed = {line.split("`")[1] for line in resources.splitlines() if line.startswith("| ") and "`" in line}
        assert listed == {n for _t, n in planned}


def test_diagram_places_resources_where_they_run(bundled, plans):
    drawn = _drawn(_view(bundled, plans["aws-prod"]))
    assert drawn["private-subnet-3"] == ["region", "vpc", "private-subnets", "aws--private-subnets"]
    assert drawn["nat-2"] == ["region", "vpc", "public-subnets", "aws--public-subnets"]
    assert drawn["api-alb"] == ["region", "vpc", "public-subnets", "aws--api-alb"]
    assert drawn["api-service"] == ["region", "vpc", "private-subnets", "aws--api-service"]
    assert drawn["lake-bucket"] == ["region", "regional--lake", "aws--lake-bucket"]
    assert drawn["warehouse-workgroup"] == ["region", "regional--warehouse", "aws--warehouse-workgroup"]
    assert drawn["api-execution-role"] == ["global", "aws--global-roles"]
    assert drawn["vpc"] == ["region", "vpc", "aws--vpc"]
    # supporting resources go with the main resource they belong to, found through the plan's references
    assert drawn["lake-bucket-policy"][-1] == "aws--lake-bucket"
    assert drawn["api-https"][-1] == drawn["api-alb-sg"][-1] == drawn["api-alb-in-443"][-1] == "aws--api-alb"
    assert drawn["api-tg"][-1] == drawn["api-sg"][-1] == drawn["api-task"][-1] == "aws--api-service"
    assert drawn["api-execution-policy"][-1] == "aws--global-roles"
    assert drawn["warehouse-table-orders"][-1] == "aws--warehouse-database"
    assert drawn["igw"][-1] == drawn["private-rt-2-nat"][-1] == "aws--vpc"
    assert drawn["cluster-exec-logs"][-1] == "aws--cluster"
    assert drawn["ingest-sg"][-1] == "aws--ingest-incoming"  # the incoming/ rule runs the tasks in it


def test_diagram_edges_follow_the_model_connections(bundled, plans):
    spec = _view(bundled, plans["aws-prod"])
    visible = {(e.source, e.target): e for e in spec.edges if e.style != "invis"}
    requests = visible[("actor--analyst", "aws--api-alb")]  # requests enter through the load balancer
    assert requests.both and "notebooks" in requests.label and "reports" in requests.label
    assert "target group" in visible[("aws--api-alb", "aws--api-service")].label
    queries = visible[("aws--api-service", "aws--warehouse-workgroup")]
    assert queries.both and queries.style == "solid" and "aggregates" in queries.label.replace("\n", " ")
    assert visible[("aws--lake-bucket", "aws--ingest-task")].style == "dashed"
    assert visible[("actor--storefront", "aws--lake-bucket")].style == "dashed"
    assert ("aws--ingest-task", "aws--warehouse-workgroup") in visible
    shown = " ".join(e.label.replace("\n", " ") for e in visible.values())
    for conn in bundled.model.connections:  # every connection of a deployed component is drawn, labelled
        if "seed" not in (conn.from_, conn.to):  # seed is not deployed in prod
            assert conn.label in shown, conn


def test_aws_picture_is_narrow_enough_to_read(bundled, plans):
    """The point of the compact drawing: ~20 icons instead of ~110, in a picture a page can show."""
    import io

    from PIL import Image

    from architecture.render import render_spec

    spec = _view(bundled, plans["aws-prod"])
    assert len([n for n in spec.all_nodes() if n.icon]) <= 24
    width, height = Image.open(io.BytesIO(render_spec(spec, ("png",)).outputs["png"])).size
    assert width <= 1728 and height <= 3840, (width, height)


def test_aws_view_is_registered_and_rendered(bundled, root):
    from architecture.registry import VIEWS

    assert VIEWS["aws"].entry == "architecture.aws_view:aws_view"
    assert ">api&#45;service<" in (root / "docs/architecture/diagrams/aws.svg").read_text()
    page = (root / "docs/architecture/README.md").read_text()
    assert "AWS resource inventory" in page and "diagrams/aws.svg" in page
