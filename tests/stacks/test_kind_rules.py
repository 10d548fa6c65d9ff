"""The kind rules are complete: every kind x target x facet, and the output contract on every target.

Kinds come from the model (``stacks.model.KINDS``), never from a list written here: a new kind is
checked the moment the model has it.
"""

from __future__ import annotations

import importlib
import re
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks import model, rules
from stacks.naming import NAME_RULES
from stacks.rules.contract import OUTPUTS, is_secret
from stacks.rules.reference import PAGES, SECTIONS, refreshed

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED_KINDS = tuple(k for k in model.KINDS if k not in model.NOT_DEPLOYED_KINDS)
# Every rule a table must hold: each deployed kind, and each mode of a kind (a frontend's static site).
RULE_KEYS = DEPLOYED_KINDS + tuple(rules.rule_key(k, m) for k, modes in model.KIND_MODES.items() for m in modes)
PLATFORM_ENV = {"aws": {"AWS_REGION", "AWS_DEFAULT_REGION"}, "gcp": {"GOOGLE_CLOUD_PROJECT"}, "compose": set()}
FACETS = ("runs_as", "look", "build", "outputs", "phase", "level", "names")


def _diagrams_class(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("target", rules.TARGETS)
@pytest.mark.parametrize("key", RULE_KEYS)
def test_every_kind_has_every_facet_on_every_target(key: str, target: str) -> None:
    kind, _, mode = key.partition(".")
    rule = rules.rule(target, kind, mode)
    assert rule is not None, f"no {target} rule for {key}: add one to stacks/rules/{target}.py"
    assert (rule.kind, rule.mode, rule.key) == (kind, mode, key)
    assert len(rule.runs_as) > 15, f"{target}/{kind}: say what it runs as"
    for look in (rule.look, *rule.variants.values()):
        assert look.product and _diagrams_class(look.icon), f"{target}/{kind}: icon {look.icon}"
    assert set(rule.outputs) == set(OUTPUTS[kind]), f"{target}/{kind}: document how each contract output resolves"
    assert all(rule.outputs.values()), f"{target}/{kind}: an output without its resolution"
    if kind in model.WORKLOAD_KINDS and target == "compose" and not mode:
        assert rule.build is None  # the shared compose workload builder
    else:
        assert callable(rule.builder()), f"{target}/{kind}: the builder {rule.build} does not load"
    assert rule.phase in (0, 1, 2, 3) and rule.level in (1, 2, 3, 4)
    assert all(check.rule in NAME_RULES for check in rule.names)
    if OUTPUTS[kind]:
        assert rule.grants, f"{target}/{kind}: say what a connected workload is granted"


def test_the_contract_covers_exactly_the_deployed_kinds() -> None:
    assert set(OUTPUTS) == set(DEPLOYED_KINDS)
    assert set(rules.hosted_kinds("hybrid")) == rules.hosted_kinds("aws") | rules.hosted_kinds("gcp")


def test_validation_does_not_import_planners() -> None:
    """Importing validation (and the rules) loads no planner, no cloud SDK and no diagrams."""
    import subprocess
    import sys

    code = (
        "import sys, stacks.validate, stacks.project, stacks.rules; "
        "bad = sorted(m for m in sys.modules if m.startswith(('stacks.plan', 'pulumi', 'diagrams', 'deploy'))); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("page", sorted(PAGES))
def test_reference_pages_are_written_from_the_rules(page: str) -> None:
    text = (ROOT / page).read_text()
    for name in PAGES[page]:
        assert refreshed(text, name) == text, f"{page} is stale: run python -m stacks.rules.reference"
        assert SECTIONS[name]().strip() in text


# ---------------------------------------------------------------- the contract on every target


def _system(kinds: list[str]) -> dict[str, Any]:
    """A model with one component of each kind and a service bound to every output of every other one."""
    comps: dict[str, dict[str, Any]] = {}
    lake = None
    for i, kind in enumerate(kinds):
        cid = f"{kind[:8]}{i}"
        comps[cid] = {"kind": kind}
        if kind in model.WORKLOAD_KINDS:  # built here: some targets run only images they built (Lambda: ECR)
            comps[cid]["build"] = {"context": ".", "dockerfile": "Dockerfile"}
        if kind == "bucket" and lake is None:
            lake = cid
    needs_lake = [cid for cid, c in comps.items() if "lake" in _fields(c["kind"])]
    if needs_lake and lake is None:
        lake = "lake"
        comps[lake] = {"kind": "bucket"}
    for cid in needs_lake:
        comps[cid]["lake"] = lake
    for comp in comps.values():
        if "routes" in _fields(comp["kind"]):  # a front door: it routes to the bound service
            comp["routes"] = [{"path": "/", "to": "app"}]
    env: dict[str, str] = {}
    secrets_bound: list[str] = []
    for cid, comp in comps.items():
        for output in OUTPUTS[comp["kind"]]:
            var = re.sub(r"[^A-Z0-9]", "_", f"{cid}_{output}".upper())
            env[var] = f"${{{cid}.{output}}}"
            if is_secret(comp["kind"], output):
                secrets_bound.append(var)
    comps["app"] = {"kind": "service", "image": "ghcr.io/example/app:1.0", "env": {"LOG_LEVEL": "info", **env}}
    connections = [{"from": "app", "to": cid} for cid in comps if cid != "app"]
    envs = {"dev": {}}  # production would also ask a public frontend for a domain (HTTPS only)
    return {
        "version": 1,
        "system": {"name": "probe"},
        "environments": ["dev"],
        "components": comps,
        "connections": connections,
        "stacks": {
            "local": {"target": "compose", "environments": envs},
            "aws": {"target": "aws", "region": "eu-west-1", "environments": envs},
            "gcp": {"target": "gcp", "project": "probe-project", "region": "europe-west1", "environments": envs},
        },
    }


def _fields(kind: str) -> set[str]:
    """The settings of ``kind``'s model class (the members of the ``Component`` union)."""
    members = typing.get_args(typing.get_args(model.Component)[0])
    member = next(m for m in members if typing.get_args(m.model_fields["kind"].annotation) == (kind,))
    return set(member.model_fields)


def received(project: Any) -> dict[str, dict[str, set[str]]]:
    """Target -> workload -> the variable names it receives (platform variables aside)."""
    from deploy.compose.local import plan_stack
    from stacks.plan import build_plan

    out: dict[str, dict[str, set[str]]] = {"compose": {}, "aws": {}, "gcp": {}}
    declared = {
        cid: set(getattr(c, "env", {})) | set(getattr(c, "secrets", {})) for cid, c in project.model.components.items()
    }
    stacks = {s.target: (sid, list(s.environments)[-1]) for sid, s in sorted(project.model.stacks.items())}
    for svc in plan_stack(project, stacks["compose"][0]).services:
        if svc.environment != stacks["compose"][1]:
            continue
        if svc.role == "workload":
            names = set(svc.body.get("environment", {}))
            # A secret arrives as the file VAR_FILE names (compose's only way without writing it down).
            out["compose"][svc.component] = {n[:-5] if n[:-5] in declared[svc.component] else n for n in names}
    aws = build_plan(project, "-".join(stacks["aws"]))
    for res in aws.by_type("aws:ecs/taskDefinition:TaskDefinition"):
        container = res.inputs["container_definitions"].value[0]
        names = {e["name"] for e in container["environment"]} | {e["name"] for e in container["secrets"]}
        out["aws"][res.component] = names - PLATFORM_ENV["aws"]
    for res in aws.by_type("aws:lambda/function:Function"):
        names = set(res.inputs["environment"]["variables"])
        # Lambda injects no secrets: a secret arrives as VAR_PARAMETER, the parameter the function reads.
        out["aws"][res.component] = {n.removesuffix("_PARAMETER") for n in names}
    gcp = build_plan(project, "-".join(stacks["gcp"]))
    for res in gcp.resources:
        if res.type == "gcp:cloudrunv2/service:Service":
            container = res.inputs["template"]["containers"][0]
        elif res.type == "gcp:cloudrunv2/job:Job":
            container = res.inputs["template"]["template"]["containers"][0]
        else:
            continue
        out["gcp"][res.component] = {e["name"] for e in container["envs"]} - PLATFORM_ENV["gcp"]
    return out


def _assert_same_names(project: Any) -> None:
    got = received(project)
    workloads = set().union(*(got[target] for target in rules.TARGETS))
    assert workloads, "no workload was compared"
    for cid in sorted(workloads):
        comp = project.model.components[cid]
        expected = set(comp.env) | set(comp.secrets)
        for target in rules.TARGETS:
            assert cid in got[target], f"{cid} is not deployed on {target}"
            assert got[target][cid] == expected, (target, cid, got[target][cid] ^ expected)


def test_the_bundled_workloads_receive_the_same_names_on_compose_aws_and_gcp() -> None:
    from stacks.project import load_project

    _assert_same_names(load_project(ROOT / "stacks.yaml"))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(DEPLOYED_KINDS), min_size=1, max_size=4, unique=True))
def test_every_kind_resolves_every_output_on_every_target(kinds: list[str]) -> None:
    """A workload bound to every output of components of the generated kinds receives the same names everywhere."""
    from stacks.project import project_from_text

    _assert_same_names(project_from_text(yaml.safe_dump(_system(kinds), sort_keys=False), root=ROOT))


def test_all_kinds_at_once() -> None:
    from stacks.project import project_from_text

    _assert_same_names(project_from_text(yaml.safe_dump(_system(list(DEPLOYED_KINDS)), sort_keys=False), root=ROOT))
