"""The dashboard, a static frontend, on every target: read from the plans and the committed artefacts.

AWS: a private bucket only the distribution reads (origin access control), /api/* to the API's
load balancer, the SPA fallback on the site's behavior only, the response headers policy. GCP: a
backend bucket with Cloud CDN and the headers, the URL map's /api/* rule. Compose: nginx (prod)
and the dev server (dev) as the real `docker compose` resolves them. The CSP and security headers
are asserted in every generated file that serves the site.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest
import yaml

from deploy.compose import lint
from stacks.errors import StacksError
from stacks.model import StaticSite
from stacks.plan import build_plan
from stacks.plan.core import Plan, Ref
from stacks.project import Project, load_project
from stacks.static_site import security_headers
from tests.conftest import ROOT

from .gcp_support import variant


@cache
def bundled() -> Project:
    return load_project(ROOT / "stacks.yaml")


@cache
def plan(name: str) -> Plan:
    return build_plan(bundled(), name)


def site() -> StaticSite:
    static = bundled().model.components["dashboard"].static  # type: ignore[union-attr]
    assert static is not None
    return static


def inputs(stack: str, name: str) -> dict[str, Any]:
    return plan(stack).resource(name).inputs


# ---------------------------------------------------------------- AWS


@pytest.mark.parametrize("stack", ["aws-dev", "aws-prod", "hybrid-prod"])
def test_aws_bucket_is_private_and_only_the_distribution_reads_it(stack):
    block = inputs(stack, "dashboard-site-public-access")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls"))
    assert block["restrict_public_buckets"] is True
    sse = inputs(stack, "dashboard-site-encryption")["rules"][0]["apply_server_side_encryption_by_default"]
    assert sse["sse_algorithm"] == "AES256"  # encrypted at rest; the CDN needs no grant on the stack key
    oac = inputs(stack, "dashboard-oac")
    assert (oac["origin_access_control_origin_type"], oac["signing_behavior"], oac["signing_protocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    statements = inputs(stack, "dashboard-site-policy")["policy"].value["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    [allow] = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": Ref("dashboard-cdn", "arn")}}
    assert any(s["Effect"] == "Deny" and s["Sid"] == "DenyInsecureTransport" for s in statements)
    names = [r.name for r in plan(stack).resources]
    assert names.index("dashboard-site-policy") > names.index("dashboard-cdn")  # it names the distribution


@pytest.mark.parametrize(
    ("stack", "origin_host", "protocol"),
    [
        ("aws-prod", "analytics.shop.example.com", "https-only"),  # the name on the load balancer's certificate
        ("aws-dev", Ref("api-alb", "dns_name"), "http-only"),  # no domain: the API itself is plain HTTP there
    ],
)
def test_aws_distribution_routes_the_api_path_to_the_load_balancer(stack, origin_host, protocol):
    dist = inputs(stack, "dashboard-cdn")
    site_origin, api_origin = dist["origins"]
    assert site_origin["domain_name"] == Ref("dashboard-site", "bucket_regional_domain_name")
    assert site_origin["origin_access_control_id"] == Ref("dashboard-oac", "id")
    assert "s3_origin_config" not in site_origin  # no legacy origin access identity
    assert api_origin["domain_name"] == origin_host
    assert api_origin["custom_origin_config"]["origin_protocol_policy"] == protocol
    assert dist["default_root_object"] == "index.html"
    default = dist["default_cache_behavior"]
    assert default["target_origin_id"] == "site" and default["viewer_protocol_policy"] == "redirect-to-https"
    assert default["function_associations"] == [
        {"event_type": "viewer-request", "function_arn": Ref("dashboard-spa", "arn")}
    ]
    [api] = dist["ordered_cache_behaviors"]
    assert api["path_pattern"] == "/api/*" and api["target_origin_id"] == "api"
    assert api["viewer_protocol_policy"] == "https-only"
    assert "function_associations" not in api  # the API keeps its own 404s
    assert "DELETE" in api["allowed_methods"] and "POST" in api["allowed_methods"]
    headers = Ref("dashboard-site-headers", "id")
    assert default["response_headers_policy_id"] == headers and api["response_headers_policy_id"] == headers


def test_aws_prod_site_has_its_own_name_and_certificate():
    dist = inputs("aws-prod", "dashboard-cdn")
    assert dist["aliases"] == ["dashboard.analytics.shop.example.com"]
    assert dist["viewer_certificate"]["minimum_protocol_version"] == "TLSv1.2_2021"
    cert = plan("aws-prod").resource("dashboard-site-certificate")
    assert cert.alias == "us_east_1" and cert.inputs["domain_name"] == "dashboard.analytics.shop.example.com"
    assert inputs("aws-prod", "dashboard-dns")["name"] == "dashboard.analytics.shop.example.com"
    dev = inputs("aws-dev", "dashboard-cdn")
    assert dev["aliases"] == [] and dev["viewer_certificate"] == {"cloudfront_default_certificate": True}


@pytest.mark.parametrize("stack", ["aws-dev", "aws-prod"])
def test_aws_response_headers_policy_carries_the_csp_and_security_headers(stack):
    policy = inputs(stack, "dashboard-site-headers")
    sec = policy["security_headers_config"]
    assert sec["content_security_policy"] == {"content_security_policy": site().csp, "override": True}
    assert sec["strict_transport_security"]["access_control_max_age_sec"] >= 31536000
    assert sec["content_type_options"] == {"override": True}
    assert sec["frame_options"]["frame_option"] == "DENY"
    assert sec["referrer_policy"]["referrer_policy"] == "strict-origin-when-cross-origin"
    [custom] = policy["custom_headers_config"]["items"]
    assert custom["header"] == "Permissions-Policy"


def test_spa_fallback_rewrites_only_the_apps_routes():
    """Run the CloudFront function's code with node: routes become /index.html, files and / stay."""
    code = inputs("aws-prod", "dashboard-spa")["code"]
    probe = code + (
        "\nfor (const uri of ['/', '/customers', '/customers/42', '/assets/index-1.js', '/favicon.svg'])"
        "\n  console.log(uri + ' ' + handler({request: {uri}}).uri);\n"
    )
    out = subprocess.run(["node", "-e", probe], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[:5] == [
        "/ /",
        "/customers /index.html",
        "/customers/42 /index.html",
        "/assets/index-1.js /assets/index-1.js",
        "/favicon.svg /favicon.svg",
    ]


# ---------------------------------------------------------------- GCP


@pytest.mark.parametrize(("stack", "api_backend"), [("gcp-prod", "api-backend"), ("gcp-dev", "dashboard-api-backend")])
def test_gcp_backend_bucket_with_cdn_headers_and_the_api_route(stack, api_backend):
    bucket = inputs(stack, "dashboard-site")
    assert bucket["uniform_bucket_level_access"] is True
    assert bucket["website"] == {"main_page_suffix": "index.html", "not_found_page": "index.html"}
    grant = inputs(stack, "dashboard-site-public-read")
    assert grant["role"] == "roles/storage.legacyObjectReader"  # read an object by name, never list the bucket
    backend = inputs(stack, "dashboard-backend")
    assert backend["enable_cdn"] is True and backend["bucket_name"] == Ref("dashboard-site", "name")
    assert backend["custom_response_headers"] == [f"{k}: {v}" for k, v in security_headers(site()).items()]
    urls = inputs(stack, "dashboard-urls")
    assert urls["default_service"] == Ref("dashboard-backend", "id")
    [matcher] = urls["path_matchers"]
    assert matcher["path_rules"] == [{"paths": ["/api/*"], "service": Ref(api_backend, "id")}]
    if api_backend == "dashboard-api-backend":  # the API has no load balancer here: a serverless NEG of its own
        neg = inputs(stack, "dashboard-api-neg")
        assert neg["network_endpoint_type"] == "SERVERLESS"
        assert neg["cloud_run"] == {"service": Ref("api-service", "name")}


def test_gcp_prod_serves_https_on_its_own_name_and_redirects_http():
    assert inputs("gcp-prod", "dashboard-certificate")["managed"] == {
        "domains": ["dashboard.analytics.shop.example.com"]
    }
    assert inputs("gcp-prod", "dashboard-https-proxy")["url_map"] == Ref("dashboard-urls", "id")
    assert inputs("gcp-prod", "dashboard-http-proxy")["url_map"] == Ref("dashboard-redirect", "id")
    assert inputs("gcp-prod", "dashboard-redirect")["default_url_redirect"]["https_redirect"] is True


def test_gcp_production_without_a_domain_is_refused_at_validation():
    with pytest.raises(StacksError) as info:
        variant(
            (
                "        domain: analytics.shop.example.com\n        dns_zone: shop-example-com\n",
                "",
            )
        )
    found = [d.format() for d in info.value.diagnostics if "static site 'dashboard'" in d.message]
    assert found and "plain HTTP" in found[0] and "dashboard.<domain>" in found[0], found


# ---------------------------------------------------------------- compose


def _resolved(profile: str) -> dict[str, Any]:
    run = lint.compose_config(ROOT / "docker-compose.yml", profile, "json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_compose_prod_serves_the_build_with_hardened_nginx_proxying_the_api():
    config = _resolved("prod")
    svc = config["services"]["dashboard"]
    assert svc["build"]["context"].endswith("/web")
    assert "npm run build" in svc["build"]["dockerfile_inline"]
    assert "nginx-unprivileged" in svc["build"]["dockerfile_inline"]
    assert svc["user"] == "101:101" and svc["read_only"] is True and svc["cap_drop"] == ["ALL"]
    assert svc["security_opt"] == ["no-new-privileges:true"]
    assert svc["depends_on"]["api"]["condition"] == "service_healthy"
    assert svc["healthcheck"]["test"][-1] == "http://127.0.0.1:8080/healthz"
    [mount] = svc["configs"]
    assert mount["target"] == "/etc/nginx/conf.d/default.conf"
    conf = config["configs"][mount["source"]]["content"]
    assert "proxy_pass http://api:8000;" in conf and "location /api/ {" in conf
    # `config` prints values escaped again, as it prints an environment value "$$X" (which runs as $X):
    # nginx gets $host; an unescaped $host would have been interpolated away (a warning, an empty string).
    assert "proxy_set_header Host $$host;" in conf
    assert "try_files $$uri $$uri/ /index.html;" in conf


def test_compose_dev_runs_the_dev_server_with_hot_reload_on_the_source():
    svc = _resolved("dev")["services"]["dashboard-dev"]
    assert svc["command"][-1].endswith("exec npm run dev") and svc["command"][-1].startswith("npm ci")
    assert svc["environment"] == {"STACKS_API_URL": "http://api-dev:8000", "STACKS_WEB_HOST": "0.0.0.0"}
    binds = {v["target"]: v for v in svc["volumes"]}
    assert binds["/src"]["type"] == "bind" and binds["/src"]["source"].endswith("/web")
    assert binds["/src/node_modules"]["type"] == "volume"  # the image's platform, not the host's
    assert svc["ports"][0]["host_ip"] == "127.0.0.1" and svc["ports"][0]["target"] == 5173
    assert svc["depends_on"]["api-dev"]["condition"] == "service_healthy"


# ---------------------------------------------------------------- headers in every artefact


def _tf(stack: str) -> dict[str, Any]:
    return json.loads((ROOT / "deploy" / "terraform" / stack / "main.tf.json").read_text())


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_generated_artefact_carries_the_csp_and_security_headers(env):
    headers = security_headers(site())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    nginx = compose["configs"]["dashboard-nginx"]["content"]
    for name, value in headers.items():
        assert f'add_header {name} "{value}" always;' in nginx, name
    for stack in (f"aws-{env}", f"hybrid-{env}"):
        [policy] = _tf(stack)["resource"]["aws_cloudfront_response_headers_policy"].values()
        sec = policy["security_headers_config"]
        assert sec["content_security_policy"]["content_security_policy"] == headers["Content-Security-Policy"]
        assert {"strict_transport_security", "content_type_options", "frame_options", "referrer_policy"} <= set(sec)
        assert policy["custom_headers_config"]["items"][0]["value"] == headers["Permissions-Policy"]
    [bucket] = _tf(f"gcp-{env}")["resource"]["google_compute_backend_bucket"].values()
    assert bucket["custom_response_headers"] == [f"{k}: {v}" for k, v in headers.items()]


# ---------------------------------------------------------------- what is drawn


def test_the_cloud_views_draw_what_is_built():
    from architecture.registry import project_views

    specs = {s.name: s for s in project_views(bundled(), ["aws", "gcp"])}
    labels = {(e.source, e.target): e.label for e in specs["gcp"].edges}
    into_site = [label for (_, target), label in labels.items() if target == "gcp--dashboard-site"]
    assert into_site == ["backend bucket\n(Cloud CDN)"]  # not a serverless NEG: a Cloud CDN backend bucket
    aws_nodes = {n.id: n for n in specs["aws"].all_nodes()}
    assert aws_nodes["aws--dashboard-cdn"].icon == "diagrams.aws.network.CloudFront"
    assert aws_nodes["aws--dashboard-site"].icon == "diagrams.aws.storage.SimpleStorageServiceS3Bucket"


# ---------------------------------------------------------------- the output contract


def test_a_workload_reads_the_sites_url_through_the_contract_in_compose():
    """``${dashboard.url}`` is the site's address (CORS origins, links in e-mails): the prod nginx or the dev server.

    (On AWS and GCP the site is planned after the workloads, since its CDN routes the API path to them:
    a workload reading the site's URL there is refused at plan time, with the component named.)
    """
    from deploy.compose.local import plan_stack

    edited = variant(
        (
            "      PROMETHEUS_MULTIPROC_DIR: /tmp/prometheus\n",
            '      PROMETHEUS_MULTIPROC_DIR: /tmp/prometheus\n      SITE: "${dashboard.url}"\n',
        )
    )
    compose = {s.name: s.body for s in plan_stack(edited, "compose").services}
    assert compose["api"]["environment"]["SITE"] == "http://dashboard:8080"
    assert compose["api-dev"]["environment"]["SITE"] == f"http://dashboard-dev:{site().dev_port}"
    with pytest.raises(StacksError, match=r"api reads \$\{dashboard.url\}, which this stack does not provide"):
        build_plan(edited, "aws-prod")
