"""The shape of a kind rule (``KindRule``) and its parts: how a kind looks, the names it takes.

The tables themselves are ``stacks.rules.compose``, ``.aws`` and ``.gcp``; ``stacks.rules``
puts them together.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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
    phase: int = 2  # build order: data (0), what reads data (1), workloads (2), what fronts workloads (3)
    level: int = 2  # row of the cloud view this kind's main resource sits on (1 entry .. 4 project-wide)
    variants: dict[str, Look] = field(default_factory=dict)  # technology or engine -> its own look
    names: tuple[NameCheck, ...] = ()
    # "setting.path=value" -> why this target cannot build it and what to do instead; validation refuses it there.
    unsupported: dict[str, str] = field(default_factory=dict)
    mode: str = ""  # a second way to deploy the kind (``stacks.model.KIND_MODES``): a frontend's "static" site

    @property
    def key(self) -> str:
        """The rule's key in its table: the kind, or ``<kind>.<mode>`` for a mode of it."""
        return f"{self.kind}.{self.mode}" if self.mode else self.kind

    def builder(self) -> Callable[..., Any]:
        """The builder function (imports the planner module on first use)."""
        if self.build is None:
            raise LookupError(f"{self.kind} has no builder of its own")
        if callable(self.build):
            return self.build
        module, _, func = self.build.partition(":")
        found: Callable[..., Any] = getattr(importlib.import_module(module), func)
        return found

    def refusals(self, component: object) -> list[tuple[tuple[str, ...], str]]:
        """The settings of ``component`` this target cannot build: (path of the setting, why and what instead)."""
        found: list[tuple[tuple[str, ...], str]] = []
        for setting, reason in self.unsupported.items():
            path, _, value = setting.partition("=")
            current: object = component
            for part in path.split("."):
                current = getattr(current, part, None)
            if str(current).lower() == value.lower():
                found.append((tuple(path.split(".")), reason))
        return found

    def look_for(self, component: object) -> Look:
        """The look of ``component``: its technology's or engine's variant when one exists."""
        for key in (getattr(component, "technology", None), getattr(component, "engine", None)):
            if key and key.strip().lower() in self.variants:
                return self.variants[key.strip().lower()]
        return self.look
