"""The ``gateway`` kind on GCP: a global external HTTPS load balancer routing path prefixes to Cloud Run.

API Gateway (``google_api_gateway_*``) exists only in the google-beta provider, which the
stacks do not use; the kind is built as what the google provider has: a global
external Application Load Balancer. Before the workloads (phase 1): its address and a
Cloud Armor policy (the preconfigured OWASP rules and a per-client-IP throttle of
``throttling.rate`` requests a second, 429 beyond); the ``url`` output is known then.
After the workloads (``GcpPlanner.later``): a serverless NEG and a logged backend
service per routed Cloud Run service, a URL map whose path rules send ``<path>`` and
``<path>/*`` to their backend (a path no rule matches goes to the ``/`` route's
component, or without one to the first route's: a URL map always has a default),
and the frontends: HTTPS with a managed
certificate on ``<gateway id>.<domain>`` plus an HTTP->HTTPS redirect when the
environment has a domain, plain HTTP on the address without one (validation warns,
and refuses it in production).

A serverless NEG calls Cloud Run without an identity token, so each routed service
takes ingress from load balancers only (``INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER``,
``stacks.plan.gcp._ingress``) and ``allUsers`` as invoker: reachable through the
gateway and nowhere else. Auth (API keys, JWT) is refused on gcp at validation.
"""

from __future__ import annotations

from typing import Any

from stacks.model import Gateway
from stacks.plan.core import Ref, concat
from stacks.plan.gcp import CLOUD_ARMOR_WAF, GcpPlanner
from stacks.plan.gcp_edge import dns_record, https_entry, plain_http
from stacks.project import DeployedComponent


def host(p: GcpPlanner, cid: str) -> str | None:
    """The gateway's host name: ``<id>.<domain>`` when the environment has a domain."""
    return f"{cid}.{p.settings.domain}" if p.settings.domain else None


def _armor(p: GcpPlanner, cid: str, gateway: Gateway) -> str:
    rules: list[dict[str, Any]] = [
        {
            "priority": 1000 + i,
            "action": "deny(403)",
            "description": f"OWASP: {waf}",
            "match": {"expr": {"expression": f"evaluatePreconfiguredWaf('{waf}', {{'sensitivity': 1}})"}},
        }
        for i, waf in enumerate(CLOUD_ARMOR_WAF)
    ]
    everyone = {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}
    rate = gateway.throttling
    rules.append(
        {
            "priority": 2000,
            "action": "throttle",
            "description": f"at most {rate.rate} requests a second per client IP",
            "match": everyone,
            "rate_limit_options": {
                "conform_action": "allow",
                "exceed_action": "deny(429)",
                "enforce_on_key": "IP",
                "rate_limit_threshold": {"count": rate.rate * 10, "interval_sec": 10},
            },
        }
    )
    rules.append({"priority": 2147483647, "action": "allow", "description": "everything else", "match": everyone})
    armor = f"{cid}-armor"
    p.add(
        "gcp:compute/securityPolicy:SecurityPolicy",
        armor,
        {
            "project": p.gcp_project,
            "name": p.name(cid, "armor"),
            "type": "CLOUD_ARMOR",
            "description": f"gateway {cid}: OWASP rules and per-IP rate limiting",
            "adaptive_protection_config": {"layer7_ddos_defense_config": {"enable": True}},
            "rules": rules,
        },
        cid,
        group="edge",
    )
    return armor


def build_gateway(p: GcpPlanner, comp: DeployedComponent[Gateway]) -> None:
    cid, gateway = comp.id, comp.component
    address = f"{cid}-address"
    p.add(
        "gcp:compute/globalAddress:GlobalAddress",
        address,
        {"project": p.gcp_project, "name": p.name(cid, "ip"), "ip_version": "IPV4"},
        cid,
        group="edge",
    )
    armor = _armor(p, cid, gateway)
    for route in gateway.routes:
        p.facts.setdefault("routed", {})[route.to] = cid
    name = host(p, cid)
    url: Any = f"https://{name}" if name else concat("http://", Ref(address, "address"))
    p.provide(cid, {"url": url})
    p.output(f"{cid.replace('-', '_')}_url", url, f"URL of the gateway {cid}")
    p.output(f"{cid.replace('-', '_')}_ip_address", Ref(address, "address"), f"address of the gateway {cid}")
    p.later.append(lambda: _routes(p, cid, gateway, armor))


def _backend(p: GcpPlanner, cid: str, target: str, armor: str) -> str:
    """A serverless NEG and a backend service for ``target``; the target invocable through the gateway."""
    service = f"{target}-service"
    neg = f"{cid}-{target}-neg"
    p.add(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        neg,
        {
            "project": p.gcp_project,
            "name": p.name(cid, f"{target}-neg"),
            "region": p.region,
            "network_endpoint_type": "SERVERLESS",
            "cloud_run": {"service": Ref(service, "name")},
        },
        cid,
        group="region",
    )
    backend = f"{cid}-{target}-backend"
    p.add(
        "gcp:compute/backendService:BackendService",
        backend,
        {
            "project": p.gcp_project,
            "name": p.name(cid, f"{target}-be"),
            "load_balancing_scheme": "EXTERNAL_MANAGED",
            "protocol": "HTTPS",
            "backends": [{"group": Ref(neg, "id")}],
            "security_policy": Ref(armor, "id"),
            "log_config": {"enable": True, "sample_rate": 1.0},
        },
        cid,
        group="edge",
    )
    invoker = f"{target}-gateway-invoker"
    if not any(r.name == invoker for r in p.resources) and not getattr(
        p.project.model.components[target], "public", False
    ):
        p.add(
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            invoker,
            {
                "project": p.gcp_project,
                "location": p.region,
                "name": Ref(service, "name"),
                "role": "roles/run.invoker",
                "member": "allUsers",
            },
            target,
            group="region",
            waivers={
                "public-invoker": f"routed by the gateway {cid}: a serverless NEG sends no identity token, and "
                f"ingress is load balancers only, so {target} is reachable through the gateway and nowhere else"
            },
        )
    return backend


def _routes(p: GcpPlanner, cid: str, gateway: Gateway, armor: str) -> None:
    backends = {t: _backend(p, cid, t, armor) for t in dict.fromkeys(r.to for r in gateway.routes)}
    default = next((r.to for r in gateway.routes if r.path == "/"), gateway.routes[0].to)
    path_rules = [
        {"paths": [route.path, f"{route.path}/*"], "service": Ref(backends[route.to], "id")}
        for route in gateway.routes
        if route.path != "/"
    ]
    urls = f"{cid}-urls"
    inputs: dict[str, Any] = {
        "project": p.gcp_project,
        "name": p.name(cid, "urls"),
        "default_service": Ref(backends[default], "id"),
    }
    if path_rules:
        inputs["host_rules"] = [{"hosts": ["*"], "path_matcher": "routes"}]
        inputs["path_matchers"] = [
            {"name": "routes", "default_service": Ref(backends[default], "id"), "path_rules": path_rules}
        ]
    p.add("gcp:compute/uRLMap:URLMap", urls, inputs, cid, group="edge")
    name = host(p, cid)
    if name:
        https_entry(p, cid, urls, name)
        if p.settings.dns_zone:  # the managed certificate provisions once the name points here
            dns_record(p, cid, name)
    else:
        plain_http(p, cid, urls)
