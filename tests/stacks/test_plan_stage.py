"""The plan stage: a build plans each cloud deployable once and every renderer reads that plan."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import stacks.plan
from stacks.pipeline import check
from stacks.project import load_project

ROOT = Path(__file__).resolve().parents[2]


def test_one_plan_per_deployable_per_build(monkeypatch: pytest.MonkeyPatch) -> None:
    project = load_project(ROOT / "stacks.yaml")
    made: Counter[str] = Counter()
    real = stacks.plan.build_plan

    def counting(proj: Any, name: str) -> stacks.plan.Plan:
        made[name] += 1
        return real(proj, name)

    monkeypatch.setattr(stacks.plan, "build_plan", counting)
    state = check(project)  # every generator: diagrams, docs, Pulumi and Terraform files all read plans
    assert not state.stale and not state.missing
    deployables = stacks.plan.cloud_deployables(project)
    assert len(deployables) == 9
    assert made == Counter({name: 1 for name in deployables})


def test_the_stage_plans_lazily_and_shares_its_plans() -> None:
    project = load_project(ROOT / "stacks.yaml")
    plans = stacks.plan.Plans(project)
    assert plans.made == 0 and len(plans) == 9
    first = plans["aws-prod"]
    assert plans["aws-prod"] is first and plans.made == 1
    assert list(plans) == stacks.plan.cloud_deployables(project)
