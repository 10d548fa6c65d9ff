"""A ready projection for views drawn from cloud plans (aws, gcp, hybrid).

``resources_view`` turns a list of cloud resources grouped by model component
into a ``GraphSpec``: one cluster per component (labelled with the component's
name) holding a node per resource, shared resources (``component`` None) grouped
by their ``group``, everything inside a boundary cluster per provider, and the
model's connections drawn between each component's *anchor* resource (the first
of its resources whose type is in ``anchors``, else its first resource). Edges
always join resource nodes, never cluster borders.

A resource is anything with ``type`` (a Pulumi type token such as
``aws:ecs/service:Service``), ``name`` (unique in the plan), ``component`` (a model
component id or None) and optionally ``group``; icons come from
``architecture.nodes.RESOURCE_TABLES``.
"""

from __future__ import annotations

from collections.abc import Iterable

from architecture.nodes import resource_icon
from architecture.registry import ViewContext
from architecture.spec import Cluster, Edge, GraphSpec, Node

PROVIDER_TONES = {"aws": "aws", "gcp": "gcp"}


def _short_type(type_token: str) -> str:
    """``aws:ecs/service:Service`` -> ``ecs Service``: what a reader needs under the name."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    module = parts[1].split("/")[0]
    return f"{module} {parts[2]}"


def resources_view(
    ctx: ViewContext,
    resources: Iterable,
    *,
    description: str,
    boundaries: dict[str, str] | None = None,
    anchors: Iterable[str] = (),
    cross_label: str = "",
) -> GraphSpec:
    """``boundaries`` maps a provider (``aws``) to its boundary label (``AWS eu-west-1``)."""
    boundaries = boundaries or {}
    anchor_types = tuple(anchors)
    by_provider: dict[str, dict[str, list]] = {}
    for res in resources:
        provider = res.type.split(":", 1)[0]
        comp = getattr(res, "component", None)
        if comp is not None and comp in ctx.exclude:
            continue
        key = f"component:{comp}" if comp else f"group:{getattr(res, 'group', '') or 'shared'}"
        by_provider.setdefault(provider, {}).setdefault(key, []).append(res)
    clusters, anchor_of, cloud_of = [], {}, {}
    for provider, groups in sorted(by_provider.items()):
        inner = []
        for key, members in sorted(groups.items()):
            kind, _, ident = key.partition(":")
            nodes = tuple(
                Node(
                    f"{provider}--{r.name}",
                    r.name,
                    resource_icon(r.type),
                    detail=_short_type(r.type),
                    component=getattr(r, "component", None),
                )
                for r in members
            )
            label = ctx.label(ident) if kind == "component" else ident.replace("-", " ")
            inner.append(Cluster(f"{provider}--{key.replace(':', '-')}", label, nodes=nodes))
            if kind == "component" and ident not in anchor_of:
                chosen = next((r for t in anchor_types for r in members if r.type == t), members[0])
                anchor_of[ident] = f"{provider}--{chosen.name}"
                cloud_of[ident] = provider
        clusters.append(
            Cluster(
                f"provider-{provider}",
                boundaries.get(provider, provider.upper()),
                clusters=tuple(inner),
                tone=PROVIDER_TONES.get(provider, "neutral"),
            )
        )
    edges = []
    for conn in ctx.connections:
        if conn.from_ in anchor_of and conn.to in anchor_of and conn.from_ != conn.to:
            cross = cloud_of[conn.from_] != cloud_of[conn.to]
            edges.append(
                Edge(
                    anchor_of[conn.from_],
                    anchor_of[conn.to],
                    cross_label if cross else (conn.label or ""),
                    style="dashed" if conn.flow == "data" else "solid",
                    color="#C2410C" if cross else "",
                )
            )
    return GraphSpec(ctx.name, ctx.title, description, ctx.direction, clusters=tuple(clusters), edges=tuple(edges))
