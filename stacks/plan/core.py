"""The plan: the cloud resources of one deployable as plain data.

A ``Plan`` is what sits between the model and every cloud rendering: the Pulumi
program (``deploy/realize.py``), Terraform JSON (``deploy/terraform.py``), the
cloud diagram views and the docs inventory all iterate the same list of
``Resource`` values, which is why they cannot disagree.

Values inside ``inputs`` are JSON data plus four markers that each renderer
translates into its own idiom:

- ``Ref(name, attr)``: an attribute of another resource or data source
  (Pulumi: the ``Output``; Terraform: ``${type.name.attr}``);
- ``Concat(parts)``: a string joined from literals and refs;
- ``Json(value)``: a value serialised to a JSON string once its refs resolve
  (IAM policies, container definitions);
- ``Var(name)``: a per-deployment variable (Pulumi config / Terraform variable).

Nothing here imports pulumi: ``stacks plan --json`` and the tests read plans
without the cloud SDKs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stacks.errors import StacksError
from stacks.rules.contract import Reference, SecretValue, bind_env

if TYPE_CHECKING:
    from stacks.model import Build, Environment
    from stacks.project import DeployedComponent, Deployment, Project

ENGINES = ("pulumi", "terraform")


@dataclass(frozen=True)
class Ref:
    """An attribute of another resource (or data source) in the same plan."""

    name: str
    attr: str = "id"  # a path: "arn", "names[0]", "domain_validation_options[0].resource_record_name"

    def to_json(self) -> dict[str, Any]:
        return {"$ref": f"{self.name}.{self.attr}"}

    def path(self) -> list[str | int]:
        """The attribute path as keys and list indices."""
        steps: list[str | int] = []
        for key, index in re.findall(r"([a-z_][a-z0-9_]*)|\[(\d+)\]", self.attr):
            steps.append(key if key else int(index))
        return steps


@dataclass(frozen=True)
class Concat:
    parts: tuple[Any, ...]

    def to_json(self) -> dict[str, Any]:
        return {"$concat": [to_json(p) for p in self.parts]}


@dataclass(frozen=True)
class Json:
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"$json": to_json(self.value)}


@dataclass(frozen=True)
class Var:
    """A value chosen at deploy time, not in stacks.yaml (e.g. the image to run under Terraform)."""

    name: str
    description: str = ""
    default: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"$var": self.name}


MARKERS = (Ref, Concat, Json, Var)


def concat(*parts: Any) -> Concat | str:
    """Join parts; a plain string when every part is literal."""
    flat: list[Any] = []
    for part in parts:
        if isinstance(part, Concat):
            flat.extend(part.parts)
        elif isinstance(part, str) and flat and isinstance(flat[-1], str):
            flat[-1] += part
        else:
            flat.append(part)
    if all(isinstance(p, str) for p in flat):
        return "".join(flat)
    return Concat(tuple(flat))


@dataclass(frozen=True)
class Resource:
    """One cloud resource: a Pulumi type token, a logical name, and its inputs.

    ``component`` is the model component it belongs to (None for the shared
    baseline: network, keys, alerting). ``waivers`` maps a check id (a checkov id
    or a policy name from ``stacks.plan.policies``) to the written reason this
    resource is exempt; renderers carry the reason next to the resource.
    ``engines`` lists the renderings that create it: an image build exists only
    in Pulumi (Terraform takes the image as a variable instead).
    """

    type: str
    name: str
    inputs: dict[str, Any]
    component: str | None = None
    group: str = ""  # where it sits on a diagram: "public", "private", "vpc", "region", "global", "edge"
    depends_on: tuple[str, ...] = ()
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()  # inputs changed outside the plan (autoscaling owns desired_count)
    create_before_destroy: bool = False  # Pulumi's default; Terraform needs it said
    # Terraform's default; Pulumi needs it said: a fixed physical name that a replacement would reuse.
    delete_before_replace: bool = False
    alias: str | None = None  # a provider alias in Plan.aliases (e.g. "us_east_1"), None for the default provider
    waivers: dict[str, str] = field(default_factory=dict)
    engines: tuple[str, ...] = ENGINES
    replaces_var: str | None = None  # for pulumi-only resources: the Var that stands in for them elsewhere

    @property
    def provider(self) -> str:
        return self.type.split(":", 1)[0]

    @property
    def module(self) -> str:
        return self.type.split(":")[1].split("/")[0]

    @property
    def class_name(self) -> str:
        return self.type.rsplit(":", 1)[1]

    def refs(self) -> set[str]:
        return {r.name for r in walk_refs(self.inputs)}

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "component": self.component, "inputs": to_json(self.inputs)}


@dataclass(frozen=True)
class DataSource:
    """A read-only lookup (the account id, a hosted zone, the availability zones)."""

    type: str  # the Pulumi function token, e.g. "aws:index/getCallerIdentity:getCallerIdentity"
    name: str
    args: dict[str, Any] = field(default_factory=dict)
    engines: tuple[str, ...] = ENGINES
    depends_on: tuple[str, ...] = ()  # resources to create first (the API a lookup calls, on a brand-new project)

    @property
    def function(self) -> str:
        """The Python function name: getCallerIdentity -> get_caller_identity."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.type.rsplit(":", 1)[1]).lower()

    @property
    def module(self) -> str:
        return self.type.split(":")[1].split("/")[0]


@dataclass(frozen=True)
class Output:
    name: str
    value: Any
    description: str = ""


