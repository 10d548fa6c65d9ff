"""The ``gcp`` and ``hybrid`` diagram views and the per-target parity table, all drawn from plans.

The gcp view nests a GCP plan's resources the way GCP scopes them: the project
(APIs, IAM, monitoring), the region (Cloud Run, buckets, BigQuery) and the
global edge (the HTTPS load balancer, Cloud Armor, the certificate, DNS), with a
cluster per model component inside each place. The hybrid view draws both clouds
as boundaries: the AWS side is the ``aws`` view's own drawing of the plan's AWS
resources, the GCP side this module's, and every cross-cloud connection is an
edge labelled with the mechanism and the identity that secures it
(``stacks.plan.hybrid.cross_cloud_links``). Every plan resource is a node exactly
once (tested against the plan, the Pulumi recording and the Terraform JSON).

``parity_section`` is the docs page's table of what each target gives each
component (autoscaling, HTTPS, health checks, secrets, logs) and what it drops,
computed from the model and the kind registries of each target.
"""

from __future__ import annotations

from dataclasses import replace

from architecture.nodes import resource_icon
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.plan import build_plan

GCP_ANCHORS = ("gcp:cloudrunv2/service:Service", "gcp:cloudrunv2/job:Job", "gcp:bigquery/dataset:Dataset",
               "gcp:storage/bucket:Bucket", "gcp:pubsub/topic:Topic")
PLACES = (  # plan group -> (cluster id suffix, label)
    ("edge", "edge", "global HTTPS load balancer: Cloud Armor, certificate, CDN"),
    ("global", "dns", "Cloud DNS"),
    ("region", "region", "region {region}"),
    ("project", "project", "project-wide: APIs, service accounts, IAM, monitoring, logs"),
)
CROSS_COLOR = "#7B3FA0"


def _short(type_token: str) -> str:
    module = type_token.split(":")[1].split("/")[0]
    return f"{module} {type_token.rsplit(':', 1)[1]}"


def _node(res) -> Node:
    return Node(f"gcp--{res.name}", res.name, resource_icon(res.type), detail=_short(res.type),
                component=res.component, tooltip=res.type)


def _by_component(ctx: ViewContext, place: str, members: list, baseline_label: str) -> tuple[Cluster, ...]:
    groups: dict[str | None, list] = {}
    for res in members:
        groups.setdefault(res.component, []).append(_node(res))
    return tuple(
        Cluster(f"gcp-{place}--{comp or 'baseline'}", ctx.label(comp) if comp else baseline_label,
                nodes=tuple(nodes), tone="compute" if comp else "neutral")
        for comp, nodes in sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    )


def gcp_clusters(ctx: ViewContext, resources: list, project: str, region: str) -> Cluster:
    """The GCP project as a cluster: each place holds a cluster per component."""
    places: dict[str, list] = {}
    for res in resources:
        places.setdefault(res.group if res.group in {p[0] for p in PLACES} else "region", []).append(res)
    inner = tuple(
        Cluster(f"gcp-{cid}", label.format(region=region), tone="gcp",
                clusters=_by_component(ctx, cid, places[group], "shared"))
        for group, cid, label in PLACES if places.get(group)
    )
    return Cluster("gcp-cloud", f"GCP project {project}", clusters=inner, tone="gcp")


