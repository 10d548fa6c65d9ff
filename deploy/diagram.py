"""The ``aws`` diagram view and the docs inventory, both drawn from the plan ``stacks plan`` shows.

The view nests the plan's resources the way AWS does: the region, the VPC in it,
public and private subnets per availability zone, regional services beside the
VPC and global ones (IAM, Route 53) outside the region. Inside each of those
places a component's resources are grouped in a cluster named after the
component; the model's connections join each component's anchor resource. Every
plan resource is a node exactly once, which the tests check against the plan,
the Pulumi recording and the Terraform JSON.
"""

from __future__ import annotations

from architecture.nodes import resource_icon
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.plan import build_plan
from stacks.plan.aws import VPC_CIDR

# A component's anchor (where connection edges attach): the first of its resources of these types.
ANCHORS = ("aws:ecs/service:Service", "aws:lb/loadBalancer:LoadBalancer", "aws:athena/workgroup:Workgroup",
           "aws:s3/bucket:Bucket", "aws:ecs/taskDefinition:TaskDefinition", "aws:sqs/queue:Queue")


GRID_WIDTH = 2
PLACES = {"edge": "AWS edge locations (CloudFront)"}


def drawn_deployable(project, target: str = "aws") -> str | None:
    """The deployable a cloud view draws: the target's first stack in its last (most production) environment."""
    for sid, stack in sorted(project.model.stacks.items()):
        if stack.target == target:
            envs = [e for e in project.model.environments if e in stack.environments] or list(stack.environments)
            return f"{sid}-{envs[-1]}"
    return None


