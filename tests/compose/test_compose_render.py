"""The local stack as rendered: profiles, hardening, secrets, the Dockerfile, the registry."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from deploy.compose import local
from deploy.compose.render import render
from stacks.artifacts import GENERATED
from stacks.errors import StacksError
from stacks.pipeline import check
from stacks.project import load_project, project_from_text
from stacks.targets import HOSTED_KINDS
from stacks.validate import SECRET_LIKE
from tests.conftest import ROOT

PLATFORM = Path(__file__).parent / "platform.yaml"


def _files(project) -> dict[str, str]:
    return {a.path: a.content.decode() for a in render(project).artifacts}


def _compose(project) -> dict:
    return yaml.safe_load(_files(project)["docker-compose.yml"])


@pytest.fixture(scope="module")
def shop():
    return load_project(ROOT / "stacks.yaml")


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    root = tmp_path_factory.mktemp("platform")
    shutil.copy(PLATFORM, root / "stacks.yaml")
    return load_project(root / "stacks.yaml")


def test_committed_files_match_the_model(shop):
    state = check(shop, ["compose"])
    assert state.ok, f"stale: {state.stale} missing: {state.missing}: run `stacks build`"
    paths = {a.path for a in render(shop).artifacts}
    assert paths == {"Dockerfile", ".dockerignore", "docker-compose.yml", ".env", ".env.example"}


def test_rendering_is_deterministic_and_headed(shop):
    first, second = _files(shop), _files(shop)
    assert first == second
    for path, text in first.items():
        assert GENERATED in text.splitlines()[0], path


def test_no_version_key_and_project_name(shop):
    doc = _compose(shop)
    assert "version" not in doc
    assert doc["name"] == "shop"


def test_every_service_has_exactly_one_profile(shop, platform):
    for project in (shop, platform):
        for name, svc in _compose(project)["services"].items():
            assert len(svc["profiles"]) == 1, name
    env = _files(shop)[".env"]
    assert "COMPOSE_PROFILES=prod" in env.splitlines()


def test_prod_workloads_are_hardened(shop):
    services = _compose(shop)["services"]
    deployment = shop.deployment("compose-prod")
    for dc in deployment.components:
        if dc.kind not in ("service", "job", "worker", "frontend") or dc.component.mode == "static":
            continue  # a static site is nginx (tests/compose/test_static_site.py)
        svc = services[dc.id]
        assert svc["read_only"] is True
        assert any(t.startswith("/tmp:") for t in svc["tmpfs"])
        assert "no-new-privileges:true" in svc["security_opt"]
        assert svc["cap_drop"] == ["ALL"]
        assert not svc["user"].startswith("0") and svc["user"] == f"{local.APP_UID}:{local.APP_UID}"
        limits = svc["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) == dc.resources.cpu
        assert limits["memory"] == f"{dc.resources.memory}M"
        assert "image" in svc and "build" in svc
        assert not any(v.startswith(("./", "/")) for v in svc.get("volumes", [])), "no bind mounts in prod"
    api = services["api"]
    assert api["restart"] == "unless-stopped"
    assert api["logging"]["options"] == {"max-size": "10m", "max-file": "5"}
    assert api["deploy"]["resources"]["limits"] == {"cpus": "2", "memory": "4096M", "pids": 512}
    assert "/ready" in api["healthcheck"]["test"][-1] and "8000" in api["healthcheck"]["test"][-1]
    assert "warehouse-data:/data" in api["volumes"]
    assert "warehouse-data" in _compose(shop)["volumes"]
    assert api["ports"] == ["${API_PORT:-8000}:8000"]
    assert api["command"] == list(shop.model.components["api"].command)


def test_dev_profile_reloads_from_the_bind_mounted_source(shop):
    services = _compose(shop)["services"]
    api = services["api-dev"]
    assert api["profiles"] == ["dev"]
    assert "./app:/srv/app:ro" in api["volumes"]
    assert "--reload" in api["command"] and "--workers" not in api["command"]
    assert api["command"][api["command"].index("--log-level") + 1] == "debug"
    assert api["environment"]["STACKS_APP_LOG_LEVEL"] == "debug"
    assert api["ports"] == ["127.0.0.1:${API_PORT:-8000}:8000"]
    assert {w["action"] for w in api["develop"]["watch"]} == {"rebuild"}
    assert api["depends_on"]["seed-dev"] == {"condition": "service_completed_successfully"}
    seed = services["seed-dev"]
    assert seed["command"] == list(shop.model.components["seed"].command)
    assert seed["restart"] == "no" and seed["healthcheck"] == {"disable": True}
    assert "seed" not in services, "the seed job is dev-only"
    assert "warehouse-dev-data:/data" in seed["volumes"] and "warehouse-dev-data:/data" in api["volumes"]


def test_on_demand_jobs_sit_in_a_jobs_profile(shop):
    services = _compose(shop)["services"]
    assert services["ingest"]["profiles"] == ["prod-jobs"]
    assert services["ingest-dev"]["profiles"] == ["dev-jobs"]


def test_secrets_are_files_never_values(shop, platform):
    for project in (shop, platform):
        files = _files(project)
        doc = yaml.safe_load(files["docker-compose.yml"])
        for name, spec in doc["secrets"].items():
            assert spec == {"file": f"./secrets/{name}"}
            assert name in files[".env.example"]
        for svc_name, svc in doc["services"].items():
            for var, value in (svc.get("environment") or {}).items():
                if var == "MYSQL_RANDOM_ROOT_PASSWORD":  # a flag: the image generates a root password
                    assert value == "yes"
                elif SECRET_LIKE.search(var) or var.endswith("_FILE"):
                    assert var.endswith("_FILE") and value.startswith("/run/secrets/"), (svc_name, var, value)
                    assert value.removeprefix("/run/secrets/") in svc["secrets"]
    api = _compose(shop)["services"]["api"]
    assert api["environment"]["STACKS_APP_API_KEY_FILE"] == "/run/secrets/shop-api-key"
    assert "STACKS_APP_API_KEY" not in api["environment"]
    assert "/secrets/" in (ROOT / ".gitignore").read_text().splitlines()


def test_dockerfile_is_multi_stage_non_root_and_probes_health(shop):
    text = _files(shop)["Dockerfile"]
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    froms = [ln for ln in lines if ln.startswith("FROM ")]
    assert len(froms) == 2 and all("slim" in f and ":latest" not in f for f in froms)
    assert not any(ln.startswith("ADD ") for ln in lines)
    deps_copy = lines.index("COPY app/requirements.txt ./requirements.txt")
    code_copy = lines.index("COPY app/ ./app/")
    assert deps_copy < lines.index(froms[1]) < code_copy, "dependencies are a layer of their own, before the code"
    assert "--no-cache-dir" in text and "PIP_NO_CACHE_DIR=1" in text
    user = [ln for ln in lines if ln.startswith("USER ")]
    assert user == [f"USER {local.APP_UID}:{local.APP_UID}"] and lines.index(user[0]) > code_copy
    health = next(ln for ln in text.splitlines() if "urlopen" in ln)
    assert "http://127.0.0.1:8000/health" in health and "curl" not in text
    ignore = _files(shop)[".dockerignore"].splitlines()
    assert "*" in ignore and "!app" in ignore and "**/.env" in ignore


def test_every_hosted_kind_has_a_local_stand_in():
    assert set(HOSTED_KINDS["compose"]) <= set(local.LOCAL)
    for kind, entry in local.LOCAL.items():
        assert entry.runs_as, kind


def test_platform_gets_a_working_stand_in_for_each_kind(platform):
    doc = _compose(platform)
    services = doc["services"]
    assert services["db"]["image"] == "postgres:16-alpine"
    assert services["db"]["environment"]["POSTGRES_PASSWORD_FILE"] == "/run/secrets/market-db-password"
    assert services["legacy"]["image"] == f"mysql:{local.MYSQL_DEFAULT_VERSION}"
    assert services["sessions"]["image"].startswith("redis:") and "256mb" in services["sessions"]["command"]
    assert services["fragments"]["image"].startswith("memcached:")
    assert services["uploads"]["image"] == local.IMAGES["minio"]
    assert "market-uploads-prod" in services["uploads-init"]["command"][0]
    assert "events" in services and "market-events-prod.fifo" in doc["configs"]["events-conf"]["content"]
    assert "facts" not in services, "a warehouse is DuckDB inside the app: a volume, no service"
    orders = services["orders"]
    env = orders["environment"]
    # Exactly what the model binds (docs/outputs.md), resolved to the stand-ins; nothing else.
    assert env["DATABASE_URL"] == "postgresql://app@db:5432/db"
    assert env["DATABASE_PASSWORD_FILE"] == "/run/secrets/market-db-password" and "DATABASE_PASSWORD" not in env
    assert env["REDIS_URL"] == "redis://sessions:6379/0"
    assert env["S3_ENDPOINT"] == "http://uploads:9000" and env["UPLOADS"] == "s3://market-uploads-prod/incoming/"
    assert env["EVENTS_QUEUE"] == "market-events-prod.fifo"
    assert env["EVENTS_URL"] == "http://events:9324/queue/market-events-prod.fifo"
    assert not any(name.startswith("STACKS_") for name in env)
    assert env["ORDERS_TOKEN_FILE"] == "/run/secrets/market-orders-token"
    assert orders["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "events": {"condition": "service_started"},
        "migrate": {"condition": "service_completed_successfully"},
        "sessions": {"condition": "service_healthy"},
        "uploads-init": {"condition": "service_completed_successfully"},
    }
    assert "facts-data:/var/lib/orders" in orders["volumes"]
    assert services["mailer"]["depends_on"]["legacy"] == {"condition": "service_healthy"}
    assert services["mailer"]["healthcheck"] == {"disable": True} and "ports" not in services["mailer"]
    restart = services["mailer-dev"]["develop"]["watch"][0]
    assert restart["action"] == "restart" and restart["path"] == "./app" and "requirements.txt" in restart["ignore"]
    assert all(w["action"] == "rebuild" for w in services["orders-dev"]["develop"]["watch"]), "uvicorn reloads"
    assert services["nightly"]["labels"] == {"stacks.schedule": "0 3 * * *"}
    assert services["nightly"]["profiles"] == ["prod-jobs"]
    billing = services["billing"]
    assert billing["image"] == "ghcr.io/example/billing:1.4.2" and "build" not in billing
    assert "healthcheck" not in billing and billing["expose"] == ["8081"]
    assert services["web"]["build"] == {"context": "web", "dockerfile": "Dockerfile"}
    assert services["web-dev"]["volumes"][0] == "./web/app:/srv/app:ro"
    assert "orders-dev" in services and "orders-staging" in services
    assert "read_only" in services["orders-staging"] and "read_only" not in services["orders-dev"]
    assert services["orders-dev"]["environment"]["LOG_LEVEL"] == "debug"


def test_calls_both_ways_do_not_make_a_dependency_cycle(platform):
    services = _compose(platform)["services"]
    assert services["billing"]["depends_on"]["orders"] == {"condition": "service_healthy"}
    assert "billing" not in services["orders"].get("depends_on", {})


def test_one_dockerfile_per_build_context(platform):
    files = _files(platform)
    assert {"Dockerfile", "web/Dockerfile", ".dockerignore", "web/.dockerignore"} <= set(files)
    assert "EXPOSE 8080" in files["web/Dockerfile"] and "EXPOSE 9000" in files["Dockerfile"]
    assert "mkdir -p /var/lib/orders" in files["Dockerfile"]


MINIMAL = """
version: 1
system: {name: tiny}
components:
  api:
    kind: service
    build: {context: %s, generate: python}
    command: [uvicorn, app.main:app]
