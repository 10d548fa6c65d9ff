"""Plan inputs checked against the Pulumi SDKs' ``*Args`` classes, JSON payloads against botocore's models.

A plan's nested inputs are plain dicts: a typo inside one (``rule_action_overide``)
would reach only the real provider. ``pulumi_problems`` walks every input of
every resource the Pulumi program creates, and every lookup's arguments, through
the Args class the SDK generates for it (keyword names, nested ``*Args`` classes,
required arguments); ``payload_problems`` walks the JSON documents AWS parses
itself (ECS container definitions, the overrides an EventBridge target passes to
RunTask) through botocore's service model.
"""

from __future__ import annotations

import difflib
import inspect
import re
import sys
from typing import Any

from deploy.realize import data_function, resource_class
from stacks.plan.core import MARKERS, Json, Plan

NESTED = re.compile(r"ForwardRef\('(\w+Args)'\)")


def _params(fn: Any) -> dict[str, inspect.Parameter]:
    return {
        k: p
        for k, p in inspect.signature(fn).parameters.items()
        if k not in ("self", "__self__", "resource_name", "opts") and p.kind != p.VAR_KEYWORD
    }


def _nested(owner: type, annotation: Any) -> type | None:
    """The ``*Args`` class an argument takes (itself or as list items), or None for plain values and maps."""
    text = repr(annotation)
    if "Mapping[" in text:
        return None
    found = NESTED.search(text)
    return getattr(sys.modules[owner.__module__], found.group(1), None) if found else None


def _hint(key: str, options: list[str]) -> str:
    close = difflib.get_close_matches(key, options, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_args(where: str, value: dict[str, Any], args_cls: type, problems: list[str]) -> None:
    params = _params(args_cls.__init__)
    for key, item in value.items():
        if key not in params:
            problems.append(f"{where}: {args_cls.__name__} has no argument '{key}'{_hint(key, list(params))}")
            continue
        nested = _nested(args_cls, params[key].annotation)
        if nested is None:
            continue
        if isinstance(item, dict):
            check_args(f"{where}.{key}", item, nested, problems)
        elif isinstance(item, list | tuple):
            for i, element in enumerate(item):
                if isinstance(element, dict):
                    check_args(f"{where}.{key}[{i}]", element, nested, problems)
    for key, param in params.items():
        if param.default is inspect.Parameter.empty and key not in value:
            problems.append(f"{where}: {args_cls.__name__} requires '{key}'")


def pulumi_problems(plan: Plan) -> list[str]:
    problems: list[str] = []
    for res in plan.for_engine("pulumi"):
        cls = resource_class(res.type)
        module = sys.modules[cls.__module__]
        # Where a nested input type already has the name, the SDK calls the resource's own one *InitArgs.
        args_cls = getattr(module, cls.__name__ + "InitArgs", None) or getattr(module, cls.__name__ + "Args")
        check_args(f"{res.type} {res.name}", res.inputs, args_cls, problems)
    for data in plan.data:
        if "pulumi" in data.engines:
            fn = data_function(data.type, data.function)
            params = _params(fn)
            for key in data.args:
                if key not in params:
                    problems.append(f"{data.type} {data.name}: no argument '{key}'{_hint(key, list(params))}")
    for alias, (provider, config) in plan.aliases.items():
        package = sys.modules[resource_class(f"{provider}:index:Provider").__module__]
        check_args(f"provider {alias}", config, package.ProviderArgs, problems)
    return problems


# ---------------------------------------------------------------- botocore

# (Pulumi type, input) -> (botocore service, the shape the JSON document is)
PAYLOADS: dict[tuple[str, str], tuple[str, str]] = {
    ("aws:ecs/taskDefinition:TaskDefinition", "container_definitions"): ("ecs", "ContainerDefinitions"),
    ("aws:cloudwatch/eventTarget:EventTarget", "input"): ("ecs", "TaskOverride"),
    ("aws:scheduler/schedule:Schedule", "target.input"): ("ecs", "TaskOverride"),
}
SCALARS = {"string": str, "integer": int, "long": int, "boolean": bool, "double": (int, float), "float": (int, float)}


def check_shape(where: str, value: Any, shape: Any, problems: list[str]) -> None:
    if isinstance(value, MARKERS):
        return  # resolved at deploy time (an ARN, a log group name): its type is the provider's
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected an object ({shape.name})")
            return
        members = shape.members
        for key, item in value.items():
            if key not in members:
                problems.append(f"{where}: {shape.name} has no member '{key}'{_hint(key, list(members))}")
            else:
                check_shape(f"{where}.{key}", item, members[key], problems)
        for key in shape.required_members:
            if key not in value:
                problems.append(f"{where}: {shape.name} requires '{key}'")
    elif kind == "list":
        if not isinstance(value, list | tuple):
            problems.append(f"{where}: expected a list ({shape.name})")
            return
        for i, item in enumerate(value):
            check_shape(f"{where}[{i}]", item, shape.member, problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: expected a map ({shape.name})")
    elif (kind in SCALARS and not isinstance(value, SCALARS[kind])) or (kind != "boolean" and isinstance(value, bool)):
        problems.append(f"{where}: expected {kind}, got {type(value).__name__} {value!r}")


def payloads(plan: Plan) -> list[tuple[str, Any, str, str]]:
    """(where, JSON value, service, shape) for every payload of ``plan`` that ``PAYLOADS`` describes."""
    found = []
    for res in plan.resources:
        for (type_, path), (service, shape) in PAYLOADS.items():
            if res.type != type_:
                continue
            value: Any = res.inputs
            for step in path.split("."):
                value = value.get(step) if isinstance(value, dict) else None
            if isinstance(value, Json):
                found.append((f"{res.name}.{path}", value.value, service, shape))
    return found


def payload_problems(plan: Plan) -> list[str]:
    import botocore.session

    session = botocore.session.get_session()
    problems: list[str] = []
    for where, value, service, shape in payloads(plan):
        check_shape(where, value, session.get_service_model(service).shape_for(shape), problems)
    return problems
