"""Risk highlights: the changes a reviewer must not miss, shown before everything else.

``RULES`` is the registry: one function per risk, each reading the model and plan
changes (and both projects) and yielding ``Risk`` values. The same finding in
several deployables (``aws-dev``, ``aws-prod``) is one risk naming all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from stacks.diff.model import ABSENT, FieldChange, ModelChange
from stacks.diff.plan import ResourceChange
from stacks.project import Project

OPEN_TO_ALL = frozenset({"0.0.0.0/0", "::/0", "allUsers", "allAuthenticatedUsers", "INGRESS_TRAFFIC_ALL"})
PUBLIC_BLOCKS = frozenset({"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"})
# Inputs whose truthy value protects data: turning one off (or dropping it) is a risk.
PROTECTIONS = frozenset(
    {
        "deletion_protection",
        "storage_encrypted",
        "at_rest_encryption_enabled",
        "transit_encryption_enabled",
        "encrypted",
        "kms_key_id",
        "kms_key_name",
        "kms_master_key_id",
        "sse_algorithm",
        "protect",
        "enable_key_rotation",
        "uniform_bucket_level_access",
    }
)
# Inputs whose truthy value destroys data on delete.
DESTRUCTIVE = frozenset({"force_destroy", "skip_final_snapshot"})
IAM_KEYS = frozenset({"Action", "Resource", "Principal", "role", "member", "members", "permissions"})


@dataclass(frozen=True)
class Risk:
    rule: str  # "public" | "iam" | "protection" | "waiver" | "secret" | "cross-cloud"
    subject: str  # "api", "aws-api-task-policy"
    message: str
    where: tuple[str, ...] = field(default=())  # deployables, or the stacks.yaml location

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "subject": self.subject, "message": self.message, "where": list(self.where)}


@dataclass(frozen=True)
class Changes:
    """What the rules read."""

    base: Project
    head: Project
    model: list[ModelChange]
    plans: list[ResourceChange]


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1].split("[", 1)[0]


def _show(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _open_values(value: Any) -> set[str]:
    """The open-to-everyone markers in a value (a CIDR, a list of members)."""
    values = value if isinstance(value, list) else [value]
    return {v for v in values if isinstance(v, str) and v in OPEN_TO_ALL}


def _fields(changes: Iterable[ResourceChange]) -> Iterator[tuple[ResourceChange, FieldChange]]:
    for change in changes:
        for fld in change.fields:
            yield change, fld


def public_rule(c: Changes) -> Iterator[Risk]:
    for m in c.model:
        for fld in m.fields:
            if fld.path == "public" and fld.new is True:
                yield Risk(
                    "public", m.key, f"{m.kind} '{m.key}' becomes public (reachable from the internet)", (m.location,)
                )
    for res, fld in _fields(c.plans):
        leaf = _leaf(fld.path)
        opened = _open_values(fld.new) - _open_values(fld.old)
        if opened:
            what = ", ".join(sorted(opened))
            yield Risk("public", res.name, f"{res.type} {fld.path} opens to {what}", (res.deployable,))
        elif leaf in PUBLIC_BLOCKS and fld.old is True and fld.new is not True:
            yield Risk("public", res.name, f"public access block {leaf} turned off", (res.deployable,))
        elif leaf == "internal" and fld.old is True and fld.new is False:
            yield Risk("public", res.name, "load balancer becomes internet-facing", (res.deployable,))
    for res in c.plans:
        if res.change == "removed" and res.type.endswith(":BucketPublicAccessBlock"):
            yield Risk("public", res.name, "a bucket's public access block is removed", (res.deployable,))


def _grown(old: Any, new: Any) -> Any:
    """What ``new`` adds over ``old``: the new list entries, or the new value."""
    if isinstance(new, list):
        previous = old if isinstance(old, list) else [old]
        added = [v for v in new if v not in previous]
        return added or None
    return None if new in (ABSENT, None) or new == old else new


def iam_rule(c: Changes) -> Iterator[Risk]:
    """One risk per IAM-bearing resource that grants more: new actions, resources, principals, roles, members."""
    for res in c.plans:
        if res.change == "removed":
            continue
        grants = []
        for fld in res.fields:
            if not {s.split("[", 1)[0] for s in fld.path.split(".")} & IAM_KEYS:
                continue
            grown = _grown(fld.old, fld.new)
            if grown:
                grants.append(f"{fld.path} + {_show(grown)}")
        if grants:
            verb = "new grant" if res.change == "added" else "widened"
            text = "; ".join(grants)
            text = text if len(text) <= 300 else text[:299] + "…"
            yield Risk("iam", res.name, f"IAM {verb} ({res.type.rsplit(':', 1)[-1]}): {text}", (res.deployable,))


def protection_rule(c: Changes) -> Iterator[Risk]:
    for res, fld in _fields(c.plans):
        leaf = _leaf(fld.path)
        if leaf in PROTECTIONS and fld.old not in (ABSENT, False, None) and fld.new in (ABSENT, False, None):
            yield Risk(
                "protection", res.name, f"{leaf} turned off ({_show(fld.old)} -> {_show(fld.new)})", (res.deployable,)
            )
        elif leaf in DESTRUCTIVE and fld.new is True and fld.old is not True:
            yield Risk("protection", res.name, f"{leaf} turned on: deleting it deletes its data", (res.deployable,))
    for res in c.plans:
        if res.change == "removed" and "Encryption" in res.type:
            yield Risk("protection", res.name, f"encryption configuration removed ({res.type})", (res.deployable,))
    for m in c.model:
        for fld in m.fields:
            if _leaf(fld.path) == "deletion_protection" and fld.old is True and fld.new is not True:
                yield Risk("protection", m.key, f"{fld.path} turned off", (m.location,))


def waiver_rule(c: Changes) -> Iterator[Risk]:
    for res, fld in _fields(c.plans):
        if fld.path.startswith("waivers.") and fld.old is ABSENT and fld.new is not ABSENT:
            check = fld.path.removeprefix("waivers.")
            yield Risk("waiver", res.name, f"new waiver of {check}: {fld.new}", (res.deployable,))


def secret_rule(c: Changes) -> Iterator[Risk]:
    for m in c.model:
        for fld in m.fields:
            if ".secrets." in f".{fld.path}" and fld.new is not ABSENT:
                what = "added" if fld.old is ABSENT else f"changed from {fld.old!r}"
                yield Risk("secret", m.key, f"secret reference {fld.path} -> {fld.new!r} {what}", (m.location,))


def _cross_edges(project: Project) -> dict[tuple[str, str, str], str]:
    """(stack, from, to) -> "aws -> gcp" for every connection between clouds in a hybrid stack."""
    edges: dict[tuple[str, str, str], str] = {}
    for sid, stack in project.model.stacks.items():
        placement = getattr(stack, "placement", None)
        if stack.target != "hybrid" or not placement:
            continue
        for conn in project.model.connections:
            a, b = placement.get(conn.from_), placement.get(conn.to)
            if a and b and a != b:
                edges[(sid, conn.from_, conn.to)] = f"{a} -> {b}"
    return edges


def cross_cloud_rule(c: Changes) -> Iterator[Risk]:
    before = _cross_edges(c.base)
    for (sid, src, dst), clouds in sorted(_cross_edges(c.head).items()):
        if (sid, src, dst) not in before:
            yield Risk("cross-cloud", f"{src} -> {dst}", f"new cross-cloud edge {src} -> {dst} ({clouds})", (sid,))


RULES: dict[str, Callable[[Changes], Iterator[Risk]]] = {
    "public": public_rule,
    "iam": iam_rule,
    "protection": protection_rule,
    "waiver": waiver_rule,
    "secret": secret_rule,
    "cross-cloud": cross_cloud_rule,
}


def find_risks(changes: Changes) -> list[Risk]:
    """Every rule's findings, one per (rule, subject, message), naming every deployable it occurs in."""
    merged: dict[tuple[str, str, str], list[str]] = {}
    for rule in RULES.values():
        for risk in rule(changes):
            where = merged.setdefault((risk.rule, risk.subject, risk.message), [])
            where.extend(w for w in risk.where if w not in where)
    return [Risk(rule, subject, message, tuple(sorted(where))) for (rule, subject, message), where in merged.items()]
