"""The ``gcp`` and ``hybrid`` diagram views, drawn from plans.

The gcp view nests a GCP plan's resources the way GCP scopes them: the global
edge (the HTTPS load balancer with Cloud Armor, the certificate and DNS), the
region (Cloud Run, buckets, BigQuery, a cluster per model component) and the
project (APIs, service accounts, monitoring, logs). As in the aws view
(``architecture.aws_view``), a main resource (``MAIN``) is an icon and every supporting
resource (IAM bindings, proxies, URL maps, tables) is listed under the main
resource it belongs to; ``Node.members`` records what each node stands for. The
hybrid view draws both clouds as boundaries: the AWS side is the aws view's own
drawing of the plan's AWS resources, the GCP side this module's, on shared levels
top to bottom, and every cross-cloud connection is a bold edge labelled with the
mechanism and the identity that secures it (``stacks.plan.hybrid.cross_cloud_links``).
Every plan resource is in exactly one node (tested against the plan, the Pulumi
recording and the Terraform JSON).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from architecture.aws_view import GRAPH_ATTRS, actors, connection_edges, refs_of
from architecture.cloud import compact, list_node, merged_node, resource_node
from architecture.logical import wrap
from architecture.nodes import resource_icon
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.plan.core import Plan, Resource
from stacks.project import Project

GCP_ANCHORS = (
    "gcp:cloudrunv2/service:Service",
    "gcp:cloudrunv2/job:Job",
    "gcp:bigquery/dataset:Dataset",
    "gcp:storage/bucket:Bucket",
    "gcp:pubsub/topic:Topic",
    "gcp:compute/globalForwardingRule:GlobalForwardingRule",  # a gateway: its load balancer
)
PLACES = (  # plan group -> (cluster id suffix, label)
    ("edge", "edge", "global edge: HTTPS load balancer, Cloud Armor, DNS"),
    ("region", "region", "region {region}"),
    ("project", "project", "project-wide: APIs, service accounts, monitoring, logs"),
)
CROSS_COLOR = "#7B3FA0"
CROSS_WIDTH = 34  # characters per line of a cross-cloud edge's label

# Drawn as an icon each, with the product name a reader knows; everything else is listed under one.
MAIN: dict[str, str] = {
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": "HTTPS load balancer",
    "gcp:cloudrunv2/service:Service": "Cloud Run service",
    "gcp:cloudrunv2/job:Job": "Cloud Run job",
    "gcp:artifactregistry/repository:Repository": "Artifact Registry",
    "gcp:storage/bucket:Bucket": "Cloud Storage bucket",
    "gcp:storage/transferJob:TransferJob": "Storage Transfer job",
    "gcp:bigquery/dataset:Dataset": "BigQuery dataset",
    "gcp:serviceaccount/account:Account": "service account",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "Workload Identity pool",
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": "Cloud Logging bucket",
    "gcp:monitoring/notificationChannel:NotificationChannel": "alert notifications",
    "gcp:secretmanager/secret:Secret": "Secret Manager secret",
    "gcp:pubsub/topic:Topic": "Pub/Sub topic",
    "gcp:sql/databaseInstance:DatabaseInstance": "Cloud SQL",
    "gcp:redis/instance:Instance": "Memorystore",
    "gcp:compute/network:Network": "VPC network (Cloud Run egress subnet, database tier)",
    "gcp:cloudscheduler/job:Job": "Cloud Scheduler job",
    "gcp:kms/cryptoKey:CryptoKey": "Cloud KMS key",
}
MERGED = {"gcp:serviceaccount/account:Account": "service accounts"}
# A serverless NEG names the Cloud Run service it routes to; it belongs to the load balancer.
USES = ("gcp:cloudrunv2/service:Service", "gcp:kms/cryptoKey:CryptoKey")
# Shared supporting resources of one type with no main resource: one titled list each.
LISTS = {"gcp:projects/service:Service": ("enabled APIs", "gcp-api-")}
# Top to bottom, as in the aws view: the entry and the lake, what runs, the warehouse, project-wide.
COLUMNS = {
    "gcp:compute/globalForwardingRule:GlobalForwardingRule": 1,
    "gcp:cloudrunv2/service:Service": 2,
    "gcp:cloudrunv2/job:Job": 2,
    "gcp:storage/transferJob:TransferJob": 2,
    "gcp:cloudscheduler/job:Job": 2,
    "gcp:pubsub/topic:Topic": 2,
    "gcp:bigquery/dataset:Dataset": 3,
    "gcp:sql/databaseInstance:DatabaseInstance": 3,
    "gcp:redis/instance:Instance": 3,
    "gcp:compute/network:Network": 3,
    "gcp:artifactregistry/repository:Repository": 2,
    "gcp:serviceaccount/account:Account": 4,
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": 4,
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": 4,
    "gcp:monitoring/notificationChannel:NotificationChannel": 4,
    "gcp:secretmanager/secret:Secret": 4,
    "gcp:kms/cryptoKey:CryptoKey": 4,
}
KIND_COLUMNS = {"bucket": 1, "warehouse": 3, None: 3}  # buckets, by their component's kind
# Beside another cloud (hybrid), the project-wide resources stand in a column next to the region
# rather than in a row under it: the picture is already two clouds wide.
SPREAD = {
    "gcp:projects/service:Service": 1,
    "gcp:serviceaccount/account:Account": 2,
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": 3,
}


def _place(res: Resource) -> str:
    return res.group if res.group in {p[0] for p in PLACES} else "edge" if res.group == "global" else "region"


class GcpParts:
    """The GCP project as a cluster (a place per scope, a cluster per component inside the region), node
    ids by main resource, and the level of each node."""

    def __init__(self, ctx: ViewContext, resources: list[Resource], project: str, region: str, *, spread: bool = False):
        self.ctx, self.spread = ctx, spread
        parts = compact(resources, lambda r: r.type in MAIN, refs_of, anchors=GCP_ANCHORS, uses=USES)
        self.node_of: dict[str, str] = {}
        self.columns: dict[int, list[str]] = {}
        by_place: dict[str, list[Node]] = {}
        merged: dict[tuple[str, str], list[Resource]] = {}
        for res in parts.mains:
            if res.type in MERGED:
                merged.setdefault((_place(res), res.type), []).append(res)
                continue
            node = resource_node(f"gcp--{res.name}", res, parts.taken[res.name], detail=MAIN[res.type])
            by_place.setdefault(_place(res), []).append(node)
            self._level(res, node.id)
        for (place, type_), mains in merged.items():
            node_id = f"gcp--{place}-{type_.rsplit(':', 1)[1].lower()}s"
            by_place.setdefault(place, []).append(
                merged_node(
                    node_id,
                    MERGED[type_],
                    resource_icon(type_),
                    [(m, parts.taken[m.name]) for m in mains],
                    detail=f"{len(mains)}, with their IAM bindings",
                )
            )
            for res in mains:
                self.node_of[res.name] = node_id
            self.columns.setdefault(self._column_of(type_, COLUMNS[type_]), []).append(node_id)
        loose: dict[tuple[str, str], list[Resource]] = {}
        for res in parts.loose:
            loose.setdefault((_place(res), res.type if res.type in LISTS else ""), []).append(res)
        for (place, type_), members in sorted(loose.items()):
            title, strip = LISTS.get(type_, (f"{place}: shared", ""))
            node = list_node(
                f"gcp--{place}-{type_.rsplit(':', 1)[-1].lower() or 'shared'}-list",
                f"{title} ({len(members)})",
                members,
                icon=resource_icon(members[0].type),
                strip=strip,
            )
            by_place.setdefault(place, []).append(node)
            self.columns.setdefault(self._column_of(type_, 4), []).append(node.id)
        inner: list[Cluster] = []
        for group, cid, label in PLACES:
            nodes = by_place.get(group, [])
            if not nodes:
                continue
            if group == "region":
                inner.append(
                    Cluster(
                        f"gcp-{cid}",
                        label.format(region=region),
                        tone="gcp",
                        clusters=self._component_clusters(cid, nodes),
                    )
                )
            else:
                inner.append(Cluster(f"gcp-{cid}", label, tone="gcp", nodes=tuple(nodes)))
        self.cluster = Cluster("gcp-cloud", f"GCP project {project}", clusters=tuple(inner), tone="gcp")

    def _column_of(self, type_: str, default: int) -> int:
        return SPREAD.get(type_, default) if self.spread else default

    def _level(self, res: Resource, node_id: str) -> None:
        self.node_of[res.name] = node_id
        col = self._column_of(res.type, COLUMNS[res.type]) if res.type in COLUMNS else None
        if res.type == "gcp:storage/bucket:Bucket":
            col = KIND_COLUMNS.get(self.ctx.model.components[res.component].kind if res.component else None, 4)
        if col is not None:
            self.columns.setdefault(col, []).append(node_id)

    def _component_clusters(self, place: str, nodes: list[Node]) -> tuple[Cluster, ...]:
        groups: dict[str | None, list[Node]] = {}
        for node in nodes:
            groups.setdefault(node.component, []).append(node)
        out: list[Cluster] = []
        for comp, members in sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
            kind = self.ctx.model.components[comp].kind if comp else ""
            tone = "neutral" if comp is None else "data" if kind in ("bucket", "warehouse") else "compute"
            out.append(
                Cluster(
                    f"gcp-{place}--{comp or 'baseline'}",
                    self.ctx.label(comp) if comp else "shared",
                    nodes=tuple(members),
                    tone=tone,
                )
            )
        return tuple(out)


def _anchors(
    resources: list[Resource], components: Iterable[str], prefix: str, anchors: tuple[str, ...]
) -> dict[str, str]:
    out: dict[str, str] = {}
    for comp in components:
        mine = [r for r in resources if r.component == comp and r.type in MAIN and r.type not in MERGED]
        chosen = next((r for t in anchors for r in mine if r.type == t), mine[0] if mine else None)
        if chosen is not None:
            out[comp] = f"{prefix}--{chosen.name}"
    return out


def _entries(resources: list[Resource]) -> dict[str, list[str]]:
    """Component -> its HTTPS forwarding rule node, for components behind the load balancer."""
    return {
        r.component: [f"gcp--{r.name}"]
        for r in resources
        if r.component is not None
        and r.type == "gcp:compute/globalForwardingRule:GlobalForwardingRule"
        and r.name.endswith("-https")
    }


def levels(*column_maps: dict[int, list[str]]) -> tuple[tuple[tuple[str, ...], ...], list[Edge]]:
    """Rank groups from the level maps of each side (aligned: level k of both clouds on one rank), and
    invisible edges from each level to the next so that a level no edge reaches stays in order."""
    merged: dict[int, list[str]] = {}
    for columns in column_maps:
        for col, ids in columns.items():
            merged.setdefault(col, []).extend(ids)
    ranks = tuple(tuple(ids) for _col, ids in sorted(merged.items()))
    return ranks, [Edge(a[0], b[0], style="invis") for a, b in itertools.pairwise(ranks)]


def gcp_spec(ctx: ViewContext, plan: Plan) -> GraphSpec:
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    gcp = plan.providers["gcp"]
    parts = GcpParts(ctx, resources, gcp["project"], gcp["region"])
    anchor = _anchors(resources, plan.components, "gcp", GCP_ANCHORS)
    outside = actors(ctx, anchor)
    entries = _entries(resources)
    edges = connection_edges(ctx, anchor, entries, outside)
    # What the load balancer reaches a component through: a static site's bucket is a Cloud CDN backend bucket.
    buckets = {r.component for r in resources if r.type == "gcp:compute/backendBucket:BackendBucket"}
    edges += [
        Edge(
            entry[0],
            anchor[cid],
            "backend bucket\n(Cloud CDN)" if cid in buckets else "serverless NEG\n(Cloud Armor checked)",
        )
        for cid, entry in sorted(entries.items())
        if cid in anchor
    ]
    ranks, level_edges = levels(parts.columns)
    return GraphSpec(
        name=ctx.name,
        title=f"{ctx.title} ({plan.stack})",
        description=(
            f"The {plan.stack} plan ({len(resources)} resources: the same list the Pulumi program "
            "registers and main.tf.json declares), placed where GCP scopes it. Main resources are "
            "icons; the supporting resources each one needs (IAM bindings, proxies, URL maps, tables) "
            "are listed under it. Solid edges are requests, dashed edges data flows."
        ),
        direction=ctx.direction,
        nodes=tuple(outside),
        clusters=(parts.cluster,),
        edges=tuple(edges + level_edges),
        legend=(("solid", "request"), ("dashed", "data flow")),
        attrs=GRAPH_ATTRS,
        ranks=ranks,
    )


def resource_cloud(plan: Plan, res: Resource) -> str:
    """Which cloud a hybrid plan resource lives in: its provider, or (an image build) its component's."""
    provider = res.type.split(":", 1)[0]
    if provider in ("aws", "gcp"):
        return provider
    return "gcp" if ".pkg.dev/" in str(res.inputs.get("tags", "")) else "aws"


