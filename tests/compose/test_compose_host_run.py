"""Run what each compose service of the bundled app runs, for real, on this host.

There is no Docker engine here, so the test takes each service's command line and
environment from the *resolved* compose model (`docker-compose config --format json`)
and runs them as a container would see them, with three substitutions only:
0.0.0.0 -> 127.0.0.1 and the port -> a free one; each named volume -> a temp dir;
/run/secrets/<name> -> a temp file holding a random value. The dev seed job must exit
0, then each HTTP service must answer its health and readiness paths, and the compose
healthcheck and the Dockerfile HEALTHCHECK commands must pass against it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deploy.compose import lint
from stacks.errors import StacksError
from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent
SEED_TIMEOUT = 600  # seconds; 100k orders take well under a minute on the 2-core machine
START_TIMEOUT = 60


def _resolved(profile: str) -> dict:
    try:
        run = lint.compose_config(ROOT / "docker-compose.yml", profile, "json")
    except StacksError as exc:
        pytest.fail(f"{exc.message}: {exc.hint}")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["services"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Host:
    """Maps a container's view (volumes, secrets) onto temp dirs of this host."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.secret_values: dict[str, str] = {}

    def volume(self, name: str) -> Path:
        path = self.tmp / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def secret(self, name: str) -> Path:
        path = self.tmp / "secrets" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            self.secret_values[name] = secrets.token_hex(16)
            path.write_text(self.secret_values[name] + "\n")
        return path

    def translate(self, service: dict, value: str) -> str:
        """A path as the container sees it -> the same file on this host."""
        if value.startswith("/run/secrets/"):
            return str(self.secret(value.removeprefix("/run/secrets/")))
        for mount in service.get("volumes", []):
            if mount["type"] == "volume" and (value == mount["target"] or value.startswith(mount["target"] + "/")):
                return str(self.volume(mount["source"])) + value[len(mount["target"]) :]
        return value

    def environment(self, service: dict) -> dict[str, str]:
        env = {
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOME": str(self.tmp),
            # What the Dockerfile's ENV sets in the image.
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        for key, value in (service.get("environment") or {}).items():
            env[key] = self.translate(service, value)
        return env

    def command(self, service: dict, port: int | None, container_port: int | None) -> list[str]:
        argv = [self.translate(service, a) for a in service["command"]]
        argv = ["127.0.0.1" if a == "0.0.0.0" else a for a in argv]
        if port is not None:
            argv = [str(port) if a == str(container_port) else a for a in argv]
        exe = VENV_BIN / argv[0]
        if not exe.exists():
            pytest.fail(f"{argv[0]} is not in {VENV_BIN}: run `make test` (it installs app/requirements.txt)")
        return [str(exe), *argv[1:]]


def _container_port(service: dict) -> int | None:
    ports = service.get("ports") or []
    if ports:
        return int(ports[0]["target"])
    expose = service.get("expose") or []
    return int(expose[0]) if expose else None


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_healthy(proc: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode} before answering {url}:\n{log.read_text()[-3000:]}")
        try:
            if _get(url) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer 200 within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)  # the session this test started: uvicorn and its workers/reloader
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _run_job(host: Host, name: str, service: dict) -> subprocess.CompletedProcess:
    argv = host.command(service, None, None)
    return subprocess.run(
        argv, cwd=ROOT, env=host.environment(service), capture_output=True, text=True, timeout=SEED_TIMEOUT
    )


def _serve_and_probe(host: Host, name: str, service: dict) -> dict[str, int]:
    container_port = _container_port(service)
    assert container_port is not None, f"{name} publishes no port"
    port = _free_port()
    argv = host.command(service, port, container_port)
    assert "0.0.0.0" not in argv and str(port) in argv
    log = host.tmp / f"{name}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, cwd=ROOT, env=host.environment(service), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        probe = service["healthcheck"]["test"]
        path = re.search(r"http://127\.0\.0\.1:\d+(/\S*?)'", probe[-1]).group(1)
        _wait_healthy(proc, f"http://127.0.0.1:{port}{path}", log)
        codes = {p: _get(f"http://127.0.0.1:{port}{p}") for p in ("/health", "/ready")}
        # The compose healthcheck itself (CMD form), aimed at the free port.
        assert probe[0] == "CMD"
        check = [str(VENV_BIN / probe[1]), *[a.replace(f":{container_port}/", f":{port}/") for a in probe[2:]]]
        ran = subprocess.run(check, capture_output=True, text=True, timeout=30)
        assert ran.returncode == 0, f"compose healthcheck of {name} failed: {ran.stderr}"
        # And the image's HEALTHCHECK (liveness) from the Dockerfile.
        dockerfile = (ROOT / "Dockerfile").read_text().splitlines()
        line = next(ln.strip() for ln in dockerfile if ln.strip().startswith('CMD ["python"'))
        docker_probe = json.loads(line.removeprefix("CMD "))
        docker_probe = [
            str(VENV_BIN / docker_probe[0]),
            *[a.replace(f":{container_port}/", f":{port}/") for a in docker_probe[1:]],
        ]
        ran = subprocess.run(docker_probe, capture_output=True, text=True, timeout=30)
        assert ran.returncode == 0, f"Dockerfile HEALTHCHECK against {name} failed: {ran.stderr}"
        return codes
    finally:
        _stop(proc)


@pytest.mark.slow
def test_every_compose_service_of_the_app_runs_on_the_host(tmp_path):
    for module in ("main", "seed"):
        if not (ROOT / "app" / f"{module}.py").is_file():
            pytest.fail(f"app/{module}.py is missing: the bundled app is not in this checkout")
    dev = _resolved("dev")
    prod = _resolved("prod")
    host = Host(tmp_path)

    seed = dev["seed-dev"]
    assert dev["api-dev"]["depends_on"]["seed-dev"]["condition"] == "service_completed_successfully"
    ran = _run_job(host, "seed-dev", seed)
    assert ran.returncode == 0, f"the seed job failed:\n{ran.stdout[-2000:]}\n{ran.stderr[-3000:]}"
    database = Path(host.translate(seed, seed["environment"]["STACKS_APP_DATABASE"]))
    assert database.is_file() and database.stat().st_size > 0

    codes = _serve_and_probe(host, "api-dev", dev["api-dev"])
    assert codes == {"/health": 200, "/ready": 200}

    # The prod volume is filled by ingest in compose; here it gets the data the dev seed wrote.
    prod_api = prod["api"]
    prod_volume = next(m["source"] for m in prod_api["volumes"] if m["type"] == "volume")
    dev_volume = next(m["source"] for m in dev["api-dev"]["volumes"] if m["type"] == "volume")
    (host.tmp / "volumes" / prod_volume).symlink_to(host.volume(dev_volume), target_is_directory=True)
    codes = _serve_and_probe(host, "api", prod_api)
    assert codes == {"/health": 200, "/ready": 200}
    assert host.secret_values, "the API key secret reached the app as a file"
