"""A static frontend on GCP: a Cloud Storage bucket as a Cloud CDN backend bucket of a global HTTPS load balancer.

The bucket has uniform bucket-level access, Google-managed encryption at rest, versioning and
usage logs. A load balancer's backend bucket reads objects anonymously, so the bucket grants
``roles/storage.legacyObjectReader`` (read an object by its name, never list) to ``allUsers``: the
files are the site's public build. The URL map sends ``<api_path>/*`` to the API's serverless NEG
(the API's own backend service when it has a load balancer, else one made here) and everything
else to the backend bucket, whose ``custom_response_headers`` carry the site's CSP and security
headers; the bucket's website settings answer unknown paths with ``index.html`` (the app's
routes). With a domain the site answers on ``<component>.<domain>`` over HTTPS (managed
certificate, HTTP redirected); without one on the load balancer's address over HTTP, which
validation warns about and refuses in production.
"""

from __future__ import annotations

from typing import Any

from stacks.model import Frontend
from stacks.plan.core import Ref, concat
from stacks.plan.gcp import GcpPlanner, _lifecycle
from stacks.plan.gcp_edge import dns_record, https_entry, plain_http
from stacks.project import DeployedComponent
from stacks.static_site import api_of, security_headers, static_site


def _site_bucket(p: GcpPlanner, cid: str) -> str:
    logical = f"{cid}-site"
    inputs: dict[str, Any] = {
        "name": p.bucket_name(p.name(cid)),
        "project": p.gcp_project,
        "location": p.region,
        "uniform_bucket_level_access": True,
        "public_access_prevention": "inherited",
        "versioning": {"enabled": True},
        "force_destroy": not p.prod_like,
        "lifecycle_rules": _lifecycle(None),
        "soft_delete_policy": {"retention_duration_seconds": 7 * 86400},
        "website": {"main_page_suffix": "index.html", "not_found_page": "index.html"},
    }
    if p.facts.get("access_logs"):
        inputs["logging"] = {"log_bucket": Ref(p.facts["access_logs"], "name"), "log_object_prefix": cid}
    p.add(
        "gcp:storage/bucket:Bucket",
        logical,
        inputs,
        cid,
        group="region",
        waivers={
            check: f"the static site {cid} is public (stacks.yaml): the load balancer's backend bucket reads its "
            "objects anonymously, so public access cannot be prevented; objects are readable, never the listing"
            for check in ("CKV_GCP_114", "gcp-no-public-bucket")
        },
    )
    p.add(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        f"{logical}-public-read",
        {"bucket": Ref(logical, "name"), "role": "roles/storage.legacyObjectReader", "member": "allUsers"},
        cid,
        group="region",
        waivers={
            check: f"the static site {cid} is public (stacks.yaml): the load balancer reads its files "
            "anonymously; legacyObjectReader reads an object by name and cannot list the bucket"
            for check in ("CKV_GCP_28", "gcp-no-public-bucket", "gcp-public-invoker")
        },
    )
    return logical


def _api_backend(p: GcpPlanner, cid: str) -> str | None:
    """The backend service of the API the site's API path reaches: the API's own, or a serverless NEG's here."""
    api = api_of(p.project.model, cid)
    here = {c.id: c for c in p.deployment.on("gcp")}
    if api is None or api not in here or not getattr(here[api].component, "public", False):
        return None
    if any(r.name == f"{api}-backend" for r in p.resources):
        return f"{api}-backend"  # the API's load balancer (with Cloud Armor) exists: share its backend
    p.add(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        f"{cid}-api-neg",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "api-neg"),
            "region": p.region,
            "network_endpoint_type": "SERVERLESS",
            "cloud_run": {"service": Ref(f"{api}-service", "name")},
        },
        cid,
        group="region",
    )
    p.add(
        "gcp:compute/backendService:BackendService",
        f"{cid}-api-backend",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "api"),
            "load_balancing_scheme": "EXTERNAL_MANAGED",
            "protocol": "HTTPS",
            "backends": [{"group": Ref(f"{cid}-api-neg", "id")}],
            "log_config": {"enable": True, "sample_rate": 1.0},
            "enable_cdn": False,
        },
        cid,
        group="edge",
    )
    return f"{cid}-api-backend"


def build_static_site(p: GcpPlanner, comp: DeployedComponent[Frontend]) -> None:
    """The site's bucket, backend bucket with Cloud CDN and headers, URL map and load balancer front end."""
    cid, site = comp.id, static_site(p.project.model, comp.id)
    bucket = _site_bucket(p, cid)
    backend = f"{cid}-backend"
    p.add(
        "gcp:compute/backendBucket:BackendBucket",
        backend,
        {
            "project": p.gcp_project,
            "name": p.name(cid, "site"),
            "description": f"the static site {cid}, through Cloud CDN",
            "bucket_name": Ref(bucket, "name"),
            "enable_cdn": True,
            "compression_mode": "AUTOMATIC",
            "cdn_policy": {
                "cache_mode": "CACHE_ALL_STATIC",
                "client_ttl": 3600,
                "default_ttl": 3600,
                "max_ttl": 86400,
                "serve_while_stale": 86400,
                "request_coalescing": True,
            },
            "custom_response_headers": [f"{name}: {value}" for name, value in security_headers(site).items()],
        },
        cid,
        group="edge",
    )
    api = _api_backend(p, cid)
    urls: dict[str, Any] = {
        "project": p.gcp_project,
        "name": p.name(cid, "urls"),
        "default_service": Ref(backend, "id"),
    }
    if api is not None:
        urls["host_rules"] = [{"hosts": ["*"], "path_matcher": "site"}]
        urls["path_matchers"] = [
            {
                "name": "site",
                "default_service": Ref(backend, "id"),
                "path_rules": [{"paths": [f"{site.api_path}/*"], "service": Ref(api, "id")}],
            }
        ]
    p.add("gcp:compute/uRLMap:URLMap", f"{cid}-urls", urls, cid, group="edge")
    p.add(
        "gcp:compute/globalAddress:GlobalAddress",
        f"{cid}-address",
        {"project": p.gcp_project, "name": p.name(cid, "ip"), "ip_version": "IPV4"},
        cid,
        group="edge",
    )
    host = _front_end(p, cid)
    key = cid.replace("-", "_")
    address = Ref(f"{cid}-address", "address")
    url = f"https://{host}" if host else concat("http://", address)
    p.output(f"{key}_url", url, f"URL of {cid}")
    p.provide(cid, {"url": url})
    p.output(f"{key}_bucket", Ref(bucket, "name"), f"GCS bucket {cid}'s build is synced to")
    p.output(
        f"{key}_ip_address", address, f"load balancer address of {cid}" + (f" (point {host} here)" if host else "")
    )


def _front_end(p: GcpPlanner, cid: str) -> str | None:
    """HTTPS on ``<cid>.<domain>`` (HTTP redirected) with a domain, plain HTTP without one; the host name, if any."""
    s = p.settings
    host = f"{cid}.{s.domain}" if s.domain else None
    if host:
        https_entry(p, cid, f"{cid}-urls", host)
    else:
        plain_http(p, cid, f"{cid}-urls")
    if host and s.dns_zone:
        dns_record(p, cid, str(host))
    return host