def hybrid_spec(ctx: ViewContext, plan: Plan) -> GraphSpec:
    from architecture.aws_view import AwsParts, ends
    from stacks.plan.hybrid import cross_cloud_links

    deployment = ctx.project.deployment(plan.stack)
    links = cross_cloud_links(ctx.project, deployment)
    resources = [r for r in plan.resources if r.component is None or r.component not in ctx.exclude]
    on_aws = [r for r in resources if resource_cloud(plan, r) == "aws"]
    on_gcp = [r for r in resources if resource_cloud(plan, r) == "gcp"]
    aws_side = AwsParts(ctx, on_aws, plan.providers["aws"]["region"])
    aws_boundary = Cluster("aws-cloud", "AWS account", tone="aws", clusters=aws_side.clusters)
    gcp = plan.providers["gcp"]
    gcp_side = GcpParts(ctx, on_gcp, gcp["project"], gcp["region"], spread=True)
    aws_components = [c.id for c in deployment.on("aws")]
    gcp_components = [c.id for c in deployment.on("gcp")]
    aws_anchor, aws_entry = ends(on_aws, aws_components)
    gcp_anchor = _anchors([r for r in on_gcp if r.component in gcp_components], gcp_components, "gcp", GCP_ANCHORS)
    anchor = {**aws_anchor, **gcp_anchor}
    outside = actors(ctx, anchor)
    covered = {(link.source, link.target) for link in links if link.path in ("data", "query")}
    answered = {(b, a) for a, b in covered if any((c.from_, c.to) == (b, a) for c in ctx.connections)}
    edges = connection_edges(ctx, anchor, aws_entry, outside, skip=covered | answered)
    from architecture.aws_view import entry_edges

    edges += entry_edges(on_aws, aws_anchor, aws_entry)
    for link in links:
        label = wrap(f"{link.mechanism}: {link.identity}", CROSS_WIDTH)
        if link.path == "data":
            job = gcp_side.node_of[f"{link.source}-transfer"]
            mirror = gcp_side.node_of[f"{link.source}-mirror"]
            edges.append(Edge(anchor[link.source], job, label, style="bold", color=CROSS_COLOR))
            edges.append(Edge(job, mirror, "copies tables/\n(Parquet)", style="dashed", color=CROSS_COLOR))
            edges.append(Edge(mirror, anchor[link.target], "BigLake tables\nread it", style="dashed"))
        elif link.path == "query":  # the results come back the same way: one edge, a head at each end
            edges.append(
                Edge(
                    anchor[link.source],
                    anchor[link.target],
                    label,
                    style="bold",
                    color=CROSS_COLOR,
                    both=(link.target, link.source) in answered,
                )
            )
        elif link.source in anchor and link.target in anchor:
            edges.append(Edge(anchor[link.source], anchor[link.target], link.mechanism, color=CROSS_COLOR))
    # AWS above GCP: side by side, two clouds would be twice as wide and their text half as big.
    below = max(aws_side.columns, default=0) + 1
    ranks, level_edges = levels(aws_side.columns, {col + below: ids for col, ids in gcp_side.columns.items()})
    return GraphSpec(
        name=ctx.name,
        title=f"{ctx.title} ({plan.stack})",
        description=(
            f"The {plan.stack} plan on both clouds ({len(resources)} resources: {len(on_aws)} on AWS, "
            f"{len(on_gcp)} on GCP), main resources as icons with their supporting resources listed "
            "under them. Bold purple edges cross clouds, each labelled with what carries it and the "
            "identity that secures it: no access key or key file anywhere."
        ),
        direction=ctx.direction,
        nodes=tuple(outside),
        clusters=(aws_boundary, gcp_side.cluster),
        edges=tuple(edges + level_edges),
        attrs=GRAPH_ATTRS,
        ranks=ranks,
        legend=(("solid", "request"), ("dashed", "data flow"), ("bold", "cross-cloud, keyless identity")),
    )


def _drawn(project: Project, target: str) -> str | None:
    from architecture.aws_view import drawn_deployable

    return drawn_deployable(project, target)


def gcp_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``gcp`` view: the most production gcp deployable of the model."""
    name = _drawn(ctx.project, "gcp")
    return gcp_spec(ctx, ctx.plans[name]) if name else None


def hybrid_view(ctx: ViewContext) -> GraphSpec | None:
    """Registered as the ``hybrid`` view: the most production hybrid deployable of the model."""
    name = _drawn(ctx.project, "hybrid")
    return hybrid_spec(ctx, ctx.plans[name]) if name else None
