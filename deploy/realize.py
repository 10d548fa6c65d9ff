"""Realize a ``stacks.plan.Plan`` with Pulumi: the only module that turns plan data into resources.

Generic over the plan: a type token ``aws:ecs/service:Service`` names its class
(``pulumi_aws.ecs.Service``) and a data source token names its ``*_output``
function, so a new resource type in a planner needs no change here. Each model
component becomes one ``StacksComponent`` (a ``ComponentResource`` typed
``stacks:<target>:<Kind>``) whose children are created with ``parent=self``;
shared resources (network, key, alerting) sit under the ``baseline`` component.
``Ref``/``Concat``/``Json``/``Var`` markers become Outputs.
"""

from __future__ import annotations

import functools
import importlib
import keyword
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi

from stacks.plan.core import Concat, Json, Plan, Ref, Resource, Var

PACKAGES = {"aws": "pulumi_aws", "docker-build": "pulumi_docker_build", "gcp": "pulumi_gcp"}
BASELINE = "baseline"


@dataclass
class ComponentArgs:
    """The typed input of a ``StacksComponent``: which model component, of which kind, on which stack."""

    component: str
    kind: str
    stack: str
    resources: list[str] = field(default_factory=list)


class StacksComponent(pulumi.ComponentResource):
    """One model component (or the shared baseline) and the cloud resources it owns."""

    def __init__(self, name: str, args: ComponentArgs, target: str, opts: pulumi.ResourceOptions | None = None):
        kind = "".join(part.capitalize() for part in args.kind.split("-"))
        super().__init__(f"stacks:{target}:{kind}", name, None, opts)
        self.args = args
        self.children: dict[str, pulumi.Resource] = {}

    def finish(self) -> None:
        self.register_outputs(
            {"component": self.args.component, "kind": self.args.kind, "resources": sorted(self.children)}
        )


def resource_class(type_token: str) -> type:
    provider, rest = type_token.split(":", 1)
    module, _, cls = rest.rpartition(":")
    module = module.split("/")[0]
    package = importlib.import_module(PACKAGES.get(provider, "pulumi_" + provider.replace("-", "_")))
    if module != "index":
        # Python keywords get a trailing underscore in the SDK: aws:lambda/... lives in pulumi_aws.lambda_.
        module = module + "_" if keyword.iskeyword(module) else module
        package = importlib.import_module(f"{package.__name__}.{module}")
    resource_type: type = getattr(package, cls)
    return resource_type


def data_function(type_token: str, function: str) -> Callable[..., Any]:
    provider, rest = type_token.split(":", 1)
    module = rest.split(":")[0].split("/")[0]
    package = importlib.import_module(PACKAGES.get(provider, "pulumi_" + provider))
    if module != "index":
        package = importlib.import_module(f"{package.__name__}.{module}")
    lookup: Callable[..., Any] = getattr(package, function + "_output")
    return lookup


def _step(value: Any, step: str | int) -> Any:
    if isinstance(step, int):
        return value[step]
    if isinstance(value, dict):
        return value.get(step)
    return getattr(value, step)


class Realizer:
    """Creates the plan's resources in order; ``objects`` maps logical names to Pulumi objects."""

    def __init__(self, plan: Plan, variables: dict[str, str] | None = None):
        self.plan = plan
        self.variables = variables or {}
        self.objects: dict[str, Any] = {}
        self.components: dict[str, StacksComponent] = {}
        self.config = pulumi.Config()
        self.providers: dict[str, pulumi.ProviderResource] = {}
        self.outputs: dict[str, Any] = {}  # the plan's outputs, once run

    def value(self, value: Any) -> Any:
        if isinstance(value, Ref):
            steps = value.path()
            if value.name not in self.objects:
                self.lookup(value.name)
            out = self.objects[value.name]
            first, rest = steps[0], steps[1:]
            out = getattr(out, first) if isinstance(first, str) else out[first]
            if rest:
                out = pulumi.Output.from_input(out).apply(functools.partial(_walk, steps=rest))
            return out
        if isinstance(value, Concat):
            return pulumi.Output.concat(*[self._text(p) for p in value.parts])
        if isinstance(value, Json):
            return pulumi.Output.json_dumps(self.value(value.value))
        if isinstance(value, Var):
            return self.config.get(value.name) or self.variables.get(value.name) or value.default
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value

    def _text(self, part: Any) -> Any:
        resolved = self.value(part)
        return resolved if not isinstance(resolved, int | float) else str(resolved)

    def component(self, cid: str | None) -> StacksComponent:
        key = cid or BASELINE
        if key not in self.components:
            kind = self.plan.components.get(cid, BASELINE) if cid else BASELINE
            self.components[key] = StacksComponent(key, ComponentArgs(key, kind, self.plan.stack), self.plan.target)
        return self.components[key]

    def create(self, res: Resource) -> Any:
        parent = self.component(res.component)
        opts = pulumi.ResourceOptions(
            parent=parent,
            provider=self.provider(res.alias) if res.alias else None,
            depends_on=[self.objects[d] for d in res.depends_on] or None,
            protect=res.protect,
            ignore_changes=list(res.ignore_changes) or None,
            delete_before_replace=res.delete_before_replace or None,
        )
        cls = resource_class(res.type)
        obj = cls(res.name, opts=opts, **self.value(res.inputs))
        parent.children[res.name] = obj
        parent.args.resources.append(res.name)
        return obj

    def provider(self, alias: str) -> pulumi.ProviderResource:
        if alias not in self.providers:
            provider, config = self.plan.aliases[alias]
            package = importlib.import_module(PACKAGES.get(provider, "pulumi_" + provider))
            self.providers[alias] = package.Provider(f"{provider}-{alias.replace('_', '-')}", **config)
        return self.providers[alias]

    def lookup(self, name: str) -> None:
        # Data sources are read when first referenced: their arguments may refer to resources.
        data = next(d for d in self.plan.data if d.name == name)
        opts = (
            pulumi.InvokeOutputOptions(depends_on=[self.objects[d] for d in data.depends_on])
            if data.depends_on
            else None
        )
        self.objects[name] = data_function(data.type, data.function)(**self.value(data.args), opts=opts)

    def run(self) -> dict[str, Any]:
        for res in self.plan.resources:
            if "pulumi" in res.engines:
                self.objects[res.name] = self.create(res)
        for comp in self.components.values():
            comp.finish()
        return {o.name: self.value(o.value) for o in self.plan.outputs}


def _walk(value: Any, steps: list[str | int]) -> Any:
    for step in steps:
        if value is None:
            return None
        value = _step(value, step)
    return value


def realize(plan: Plan, variables: dict[str, str] | None = None, export: bool = True) -> Realizer:
    """Create every resource of ``plan`` in the running Pulumi program and export its outputs."""
    realizer = Realizer(plan, variables)
    outputs = realizer.run()
    if export:
        for name, value in outputs.items():
            pulumi.export(name, value)
    realizer.outputs = outputs
    return realizer
