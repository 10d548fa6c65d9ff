"""The local stack as plain data: what every component kind becomes under docker compose.

``LOCAL`` is the compose kind table (``stacks/rules/compose.py``): each rule names
the stand-in function here that builds a kind's compose services, volumes, secrets
and what a connected workload gets (outputs, mounts, a dependency).

``plan(project)`` turns each compose stack into a ``ComposePlan``: for every
environment of the stack a full copy of the services under that environment's
profile (the default environment, ``prod``, keeps the bare component ids; the
others get an ``-<env>`` suffix), and ``image_builds(project)`` lists one
``ImageBuild`` per distinct build context + Dockerfile. Nothing here renders
text or touches the disk.
"""

from __future__ import annotations

import copy
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from stacks.errors import StacksError
from stacks.model import (
    BUILT_SECURITY,
    DEFAULT_DB_VERSIONS,
    WORKLOAD_KINDS,
    AnyStack,
    Bucket,
    Build,
    Cache,
    Database,
    Frontend,
    Job,
    Queue,
    Service,
    StaticSite,
    Warehouse,
    Workload,
)
from stacks.naming import resource_name, sql_identifier
from stacks.project import AnyWorkload, DeployedComponent, Deployment, Project, is_workload
from stacks.rules import KindRule, rule_key
from stacks.rules import table as kind_table
from stacks.rules.contract import Reference, SecretValue, bind_env
from stacks.static_site import api_of, api_port, security_headers, static_site

# ---------------------------------------------------------------- conventions

APP_UID = BUILT_SECURITY.user  # the non-root user built images run as unless the model says otherwise
PYTHON_IMAGE = "python:3.11-slim-bookworm"
WORKDIR = "/srv"
DEFAULT_DATA_DIR = "/data"
DEFAULT_ENVIRONMENT = "prod"  # `docker compose up` without --profile runs this one
DEV_ENVIRONMENTS = ("dev",)  # bind-mounted source, hot reload, debug logging
SECRETS_DIR = "secrets"  # ./secrets/<name>: one file per secret, git-ignored

HEALTH_INTERVAL = {"interval": "10s", "timeout": "5s", "retries": 5, "start_period": "30s"}
# Docker's default json-file driver never rotates: on a single box the logs would fill the disk.
ROTATED_LOGS = {"driver": "json-file", "options": {"max-size": "10m", "max-file": "5"}}

# Local stand-in images, pinned so two runs pull the same thing.
IMAGES = {
    "minio": "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z",
    "mc": "quay.io/minio/mc:RELEASE.2025-04-16T18-13-26Z",
    "redis": "redis:7.4-alpine",
    "memcached": "memcached:1.6-alpine",
    "elasticmq": "softwaremill/elasticmq-native:1.6.11",
    "node": "node:22-alpine",  # builds a static frontend, runs its dev server
    "nginx": "nginxinc/nginx-unprivileged:1.27-alpine",  # serves a static frontend's build
}
MYSQL_DEFAULT_VERSION = DEFAULT_DB_VERSIONS["mysql"]
NO_AUTH = {"user": "", "password": "", "ca_cert": ""}  # local caches: no authentication, no TLS
MINIO_REGION = "us-east-1"  # MinIO's default region: what S3 clients sign requests for


# ---------------------------------------------------------------- plan data


@dataclass
class Client:
    """What a workload connected to a stand-in gets."""

    outputs: dict[str, str | SecretValue] = field(default_factory=dict)  # the contract's outputs of the kind
    volumes: list[str] = field(default_factory=list)  # "volume:/path" mounts
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition


@dataclass
class Local:
    """One component's share of the compose file in one environment."""

    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: list[str] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)  # compose secret name -> the model's secret ref
    secret_bytes: dict[str, int] = field(default_factory=dict)  # compose secret name -> random bytes to generate
    configs: dict[str, str] = field(default_factory=dict)  # compose config name -> inline content
    client: Client | None = None


@dataclass(frozen=True)
class Env:
    """One environment of a compose stack, and how its services are named."""

    project: Project
    deployment: Deployment
    name: str
    default: bool

    @property
    def dev(self) -> bool:
        return self.name in DEV_ENVIRONMENTS

    def svc(self, cid: str) -> str:
        return cid if self.default else f"{cid}-{self.name}"

    @property
    def profiles(self) -> list[str]:
        return [self.name]

    @property
    def jobs_profiles(self) -> list[str]:
        return [f"{self.name}-jobs"]

    def host_port(self, cid: str, port: int, suffix: str = "") -> str:
        var = re.sub(r"[^A-Z0-9]", "_", f"{cid}{suffix}".upper()) + "_PORT"
        return f"${{{var}:-{port}}}"

    def secret(self, ref: str, local: Local, nbytes: int = 32) -> str:
        name = secret_name(ref)
        local.secrets[name] = ref
        local.secret_bytes[name] = nbytes
        return name


@dataclass
class ComposeService:
    name: str
    component: str
    environment: str
    role: str  # "workload", "stand-in" or "init"
    body: dict[str, Any]


