"""The five logical views: system, containers, dataflow, development, deployment.

Each is a pure projection ``(ViewContext) -> GraphSpec | None`` of the validated
model; what a component looks like comes from the tables in ``architecture.nodes``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from architecture.nodes import look
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.model import AnyComponent, AnyStack, Connection
from stacks.project import DeployedComponent, Deployment

TIERS = (("edge", "Edge"), ("compute", "Compute"), ("data", "Data"))
DEFAULT_TIER = {
    "frontend": "edge",
    "service": "compute",
    "worker": "compute",
    "job": "compute",
    "bucket": "data",
    "warehouse": "data",
    "database": "data",
    "cache": "data",
    "queue": "data",
}
OUTSIDE_KINDS = ("user", "external")
DATA_EDGE = "#1F77B4"
CROSS_CLOUD_EDGE = "#C2410C"
HELPER_EDGE = "#94A3B8"
TARGET_NAMES = {"compose": "docker compose", "aws": "AWS", "gcp": "GCP", "hybrid": "AWS + GCP"}


def wrap(text: str, width: int = 24) -> str:
    """Break a label into lines so a long name never runs into its neighbours."""
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=True, break_on_hyphens=False)) or text


def tier_of(component: AnyComponent) -> str | None:
    if component.tier:
        return component.tier
    if component.kind in OUTSIDE_KINDS:
        return None
    return DEFAULT_TIER.get(component.kind, "compute")


def component_node(
    ctx: ViewContext, cid: str, *, target: str = "logical", node_id: str | None = None, detail: str | None = None
) -> Node:
    comp = ctx.model.components[cid]
    found = look(target, comp)
    second = detail if detail is not None else (comp.technology or "")
    return Node(node_id or cid, ctx.label(cid), found.icon, detail=second, component=cid, tooltip=comp.description)


PROTOCOLS = {
    "https": "HTTPS",
    "http": "HTTP",
    "grpc": "gRPC",
    "tcp": "TCP",
    "sql": "SQL",
    "s3": "S3",
    "gcs": "GCS",
    "amqp": "AMQP",
    "redis": "Redis",
    "postgres": "PostgreSQL",
    "mysql": "MySQL",
    "graphql": "GraphQL",
    "file": "file",
}


def protocol_label(conn: Connection) -> str:
    name = str(conn.protocol)
    return PROTOCOLS.get(name, name) + (f" :{conn.port}" if conn.port else "")


def names(ctx: ViewContext, ids: Iterable[str]) -> str:
    shown = [ctx.label(i) for i in ids]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ---------------------------------------------------------------- system context


def system_view(ctx: ViewContext) -> GraphSpec:
    system = ctx.model.system
    outside = [cid for cid, c in ctx.components.items() if c.kind in OUTSIDE_KINDS]
    inside = [cid for cid in ctx.components if cid not in outside]
    system_id = "system--" + system.name
    nodes = [
        Node(
            system_id,
            system.title,
            "diagrams.generic.place.Datacenter",
            detail=system.description or f"{plural(len(inside), 'component')}",
            tooltip=system.description,
        )
    ]
    nodes += [
        component_node(
            ctx,
            cid,
            detail=("" if ctx.model.components[cid].kind == "user" else ctx.model.components[cid].technology or ""),
        )
        for cid in outside
    ]
    # Connections that cross the boundary, merged per outside party and direction.
    merged: dict[tuple[str, str], list[str]] = {}
    crossing = 0
    for conn in ctx.connections:
        src = conn.from_ if conn.from_ in outside else system_id
        dst = conn.to if conn.to in outside else system_id
        if src == dst:
            continue
        crossing += 1
        text = conn.label or conn.data or conn.protocol
        merged.setdefault((src, dst), [])
        if text not in merged[(src, dst)]:
            merged[(src, dst)].append(text)
    edges = [Edge(src, dst, "\n".join(wrap(t, 28) for t in texts)) for (src, dst), texts in merged.items()]
    people = [c for c in outside if ctx.model.components[c].kind == "user"]
    externals = [c for c in outside if c not in people]
    parts = []
    if people:
        parts.append(f"used by {names(ctx, people)}")
    if externals:
        parts.append(f"fed by or calling {names(ctx, externals)}")
    desc = (
        f"{system.title} as one box ({plural(len(inside), 'component')} inside)"
        + (", " + " and ".join(parts) if parts else ", with no users or external systems declared")
        + f"; the {plural(crossing, 'connection')} crossing its boundary are drawn as "
        f"{plural(len(edges), 'arrow')}, one per party and direction."
    )
    return GraphSpec("system", ctx.title, desc, ctx.direction, nodes=tuple(nodes), edges=tuple(edges))


# ---------------------------------------------------------------- containers


def _connection_edge(conn: Connection, with_protocol: bool = True) -> Edge:
    text = wrap(conn.label, 26) if conn.label else ""
    if with_protocol:
        text = (text + "\n" if text else "") + protocol_label(conn)
    if conn.flow == "data":
        return Edge(conn.from_, conn.to, text, style="dashed", color=DATA_EDGE)
    return Edge(conn.from_, conn.to, text)


def containers_view(ctx: ViewContext) -> GraphSpec:
    system = ctx.model.system
    outside: list[Node] = []
    tiers: dict[str, list[Node]] = {name: [] for name, _ in TIERS}
    for cid, comp in ctx.components.items():
        tier = tier_of(comp)
        (outside if tier is None else tiers[tier]).append(component_node(ctx, cid))
    tier_clusters = tuple(
        Cluster(f"tier-{name}", title, nodes=tuple(tiers[name]), tone=name) for name, title in TIERS if tiers[name]
    )
    clusters = (Cluster("system-" + system.name, system.title, clusters=tier_clusters, tone="system"),)
    edges = tuple(_connection_edge(c) for c in ctx.connections)
    shown = {cid for cid in ctx.components}
    counts = ", ".join(f"{len(tiers[n])} {t.lower()}" for n, t in TIERS if tiers[n])
    desc = (
        f"The {plural(len(shown) - len(outside), 'component')} of {system.title} by tier ({counts}), "
        f"with {names(ctx, [n.id for n in outside]) or 'no one'} outside the boundary. "
        f"Each of the {plural(len(edges), 'connection')} is labelled with what it is for, its protocol and "
        "port; dashed blue arrows move data, solid grey ones are requests."
    )
    return GraphSpec(
        "containers",
        ctx.title,
        desc,
        ctx.direction,
        nodes=tuple(outside),
        clusters=clusters,
        edges=edges,
        ranks=ctx.ranks_for(shown),
        legend=(
            ("solid grey", "request: the caller uses the callee"),
            ("dashed blue", "data moves in the arrow's direction"),
        ),
    )


# ---------------------------------------------------------------- dataflow


def dataflow_view(ctx: ViewContext) -> GraphSpec:
    flows = [c for c in ctx.connections if c.flow == "data"]
    ids = sorted({c.from_ for c in flows} | {c.to for c in flows})
    nodes = tuple(component_node(ctx, cid) for cid in ids)
    edges = tuple(
        Edge(c.from_, c.to, wrap(c.data or c.label or c.protocol, 26) + f"\n({protocol_label(c)})", color=DATA_EDGE)
        for c in flows
    )
    sources = [i for i in ids if not any(c.to == i for c in flows)]
    sinks = [i for i in ids if not any(c.from_ == i for c in flows)]
    if flows:
        desc = (
            f"{plural(len(flows), 'data flow')} between {plural(len(ids), 'component')}: data enters from "
            f"{names(ctx, sources) or 'a cycle'} and ends with {names(ctx, sinks) or 'a cycle'}. "
            "Each arrow is labelled with what flows and how."
        )
    else:
        desc = "The model declares no data flows (connections with `flow: data`)."
    return GraphSpec("dataflow", ctx.title, desc, ctx.direction, nodes=nodes, edges=edges)


# ---------------------------------------------------------------- local development


def _compose_deployment(ctx: ViewContext) -> Deployment | None:
    for sid, stack in sorted(ctx.model.stacks.items()):
        if stack.target == "compose":
            env = "dev" if "dev" in stack.environments else sorted(stack.environments)[0]
            return ctx.project.deployment(f"{sid}-{env}")
    return None


def _warehouse_mount(ctx: ViewContext, warehouse: str) -> str:
    linked = sorted(
        {c.to for c in ctx.model.connections if c.from_ == warehouse}
        | {c.from_ for c in ctx.model.connections if c.to == warehouse}
    )
    for cid in linked:
        data_dir: str | None = getattr(ctx.model.components[cid], "data_dir", None)
        if data_dir:
            return data_dir
    return "/data"


def development_view(ctx: ViewContext) -> GraphSpec | None:
    dep = _compose_deployment(ctx)
    if dep is None:
        return None
    deployed = [c for c in dep.components if c.id not in ctx.exclude]
    ids = {c.id for c in deployed}
    workloads = [c for c in deployed if c.kind in ("frontend", "service", "worker", "job")]
    data = [c for c in deployed if c not in workloads]
    profile = f"--profile {dep.environment}" if dep.environment == "dev" else ""
    host_nodes = [component_node(ctx, c.id, detail=_dev_workload_detail(c)) for c in workloads]
    # As the compose stack runs it: a warehouse is DuckDB on a named volume, mounted by every
    # connected workload at the first data_dir among them (default /data).
    mounts = {c.id: _warehouse_mount(ctx, c.id) for c in data if c.kind == "warehouse"}
    data_nodes = [
        component_node(
            ctx,
            c.id,
            target="compose",
            detail=look("compose", c.component).product + (f" at {mounts[c.id]}" if c.id in mounts else ""),
        )
        for c in data
    ]
    built = [c for c in workloads if getattr(c.component, "build", None) is not None]
    helper_nodes, edges = _dev_helpers(workloads, built, mounts, ids)
    for conn in ctx.connections:
        if conn.from_ in ids and conn.to in ids:
            edges.append(_connection_edge(conn, with_protocol=False))
    services = [c for c in workloads if getattr(c.component, "port", None)]
    outside, requests = _dev_access(built, services)
    edges += requests
    cmd = f"docker compose {profile} up".replace("  ", " ")
    host = Cluster(
        f"compose-{dep.stack_id}",
        f"{cmd}  ({dep.name})",
        nodes=tuple(host_nodes + data_nodes + helper_nodes),
        tone="local",
    )
    desc = (
        f"What `{cmd}` runs for the {dep.name} stack: "
        f"{plural(len(workloads), 'container')} ({names(ctx, [c.id for c in workloads]) or 'none'})"
        + (f" with their local stand-ins for {names(ctx, [c.id for c in data])}" if data else "")
        + (". The source tree is bind-mounted for hot reload" if built else "")
        + (
            f"; the developer and `make test` reach {names(ctx, [c.id for c in services])} on localhost"
            if services
            else ""
        )
        + "."
    )
    return GraphSpec(
        "development",
        ctx.title,
        desc,
        ctx.direction,
        nodes=tuple(outside),
        clusters=(host,),
        edges=tuple(edges),
        legend=(
            ("dotted grey", "mounts and bind mounts"),
            ("dashed grey", "start order and the test runner's requests"),
            ("dashed blue", "data moves in the arrow's direction"),
        ),
    )


def _dev_workload_detail(c: DeployedComponent) -> str:
    """How a workload runs locally: a container (and its localhost port) or a one-shot job."""
    tech = c.component.technology or ""
    port = getattr(c.component, "port", None)
    detail = f"{tech} container" if tech else "container"
    if port:
        detail += f", localhost:{port}"
    if c.kind == "job":
        detail = f"{tech} one-shot job" if tech else "one-shot job"
    return detail


def _dev_helpers(
    workloads: list[DeployedComponent], built: list[DeployedComponent], mounts: dict[str, str], ids: set[str]
) -> tuple[list[Node], list[Edge]]:
    """The source tree bind-mounted into built workloads, their data volumes, and job start order."""
    helper_nodes: list[Node] = []
    edges: list[Edge] = []
    if built:
        helper_nodes.append(Node("dev--source", "Source tree ./", "diagrams.onprem.vcs.Git", detail="bind-mounted"))
        for c in built:
            edges.append(
                Edge(
                    "dev--source",
                    c.id,
                    "hot reload" if c.kind != "job" else "mounted",
                    style="dotted",
                    color=HELPER_EDGE,
                )
            )
    for c in workloads:
        data_dir = getattr(c.component, "data_dir", None)
        if data_dir and data_dir not in mounts.values():  # a warehouse mount is drawn as the warehouse
            vol = f"dev--volume-{c.id}"
            helper_nodes.append(
                Node(vol, f"{c.id}-data volume", "diagrams.generic.storage.Storage", detail=f"mounted at {data_dir}")
            )
            edges.append(Edge(c.id, vol, "mounts", style="dotted", color=HELPER_EDGE))
        for later in sorted(getattr(c.component, "before", []) or []):
            if later in ids:
                edges.append(Edge(c.id, later, "completes before\nit starts", style="dashed", color=HELPER_EDGE))
    return helper_nodes, edges


def _dev_access(built: list[DeployedComponent], services: list[DeployedComponent]) -> tuple[list[Node], list[Edge]]:
    """The developer and the test runner outside the stack, and the requests they send to it."""
    outside: list[Node] = [Node("dev--developer", "Developer", "diagrams.onprem.client.User")]
    edges: list[Edge] = []
    if built:
        edges.append(Edge("dev--developer", "dev--source", "edits", color=HELPER_EDGE))
    if services:
        outside.append(
            Node(
                "dev--tests",
                "Test runner",
                "diagrams.programming.language.Python",
                detail="make test (pytest on the host)",
            )
        )
        for c in services:
            port = getattr(c.component, "port", None)
            edges.append(Edge("dev--developer", c.id, f"http://localhost:{port}"))
            edges.append(Edge("dev--tests", c.id, f"http://127.0.0.1:{port}", style="dashed", color=HELPER_EDGE))
    return outside, edges


# ---------------------------------------------------------------- deployment


def _stack_label(stack_id: str, stack: AnyStack, envs: list[str]) -> str:
    where = TARGET_NAMES[stack.target]
    region = getattr(stack, "region", None)
    if region:
        where += f" {region}"
    return f"{stack_id}: {where}  [{', '.join(envs)}]"


def deployment_view(ctx: ViewContext) -> GraphSpec | None:
    stacks = sorted(ctx.model.stacks.items())
    if not stacks:
        return None
    clusters, edges = [], []
    for sid, stack in stacks:
        envs = list(stack.environments)
        where: dict[str, tuple[str, list[str]]] = {}  # component -> (cloud, environments)
        for env in envs:
            for c in ctx.project.deployment(f"{sid}-{env}").components:
                if c.id in ctx.exclude:
                    continue
                where.setdefault(c.id, (c.cloud, []))[1].append(env)

        def node(cid: str, cloud: str, sid: str = sid, envs: list[str] = envs, where: dict[str, Any] = where) -> Node:
            comp = ctx.model.components[cid]
            detail = look(cloud, comp).product
            if len(where[cid][1]) < len(envs):
                detail += f" ({', '.join(where[cid][1])} only)"
            return component_node(ctx, cid, target=cloud, node_id=f"{sid}--{cid}", detail=detail)

        if stack.target == "hybrid":
            inner = []
            for cloud, settings in (("aws", stack.aws), ("gcp", stack.gcp)):
                members = tuple(node(cid, cloud) for cid, (cl, _) in sorted(where.items()) if cl == cloud)
                if members:
                    inner.append(
                        Cluster(f"{sid}-{cloud}", f"{cloud.upper()} {settings.region}", nodes=members, tone=cloud)
                    )
            clusters.append(
                Cluster(f"stack-{sid}", _stack_label(sid, stack, envs), clusters=tuple(inner), tone="hybrid")
            )
        else:
            members = tuple(node(cid, cl) for cid, (cl, _) in sorted(where.items()))
            clusters.append(
                Cluster(
                    f"stack-{sid}",
                    _stack_label(sid, stack, envs),
                    nodes=members,
                    tone=stack.target if stack.target in ("aws", "gcp") else "local",
                )
            )
        for conn in ctx.connections:
            if conn.from_ in where and conn.to in where:
                cross = where[conn.from_][0] != where[conn.to][0]
                edges.append(
                    Edge(
                        f"{sid}--{conn.from_}",
                        f"{sid}--{conn.to}",
                        "cross-cloud" if cross else "",
                        style="dashed" if conn.flow == "data" else "solid",
                        color=CROSS_CLOUD_EDGE if cross else "",
                    )
                )
    summary = "; ".join(f"{sid} on {TARGET_NAMES[s.target]} ({', '.join(s.environments)})" for sid, s in stacks)
    desc = (
        f"The {plural(len(stacks), 'stack')} side by side, each box listing what every component becomes "
        f"on that target: {summary}. Components deployed in only some environments say so; "
        "arrows are the model's connections inside each stack"
        + (
            ", orange where they cross from one cloud to the other."
            if any(s.target == "hybrid" for _, s in stacks)
            else "."
        )
    )
    return GraphSpec(
        "deployment",
        ctx.title,
        desc,
        ctx.direction,
        clusters=tuple(clusters),
        edges=tuple(edges),
        legend=(("solid", "request"), ("dashed", "data flow"), ("orange", "crosses between clouds")),
    )
