"""Shared fixtures: the repository root, the default project, and a CLI runner."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def project():
    from stacks.project import load_project

    return load_project(ROOT / "stacks.yaml")


@pytest.fixture()
def cli():
    """Invoke the CLI in-process: cli("validate", "-f", path) -> click Result."""
    from typer.testing import CliRunner

    from stacks.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return invoke


def stacks_bin() -> str:
    exe = VENV_BIN / "stacks"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: run `make test` (it installs the project into .venv)")
    return os.fspath(exe)
