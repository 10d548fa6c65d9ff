"""Change diagrams: each view that a diff changes, drawn once with its changes coloured.

``change_specs`` projects every view of both sides (the same projections as
`stacks diagrams`) and merges each pair into one ``GraphSpec``: what HEAD added is
green, what it removed is a grey dashed ghost left where BASE had it, what it
changed is amber (a node whose drawing differs, or that stands for a changed
component or plan resource), and a legend says so. Views equal on both sides are
left out. ``render_changes`` draws them through the one renderer (PNG + SVG,
deterministic: the same two models give the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from architecture.registry import VIEWS, context
from architecture.render import FORMATS, Rendering, render_specs
from architecture.spec import Cluster, Edge, GraphSpec, Node
from stacks.artifacts import write_atomic
from stacks.diff import Diff
from stacks.project import Project

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
STYLE: dict[str, dict[str, str]] = {  # change -> Graphviz attributes of its node box
    ADDED: {"color": "#2E7D32", "fillcolor": "#E3F4E1", "fontcolor": "#1B5E20"},
    REMOVED: {"color": "#9AA5B1", "fillcolor": "#F1F3F5", "fontcolor": "#9AA5B1", "style": "rounded,filled,dashed"},
    CHANGED: {"color": "#E69500", "fillcolor": "#FFF3D6", "fontcolor": "#7A4F00"},
}
EDGE_COLOR = {ADDED: "#2E7D32", REMOVED: "#B0B8C1", CHANGED: "#E69500"}
BOX = {"shape": "box", "style": "rounded,filled", "penwidth": "2.5", "margin": "0.08"}
LEGEND = "diff-legend"


@dataclass(frozen=True)
class Marks:
    """What the diff changed, for views to colour: component ids and, per target, plan resource names."""

    components: frozenset[str]
    resources: frozenset[str] = frozenset()
    by_target: tuple[tuple[str, frozenset[str]], ...] = ()

    def for_view(self, name: str) -> Marks:
        """A cloud view (named after its target: aws, gcp, hybrid) marks that target's changed resources."""
        return Marks(self.components, dict(self.by_target).get(name, frozenset()), self.by_target)


def _mark(node: Node, change: str) -> Node:
    return replace(node, attrs=(*node.attrs, *sorted({**BOX, **STYLE[change]}.items())))


def _node_change(old: Node | None, new: Node | None, marks: Marks) -> str | None:
    if old is None:
        return ADDED
    if new is None:
        return REMOVED
    if replace(old, tooltip="") != replace(new, tooltip=""):
        return CHANGED
    if (new.component and new.component in marks.components) or marks.resources.intersection(new.members):
        return CHANGED
    return None


@dataclass
class _Merge:
    """The state of one merge: what is marked, what HEAD has, what has been placed."""

    marks: Marks
    head_nodes: set[str]
    head_clusters: set[str]
    placed: set[str]

    def nodes(self, base: tuple[Node, ...], head: tuple[Node, ...]) -> tuple[Node, ...]:
        """HEAD's nodes, marked, then BASE's removed nodes of the same place as ghosts."""
        old = {n.id: n for n in base}
        merged = []
        for node in head:
            change = _node_change(old.get(node.id), node, self.marks)
            merged.append(_mark(node, change) if change else node)
        merged += [self.ghost(n) for n in base if n.id not in self.head_nodes and n.id not in self.placed]
        self.placed.update(n.id for n in merged)
        return tuple(merged)

    def ghost(self, node: Node) -> Node:
        self.placed.add(node.id)
        return _mark(node, REMOVED)

    def clusters(self, base: tuple[Cluster, ...], head: tuple[Cluster, ...]) -> tuple[Cluster, ...]:
        old = {c.id: c for c in base}
        merged = []
        for cluster in head:
            prev = old.get(cluster.id, Cluster(cluster.id, cluster.label))
            nodes = self.nodes(prev.nodes, cluster.nodes)
            merged.append(replace(cluster, nodes=nodes, clusters=self.clusters(prev.clusters, cluster.clusters)))
        merged += [self.ghost_cluster(c) for c in base if c.id not in self.head_clusters]
        return tuple(merged)

    def ghost_cluster(self, cluster: Cluster) -> Cluster:
        """A cluster only BASE has, dashed and grey, with its removed nodes (HEAD's moved ones stay out)."""
        nodes = tuple(self.ghost(n) for n in cluster.nodes if n.id not in self.head_nodes and n.id not in self.placed)
        children = tuple(self.ghost_cluster(c) for c in cluster.clusters if c.id not in self.head_clusters)
        attrs = (*cluster.attrs, ("style", "rounded,dashed"), ("fontcolor", "#9AA5B1"))
        return replace(cluster, nodes=nodes, clusters=children, attrs=attrs)