def _short(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return f"{module} {type_token.rsplit(':', 1)[1]}"


def _node(res) -> Node:
    return Node(f"aws--{res.name}", res.name, resource_icon(res.type), detail=_short(res.type),
                component=res.component, tooltip=res.type)


def _by_component(ctx: ViewContext, place: str, members: list, baseline_label: str) -> tuple[Cluster, ...]:
    groups: dict[str | None, list] = {}
    for res in members:
        groups.setdefault(res.component, []).append(_node(res))
    return tuple(
        Cluster(f"{place}--{comp or 'baseline'}", ctx.label(comp) if comp else baseline_label,
                nodes=tuple(nodes), tone="compute" if comp else "neutral")
        for comp, nodes in sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    )


def aws_spec(ctx: ViewContext, plan) -> GraphSpec:
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    places: dict[str, list] = {}
    for res in resources:
        places.setdefault(res.group or "region", []).append(res)
    azs = sorted({int(g.split("-")[1]) for g in places if g.startswith(("public-", "private-"))})
    subnet_tiers = []
    for tier in ("public", "private"):
        per_az = tuple(
            Cluster(f"{tier}-az{n}", f"AZ {n}: {tier} subnet", clusters=_by_component(
                ctx, f"{tier}-az{n}", places.get(f"{tier}-{n}", []), "subnet"), tone="neutral")
            for n in azs if places.get(f"{tier}-{n}")
        )
        spanning = _by_component(ctx, f"{tier}-all", places.get(tier, []), tier)
        label = ("public subnets (load balancers, NAT)" if tier == "public"
                 else "private subnets (tasks, no public IP)")
        subnet_tiers.append(Cluster(f"{tier}-subnets", label, clusters=per_az + spanning, tone="edge"))
    vpc = Cluster("vpc", f"VPC {VPC_CIDR}", clusters=(*_by_component(ctx, "vpc", places.get("vpc", []), "network"),
                                                     *subnet_tiers), tone="aws")
    region_name = plan.providers["aws"]["region"]
    region = Cluster("region", f"AWS {region_name}", tone="aws", clusters=(
        vpc, *_by_component(ctx, "regional", places.get("region", []), "shared: key, logs, alerts, cluster")))
    global_ = Cluster("global", "AWS global (IAM, Route 53)", tone="aws",
                      clusters=_by_component(ctx, "global", places.get("global", []), "shared"))
    known = {"vpc", "region", "global", "public", "private"} | {f"{t}-{n}" for t in ("public", "private") for n in azs}
    others = tuple(Cluster(f"place-{g}", PLACES.get(g, g), tone="aws",
                           clusters=_by_component(ctx, g, members, "shared"))
                   for g, members in sorted(places.items()) if g not in known)
    anchor: dict[str, str] = {}
    for comp in plan.components:
        mine = [r for r in resources if r.component == comp]
        chosen = next((r for t in ANCHORS for r in mine if r.type == t), mine[0] if mine else None)
        if chosen is not None:
            anchor[comp] = f"aws--{chosen.name}"
    outside = [Node(f"actor--{cid}", ctx.label(cid), "diagrams.onprem.client.Users"
                    if ctx.model.components[cid].kind == "user" else "diagrams.generic.blank.Blank",
                    detail=ctx.model.components[cid].kind, component=cid)
               for cid in ctx.components if cid not in anchor and ctx.model.components[cid].kind in ("user", "external")
               and any(cid in (c.from_, c.to) for c in ctx.connections)]
    ends = {**anchor, **{n.component: n.id for n in outside}}
    edges = _grid(region) + _grid(global_) + [e for c in others for e in _grid(c)]
    for conn in ctx.connections:
        if conn.from_ in ends and conn.to in ends and conn.from_ != conn.to:
            edges.append(Edge(ends[conn.from_], ends[conn.to], conn.label or conn.protocol,
                              style="dashed" if conn.flow == "data" else "solid"))
    return GraphSpec(
        name=ctx.name, title=f"{ctx.title} ({plan.stack})",
        description=(f"Every resource of the {plan.stack} plan ({len(resources)} resources: the same list the "
                     f"Pulumi program registers and main.tf.json declares), placed where it runs and grouped "
                     f"by component. Solid edges are requests, dashed edges data flows."),
        direction=ctx.direction, nodes=tuple(outside), clusters=(region, global_, *others), edges=tuple(edges),
        legend=(("solid", "request"), ("dashed", "data flow")),
    )


def _grid(cluster: Cluster, width: int = GRID_WIDTH) -> list[Edge]:
    """Invisible edges that wrap each cluster's nodes into rows of ``width`` instead of one long line."""
    edges = []
    for inner, _depth in cluster.walk():
        ids = [n.id for n in inner.nodes]
        edges += [Edge(ids[i], ids[i + width], style="invis") for i in range(len(ids) - width)]
    return edges


def aws_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``aws`` view: the most production aws deployable of the model."""
    name = drawn_deployable(ctx.project)
    if name is None:
        return None
    return aws_spec(ctx, build_plan(ctx.project, name))


def inventory_section(doc) -> str | None:
    """Docs page section: what each aws deployable creates, per component, with both type names."""
    from deploy.terraform import tf_type

    project = doc.project
    names = [n for n in project.deployables() if project.model.stacks[n.rpartition("-")[0]].target == "aws"]
    if not names:
        return None
    plans = {n: build_plan(project, n) for n in names}
    lines = ["Generated from the same plans as `stacks plan`, `deploy/` (Pulumi) and `deploy/terraform/`.", "",
             "| stack | resources | of which Pulumi-only | outputs |", "| --- | ---: | ---: | --- |"]
    for n, plan in plans.items():
        only = sum(1 for r in plan.resources if "terraform" not in r.engines)
        lines.append(f"| `{n}` | {len(plan.resources)} | {only} | "
                     + ", ".join(f"`{o.name}`" for o in plan.outputs) + " |")
    shown = drawn_deployable(project)
    plan = plans[shown]
    lines += ["", f"Resources of `{shown}`:", "",
              "| component | resource | Pulumi type | Terraform type |", "| --- | --- | --- | --- |"]
    for res in sorted(plan.resources, key=lambda r: (r.component is not None, r.component or "", r.name)):
        tf = tf_type(res.type) if "terraform" in res.engines else "(variable: image reference)"
        lines.append(f"| {res.component or 'baseline'} | `{res.name}` | `{res.type}` | `{tf}` |")
    return "\n".join(lines)
