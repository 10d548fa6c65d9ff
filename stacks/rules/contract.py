"""The output contract: what a workload can receive from the components it is connected to.

A workload's ``env`` binds its own variable names to outputs of other components,
Score-style: ``env: {DATABASE_URL: "${db.url}", LAKE: "s3://${lake.name}/raw"}``.
``OUTPUTS[kind]`` lists the outputs of each kind, the same names on every target;
each target's kind rule (``stacks.rules.<target>``) says how it resolves them and
its planner resolves them. An output that does not apply on a target resolves to
``""`` (e.g. an Athena workgroup on BigQuery), so a workload receives the same set
of variable names wherever it runs. Outputs in ``SECRET_OUTPUTS`` are delivered the
way ``secrets:`` are (never as a plain value in a generated file).

``references(text)`` finds the ``${component.output}`` references in a value;
validation reports unknown components and outputs with a location and a
"did you mean".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

REFERENCE = re.compile(r"\$\{([^{}]*)\}")
WELL_FORMED = re.compile(r"^([a-z][a-z0-9-]*)\.([a-z][a-z0-9_]*)$")

OUTPUTS: dict[str, dict[str, str]] = {
    "bucket": {
        "name": "the bucket's name",
        "uri": "the bucket's root as a URI: s3://<name>/ (AWS, and MinIO under compose) or gs://<name>/ (GCP)",
        "endpoint": "the object store's HTTP endpoint (the MinIO container under compose, the cloud's API otherwise)",
        "region": "the bucket's region (us-east-1 for MinIO under compose)",
    },
    "warehouse": {
        "engine": "what answers queries: duckdb (compose), athena (AWS) or bigquery (GCP)",
        "name": "the Glue database or BigQuery dataset holding the tables (compose: the id as a SQL name)",
        "project": "the GCP project of the BigQuery dataset; empty elsewhere",
        "location": "the region queries run in",
        "uri": "the root the tables are published under (<lake uri>tables/)",
        "tables_uri": "where the engine reads the tables' files: the lake root, or on hybrid its GCS mirror's",
        "workgroup": "the Athena workgroup; empty elsewhere",
        "results_uri": "where Athena writes query results; empty elsewhere",
        "connection": "the BigLake connection external tables are created on; empty elsewhere",
        "credentials": "the SSM parameter with the keyless federation config an AWS workload uses to reach a "
        "BigQuery warehouse (hybrid); empty elsewhere",
    },
    "database": {
        "host": "the database server's host name",
        "port": "its port (5432 PostgreSQL, 3306 MySQL)",
        "name": "the database's name",
        "user": "the application user",
        "url": "<engine>://<user>@<host>:<port>/<name>, without the password",
        "password": "the application user's password, delivered as a secret; empty where the target signs in "
        "with short-lived IAM tokens (Cloud SQL IAM database authentication)",
        "instance": "the Cloud SQL connection name (project:region:instance); empty elsewhere",
        "read_hosts": "comma-separated hosts of the read replicas; empty without replicas",
        "ca_cert": "the server CA certificate (PEM) to verify TLS against, where the target has its own; empty "
        "where the system trust store verifies it",
    },
    "cache": {
        "host": "the cache's host name",
        "port": "its port (6379 Redis, 11211 Memcached)",
        "url": "redis://, rediss:// (TLS in the cloud) or memcached:// URL of the cache",
        "user": "the user to authenticate as (ElastiCache Redis RBAC); empty where none is needed",
        "password": "the AUTH string, delivered as a secret (Memorystore); empty where none is needed",
        "ca_cert": "the server CA certificate (PEM) to verify TLS against (Memorystore); empty elsewhere",
    },
    "queue": {
        "name": "the queue's (or Pub/Sub topic's) name",
        "url": "where messages are sent: the SQS or ElasticMQ queue URL, or the Pub/Sub topic id",
        "subscription": "where messages are received from: the Pub/Sub subscription id, or the queue URL",
    },
    "gateway": {
        "url": "the gateway's base URL (no trailing slash): a route's path appended reaches its component",
    },
    "service": {
        "url": "where a connected workload calls it: http://<name>:<port> on the stack's private network "
        "(compose service name, Cloud Map name on AWS) or its https Cloud Run URL on GCP",
    },
    "frontend": {
        "url": "where a connected workload calls it (as a service's)",
    },
    "worker": {},
    "job": {},
    "function": {},
}
SECRET_OUTPUTS: frozenset[tuple[str, str]] = frozenset({("database", "password"), ("cache", "password")})


@dataclass(frozen=True)
class Reference:
    component: str
    output: str
    text: str  # as written, e.g. "${db.url}"


@dataclass(frozen=True)
class Malformed:
    text: str


def references(value: str) -> Iterator[Reference | Malformed]:
    """Every ``${...}`` in ``value``: well-formed references and the malformed ones."""
    for match in REFERENCE.finditer(value):
        inner = WELL_FORMED.match(match.group(1).strip())
        if inner:
            yield Reference(inner.group(1), inner.group(2), match.group(0))
        else:
            yield Malformed(match.group(0))


def split(value: str) -> list[str | Reference]:
    """``value`` as literal text and references, in order (malformed ones stay literal)."""
    parts: list[str | Reference] = []
    last = 0
    for match in REFERENCE.finditer(value):
        inner = WELL_FORMED.match(match.group(1).strip())
        if not inner:
            continue
        if match.start() > last:
            parts.append(value[last : match.start()])
        parts.append(Reference(inner.group(1), inner.group(2), match.group(0)))
        last = match.end()
    if last < len(value):
        parts.append(value[last:])
    return parts


def is_secret(kind: str, output: str) -> bool:
    return (kind, output) in SECRET_OUTPUTS


@dataclass(frozen=True)
class SecretValue:
    """An output delivered as a secret: where the target's secret store keeps it (an ARN, a compose secret)."""

    source: Any


def bind_env(
    env: dict[str, str], resolve: Callable[[Reference], Any], join: Callable[..., Any]
) -> tuple[dict[str, Any], dict[str, SecretValue]]:
    """``env`` with each ``${component.output}`` replaced by ``resolve(reference)``: (values, secrets).

    ``join`` builds a value from literal text and resolved parts (a planner's ``concat``). A variable
    bound to a secret output (validation makes it the whole value) lands in ``secrets``.
    """
    values: dict[str, Any] = {}
    secrets: dict[str, SecretValue] = {}
    for var, text in env.items():
        parts = [resolve(p) if isinstance(p, Reference) else p for p in split(text)]
        hidden = [p for p in parts if isinstance(p, SecretValue)]
        if hidden:
            secrets[var] = hidden[0]
        elif len(parts) == 1:
            values[var] = parts[0]
        else:
            values[var] = join(*parts) if parts else ""
    return values, secrets
