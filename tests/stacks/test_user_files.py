"""A user's files are never lost: build refuses to overwrite what it did not write, .env is seeded once,
obsolete outputs go only when they carry the header, and a component's own Dockerfile is used as is."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.stacks.test_cli import run

OWN_DOCKERFILE = """\
FROM node:22-alpine
WORKDIR /srv
COPY package.json server.js ./
USER node
HEALTHCHECK CMD wget -qO- http://127.0.0.1:3000/health || exit 1
CMD ["node", "server.js"]
"""

MODEL = """\
version: 1
system: {name: shop}
environments: [dev, prod]
components:
  web:
    kind: service
    technology: Node.js
    build: {context: web}
    port: 3000
    health: /health
  tasks:
    kind: worker
    build: {context: ., generate: python, source: tasks, requirements: tasks/requirements.txt}
    command: [python, -m, tasks.run]
  search:
    kind: service
    image: docker.elastic.co/elasticsearch/elasticsearch:8.15.0
    port: 9200
    health: curl -fs http://127.0.0.1:9200/_cluster/health
    env: {discovery.type: single-node, ES_JAVA_OPTS: -Xms512m -Xmx512m}
    files: {/usr/share/elasticsearch/config/synonyms.txt: config/synonyms.txt}
connections:
  - {from: web, to: search, protocol: http}
stacks:
  local:
    target: compose
    environments: {dev: {}, prod: {}}
"""


def project(tmp_path: Path) -> Path:
    (tmp_path / "stacks.yaml").write_text(MODEL)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_text(OWN_DOCKERFILE)
    return tmp_path


def build(root: Path, *args: str) -> dict:
    result = run("build", "--only", "compose", "--json", *args, cwd=root)
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_the_components_own_dockerfile_is_used_as_is_and_only_the_asked_one_is_generated(tmp_path):
    root = project(tmp_path)
    written = build(root)["written"]
    assert "web/Dockerfile" not in written and (root / "web" / "Dockerfile").read_text() == OWN_DOCKERFILE
    assert "Dockerfile" in written and "web/.dockerignore" not in written  # the user's context is theirs
    generated = (root / "Dockerfile").read_text()
    assert "COPY tasks/requirements.txt ./requirements.txt" in generated and "COPY tasks/ ./tasks/" in generated
    services = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]
    assert services["web"]["build"] == {"context": "web", "dockerfile": "Dockerfile"}
    assert "healthcheck" not in services["web"], "the image's own HEALTHCHECK applies: stacks cannot probe it"
    assert "volumes" not in services.get("web-dev", {}), "no bind mount of a source layout stacks does not know"


def test_a_third_party_image_gets_only_what_the_model_declares(tmp_path):
    root = project(tmp_path)
    build(root)
    search = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]["search"]
    assert "user" not in search and "read_only" not in search and "cap_drop" not in search
    assert search["healthcheck"]["test"] == ["CMD-SHELL", "curl -fs http://127.0.0.1:9200/_cluster/health"]
    assert search["environment"]["discovery.type"] == "single-node"
    assert "./config/synonyms.txt:/usr/share/elasticsearch/config/synonyms.txt:ro" in search["volumes"]
    web = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]["web"]
    assert web["depends_on"]["search"] == {"condition": "service_healthy"}  # its declared command probes it
    assert web["user"] == "10001:10001" and web["read_only"] is True  # built images: the secure defaults


def test_build_refuses_to_overwrite_a_hand_written_file_and_writes_nothing(tmp_path):
    root = project(tmp_path)
    mine = "services: {}\n# my own compose file\n"
    (root / "docker-compose.yml").write_text(mine)
    refused = run("build", "--only", "compose", cwd=root)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "not overwriting docker-compose.yml" in refused.stderr
    assert "--adopt docker-compose.yml" in refused.stderr
    assert (root / "docker-compose.yml").read_text() == mine
    assert not (root / "Dockerfile").exists() and not (root / ".env").exists(), "nothing is half-written"
    state = json.loads(run("check", "--json", cwd=root).stdout)
    assert "docker-compose.yml" in state["not_generated"]
    adopted = build(root, "--adopt", "docker-compose.yml")
    assert "docker-compose.yml" in adopted["written"]
    assert "generated from stacks.yaml" in (root / "docker-compose.yml").read_text()


def test_adopt_names_a_generated_file(tmp_path):
    root = project(tmp_path)
    wrong = run("build", "--only", "compose", "--adopt", "README.md", cwd=root)
    assert wrong.returncode == 1 and "does not generate that file" in wrong.stderr


def test_env_is_written_once_and_never_overwritten(tmp_path):
    root = project(tmp_path)
    build(root)
    local = "COMPOSE_PROFILES=dev\nMY_TOKEN_FILE=./secrets/token\n"
    (root / ".env").write_text(local)
    again = build(root, "--no-cache")
    assert ".env" in again["unchanged"] and (root / ".env").read_text() == local
    state = json.loads(run("check", "--json", cwd=root).stdout)
    assert ".env" not in state["stale"] + state["not_generated"], state


def test_obsolete_generated_files_go_and_the_users_stay(tmp_path):
    root = project(tmp_path)
    with_aws = MODEL + "  aws: {target: aws, region: eu-west-1, components: [web], environments: {prod: {}}}\n"
    (root / "stacks.yaml").write_text(with_aws)
    assert run("build", "--only", "pulumi", cwd=root).returncode == 0
    assert (root / "deploy" / "Pulumi.aws-prod.yaml").is_file()
    (root / "deploy" / "Pulumi.mine.yaml").write_text("config: {}\n")
    (root / "stacks.yaml").write_text(MODEL)
    state = json.loads(run("check", "--json", cwd=root).stdout)
    assert state["unexpected"] == ["deploy/Pulumi.aws-prod.yaml"]
    result = run("build", "--only", "pulumi", cwd=root)
    assert "removed deploy/Pulumi.aws-prod.yaml" in result.stderr
    assert (root / "deploy" / "Pulumi.mine.yaml").read_text() == "config: {}\n"


def test_the_generated_deploy_folder_is_a_pulumi_project(tmp_path):
    root = project(tmp_path)
    assert run("build", "--only", "pulumi", cwd=root).returncode == 0
    deploy = root / "deploy"
    settings = yaml.safe_load((deploy / "Pulumi.yaml").read_text())
    assert settings["main"] == "__main__.py" and settings["runtime"]["options"]["virtualenv"] == ".venv"
    assert "from stacks.runner import main" in (deploy / "__main__.py").read_text()
    requirements = (deploy / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("stacks[deploy]==") for line in requirements)
