"""Fixtures for the diagram tests: specs of the bundled model, projects from edited YAML."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def specs(project):
    from architecture.registry import project_views

    return {spec.name: spec for spec in project_views(project)}


@pytest.fixture()
def edited(tmp_path):
    """edited(change) -> a Project from the bundled stacks.yaml after change(data) edits it."""
    from stacks.project import load_project

    def make(change, name: str = "stacks.yaml"):
        data = yaml.safe_load((ROOT / "stacks.yaml").read_text())
        change(data)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_project(path)

    return make


@pytest.fixture()
def project_copy(tmp_path):
    """A copy of the project's model and its committed docs in a temp dir (never the real tree)."""
    dest = tmp_path / "proj"
    dest.mkdir()
    shutil.copy(ROOT / "stacks.yaml", dest / "stacks.yaml")
    shutil.copytree(ROOT / "docs" / "architecture", dest / "docs" / "architecture")
    return dest
