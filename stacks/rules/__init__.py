"""The kind rules: what each component kind is on each target, one table per target.

``RULES[target][kind]`` is a ``KindRule`` holding every facet of that kind on that
target: what builds it (an import path, loaded only by the planner), what a
workload connected to it receives (the outputs of the contract in
``stacks.rules.contract``, resolved there, plus the access it is granted), the names
validation checks against the cloud's limits, and how it is drawn and documented
(icon, product name, "runs as", level in the cloud view). Validation, the
planners, the diagrams, the docs page and the parity table read these rules;
nothing restates them. The tables are plain data: importing them imports no
planner, no cloud SDK and no ``diagrams``.

Adding a kind is one rule in each target's table (``compose.py``, ``aws.py``,
``gcp.py``) plus its outputs in ``contract.py``; ``tests/stacks/test_kind_rules.py``
fails for any facet left out. The hybrid target composes the aws and gcp tables.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.rules.contract import OUTPUTS

TARGETS = ("compose", "aws", "gcp")  # targets with a table; hybrid places each component on aws or gcp


@dataclass(frozen=True)
class Look:
    """How a kind is drawn on a target: a ``diagrams`` node class (a dotted path) and the product name."""

    icon: str  # "diagrams.aws.storage.SimpleStorageServiceS3Bucket"
    product: str  # "S3 bucket"


@dataclass(frozen=True)
class NameCheck:
    """A cloud name a kind's resources take, checked at validation against ``stacks.naming.NAME_RULES``.

    ``form``: ``name`` is ``<prefix>-<component>-<env>[-suffix]`` (``base="system"`` drops a hybrid
    stack's id from the prefix); ``sql`` that name as a SQL identifier; ``account`` the GCP service
    account id; ``pool`` the stack's workload identity pool id. ``flag_suffix`` is appended when the
    component's setting ``flag`` is set, with ``{value}`` its value (a FIFO queue's ``.fifo``, the
    last read replica's ``-replica-{value}``).
    """

    rule: str  # a key of stacks.naming.NAME_RULES
    form: str = "name"  # "name" | "sql" | "account" | "pool"
    suffix: str = ""
    base: str = "prefix"  # "prefix" | "system"
    hybrid_only: bool = False
    flag: str = ""
    flag_suffix: str = ""


@dataclass(frozen=True)
class KindRule:
    """Everything about one kind on one target."""

    kind: str
    runs_as: str  # what the kind becomes, one line (docs page, parity table, deployment view)
    look: Look
    build: str | Callable[..., Any] | None  # "module:function" of the builder (or the function); None: shared
    outputs: dict[str, str]  # contract output -> how this target resolves it (docs/outputs.md)
    grants: str = ""  # what a connected workload is allowed and opened on this target, in words
    phase: int = 2  # build order: data (0), what reads data (1), workloads (2)
    level: int = 2  # row of the cloud view this kind's main resource sits on (1 entry .. 4 project-wide)
    variants: dict[str, Look] = field(default_factory=dict)  # technology or engine -> its own look
    names: tuple[NameCheck, ...] = ()

    def builder(self) -> Callable[..., Any]:
        """The builder function (imports the planner module on first use)."""
        if self.build is None:
            raise LookupError(f"{self.kind} has no builder of its own")
        if callable(self.build):
            return self.build
        module, _, func = self.build.partition(":")
        found: Callable[..., Any] = getattr(importlib.import_module(module), func)
        return found

    def look_for(self, component: object) -> Look:
        """The look of ``component``: its technology's or engine's variant when one exists."""
        for key in (getattr(component, "technology", None), getattr(component, "engine", None)):
            if key and key.strip().lower() in self.variants:
                return self.variants[key.strip().lower()]
        return self.look


def table(target: str) -> dict[str, KindRule]:
    """The kind table of ``target`` (compose, aws or gcp)."""
    if target == "compose":
        from stacks.rules.compose import RULES as found
    elif target == "aws":
        from stacks.rules.aws import RULES as found
    elif target == "gcp":
        from stacks.rules.gcp import RULES as found
    else:
        raise KeyError(target)
    return found


def rule(target: str, kind: str) -> KindRule | None:
    """The rule of ``kind`` on ``target`` (a cloud or compose), None when the target does not host it."""
    return table(target).get(kind)


def hosted_kinds(target: str) -> frozenset[str]:
    """The kinds ``target`` deploys; hybrid hosts what either cloud hosts."""
    if target == "hybrid":
        return hosted_kinds("aws") | hosted_kinds("gcp")
    return frozenset(table(target))


def outputs_of(kind: str) -> dict[str, str]:
    """The contract outputs of ``kind``: name -> meaning (the same on every target)."""
    return OUTPUTS.get(kind, {})


__all__ = ["OUTPUTS", "TARGETS", "KindRule", "Look", "NameCheck", "hosted_kinds", "outputs_of", "rule", "table"]