@dataclass
class ComposePlan:
    stack: str
    path: str
    name: str
    default_environment: str
    environments: list[str]
    services: list[ComposeService]
    volumes: list[str]
    secrets: dict[str, str]  # compose secret name -> model secret ref
    secret_bytes: dict[str, int]  # compose secret name -> random bytes `.env.example` suggests generating
    configs: dict[str, str]
    host_ports: dict[str, str]  # variable -> default, for .env.example

    def service(self, name: str) -> ComposeService:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    def document(self) -> dict[str, Any]:
        """The compose file as data (what the template lays out)."""
        return {
            "name": self.name,
            "services": {s.name: s.body for s in self.services},
            "volumes": {v: {} for v in self.volumes},
            "secrets": {n: {"file": f"./{SECRETS_DIR}/{n}"} for n in sorted(self.secrets)},
            **({"configs": {n: {"content": c} for n, c in sorted(self.configs.items())}} if self.configs else {}),
        }


@dataclass(frozen=True)
class ImageBuild:
    """One Dockerfile: a build context + dockerfile shared by one or more workloads."""

    context: str
    dockerfile: str
    path: str  # the Dockerfile, relative to the project root
    image: str  # local tag compose gives the built image
    workloads: tuple[str, ...]
    ports: tuple[int, ...]
    health: tuple[int, str] | None  # (port, path) of the first service, for HEALTHCHECK
    command: tuple[str, ...]
    data_dirs: tuple[str, ...]
    generate: str | None = None  # "python": stacks writes this Dockerfile; None: the user's, used as is
    source: str = "app"  # generate: the folder copied into the image
    requirements: str = "app/requirements.txt"  # generate: the cached dependency layer
    uid: int | None = APP_UID  # generate: the USER of the image

    @property
    def dockerignore(self) -> str:
        return str(PurePosixPath(self.context) / ".dockerignore")


def secret_name(ref: str) -> str:
    """A model secret ref (``shop/api-key``) as a compose secret and file name (``shop-api-key``)."""
    return re.sub(r"[^a-z0-9_.-]", "-", ref.lower())


def _database_outputs(scheme: str, host: str, port: int, db: str, password: str) -> dict[str, str | SecretValue]:
    return {
        "host": host,
        "port": str(port),
        "name": db,
        "user": "app",
        "url": f"{scheme}://app@{host}:{port}/{db}",
        "password": SecretValue(password),  # the compose secret's name: the workload gets <VAR>_FILE
        "instance": "",
        "read_hosts": "",
        "ca_cert": "",
    }


def _healthcheck(test: list[str]) -> dict[str, Any]:
    return {"test": test, **HEALTH_INTERVAL}


def _python_probe(port: int, path: str) -> list[str]:
    # The slim image has no curl or wget: probe with the interpreter the app already ships.
    code = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}{path}', timeout=4)"
    return ["CMD", "python", "-c", code]


def _stand_in_hardening(body: dict[str, Any], env: Env, cap_add: tuple[str, ...] = ()) -> dict[str, Any]:
    """Hardening every stand-in gets; images that start as root and drop privileges need a few caps back."""
    body["security_opt"] = ["no-new-privileges:true"]
    body["cap_drop"] = ["ALL"]
    if cap_add:
        body["cap_add"] = list(cap_add)
    if not env.dev:
        body["restart"] = "unless-stopped"
        body["logging"] = copy.deepcopy(ROTATED_LOGS)
    return body


def _publish(env: Env, cid: str, port: int, suffix: str = "") -> list[str]:
    """Stand-ins are reachable from the host in dev only, and only on loopback."""
    return [f"127.0.0.1:{env.host_port(cid, port, suffix)}:{port}"] if env.dev else []


def _with_ports(body: dict[str, Any], ports: list[str]) -> dict[str, Any]:
    if ports:
        body["ports"] = ports
    return body


# ---------------------------------------------------------------- the registry


def warehouse_stand_in(env: Env, dc: DeployedComponent[Warehouse]) -> Local:
    # DuckDB runs inside the app: the warehouse is a named volume every connected workload mounts.
    volume = f"{env.svc(dc.id)}-data"
    path = warehouse_path(env.project, dc.id)
    lake = dc.component.lake
    present = {c.id for c in env.deployment.components}
    lake_bucket = resource_name(env.project.model.system.name, lake, env.name) if lake in present else None
    tables = f"s3://{lake_bucket}/tables/" if lake_bucket else ""
    outputs: dict[str, str | SecretValue] = {
        "engine": "duckdb",
        "name": sql_identifier(dc.id),
        "project": "",
        "location": "",
        "uri": tables,
        "tables_uri": tables,
        "workgroup": "",
        "results_uri": "",
        "connection": "",
        "credentials": "",
    }
    # Its tables live in the lake: whoever reads the warehouse waits for the lake's bucket to exist.
    waits = {bucket_init_service(env, lake): "service_completed_successfully"} if lake is not None and tables else {}
    return Local(volumes=[volume], client=Client(outputs=outputs, volumes=[f"{volume}:{path}"], depends_on=waits))


def bucket_init_service(env: Env, bucket: str) -> str:
    """The one-shot service that creates a bucket stand-in's bucket."""
    return env.svc(f"{bucket}-init")


