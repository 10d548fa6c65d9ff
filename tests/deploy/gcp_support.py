"""Cached plans and offline Pulumi runs of the bundled gcp and hybrid stacks, shared by their tests."""

from __future__ import annotations

import dataclasses
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GCP_STACKS = ("gcp-dev", "gcp-staging", "gcp-prod")
HYBRID_STACKS = ("hybrid-dev", "hybrid-staging", "hybrid-prod")
ALL_STACKS = GCP_STACKS + HYBRID_STACKS


@cache
def project():
    from stacks.project import load_project

    return load_project(ROOT / "stacks.yaml")


@cache
def plan(name: str):
    from stacks.plan import build_plan

    return build_plan(project(), name)


@cache
def recording(name: str):
    """The real Pulumi program of ``name``, run once under mocks."""
    from deploy.offline import run_offline

    return run_offline(plan(name))


def inputs(name: str, resource: str) -> dict:
    return plan(name).resource(resource).inputs


def replace_inputs(p, name: str, **changes):
    res = p.resource(name)
    new = dataclasses.replace(res, inputs={**res.inputs, **changes})
    return dataclasses.replace(p, resources=tuple(new if r.name == name else r for r in p.resources))


def variant(*edits: tuple[str, str]):
    """The bundled stacks.yaml with textual edits applied, as a validated project."""
    from stacks.project import project_from_text

    text = (ROOT / "stacks.yaml").read_text()
    for old, new in edits:
        assert old in text, f"the bundled stacks.yaml no longer contains {old!r}"
        text = text.replace(old, new, 1)
    return project_from_text(text, root=ROOT)


def grants_to(stack: str, account: str) -> list:
    """The plan's GCP resources that grant something to the service account ``account``."""
    from stacks.plan.core import Concat, Ref, to_json

    member = to_json(Concat(("serviceAccount:", Ref(account, "email"))))
    return [
        r
        for r in plan(stack).resources
        if r.type.startswith("gcp:") and "member" in r.inputs and to_json(r.inputs["member"]) == member
    ]


def settings_from_plan_env(env: dict, resolved: dict[str, str], monkeypatch):
    """The app's Settings as a container would build them from a plan's env: ``Ref``s resolved from
    ``resolved`` (``"<resource>.<attr>": value``, anything else "x"), no other STACKS_APP_* variable."""
    import os

    from app.settings import Settings
    from stacks.plan.core import Concat, Ref

    def concrete(value):
        if isinstance(value, Ref):
            return resolved.get(f"{value.name}.{value.attr}", "x")
        if isinstance(value, Concat):
            return "".join(concrete(p) for p in value.parts)
        return str(value)

    for key in [k for k in os.environ if k.startswith("STACKS_APP_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        if value is not None:
            monkeypatch.setenv(key, concrete(value))
    return Settings()