def _merge_edges(base: tuple[Edge, ...], head: tuple[Edge, ...], placed: set[str]) -> tuple[Edge, ...]:
    ends = {(e.source, e.target, e.label) for e in base}
    new_ends = {(e.source, e.target, e.label) for e in head}
    merged = [e if (e.source, e.target, e.label) in ends else _edge(e, ADDED) for e in head]
    for edge in base:
        key = (edge.source, edge.target, edge.label)
        if key not in new_ends and edge.source in placed and edge.target in placed:
            merged.append(_edge(replace(edge, style="dashed"), REMOVED))
    return tuple(merged)


def _edge(edge: Edge, change: str) -> Edge:
    return replace(edge, color=EDGE_COLOR[change], attrs=(*edge.attrs, ("penwidth", "2")))


def _legend() -> Cluster:
    nodes = tuple(
        _mark(Node(f"{LEGEND}-{change}", change, "", detail=""), change) for change in (ADDED, CHANGED, REMOVED)
    )
    return Cluster(LEGEND, "Legend", nodes=nodes, tone="neutral")


def merge_specs(base: GraphSpec | None, head: GraphSpec | None, marks: Marks, title: str) -> GraphSpec:
    """One picture of both sides; ``base`` or ``head`` is None when only one side draws the view."""
    either = head or base
    if either is None:
        raise ValueError("merge_specs needs at least one side")
    empty = replace(either, nodes=(), clusters=(), edges=(), ranks=())
    old, new = base or empty, head or empty
    merge = _Merge(marks, new.node_ids(), {c.id for c, _ in new.all_clusters()}, set())
    clusters = merge.clusters(old.clusters, new.clusters)
    nodes = merge.nodes(old.nodes, new.nodes)
    orphans = tuple(merge.ghost(n) for n in old.all_nodes() if n.id not in merge.head_nodes | merge.placed)
    return replace(
        new,
        title=title,
        nodes=(*nodes, *orphans),
        clusters=(*clusters, _legend()),
        edges=_merge_edges(old.edges, new.edges, merge.placed),
        ranks=tuple(g for g in new.ranks if all(m in merge.placed for m in g)),
    ).normalized()


def _views(project: Project) -> dict[str, GraphSpec]:
    specs: dict[str, GraphSpec] = {}
    for name in VIEWS:
        if name not in project.model.views.include:
            continue
        spec = VIEWS[name].load()(context(project, name))
        if spec is not None:
            specs[name] = spec.normalized()
    return specs


def change_specs(base: Project, head: Project, marks: Marks, label: str) -> list[GraphSpec]:
    """The merged spec of every view that differs between the two projects (registry order)."""
    old, new = _views(base), _views(head)
    specs = []
    for name in VIEWS:
        a, b = old.get(name), new.get(name)
        either, view_marks = b or a, marks.for_view(name)
        if either is None:
            continue
        drawn_same = a is not None and b is not None and replace(a, title="") == replace(b, title="")
        touched = any(
            (n.component in view_marks.components) or view_marks.resources.intersection(n.members)
            for n in either.all_nodes()
        )
        if drawn_same and not touched:
            continue
        specs.append(merge_specs(a, b, view_marks, f"{either.title}: changes {label}"))
    return specs


def render_changes(specs: list[GraphSpec], formats: tuple[str, ...] = FORMATS) -> list[Rendering]:
    """PNG and SVG bytes of each change diagram (no reuse: they are always drawn fresh)."""
    return render_specs(specs, formats) if specs else []


def marks_of(diff: Diff) -> Marks:
    """Components the model changed, and the changed resources of each target's deployables."""
    by_target: dict[str, set[str]] = {}
    for res in diff.plans:
        by_target.setdefault(diff.target_of(res.deployable), set()).add(res.name)
    components = frozenset(m.key for m in diff.model if m.section == "components")
    return Marks(components, frozenset(), tuple(sorted((t, frozenset(n)) for t, n in by_target.items())))


def write_change_diagrams(diff: Diff, folder: Path) -> list[str]:
    """Draw every changed view into ``folder`` (its old PNG/SVG files are removed first); the paths written."""
    specs = change_specs(diff.base_project, diff.head_project, marks_of(diff), f"{diff.base} -> {diff.head}")
    renderings = render_changes(specs)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in sorted(folder.glob("*.png")) + sorted(folder.glob("*.svg")):
        stale.unlink()
    written = []
    for rendering in renderings:
        for fmt, data in sorted(rendering.outputs.items()):
            target = folder / f"{rendering.name}.{fmt}"
            write_atomic(target, data)
            written.append(_shown(target))
    return written


def _shown(path: Path) -> str:
    """The path relative to the working directory when it is below it (what a PR comment links)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)