def bucket_stand_in(env: Env, dc: DeployedComponent[Bucket]) -> Local:
    local = Local()
    name = env.svc(dc.id)
    system = env.project.model.system.name
    user = env.secret(f"{system}/{dc.id}-root-user", local, 10)  # MinIO access keys: 3-20 characters
    password = env.secret(f"{system}/{dc.id}-root-password", local)
    volume = f"{name}-data"
    bucket = resource_name(system, dc.id, env.name)
    local.volumes.append(volume)
    server = {
        "image": IMAGES["minio"],
        "command": ["server", "/data", "--console-address", ":9001"],
        "environment": {
            "MINIO_ROOT_USER_FILE": f"/run/secrets/{user}",
            "MINIO_ROOT_PASSWORD_FILE": f"/run/secrets/{password}",
        },
        "secrets": [user, password],
        "volumes": [f"{volume}:/data"],
        "healthcheck": _healthcheck(["CMD", "mc", "ready", "local"]),
    }
    _with_ports(server, _publish(env, dc.id, 9000) + _publish(env, dc.id, 9001, "-console"))
    # MinIO runs as root in its image and writes only its own volume: it needs no capability back.
    local.services[name] = _stand_in_hardening(server, env)
    # A one-shot job creates the bucket; credentials go through MC_HOST_* so they never sit on a command line.
    script = (
        f'MC_HOST_local="http://$$(cat /run/secrets/{user}):$$(cat /run/secrets/{password})@{name}:9000" '
        f"mc mb --ignore-existing local/{bucket}"
    )
    init = {
        "image": IMAGES["mc"],
        "entrypoint": ["/bin/sh", "-c"],
        "command": [script],
        "depends_on": {name: {"condition": "service_healthy"}},
        "secrets": [user, password],
        "restart": "no",
        "security_opt": ["no-new-privileges:true"],
        "cap_drop": ["ALL"],
    }
    init_name = bucket_init_service(env, dc.id)
    local.services[init_name] = init
    local.client = Client(
        outputs={"name": bucket, "uri": f"s3://{bucket}/", "endpoint": f"http://{name}:9000", "region": MINIO_REGION},
        depends_on={init_name: "service_completed_successfully"},
    )
    return local


