"""A loaded, validated project: the model, where it came from, and its deployables.

``load_project`` is the first two stages of the pipeline (load, validate). A
deployable is ``<stack>-<environment>`` (``aws-prod``): the Pulumi stack name and
what ``stacks plan`` takes. ``Project.deployment`` resolves one into the effective
per-environment settings of every component it deploys.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeGuard

from typing_extensions import TypeVar

from stacks.errors import Diagnostic, StacksError, did_you_mean, one_of
from stacks.model import (
    NOT_DEPLOYED_KINDS,
    WORKLOAD_KINDS,
    AnyComponent,
    AnyStack,
    Deployable,
    Environment,
    Frontend,
    Function,
    HybridStack,
    Job,
    Resources,
    Scale,
    Service,
    StacksFile,
    Worker,
)
from stacks.validate import validate_document, validation_warnings
from stacks.yamlsource import Document, load_file, load_text

DEFAULT_FILE = "stacks.yaml"


# The model class of a deployed component: a kind's builder takes e.g. ``DeployedComponent[Bucket]``;
# code that handles any kind writes plain ``DeployedComponent``.
ComponentT = TypeVar("ComponentT", bound=AnyComponent, default=AnyComponent, covariant=True)
# The model classes that run an image: what a builder for any workload takes, ``DeployedComponent[AnyWorkload]``.
AnyWorkload = Frontend | Service | Worker | Job | Function


@dataclass(frozen=True)
class DeployedComponent(Generic[ComponentT]):
    """One component as a deployable runs it: the model entry plus its environment's overrides."""

    id: str
    component: ComponentT
    cloud: str
    resources: Resources | None
    scale: Scale | None
    env: dict[str, str]

    @property
    def kind(self) -> str:
        return self.component.kind

    @property
    def size(self) -> Resources:
        """CPU and memory of one instance, for a kind that has them (every workload: its default or override)."""
        if self.resources is None:
            raise ValueError(f"{self.id} is a {self.kind}, which has no resources")
        return self.resources

    @property
    def instances(self) -> Scale:
        """Instance counts, for a kind that scales (services, frontends, workers)."""
        if self.scale is None:
            raise ValueError(f"{self.id} is a {self.kind}, which has no scale")
        return self.scale


def is_workload(dc: DeployedComponent) -> TypeGuard[DeployedComponent[AnyWorkload]]:
    """``dc`` runs an image (a kind in ``WORKLOAD_KINDS``): a builder for workloads may take it."""
    return dc.kind in WORKLOAD_KINDS


@dataclass(frozen=True)
class Deployment:
    """A stack in one environment, e.g. ``aws-prod``."""

    name: str
    stack_id: str
    environment: str
    target: str
    stack: AnyStack
    settings: Environment
    components: tuple[DeployedComponent, ...]

    def component(self, cid: str) -> DeployedComponent:
        for comp in self.components:
            if comp.id == cid:
                return comp
        raise KeyError(cid)

    def on(self, cloud: str) -> tuple[DeployedComponent, ...]:
        return tuple(c for c in self.components if c.cloud == cloud)


@dataclass(frozen=True)
class Project:
    model: StacksFile
    root: Path
    file: Path
    document: Document | None = field(default=None, compare=False, repr=False)

    @property
    def filename(self) -> str:
        return self.file.name

    @cached_property
    def fingerprint(self) -> str:
        """A hash of the validated model: equal models render equal outputs."""
        canonical = json.dumps(self.model.model_dump(mode="json", by_alias=True), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @cached_property
    def warnings(self) -> list[Diagnostic]:
        """What validation allows but flags (a public service over plain HTTP outside production)."""
        return validation_warnings(self.document, self.model) if self.document is not None else []

    def warnings_for(self, deployable: str) -> list[Diagnostic]:
        stack_id, _, env = deployable.rpartition("-")
        return [w for w in self.warnings if w.path == f"stacks.{stack_id}.environments.{env}"]

    def deployables(self) -> list[str]:
        return [f"{sid}-{env}" for sid, stack in sorted(self.model.stacks.items()) for env in stack.environments]

    def deployment(self, name: str) -> Deployment:
        stack_id, _, env = name.rpartition("-")
        stack = self.model.stacks.get(stack_id)
        if stack is None or env not in stack.environments:
            known = self.deployables()
            suggestion = did_you_mean(name, known)
            raise StacksError(
                f"unknown stack '{name}'",
                hint=(suggestion + " " if suggestion else "")
                + f"Stacks are named <stack>-<environment>; this {self.filename} defines {one_of(known, 20)}.",
            )
        settings = stack.environments[env]
        if stack.components is not None:
            ids = list(stack.components)
        elif isinstance(stack, HybridStack):
            ids = list(stack.placement)
        else:
            ids = [cid for cid, c in self.model.components.items() if c.kind not in NOT_DEPLOYED_KINDS]
        deployed: list[DeployedComponent] = []
        for cid in sorted(ids):
            comp = self.model.components[cid]
            environments = comp.environments if isinstance(comp, Deployable) else None
            if environments is not None and env not in environments:
                continue
            override = settings.components.get(cid)
            cloud = stack.placement[cid] if isinstance(stack, HybridStack) else stack.target
            resources = getattr(comp, "resources", None)
            scale = getattr(comp, "scale", None)
            env_vars = dict(getattr(comp, "env", {}) or {})
            if override is not None:
                resources = override.resources or resources
                scale = override.scale or scale
                env_vars.update(override.env)
            deployed.append(DeployedComponent(cid, comp, cloud, resources, scale, dict(sorted(env_vars.items()))))
        return Deployment(name, stack_id, env, stack.target, stack, settings, tuple(deployed))


def load_project(file: str | Path | None = None) -> Project:
    """Load and validate a stacks.yaml (``./stacks.yaml`` by default)."""
    path = Path(file or DEFAULT_FILE)
    doc = load_file(path, display=str(file) if file else DEFAULT_FILE)
    model = validate_document(doc)
    return Project(model=model, root=path.resolve().parent, file=path.resolve(), document=doc)


def project_from_text(text: str, root: Path | None = None, filename: str = DEFAULT_FILE) -> Project:
    """A project from YAML text (tests, fuzzing, `stacks init` self-checks)."""
    doc = load_text(text, filename)
    model = validate_document(doc)
    root = (root or Path.cwd()).resolve()
    return Project(model=model, root=root, file=root / filename, document=doc)
