"""The compact drawing of cloud plans that the aws, gcp and hybrid views use.

A resource is anything with ``type`` (a Pulumi type token such as
``aws:ecs/service:Service``), ``name`` (unique in the plan), ``component`` (a model
component id or None) and optionally ``group``; icons come from
``architecture.nodes.RESOURCE_TABLES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from architecture.nodes import resource_icon
from architecture.spec import Cluster, GraphSpec, Node
from stacks.errors import StacksError


class CloudResource(Protocol):
    """What the drawing reads of a planned or recorded resource (``component`` is read when present)."""

    @property
    def name(self) -> str: ...

    @property
    def type(self) -> str: ...


PROVIDER_TONES = {"aws": "aws", "gcp": "gcp"}


def _short_type(type_token: str) -> str:
    """``aws:ecs/service:Service`` -> ``ecs Service``: what a reader needs under the name."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    module = parts[1].split("/")[0]
    return f"{module} {parts[2]}"


# ---------------------------------------------------------------- compact cloud views
#
# A plan has ~100 resources, most of them supporting ones (bucket policies, route table
# associations, security group rules). Drawn one icon each, the picture is unreadable. The
# compact drawing keeps an icon for each *main* resource (a load balancer, a service, a bucket,
# a role) and lists the supporting resources in a small table under the main resource they
# belong to, found through the plan's own references. ``Node.members`` records what each node
# stands for, so a test can prove every resource is drawn exactly once.


ROW_WIDTH = 24  # characters per line of a node's list: narrow columns keep the picture narrow


def ordered_refs(res: CloudResource, refs_of: Callable[[Any], Iterable[str]]) -> list[str]:
    return list(dict.fromkeys(refs_of(res)))


def owners(
    resources: Sequence[CloudResource],
    is_main: Callable[[Any], bool],
    refs_of: Callable[[Any], Iterable[str]],
    *,
    uses: Iterable[str] = (),
    grants: Iterable[str] = (),
) -> dict[str, str | None]:
    """Supporting resource name -> the main resource it is drawn with (None: no main reaches it).

    The references between a component's resources form a graph; a supporting resource belongs
    to the nearest main resource of its own component, walking through supporting resources
    only, what refers to a resource before what it refers to (a security group goes with the
    load balancer that names it, a bucket policy with its bucket, a rule with its group and so
    with what uses the group). Two kinds of reference say nothing about belonging and are not
    walked: one to a ``uses`` type (the KMS key every log group names; followed only from the
    same service, as a key's alias), and one from a ``grants`` type to what it grants access to
    (an IAM policy belongs to its role, not the role to every log group a policy names).
    """
    by_name = {r.name: r for r in resources}
    uses, grants = frozenset(uses), frozenset(grants)

    def module(type_token: str) -> str:
        return type_token.split(":")[1].split("/")[0] if type_token.count(":") == 2 else type_token

    out: dict[str, list[str]] = {}
    incoming: dict[str, list[str]] = {r.name: [] for r in resources}
    for res in resources:
        out[res.name] = [
            n
            for n in ordered_refs(res, refs_of)
            if n in by_name
            and n != res.name
            and (by_name[n].type not in uses or module(by_name[n].type) == module(res.type))
        ]
        if res.type not in grants:
            for n in out[res.name]:
                incoming[n].append(res.name)
    found: dict[str, str | None] = {}
    for res in resources:
        if is_main(res):
            continue
        comp = getattr(res, "component", None)
        seen, frontier, chosen = {res.name}, [res.name], None
        while frontier and chosen is None:
            following = []
            for name in frontier:
                for other in incoming[name] + out[name]:
                    if other in seen or getattr(by_name[other], "component", None) != comp:
                        continue
                    seen.add(other)
                    if is_main(by_name[other]):
                        chosen = chosen or other
                    else:
                        following.append(other)
            frontier = following
        found[res.name] = chosen
    return found


def name_rows(names: Sequence[str], width: int = ROW_WIDTH) -> tuple[tuple[str, ...], ...]:
    """Names as comma-separated lines of at most ``width`` characters (a name is never split)."""
    lines: list[str] = []
    for name in names:
        if lines and len(lines[-1]) + 2 + len(name) <= width:
            lines[-1] += ", " + name
        else:
            lines.append(name)
    return tuple((line,) for line in lines)


