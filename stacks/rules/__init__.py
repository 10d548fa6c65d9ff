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

from stacks.rules.aws import RULES as AWS
from stacks.rules.base import KindRule, Look, NameCheck
from stacks.rules.compose import RULES as COMPOSE
from stacks.rules.contract import OUTPUTS
from stacks.rules.gcp import RULES as GCP

TARGETS = ("compose", "aws", "gcp")  # targets with a table; hybrid places each component on aws or gcp
TABLES: dict[str, dict[str, KindRule]] = {"compose": COMPOSE, "aws": AWS, "gcp": GCP}


def table(target: str) -> dict[str, KindRule]:
    """The kind table of ``target`` (compose, aws or gcp)."""
    return TABLES[target]


def rule_key(kind: str, mode: str = "") -> str:
    """The key of a kind's rule in a table: the kind, or ``<kind>.<mode>`` for one of its modes."""
    return f"{kind}.{mode}" if mode else kind


def rule(target: str, kind: str, mode: str = "") -> KindRule | None:
    """The rule of ``kind`` (in ``mode``) on ``target`` (a cloud or compose), None when the target does not host it."""
    return table(target).get(rule_key(kind, mode))


def rule_for(target: str, component: object) -> KindRule | None:
    """The rule that deploys ``component`` on ``target``: its kind's, or its mode's (a frontend's static site)."""
    return rule(target, str(getattr(component, "kind", "")), str(getattr(component, "mode", "")))


def hosted_kinds(target: str) -> frozenset[str]:
    """The kinds ``target`` deploys; hybrid hosts what either cloud hosts."""
    if target == "hybrid":
        return hosted_kinds("aws") | hosted_kinds("gcp")
    return frozenset(r.kind for r in table(target).values())


def outputs_of(kind: str) -> dict[str, str]:
    """The contract outputs of ``kind``: name -> meaning (the same on every target)."""
    return OUTPUTS.get(kind, {})


__all__ = [
    "OUTPUTS",
    "TARGETS",
    "KindRule",
    "Look",
    "NameCheck",
    "hosted_kinds",
    "outputs_of",
    "rule",
    "rule_for",
    "rule_key",
    "table",
]
