"""The bundled app's image on a real engine: it builds, runs as its non-root user, and every path
the app writes is writable when the root filesystem is read-only and nothing is mounted but what
the image itself declares (the Fargate / Cloud Run situation: no compose tmpfs, no named volume)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator

import pytest

from tests.docker.conftest import bundled_stack
from tests.docker.engine import Engine
from tests.docker.incoming import INCOMING
from tests.docker.stack import Stack

pytestmark = pytest.mark.docker  # tests/conftest.py marks tests/docker/ integration: make test-fast leaves it out

HARDENED = ["--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"]


@pytest.fixture(scope="module")
def stack(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with bundled_stack(
        engine, tmp_path_factory.mktemp("image"), "stackstest-image", [None, "dev"], builds_only=True
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def image(stack: Stack) -> str:
    return str(stack.resolved(None)["services"]["api"]["image"])


def _command(stack: Stack, service: str, profile: str) -> list[str]:
    return list(stack.resolved(profile)["services"][service]["command"])


def test_the_image_runs_as_its_non_root_user(engine: Engine, image: str) -> None:
    config = json.loads(engine.docker("image", "inspect", image).stdout)[0]["Config"]
    assert config["User"] == "10001:10001"
    who = engine.docker("run", "--rm", *HARDENED, image, "id", "-u", "-n").stdout.split()
    assert who[0] != "root" and engine.docker("run", "--rm", image, "id", "-u").stdout.strip() == "10001"
    # The code belongs to root: the app user can read it, never change it.
    touch = engine.docker("run", "--rm", image, "sh", "-c", "touch /srv/app/x", check=False)
    assert touch.returncode != 0 and "Permission denied" in touch.stderr


def _drop_incoming(engine: Engine, image: str, volumes_from: str) -> None:
    script = "mkdir -p /data/incoming && " + " && ".join(
        f"printf %s {shlex.quote(text)} > /data/incoming/{name}" for name, text in INCOMING.items()
    )
    engine.docker("run", "--rm", "--volumes-from", volumes_from, image, "sh", "-c", script)


def test_every_path_the_app_writes_is_writable_on_a_read_only_root(engine: Engine, stack: Stack, image: str) -> None:
    """Seed, ingest and serve with --read-only and only the image's own VOLUMEs: a write anywhere
    else (the database directory, a temp file, a cache in the home directory) fails here."""
    declared = json.loads(engine.docker("image", "inspect", image).stdout)[0]["Config"].get("Volumes") or {}
    database = stack.resolved("prod,prod-jobs")["services"]["ingest"]["environment"]["STACKS_APP_DATABASE"]
    environment = ["-e", f"STACKS_APP_DATABASE={database}"]
    seed = _command(stack, "seed-dev", "dev")
    seed[seed.index("--orders") + 1] = "2000"  # the dev seed's command, smaller: this test is about paths
    name = f"{stack.name}-readonly"
    engine.docker("rm", "-f", "-v", name, check=False)
    engine.docker("create", "--name", name, *HARDENED, *environment, image, *seed)
    try:
        seeded = engine.docker("start", "-a", name, check=False, timeout=300)
        assert seeded.returncode == 0, f"image VOLUMEs {sorted(declared)}:\n{seeded.stdout}{seeded.stderr}"
        _drop_incoming(engine, image, name)
        ingest = _command(stack, "ingest", "prod,prod-jobs")
        run = engine.docker("run", "--rm", *HARDENED, "--volumes-from", name, *environment, image, *ingest, check=False)
        assert run.returncode == 0 and "ingested" in run.stdout, run.stdout + run.stderr
        # The scratch directory of the lake and GCS ingest jobs (tempfile) is writable too.
        scratch = "import pathlib,tempfile; pathlib.Path(tempfile.mkdtemp(prefix='lake-ingest-'), 'x').write_text('x')"
        run = engine.docker("run", "--rm", *HARDENED, image, "python", "-c", scratch, check=False)
        assert run.returncode == 0, f"image VOLUMEs {sorted(declared)}:\n{run.stderr}"
        _serves_ready(engine, name, image, environment)
    finally:
        engine.docker("rm", "-f", "-v", name, check=False)


def _serves_ready(engine: Engine, volumes_from: str, image: str, environment: list[str]) -> None:
    """The image's own CMD on the read-only root answers /ready (a worker writing anywhere undeclared dies)."""
    api = engine.docker("run", "-d", *HARDENED, "--volumes-from", volumes_from, *environment, image).stdout.strip()
    try:
        probe = "import urllib.request as u,sys; sys.stdout.write(u.urlopen(sys.argv[1], timeout=4).read().decode())"
        once = f'python -c "{probe}" http://127.0.0.1:8000/ready 2>/dev/null'
        script = f"for i in $(seq 1 120); do {once} && exit 0; sleep 0.25; done; exit 1"
        ready = engine.docker("exec", api, "sh", "-c", script, check=False, timeout=120)
        logs = engine.docker("logs", api, check=False)
        assert ready.returncode == 0, logs.stdout + logs.stderr
        assert json.loads(ready.stdout)["status"] == "ready"
        assert "Read-only file system" not in logs.stderr + logs.stdout
    finally:
        engine.docker("rm", "-f", "-v", api, check=False)
