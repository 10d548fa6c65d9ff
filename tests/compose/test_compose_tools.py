"""The generated local stack under the real validators: compose-spec schema, the Compose
binary, hadolint and checkov. A missing tool fails the test with the command that installs it."""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import yaml

from deploy.compose import lint, local
from deploy.compose.render import render
from stacks.errors import StacksError
from stacks.pipeline import build
from stacks.project import load_project
from tests.conftest import ROOT

PLATFORM = Path(__file__).parent / "platform.yaml"


def _tool(fn, *args):
    """Run a lint helper; a missing tool is a test failure that says how to install it."""
    try:
        return fn(*args)
    except StacksError as exc:
        pytest.fail(f"{exc.message}: {exc.hint}")


@pytest.fixture(scope="module")
def platform_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("platform-stack")
    shutil.copy(PLATFORM, root / "stacks.yaml")
    build(load_project(root / "stacks.yaml"), ["compose"], use_cache=False)
    return root


def _services(path: Path, profile: str | None) -> set[str]:
    run = _tool(lint.compose_config, path, profile, "services")
    assert run.returncode == 0, run.stderr
    return set(run.stdout.split())


def test_schema_accepts_every_generated_compose_file(platform_root):
    for path in (ROOT / "docker-compose.yml", platform_root / "docker-compose.yml"):
        assert _tool(lint.schema_findings, path) == [], path


def test_compose_config_accepts_every_profile(platform_root):
    assert (
        _tool(lint.compose_findings, ROOT / "docker-compose.yml", ["dev", "prod", "dev,dev-jobs", "prod,prod-jobs"])
        == []
    )
    profiles = [p for env in ("dev", "staging", "prod") for p in (env, f"{env},{env}-jobs")]
    assert _tool(lint.compose_findings, platform_root / "docker-compose.yml", profiles) == []


def test_bare_up_is_prod_and_profile_dev_is_dev_alone():
    compose = ROOT / "docker-compose.yml"
    bare = _services(compose, None)  # what `docker compose up` starts: COMPOSE_PROFILES from .env
    assert bare == {"api", "dashboard", "lake", "lake-init"}
    assert _services(compose, "prod") == bare
    assert _services(compose, "dev") == {"api-dev", "dashboard-dev", "seed-dev", "lake-dev", "lake-init-dev"}
    # On-demand jobs: `docker compose run ingest` enables their profile.
    assert _services(compose, "prod,prod-jobs") == bare | {"ingest"}
    assert _services(compose, "dev,dev-jobs") == _services(compose, "dev") | {"ingest-dev"}


def test_resolved_prod_config_keeps_the_hardening():
    run = _tool(lint.compose_config, ROOT / "docker-compose.yml", "prod", "json")
    assert run.returncode == 0, run.stderr
    api = json.loads(run.stdout)["services"]["api"]
    assert api["read_only"] is True and api["cap_drop"] == ["ALL"] and api["user"] == "10001:10001"
    assert api["security_opt"] == ["no-new-privileges:true"]
    assert api["deploy"]["resources"]["limits"]["memory"] == str(4096 * 1024 * 1024)
    assert api["healthcheck"]["test"][:2] == ["CMD", "python"]
    assert api["secrets"][0]["target"] == "/run/secrets/shop-api-key"
    dev = json.loads(_tool(lint.compose_config, ROOT / "docker-compose.yml", "dev", "json").stdout)["services"]
    assert dev["api-dev"]["depends_on"]["seed-dev"]["condition"] == "service_completed_successfully"
    assert dev["api-dev"]["volumes"][0]["type"] == "bind" and dev["api-dev"]["volumes"][0]["read_only"] is True


def _write(doc: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _drop_dev_seed(doc):
    del doc["services"]["seed-dev"]


def _cycle(doc):
    doc["services"]["seed-dev"]["depends_on"] = {"api-dev": {"condition": "service_healthy"}}


def _no_volumes(doc):
    del doc["volumes"]


def _no_secrets(doc):
    del doc["secrets"]


def _bad_memory(doc):
    doc["services"]["api"]["deploy"]["resources"]["limits"]["memory"] = "lots"


def _bad_port(doc):
    doc["services"]["api"]["ports"] = ["${API_PORT:-80000}:8000"]


@pytest.mark.parametrize(
    ("breakage", "profile", "message"),
    [
        (_drop_dev_seed, "dev", "undefined service"),
        (_cycle, "dev", "cycle"),
        (_no_volumes, "prod", "undefined volume"),
        (_no_secrets, "prod", "undefined secret"),
        (_bad_memory, "prod", "invalid size"),
        (_bad_port, "prod", "invalid hostPort"),
    ],
)
def test_compose_rejects_a_broken_spec(tmp_path, breakage, profile, message):
    doc = copy.deepcopy(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))
    breakage(doc)
    path = _write(doc, tmp_path / "docker-compose.yml")
    findings = _tool(lint.compose_findings, path, [profile])
    assert len(findings) == 1 and message in findings[0].message, findings


