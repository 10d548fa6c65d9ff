"""`docker compose up` (the default, prod profile) of the bundled app on a real engine: the
hardening is in effect on the running containers (read-only root, no capabilities, memory limit,
healthcheck), and the ingest job loads a file dropped into the incoming folder, which the API serves."""

from __future__ import annotations

import shlex
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker.conftest import bundled_stack, note
from tests.docker.engine import Engine
from tests.docker.incoming import INCOMING, ORDERS, REVENUE, UNITS
from tests.docker.stack import Stack, http_get

pytestmark = pytest.mark.docker  # tests/conftest.py marks tests/docker/ integration: make test-fast leaves it out

HEALTHY_WITHIN = 120.0  # the prod API is ready once a dataset is loaded; its probe runs every 10 s


@pytest.fixture(scope="module")
def prod(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with bundled_stack(engine, tmp_path_factory.mktemp("prod"), "stackstest-prod", [None, "prod,prod-jobs"]) as stack:
        # A bare `up`: .env's COMPOSE_PROFILES=prod chooses the profile, as for a user.
        up = stack.compose("up", "-d", check=False)
        assert up.returncode == 0, up.stderr[-3000:] + stack.logs()
        yield stack


@pytest.fixture(scope="module")
def ingested(prod: Stack) -> Stack:
    """The export dropped into the incoming folder, then the on-demand ingest job run as a user would."""
    script = "mkdir -p /data/incoming && " + " && ".join(
        f"printf %s {shlex.quote(text)} > /data/incoming/{name}" for name, text in INCOMING.items()
    )
    drop = prod.compose("run", "--rm", "-T", "--no-deps", "ingest", "sh", "-c", script, check=False)
    assert drop.returncode == 0, drop.stderr
    started = time.monotonic()
    run = prod.compose("run", "--rm", "-T", "ingest", check=False, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr + prod.logs()
    assert f"orders {ORDERS:,} rows" in run.stdout
    note(f"prod profile: `docker compose run --rm ingest` took {time.monotonic() - started:.0f} s")
    return prod


def _healthy(stack: Stack, service: str) -> dict[str, Any]:
    deadline = time.monotonic() + HEALTHY_WITHIN
    info = stack.inspect(service)
    while info["State"].get("Health", {}).get("Status") != "healthy" and time.monotonic() < deadline:
        time.sleep(1)
        info = stack.inspect(service)
    assert info["State"]["Health"]["Status"] == "healthy", info["State"]["Health"]["Log"][-1:] or stack.logs()
    return info


def test_the_api_serves_the_file_the_ingest_job_loaded(ingested: Stack) -> None:
    _healthy(ingested, "api")
    base = f"http://127.0.0.1:{ingested.ports['API_PORT']}"
    status, kpis = http_get(f"{base}/api/v1/kpis?start=2025-03-01&end=2025-03-31")
    assert status == 200, kpis
    assert (kpis["orders"]["value"], kpis["units"]["value"], kpis["revenue"]["value"]) == (ORDERS, UNITS, REVENUE)
    status, ready = http_get(f"{base}/ready")
    assert status == 200 and ready["status"] == "ready"


def test_the_hardening_is_in_effect_on_the_running_api(engine: Engine, ingested: Stack) -> None:
    info = _healthy(ingested, "api")
    declared = ingested.resolved(None)["services"]["api"]
    host = info["HostConfig"]
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and not host["CapAdd"]
    assert "no-new-privileges:true" in host["SecurityOpt"]
    assert host["Memory"] == int(declared["deploy"]["resources"]["limits"]["memory"])
    assert host["PidsLimit"] == 512 and host["Init"] is True
    assert info["Config"]["User"] == "10001:10001"
    assert info["Config"]["Healthcheck"]["Test"] == declared["healthcheck"]["test"]
    published = info["NetworkSettings"]["Ports"].values()  # as bound (the network's host_binding_ipv4 applies)
    assert {b["HostIp"] for binding in published for b in binding or []} == {"127.0.0.1"}
    # Inside the container: no effective capability, the cgroup limit, and a root that refuses writes.
    limits = "/sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes"  # cgroup v2, v1
    probe = f"grep CapEff /proc/self/status; cat {limits} 2>/dev/null; touch /srv/x"
    run = engine.docker("exec", info["Id"], "sh", "-c", probe, check=False)
    assert "CapEff:\t0000000000000000" in run.stdout
    assert str(host["Memory"]) in run.stdout.split()
    assert "Read-only file system" in run.stderr


def test_down_v_leaves_nothing_behind(ingested: Stack) -> None:
    ingested.down()
    assert ingested.leftovers() == []
