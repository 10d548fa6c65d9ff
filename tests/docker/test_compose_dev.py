"""`docker compose --profile dev up` of the bundled app on a real engine: the seed job completes
before the API starts, the API answers health, readiness and the analytics endpoints from the
seeded data, and an edit to the bind-mounted source is served within a few seconds (hot reload)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docker.conftest import bundled_stack, note
from tests.docker.engine import Engine
from tests.docker.stack import Stack, http_get, parse_time, wait_for

pytestmark = pytest.mark.docker  # tests/conftest.py marks tests/docker/ integration: make test-fast leaves it out

API, SEED = "api-dev", "seed-dev"
RELOAD_SECONDS = 30.0  # the restart re-imports the app: 6 s on a quiet machine, 13 s at load 20 on 2 cores


@pytest.fixture(scope="module")
def dev(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with bundled_stack(engine, tmp_path_factory.mktemp("dev"), "stackstest-dev", ["dev"]) as stack:
        started = time.monotonic()
        up = stack.compose("up", "-d", "--wait", "--wait-timeout", "600", profiles="dev", check=False, timeout=900)
        assert up.returncode == 0, up.stderr[-3000:] + stack.logs()
        note(f"dev profile: `docker compose --profile dev up --wait` took {time.monotonic() - started:.0f} s")
        yield stack


def _url(stack: Stack, path: str) -> str:
    return f"http://127.0.0.1:{stack.ports['API_PORT']}{path}"


def test_the_seed_job_completes_before_the_api_starts(dev: Stack) -> None:
    seed, api = dev.inspect(SEED), dev.inspect(API)
    assert seed["State"]["Status"] == "exited" and seed["State"]["ExitCode"] == 0
    assert parse_time(seed["State"]["FinishedAt"]) <= parse_time(api["State"]["StartedAt"])
    assert api["State"]["Health"]["Status"] == "healthy"


def test_health_ready_and_the_analytics_endpoints_answer_from_the_seeded_data(dev: Stack) -> None:
    assert http_get(_url(dev, "/health")) == (200, {"status": "ok"})
    status, ready = http_get(_url(dev, "/ready"))
    assert status == 200 and ready["status"] == "ready"
    status, kpis = http_get(_url(dev, "/api/v1/kpis"))
    assert status == 200 and kpis["orders"]["value"] > 0 and kpis["revenue"]["value"] > 0
    status, top = http_get(_url(dev, "/api/v1/products/top"))
    assert status == 200 and top["products"]
    status, rfm = http_get(_url(dev, "/api/v1/segments/rfm"))
    assert status == 200 and rfm["segments"]
    status, cohorts = http_get(_url(dev, "/api/v1/cohorts"))
    assert status == 200 and cohorts["cohorts"]
    status, error = http_get(_url(dev, "/api/v1/orders/-1"))
    assert 400 <= status < 500, error


def _entry_module(dev: Stack) -> tuple[Path, str]:
    """The file and attribute behind the dev command's `uvicorn module:attr` (wherever app/ moves them)."""
    command = dev.resolved("dev")["services"][API]["command"]
    target = next(arg for arg in command if re.fullmatch(r"[\w.]+:\w+", arg))
    module, attr = target.split(":")
    path = dev.directory.joinpath(*module.split("."))
    return (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")), attr


def test_an_edit_to_the_bind_mounted_source_is_served_within_seconds(dev: Stack) -> None:
    path, attr = _entry_module(dev)
    token = secrets.token_hex(4)
    route = f"/reload-probe-{token}"
    assert http_get(_url(dev, route))[0] == 404
    edited = time.monotonic()
    with path.open("a") as source:
        source.write(f"\n\n{attr}.add_api_route({route!r}, lambda: {{'token': {token!r}}})\n")
    status, body = wait_for(_url(dev, route), RELOAD_SECONDS)
    seconds = time.monotonic() - edited
    assert (status, body) == (200, {"token": token}), dev.logs()
    note(f"dev profile: hot reload served an edited route {seconds:.1f} s after the save")
    # The reloaded worker still serves the data.
    assert http_get(_url(dev, "/ready"))[0] == 200


def test_down_v_leaves_nothing_behind(dev: Stack) -> None:
    dev.down()
    assert dev.leftovers() == []
