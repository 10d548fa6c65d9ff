"""Shared fixtures: the repository root, the default project, and a CLI runner."""

from __future__ import annotations

import functools
import inspect
import os
import sys
from pathlib import Path
from typing import Any

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


# ---------------------------------------------------------------- test tiers (make test-fast)

# Fixtures that start a server (uvicorn, moto, the GCS emulator, a Docker engine): a test using one,
# directly or through another fixture, is an integration test.
SERVER_FIXTURES = frozenset({"server_factory", "uvicorn_server", "s3_server", "gcs_server", "engine"})
# Calls in a test's own body that start a process or an external tool.
PROCESS_CALLS = ("subprocess.", "stacks_bin(", "Popen(", "_tool(", "checkov", "hadolint", "run_host(")


@functools.cache
def _starts_a_process(function: Any) -> bool:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    return any(call in source for call in PROCESS_CALLS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark server-backed and process-starting tests ``integration`` so ``make test-fast`` can leave them out."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        function = getattr(item, "function", None)
        if fixtures & SERVER_FIXTURES or "checkov_results" in fixtures or _starts_a_process(function):
            item.add_marker(pytest.mark.integration)
