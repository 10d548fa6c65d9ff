"""Prebuilt images get only what the model declares on AWS too: their own user and a writable root unless
`security:` says otherwise, a health command as the container's health check; and a cloud stack refuses
what it cannot honour (files from the repository, command probes on Cloud Run)."""

from __future__ import annotations

from typing import Any

import pytest

from stacks.errors import StacksError
from stacks.plan import build_plan
from stacks.project import project_from_text

MODEL = """\
system: {name: opts}
components:
  api:
    kind: service
    build: {context: .}
    port: 8000
  relay:
    kind: worker
    image: ghcr.io/example/relay:2.1
    health: relay --check
    data_dir: /var/lib/relay
    env: {relay.mode: fast}
  locked:
    kind: worker
    image: ghcr.io/example/locked:1.0
    security: {read_only: true, user: 4242}
stacks:
  aws: {target: aws, region: eu-west-1, environments: {prod: {}}}
"""


def container(plan: Any, cid: str) -> dict[str, Any]:
    definitions = plan.resource(f"{cid}-task").inputs["container_definitions"].value
    return dict(definitions[0])


@pytest.fixture(scope="module")
def plan() -> Any:
    return build_plan(project_from_text(MODEL), "aws-prod")


def test_a_built_image_runs_as_10001_on_a_read_only_root(plan):
    api = container(plan, "api")
    assert api["user"] == "10001:10001" and api["readonlyRootFilesystem"] is True
    assert "healthCheck" not in api  # its HTTP path is the load balancer's probe


def test_a_prebuilt_image_keeps_its_own_user_and_gets_its_health_command(plan):
    relay = container(plan, "relay")
    assert "user" not in relay and relay["readonlyRootFilesystem"] is False
    assert relay["healthCheck"]["command"] == ["CMD-SHELL", "relay --check"]
    assert {"name": "relay.mode", "value": "fast"} in relay["environment"]
    assert {"sourceVolume": "data", "containerPath": "/var/lib/relay", "readOnly": False} in relay["mountPoints"]


def test_declared_security_is_honoured(plan):
    locked = container(plan, "locked")
    assert locked["user"] == "4242:4242" and locked["readonlyRootFilesystem"] is True


@pytest.mark.parametrize(
    ("change", "stack", "says"),
    [
        ("    files: {/etc/relay.conf: relay.conf}\n", "aws", "mounts files from the repository"),
        ("", "gcp", "probes an HTTP path, not a command"),
        ("", "gcp", "cannot make the root filesystem read-only or pick the user"),
    ],
)
def test_what_a_cloud_cannot_honour_is_refused(change, stack, says):
    text = MODEL.replace("    data_dir: /var/lib/relay\n", "    data_dir: /var/lib/relay\n" + change)
    if stack == "gcp":
        text = text.replace(
            "  aws: {target: aws, region: eu-west-1,",
            "  gcp: {target: gcp, project: opts-project, region: europe-west1,",
        )
    with pytest.raises(StacksError) as info:
        project_from_text(text)
    assert any(says in d.message for d in info.value.diagnostics), info.value.format()
