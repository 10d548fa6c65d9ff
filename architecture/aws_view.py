"""The ``aws`` diagram view and the docs inventory, both drawn from the plan ``stacks plan`` shows.

The view nests the plan where AWS puts it: the region holds the VPC, whose public
and private subnets are one compact table each (a column per availability zone)
beside what runs in them (the load balancer, the ECS service); each component's
regional resources form a cluster beside the VPC, shared ones (key, cluster,
alerts, access logs) another, IAM and Route 53 sit in a global box. A *main*
resource (``MAIN``: load balancer, service, task definition, repository, bucket,
workgroup, role, ...) is an icon; every supporting resource (policies, rules,
listeners, alarms, route tables, ...) is listed under the main resource it belongs
to, found through the plan's references (``architecture.cloud.owners``). Each node
records the resources it stands for in ``Node.members``: every plan resource is in
exactly one node, which the tests check against the plan, the Pulumi recording and
the Terraform JSON. The model's connections join the components' main resources;
requests from people enter through the load balancer (or CloudFront).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING

from architecture.cloud import compact, list_node, merged_node, resource_node, table_node
from architecture.logical import wrap
from architecture.nodes import resource_icon
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.plan.aws import VPC_CIDR
from stacks.plan.core import Plan, Resource, walk_refs
from stacks.project import Project

if TYPE_CHECKING:
    from architecture.docs import DocContext

# A component's anchor (where connection edges attach): the first of its resources of these types.
ANCHORS = (
    "aws:apigatewayv2/api:Api",
    "aws:ecs/service:Service",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:athena/workgroup:Workgroup",
    "aws:s3/bucket:Bucket",
    "aws:ecs/taskDefinition:TaskDefinition",
    "aws:sqs/queue:Queue",
)
# Requests from outside reach a component through the first of these it has.
ENTRIES = (
    "aws:cloudfront/distribution:Distribution",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:apigatewayv2/api:Api",
)

# Drawn as an icon each, with the product name a reader knows; every other resource is listed under
# the main resource it belongs to.
MAIN: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "VPC: gateways, routes, endpoints",
    "aws:lb/loadBalancer:LoadBalancer": "Application Load Balancer",
    "aws:cloudfront/distribution:Distribution": "CloudFront distribution",
    "aws:ecs/service:Service": "ECS Fargate service",
    "aws:ecs/cluster:Cluster": "ECS cluster",
    "aws:ecs/taskDefinition:TaskDefinition": "ECS Fargate task",
    "aws:ecr/repository:Repository": "ECR repository",
    "aws:s3/bucket:Bucket": "S3 bucket",
    "aws:s3/bucketV2:BucketV2": "S3 bucket",
    "aws:athena/workgroup:Workgroup": "Athena workgroup",
    "aws:glue/catalogDatabase:CatalogDatabase": "Glue database",
    "aws:sns/topic:Topic": "SNS topic (alarms)",
    "aws:kms/key:Key": "KMS key",
    "aws:iam/role:Role": "IAM role",
    "aws:ssm/parameter:Parameter": "SSM parameter",
    "aws:sqs/queue:Queue": "SQS queue",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache",
    "aws:elasticache/cluster:Cluster": "ElastiCache (memcached)",
    "aws:secretsmanager/secret:Secret": "Secrets Manager secret",
    "aws:scheduler/schedule:Schedule": "EventBridge schedule",
    "aws:cloudwatch/eventRule:EventRule": "EventBridge rule",
    "aws:lambda/function:Function": "Lambda function",
    "aws:apigatewayv2/api:Api": "API Gateway HTTP API",
    "aws:apigatewayv2/vpcLink:VpcLink": "VPC link",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": "Cloud Map namespace",
}
# Mains of these types in one place are one icon with a line each (five IAM roles, one box).
MERGED = {"aws:iam/role:Role": "IAM roles"}
# Referenced by many resources that merely use it (every log group names the key): not an owner.
USES = ("aws:kms/key:Key",)
# An IAM policy names what it grants access to; it belongs to its role, never the other way round.
GRANTS = ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
# Where a subnet tier's resources go in its table: one row per kind, one column per AZ.
SUBNET_ROWS = (
    "aws:ec2/subnet:Subnet",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/eip:Eip",
)
SUBNET_ICONS = {"public": "diagrams.aws.network.PublicSubnet", "private": "diagrams.aws.network.PrivateSubnet"}
DATA_KINDS = ("bucket", "warehouse", "database", "cache", "queue")
PLACES = {"edge": "AWS edge locations (CloudFront)"}
GLOBAL_NAMES = {"aws:iam/role:Role": "IAM", "aws:route53/record:Record": "Route 53"}
# Top to bottom, the level (Graphviz rank) each main resource is drawn on: requests come in at the
# top, the load balancer and the lake take them, services and tasks run below, the warehouse and the
# shared resources sit at the bottom. Levels keep each box a level or two high, so boxes share the
# picture's width instead of each taking a band across it.
COLUMNS = {
    "aws:iam/role:Role": 0,
    "aws:lb/loadBalancer:LoadBalancer": 1,
    "aws:apigatewayv2/api:Api": 1,
    "aws:ecs/service:Service": 2,
    "aws:ecs/taskDefinition:TaskDefinition": 2,
    "aws:ssm/parameter:Parameter": 3,
    "aws:scheduler/schedule:Schedule": 2,
    "aws:cloudwatch/eventRule:EventRule": 2,
    "aws:athena/workgroup:Workgroup": 3,
    "aws:glue/catalogDatabase:CatalogDatabase": 3,
    "aws:ec2/vpc:Vpc": 3,
    "aws:kms/key:Key": 4,
    "aws:ecs/cluster:Cluster": 4,
    "aws:sns/topic:Topic": 4,
}
KIND_COLUMNS = {"bucket": 1, "queue": 2, "warehouse": 3, "database": 3, "cache": 3, None: 4}  # stores, by kind
STORES = (
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:sqs/queue:Queue",
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/cluster:Cluster",
)
TABLE_COLUMNS = {"public": 1, "private": 2}
# Left to right, an edge label takes a column of its own: short lines keep those columns narrow.
LABEL_WIDTH = 14
# Tighter than the logical views (more, smaller boxes), and at most 18 inches (1728 px at 96 dpi)
# wide, so a page showing the PNG ~1000 px wide scales the text by no less than 0.58.
GRAPH_ATTRS = (("size", "18,40"), ("nodesep", "0.3"), ("ranksep", "0.45"))


def drawn_deployable(project: Project, target: str = "aws") -> str | None:
    """The deployable a cloud view draws: the target's first stack in its last (most production) environment."""
    for sid, stack in sorted(project.model.stacks.items()):
        if stack.target == target:
            envs = [e for e in project.model.environments if e in stack.environments] or list(stack.environments)
            return f"{sid}-{envs[-1]}"
    return None


