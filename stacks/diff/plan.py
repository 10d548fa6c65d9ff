"""Plan changes: the cloud resources each deployable adds, removes, replaces or updates.

Resources are matched by their logical name within a deployable (``aws-prod``):
a new logical name is an addition, a vanished one a removal, a different type
under the same name a replacement. Inputs are compared leaf by leaf as a reviewer
reads them (refs as ``${key.arn}``, JSON documents as data), so an IAM policy
reports the exact statement that changed. Waivers are compared like inputs (``waivers.CKV_AWS_18``).
A change to an input that ``stacks.plan.replacement`` lists for the type is
flagged: the provider replaces the resource instead of updating it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stacks.diff.model import FieldChange, field_changes
from stacks.plan.core import Concat, Json, Plan, Ref, Resource, Var
from stacks.plan.replacement import replacing_inputs


@dataclass(frozen=True)
class ResourceChange:
    deployable: str
    component: str | None  # None: the shared baseline (network, keys, alerting)
    type: str
    name: str
    change: str  # "added" | "removed" | "replaced" | "changed"
    fields: tuple[FieldChange, ...] = ()
    replaced_by: tuple[str, ...] = ()  # the changed inputs that force the replacement

    def to_json(self) -> dict[str, Any]:
        return {
            "deployable": self.deployable,
            "component": self.component,
            "type": self.type,
            "name": self.name,
            "change": self.change,
            "replaced_by": list(self.replaced_by),
            "fields": [f.to_json() for f in self.fields],
        }


def readable(value: Any) -> Any:
    """Plan values as a reviewer reads them: ``${lake-bucket.arn}``, joined strings, JSON documents as data."""
    if isinstance(value, Ref):
        return f"${{{value.name}.{value.attr}}}"
    if isinstance(value, Var):
        return f"${{var.{value.name}}}"
    if isinstance(value, Concat):
        return "".join(str(readable(part)) for part in value.parts)
    if isinstance(value, Json):
        return readable(value.value)
    if isinstance(value, dict):
        return {k: readable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [readable(v) for v in value]
    return value


def resource_data(res: Resource) -> dict[str, Any]:
    """What is compared of a resource: its inputs, its waivers and whether it is protected."""
    data: dict[str, Any] = {"inputs": readable(res.inputs)}
    if res.waivers:
        data["waivers"] = dict(res.waivers)
    if res.protect:
        data["protect"] = True
    return data


def _strip(fields: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    """``inputs.engine`` -> ``engine``: inputs are what a reader knows a resource by."""
    return tuple(FieldChange(f.path.removeprefix("inputs."), f.old, f.new) for f in fields)


def _change(deployable: str, old: Resource | None, new: Resource | None) -> ResourceChange | None:
    if old is None and new is not None:
        fields = _strip(field_changes({}, resource_data(new)))
        return ResourceChange(deployable, new.component, new.type, new.name, "added", fields)
    if new is None and old is not None:
        return ResourceChange(deployable, old.component, old.type, old.name, "removed")
    assert old is not None and new is not None
    fields = _strip(field_changes(resource_data(old), resource_data(new)))
    if old.type != new.type:
        return ResourceChange(deployable, new.component, new.type, new.name, "replaced", fields, ("type",))
    if not fields and old.component == new.component:
        return None
    forcing = replacing_inputs(new.type, [f.path for f in fields])
    return ResourceChange(
        deployable, new.component, new.type, new.name, "replaced" if forcing else "changed", fields, forcing
    )


def plan_changes(deployable: str, base: Plan | None, head: Plan | None) -> list[ResourceChange]:
    """Every resource of ``deployable`` that differs; a side without the deployable has no resources."""
    old = {r.name: r for r in base.resources} if base else {}
    new = {r.name: r for r in head.resources} if head else {}
    order = [r.name for r in head.resources] if head else []
    order += [name for name in (r.name for r in base.resources) if name not in new] if base else []
    changes = [_change(deployable, old.get(name), new.get(name)) for name in order]
    return [c for c in changes if c is not None]