%s
stacks:
  local:
    target: compose
    environments: {dev: {}}
"""


def test_a_build_context_outside_the_project_is_refused(tmp_path):
    project = project_from_text(MINIMAL % ("../elsewhere", ""), tmp_path)
    with pytest.raises(StacksError, match="outside the project"):
        render(project)


def test_service_names_that_collide_across_environments_are_refused(tmp_path):
    extra = "  api-dev:\n    kind: worker\n    image: busybox:1.36\n    environments: [prod]\n"
    text = MINIMAL.replace("environments: {dev: {}}", "environments: {dev: {}, prod: {}}") % (".", extra)
    with pytest.raises(StacksError, match="'api-dev' is used twice"):
        render(project_from_text(text, tmp_path))


def test_a_stack_without_prod_defaults_to_its_last_environment(tmp_path):
    files = _files(project_from_text(MINIMAL % (".", ""), tmp_path))
    doc = yaml.safe_load(files["docker-compose.yml"])
    assert list(doc["services"]) == ["api"] and doc["services"]["api"]["profiles"] == ["dev"]
    assert "COMPOSE_PROFILES=dev" in files[".env"]


def test_a_model_without_compose_stack_still_gets_its_dockerfile(tmp_path):
    text = MINIMAL.split("stacks:")[0] % (".", "")
    files = _files(project_from_text(text, tmp_path))
    assert set(files) == {"Dockerfile", ".dockerignore"}


def test_dev_command_adapters():
    assert local.dev_command(["uvicorn", "m:app", "--workers", "4", "--port", "1"]) == [
        "uvicorn",
        "m:app",
        "--port",
        "1",
        "--reload",
        "--reload-dir",
        "app",
        "--log-level",
        "debug",
    ]
    assert local.dev_command(["python", "-m", "app.seed"]) == ["python", "-m", "app.seed"]


def test_cli_writes_the_local_stack(tmp_path, cli):
    shutil.copy(PLATFORM, tmp_path / "stacks.yaml")
    result = cli("compose", "-f", tmp_path / "stacks.yaml", "--json")
    assert result.exit_code == 0, result.output
    for path in ("Dockerfile", "web/Dockerfile", "docker-compose.yml", ".env", ".env.example"):
        assert (tmp_path / path).is_file(), path
    again = cli("compose", "-f", tmp_path / "stacks.yaml")
    assert again.exit_code == 0 and re.search(r"0 written", again.output)