def shown_name(name: str, owner: str = "", component: str | None = None) -> str:
    """How a supporting resource is listed under its owner: without the owner's name (``lake-bucket-policy``
    under ``lake-bucket`` is ``policy``) or, failing that, without its component's (``api-tg``: ``tg``)."""
    for prefix in (owner, component):
        if prefix and name.startswith(prefix + "-") and len(name) > len(prefix) + 1:
            return name[len(prefix) + 1 :]
    return name


def grouped_rows(
    resources: Sequence[CloudResource], owner: str = "", width: int = ROW_WIDTH
) -> tuple[tuple[str, ...], ...]:
    """Supporting resources as a few wrapped lines, alike ones together (by type, in plan order)."""
    short = {r.name: shown_name(r.name, owner, getattr(r, "component", None)) for r in resources}
    for res in resources:  # two resources must never read the same: fall back to a longer name
        if list(short.values()).count(short[res.name]) > 1:
            short[res.name] = shown_name(res.name, "", getattr(res, "component", None))
    for res in resources:
        if list(short.values()).count(short[res.name]) > 1:
            short[res.name] = res.name
    by_type: dict[str, list[str]] = {}
    for res in resources:
        by_type.setdefault(res.type, []).append(short[res.name])
    return name_rows([name for names in by_type.values() for name in names], width)


@dataclass(frozen=True)
class Compacted:
    """A plan's resources split for drawing: each main resource with the supporting ones it takes."""

    mains: tuple[Any, ...]  # main resources, in plan order
    taken: dict[str, tuple[Any, ...]]  # main resource name -> its supporting resources, in plan order
    loose: tuple[Any, ...]  # shared supporting resources no main resource reaches


def compact(
    resources: Sequence[CloudResource],
    is_main: Callable[[Any], bool],
    refs_of: Callable[[Any], Iterable[str]],
    *,
    anchors: Sequence[str] = (),
    uses: Iterable[str] = (),
    grants: Iterable[str] = (),
) -> Compacted:
    """Give every supporting resource to a main resource (``owners``). One that no main resource
    reaches goes with its component's anchor (the first main of an ``anchors`` type, else its first
    main: an ingest task's security group with the task); a shared one stays ``loose``."""
    mains = [r for r in resources if is_main(r)]
    owner = owners(resources, is_main, refs_of, uses=uses, grants=grants)
    anchor: dict[str, str] = {}
    for res in mains:
        comp = getattr(res, "component", None)
        if comp is not None and comp not in anchor:
            mine = [m for m in mains if getattr(m, "component", None) == comp]
            anchor[comp] = next((m for t in anchors for m in mine if m.type == t), mine[0]).name
    taken: dict[str, list[Any]] = {m.name: [] for m in mains}
    loose: list[Any] = []
    for res in resources:
        if is_main(res):
            continue
        component = getattr(res, "component", None)
        found = owner.get(res.name) or (anchor.get(component) if component is not None else None)
        if found:
            taken[found].append(res)
        else:
            loose.append(res)
    return Compacted(tuple(mains), {k: tuple(v) for k, v in taken.items()}, tuple(loose))


def _tooltip(resources: Iterable[CloudResource]) -> str:
    return "; ".join(f"{r.name}: {r.type}" for r in resources)


def resource_node(
    node_id: str,
    main: CloudResource,
    supporting: Sequence[CloudResource] = (),
    *,
    icon: str | None = None,
    detail: str | None = None,
) -> Node:
    """A main resource as an icon, the supporting resources drawn with it listed underneath."""
    return Node(
        node_id,
        main.name,
        icon or resource_icon(main.type),
        detail=detail if detail is not None else _short_type(main.type),
        component=getattr(main, "component", None),
        tooltip=_tooltip((main, *supporting)),
        rows=grouped_rows(supporting, main.name),
        members=(main.name, *(r.name for r in supporting)),
    )


