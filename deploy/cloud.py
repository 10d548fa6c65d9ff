"""What the cloud commands do: plan offline, preview/up with the Automation API, drive Terraform.

``stacks plan`` runs the real Pulumi program under mocks (``deploy.offline``) and
shows what it registered, grouped by model component. ``stacks up``/``preview``
need the ``pulumi`` CLI; without it they stop with how to install it and the
equivalent command. ``stacks terraform`` writes the stack's main.tf.json and
runs terraform on it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacks.artifacts import write_atomic
from stacks.errors import StacksError
from stacks.plan import build_plan
from stacks.plan.core import Plan

if TYPE_CHECKING:
    from rich.tree import Tree

    from deploy.offline import Recording
    from stacks.project import Project

PULUMI_INSTALL = "curl -fsSL https://get.pulumi.com | sh   (or see https://www.pulumi.com/docs/install/)"


@dataclass
class PlanRun:
    plan: Plan
    recording: Recording
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.plan.stack,
            "resources": [r.to_json() for r in self.recording.resources],
            "outputs": self.recording.outputs,
        }

    def summary(self) -> str:
        from stacks.plan.policies import POLICIES

        comps = {r.component for r in self.recording.resources}
        return (
            f"{self.plan.stack}: {len(self.recording.resources)} resources in {len(comps)} groups "
            f"(Pulumi program run offline under mocks), {len(POLICIES)} security policies passed, "
            f"in {self.seconds:.2f}s"
        )


def plan_offline(project: Project, stack: str) -> PlanRun:
    started = time.perf_counter()
    plan = build_plan(project, stack)
    from deploy.offline import run_offline

    recording = run_offline(plan)
    return PlanRun(plan, recording, time.perf_counter() - started)


BASELINE_LABELS = {
    "aws": "(network, key, alerting, logs, cluster)",
    "gcp": "(APIs, logs, alerting, image registry)",
    "hybrid": "(AWS network, key, cluster; GCP APIs, logs, alerting; workload identity pool)",
}


def plan_tree(run: PlanRun) -> Tree:
    """A Rich tree: the stack, then each component (baseline first) with its resources."""
    from rich.markup import escape
    from rich.tree import Tree

    plan = run.plan
    where = ", ".join(
        " ".join(str(cfg[k]) for k in ("project", "region") if cfg.get(k)) for cfg in plan.providers.values()
    )  # "eu-west-1" or "shop-analytics-prod europe-west1"
    tree = Tree(f"[bold]{plan.stack}[/] ({plan.target}, {where})")
    groups: dict[str | None, list[Any]] = {}
    for res in run.recording.resources:
        groups.setdefault(res.component, []).append(res)
    for component in sorted(groups, key=lambda c: (c is not None, c or "")):
        label = (
            f"[cyan]{component}[/] ({plan.components.get(component, '')})"
            if component
            else "[cyan]baseline[/] " + BASELINE_LABELS.get(plan.target, BASELINE_LABELS["aws"])
        )
        branch = tree.add(f"{label}: {len(groups[component])} resources")
        for res in groups[component]:
            branch.add(f"{escape(res.type)} [dim]{escape(res.name)}[/]")
    outputs = tree.add("[bold]outputs[/]")
    for key, value in sorted(run.recording.outputs.items()):
        outputs.add(f"{key} = {escape(str(value))}")
    return tree


# ---------------------------------------------------------------- pulumi up / preview


def pulumi_command(stack: str, action: str) -> str:
    return f"cd deploy && pulumi {action} --stack {stack}"


def pulumi_up(project: Project, stack: str, preview: bool, on_output: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run the stack's program through the Automation API; needs the pulumi CLI."""
    build_plan(project, stack)  # a bad stack name or model fails here, before anything starts
    action = "preview" if preview else "up"
    if shutil.which("pulumi") is None:
        raise StacksError(
            f"`stacks {action}` needs the pulumi CLI, which is not installed",
            hint=f"install it: {PULUMI_INSTALL}; then run `stacks {action} {stack}` or "
            f"`{pulumi_command(stack, action)}`. `stacks plan {stack}` shows the resources offline.",
        )
    from pulumi import automation as auto

    work_dir = project.root / "deploy"
    ws = auto.LocalWorkspace(work_dir=str(work_dir), env_vars={"STACKS_FILE": str(project.file)})
    target = auto.Stack.create_or_select(stack, ws)
    if preview:
        previewed = target.preview(on_output=on_output)
        return {"stack": stack, "action": "preview", "changes": dict(previewed.change_summary)}
    result = target.up(on_output=on_output)
    return {
        "stack": stack,
        "action": "up",
        "summary": result.summary.result,
        "outputs": {k: v.value for k, v in result.outputs.items() if not v.secret},
    }


# ---------------------------------------------------------------- terraform


def write_terraform(project: Project, stack: str) -> Path:
    from deploy.terraform import tf_json_text, tf_path

    plan = build_plan(project, stack)
    path: Path = project.root / tf_path(stack)
    write_atomic(path, tf_json_text(plan).encode())
    return path


def terraform(project: Project, stack: str, actions: list[str]) -> tuple[Path, list[str]]:
    """Write main.tf.json, then run each of init/plan/apply in order."""
    from deploy.terraform import drive, terraform_binary

    path = write_terraform(project, stack)
    outputs: list[str] = []
    if actions:
        terraform_binary()
        for action in actions:
            outputs.append(drive(path.parent, action))
    return path, outputs