def refs_of(res: Resource) -> list[str]:
    """The names a resource refers to, in the order its inputs name them (deterministic, unlike a set)."""
    return [r.name for r in walk_refs(res.inputs)]


def _place(res: Resource) -> str:
    return res.group or "region"


def _tier(group: str) -> tuple[str, int] | None:
    tier, _, az = group.partition("-")
    return (tier, int(az)) if tier in ("public", "private") and az.isdigit() else None


def _subnet(res: Resource) -> tuple[str, int]:
    """(tier, availability zone) of a resource drawn in the subnet tables (its group names both)."""
    where = _tier(_place(res))
    if where is None:
        raise ValueError(f"{res.name} (group {res.group!r}) is not in a subnet tier")
    return where


def is_main(resources: list[Resource]) -> Callable[[Resource], bool]:
    """The AWS main-resource test for these resources: a ``MAIN`` type, except a task definition that a
    service of its component runs (the service stands for both)."""
    served = {r.component for r in resources if r.type == "aws:ecs/service:Service"}

    def test(res: Resource) -> bool:
        if res.type == "aws:ecs/taskDefinition:TaskDefinition" and res.component in served:
            return False
        return res.type in MAIN

    return test


class AwsParts:
    """The AWS side of a drawing: its top-level clusters, node ids by main resource, rank columns."""

    def __init__(self, ctx: ViewContext, resources: list[Resource], region_name: str, prefix: str = "aws"):
        self.ctx, self.prefix = ctx, prefix
        self.types: dict[str | None, set[str]] = {}  # component -> the resource types it has
        for res in resources:
            self.types.setdefault(res.component, set()).add(res.type)
        subnet_side = [r for r in resources if _tier(_place(r)) and r.type in SUBNET_ROWS]
        rest = [r for r in resources if r not in subnet_side]
        parts = compact(rest, is_main(resources), refs_of, anchors=ANCHORS, uses=USES, grants=GRANTS)
        self.node_of: dict[str, str] = {}  # main resource name -> the id of the node drawing it
        self.columns: dict[int, list[str]] = {}
        by_place: dict[str, list[Node]] = {}
        merged: dict[tuple[str, str], list[Resource]] = {}
        for res in parts.mains:
            if res.type in MERGED:
                merged.setdefault((_place(res), res.type), []).append(res)
                continue
            node = resource_node(f"{prefix}--{res.name}", res, parts.taken[res.name], detail=MAIN[res.type])
            by_place.setdefault(_place(res), []).append(node)
            self._column(res, node.id)
        for (place, type_), mains in merged.items():
            node_id = f"{prefix}--{place}-{type_.rsplit(':', 1)[1].lower()}s"
            by_place.setdefault(place, []).append(
                merged_node(
                    node_id,
                    MERGED[type_],
                    resource_icon(type_),
                    [(m, parts.taken[m.name]) for m in mains],
                    detail=f"{len(mains)}, with their policies" if type_ == "aws:iam/role:Role" else str(len(mains)),
                )
            )
            for res in mains:
                self.node_of[res.name] = node_id
            self._column(mains[0], node_id)
        loose: dict[str, list[Resource]] = {}
        for res in parts.loose:
            loose.setdefault(_place(res), []).append(res)
        for place, members in loose.items():
            by_place.setdefault(place, []).append(list_node(f"{prefix}--{place}-shared", f"{place}: shared", members))
        tiers = [self._tier_cluster(tier, subnet_side, by_place.get(tier, [])) for tier in ("public", "private")]
        vpc = Cluster(
            "vpc",
            f"VPC {VPC_CIDR}",
            nodes=tuple(by_place.get("vpc", ())),
            clusters=tuple(t for t in tiers if t),
            tone="aws",
        )
        region = Cluster(
            "region",
            f"AWS {region_name}",
            tone="aws",
            clusters=(vpc, *self._component_clusters(by_place.get("region", []))),
        )
        tops = [region]
        if by_place.get("global"):
            what = sorted({GLOBAL_NAMES.get(r.type, "") for r in parts.mains if _place(r) == "global"} - {""})
            tops.append(
                Cluster(
                    "global",
                    "AWS global" + (": " + ", ".join(what) if what else ""),
                    nodes=tuple(by_place["global"]),
                    tone="aws",
                )
            )
        known = {"vpc", "region", "global", "public", "private"}
        for place in sorted(by_place):
            if place not in known and not _tier(place):
                tops.append(
                    Cluster(f"place-{place}", PLACES.get(place, place), nodes=tuple(by_place[place]), tone="aws")
                )
        self.clusters = tuple(tops)

    def _column(self, res: Resource, node_id: str) -> None:
        self.node_of[res.name] = node_id
        col = COLUMNS.get(res.type)
        if res.type in STORES:
            col = KIND_COLUMNS.get(self.ctx.model.components[res.component].kind if res.component else None, 2)
        elif res.type == "aws:ecr/repository:Repository":  # before what runs its image
            has_entry = any(t in ENTRIES for t in self.types.get(res.component, ()))
            col = 1 if has_entry else 2
        if col is not None:
            self.columns.setdefault(col, []).append(node_id)

    def _tier_cluster(self, tier: str, subnet_side: list[Resource], inside: list[Node]) -> Cluster | None:
        cells: dict[tuple[str, str], list[Resource]] = {}
        azs = sorted({_subnet(r)[1] for r in subnet_side})
        for res in subnet_side:
            t, az = _subnet(res)
            if t == tier:
                cells.setdefault((res.type, f"AZ {az}"), []).append(res)
        nodes = list(inside)
        if cells:
            table = table_node(
                f"{self.prefix}--{tier}-subnets",
                f"{tier} subnets",
                [f"AZ {n}" for n in azs],
                cells,
                SUBNET_ROWS,
                icon=SUBNET_ICONS[tier],
                strip=f"{tier}-",
                detail="one per availability zone",
            )
            nodes.insert(0, table)
            self.columns.setdefault(TABLE_COLUMNS[tier], []).append(table.id)
        if not nodes:
            return None
        label = "public subnets: load balancers, NAT" if tier == "public" else "private subnets: tasks, no public IP"
        return Cluster(f"{tier}-subnets", label, nodes=tuple(nodes), tone="edge")

    def _component_clusters(self, nodes: list[Node]) -> tuple[Cluster, ...]:
        groups: dict[str | None, list[Node]] = {}
        for node in nodes:
            groups.setdefault(node.component, []).append(node)
        out: list[Cluster] = []
        for comp, members in sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
            kind = self.ctx.model.components[comp].kind if comp else ""
            tone = "neutral" if comp is None else "data" if kind in DATA_KINDS else "compute"
            out.append(
                Cluster(
                    f"regional--{comp or 'baseline'}",
                    self.ctx.label(comp) if comp else "shared: key, cluster, alerts, logs",
                    nodes=tuple(members),
                    tone=tone,
                )
            )
        return tuple(out)

    def ranks(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tuple(ids) for _col, ids in sorted(self.columns.items()))

    def level_edges(self) -> list[Edge]:
        """Invisible edges from each level to the next: a level with no edge into it (the shared
        resources) would otherwise float to the top."""
        levels = self.ranks()
        return [Edge(a[0], b[0], style="invis") for a, b in itertools.pairwise(levels)]


