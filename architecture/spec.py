"""The graph spec: what a view projects the model into and the renderer draws.

Plain frozen dataclasses, no ``diagrams`` and no Graphviz: a view is a pure
function ``(ViewContext) -> GraphSpec | None`` and tests read its output directly.
``GraphSpec.normalized()`` sorts everything by id so the same model always yields
the same spec (and the same bytes), whatever order the YAML listed things in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from stacks.errors import StacksError

DIRECTIONS = ("LR", "TB", "RL", "BT")


@dataclass(frozen=True)
class Node:
    """One box with an icon. ``icon`` is a dotted path to a ``diagrams`` node class."""

    id: str
    label: str
    icon: str
    detail: str = ""  # a second, smaller line: technology, product, port
    component: str | None = None  # the model component this node stands for, if any
    tooltip: str = ""
    attrs: tuple[tuple[str, str], ...] = ()
    # A small table under the label (one tuple of cells per line, ``heading`` in bold above it):
    # how one node lists what it stands for, e.g. a bucket's policy and lifecycle, or subnets per AZ.
    heading: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    # The things this node stands for when it is more than itself (a cloud view's plan resources):
    # views drawn from plans put every resource in exactly one node's ``members``.
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str = ""
    style: str = "solid"  # solid | dashed | dotted | invis
    color: str = ""
    both: bool = False  # an arrow head at each end
    attrs: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str, str, bool, tuple[tuple[str, str], ...]]:
        return (self.source, self.target, self.label, self.style, self.color, self.both, self.attrs)


@dataclass(frozen=True)
class Cluster:
    """A box around nodes and nested clusters. ``id`` is unique in the whole graph."""

    id: str
    label: str
    nodes: tuple[Node, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    tone: str = "neutral"  # a colour family: neutral | edge | compute | data | aws | gcp | local | system
    attrs: tuple[tuple[str, str], ...] = ()

    def walk(self) -> Iterator[tuple[Cluster, int]]:
        """Yield (cluster, depth) for this cluster and every nested one."""
        stack = [(self, 0)]
        while stack:
            cluster, depth = stack.pop()
            yield cluster, depth
            stack.extend((c, depth + 1) for c in reversed(cluster.clusters))


@dataclass(frozen=True)
class GraphSpec:
    """A whole picture: title, layout direction, top-level nodes and clusters, edges."""

    name: str
    title: str
    description: str
    direction: str = "LR"
    nodes: tuple[Node, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    edges: tuple[Edge, ...] = ()
    ranks: tuple[tuple[str, ...], ...] = ()  # node ids drawn on the same rank, in order
    attrs: tuple[tuple[str, str], ...] = ()  # extra Graphviz graph attributes
    legend: tuple[tuple[str, str], ...] = field(default=())  # (line style, meaning), shown in the docs page

    def all_clusters(self) -> list[tuple[Cluster, int]]:
        return [pair for top in self.clusters for pair in top.walk()]

    def all_nodes(self) -> list[Node]:
        found = list(self.nodes)
        for cluster, _ in self.all_clusters():
            found.extend(cluster.nodes)
        return found

    def node_ids(self) -> set[str]:
        return {n.id for n in self.all_nodes()}

    def normalized(self) -> GraphSpec:
        """Sorted by id everywhere, duplicate edges merged, and checked for consistency."""

        def sort_cluster(c: Cluster) -> Cluster:
            return replace(
                c,
                nodes=tuple(sorted(c.nodes, key=lambda n: n.id)),
                clusters=tuple(sorted((sort_cluster(k) for k in c.clusters), key=lambda k: k.id)),
            )

        spec = replace(
            self,
            nodes=tuple(sorted(self.nodes, key=lambda n: n.id)),
            clusters=tuple(sorted((sort_cluster(c) for c in self.clusters), key=lambda c: c.id)),
            edges=tuple(sorted(set(self.edges), key=lambda e: e.key)),
        )
        spec.check()
        return spec

    def check(self) -> None:
        """A view bug (not a user error) when ids clash or an edge dangles."""
        if self.direction not in DIRECTIONS:
            raise StacksError(f"view '{self.name}': direction '{self.direction}' is not one of {DIRECTIONS}")
        ids = [n.id for n in self.all_nodes()]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise StacksError(f"view '{self.name}': node id '{dupes[0]}' appears twice")
        cluster_ids = [c.id for c, _ in self.all_clusters()]
        cdupes = sorted({i for i in cluster_ids if cluster_ids.count(i) > 1})
        if cdupes:
            raise StacksError(f"view '{self.name}': cluster id '{cdupes[0]}' appears twice")
        known = set(ids)
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in known:
                    raise StacksError(
                        f"view '{self.name}': an edge ends on '{end}', which is not a node "
                        "(edges join nodes, never cluster borders)"
                    )
        for group in self.ranks:
            for member in group:
                if member not in known:
                    raise StacksError(f"view '{self.name}': rank group names '{member}', which is not a node")
