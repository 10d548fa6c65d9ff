"""The gateway kind: API Gateway HTTP API on AWS, an HTTPS load balancer with Cloud Armor on GCP, nginx in compose."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks.errors import StacksError
from stacks.plan.core import Ref

ROOT = Path(__file__).resolve().parents[2]

SYSTEM = """
version: 1
system: {name: shop}
environments: [dev, prod]
components:
  orders:
    kind: service
    build: {context: ., dockerfile: Dockerfile}
    port: 8000
  stock:
    kind: service
    build: {context: ., dockerfile: Dockerfile}
    port: 8100
  thumbs:
    kind: function
    build: {context: ., dockerfile: Dockerfile}
    triggers: [{http: true}]
  api:
    kind: gateway
    routes:
      - {path: /orders, to: orders}
      - {path: /thumbs, to: thumbs}
    auth: {type: jwt, issuer: "https://auth.example.com/", audience: [shop]}
    throttling: {rate: 50, burst: 100}
  web:
    kind: frontend
    image: ghcr.io/example/web:1.0
    env: {API_URL: "${api.url}"}
connections:
  - {from: web, to: api}
stacks:
  aws:
    target: aws
    region: eu-west-1
    environments: {dev: {}, prod: {deletion_protection: true, domain: shop.example.com, dns_zone: example.com}}
"""

GCP_STACK = """
  gcp:
    target: gcp
    project: shop-prod-1
    region: europe-west1
    environments: {dev: {}, prod: {deletion_protection: true, domain: shop.example.com}}
"""
COMPOSE_STACK = """
  local: {target: compose, environments: {dev: {}, prod: {}}}
