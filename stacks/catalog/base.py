"""The shape of a provider catalog entry and the encryption checks several entries share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stacks.plan.core import Plan, Ref, Resource, walk

D = "diagrams."

EncryptionCheck = Callable[[Plan, Resource], bool]


@dataclass(frozen=True)
class ResourceType:
    """The provider facts about one resource type."""

    tf: str | None  # the Terraform resource type; None when only Pulumi builds it (a docker image)
    icon: str  # the diagrams node class drawn for it
    holds: str | None = None  # what it keeps at rest ("objects", "rows"); None: nothing of the system's data
    encrypted: EncryptionCheck | None = None  # how to tell it is encrypted at rest (required when it holds data)
    replaced_by: frozenset[str] = frozenset()  # top-level inputs whose change replaces it (ForceNew)


def refers(value: Any, name: str) -> bool:
    """Whether ``value`` holds a reference to the resource ``name``."""
    return any(isinstance(v, Ref) and v.name == name for v in walk(value))


def attached(plan: Plan, type_: str, target: str) -> list[Resource]:
    """The ``type_`` resources that configure the bucket ``target`` (encryption, policy, logging)."""
    return [r for r in plan.by_type(type_) if refers(r.inputs.get("bucket"), target)]


def has_input(name: str) -> EncryptionCheck:
    """Encrypted when the input ``name`` (a KMS key) is set."""
    return lambda plan, res: bool(res.inputs.get(name))


def is_true(name: str) -> EncryptionCheck:
    """Encrypted when the input ``name`` is exactly true."""
    return lambda plan, res: res.inputs.get(name) is True
