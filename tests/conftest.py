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
PROCESS_CALLS = ("subprocess.", "stacks_bin(", "Popen(", "_tool(", "checkov", "hadolint", "run_host(", "= run(")
# Whole modules that start servers or tools (a browser, node, a Docker engine) through helpers.
INTEGRATION_MODULES = ("tests/web/", "tests/docker/", "tests/compose/test_compose_tools.py")
# Modules whose tests each take seconds: whole-model Pulumi runs under mocks, Graphviz renders of every
# view, Hypothesis runs over whole models, builds in temporary copies of the repository, benchmarks.
SLOW_MODULES = (
    "tests/architecture/test_diagram_check.py",
    "tests/architecture/test_diagram_render.py",
    "tests/deploy/test_aws_pulumi.py",
    "tests/deploy/test_gcp_pulumi.py",
    "tests/deploy/test_aws_consistency.py",
    "tests/deploy/test_gcp_consistency.py",
    "tests/deploy/test_aws_cli.py",
    "tests/deploy/test_gcp_cli.py",
    "tests/deploy/test_aws_cdn.py",
    "tests/deploy/test_aws_database.py",
    "tests/deploy/test_plan_properties.py",
    "tests/deploy/test_random_models.py",
    "tests/stacks/test_fuzz.py",
    "tests/app/test_ingest_memory.py",
    "tests/app/test_ranges.py",
    "tests/app/test_concurrency.py",
    "tests/benchmarks/",
    "tests/diff/",
    "tests/docs/",
)


# Calls that run a whole Pulumi program under mocks (seconds each), and fixtures that do.
SLOW_CALLS = ("run_offline(", "plan_offline(", "record(")
SLOW_FIXTURES = frozenset({"recordings"})


@functools.cache
def _source(function: Any) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


def _starts_a_process(function: Any) -> bool:
    return any(call in _source(function) for call in PROCESS_CALLS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark server-backed, process-starting and slow tests so ``make test-fast`` can leave them out."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        function = getattr(item, "function", None)
        where = Path(str(item.fspath)).relative_to(ROOT).as_posix()
        server = fixtures & SERVER_FIXTURES or "checkov_results" in fixtures or "uvicorn" in item.name
        if server or where.startswith(INTEGRATION_MODULES) or _starts_a_process(function):
            item.add_marker(pytest.mark.integration)
        if (
            where.startswith(SLOW_MODULES)
            or fixtures & SLOW_FIXTURES
            or any(c in _source(function) for c in SLOW_CALLS)
        ):
            item.add_marker(pytest.mark.slow)
