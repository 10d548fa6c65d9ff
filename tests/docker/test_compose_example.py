"""A generated compose file for a system that is not the bundled Python app (example/stacks.yaml:
a shell CGI service on busybox httpd, PostgreSQL, Redis and a migration job) comes up on a real
engine with its dependencies in order: the database and the cache are healthy before the job runs
and the service starts, the job completes before the service starts, and the service reads both."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stacks_bin
from tests.docker.conftest import note
from tests.docker.engine import Engine, EngineError
from tests.docker.stack import Stack, ensure_standin, http_get, parse_time, wait_for

pytestmark = pytest.mark.docker  # tests/conftest.py marks tests/docker/ integration: make test-fast leaves it out

EXAMPLE = Path(__file__).parent / "example"
WEB_IMAGE = "notes-web:1.0"  # the example's own image: a registry would serve it, the test builds it


@pytest.fixture(scope="module")
def notes(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("notes")
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    root.chmod(0o755)
    built = subprocess.run(
        [stacks_bin(), "build", "--only", "compose", "-f", str(root / "stacks.yaml")], text=True, capture_output=True
    )
    assert built.returncode == 0, built.stdout + built.stderr
    stack = Stack(engine, root, "stackstest-notes")
    stack.write_secrets()
    stack.allocate_ports()
    try:
        base = ensure_standin(engine, "db")
        engine.docker("build", "-q", "--build-arg", f"BASE={base}", "-t", WEB_IMAGE, str(root / "image"))
        for line in stack.prepare([None]):
            note(f"example system: {line}")
    except EngineError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        started = time.monotonic()
        up = stack.compose("up", "-d", "--wait", "--wait-timeout", "300", check=False, timeout=600)
        assert up.returncode == 0, up.stderr[-3000:] + stack.logs()
        note(f"example system: `docker compose up --wait` took {time.monotonic() - started:.0f} s")
        yield stack
    finally:
        stack.down()


def _healthy_since(info: dict[str, Any]) -> datetime:
    """When the container's healthcheck first passed."""
    log = info["State"]["Health"]["Log"]
    return min(parse_time(entry["End"]) for entry in log if entry["ExitCode"] == 0)


def test_dependencies_come_up_healthy_and_in_order(notes: Stack) -> None:
    db, cache, migrate, web = (notes.inspect(s) for s in ("db", "cache", "migrate", "web"))
    assert db["State"]["Health"]["Status"] == "healthy" and cache["State"]["Health"]["Status"] == "healthy"
    assert migrate["State"]["Status"] == "exited" and migrate["State"]["ExitCode"] == 0
    assert _healthy_since(db) <= parse_time(migrate["State"]["StartedAt"])
    assert parse_time(migrate["State"]["FinishedAt"]) <= parse_time(web["State"]["StartedAt"])
    assert _healthy_since(cache) <= parse_time(web["State"]["StartedAt"])
    assert web["State"]["Status"] == "running"
    # The model's `security` of a prebuilt image: read-only root, its uid, no capabilities.
    for info in (web, migrate):
        assert info["HostConfig"]["ReadonlyRootfs"] is True and info["HostConfig"]["CapDrop"] == ["ALL"]
        assert info["Config"]["User"] == "65534:65534"


def test_the_service_reads_the_database_and_the_cache(notes: Stack) -> None:
    base = f"http://127.0.0.1:{notes.ports['WEB_PORT']}"
    assert wait_for(f"{base}/cgi-bin/health", 30) == (200, {"status": "ok"})
    assert http_get(f"{base}/cgi-bin/notes") == (200, {"notes": 3, "hits": 1})
    assert http_get(f"{base}/cgi-bin/notes") == (200, {"notes": 3, "hits": 2})


def test_down_v_leaves_nothing_behind(notes: Stack) -> None:
    notes.down()
    assert notes.leftovers() == []
