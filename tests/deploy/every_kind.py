"""A stacks.yaml that uses every component kind and the options the cloud plans read, on every cloud target.

Built from ``stacks.model.KINDS`` and each target's hosted kinds, so a kind added to
the model (or newly hosted by a target) joins the every-kind stacks by itself: it
gets the options listed in ``OPTIONS`` (a new kind without an entry gets only
``kind:``; if that does not validate, the fixture fails saying to add one).
"""

from __future__ import annotations

from typing import Any

import yaml

from stacks import targets
from stacks.model import KINDS, NOT_DEPLOYED_KINDS

BUILD = {"context": ".", "dockerfile": "Dockerfile"}
TABLES = [
    {
        "name": "orders",
        "columns": [
            {"name": "order_id", "type": "BIGINT", "nullable": False},
            {"name": "order_date", "type": "DATE", "nullable": False},
            {"name": "country", "type": "VARCHAR"},
        ],
        "primary_key": ["order_id"],
        "partition_by": "order_date",
        "cluster_by": ["country"],
    }
]

# kind -> the options the component of that kind sets (ids are the kind names).
OPTIONS: dict[str, dict[str, Any]] = {
    "user": {},
    "external": {"url": "https://partner.example.com"},
    "service": {
        "build": BUILD,
        "command": ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"],
        "port": 8000,
        "health": "/health",
        "ready": "/ready",
        "public": True,
        "data_dir": "/data",
        "env": {"STACKS_APP_LOG_LEVEL": "info"},
        "secrets": {"STACKS_APP_API_KEY": "shop/api-key"},
        "resources": {"cpu": 1, "memory": 2048},
        "scale": {"min": 1, "max": 3, "target_cpu": 50, "concurrency": 40},
    },
    "frontend": {
        "build": BUILD,
        "command": ["python", "-m", "http.server", "8080"],
        "port": 8080,
        "health": "/",
        "public": False,  # one public entry point per domain: the service holds shop.example.com
        "scale": {"min": 1, "max": 2},
    },
    "worker": {
        "build": BUILD,
        "command": ["python", "-m", "app.worker"],
        "secrets": {"STACKS_APP_API_KEY": "shop/api-key"},
        "scale": {"min": 1, "max": 2},
    },
    "job": {
        "build": BUILD,
        "command": ["python", "-m", "app.ingest", "--source", "/data/incoming"],
        "schedule": "0 3 * * *",
    },
    "function": {
        "build": BUILD,
        "command": ["python", "-m", "app.handler"],
        "timeout": 30,
        "concurrency": 5,
        "triggers": [{"http": True}],
    },
    "gateway": {
        "routes": [{"path": "/web", "to": "frontend"}, {"path": "/hooks", "to": "function"}],
        "throttling": {"rate": 50, "burst": 100},
    },
    "bucket": {"purpose": "lake", "versioning": True, "expire_days": 365},
    "warehouse": {"technology": "DuckDB", "lake": "bucket", "tables": TABLES},
    "database": {"engine": "postgres", "version": "16", "storage_gb": 50},
    "cache": {"engine": "redis", "memory": 1024},
    "queue": {"fifo": True, "retention_hours": 48},
}

# Each mode of a kind (stacks.model.KIND_MODES) joins as a component of its own, id <kind>-<mode>.
MODE_OPTIONS: dict[tuple[str, str], dict[str, Any]] = {
    ("frontend", "static"): {"static": {"source": "web", "build": ["npm", "run", "build"], "output": "dist"}},
}

CONNECTIONS = [
    {"from": "user", "to": "frontend-static", "protocol": "https"},
    {"from": "frontend-static", "to": "service", "protocol": "https"},
    {"from": "user", "to": "service", "protocol": "https"},
    {"from": "user", "to": "frontend", "protocol": "https"},
    {"from": "frontend", "to": "service", "protocol": "https"},
    {"from": "user", "to": "gateway", "protocol": "https"},
    {"from": "external", "to": "bucket", "protocol": "s3", "flow": "data"},
    {"from": "bucket", "to": "job", "protocol": "s3", "flow": "data"},
    {"from": "job", "to": "warehouse", "protocol": "sql", "flow": "data"},
    {"from": "service", "to": "warehouse", "protocol": "sql"},
    {"from": "service", "to": "database", "protocol": "postgres"},
    {"from": "service", "to": "cache", "protocol": "redis"},
    {"from": "service", "to": "queue", "protocol": "amqp"},
    {"from": "queue", "to": "worker", "protocol": "amqp", "flow": "data"},
    {"from": "worker", "to": "database", "protocol": "postgres"},
]

PROD = {
    "nat": "per_az",
    "availability_zones": 3,
    "deletion_protection": True,
    "log_retention_days": 365,
    "domain": "shop.example.com",
    "dns_zone": "example.com",
    "cdn": True,
    "alert_email": "oncall@example.com",
}


def _hosted(cloud: str) -> list[str]:
    kinds = [k for k in KINDS if k not in NOT_DEPLOYED_KINDS and k in targets.hosted_kinds(cloud)]
    return kinds + [f"{kind}-{mode}" for kind, mode in MODE_OPTIONS if kind in kinds]


def every_kind_document() -> dict[str, Any]:
    components = {kind: {"kind": kind, **OPTIONS.get(kind, {})} for kind in KINDS}
    components |= {f"{kind}-{mode}": {"kind": kind, **options} for (kind, mode), options in MODE_OPTIONS.items()}
    ids = set(components)
    connections = [c for c in CONNECTIONS if c["from"] in ids and c["to"] in ids]
    placement = {}
    for kind in set(_hosted("aws")) | set(_hosted("gcp")):
        on_gcp = kind == "warehouse" or kind not in targets.hosted_kinds("aws")
        placement[kind] = "gcp" if on_gcp and kind in targets.hosted_kinds("gcp") else "aws"
    placement |= {f"{kind}-{mode}": placement[kind] for kind, mode in MODE_OPTIONS if kind in placement}
    gcp_prod = {k: v for k, v in PROD.items() if k not in ("nat", "availability_zones")} | {"dns_zone": "example-com"}
    return {
        "version": 1,
        "system": {"name": "every", "label": "Every kind"},
        "environments": ["dev", "prod"],
        "components": components,
        "connections": connections,
        "stacks": {
            "aws": {
                "target": "aws",
                "region": "eu-west-1",
                "components": _hosted("aws"),
                "environments": {"dev": {"nat": "single", "log_retention_days": 14}, "prod": dict(PROD)},
            },
            "gcp": {
                "target": "gcp",
                "project": "every-kind-prod",
                "region": "europe-west1",
                "components": _hosted("gcp"),
                "environments": {"dev": {"log_retention_days": 14}, "prod": gcp_prod},
            },
            "hybrid": {
                "target": "hybrid",
                "aws": {"region": "eu-west-1"},
                "gcp": {"project": "every-kind-prod", "region": "europe-west1"},
                "placement": dict(sorted(placement.items())),
                "environments": {"dev": {"nat": "single"}, "prod": {k: v for k, v in PROD.items() if k != "cdn"}},
            },
        },
    }


def every_kind_text() -> str:
    return yaml.safe_dump(every_kind_document(), sort_keys=False)
