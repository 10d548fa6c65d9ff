"""Fixtures for the cloud plan tests: plans and offline Pulumi runs of the bundled aws stacks (cached)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.project import load_project, project_from_text

ROOT = Path(__file__).resolve().parents[2]
AWS_STACKS = ("aws-dev", "aws-staging", "aws-prod")
_runs: dict = {}


@pytest.fixture(scope="session")
def bundled():
    return load_project(ROOT / "stacks.yaml")


@pytest.fixture(scope="session")
def plans(bundled):
    from stacks.plan import build_plan

    return {name: build_plan(bundled, name) for name in AWS_STACKS}


@pytest.fixture(scope="session")
def recordings(plans):
    """The real Pulumi program of each aws stack, run once under mocks."""
    from deploy.offline import run_offline

    if not _runs:
        for name, plan in plans.items():
            _runs[name] = run_offline(plan)
    return _runs


def variant(text_edit, root: Path | None = None):
    """The bundled stacks.yaml with a textual edit applied, as a project (for bad-input tests)."""
    text = (ROOT / "stacks.yaml").read_text()
    old, new = text_edit
    assert old in text, f"the bundled stacks.yaml no longer contains {old!r}"
    return project_from_text(text.replace(old, new, 1), root=root or ROOT)


@pytest.fixture(scope="session")
def every_kind_project(tmp_path_factory):
    """A project that uses every kind and the options the cloud plans read, on aws, gcp and hybrid stacks."""
    from tests.deploy.every_kind import every_kind_text

    return project_from_text(every_kind_text(), root=ROOT)
