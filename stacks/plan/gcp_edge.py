"""The front of a GCP global external load balancer: proxies, forwarding rules, certificate, redirect.

Shared by every GCP entry point (a public service's load balancer, a gateway, a static site):
each builds its own URL map ``<cid>-urls`` and its address ``<cid>-address``, then calls
:func:`https_entry` (with a host name) or :func:`plain_http` (without one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stacks.plan.core import Ref

if TYPE_CHECKING:  # the planner imports this module: its type only, no import cycle
    from stacks.plan.gcp import GcpPlanner

# Google's MODERN profile: TLS 1.2+ with forward-secret AEAD suites only.
TLS_PROFILE = "MODERN"


def frontend(p: GcpPlanner, cid: str, scheme: str, urls: str, port: str, **proxy: Any) -> None:
    """A target proxy for ``urls`` and the forwarding rule that puts it on the address's ``port``."""
    kind = "targetHttpsProxy:TargetHttpsProxy" if scheme == "https" else "targetHttpProxy:TargetHttpProxy"
    p.add(
        f"gcp:compute/{kind}",
        f"{cid}-{scheme}-proxy",
        {"project": p.gcp_project, "name": p.name(cid, scheme), "url_map": Ref(urls, "id"), **proxy},
        cid,
        group="edge",
    )
    p.add(
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        f"{cid}-{scheme}",
        {
            "project": p.gcp_project,
            "name": p.name(cid, scheme),
            "target": Ref(f"{cid}-{scheme}-proxy", "id"),
            "ip_address": Ref(f"{cid}-address", "address"),
            "port_range": port,
            "load_balancing_scheme": "EXTERNAL_MANAGED",
            "ip_protocol": "TCP",
        },
        cid,
        group="edge",
    )


def plain_http(p: GcpPlanner, cid: str, urls: str) -> None:
    """HTTP on :80 straight to ``urls`` (an environment without a domain)."""
    frontend(p, cid, "http", urls, "80")


def https_entry(p: GcpPlanner, cid: str, urls: str, host: str) -> None:
    """HTTPS on ``host`` with a managed certificate and a modern TLS policy; HTTP answers with a redirect."""
    p.add(
        "gcp:compute/managedSslCertificate:ManagedSslCertificate",
        f"{cid}-certificate",
        {"project": p.gcp_project, "name": p.name(cid, "cert"), "managed": {"domains": [host]}},
        cid,
        group="edge",
    )
    p.add(
        "gcp:compute/sSLPolicy:SSLPolicy",
        f"{cid}-tls",
        {"project": p.gcp_project, "name": p.name(cid, "tls"), "profile": TLS_PROFILE, "min_tls_version": "TLS_1_2"},
        cid,
        group="edge",
    )
    frontend(
        p,
        cid,
        "https",
        urls,
        "443",
        ssl_certificates=[Ref(f"{cid}-certificate", "id")],
        ssl_policy=Ref(f"{cid}-tls", "id"),
    )
    p.add(
        "gcp:compute/uRLMap:URLMap",
        f"{cid}-redirect",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "redirect"),
            "default_url_redirect": {
                "https_redirect": True,
                "strip_query": False,
                "redirect_response_code": "MOVED_PERMANENTLY_DEFAULT",
            },
        },
        cid,
        group="edge",
    )
    frontend(p, cid, "http", f"{cid}-redirect", "80")


def dns_record(p: GcpPlanner, cid: str, host: str) -> None:
    """The A record of ``host`` in the environment's Cloud DNS zone, pointing at the load balancer's address."""
    zone = p.lookup(
        "gcp:dns/getManagedZone:getManagedZone", "gcp-zone", {"name": p.settings.dns_zone, "project": p.gcp_project}
    )
    p.add(
        "gcp:dns/recordSet:RecordSet",
        f"{cid}-dns",
        {
            "project": p.gcp_project,
            "managed_zone": Ref(zone, "name"),
            "name": f"{host}.",
            "type": "A",
            "ttl": 300,
            "rrdatas": [Ref(f"{cid}-address", "address")],
        },
        cid,
        group="global",
    )