def ends(
    resources: list[Resource], components: Iterable[str], prefix: str = "aws"
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Component -> its anchor node id, and component -> its entry chain (CDN, load balancer) for requests."""
    main = is_main(resources)
    anchor: dict[str, str] = {}
    entry: dict[str, list[str]] = {}
    for comp in components:
        mine = [r for r in resources if r.component == comp and main(r) and r.type not in MERGED]
        chosen = next((r for t in ANCHORS for r in mine if r.type == t), mine[0] if mine else None)
        if chosen is not None:
            anchor[comp] = f"{prefix}--{chosen.name}"
        chain = [f"{prefix}--{r.name}" for t in ENTRIES for r in mine if r.type == t]
        if chain:
            entry[comp] = chain
    return anchor, entry


def actors(ctx: ViewContext, anchored: dict[str, str]) -> list[Node]:
    """People and outside systems the drawn components talk to, outside every cloud box."""
    return [
        Node(
            f"actor--{cid}",
            ctx.label(cid),
            "diagrams.onprem.client.Users"
            if ctx.model.components[cid].kind == "user"
            else "diagrams.onprem.network.Internet",
            detail=ctx.model.components[cid].kind,
            component=cid,
        )
        for cid in ctx.components
        if cid not in anchored
        and ctx.model.components[cid].kind in ("user", "external")
        and any(cid in (c.from_, c.to) for c in ctx.connections)
    ]


def connection_edges(
    ctx: ViewContext,
    anchor: dict[str, str],
    entry: dict[str, list[str]],
    outside: list[Node],
    skip: Collection[tuple[str, str]] = frozenset(),
) -> list[Edge]:
    """The model's connections between drawn ends; requests from outside go in through the entry chain.

    A connection and its way back (queries one way, results the other) are one edge with an arrow
    head at each end and both labels: half the lines, none of them looping back across the picture.
    """
    known = {**anchor, **{n.component: n.id for n in outside if n.component is not None}}
    outsiders = {n.component for n in outside}
    drawn = [
        c
        for c in ctx.connections
        if (c.from_, c.to) not in skip and c.from_ in known and c.to in known and c.from_ != c.to
    ]
    by_pair = {(c.from_, c.to): c for c in drawn}
    edges: list[Edge] = []
    done: set[tuple[str, str]] = set()
    for conn in drawn:
        if (conn.from_, conn.to) in done:
            continue
        back = by_pair.get((conn.to, conn.from_))
        if back is not None and back.flow == "request" and conn.flow != "request":
            conn, back = back, conn  # the request leads; the data flows back
        source, target = known[conn.from_], known[conn.to]
        if conn.from_ in outsiders and conn.flow == "request" and conn.to in entry:
            target = entry[conn.to][0]
        label = wrap(conn.label or conn.protocol, LABEL_WIDTH)
        if back is not None:
            label += "\n" + wrap(f"{back.label or back.protocol} back", LABEL_WIDTH)
            done.add((back.from_, back.to))
        done.add((conn.from_, conn.to))
        edges.append(
            Edge(source, target, label, style="dashed" if conn.flow == "data" else "solid", both=back is not None)
        )
    return edges


def entry_edges(resources: list[Resource], anchor: dict[str, str], entry: dict[str, list[str]]) -> list[Edge]:
    """CDN -> load balancer -> service: how a request travels inside the stack."""
    edges: list[Edge] = []
    for comp, chain in sorted(entry.items()):
        hops = [*chain, anchor[comp]] if anchor.get(comp) not in chain else chain
        for a, b in itertools.pairwise(hops):
            edges.append(Edge(a, b, _hop_label(resources, b)))
    return edges


def _hop_label(resources: list[Resource], target_id: str) -> str:
    name = target_id.split("--", 1)[1]
    res = next(r for r in resources if r.name == name)
    if res.type == "aws:lb/loadBalancer:LoadBalancer":
        return "HTTPS origin"
    if res.type == "aws:ecs/service:Service":
        tg = next(
            (r for r in resources if r.component == res.component and r.type == "aws:lb/targetGroup:TargetGroup"), None
        )
        if tg is not None:
            return f"target group\n:{tg.inputs['port']} {tg.inputs['health_check']['path']}"
    return ""


def aws_spec(ctx: ViewContext, plan: Plan) -> GraphSpec:
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    parts = AwsParts(ctx, resources, plan.providers["aws"]["region"])
    anchor, entry = ends(resources, plan.components)
    outside = actors(ctx, anchor)
    edges = connection_edges(ctx, anchor, entry, outside) + entry_edges(resources, anchor, entry)
    edges += parts.level_edges()
    return GraphSpec(
        name=ctx.name,
        title=f"{ctx.title} ({plan.stack})",
        description=(
            f"The {plan.stack} plan ({len(resources)} resources: the same list the Pulumi program "
            f"registers and main.tf.json declares), placed where it runs. Main resources are icons; "
            f"the supporting resources each one needs (policies, rules, listeners, alarms, routes) "
            f"are listed under it. Solid edges are requests, dashed edges data flows."
        ),
        direction=ctx.direction,
        nodes=tuple(outside),
        clusters=parts.clusters,
        edges=tuple(edges),
        legend=(("solid", "request"), ("dashed", "data flow")),
        attrs=GRAPH_ATTRS,
        ranks=parts.ranks(),
    )


def aws_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``aws`` view: the most production aws deployable of the model."""
    name = drawn_deployable(ctx.project)
    if name is None:
        return None
    return aws_spec(ctx, ctx.plans[name])


def inventory_section(doc: DocContext) -> str | None:
    """Docs page section: what each aws deployable creates, per component, with both type names."""
    from deploy.terraform import tf_type

    project = doc.project
    names = [n for n in project.deployables() if project.model.stacks[n.rpartition("-")[0]].target == "aws"]
    if not names:
        return None
    plans = {n: doc.plans[n] for n in names}
    lines = [
        "Generated from the same plans as `stacks plan`, `deploy/` (Pulumi) and `deploy/terraform/`.",
        "",
        "| stack | resources | of which Pulumi-only | outputs |",
        "| --- | ---: | ---: | --- |",
    ]
    for n, plan in plans.items():
        only = sum(1 for r in plan.resources if "terraform" not in r.engines)
        lines.append(
            f"| `{n}` | {len(plan.resources)} | {only} | " + ", ".join(f"`{o.name}`" for o in plan.outputs) + " |"
        )
    shown = drawn_deployable(project)
    if shown is None:  # not reached: names holds an aws deployable
        return None
    plan = plans[shown]
    lines += [
        "",
        f"Resources of `{shown}`:",
        "",
        "| component | resource | Pulumi type | Terraform type |",
        "| --- | --- | --- | --- |",
    ]
    for res in sorted(plan.resources, key=lambda r: (r.component is not None, r.component or "", r.name)):
        tf = tf_type(res.type) if "terraform" in res.engines else "(variable: image reference)"
        lines.append(f"| {res.component or 'baseline'} | `{res.name}` | `{res.type}` | `{tf}` |")
    return "\n".join(lines)
