"""Model changes: what differs between two validated stacks.yaml files, field by field.

Components are matched by id, stacks by id, connections by their two ends (and
their label when one pair of components has several connections); a renamed
component is a removal plus an addition. Values are compared after validation
(defaults filled in), so spelling out a default is not a change, while a changed
environment override (``stacks.aws.environments.prod.components.api``) is. Each
change carries its line in HEAD (or in BASE for what HEAD removed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stacks.project import Project
from stacks.yamlsource import PathKey

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()


@dataclass(frozen=True)
class FieldChange:
    """One leaf value that differs: ``resources.cpu: 1 -> 2``. ``ABSENT`` on the side that lacks it."""

    path: str
    old: Any
    new: Any
    line: int | None = None  # where HEAD sets it (model changes only)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            **({} if self.line is None else {"line": self.line}),
            **({} if self.old is ABSENT else {"old": self.old}),
            **({} if self.new is ABSENT else {"new": self.new}),
        }


@dataclass(frozen=True)
class ModelChange:
    """A component, connection, stack or top-level setting added, removed or changed."""

    section: str  # "components" | "connections" | "stacks" | "settings"
    key: str  # "api", "api -> warehouse", "aws", "views"
    change: str  # "added" | "removed" | "changed"
    fields: tuple[FieldChange, ...]
    location: str  # "stacks.yaml:42" in HEAD ("main:stacks.yaml:40" in BASE for a removal)
    kind: str = ""  # the component's kind, the stack's target

    def to_json(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "key": self.key,
            "change": self.change,
            "kind": self.kind,
            "location": self.location,
            "fields": [f.to_json() for f in self.fields],
        }


@dataclass(frozen=True)
class Item:
    """A list entry known by its name (``tables[orders]``, ``Statement[StackKey]``), wherever it sits.

    Lists whose entries each carry a unique ``name`` (or ``Sid``) are compared entry by entry by
    that name, so inserting one entry does not show every later one as changed. ``index`` (not
    compared) is where the entry sits, for finding its line.
    """

    key: str
    index: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"[{self.key}]"


NAME_KEYS = ("name", "Sid")


def _item_keys(items: list[Any]) -> list[str | None] | None:
    """Each entry's name (None for an entry without one), when the named entries' names are unique."""
    for key in NAME_KEYS:
        names = [item.get(key) if isinstance(item, dict) else None for item in items]
        named = [n for n in names if isinstance(n, str)]
        if named and len(set(named)) == len(named):
            return [n if isinstance(n, str) else None for n in names]
    return None


def flatten(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Leaf values by path; lists of scalars are one leaf (``command``), lists of mappings are walked
    entry by entry (by name when every entry has a unique one, else by position)."""
    if isinstance(value, dict):
        if not value:
            yield prefix, {}
        for key in sorted(value):
            yield from flatten(value[key], (*prefix, key))
    elif isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        names = _item_keys(value) or [None] * len(value)
        for index, (item, name) in enumerate(zip(value, names, strict=True)):
            yield from flatten(item, (*prefix, Item(name, index) if name else index))
    else:
        yield prefix, value


