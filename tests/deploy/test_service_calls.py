"""Service-to-service connections: the network path and the callee's address, and nothing without a connection."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest

from stacks.errors import StacksError
from stacks.plan.core import Concat, Ref

ROOT = Path(__file__).resolve().parents[2]

SYSTEM = """
version: 1
system: {name: shop}
environments: [dev]
components:
  web:
    kind: service
    build: {context: ., dockerfile: Dockerfile}
    port: 8000
    env: {ORDERS_URL: "${orders.url}"}
  orders:
    kind: service
    build: {context: ., dockerfile: Dockerfile}
    port: 8100
  stock:
    kind: service
    build: {context: ., dockerfile: Dockerfile}
    port: 8200
  report:
    kind: function
    build: {context: ., dockerfile: Dockerfile}
    env: {ORDERS_URL: "${orders.url}"}
connections:
  - {from: web, to: orders}
  - {from: report, to: orders}
stacks:
  aws: {target: aws, region: eu-west-1, environments: {dev: {}}}
  gcp: {target: gcp, project: shop-dev-1, region: europe-west1, environments: {dev: {}}}
  local: {target: compose, environments: {dev: {}}}
"""


@cache
def project(text: str = SYSTEM) -> Any:
    from stacks.project import project_from_text

    return project_from_text(text, root=ROOT)


@cache
def plan(name: str) -> Any:
    from stacks.plan import build_plan

    return build_plan(project(), name)


def test_aws_opens_the_callee_port_to_the_callers_only_and_registers_it_in_cloud_map() -> None:
    p = plan("aws-dev")
    for caller in ("web", "report"):
        ingress = p.resource(f"orders-from-{caller}").inputs
        assert ingress["security_group_id"] == Ref("orders-sg")
        assert ingress["referenced_security_group_id"] == Ref(f"{caller}-sg")
        assert (ingress["from_port"], ingress["to_port"], ingress["ip_protocol"]) == (8100, 8100, "tcp")
        egress = p.resource(f"{caller}-to-orders").inputs
        assert egress["referenced_security_group_id"] == Ref("orders-sg") and egress["from_port"] == 8100
    assert p.resource("orders-discovery").inputs["dns_config"]["namespace_id"] == Ref("discovery-namespace")
    assert p.resource("orders-service").inputs["service_registries"]["registry_arn"] == Ref("orders-discovery", "arn")
    # The function reaches a service in the VPC: it runs in the private subnets with its own group.
    assert p.resource("report-function").inputs["vpc_config"]["security_group_ids"] == [Ref("report-sg")]


def test_aws_opens_nothing_without_a_connection() -> None:
    p = plan("aws-dev")
    rules = p.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert not [r for r in rules if r.inputs["security_group_id"] in (Ref("stock-sg"), Ref("web-sg"))]
    assert not any(r.name in ("stock-discovery", "web-discovery") for r in p.resources)
    assert "service_registries" not in p.resource("stock-service").inputs


def test_aws_callers_receive_the_cloud_map_address() -> None:
    p = plan("aws-dev")
    container = p.resource("web-task").inputs["container_definitions"].value[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["ORDERS_URL"] == "http://orders.shop-dev.internal:8100"
    assert p.resource("report-function").inputs["environment"]["variables"]["ORDERS_URL"] == env["ORDERS_URL"]


def test_gcp_grants_the_callers_run_invoker_on_the_callee_only() -> None:
    p = plan("gcp-dev")
    for caller in ("web", "report"):
        binding = p.resource(f"orders-invoked-by-{caller}").inputs
        assert binding["role"] == "roles/run.invoker" and binding["name"] == Ref("orders-service", "name")
        assert binding["member"] == Concat(("serviceAccount:", Ref(f"{caller}-account", "email")))
    invokers = p.by_type("gcp:cloudrunv2/serviceIamMember:ServiceIamMember")
    assert not [r for r in invokers if r.inputs["name"] in (Ref("stock-service", "name"), Ref("web-service", "name"))]
    assert p.resource("orders-service").inputs["ingress"] == "INGRESS_TRAFFIC_ALL"  # IAM decides who gets in
    assert p.resource("stock-service").inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"


def test_gcp_callers_receive_the_cloud_run_url() -> None:
    p = plan("gcp-dev")
    container = p.resource("web-service").inputs["template"]["containers"][0]
    url = {e["name"]: e.get("value") for e in container["envs"]}["ORDERS_URL"]
    assert url.parts[0] == "https://shop-orders-dev-" and url.parts[-1] == ".europe-west1.run.app"
    assert url.parts[1] == Ref("gcp-project", "number")  # the project number Cloud Run URLs carry


def test_compose_callers_receive_the_service_address_and_start_after_it() -> None:
    from deploy.compose import local

    (stack,) = local.plan(project())
    web = stack.service("web").body
    assert web["environment"]["ORDERS_URL"] == "http://orders:8100"
    assert "orders" in web["depends_on"]


def test_a_gcp_routed_service_is_called_through_its_gateway() -> None:
    text = SYSTEM.replace(
        "connections:", "  api: {kind: gateway, routes: [{path: /orders, to: orders}]}\nconnections:"
    ).replace("  local: {target: compose, environments: {dev: {}}}\n", "")
    with pytest.raises(StacksError) as info:
        project(text)
    messages = [d.message for d in info.value.diagnostics]
    assert any("'web' calls 'orders' directly in stack 'gcp'" in m for m in messages), messages