def _anchors(resources: list, components, prefix: str, anchors: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for comp in components:
        mine = [r for r in resources if r.component == comp]
        chosen = next((r for t in anchors for r in mine if r.type == t), mine[0] if mine else None)
        if chosen is not None:
            out[comp] = f"{prefix}--{chosen.name}"
    return out


def _actors(ctx: ViewContext, anchored: dict[str, str]) -> list[Node]:
    return [Node(f"actor--{cid}", ctx.label(cid), "diagrams.onprem.client.Users"
                 if ctx.model.components[cid].kind == "user" else "diagrams.generic.blank.Blank",
                 detail=ctx.model.components[cid].kind, component=cid)
            for cid in ctx.components if cid not in anchored and ctx.model.components[cid].kind in ("user", "external")
            and any(cid in (c.from_, c.to) for c in ctx.connections)]


def _grid(cluster: Cluster, width: int = 2) -> list[Edge]:
    edges = []
    for inner, _depth in cluster.walk():
        ids = [n.id for n in inner.nodes]
        edges += [Edge(ids[i], ids[i + width], style="invis") for i in range(len(ids) - width)]
    return edges


def _connection_edges(ctx: ViewContext, ends: dict[str, str], skip: set[tuple[str, str]] = frozenset(),
                      entries: dict[str, str] | None = None) -> list[Edge]:
    """The model's connections between drawn ends; requests from people and outside systems reach a
    component through its entry (the load balancer's forwarding rule) when it has one."""
    edges = []
    outside = {cid for cid, c in ctx.model.components.items() if c.kind in ("user", "external")}
    for conn in ctx.connections:
        if (conn.from_, conn.to) in skip or (conn.to, conn.from_) in skip:
            continue
        if conn.from_ in ends and conn.to in ends and conn.from_ != conn.to:
            target = ends[conn.to]
            if entries and conn.from_ in outside and conn.to in entries and conn.flow == "request":
                target = entries[conn.to]
            edges.append(Edge(ends[conn.from_], target, conn.label or conn.protocol,
                              style="dashed" if conn.flow == "data" else "solid"))
    return edges


def _entries(resources: list) -> dict[str, str]:
    """Component -> its HTTPS forwarding rule node, for components behind the load balancer."""
    return {r.component: f"gcp--{r.name}" for r in resources
            if r.type == "gcp:compute/globalForwardingRule:GlobalForwardingRule" and r.name.endswith("-https")}


def gcp_spec(ctx: ViewContext, plan) -> GraphSpec:
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    gcp = plan.providers["gcp"]
    project_cluster = gcp_clusters(ctx, resources, gcp["project"], gcp["region"])
    anchor = _anchors(resources, plan.components, "gcp", GCP_ANCHORS)
    outside = _actors(ctx, anchor)
    ends = {**anchor, **{n.component: n.id for n in outside}}
    entries = _entries(resources)
    edges = _grid(project_cluster) + _connection_edges(ctx, ends, entries=entries)
    edges += [Edge(entry, anchor[cid], "serverless NEG (Cloud Armor checked)") for cid, entry in entries.items()
              if cid in anchor]
    return GraphSpec(
        name=ctx.name, title=f"{ctx.title} ({plan.stack})",
        description=(f"Every resource of the {plan.stack} plan ({len(resources)} resources: the same list the "
                     "Pulumi program registers and main.tf.json declares), placed where GCP scopes it and grouped "
                     "by component. Solid edges are requests, dashed edges data flows."),
        direction=ctx.direction, nodes=tuple(outside), clusters=(project_cluster,), edges=tuple(edges),
        legend=(("solid", "request"), ("dashed", "data flow")),
    )


def resource_cloud(plan, res) -> str:
    """Which cloud a hybrid plan resource lives in: its provider, or (an image build) its component's."""
    provider = res.type.split(":", 1)[0]
    if provider in ("aws", "gcp"):
        return provider
    return "gcp" if ".pkg.dev/" in str(res.inputs.get("tags", "")) else "aws"


def hybrid_spec(ctx: ViewContext, plan) -> GraphSpec:
    from deploy.diagram import aws_spec
    from stacks.plan.hybrid import cross_cloud_links

    deployment = ctx.project.deployment(plan.stack)
    links = cross_cloud_links(ctx.project, deployment)
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    on_aws = [r for r in resources if resource_cloud(plan, r) == "aws"]
    on_gcp = [r for r in resources if resource_cloud(plan, r) == "gcp"]
    aws_components = {c.id: c.kind for c in deployment.on("aws")}
    aws_plan = replace(plan, resources=tuple(on_aws), components=aws_components,
                       providers={"aws": plan.providers["aws"]})
    aws_part = aws_spec(ctx, aws_plan)
    aws_boundary = Cluster("aws-cloud", f"AWS {plan.providers['aws']['region']}", tone="aws",
                           clusters=aws_part.clusters)
    gcp = plan.providers["gcp"]
    gcp_boundary = gcp_clusters(ctx, on_gcp, gcp["project"], gcp["region"])
    from deploy.diagram import ANCHORS as AWS_ANCHORS

    aws_anchor = _anchors(on_aws, aws_components, "aws", AWS_ANCHORS)  # the anchors aws_spec chose
    gcp_components = [c.id for c in deployment.on("gcp")]
    gcp_anchor = _anchors([r for r in on_gcp if r.component in gcp_components], gcp_components, "gcp", GCP_ANCHORS)
    actors = list(aws_part.nodes)
    ends = {**aws_anchor, **gcp_anchor, **{n.component: n.id for n in actors}}
    edges = list(aws_part.edges) + _grid(gcp_boundary)
    covered = {(link.source, link.target) for link in links if link.path in ("data", "query")}
    aws_ends = set(aws_anchor) | {n.component for n in actors}
    drawn_by_aws = {(a, b) for a in aws_ends for b in aws_ends}
    edges += _connection_edges(ctx, ends, skip=covered | drawn_by_aws)
    for link in links:
        if link.path == "data":
            job = f"gcp--{link.source}-transfer"
            mirror = f"gcp--{link.source}-mirror"
            edges.append(Edge(ends[link.source], job, f"{link.mechanism}\n{link.identity}", style="bold",
                              color=CROSS_COLOR))
            edges.append(Edge(job, mirror, "copies tables/ (Parquet)", style="dashed", color=CROSS_COLOR))
            edges.append(Edge(mirror, ends[link.target], "BigLake tables read it", style="dashed"))
        elif link.path == "query":
            edges.append(Edge(ends[link.source], ends[link.target], f"{link.mechanism}\n{link.identity}",
                              style="bold", color=CROSS_COLOR))
        elif link.source in ends and link.target in ends:
            edges.append(Edge(ends[link.source], ends[link.target], f"{link.mechanism}", style="solid",
                              color=CROSS_COLOR))
    return GraphSpec(
        name=ctx.name, title=f"{ctx.title} ({plan.stack})",
        description=(f"The {plan.stack} plan on both clouds ({len(resources)} resources: {len(on_aws)} on AWS, "
                     f"{len(on_gcp)} on GCP). Bold purple edges cross clouds, each labelled with what carries it "
                     "and the identity that secures it: no access key or key file anywhere."),
        direction=ctx.direction, nodes=tuple(actors), clusters=(aws_boundary, gcp_boundary), edges=tuple(edges),
        legend=(("solid", "request"), ("dashed", "data flow"), ("bold", "cross-cloud, keyless identity")),
    )


def _drawn(project, target: str) -> str | None:
    from deploy.diagram import drawn_deployable

    return drawn_deployable(project, target)


def gcp_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``gcp`` view: the most production gcp deployable of the model."""
    name = _drawn(ctx.project, "gcp")
    return gcp_spec(ctx, build_plan(ctx.project, name)) if name else None


def hybrid_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``hybrid`` view: the most production hybrid deployable of the model."""
    name = _drawn(ctx.project, "hybrid")
    return hybrid_spec(ctx, build_plan(ctx.project, name)) if name else None


# ---------------------------------------------------------------- parity

FEATURES = ("autoscaling", "HTTPS", "health checks", "secrets", "logs")
WORKLOADS = ("service", "frontend", "worker", "job")


def _container(task) -> dict:
    defs = task.inputs.get("container_definitions")
    return (getattr(defs, "value", None) or [{}])[0]


def _aws_features(plan, cid: str, kind: str) -> dict[str, str]:
    mine = {r.type: r for r in plan.of_component(cid)}
    out = {f: "—" for f in FEATURES}
    scaling = mine.get("aws:appautoscaling/target:Target")
    if kind == "job":
        out["autoscaling"] = "n/a"
    elif scaling:
        policy = mine.get("aws:appautoscaling/policy:Policy")
        target = policy.inputs["target_tracking_scaling_policy_configuration"]["target_value"] if policy else "?"
        out["autoscaling"] = (f"target tracking {scaling.inputs['min_capacity']}-{scaling.inputs['max_capacity']} "
                              f"tasks at {target:g}% CPU")
    else:
        service = mine.get("aws:ecs/service:Service")
        out["autoscaling"] = f"— (fixed at {service.inputs['desired_count']})" if service else "—"
    listeners = [r for r in plan.of_component(cid) if r.type == "aws:lb/listener:Listener"]
    if any(r.inputs.get("protocol") == "HTTPS" for r in listeners):
        out["HTTPS"] = "ALB listener, ACM certificate, HTTP redirects"
    elif listeners:
        out["HTTPS"] = "— (HTTP only: no domain in this environment)"
    else:
        out["HTTPS"] = "n/a (not public)"
    tg = mine.get("aws:lb/targetGroup:TargetGroup")
    if tg:
        out["health checks"] = f"ALB target group on {tg.inputs['health_check']['path']}"
    elif kind == "job":
        out["health checks"] = "n/a"
    task = mine.get("aws:ecs/taskDefinition:TaskDefinition")
    secrets = _container(task).get("secrets", []) if task else []
    out["secrets"] = f"{len(secrets)} from SSM by reference" if secrets else "none declared"
    logs = mine.get("aws:cloudwatch/logGroup:LogGroup")
    out["logs"] = f"CloudWatch, {logs.inputs['retention_in_days']} days" if logs else "—"
    return out


def _gcp_features(plan, cid: str, kind: str) -> dict[str, str]:
    mine = {r.type: r for r in plan.of_component(cid)}
    out = {f: "—" for f in FEATURES}
    service = mine.get("gcp:cloudrunv2/service:Service")
    job = mine.get("gcp:cloudrunv2/job:Job")
    if service:
        scaling = service.inputs["template"]["scaling"]
        out["autoscaling"] = (f"Cloud Run {scaling['min_instance_count']}-{scaling['max_instance_count']} "
                              f"instances, {service.inputs['template']['max_instance_request_concurrency']} "
                              "requests each")
        container = service.inputs["template"]["containers"][0]
        if "gcp:compute/targetHttpsProxy:TargetHttpsProxy" in mine:
            out["HTTPS"] = "HTTPS load balancer, managed certificate, Cloud Armor, HTTP redirects"
        elif service.inputs["ingress"] == "INGRESS_TRAFFIC_ALL":
            out["HTTPS"] = "run.app URL (Google-managed TLS)"
        else:
            out["HTTPS"] = "n/a (not public)"
        probes = [container[p]["http_get"]["path"] for p in ("startup_probe", "liveness_probe") if p in container]
        out["health checks"] = ("startup + liveness probes on " + ", ".join(dict.fromkeys(probes))) if probes else "—"
    elif job:
        container = job.inputs["template"]["template"]["containers"][0]
        out.update({"autoscaling": "n/a", "HTTPS": "n/a", "health checks": "n/a"})
    else:
        container = {}
    secrets = [e for e in container.get("envs", []) if "value_source" in e]
    out["secrets"] = f"{len(secrets)} from Secret Manager by reference" if secrets else "none declared"
    logs = next((r for r in plan.resources if r.type == "gcp:logging/projectBucketConfig:ProjectBucketConfig"), None)
    out["logs"] = f"Cloud Logging, {logs.inputs['retention_days']} days" if logs else "—"
    return out


def _compose_features(comp, kind: str) -> dict[str, str]:
    model = comp.component
    port = getattr(model, "port", None)
    return {
        "autoscaling": "n/a" if kind == "job" else "— (one container)",
        "HTTPS": "— (plain HTTP on localhost)" if port else "n/a",
        "health checks": f"container healthcheck on {model.health}" if port else "n/a" if kind == "job" else "—",
        "secrets": "compose secret files" if getattr(model, "secrets", None) else "none declared",
        "logs": "docker logs (local, no retention)",
    }


def _runs_as(plan, cid: str) -> str:
    from deploy.diagram import ANCHORS as AWS_ANCHORS
    from deploy.terraform import tf_type

    mine = [r for r in plan.of_component(cid) if "terraform" in r.engines]
    chosen = next((r for t in (*AWS_ANCHORS, *GCP_ANCHORS) for r in mine if r.type == t), mine[0] if mine else None)
    return f"`{tf_type(chosen.type)}`" if chosen else "—"


def parity_rows(project) -> list[dict]:
    """One row per component of each stack's most production environment, read from that plan."""
    rows = []
    for sid, stack in sorted(project.model.stacks.items()):
        envs = [e for e in project.model.environments if e in stack.environments] or list(stack.environments)
        dep = project.deployment(f"{sid}-{envs[-1]}")
        plan = build_plan(project, dep.name) if stack.target != "compose" else None
        for comp in dep.components:
            target = comp.cloud if stack.target == "hybrid" else stack.target
            row = {"component": comp.id, "kind": comp.kind, "stack": dep.name, "target": target}
            if plan is None:
                row["runs as"] = "container" if comp.kind in WORKLOADS else "local volume / file"
                row.update(_compose_features(comp, comp.kind) if comp.kind in WORKLOADS
                           else {f: "n/a" for f in FEATURES})
            else:
                row["runs as"] = _runs_as(plan, comp.id)
                if comp.kind in WORKLOADS:
                    row.update((_aws_features if target == "aws" else _gcp_features)(plan, comp.id, comp.kind))
                else:
                    row.update({f: "n/a" for f in FEATURES})
            rows.append(row)
    return rows


def parity_section(doc) -> str | None:
    """Docs page section: per component and target, what it gets and what the target drops (—)."""
    from architecture.docs import cell

    rows = parity_rows(doc.project)
    if not rows:
        return None
    head = ["component", "stack", "runs as", *FEATURES]
    lines = ["Read from each stack's plan for its most production environment (the same plan `stacks plan`, "
             "Pulumi and Terraform use; compose from the model). `—` marks what a target drops; `n/a` what does "
             "not apply to the kind.", "",
             "| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for row in sorted(rows, key=lambda r: (r["component"], r["stack"])):
        cells = [f"`{row['component']}` ({row['kind']})", f"`{row['stack']}` ({row['target']})", row["runs as"],
                 *(row[f] for f in FEATURES)]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)
