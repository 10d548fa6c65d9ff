"""The ``gateway`` kind under docker compose: an nginx container in front of the routed components.

The generated nginx configuration (a compose config, so no file is written next to the
compose file) routes each path prefix of the model to its component by service name
(the longest prefix wins, as on the clouds; the path is passed on unchanged), limits
each client address to ``throttling.rate`` requests a second with ``throttling.burst``
above it (``limit_req``, 429 beyond) and, for ``auth: {type: api_key}``, answers 401
unless the ``X-Api-Key`` header holds the key. The key is a compose secret: the
container's start command reads ``/run/secrets/<name>`` into a map under ``/tmp`` (a
tmpfs), so the key is in no generated file. JWT verification needs a module stock
nginx lacks: under compose a ``jwt`` gateway forwards the ``Authorization`` header for
the service to verify, and says so in the config.
"""

from __future__ import annotations

from typing import Any

from deploy.compose.local import (
    Client,
    Env,
    Local,
    _healthcheck,
    _stand_in_hardening,
    compose_probe,
)
from stacks.model import Gateway, Workload
from stacks.project import DeployedComponent

NGINX_IMAGE = "nginx:1.27-alpine"
NGINX_UID = "101:101"  # the image's nginx user: the gateway runs unprivileged on a port above 1024
PORT = 8080
HEALTH_PATH = "/__gateway/health"  # answered by nginx itself, not routed
CONFIG_PATH = "/etc/nginx/gateway.conf"
KEY_MAP = "/tmp/api-key.conf"
DOCKER_DNS = "127.0.0.11"  # re-resolve service names, so a restarted container's new address is used


def _target(env: Env, cid: str) -> tuple[str, int]:
    comp = env.project.model.components[cid]
    return env.svc(cid), int(getattr(comp, "port", 8000))


def _location(match: str, upstream: str, gateway: Gateway) -> list[str]:
    lines = [f"    location {match} {{", f"      limit_req zone=gateway burst={gateway.throttling.burst} nodelay;"]
    if gateway.auth.type == "api_key":
        lines.append('      if ($api_key_ok = 0) { return 401 \'{"error": "missing or wrong X-Api-Key"}\'; }')
    lines += [
        f"      set $upstream {upstream};",
        "      proxy_pass $upstream;",
        "      proxy_set_header Host $host;",
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "    }",
    ]
    return lines


def nginx_config(env: Env, gateway: Gateway) -> str:
    """The nginx configuration of ``gateway`` in ``env`` (``$`` as written; compose escaping is the caller's)."""
    lines = [
        "# generated from stacks.yaml, do not edit",
        "worker_processes 1;",
        "pid /tmp/nginx.pid;",
        "error_log /dev/stderr warn;",
        "events { worker_connections 1024; }",
        "http {",
        "  server_tokens off;",
        "  access_log /dev/stdout;",
        "  client_body_temp_path /tmp/body;",
        "  proxy_temp_path /tmp/proxy;",
        "  fastcgi_temp_path /tmp/fastcgi;",
        "  uwsgi_temp_path /tmp/uwsgi;",
        "  scgi_temp_path /tmp/scgi;",
        f"  resolver {DOCKER_DNS} valid=10s;",
        f"  limit_req_zone $binary_remote_addr zone=gateway:10m rate={gateway.throttling.rate}r/s;",
        "  limit_req_status 429;",
        "  default_type application/json;",
    ]
    if gateway.auth.type == "api_key":
        lines.append(f"  include {KEY_MAP};  # map $http_x_api_key -> $api_key_ok, written at start from the secret")
    if gateway.auth.type == "jwt":
        lines.append("  # jwt: stock nginx verifies no tokens; the Authorization header reaches the service unchanged")
    lines += [
        "  server {",
        f"    listen {PORT};",
        f'    location = {HEALTH_PATH} {{ access_log off; return 200 \'{{"status": "ok"}}\'; }}',
    ]
    for route in sorted(gateway.routes, key=lambda r: r.path):
        host, port = _target(env, route.to)
        upstream = f"http://{host}:{port}"
        if route.path == "/":
            lines += _location("/", upstream, gateway)
        else:
            lines += _location(f"= {route.path}", upstream, gateway)
            lines += _location(f"{route.path}/", upstream, gateway)
    if not any(r.path == "/" for r in gateway.routes):
        lines.append('    location / { return 404 \'{"error": "no route"}\'; }')
    lines += ["  }", "}"]
    return "\n".join(lines) + "\n"


def start_script(key_file: str | None) -> str:
    """The container's start: write the API key map from the secret (when there is one), then run nginx."""
    run = f"exec nginx -c {CONFIG_PATH} -g 'daemon off;'"
    if key_file is None:
        return run
    return (
        f'key="$(cat {key_file})"; '
        'case "$key" in ""|*[\\"\\\\\\ ]*) echo "the API key secret must be non-empty, without quotes, '
        'backslashes or spaces" >&2; exit 1;; esac; '
        f'printf \'map $http_x_api_key $api_key_ok {{\\n  default 0;\\n  "%s" 1;\\n}}\\n\' "$key" > {KEY_MAP}; ' + run
    )


def _escape(text: str) -> str:
    return text.replace("$", "$$")  # compose interpolates ${...} in every value


def gateway_stand_in(env: Env, dc: DeployedComponent[Gateway]) -> Local:
    gateway = dc.component
    name = env.svc(dc.id)
    config_name = f"{name}-conf"
    local = Local(configs={config_name: _escape(nginx_config(env, gateway))})
    key_file = None
    body: dict[str, Any] = {"image": NGINX_IMAGE}
    if gateway.auth.type == "api_key" and gateway.auth.key_secret:
        secret = env.secret(gateway.auth.key_secret, local)
        key_file = f"/run/secrets/{secret}"
        body["secrets"] = [secret]
    body["entrypoint"] = ["/bin/sh", "-c", _escape(start_script(key_file))]
    body["configs"] = [{"source": config_name, "target": CONFIG_PATH}]
    body["user"] = NGINX_UID
    body["read_only"] = True
    body["tmpfs"] = ["/tmp:rw,noexec,nosuid,size=16m"]
    depends: dict[str, dict[str, str]] = {}
    for route in gateway.routes:
        target = env.project.model.components[route.to]
        # Routes lead to workloads (validation refuses any other target).
        healthy = isinstance(target, Workload) and compose_probe(target) is not None
        depends[env.svc(route.to)] = {"condition": "service_healthy" if healthy else "service_started"}
    body["depends_on"] = dict(sorted(depends.items()))
    if env.dev:
        body["ports"] = [f"127.0.0.1:{env.host_port(dc.id, PORT)}:{PORT}"]
    elif gateway.public:
        body["ports"] = [f"{env.host_port(dc.id, PORT)}:{PORT}"]
    else:
        body["expose"] = [str(PORT)]
    body["healthcheck"] = _healthcheck(
        ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{PORT}{HEALTH_PATH}"]
    )
    local.services[name] = _stand_in_hardening(body, env)
    local.client = Client(outputs={"url": f"http://{name}:{PORT}"}, depends_on={name: "service_healthy"})
    return local
