"""The installed tool, as a new user gets it: build the wheel, install it into a clean virtualenv, and
describe a Node.js system (its own Dockerfile, Postgres, Redis, a bucket, a migration job before the
service) in an empty folder: init, validate, build, diagrams, compose --lint, plan and check all work,
and the user's hand-written files come out byte for byte as they went in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

# What the wheel is built from: the repository's layout, nothing else (app/ only for its requirements file).
SOURCES = ("pyproject.toml", "setup.py", "README.md", "stacks", "architecture", "deploy", "templates", "requirements")
SHIPPED = ("stacks", "architecture", "deploy")  # every module here must be in the wheel
PIP = ("-m", "pip", "--disable-pip-version-check", "-q")

SYSTEM = """\
# yaml-language-server: $schema=./stacks.schema.json
version: 1
system: {name: notes, label: Notes, description: A Node.js notes API.}
environments: [dev, prod]
components:
  writer: {kind: user, label: Writer}
  api:
    kind: service
    technology: Node.js
    build: {context: api}
    command: [node, server.js]
    port: 3000
    health: /health
    public: true
    secrets: {SESSION_KEY: notes/session-key}
  migrate:
    kind: job
    technology: Node.js
    build: {context: api}
    command: [node, migrate.js]
    before: [api]
  db: {kind: database, technology: PostgreSQL, engine: postgres}
  cache: {kind: cache, technology: Redis, engine: redis}
  files: {kind: bucket, purpose: assets}
connections:
  - {from: writer, to: api, label: writes notes, protocol: https}
  - {from: api, to: db, protocol: postgres}
  - {from: migrate, to: db, protocol: postgres}
  - {from: api, to: cache, protocol: redis}
  - {from: api, to: files, protocol: s3}
stacks:
  local:
    target: compose
    environments: {dev: {}, prod: {}}
  aws:
    target: aws
    region: eu-west-1
    environments: {prod: {domain: notes.example.com, dns_zone: example.com}}
"""

# The user's own files: the build must use them as they are and never touch them.
HAND_WRITTEN = {
    "api/Dockerfile": """\
FROM node:22.11-alpine3.20
WORKDIR /srv
COPY package.json server.js migrate.js ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s CMD wget -qO- http://127.0.0.1:3000/health || exit 1
CMD ["node", "server.js"]
""",
    "api/.dockerignore": "node_modules\n",
    "api/package.json": '{"name": "notes-api", "version": "1.0.0", "private": true}\n',
    "api/server.js": "require('http').createServer((q, r) => r.end('ok')).listen(3000);\n",
    "api/migrate.js": "console.log('migrated');\n",
    "README.md": "# Notes\n\nOur own readme.\n",
    ".env": "COMPOSE_PROFILES=dev\nAPI_PORT=3300\n",  # local values: never overwritten
}


def run(exe: Path, *args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(exe), *args], cwd=cwd, capture_output=True, text=True, timeout=900, env=env or os.environ.copy()
    )
    assert result.returncode == 0, f"{exe.name} {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (the repository stays clean)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, src / name)
    (src / "app").mkdir()
    shutil.copy(ROOT / "app" / "requirements.txt", src / "app" / "requirements.txt")
    out = tmp_path_factory.mktemp("dist")
    run(Path(sys.executable), *PIP, "wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(src), cwd=src)
    (built,) = out.glob("stacks-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean virtualenv with the wheel and the extras these commands need; returns its bin directory."""
    venv = tmp_path_factory.mktemp("venv")
    run(Path(sys.executable), "-m", "venv", str(venv), cwd=venv)
    bin_dir = venv / "bin"
    run(bin_dir / "python", *PIP, "install", f"{wheel}[deploy,diagrams,lint]", cwd=venv)
    return bin_dir


def test_the_wheel_has_one_package_with_its_data_and_not_the_app(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"stacks"}
    assert "stacks/templates/Dockerfile.j2" in names and "stacks/templates/docs/page.md.j2" in names
    assert "stacks/deploy/program.py" in names and "stacks/architecture/render.py" in names
    assert not any(n.startswith(("stacks/app/", "app/")) for n in names)
    assert not any("/terraform/" in n and n.endswith(".json") for n in names), "the repo's generated stacks stay out"
    for package in SHIPPED:
        for module in (ROOT / package).rglob("*.py"):
            rel = module.relative_to(ROOT).as_posix()
            inside = rel if package == "stacks" else f"stacks/{rel}"
            assert inside in names, f"{rel} is not in the wheel: add its package to [tool.setuptools] packages"


def test_a_node_system_in_an_empty_folder(installed: Path, tmp_path: Path):
    stacks = installed / "stacks"
    env = os.environ.copy()
    # checkov has its own virtualenv (its pins clash with pulumi's): the repository's, as a user's pipx one.
    env["PATH"] = f"{ROOT / '.venv-checkov' / 'bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONPATH", None)
    project = tmp_path / "notes"
    project.mkdir()

    started = run(stacks, "init", "--name", "notes", cwd=project, env=env)
    assert "stacks.schema.json" in started.stdout
    assert (project / "stacks.yaml").read_text().startswith("# yaml-language-server: $schema=./stacks.schema.json")
    assert (project / "stacks.schema.json").is_file()

    (project / "stacks.yaml").write_text(SYSTEM)
    for rel, text in HAND_WRITTEN.items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_text(text)

    assert "notes: 6 components" in run(stacks, "validate", cwd=project, env=env).stdout
    run(stacks, "build", cwd=project, env=env)
    for rel in (
        "docker-compose.yml",
        ".env.example",
        "deploy/Pulumi.yaml",
        "deploy/__main__.py",
        "deploy/requirements.txt",
        "deploy/Pulumi.aws-prod.yaml",
        "docs/architecture/README.md",
    ):
        assert (project / rel).is_file(), rel
    assert not (project / "Dockerfile").exists(), "no Dockerfile is generated unless the model asks for one"
    run(stacks, "diagrams", cwd=project, env=env)
    assert (project / "docs/architecture/diagrams/containers.svg").is_file()
    linted = run(stacks, "compose", "--lint", cwd=project, env=env)
    assert "lint: ok" in linted.stdout
    plan = run(stacks, "plan", "aws-prod", cwd=project, env=env)
    assert "api" in plan.stdout and "aws:ecs/taskDefinition:TaskDefinition" in plan.stdout
    run(stacks, "check", cwd=project, env=env)

    for rel, text in HAND_WRITTEN.items():
        assert (project / rel).read_text() == text, f"{rel} was changed"
    for rel in ("deploy/Pulumi.yaml", "docker-compose.yml"):
        assert "generated from stacks.yaml" in (project / rel).read_text()


def test_the_bundled_app_is_not_there_and_says_so(installed: Path, tmp_path: Path):
    result = subprocess.run(
        [str(installed / "stacks"), "app", "seed"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1 and "ships with the stacks repository" in result.stderr
    assert "Traceback" not in result.stderr