def test_schema_rejects_what_the_spec_forbids(tmp_path):
    doc = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    doc["services"]["api"]["restart_policy"] = "always"  # not a compose key
    doc["services"]["api"]["develop"] = {"watch": [{"action": "teleport", "path": "./app"}]}
    findings = _tool(lint.schema_findings, _write(doc, tmp_path / "docker-compose.yml"))
    messages = " | ".join(f.message for f in findings)
    assert "restart_policy" in messages and "teleport" in messages


def test_a_broken_registry_entry_is_caught_by_compose(tmp_path, monkeypatch):
    """Render the platform model through a stand-in that points at a service nobody defines."""

    def broken_cache(env, dc):
        out = original(env, dc)
        out.client.depends_on = {"no-such-service": "service_healthy"}
        return out

    original = local.LOCAL["cache"].builder()
    monkeypatch.setitem(local.LOCAL, "cache", dataclasses.replace(local.LOCAL["cache"], build=broken_cache))
    shutil.copy(PLATFORM, tmp_path / "stacks.yaml")
    project = load_project(tmp_path / "stacks.yaml")
    compose = next(a for a in render(project).artifacts if a.path == "docker-compose.yml")
    path = tmp_path / "docker-compose.yml"
    path.write_bytes(compose.content)
    findings = _tool(lint.compose_findings, path, ["prod"])
    assert findings and "no-such-service" in findings[0].message


def test_hadolint_passes_every_dockerfile(platform_root):
    every_level = ("error", "warning", "info", "style")
    for path in (ROOT / "Dockerfile", platform_root / "Dockerfile", platform_root / "web" / "Dockerfile"):
        assert _tool(lint.hadolint_findings, path, every_level) == [], path


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:3.11-slim\nCOPY a b c\nRUN cd /tmp && pip install x\n")
    assert _tool(lint.hadolint_findings, bad)  # DL3021: COPY with more than 2 args needs a dir ending in /


def test_checkov_finds_no_failed_check(platform_root):
    assert _tool(lint.checkov_findings, ROOT / "Dockerfile") == []
    assert _tool(lint.checkov_findings, platform_root / "web" / "Dockerfile") == []


def test_checkov_catches_a_root_image_without_healthcheck(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text('FROM python:latest\nADD app /app\nCMD ["python"]\n')
    ids = {f.message.split(":")[0] for f in _tool(lint.checkov_findings, bad)}
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV_DOCKER_4"} <= ids


def test_a_missing_tool_is_an_error_with_an_install_hint(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(StacksError) as info:
        lint._tool("definitely-not-installed-tool", "install it with: make test")
    assert "not installed" in info.value.message and "make test" in info.value.hint


def test_lint_runs_every_validator_on_the_repository():
    assert _tool(lint.lint, ROOT) == []


def test_cli_lint_reports_ok_and_findings(tmp_path, cli, monkeypatch):
    shutil.copy(PLATFORM, tmp_path / "stacks.yaml")
    result = cli("compose", "-f", tmp_path / "stacks.yaml", "--lint", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["findings"] == [] and "docker-compose.yml" in report["written"]
    # A hand-edited generated Dockerfile (its header kept) is put back before the validators run.
    dockerfile = tmp_path / "web" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().splitlines()[0] + "\nFROM python:3.11-slim\nCOPY a b c\n")
    again = json.loads(cli("compose", "-f", tmp_path / "stacks.yaml", "--lint", "--json").stdout)
    assert again["ok"] is True and again["written"] == ["web/Dockerfile"]
    # One without the header is the user's: refused, never overwritten.
    dockerfile.write_text("FROM python:3.11-slim\nCOPY a b c\n")
    refused = cli("compose", "-f", tmp_path / "stacks.yaml", "--lint")
    assert refused.exit_code == 1 and "not overwriting web/Dockerfile" in refused.output
    assert dockerfile.read_text() == "FROM python:3.11-slim\nCOPY a b c\n"
    assert cli("build", "-f", tmp_path / "stacks.yaml", "--only", "compose", "--adopt", dockerfile).exit_code == 0
    # A finding makes the command exit 1 and name it.
    monkeypatch.setattr(lint, "lint", lambda root, **kw: [lint.Finding("hadolint", "Dockerfile", "DL3021 bad")])
    failed = cli("compose", "-f", tmp_path / "stacks.yaml", "--lint")
    assert failed.exit_code == 1 and "Dockerfile: hadolint: DL3021 bad" in failed.output