"""
OPEN = 'auth: {type: jwt, issuer: "https://auth.example.com/", audience: [shop]}'
KEYED = "auth: {type: api_key, key_secret: shop/gateway-key}"


@cache
def project(text: str = SYSTEM) -> Any:
    from stacks.project import project_from_text

    return project_from_text(text, root=ROOT)


def _with_stack(text: str, stack: str) -> str:
    return text.split("stacks:\n")[0] + "stacks:" + stack


def gcp_text() -> str:
    return _with_stack(SYSTEM.replace(OPEN, "auth: {type: none}"), GCP_STACK)


def compose_text() -> str:
    return _with_stack(SYSTEM.replace(OPEN, KEYED), COMPOSE_STACK)


@cache
def plan(name: str, text: str = SYSTEM) -> Any:
    from stacks.plan import build_plan

    return build_plan(project(text), name)


def problems(text: str) -> dict[str, str]:
    with pytest.raises(StacksError) as info:
        project(text)
    return {d.path: f"{d.message} | {d.hint}" for d in info.value.diagnostics}


# ---------------------------------------------------------------- validation


def test_routes_name_routable_components_with_did_you_mean() -> None:
    found = problems(SYSTEM.replace("to: orders}", "to: ordres}"))
    assert "unknown component 'ordres'" in found["components.api.routes[0].to"]
    assert "did you mean 'orders'" in found["components.api.routes[0].to"].lower()
    found = problems(
        SYSTEM.replace("{path: /thumbs, to: thumbs}", "{path: /thumbs, to: web}").replace(
            "  web:\n    kind: frontend", "  web:\n    kind: worker"
        )
    )
    assert "'web' is a worker" in found["components.api.routes[1].to"]
    found = problems(SYSTEM.replace("    triggers: [{http: true}]\n", ""))
    assert "has no http trigger" in found["components.api.routes[1].to"]
    found = problems(SYSTEM.replace("{path: /thumbs, to: thumbs}", "{path: /orders, to: thumbs}"))
    assert "routed twice" in found["components.api.routes[1].path"]


def test_auth_settings_are_complete_and_targets_refuse_what_they_cannot_build() -> None:
    found = problems(SYSTEM.replace(", audience: [shop]", ""))
    assert any("jwt auth needs issuer and audience" in m for m in found.values())
    found = problems(SYSTEM.replace(OPEN, KEYED))  # HTTP APIs have no API keys
    assert "have no API keys" in found["components.api.auth.type"]
    found = problems(SYSTEM.replace("throttling:", "public: false\n    throttling:"))
    assert "always reachable from the internet" in found["components.api.public"]
    found = problems(gcp_text().replace("auth: {type: none}", OPEN))
    assert "verifies no JWTs" in found["components.api.auth.type"]
    found = problems(gcp_text().replace(", domain: shop.example.com", ""))  # the load balancer would be plain HTTP
    assert "'api' is public in gcp-prod" in found["stacks.gcp.environments.prod"]


def test_a_routed_component_must_be_deployed_by_the_gateway_stack() -> None:
    text = SYSTEM.replace("    region: eu-west-1\n", "    region: eu-west-1\n    components: [api, thumbs, web]\n")
    found = problems(text)
    assert "does not deploy on aws" in found["components.api.routes[0].to"]


# ---------------------------------------------------------------- aws


def test_aws_http_api_with_logged_throttled_stage_and_jwt_authorizer() -> None:
    p = plan("aws-prod")
    assert p.resource("api-api").inputs["protocol_type"] == "HTTP"
    stage = p.resource("api-stage").inputs
    assert stage["name"] == "$default" and stage["auto_deploy"] is True
    assert stage["default_route_settings"]["throttling_rate_limit"] == 50.0
    assert stage["default_route_settings"]["throttling_burst_limit"] == 100
    assert stage["access_log_settings"]["destination_arn"] == Ref("api-access-logs", "arn")
    assert p.resource("api-access-logs").inputs["kms_key_id"] == Ref("key", "arn")
    jwt = p.resource("api-authorizer").inputs
    assert jwt["authorizer_type"] == "JWT"
    assert jwt["jwt_configuration"] == {"issuer": "https://auth.example.com/", "audiences": ["shop"]}
    routes = {r.inputs["route_key"]: r.inputs for r in p.by_type("aws:apigatewayv2/route:Route")}
    assert set(routes) == {"ANY /orders", "ANY /orders/{proxy+}", "ANY /thumbs", "ANY /thumbs/{proxy+}"}
    assert all(
        r["authorization_type"] == "JWT" and r["authorizer_id"] == Ref("api-authorizer") for r in routes.values()
    )


def test_aws_services_through_a_vpc_link_and_cloud_map_opened_on_their_port_only() -> None:
    p = plan("aws-prod")
    integration = p.resource("api-to-orders-0").inputs
    assert integration["connection_type"] == "VPC_LINK" and integration["connection_id"] == Ref("api-vpclink")
    assert integration["integration_uri"] == Ref("orders-discovery", "arn")
    service = p.resource("orders-service").inputs
    assert service["service_registries"] == {
        "registry_arn": Ref("orders-discovery", "arn"),
        "container_name": "orders",
        "container_port": 8000,
    }
    ingress = p.resource("orders-from-api").inputs
    assert (ingress["from_port"], ingress["to_port"]) == (8000, 8000)
    assert ingress["security_group_id"] == Ref("orders-sg") and ingress["referenced_security_group_id"] == Ref(
        "api-vpclink-sg"
    )
    # stock is not routed: no registration, nothing opened to the gateway.
    assert "service_registries" not in p.resource("stock-service").inputs
    opened = [r for r in p.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if "stock" in r.name]
    assert opened == []


def test_aws_functions_through_lambda_proxy_with_a_permission_scoped_to_the_api_and_route() -> None:
    p = plan("aws-prod")
    integration = p.resource("api-to-thumbs-1").inputs
    assert integration["integration_type"] == "AWS_PROXY" and integration["integration_uri"] == Ref(
        "thumbs-function", "arn"
    )
    permission = p.resource("api-invokes-thumbs-1").inputs
    assert permission["principal"] == "apigateway.amazonaws.com"
    # This API only, any stage and method, the route's paths only.
    assert permission["source_arn"].parts == (Ref("api-api", "execution_arn"), "/*/*/thumbs*")


def test_aws_callers_read_the_gateway_url_through_the_output_contract() -> None:
    p = plan("aws-prod")
    task = p.resource("web-task").inputs["container_definitions"].value[0]
    env = {e["name"]: e["value"] for e in task["environment"]}
    assert env["API_URL"] == Ref("api-api", "api_endpoint")


def test_aws_gateway_renders_terraform_and_runs_offline_in_pulumi() -> None:
    from deploy.offline import run_offline
    from deploy.terraform import render_plan

    p = plan("aws-prod")
    tf = render_plan(p)["resource"]
    assert tf["aws_apigatewayv2_integration"]["api-to-orders-0"]["connection_id"] == (
        "${aws_apigatewayv2_vpc_link.api-vpclink.id}"
    )
    assert tf["aws_ecs_service"]["orders-service"]["service_registries"]["container_port"] == 8000
    recorded = {r.name: r for r in run_offline(p).resources}
    assert {r.name for r in p.resources if "pulumi" in r.engines} == set(recorded)
    integration = recorded["api-to-thumbs-1"].inputs
    assert str(integration.get("integrationUri", "")).startswith("arn:aws:lambda:")
    assert recorded["api-to-orders-0"].inputs.get("connectionId")


# ---------------------------------------------------------------- gcp


def test_gcp_load_balancer_routes_each_prefix_to_its_cloud_run_service() -> None:
    p = plan("gcp-prod", gcp_text())
    urls = p.resource("api-urls").inputs
    rules = {tuple(r["paths"]): r["service"] for r in urls["path_matchers"][0]["path_rules"]}
    assert rules == {
        ("/orders", "/orders/*"): Ref("api-orders-backend", "id"),
        ("/thumbs", "/thumbs/*"): Ref("api-thumbs-backend", "id"),
    }
    neg = p.resource("api-orders-neg").inputs
    assert neg["network_endpoint_type"] == "SERVERLESS" and neg["cloud_run"] == {
        "service": Ref("orders-service", "name")
    }
    backend = p.resource("api-orders-backend").inputs
    assert backend["security_policy"] == Ref("api-armor", "id") and backend["log_config"]["enable"] is True
    throttle = next(r for r in p.resource("api-armor").inputs["rules"] if r["action"] == "throttle")
    assert throttle["rate_limit_options"]["rate_limit_threshold"] == {"count": 500, "interval_sec": 10}
    assert p.resource("api-certificate").inputs["managed"]["domains"] == ["api.shop.example.com"]
    assert p.resource("api-https").inputs["port_range"] == "443"
    assert not any(r.type == "gcp:dns/recordSet:RecordSet" for r in p.resources)  # no zone: the user points it


def test_gcp_with_a_dns_zone_points_the_gateway_name_at_its_address() -> None:
    p = plan("gcp-prod", gcp_text().replace("domain: shop.example.com}", "domain: shop.example.com, dns_zone: shop}"))
    record = p.resource("api-dns").inputs
    assert record["name"] == "api.shop.example.com." and record["type"] == "A"
    assert record["rrdatas"] == [Ref("api-address", "address")]


def test_gcp_routed_services_take_load_balancer_ingress_only_and_the_rest_stays_internal() -> None:
    p = plan("gcp-prod", gcp_text())
    for routed in ("orders", "thumbs"):
        assert p.resource(f"{routed}-service").inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
        invoker = p.resource(f"{routed}-gateway-invoker")
        assert invoker.inputs["member"] == "allUsers" and "public-invoker" in invoker.waivers
    assert p.resource("stock-service").inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert not any(r.name == "stock-gateway-invoker" for r in p.resources)


def test_gcp_without_a_domain_serves_http_on_the_address() -> None:
    p = plan("gcp-dev", gcp_text())
    assert not any("certificate" in r.name for r in p.resources if r.component == "api")
    assert p.resource("api-http").inputs["target"] == Ref("api-http-proxy", "id")


# ---------------------------------------------------------------- compose


def test_compose_nginx_routes_limits_and_checks_the_key_from_a_secret() -> None:
    from deploy.compose import local

    text = compose_text()
    (stack,) = [c for c in local.plan(project(text)) if c.stack == "local"]
    doc = stack.document()
    gateway = doc["services"]["api"]
    config = doc["configs"]["api-conf"]["content"]
    assert "location = /orders {" in config and "location /orders/ {" in config
    assert "set $$upstream http://orders:8000;" in config and "set $$upstream http://thumbs:8080;" in config
    assert "rate=50r/s" in config and "burst=100 nodelay" in config and "limit_req_status 429" in config
    assert "$$api_key_ok = 0" in config
    assert gateway["secrets"] == ["shop-gateway-key"] and "shop-gateway-key" in doc["secrets"]
    assert "/run/secrets/shop-gateway-key" in gateway["entrypoint"][2]
    assert gateway["read_only"] is True and gateway["cap_drop"] == ["ALL"]
    assert set(gateway["depends_on"]) == {"orders", "thumbs"}
    assert doc["services"]["web"]["environment"]["API_URL"] == "http://api:8080"
    rendered = yaml.safe_dump(doc)
    assert "gateway-key" not in config  # the key's name is in the start command only, its value nowhere
    assert "secrets/shop-gateway-key" in rendered


# ---------------------------------------------------------------- drawn and documented


def test_drawn_in_the_aws_and_gcp_views_with_its_routes_as_edges() -> None:
    from architecture.aws_view import aws_spec
    from architecture.cloud import drawn
    from architecture.gcp_view import gcp_spec
    from architecture.registry import context, routed_connections

    assert {(c.from_, c.to, c.label) for c in routed_connections(project().model)} == {
        ("api", "orders", "/orders"),
        ("api", "thumbs", "/thumbs"),
    }
    for text, name, spec_of, main in (
        (SYSTEM, "aws-prod", aws_spec, "api-api"),
        (gcp_text(), "gcp-prod", gcp_spec, "api-https"),
    ):
        proj, plan_ = project(text), plan(name, text)
        target = name.split("-")[0]
        spec = spec_of(context(proj, target), plan_).normalized()
        assert set(drawn(spec)) == {r.name for r in plan_.resources}  # every resource in exactly one node
        nodes = {n.id: n for n in spec.all_nodes()}
        node = next(n for n in nodes.values() if main in n.members)
        edges = {(e.source, e.target) for e in spec.edges}
        assert any(source == node.id for source, _ in edges), f"{name}: the gateway's routes are not drawn"


def test_the_parity_table_says_what_the_gateway_is_and_what_aws_lacks() -> None:
    from architecture.parity import parity_rows

    rows = {(r["component"], r["stack"]): r for r in parity_rows(project())}
    aws = rows[("api", "aws-prod")]
    assert aws["runs as"] == "API Gateway HTTP API" and "no WAF" in aws["autoscaling"]
    assert aws["logs"].startswith("access logs in CloudWatch")
    rows = {(r["component"], r["stack"]): r for r in parity_rows(project(gcp_text()))}
    assert rows[("api", "gcp-prod")]["HTTPS"] == "managed certificate, HTTP redirects"
