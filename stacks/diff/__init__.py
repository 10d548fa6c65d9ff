"""``stacks diff``: what a change to stacks.yaml changes in the architecture and in every cloud plan.

Pipeline: read both sides (``stacks.gitrev``: a git revision or the working tree)
-> load and validate each -> plan every cloud deployable of each -> compare
(``model``: components, connections, stacks, settings; ``plan``: resources per
deployable; ``risks``: what a reviewer must see first) -> ``Diff``, plain data that
``report`` writes as text, Markdown or JSON and ``architecture.change`` draws.
No credentials, no state, no checkout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.diff.model import ModelChange, model_changes
from stacks.diff.plan import ResourceChange, plan_changes
from stacks.diff.risks import Changes, Risk, find_risks
from stacks.errors import StacksError
from stacks.gitrev import Source
from stacks.plan import Plan, build_plan, cloud_deployables
from stacks.project import Project
from stacks.validate import validate_document
from stacks.yamlsource import load_text

EXIT_CHANGED = 3  # like `terraform plan -detailed-exitcode`: 0 nothing changed, 1 invalid input


@dataclass(frozen=True)
class Diff:
    base: str  # the BASE label: "main", "3f2a1c9"
    head: str  # the HEAD label: "working tree", a revision
    base_project: Project = field(repr=False)
    head_project: Project = field(repr=False)
    model: list[ModelChange]
    plans: list[ResourceChange]
    risks: list[Risk]
    deployables: list[str]  # every cloud deployable of either side, sorted

    @property
    def changed(self) -> bool:
        return bool(self.model or self.plans)

    def plan_counts(self) -> dict[str, dict[str, int]]:
        """deployable -> change kind -> count, for the summary table."""
        counts: dict[str, dict[str, int]] = {d: {} for d in self.deployables}
        for res in self.plans:
            counts[res.deployable][res.change] = counts[res.deployable].get(res.change, 0) + 1
        return counts

    def plan_groups(self) -> list[tuple[list[str], list[ResourceChange]]]:
        """Deployables with identical changes together (``aws-dev, aws-staging``), each with its changes."""
        groups: dict[str, tuple[list[str], list[ResourceChange]]] = {}
        for deployable in self.deployables:
            changes = [r for r in self.plans if r.deployable == deployable]
            if not changes:
                continue
            key = json.dumps([_shape(r) for r in changes], sort_keys=True, default=str)
            groups.setdefault(key, ([], changes))[0].append(deployable)
        return list(groups.values())

    def target_of(self, deployable: str) -> str:
        """The target (aws, gcp, hybrid) of a deployable of either side."""
        stack_id = deployable.rpartition("-")[0]
        stack = self.head_project.model.stacks.get(stack_id) or self.base_project.model.stacks[stack_id]
        return str(stack.target)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "changed": self.changed,
            "risks": [r.to_json() for r in self.risks],
            "model": [m.to_json() for m in self.model],
            "plans": {d: [r.to_json() for r in self.plans if r.deployable == d] for d in self.deployables},
            "summary": self.plan_counts(),
        }


def _shape(change: ResourceChange) -> dict[str, Any]:
    """What must match for two deployables to share a listing: added/removed resources by type and name
    (their inputs carry per-environment names), changed ones with every changed value."""
    data = {**change.to_json(), "deployable": ""}
    if change.change in ("added", "removed"):
        data["fields"] = []
    return data


def load_side(source: Source, display: str, root: Path, file: Path) -> Project:
    """Load and validate one side; its problems name the revision (``main:stacks.yaml:12:3``)."""
    doc = load_text(source.text, display)
    model = validate_document(doc)
    return Project(model=model, root=root, file=file, document=doc)


def plan_all(project: Project, label: str) -> dict[str, Plan]:
    plans = {}
    for name in cloud_deployables(project):
        try:
            plans[name] = build_plan(project, name)
        except StacksError as exc:
            raise StacksError(f"{label}: {exc.message}", diagnostics=exc.diagnostics, hint=exc.hint) from exc
    return plans


def diff_projects(base: Project, head: Project, base_label: str, head_label: str) -> Diff:
    """Compare two validated projects: model, every deployable's plan, and the risks in them."""
    base_plans, head_plans = plan_all(base, base_label), plan_all(head, head_label)
    deployables = sorted(base_plans.keys() | head_plans.keys())
    model = model_changes(base, head)
    plans = [c for d in deployables for c in plan_changes(d, base_plans.get(d), head_plans.get(d))]
    risks = find_risks(Changes(base, head, model, plans))
    return Diff(base_label, head_label, base, head, model, plans, risks, deployables)


def diff_revisions(file: str | Path | None, base: str | None = None, head: str | None = None) -> Diff:
    """Compare ``file`` at ``base`` (default: the merge-base with the default branch) and at ``head``
    (default: the working tree), reading revisions with ``git show`` (no checkout)."""
    from stacks.gitrev import WORKTREE, default_base, read_source, repo_root, short
    from stacks.project import DEFAULT_FILE

    display = str(file or DEFAULT_FILE)
    path = Path(display).resolve()
    repo = repo_root(path)
    rel = path.relative_to(repo).as_posix()
    base_source = read_source(repo, path, base or default_base(repo))
    if base is None:
        base_source = Source(short(repo, base_source.label), base_source.text)
    head_source = read_source(repo, path, head)
    projects = [
        load_side(s, display if s.label == WORKTREE else f"{s.label}:{rel}", path.parent, path)
        for s in (base_source, head_source)
    ]
    return diff_projects(projects[0], projects[1], base_source.label, head_source.label)