def _postgres(env: Env, dc: DeployedComponent[Database]) -> Local:
    comp = dc.component
    local = Local()
    name = env.svc(dc.id)
    password = env.secret(f"{env.project.model.system.name}/{dc.id}-password", local)
    db = sql_identifier(dc.id)
    volume = f"{name}-data"
    local.volumes.append(volume)
    version = comp.engine_version
    leading = re.match(r"\d+", version)
    major = int(leading.group() if leading else 16)
    # PostgreSQL 18 images keep PGDATA in a versioned directory under /var/lib/postgresql.
    mount = "/var/lib/postgresql" if major >= 18 else "/var/lib/postgresql/data"
    body = {
        "image": f"postgres:{version}-alpine",
        "environment": {
            "POSTGRES_DB": db,
            "POSTGRES_USER": "app",
            "POSTGRES_PASSWORD_FILE": f"/run/secrets/{password}",
        },
        "secrets": [password],
        "volumes": [f"{volume}:{mount}"],
        "healthcheck": _healthcheck(["CMD", "pg_isready", "-U", "app", "-d", db]),
    }
    _with_ports(body, _publish(env, dc.id, 5432))
    local.services[name] = _stand_in_hardening(body, env, ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"))
    local.client = Client(
        outputs=_database_outputs("postgresql", name, 5432, db, password),
        depends_on={name: "service_healthy"},
    )
    return local


def _mysql(env: Env, dc: DeployedComponent[Database]) -> Local:
    comp = dc.component
    local = Local()
    name = env.svc(dc.id)
    password = env.secret(f"{env.project.model.system.name}/{dc.id}-password", local)
    db = sql_identifier(dc.id)
    volume = f"{name}-data"
    local.volumes.append(volume)
    version = comp.engine_version
    body = {
        "image": f"mysql:{version}",
        "environment": {
            "MYSQL_DATABASE": db,
            "MYSQL_USER": "app",
            "MYSQL_PASSWORD_FILE": f"/run/secrets/{password}",
            "MYSQL_RANDOM_ROOT_PASSWORD": "yes",
        },
        "secrets": [password],
        "volumes": [f"{volume}:/var/lib/mysql"],
        "healthcheck": _healthcheck(["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"]),
    }
    _with_ports(body, _publish(env, dc.id, 3306))
    local.services[name] = _stand_in_hardening(body, env, ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"))
    local.client = Client(
        outputs=_database_outputs("mysql", name, 3306, db, password),
        depends_on={name: "service_healthy"},
    )
    return local


def _redis(env: Env, dc: DeployedComponent[Cache]) -> Local:
    name = env.svc(dc.id)
    body = {
        "image": IMAGES["redis"],
        # A cache: memory-bounded like the cloud node, nothing persisted.
        "command": [
            "redis-server",
            "--maxmemory",
            f"{dc.component.memory}mb",
            "--maxmemory-policy",
            "allkeys-lru",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        "user": "999:1000",
        "read_only": True,
        "healthcheck": _healthcheck(["CMD", "redis-cli", "ping"]),
    }
    _with_ports(body, _publish(env, dc.id, 6379))
    return Local(
        services={name: _stand_in_hardening(body, env)},
        client=Client(
            outputs={"host": name, "port": "6379", "url": f"redis://{name}:6379/0", **NO_AUTH},
            depends_on={name: "service_healthy"},
        ),
    )


def _memcached(env: Env, dc: DeployedComponent[Cache]) -> Local:
    name = env.svc(dc.id)
    body = {
        "image": IMAGES["memcached"],
        "command": ["memcached", "-m", str(dc.component.memory)],
        "user": "11211:11211",
        "read_only": True,
    }
    _with_ports(body, _publish(env, dc.id, 11211))
    # The memcached image has no client to probe with: dependents wait for the container to start.
    return Local(
        services={name: _stand_in_hardening(body, env)},
        client=Client(
            outputs={"host": name, "port": "11211", "url": f"memcached://{name}:11211", **NO_AUTH},
            depends_on={name: "service_started"},
        ),
    )


def cache_stand_in(env: Env, dc: DeployedComponent[Cache]) -> Local:
    return {"redis": _redis, "memcached": _memcached}[dc.component.engine](env, dc)


def database_stand_in(env: Env, dc: DeployedComponent[Database]) -> Local:
    return {"postgres": _postgres, "mysql": _mysql}[dc.component.engine](env, dc)


def queue_stand_in(env: Env, dc: DeployedComponent[Queue]) -> Local:
    name = env.svc(dc.id)
    queue = resource_name(env.project.model.system.name, dc.id, env.name)
    if dc.component.fifo:
        queue += ".fifo"  # SQS requires the suffix on FIFO queues; ElasticMQ follows it
    fifo = "\n    fifo = true" if dc.component.fifo else ""
    config = (
        'include classpath("application.conf")\n'
        f'node-address {{ protocol = http, host = "{name}", port = 9324, context-path = "" }}\n'
        "queues {\n"
        f'  "{queue}" {{\n    defaultVisibilityTimeout = 30 seconds{fifo}\n  }}\n'
        "}\n"
    )
    config_name = f"{name}-conf"
    body = {
        "image": IMAGES["elasticmq"],
        "configs": [{"source": config_name, "target": "/opt/elasticmq.conf"}],
        "read_only": True,
        "tmpfs": ["/tmp:rw,noexec,nosuid,size=16m"],
    }
    _with_ports(body, _publish(env, dc.id, 9324))
    return Local(
        services={name: _stand_in_hardening(body, env)},
        configs={config_name: config},
        client=Client(
            outputs={
                "name": queue,
                "url": f"http://{name}:9324/queue/{queue}",
                "subscription": f"http://{name}:9324/queue/{queue}",
            },
            depends_on={name: "service_started"},
        ),
    )


NGINX_UID = 101  # the nginx user of the unprivileged image


def _nginx_conf(env: Env, dc: DeployedComponent[Frontend]) -> str:
    """The site's nginx server: the built files, an SPA fallback, the API path proxied, security headers."""
    site = static_site(env.project.model, dc.id)
    api = api_of(env.project.model, dc.id)
    headers = "".join(f'    add_header {name} "{value}" always;\n' for name, value in security_headers(site).items())
    proxy = ""
    if api is not None:
        port = api_port(env.project.model, api)
        proxy = (
            f"    location {site.api_path}/ {{\n"
            f"        proxy_pass http://{env.svc(api)}:{port};\n"
            "        proxy_http_version 1.1;\n"
            "        proxy_set_header Host $host;\n"
            "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            "        proxy_set_header X-Forwarded-Proto $scheme;\n"
            "        client_max_body_size 1g;\n"
            "        proxy_read_timeout 300s;\n"
            "    }\n"
        )
    return (
        "# generated from stacks.yaml by stacks, do not edit\n"
        "server {\n"
        f"    listen {dc.component.port};\n"
        "    server_name _;\n"
        "    server_tokens off;\n"
        "    root /usr/share/nginx/html;\n"
        "    gzip on;\n"
        "    gzip_types text/css application/javascript application/json image/svg+xml;\n"
        # Browsers ignore HSTS over plain HTTP: the same headers as the cloud targets, harmless locally.
        f"{headers}"
        "    location = /healthz {\n        access_log off;\n        default_type text/plain;\n"
        '        return 200 "ok";\n    }\n'
        f"{proxy}"
        # Hashed file names never change content: cache them for a year (expires keeps the headers above).
        "    location /assets/ {\n        expires 1y;\n        try_files $uri =404;\n    }\n"
        "    location / {\n        expires -1;\n        try_files $uri $uri/ /index.html;\n    }\n"
        "}\n"
    )


def _site_image(site: StaticSite) -> str:
    """A two-stage build: the site built with node, its output copied into unprivileged nginx."""
    output = PurePosixPath(site.output)
    # The source folder's own node_modules and output are removed: the build installs for the image's platform.
    return (
        f"FROM {IMAGES['node']} AS build\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        f"RUN rm -rf node_modules {output} && {shlex.join(site.install)} && {shlex.join(site.build)}\n"
        f"FROM {IMAGES['nginx']}\n"
        f"COPY --from=build /src/{output} /usr/share/nginx/html\n"
    )


def _static_prod(
    env: Env, dc: DeployedComponent[Frontend], conf: str, depends: dict[str, dict[str, str]]
) -> dict[str, Any]:
    site, port = static_site(env.project.model, dc.id), dc.component.port
    probe = ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}/healthz"]
    body: dict[str, Any] = {
        "image": f"{env.project.model.system.name}-{dc.id}:local",
        "build": {"context": f"./{PurePosixPath(site.source)}", "dockerfile_inline": _site_image(site)},
        "configs": [{"source": conf, "target": "/etc/nginx/conf.d/default.conf"}],
        "environment": {"NGINX_ENTRYPOINT_QUIET_LOGS": "1"},
        "ports": [f"{env.host_port(dc.id, port)}:{port}"] if dc.component.public else [],
        "healthcheck": _healthcheck(probe),
        "user": f"{NGINX_UID}:{NGINX_UID}",
        "read_only": True,
        "tmpfs": ["/tmp:rw,noexec,nosuid,size=16m"],
        "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "128M", "pids": 128}}},
    }
    if not body["ports"]:
        del body["ports"]
        body["expose"] = [str(port)]
    if depends:
        body["depends_on"] = depends
    return _stand_in_hardening(body, env)


def _static_dev(
    env: Env, dc: DeployedComponent[Frontend], api: str | None, depends: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """The dev server with hot reload on the bind-mounted source; dependencies in a volume of their own."""
    site = static_site(env.project.model, dc.id)
    source = PurePosixPath(site.source)
    environment = {"STACKS_WEB_HOST": "0.0.0.0"}  # the dev server's contract: listen for the published port
    if api is not None:
        environment["STACKS_API_URL"] = f"http://{env.svc(api)}:{api_port(env.project.model, api)}"
    body: dict[str, Any] = {
        "image": IMAGES["node"],
        "working_dir": "/src",
        "command": ["sh", "-c", f"{shlex.join(site.install)} && exec {shlex.join(site.dev)}"],
        "environment": environment,
        "ports": [f"127.0.0.1:{env.host_port(dc.id, site.dev_port, '-dev')}:{site.dev_port}"],
        "volumes": [f"./{source}:/src", f"{env.svc(dc.id)}-node-modules:/src/node_modules"],
        "deploy": {"resources": {"limits": {"cpus": "1", "memory": "1024M", "pids": 512}}},
    }
    if depends:
        body["depends_on"] = depends
    return _stand_in_hardening(body, env)


def static_site_stand_in(env: Env, dc: DeployedComponent[Frontend]) -> Local:
    """A static frontend: nginx serving its build (prod) or its dev server with hot reload (dev)."""
    name = env.svc(dc.id)
    api = api_of(env.project.model, dc.id)
    depends: dict[str, dict[str, str]] = {}
    callee = env.project.model.components.get(api) if api is not None else None
    if api is not None and isinstance(callee, Service | Frontend) and api in {c.id for c in env.deployment.components}:
        healthy = compose_probe(callee) is not None
        depends[env.svc(api)] = {"condition": "service_healthy" if healthy else "service_started"}
    if env.dev:
        port = dc.component.static.dev_port if dc.component.static else dc.component.port
        client = Client(outputs={"url": f"http://{name}:{port}"})
        dev = _static_dev(env, dc, api, depends)
        return Local(services={name: dev}, volumes=[f"{name}-node-modules"], client=client)
    conf = f"{name}-nginx"
    # Compose interpolates config content: nginx's $variables are written $$ to reach nginx as they are.
    content = _nginx_conf(env, dc).replace("$", "$$")
    client = Client(outputs={"url": f"http://{name}:{dc.component.port}"})
    return Local(services={name: _static_prod(env, dc, conf, depends)}, configs={conf: content}, client=client)


LOCAL: dict[str, KindRule] = kind_table("compose")  # the compose kind rules (stacks/rules/compose.py)


# ---------------------------------------------------------------- workloads


def _dev_uvicorn(command: list[str], source: str) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in command:
        if skip:
            skip = False
            continue
        if arg == "--workers":  # --reload runs one process; uvicorn refuses both
            skip = True
            continue
        if arg.startswith(("--workers=", "--log-level")):
            continue
        out.append(arg)
    return [*out, "--reload", "--reload-dir", source, "--log-level", "debug"]


# How a workload's command changes in a dev environment (source bind-mounted), by program.
DEV_COMMANDS: dict[str, Callable[[list[str], str], list[str]]] = {"uvicorn": _dev_uvicorn}


def dev_command(command: list[str], source: str = "app") -> list[str]:
    adapt = DEV_COMMANDS.get(PurePosixPath(command[0]).name) if command else None
    return adapt(list(command), source) if adapt else list(command)


def _connected(project: Project, cid: str) -> list[str]:
    found = []
    for conn in project.model.connections:
        if conn.from_ == cid:
            found.append(conn.to)
        elif conn.to == cid:
            found.append(conn.from_)
    return sorted(set(found))


def _calls(project: Project, cid: str) -> list[str]:
    """Workloads ``cid`` sends requests to: it starts after them."""
    return sorted({c.to for c in project.model.connections if c.from_ == cid and c.flow == "request"})


def warehouse_path(project: Project, warehouse: str) -> str:
    """Where connected workloads mount a warehouse's volume: the first data_dir among them."""
    for cid in _connected(project, warehouse):
        comp = project.model.components[cid]
        data_dir = getattr(comp, "data_dir", None)
        if comp.kind in WORKLOAD_KINDS and data_dir:
            return str(data_dir)
    return DEFAULT_DATA_DIR


def data_dirs(project: Project, cid: str) -> list[str]:
    """Directories a workload writes: its data_dir and the mount points of connected warehouses."""
    data_dir = getattr(project.model.components[cid], "data_dir", None)
    dirs: set[str] = {data_dir} if data_dir else set()
    for other in _connected(project, cid):
        if project.model.components[other].kind == "warehouse":
            dirs.add(warehouse_path(project, other))
    return sorted(dirs)


def _build_key(build: Build) -> tuple[str, str]:
    context = PurePosixPath(build.context)
    if context.is_absolute() or ".." in context.parts:
        raise StacksError(
            f"build context '{build.context}' is outside the project",
            hint="use a directory inside the directory of stacks.yaml, e.g. 'context: .'",
        )
    dockerfile = PurePosixPath(build.dockerfile)
    if dockerfile.is_absolute() or ".." in dockerfile.parts:
        raise StacksError(
            f"dockerfile '{build.dockerfile}' is outside the build context",
            hint="give a path inside the context, e.g. 'dockerfile: Dockerfile'",
        )
    return str(context), str(dockerfile)


def _image_tag(project: Project, context: str, dockerfile: str) -> str:
    system = project.model.system.name
    parts = [p for p in (*PurePosixPath(context).parts, PurePosixPath(dockerfile).stem) if p not in (".", "Dockerfile")]
    suffix = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return f"{system}{'-' + suffix if suffix else ''}:local"


def image_builds(project: Project) -> list[ImageBuild]:
    """One entry per distinct build context + Dockerfile, with what its workloads need from it."""
    groups: dict[tuple[str, str], list[tuple[str, AnyWorkload, Build]]] = {}
    for cid, comp in sorted(project.model.components.items()):
        if isinstance(comp, Workload) and comp.build is not None:
            groups.setdefault(_build_key(comp.build), []).append((cid, comp, comp.build))
    builds = []
    for (context, dockerfile), members in sorted(groups.items()):
        ids = [cid for cid, _, _ in members]
        comps = [comp for _, comp, _ in members]
        http = [(i, c) for i, c in zip(ids, comps, strict=True) if isinstance(c, Service | Frontend)]
        first = http[0][1] if http else None
        command = tuple(first.command or ()) if first else tuple(comps[0].command or ())
        dirs = sorted({d for i in ids for d in data_dirs(project, i)})
        path = str(PurePosixPath(context) / dockerfile)
        spec = members[0][2]
        builds.append(
            ImageBuild(
                context=context,
                dockerfile=dockerfile,
                path=path,
                image=_image_tag(project, context, dockerfile),
                workloads=tuple(ids),
                ports=tuple(sorted({c.port for _, c in http})),
                health=(first.port, first.health) if first and not first.health_command else None,
                command=command,
                data_dirs=tuple(dirs),
                generate=spec.generate,
                source=spec.source,
                requirements=spec.requirements_file,
                uid=APP_UID if (uid := comps[0].effective_security.user) is None else uid,
            )
        )
    return builds


def compose_probe(comp: AnyWorkload) -> list[str] | None:
    """The compose healthcheck test of a workload: its health command, or an HTTP probe stacks can run."""
    command = comp.health_command
    if command:
        return ["CMD-SHELL", command]
    generated = comp.build is not None and comp.build.generate == "python"
    if generated and isinstance(comp, Service | Frontend):
        # Only a generated image is known to have an interpreter to probe with.
        return _python_probe(comp.port, getattr(comp, "ready", None) or comp.health)
    return None


def _workload(
    env: Env,
    dc: DeployedComponent[AnyWorkload],
    locals_: dict[str, Local],
    jobs_before: dict[str, list[str]],
    builds: dict[tuple[str, str], ImageBuild],
) -> tuple[str, dict[str, Any]]:
    comp = dc.component
    name = env.svc(dc.id)
    body: dict[str, Any] = {}
    on_demand = isinstance(comp, Job) and not comp.before
    body["profiles"] = env.jobs_profiles if on_demand else env.profiles
    generated = comp.build is not None and comp.build.generate is not None
    body.update(_image_and_command(env, comp, builds, generated))

    environment, secrets = _bound_environment(env, dc, locals_)
    for ref_var, ref in sorted(comp.secrets.items()):
        local = locals_.setdefault(f"workload:{dc.id}", Local())
        sname = env.secret(ref, local)
        environment[f"{ref_var}_FILE"] = f"/run/secrets/{sname}"
        secrets.append(sname)
    volumes, depends = _mounts_and_waits(env, dc, locals_, jobs_before, generated)

    if depends:
        body["depends_on"] = dict(sorted(depends.items()))
    if environment:
        body["environment"] = dict(sorted(environment.items()))
    if secrets:
        body["secrets"] = sorted(set(secrets))
    body.update(_published_ports(env, dc.id, comp))
    if volumes:
        body["volumes"] = volumes
    if env.dev and generated and comp.build is not None:
        body["develop"] = {"watch": _watch(comp, comp.build)}
    probe = compose_probe(comp)
    if probe:
        body["healthcheck"] = _healthcheck(probe)
    elif generated:
        # The generated image's HEALTHCHECK probes the HTTP service; workers and jobs serve nothing.
        body["healthcheck"] = {"disable": True}
    if isinstance(comp, Job) and comp.schedule:
        body["labels"] = {"stacks.schedule": comp.schedule}
    limits: dict[str, Any] = {"pids": 512}
    if dc.resources is not None:
        limits = {"cpus": _cpus(dc.resources.cpu), "memory": f"{dc.resources.memory}M", **limits}
    body["deploy"] = {"resources": {"limits": limits}}
    body.update(_security(comp, env))
    if comp.kind == "job":
        body["restart"] = "no"
    elif not env.dev:
        body["restart"] = "unless-stopped"
    if not env.dev:
        body["logging"] = copy.deepcopy(ROTATED_LOGS)
    return name, body


def _image_and_command(
    env: Env, comp: AnyWorkload, builds: dict[tuple[str, str], ImageBuild], generated: bool
) -> dict[str, Any]:
    """The image (built here from its shared build, or prebuilt) and the command, reloading in dev."""
    body: dict[str, Any] = {}
    if comp.build is not None:
        build = builds[_build_key(comp.build)]
        spec = {"context": build.context, "dockerfile": build.dockerfile}
        if comp.build.target:
            spec["target"] = comp.build.target
        body["image"] = build.image
        body["build"] = spec
    else:
        body["image"] = comp.image
    if comp.command:
        reloads = env.dev and generated  # the source is bind-mounted only into generated images
        source = comp.build.source if comp.build is not None else ""
        body["command"] = dev_command(list(comp.command), source) if reloads else list(comp.command)
    return body


def _mounts_and_waits(
    env: Env,
    dc: DeployedComponent[AnyWorkload],
    locals_: dict[str, Local],
    jobs_before: dict[str, list[str]],
    generated: bool,
) -> tuple[list[str], dict[str, dict[str, str]]]:
    """The workload's volumes (stand-ins', its data_dir, files, the dev source) and what it starts after."""
    comp = dc.component
    project = env.project
    volumes: list[str] = []
    depends: dict[str, dict[str, str]] = {}
    for other in _connected(project, dc.id):
        client = locals_[other].client if other in locals_ else None
        if client is None:
            continue
        volumes.extend(client.volumes)
        for svc, condition in client.depends_on.items():
            depends[svc] = {"condition": condition}
    deployed = {c.id: c for c in env.deployment.components}
    for job in jobs_before.get(dc.id, []):
        depends[env.svc(job)] = {"condition": "service_completed_successfully"}
    for callee in _calls(project, dc.id):
        target = deployed.get(callee)
        if target is not None and isinstance(target.component, Service | Frontend):
            healthy = compose_probe(target.component) is not None
            depends[env.svc(callee)] = {"condition": "service_healthy" if healthy else "service_started"}
    data_dir = getattr(comp, "data_dir", None)
    if data_dir and not any(v.endswith(f":{data_dir}") for v in volumes):
        volume = f"{env.svc(dc.id)}-data"
        locals_.setdefault(f"workload:{dc.id}", Local()).volumes.append(volume)
        volumes.append(f"{volume}:{data_dir}")
    for target_path, source in sorted(comp.files.items()):
        volumes.append(f"./{PurePosixPath(source)}:{target_path}:ro")
    if env.dev and generated and comp.build is not None:
        # Dev: the source is bind-mounted read-only, so uvicorn --reload sees every save.
        context = PurePosixPath(comp.build.context)
        source_dir = comp.build.source
        volumes.insert(0, f"./{context / source_dir}:{WORKDIR}/{source_dir}:ro")
    return volumes, depends


def _published_ports(env: Env, cid: str, comp: AnyWorkload) -> dict[str, list[str]]:
    """Dev publishes HTTP ports on loopback; otherwise public ones on every interface, the rest only inside."""
    port = getattr(comp, "port", None)
    if port is None or comp.kind not in ("service", "frontend", "function"):
        return {}
    if env.dev:
        return {"ports": [f"127.0.0.1:{env.host_port(cid, port)}:{port}"]}
    if getattr(comp, "public", False):
        return {"ports": [f"{env.host_port(cid, port)}:{port}"]}
    return {"expose": [str(port)]}


def _watch(comp: AnyWorkload, build: Build) -> list[dict[str, Any]]:
    """Dev: code changes reach a generated image through the bind mount; dependency changes need a rebuild."""
    context = PurePosixPath(build.context)
    watch: list[dict[str, Any]] = [
        {"action": "rebuild", "path": f"./{context / build.requirements_file}"},
        {"action": "rebuild", "path": f"./{context / build.dockerfile}"},
    ]
    command = comp.command or []
    reloads_itself = bool(command) and PurePosixPath(command[0]).name in DEV_COMMANDS
    if comp.kind != "job" and not reloads_itself:
        # A long-running process that does not reload on its own is restarted when the code changes.
        requirements = PurePosixPath(build.requirements_file)
        if requirements.is_relative_to(build.source):
            requirements = requirements.relative_to(build.source)
        restart = {
            "action": "restart",
            "path": f"./{context / build.source}",
            "ignore": [str(requirements), "**/__pycache__"],
        }
        watch.insert(0, restart)
    return watch


def _security(comp: AnyWorkload, env: Env) -> dict[str, Any]:
    """User, capabilities and read-only root: a prebuilt image gets only what the model declares."""
    security = comp.effective_security
    body: dict[str, Any] = {}
    if security.user is not None:
        body["user"] = f"{security.user}:{security.user}"
    body["init"] = True
    body["security_opt"] = ["no-new-privileges:true"]
    if comp.build is not None or comp.security is not None:
        body["cap_drop"] = ["ALL"]
    if not env.dev and security.read_only:
        body["read_only"] = True
        body["tmpfs"] = ["/tmp:rw,noexec,nosuid,size=64m"]
    return body


def _bound_environment(
    env: Env, dc: DeployedComponent[AnyWorkload], locals_: dict[str, Local]
) -> tuple[dict[str, Any], list[str]]:
    """The workload's env with each ``${component.output}`` resolved to a stand-in's output; secret outputs
    become compose secrets named by ``<VAR>_FILE`` (compose cannot put a secret into a variable unwritten)."""
    outputs = {cid: local.client.outputs for cid, local in locals_.items() if local.client is not None}

    def resolve(ref: Reference) -> str | SecretValue:
        if ref.output not in outputs.get(ref.component, {}):
            raise StacksError(
                f"{env.deployment.name}: {dc.id} reads {ref.text}, which this stack does not provide",
                hint=f"deploy '{ref.component}' in this stack and connect {dc.id} to it",
            )
        return outputs[ref.component][ref.output]

    environment, bound_secrets = bind_env(dc.env, resolve, lambda *parts: "".join(map(str, parts)))
    secrets: list[str] = []
    for var, secret in sorted(bound_secrets.items()):
        environment[f"{var}_FILE"] = f"/run/secrets/{secret.source}"
        secrets.append(secret.source)
    return environment, secrets


def _cpus(value: float) -> str:
    return f"{value:g}"


def _default_environment(stack: AnyStack) -> str:
    names = list(stack.environments)
    return DEFAULT_ENVIRONMENT if DEFAULT_ENVIRONMENT in names else names[-1]


def compose_stacks(project: Project) -> list[str]:
    return sorted(sid for sid, s in project.model.stacks.items() if s.target == "compose")


def compose_path(project: Project, sid: str) -> str:
    """The first compose stack writes docker-compose.yml; any other docker-compose.<stack>.yml."""
    stacks = compose_stacks(project)
    return "docker-compose.yml" if sid == stacks[0] else f"docker-compose.{sid}.yml"


def plan_stack(project: Project, sid: str) -> ComposePlan:
    stack = project.model.stacks[sid]
    default = _default_environment(stack)
    builds = {(b.context, b.dockerfile): b for b in image_builds(project)}
    services: list[ComposeService] = []
    volumes: list[str] = []
    secrets: dict[str, str] = {}
    secret_bytes: dict[str, int] = {}
    configs: dict[str, str] = {}
    host_ports: dict[str, str] = {}
    for env_name in stack.environments:
        deployment = project.deployment(f"{sid}-{env_name}")
        env = Env(project, deployment, env_name, env_name == default)
        locals_: dict[str, Local] = {}
        for dc in deployment.components:
            entry = LOCAL.get(rule_key(dc.kind, dc.component.mode))
            if entry is None:
                raise StacksError(
                    f"compose has no local stand-in for a {dc.kind} ('{dc.id}')",
                    hint=f"kinds it runs: {', '.join(sorted(LOCAL))}",
                )
            if entry.build is not None:
                local = entry.builder()(env, dc)
                locals_[dc.id] = local
                for name, body in local.services.items():
                    role = "stand-in" if name == env.svc(dc.id) else "init"
                    services.append(ComposeService(name, dc.id, env_name, role, {"profiles": env.profiles, **body}))
            elif isinstance(dc.component, Service | Frontend):  # what a connected workload calls (its url output)
                locals_[dc.id] = Local(client=Client(outputs={"url": f"http://{env.svc(dc.id)}:{dc.component.port}"}))
        jobs_before: dict[str, list[str]] = {}
        present = {c.id for c in deployment.components}
        for dc in deployment.components:
            if isinstance(dc.component, Job):
                for target in dc.component.before:
                    if target in present:
                        jobs_before.setdefault(target, []).append(dc.id)
        for dc in deployment.components:
            if is_workload(dc) and LOCAL[rule_key(dc.kind, dc.component.mode)].build is None:
                name, body = _workload(env, dc, locals_, jobs_before, builds)
                services.append(ComposeService(name, dc.id, env_name, "workload", body))
        for local in locals_.values():
            volumes.extend(local.volumes)
            for sname, ref in local.secrets.items():
                if secrets.get(sname, ref) != ref:
                    raise StacksError(
                        f"secrets '{secrets[sname]}' and '{ref}' both become the compose secret '{sname}'",
                        hint="rename one of them: compose secret names keep only letters, digits, '.', '_' and '-'",
                    )
                secrets[sname] = ref
            secret_bytes.update(local.secret_bytes)
            configs.update(local.configs)
    seen: dict[str, ComposeService] = {}
    for svc in services:
        other = seen.setdefault(svc.name, svc)
        if other is not svc:
            raise StacksError(
                f"compose service name '{svc.name}' is used twice: by '{other.component}' in {other.environment} "
                f"and by '{svc.component}' in {svc.environment}",
                hint=f"services of environments other than {default} are named <component>-<environment>; "
                f"rename component '{svc.component if svc.environment == default else other.component}'",
            )
    _break_cycles(services)
    for svc in services:
        for port in svc.body.get("ports", []):
            match = re.search(r"\$\{([A-Z0-9_]+):-(\d+)\}", port)
            if match:
                host_ports[match.group(1)] = match.group(2)
    services.sort(
        key=lambda s: (
            list(stack.environments).index(s.environment) if s.environment != default else -1,
            s.role == "workload",
            s.name,
        )
    )
    return ComposePlan(
        stack=sid,
        path=compose_path(project, sid),
        name=project.model.system.name,
        default_environment=default,
        environments=list(stack.environments),
        services=services,
        volumes=sorted(set(volumes)),
        secrets=secrets,
        secret_bytes=dict(sorted(secret_bytes.items())),
        configs=configs,
        host_ports=dict(sorted(host_ports.items())),
    )


def _break_cycles(services: list[ComposeService]) -> None:
    """Compose refuses dependency cycles (two services calling each other): drop the edge that closes one."""
    graph: dict[str, list[str]] = {}
    for svc in sorted(services, key=lambda s: s.name):
        deps = svc.body.get("depends_on", {})
        for dep in sorted(deps):
            if _reaches(graph, dep, svc.name):
                del deps[dep]
                continue
            graph.setdefault(svc.name, []).append(dep)
        if "depends_on" in svc.body and not deps:
            del svc.body["depends_on"]


def _reaches(graph: dict[str, list[str]], start: str, goal: str) -> bool:
    stack, seen = [start], set()
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return False


def plan(project: Project) -> list[ComposePlan]:
    return [plan_stack(project, sid) for sid in compose_stacks(project)]
