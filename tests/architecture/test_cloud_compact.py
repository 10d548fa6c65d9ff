"""The compact cloud drawing: main resources as icons, supporting ones listed under the main one they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from architecture.cloud import compact, drawn, list_node, merged_node, owners, resource_node, shows, table_node
from architecture.spec import Cluster, GraphSpec, Node
from stacks.errors import StacksError


@dataclass
class Res:
    type: str
    name: str
    component: str | None = None
    group: str = "region"
    refs: list[str] = field(default_factory=list)


def refs_of(res: Res) -> list[str]:
    return res.refs


BUCKET, POLICY, KEY = "aws:s3/bucket:Bucket", "aws:s3/bucketPolicy:BucketPolicy", "aws:kms/key:Key"
LB, SG, RULE = "aws:lb/loadBalancer:LoadBalancer", "aws:ec2/securityGroup:SecurityGroup", "aws:vpc/rule:Rule"
ROLE, ROLE_POLICY, LOGS = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", "aws:cloudwatch/logGroup:LogGroup"
MAIN = {BUCKET, KEY, LB, ROLE}


def is_main(res: Res) -> bool:
    return res.type in MAIN


def plan() -> list[Res]:
    return [
        Res(KEY, "key"),
        Res("aws:kms/alias:Alias", "key-alias", refs=["key"]),
        Res(BUCKET, "lake", "lake", refs=["key"]),
        Res(POLICY, "lake-policy", "lake", refs=["lake"]),
        Res(SG, "api-alb-sg", "api"),
        Res(RULE, "api-alb-in-443", "api", refs=["api-alb-sg"]),
        Res(LB, "api-alb", "api", group="public", refs=["api-alb-sg", "lake"]),
        Res(LOGS, "api-logs", "api", refs=["key"]),
        Res(ROLE, "api-role", "api", group="global"),
        Res(ROLE_POLICY, "api-policy", "api", group="global", refs=["api-role", "api-logs", "lake"]),
        Res(SG, "api-spare-sg", "api"),
        Res("aws:sns/topicSubscription:TopicSubscription", "loose-subscription", None),
    ]


def test_a_supporting_resource_goes_with_the_nearest_main_resource_of_its_component():
    found = owners(plan(), is_main, refs_of, uses=(KEY,), grants=(ROLE_POLICY,))
    assert found["lake-policy"] == "lake"  # what it configures
    assert found["api-alb-sg"] == "api-alb"  # what names it
    assert found["api-alb-in-443"] == "api-alb"  # through its security group
    assert found["key-alias"] == "key"  # a reference to a used type counts from its own service
    assert found["api-policy"] == "api-role"  # a policy belongs to its role ...
    assert found["api-logs"] is None  # ... the log group it grants access to does not, nor does the key it uses
    assert found["api-spare-sg"] is None and found["loose-subscription"] is None


def test_compact_gives_the_unreached_ones_to_their_components_anchor_and_keeps_shared_ones_loose():
    parts = compact(plan(), is_main, refs_of, anchors=(LB,), uses=(KEY,), grants=(ROLE_POLICY,))
    assert [m.name for m in parts.mains] == ["key", "lake", "api-alb", "api-role"]
    assert [r.name for r in parts.taken["api-alb"]] == ["api-alb-sg", "api-alb-in-443", "api-logs", "api-spare-sg"]
    assert [r.name for r in parts.taken["api-role"]] == ["api-policy"]
    assert [r.name for r in parts.loose] == ["loose-subscription"]
    every = [m.name for m in parts.mains] + [r.name for rs in parts.taken.values() for r in rs]
    assert sorted(every + [r.name for r in parts.loose]) == sorted(r.name for r in plan())


def test_nodes_show_every_resource_they_stand_for():
    res = {r.name: r for r in plan()}
    node = resource_node("aws--api-alb", res["api-alb"], [res["api-alb-sg"], res["api-alb-in-443"]], detail="ALB")
    assert node.members == ("api-alb", "api-alb-sg", "api-alb-in-443")
    assert node.rows == (("sg, in-443",),)  # the owner's name is said once, by the label
    assert all(shows(node, m) for m in node.members) and not shows(node, "api-alb-in-80")
    roles = merged_node(
        "aws--roles",
        "IAM roles",
        "diagrams.aws.security.IdentityAndAccessManagementIamRole",
        [(res["api-role"], [res["api-policy"]])],
    )
    assert roles.rows == (("api-role", "policy"),) and all(shows(roles, m) for m in roles.members)
    shared = list_node("aws--shared", "shared", [res["loose-subscription"]])
    assert shared.icon == "" and shared.members == ("loose-subscription",)
    cells = {("subnet", f"AZ {n}"): [Res("s", f"public-subnet-{n}")] for n in (1, 2)}
    grid = table_node("aws--public", "public subnets", ["AZ 1", "AZ 2"], cells, ["subnet"], strip="public-")
    assert grid.heading == ("AZ 1", "AZ 2") and grid.rows == (("subnet-1", "subnet-2"),)
    assert all(shows(grid, m) for m in grid.members)


def _spec(*nodes: Node, outside: tuple[Node, ...] = ()) -> GraphSpec:
    return GraphSpec("t", "t", "", nodes=outside, clusters=(Cluster("c", "c", nodes=nodes),))


def test_drawn_maps_each_resource_to_its_group_and_refuses_doubles_and_unshown_ones():
    res = {r.name: r for r in plan()}
    lake = resource_node("aws--lake", res["lake"], [res["lake-policy"]])
    assert drawn(_spec(lake)) == {"lake": ["c", "aws--lake"], "lake-policy": ["c", "aws--lake"]}
    with pytest.raises(StacksError, match="drawn twice"):
        drawn(_spec(lake, list_node("aws--again", "again", [res["lake-policy"]])))
    lying = Node("aws--x", "x", "", rows=(("something else",),), members=("lake-policy",))
    with pytest.raises(StacksError, match="does not show it"):
        drawn(_spec(lying))
    with pytest.raises(StacksError, match="outside every group"):
        drawn(_spec(outside=(lake,)))


def test_lists_render_as_a_table_under_the_label_and_icon_less_nodes_have_no_image():
    from architecture.render import build_dot, render_spec

    res = {r.name: r for r in plan()}
    lake = resource_node("aws--lake", res["lake"], [res["lake-policy"]])
    grid = Node(
        "aws--grid", "public subnets", "", heading=("AZ 1", "AZ 2"), rows=(("a-1", "a-2"),), members=("a-1", "a-2")
    )
    spec = _spec(lake, grid)
    source = build_dot(spec).source
    lake_line = next(line for line in source.splitlines() if '"aws--lake"' in line)
    grid_line = next(line for line in source.splitlines() if '"aws--grid"' in line)
    assert "<IMG" in lake_line and ">policy<" in lake_line and 'BGCOLOR="#FFFFFF"' in lake_line
    assert "<IMG" not in grid_line and "<B>AZ 1</B>" in grid_line and ">a-2<" in grid_line
    first, second = render_spec(spec), render_spec(spec)
    assert first.outputs == second.outputs  # byte-deterministic, lists included
    assert b"public subnets" in first.outputs["svg"] and b">a&#45;2<" in first.outputs["svg"]