def merged_node(
    node_id: str,
    label: str,
    icon: str,
    items: Sequence[tuple[CloudResource, Sequence[CloudResource]]],
    *,
    detail: str = "",
    component: str | None = None,
) -> Node:
    """Several main resources of one kind (the IAM roles) as one icon: a line per resource, with
    what it takes beside it."""
    rows, members, tips = [], [], []
    for main, supporting in items:
        rest = ", ".join(shown_name(r.name, main.name, getattr(r, "component", None)) for r in supporting)
        rows.append((main.name, rest) if any(s for _m, s in items) else (main.name,))
        members += [main.name, *(r.name for r in supporting)]
        tips += [main, *supporting]
    return Node(
        node_id,
        label,
        icon,
        detail=detail,
        component=component,
        tooltip=_tooltip(tips),
        rows=tuple(rows),
        members=tuple(members),
    )


def list_node(
    node_id: str,
    label: str,
    resources: Sequence[CloudResource],
    *,
    icon: str = "",
    detail: str = "",
    component: str | None = None,
    strip: str = "",
) -> Node:
    """Resources with no main resource to go with, as one titled list; ``strip`` is a prefix the title
    already says (``gcp-api-`` under "enabled APIs")."""
    names = [
        r.name.removeprefix(strip) if strip else shown_name(r.name, "", getattr(r, "component", None))
        for r in resources
    ]
    return Node(
        node_id,
        label,
        icon,
        detail=detail,
        component=component,
        tooltip=_tooltip(resources),
        rows=name_rows(names),
        members=tuple(r.name for r in resources),
    )


def table_node(
    node_id: str,
    label: str,
    columns: Sequence[str],
    cells: dict[tuple[str, str], list[Any]],
    row_order: Sequence[str],
    *,
    icon: str = "",
    detail: str = "",
    strip: str = "",
) -> Node:
    """Resources laid out in a grid (e.g. one column per availability zone, one row per kind); ``strip``
    is a prefix the label already says (``public-`` under "public subnets")."""
    rows, members, tips = [], [], []
    for kind in row_order:
        line = tuple(
            ", ".join(r.name.removeprefix(strip) if strip else r.name for r in cells.get((kind, col), []))
            for col in columns
        )
        if any(line):
            rows.append(line)
            for col in columns:
                for r in cells.get((kind, col), []):
                    members.append(r.name)
                    tips.append(r)
    return Node(
        node_id,
        label,
        icon,
        detail=detail,
        tooltip=_tooltip(tips),
        heading=tuple(columns),
        rows=tuple(rows),
        members=tuple(members),
    )


def shown(node: Node) -> str:
    """All the text a node shows (label, detail, heading and rows), for tests and searches."""
    return "\n".join([node.label, node.detail, *node.heading, *(cell for row in node.rows for cell in row)])


def drawn(spec: GraphSpec) -> dict[str, list[str]]:
    """Resource name -> the ids of the clusters around the node that stands for it, outermost first,
    then that node's id. Raises when a resource is drawn twice or a node lists one it does not show."""
    out: dict[str, list[str]] = {}

    def visit(cluster: Cluster, path: list[str]) -> None:
        for node in cluster.nodes:
            missing = [m for m in node.members if not shows(node, m)]
            if missing:
                raise StacksError(f"view '{spec.name}': node '{node.id}' stands for {missing[0]} but does not show it")
            for name in node.members:
                if name in out:
                    raise StacksError(f"view '{spec.name}': {name} is drawn twice ({out[name][-1]}, {node.id})")
                out[name] = [*path, cluster.id, node.id]
        for inner in cluster.clusters:
            visit(inner, [*path, cluster.id])

    for node in spec.nodes:
        if node.members:
            raise StacksError(f"view '{spec.name}': node '{node.id}' stands for resources outside every group")
    for cluster in spec.clusters:
        visit(cluster, [])
    return out


def shows(node: Node, name: str) -> bool:
    """Whether ``node`` shows resource ``name``: as its label, or in its list as the name or a suffix of it
    (``policy`` under ``lake-bucket`` is ``lake-bucket-policy``)."""
    if name == node.label:
        return True
    tokens = {t.strip() for row in node.rows for cell in row for t in cell.split(",")}
    return any(t and (t == name or name.endswith("-" + t)) for t in tokens)
