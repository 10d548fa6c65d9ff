"""A static frontend on AWS: a private S3 bucket behind CloudFront, the API path routed to the API's load balancer.

The bucket is private (public access blocked, TLS-only, encrypted, access-logged) and its policy
lets exactly this distribution read objects, through origin access control (SigV4-signed
requests). CloudFront serves ``index.html`` at ``/`` and, through a viewer-request function on the
site's behavior only, for every path without a file extension (the single-page app's routes), so
the API keeps its own 404s. ``<api_path>/*`` goes to the load balancer of the API the frontend
connects to, uncached, over HTTPS when the environment has a domain (the certificate's name). A
response headers policy puts the site's CSP and the security headers on every response
(``stacks.static_site``). With a domain and a Route 53 zone the site answers on
``<component>.<domain>`` with its own us-east-1 certificate; otherwise on its CloudFront domain.

The files reach the bucket after the build: ``aws s3 sync <source>/<output> s3://<bucket>/ --delete``
then a CloudFront invalidation (the outputs name both; docs/dashboard.md).
"""

from __future__ import annotations

from typing import Any

from stacks import targets
from stacks.model import Frontend
from stacks.plan.aws import (
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    US_EAST_1,
    WAIVE_WAF_BEHIND_CDN,
    AwsPlanner,
    _bucket,
    cdn_alias_record,
    tags,
    waive_waf,
)
from stacks.plan.core import Ref, concat
from stacks.project import DeployedComponent
from stacks.static_site import FRAME_OPTIONS, HSTS_MAX_AGE, PERMISSIONS_POLICY, REFERRER_POLICY, api_of, static_site

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # CloudFront's managed policy for static files
# The single-page app's routes (no file extension) are index.html; files and the root are served as they are.
SPA_FALLBACK = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri !== '/' && uri.lastIndexOf('.') <= uri.lastIndexOf('/')) {
    request.uri = '/index.html';
  }
  return request;
}
"""


def _headers_policy(p: AwsPlanner, cid: str, csp: str) -> str:
    logical = f"{cid}-site-headers"
    p.add(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
        logical,
        {
            "name": p.name(cid, "site-headers"),
            "comment": f"{cid}: CSP and security headers on every response",
            "security_headers_config": {
                "content_security_policy": {"content_security_policy": csp, "override": True},
                "strict_transport_security": {
                    "access_control_max_age_sec": HSTS_MAX_AGE,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": FRAME_OPTIONS, "override": True},
                "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
            },
            "custom_headers_config": {
                "items": [{"header": "Permissions-Policy", "value": PERMISSIONS_POLICY, "override": True}]
            },
        },
        cid,
        group="edge",
    )
    return logical


def _api_origin(p: AwsPlanner, cid: str, api_path: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The API's load balancer as an origin and the behavior routing ``api_path`` to it; none without an API
    on this stack."""
    api = api_of(p.project.model, cid)
    here = {c.id: c for c in p.deployment.on("aws")}
    if api is None or api not in here or not getattr(here[api].component, "public", False):
        return [], []
    s = p.settings
    config: dict[str, Any] = {"http_port": 80, "https_port": 443, "origin_ssl_protocols": ["TLSv1.2"]}
    if s.domain:  # the name on the load balancer's certificate (origin.<domain> when the API has its own CDN)
        host: Any = f"origin.{s.domain}" if s.cdn and s.dns_zone else s.domain
        config["origin_protocol_policy"] = "https-only"
    else:
        # No domain, no certificate on the load balancer: HTTP behind CloudFront, as the API itself serves there
        # (validation warns, and refuses it in production).
        host = Ref(f"{api}-alb", "dns_name")
        config["origin_protocol_policy"] = "http-only"
    origin = {"origin_id": "api", "domain_name": host, "custom_origin_config": config}
    behavior = {
        "path_pattern": f"{api_path}/*",
        "target_origin_id": "api",
        "viewer_protocol_policy": "https-only",
        "compress": True,
        "allowed_methods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
        "cached_methods": ["GET", "HEAD"],
        "cache_policy_id": CACHING_DISABLED,
        "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST,
    }
    return [origin], [behavior]


def _viewer_certificate(p: AwsPlanner, cid: str) -> tuple[dict[str, Any], list[str], str | None]:
    """The distribution's certificate and aliases: ``<cid>.<domain>`` with a Route 53 zone, else CloudFront's own."""
    s = p.settings
    if not (s.domain and s.dns_zone):
        return {"cloudfront_default_certificate": True}, [], None
    host = f"{cid}.{s.domain}"
    p.aliases[US_EAST_1] = ("aws", {"region": "us-east-1", "default_tags": {"tags": tags(p.project, p.deployment)}})
    zone = p.lookup("aws:route53/getZone:getZone", "zone", {"name": s.dns_zone, "private_zone": False})
    cert = f"{cid}-site-certificate"
    p.add(
        "aws:acm/certificate:Certificate",
        cert,
        {"domain_name": host, "validation_method": "DNS"},
        cid,
        group="global",
        create_before_destroy=True,
        alias=US_EAST_1,
    )
    p.add(
        "aws:route53/record:Record",
        f"{cert}-validation-record",
        {
            "zone_id": Ref(zone, "zone_id"),
            "name": Ref(cert, "domain_validation_options[0].resource_record_name"),
            "type": Ref(cert, "domain_validation_options[0].resource_record_type"),
            "records": [Ref(cert, "domain_validation_options[0].resource_record_value")],
            "ttl": 300,
            "allow_overwrite": True,
        },
        cid,
        group="global",
    )
    p.add(
        "aws:acm/certificateValidation:CertificateValidation",
        f"{cert}-validation",
        {"certificate_arn": Ref(cert, "arn"), "validation_record_fqdns": [Ref(f"{cert}-validation-record", "fqdn")]},
        cid,
        group="global",
        alias=US_EAST_1,
    )
    viewer = {
        "acm_certificate_arn": Ref(f"{cert}-validation", "certificate_arn"),
        "ssl_support_method": "sni-only",
        "minimum_protocol_version": "TLSv1.2_2021",
    }
    return viewer, [host], zone


