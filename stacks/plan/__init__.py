"""Cloud plans: ``build_plan(project, "aws-prod")`` -> the ``Plan`` every cloud rendering reads.

``PLANNERS`` maps a stack's target to the function that plans it; the GCP and
hybrid targets plug in here with their own registry module next to ``aws.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from stacks.errors import StacksError, one_of
from stacks.plan.core import Concat, DataSource, Json, Output, Plan, Ref, Resource, Var

if TYPE_CHECKING:
    from stacks.project import Deployment, Project

__all__ = [
    "PLANNERS",
    "Concat",
    "DataSource",
    "Json",
    "Output",
    "Plan",
    "Plans",
    "Ref",
    "Resource",
    "Var",
    "build_plan",
    "cloud_deployables",
]

# target -> "module:function" taking (project, deployment) and returning a Plan.
PLANNERS: dict[str, str] = {
    "aws": "stacks.plan.aws:plan_aws",
    "gcp": "stacks.plan.gcp:plan_gcp",
    "hybrid": "stacks.plan.hybrid:plan_hybrid",
}


def cloud_deployables(project: Project) -> list[str]:
    """The deployables a planner exists for (``aws-dev``, ``aws-prod``, ...)."""
    return [name for name in project.deployables() if project.model.stacks[name.rpartition("-")[0]].target in PLANNERS]


class Plans(Mapping[str, Plan]):
    """The plan stage of the pipeline: each cloud deployable planned once, on first use, and shared.

    One ``Plans`` lives for one build (``stacks.pipeline``) and is handed to every renderer
    that draws or writes plans (diagrams, docs, Pulumi and Terraform files), so a deployable
    is planned once per build however many renderers read it.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self._made: dict[str, Plan] = {}

    def __getitem__(self, name: str) -> Plan:
        if name not in self._made:
            self._made[name] = build_plan(self.project, name)
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(cloud_deployables(self.project))

    def __len__(self) -> int:
        return len(cloud_deployables(self.project))

    @property
    def made(self) -> int:
        """How many plans this stage has made so far."""
        return len(self._made)


def build_plan(project: Project, name: str) -> Plan:
    deployment = project.deployment(name)
    entry = PLANNERS.get(deployment.target)
    if entry is None:
        raise StacksError(
            f"'{name}' is a {deployment.target} stack, which has no cloud plan",
            hint=f"plans exist for {one_of(cloud_deployables(project), 20)}",
        )
    module, _, func = entry.partition(":")
    planner: Callable[[Project, Deployment], Plan] = getattr(importlib.import_module(module), func)
    plan = planner(project, deployment)
    from stacks.plan.policies import check_policies

    violations = check_policies(plan)
    if violations:
        raise StacksError(
            f"the {name} plan breaks {len(violations)} security polic"
            f"{'y' if len(violations) == 1 else 'ies'}:\n  " + "\n  ".join(map(str, violations)),
            hint="fix the component in stacks.yaml, or the builder in stacks/plan/",
        )
    return plan