@dataclass(frozen=True)
class Plan:
    """The cloud resources of one deployable (``aws-prod``), in creation order."""

    stack: str  # the deployable, e.g. "aws-prod"
    target: str  # "aws", "gcp", "hybrid"
    providers: dict[str, dict[str, Any]]  # provider -> config, e.g. {"aws": {"region": "eu-west-1"}}
    resources: tuple[Resource, ...]
    data: tuple[DataSource, ...] = ()
    outputs: tuple[Output, ...] = ()
    components: dict[str, str] = field(default_factory=dict)  # component id -> kind
    tags: dict[str, str] = field(default_factory=dict)
    # Extra provider configurations: alias -> (provider, config), e.g. CloudFront's certificate in us-east-1.
    aliases: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def resource(self, name: str) -> Resource:
        for res in self.resources:
            if res.name == name:
                return res
        raise KeyError(name)

    def by_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def of_component(self, component: str | None) -> list[Resource]:
        return [r for r in self.resources if r.component == component]

    def for_engine(self, engine: str) -> list[Resource]:
        return [r for r in self.resources if engine in r.engines]

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "target": self.target,
            "resources": [r.to_json() for r in self.resources],
            "outputs": {o.name: to_json(o.value) for o in self.outputs},
        }


def to_json(value: Any) -> Any:
    """A plan value as JSON data (markers become ``{"$ref": ...}`` style objects)."""
    if isinstance(value, MARKERS):
        return value.to_json()
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def walk(value: Any) -> Iterator[Any]:
    """Every value nested in ``value`` (markers included, and their parts)."""
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from walk(v)
    elif isinstance(value, Concat):
        for v in value.parts:
            yield from walk(v)
    elif isinstance(value, Json):
        yield from walk(value.value)


def walk_refs(value: Any) -> Iterator[Ref]:
    return (v for v in walk(value) if isinstance(v, Ref))


def check_plan(plan: Plan) -> None:
    """Internal consistency: unique names, refs to existing names, dependency order."""
    seen: set[str] = set()
    data = {d.name for d in plan.data}
    names = {r.name for r in plan.resources}
    for lookup in plan.data:
        for dep in lookup.depends_on:
            if dep not in names:
                raise ValueError(f"plan {plan.stack}: lookup {lookup.name} depends on '{dep}', not a resource")
    for res in plan.resources:
        if res.name in seen or res.name in data:
            raise ValueError(f"plan {plan.stack}: resource name '{res.name}' is used twice")
        for ref in res.refs() | set(res.depends_on):
            if ref not in seen and ref not in data:
                raise ValueError(f"plan {plan.stack}: {res.name} refers to '{ref}', not defined before it")
        seen.add(res.name)


PULUMI_DIR = "deploy"  # where the Pulumi program runs: the image build's paths are relative to it


def build_location(root: Path, build: Build) -> tuple[str, str]:
    """(context, dockerfile) of a model ``build:`` as paths relative to the Pulumi program's directory."""
    context = os.path.relpath(Path(root) / build.context, Path(root) / PULUMI_DIR)
    return context, os.path.join(context, build.dockerfile)


class PlannerBase:
    """What every target's planner shares (mixed into the AwsPlanner and GcpPlanner dataclasses).

    Subclasses provide the ``project``, ``deployment``, ``data`` and ``outputs`` fields.
    """

    project: Project
    deployment: Deployment
    data: list[DataSource]
    outputs: list[Output]
    facts: dict[str, Any]

    @property
    def system(self) -> str:
        return self.project.model.system.name

    @property
    def env(self) -> str:
        return self.deployment.environment

    @property
    def settings(self) -> Environment:
        return self.deployment.settings

    @property
    def prod_like(self) -> bool:
        return self.settings.deletion_protection

    def lookup(self, type_: str, name: str, args: dict[str, Any] | None = None, **options: Any) -> str:
        if not any(d.name == name for d in self.data):
            self.data.append(DataSource(type_, name, args or {}, **options))
        return name

    def output(self, name: str, value: Any, description: str = "") -> None:
        # Planners may share one output list (the hybrid stack): a name set twice is a planner bug.
        if any(o.name == name for o in self.outputs):
            raise ValueError(f"plan {self.deployment.name}: output '{name}' is set twice")
        self.outputs.append(Output(name, value, description))

    def provide(self, cid: str, outputs: dict[str, Any], caller: str | None = None) -> None:
        """Record the contract outputs of component ``cid`` (``stacks.rules.contract.OUTPUTS``).

        ``caller`` records values only that workload receives (a per-workload identity on another cloud).
        """
        if caller is None:
            self.facts.setdefault("outputs", {})[cid] = outputs
        else:
            self.facts.setdefault("caller_outputs", {})[(caller, cid)] = outputs

    def bound_env(self, comp: DeployedComponent) -> tuple[dict[str, Any], dict[str, SecretValue]]:
        """``comp``'s env with every ``${component.output}`` resolved on this target: (values, secrets)."""

        def resolve(ref: Reference) -> Any:
            mine = self.facts.get("caller_outputs", {}).get((comp.id, ref.component))
            outputs = {**self.facts.get("outputs", {}).get(ref.component, {}), **(mine or {})}
            if ref.output not in outputs:
                raise StacksError(
                    f"{self.deployment.name}: {comp.id} reads {ref.text}, which this stack does not provide",
                    hint=f"deploy '{ref.component}' in this stack and connect {comp.id} to it",
                )
            return outputs[ref.output]

        return bind_env(comp.env, resolve, concat)