def build_static_site(p: AwsPlanner, comp: DeployedComponent[Frontend]) -> None:
    """The site's bucket, origin access control, SPA function, headers policy, distribution and DNS."""
    cid, site = comp.id, static_site(p.project.model, comp.id)
    bucket, dist = f"{cid}-site", f"{cid}-cdn"
    bucket_arn = Ref(bucket, "arn")
    _bucket(
        p,
        bucket,
        p.name(cid),
        cid,
        kms=False,
        statements=(
            {
                "Sid": "CloudFrontReadsTheSite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject",
                "Resource": concat(bucket_arn, "/*"),
                "Condition": {"StringEquals": {"AWS:SourceArn": Ref(dist, "arn")}},
            },
        ),
        waivers={
            "CKV_AWS_145": "CloudFront reads the site through origin access control: SSE-S3 (AES256) keeps the "
            "stack's KMS key out of the CDN's reach, and the objects are the site's public build",
        },
    )
    # The policy names the distribution, planned below: it goes after it (refs point backwards in a plan).
    policy = next(r for r in p.resources if r.name == f"{bucket}-policy")
    p.resources.remove(policy)
    oac = f"{cid}-oac"
    p.add(
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        oac,
        {
            "name": p.name(cid, "oac"),
            "description": f"CloudFront signs its requests to the bucket of {cid}",
            "origin_access_control_origin_type": "s3",
            "signing_behavior": "always",
            "signing_protocol": "sigv4",
        },
        cid,
        group="edge",
    )
    spa = f"{cid}-spa"
    p.add(
        "aws:cloudfront/function:Function",
        spa,
        {
            "name": p.name(cid, "spa"),
            "runtime": "cloudfront-js-2.0",
            "comment": f"{cid}: the app's routes (no file extension) are index.html",
            "publish": True,
            "code": SPA_FALLBACK,
        },
        cid,
        group="edge",
    )
    headers = _headers_policy(p, cid, site.csp)
    api_origins, api_behaviors = _api_origin(p, cid, site.api_path)
    viewer, aliases, zone = _viewer_certificate(p, cid)
    _distribution(p, cid, bucket, oac, spa, headers, api_origins, api_behaviors, viewer, aliases)
    p.resources.append(policy)
    if zone is not None:
        cdn_alias_record(p, cid, zone, aliases[0], dist)
    key = cid.replace("-", "_")
    url = f"https://{aliases[0]}" if aliases else concat("https://", Ref(dist, "domain_name"))
    p.output(f"{key}_url", url, f"URL of {cid}")
    p.provide(cid, {"url": url})
    p.output(f"{key}_bucket", Ref(bucket, "bucket"), f"S3 bucket {cid}'s build is synced to")
    p.output(f"{key}_distribution_id", Ref(dist, "id"), f"CloudFront distribution of {cid} (invalidate after a sync)")


def _distribution(
    p: AwsPlanner,
    cid: str,
    bucket: str,
    oac: str,
    spa: str,
    headers: str,
    api_origins: list[dict[str, Any]],
    api_behaviors: list[dict[str, Any]],
    viewer: dict[str, Any],
    aliases: list[str],
) -> None:
    waf = WAIVE_WAF_BEHIND_CDN if targets.production(p.env, p.settings) else waive_waf(p.env)
    waivers = {
        "CKV_AWS_68": f"static files from a private bucket; {waf}",
        "CKV2_AWS_47": f"static files from a private bucket; {waf}",
        "CKV_AWS_86": "standard CloudFront logs need bucket ACLs, which every bucket of the stack disables; S3 "
        "server access logs record the files fetched and the load balancer each API request",
        "CKV_AWS_310": "one bucket in the stack's region: object storage has no failover origin to add",
        "CKV_AWS_374": "the site serves every country; restrict with WAF geo rules if that changes",
    }
    if not aliases:
        own = (
            f"{p.deployment.name} sets no domain and Route 53 zone in stacks.yaml: the site answers on CloudFront's "
            "own domain and certificate until they are set"
        )
        waivers |= {"CKV_AWS_174": own, "CKV2_AWS_42": own}
    p.add(
        "aws:cloudfront/distribution:Distribution",
        f"{cid}-cdn",
        {
            "enabled": True,
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": "PriceClass_100",
            "comment": f"{p.name(cid)}: the static site, its API path to the API",
            "aliases": aliases,
            "default_root_object": "index.html",
            "origins": [
                {
                    "origin_id": "site",
                    "domain_name": Ref(bucket, "bucket_regional_domain_name"),
                    "origin_access_control_id": Ref(oac, "id"),
                },
                *api_origins,
            ],
            "default_cache_behavior": {
                "target_origin_id": "site",
                "viewer_protocol_policy": "redirect-to-https",
                "compress": True,
                "allowed_methods": ["GET", "HEAD", "OPTIONS"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_OPTIMIZED,
                "response_headers_policy_id": Ref(headers, "id"),
                "function_associations": [{"event_type": "viewer-request", "function_arn": Ref(spa, "arn")}],
            },
            "ordered_cache_behaviors": [{**b, "response_headers_policy_id": Ref(headers, "id")} for b in api_behaviors],
            "restrictions": {"geo_restriction": {"restriction_type": "none", "locations": []}},
            "viewer_certificate": viewer,
        },
        cid,
        group="edge",
        waivers=waivers,
    )
