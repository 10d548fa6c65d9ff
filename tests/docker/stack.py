"""A compose project under test: a copy of a system's local-stack files with its secrets, a test
override (ports on 127.0.0.1, stand-ins for images no registry serves), images built on the host network, free
host ports, and the compose commands the tests run against it.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from tests.docker.engine import Engine, EngineError, ensure_base, from_images

STANDINS_DIR = Path(__file__).parent / "standins"
# An image a registry would serve -> the local stand-in that speaks its protocol, and what it is.
STANDINS: dict[str, tuple[str, str]] = {
    "quay.io/minio/minio": ("s3", "moto's S3 server behind a `minio server` shim"),
    "quay.io/minio/mc": ("s3", "boto3 behind an `mc ready` / `mc mb` shim"),
    "postgres": ("db", "Debian's postgresql-15 behind the official image's POSTGRES_* entrypoint contract"),
    "redis": ("db", "Debian's redis-server"),
}
OVERRIDE = "docker-compose.test.yml"


class Replaced(list[str]):
    """A list the override puts in place of the generated one (compose merges lists: `!override` replaces)."""


yaml.SafeDumper.add_representer(Replaced, lambda dumper, data: dumper.represent_sequence("!override", data))
PORT_VAR = re.compile(r"\$\{([A-Z0-9_]+):-\d+\}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def standin_tag(kind: str) -> str:
    """The stand-in's tag names its context's content, so an edited stand-in is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((STANDINS_DIR / kind).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(STANDINS_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return f"stacks-standin/{kind}:{digest.hexdigest()[:12]}"


@dataclass
class Stack:
    """One compose project in a temporary directory, run under a unique project name."""

    engine: Engine
    directory: Path
    name: str
    compose_file: str = "docker-compose.yml"
    ports: dict[str, int] = field(default_factory=dict)
    standins: dict[str, str] = field(default_factory=dict)  # service -> what replaced its image
    _resolved: dict[str | None, dict[str, Any]] = field(default_factory=dict)

    # ------------------------------------------------------------ setup

    def write_secrets(self) -> None:
        """Every ./secrets/<name> file the compose file mounts, with a random value (mode 0644)."""
        doc = yaml.safe_load((self.directory / self.compose_file).read_text())
        for spec in (doc.get("secrets") or {}).values():
            path = self.directory / spec["file"]
            path.parent.mkdir(mode=0o700, exist_ok=True)
            if not path.exists():
                path.write_text(secrets.token_hex(10) + "\n")
                path.chmod(0o644)

    def allocate_ports(self) -> None:
        """Each ${VAR:-default} host port of the compose file -> a free port, so runs never collide."""
        text = (self.directory / self.compose_file).read_text()
        self.ports = {var: free_port() for var in sorted(set(PORT_VAR.findall(text)))}

    def env(self, profiles: str | None = None) -> dict[str, str]:
        env = {var: str(port) for var, port in self.ports.items()}
        env["COMPOSE_PROJECT_NAME"] = self.name
        if profiles is not None:
            env["COMPOSE_PROFILES"] = profiles
        return env

    def resolved(self, profiles: str | None) -> dict[str, Any]:
        """`docker compose config` of the plain file (before the override) for these profiles."""
        if profiles in self._resolved:
            return self._resolved[profiles]
        run = self.engine.compose(
            self.directory, "-f", self.compose_file, "config", "--format", "json", env=self._bare_env(profiles)
        )
        if run.returncode != 0:
            raise EngineError(f"compose config failed: {run.stderr}")
        resolved: dict[str, Any] = json.loads(run.stdout)
        self._resolved[profiles] = resolved
        return resolved

    def _bare_env(self, profiles: str | None) -> dict[str, str]:
        env = self.env(profiles)
        if profiles is None:
            env.pop("COMPOSE_PROFILES", None)
        return env

    def prepare(self, profiles: list[str | None], *, builds_only: bool = False) -> list[str]:
        """Images for every service of these profiles (built, cached, pulled or stood in), then the
        override file. Returns one line per image saying where it came from."""
        services: dict[str, dict[str, Any]] = {}
        for profile in profiles:
            services.update(self.resolved(profile)["services"])
        report: list[str] = []
        override: dict[str, dict[str, Any]] = {}
        for name, why in sorted(self._untestable(services).items()):
            # Left out of every profile here (nothing depends on it), and said so in the report.
            override[name] = {"profiles": Replaced(["not-under-test"])}
            report.append(f"not run: {name} ({why})")
            del services[name]
        builds = {svc["image"]: svc["build"] for svc in services.values() if "build" in svc}
        for image, spec in sorted(builds.items()):
            report += self._build(image, spec)
        for name, svc in sorted(services.items()):
            if (
                not builds_only
                and "build" not in svc
                and not self.engine.has_image(svc["image"])
                and not self._pull(svc["image"])
            ):
                kind, what = self._standin(svc["image"])
                override[name] = {"image": standin_tag(kind)}
                self.standins[name] = f"{svc['image']} -> {what}"
        doc = {
            "services": override,
            # Published ports listen on loopback only, whatever the generated file says.
            "networks": {"default": {"driver_opts": {"com.docker.network.bridge.host_binding_ipv4": "127.0.0.1"}}},
        }
        (self.directory / OVERRIDE).write_text(yaml.safe_dump(doc, sort_keys=True))
        return report + [f"stand-in for {svc}: {what}" for svc, what in sorted(self.standins.items())]

    def _untestable(self, services: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Services this engine cannot run: a build context the test copy leaves out (the dashboard's web/,
        built on node and served by nginx) or an image no registry serves and no stand-in replaces."""
        found: dict[str, str] = {}
        for name, svc in services.items():
            if "build" in svc and not Path(svc["build"]["context"]).is_dir():
                found[name] = f"its build context {svc['build']['context']} is not part of the app under test"
            elif "build" not in svc and not self._available(svc["image"]):
                found[name] = f"{svc['image']} cannot be pulled here and has no stand-in"
        return found

    def _available(self, ref: str) -> bool:
        """An image the engine has, can pull, or has a stand-in for."""
        return ref.split(":")[0] in STANDINS or self.engine.has_image(ref) or self._pull(ref)

    def _build(self, image: str, spec: dict[str, Any]) -> list[str]:
        """`docker build` of a compose `build:` section (same context, Dockerfile, target and tag).

        Compose v5 hands builds to `docker buildx bake`; buildx is not packaged for Debian bookworm
        and no registry serves it here, so the engine's own builder runs them, on the host network."""
        context = Path(spec["context"])
        dockerfile = context / spec.get("dockerfile", "Dockerfile")
        report = [f"base {ref}: {ensure_base(self.engine, ref)}" for ref in from_images(dockerfile)]
        target = ["--target", spec["target"]] if spec.get("target") else []
        started = time.monotonic()
        self.engine.docker(
            "build", "-q", "--network", "host", "-f", str(dockerfile), *target, "-t", image, str(context), timeout=1800
        )
        return [
            *report,
            f"image {image}: `docker build` of its compose build section, {time.monotonic() - started:.0f} s",
        ]

    def _pull(self, ref: str) -> bool:
        try:
            return self.engine.docker("pull", "-q", ref, check=False, timeout=45).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def _standin(self, ref: str) -> tuple[str, str]:
        repository = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
        if repository not in STANDINS:
            raise EngineError(f"{ref} cannot be pulled and the docker tests have no stand-in for it")
        kind, what = STANDINS[repository]
        ensure_standin(self.engine, kind)
        return kind, what

    # ------------------------------------------------------------ compose

    def compose(
        self, *args: str, profiles: str | None = None, timeout: float = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        files = ["-f", self.compose_file, "-f", OVERRIDE]
        run = self.engine.compose(self.directory, *files, *args, env=self._bare_env(profiles), timeout=timeout)
        if check and run.returncode != 0:
            raise EngineError(f"docker compose {' '.join(args)} failed ({run.returncode}):\n{run.stderr[-4000:]}")
        return run

    def containers(self, *, all_states: bool = True) -> list[str]:
        args = ["ps", "-q", "--filter", f"label=com.docker.compose.project={self.name}"]
        return self.engine.docker(*args, *(["-a"] if all_states else [])).stdout.split()

    def inspect(self, service: str) -> dict[str, Any]:
        """`docker inspect` of the (last) container of a compose service, running or exited."""
        ids = self.engine.docker(
            "ps",
            "-aq",
            "--filter",
            f"label=com.docker.compose.project={self.name}",
            "--filter",
            f"label=com.docker.compose.service={service}",
        ).stdout.split()
        if not ids:
            raise EngineError(f"no container for service {service} in project {self.name}")
        info: dict[str, Any] = json.loads(self.engine.docker("inspect", ids[0]).stdout)[0]
        return info

    def leftovers(self) -> list[str]:
        """Containers (any state), volumes and networks of this project still on the engine."""
        label = f"label=com.docker.compose.project={self.name}"
        found = [f"container {c}" for c in self.containers()]
        for kind in ("volume", "network"):
            found += [f"{kind} {n}" for n in self.engine.docker(kind, "ls", "-q", "--filter", label).stdout.split()]
        return found

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "60", check=False).stdout

    def down(self) -> None:
        self.compose("down", "-v", "--remove-orphans", "--timeout", "5", profiles="*", check=False, timeout=300)


def ensure_standin(engine: Engine, kind: str) -> str:
    """Build a stand-in image (standins/<kind>/) on the same base as the app, once per engine; its tag."""
    tag = standin_tag(kind)
    if engine.has_image(tag):
        return tag
    context = STANDINS_DIR / kind
    for base in from_images(context / "Dockerfile"):
        ensure_base(engine, base)
    engine.docker("build", "-q", "--network", "host", "-t", tag, str(context), timeout=900)
    repository = tag.split(":")[0]
    older = engine.docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", repository).stdout.split()
    for stale in set(older) - {tag}:  # earlier versions of this stand-in
        engine.docker("image", "rm", stale, check=False)
    return tag


def parse_time(value: str) -> datetime:
    """A Docker timestamp (nanoseconds, Z) as an aware datetime (microseconds)."""
    return datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", value).replace("Z", "+00:00"))


def copy_project(root: Path, target: Path, names: list[str]) -> Path:
    """The files a user's checkout has for `docker compose up`, copied so tests can edit them freely."""
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o755)  # the container user (uid 10001) reads the bind-mounted source
    for name in names:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def http_get(url: str, timeout: float = 5.0) -> tuple[int, Any]:
    """GET a JSON endpoint: (status, parsed body); connection errors are status 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


def wait_for(url: str, seconds: float, accept: int = 200) -> tuple[int, Any]:
    deadline = time.monotonic() + seconds
    status, body = http_get(url)
    while status != accept and time.monotonic() < deadline:
        time.sleep(0.25)
        status, body = http_get(url)
    return status, body