def show_path(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += (
            f"[{part}]"
            if isinstance(part, int)
            else str(part)
            if isinstance(part, Item)
            else f"{'.' if out else ''}{part}"
        )
    return out


def _position_path(path: tuple[Any, ...]) -> PathKey:
    return tuple(p.index if isinstance(p, Item) else p for p in path)


EMPTY: tuple[Any, ...] = (None, {}, [])


def field_changes(old: Any, new: Any, locate: Callable[[PathKey], int] | None = None) -> tuple[FieldChange, ...]:
    """The leaves that differ; ``locate(path)`` gives the line HEAD sets a leaf on.

    A leaf that is empty (None, {} or []) on one side and absent on the other is no change.
    """
    before, after = dict(flatten(old)), dict(flatten(new))
    paths = list(after) + [p for p in before if p not in after]  # HEAD's path objects: their positions
    changes = []
    for path in sorted(paths, key=lambda p: tuple(str(s) for s in p)):
        a, b = before.get(path, ABSENT), after.get(path, ABSENT)
        if a == b or (a is ABSENT and b in EMPTY) or (b is ABSENT and a in EMPTY):
            continue
        line = locate(_position_path(path)) if locate else None
        changes.append(FieldChange(show_path(path), a, b, line))
    return tuple(changes)


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value


def _where(project: Project, path: PathKey) -> str:
    """``stacks.yaml:42`` (HEAD) or ``main:stacks.yaml:40`` (BASE, for what HEAD removed)."""
    if project.document is None:
        return project.filename
    return f"{project.document.filename}:{project.document.positions.locate(path, prefer_key=True)[0]}"


def _keyed(base: dict[str, Any], head: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    for key in sorted(base.keys() | head.keys()):
        yield key, base.get(key, ABSENT), head.get(key, ABSENT)


def _kind(value: Any) -> str:
    """A component's kind or a stack's target."""
    return str(getattr(value, "kind", None) or getattr(value, "target", None) or "")


def _compare(
    section: str, key: str, old: Any, new: Any, where: tuple[Project, PathKey], base_where: tuple[Project, PathKey]
) -> ModelChange | None:
    if old is ABSENT:
        return ModelChange(section, key, "added", field_changes({}, _dump(new)), _where(*where), _kind(new))
    if new is ABSENT:
        return ModelChange(section, key, "removed", field_changes(_dump(old), {}), _where(*base_where), _kind(old))
    project, at = where
    positions = project.document.positions if project.document else None

    def locate(path: PathKey) -> int:
        return positions.locate((*at, *path), prefer_key=True)[0] if positions else 1

    fields = field_changes(_dump(old), _dump(new), locate)
    if not fields:
        return None
    return ModelChange(section, key, "changed", fields, _where(*where), _kind(new))


def _connection_keys(connections: list[Any]) -> dict[str, tuple[int, Any]]:
    """``from -> to`` for a pair's only connection, ``from -> to (label)`` when a pair has several."""
    pairs: dict[tuple[str, str], int] = {}
    for conn in connections:
        pairs[(conn.from_, conn.to)] = pairs.get((conn.from_, conn.to), 0) + 1
    keyed: dict[str, tuple[int, Any]] = {}
    for index, conn in enumerate(connections):
        key = f"{conn.from_} -> {conn.to}"
        if pairs[(conn.from_, conn.to)] > 1:
            key += f" ({conn.label or conn.protocol})"
        keyed.setdefault(key, (index, conn))
    return keyed


def model_changes(base: Project, head: Project) -> list[ModelChange]:
    """Every component, connection, stack and top-level setting that differs between BASE and HEAD."""
    changes: list[ModelChange | None] = []
    b, h = base.model, head.model
    for cid, old, new in _keyed(dict(b.components), dict(h.components)):
        path = ("components", cid)
        changes.append(_compare("components", cid, old, new, (head, path), (base, path)))
    old_conns, new_conns = _connection_keys(b.connections), _connection_keys(h.connections)
    for key, old, new in _keyed(old_conns, new_conns):
        old_at = ("connections", old[0]) if old is not ABSENT else ()
        new_at = ("connections", new[0]) if new is not ABSENT else ()
        changes.append(
            _compare(
                "connections",
                key,
                old[1] if old is not ABSENT else ABSENT,
                new[1] if new is not ABSENT else ABSENT,
                (head, new_at),
                (base, old_at),
            )
        )
    for sid, old, new in _keyed(dict(b.stacks), dict(h.stacks)):
        path = ("stacks", sid)
        changes.append(_compare("stacks", sid, old, new, (head, path), (base, path)))
    for name in ("system", "environments", "views"):
        changes.append(_compare("settings", name, getattr(b, name), getattr(h, name), (head, (name,)), (base, (name,))))
    return [c for c in changes if c is not None]
