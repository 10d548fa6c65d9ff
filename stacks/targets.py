"""What each deployment target accepts: regions, sizes and the component kinds it hosts.

Plain data consulted by validation, so that a stack a cloud would reject at deploy
time is rejected when ``stacks validate`` runs instead.
"""

from __future__ import annotations

from typing import Any

from stacks import rules

AWS_REGIONS = (
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

GCP_REGIONS = (
    "africa-south1",
    "asia-east1",
    "asia-east2",
    "asia-northeast1",
    "asia-northeast2",
    "asia-northeast3",
    "asia-south1",
    "asia-south2",
    "asia-southeast1",
    "asia-southeast2",
    "australia-southeast1",
    "australia-southeast2",
    "europe-central2",
    "europe-north1",
    "europe-north2",
    "europe-southwest1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "europe-west6",
    "europe-west8",
    "europe-west9",
    "europe-west10",
    "europe-west12",
    "me-central1",
    "me-central2",
    "me-west1",
    "northamerica-northeast1",
    "northamerica-northeast2",
    "northamerica-south1",
    "southamerica-east1",
    "southamerica-west1",
    "us-central1",
    "us-east1",
    "us-east4",
    "us-east5",
    "us-south1",
    "us-west1",
    "us-west2",
    "us-west3",
    "us-west4",
)

# Fargate accepts only these (cpu units -> memory MiB) combinations.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

# Cloud Run: allowed CPU values and the memory range (MiB) each allows.
CLOUD_RUN_CPU_MEMORY: dict[float, tuple[int, int]] = {
    0.25: (128, 512),
    0.5: (128, 1024),
    1: (128, 4096),
    2: (128, 8192),
    4: (2048, 16384),
    6: (4096, 24576),
    8: (4096, 32768),
}


def hosted_kinds(target: str) -> frozenset[str]:
    """The component kinds ``target`` (compose, aws, gcp, hybrid) deploys: the keys of its kind rules."""
    return rules.hosted_kinds(target)


HOSTED_KINDS: dict[str, frozenset[str]] = {t: hosted_kinds(t) for t in ("compose", "aws", "gcp", "hybrid")}
COMPOSE_KINDS = HOSTED_KINDS["compose"]


# The technologies each target builds a warehouse or a queue as, named as a user would name them. A component
# naming another one (Redshift, ClickHouse, Druid, Kafka...) would be built as something else: validation
# refuses it with these alternatives, or the component runs that technology itself (a service with its image).
BUILT_TECHNOLOGIES: dict[tuple[str, str], tuple[str, ...]] = {
    # compose runs the app's embedded DuckDB over the lake's Parquet for either cloud warehouse
    ("warehouse", "compose"): ("duckdb", "parquet", "athena", "bigquery"),
    ("warehouse", "aws"): ("athena", "duckdb", "parquet", "glue"),
    ("warehouse", "gcp"): ("bigquery", "biglake", "duckdb", "parquet"),
    ("queue", "compose"): ("sqs", "elasticmq", "pub/sub", "pubsub"),
    ("queue", "aws"): ("sqs",),
    ("queue", "gcp"): ("pub/sub", "pubsub"),
}
PRODUCTS = {
    ("warehouse", "aws"): "Athena",
    ("warehouse", "gcp"): "BigQuery",
    ("warehouse", "compose"): "DuckDB",
    ("queue", "aws"): "SQS",
    ("queue", "gcp"): "Pub/Sub",
    ("queue", "compose"): "ElasticMQ",
}


def substitution_problem(kind: str, technology: str | None, target: str) -> str | None:
    """Why ``target`` cannot build a ``kind`` of ``technology`` as named, or None when it can."""
    built = BUILT_TECHNOLOGIES.get((kind, target))
    tech = (technology or "").strip().lower()
    if built is None or not tech or tech in built:
        return None
    return (
        f"{target} builds a {kind} as {PRODUCTS[(kind, target)]}, not {technology}: it would be built as something "
        f"else. Use technology: {' or '.join(built[:2])}, or run {technology} itself as a service with its image"
    )


PRODUCTION_NAMES = ("prod", "production")


def production(env: str, settings: Any) -> bool:
    """A production environment: named prod/production, or protected from deletion (what the planners call prod-like).

    Production serves public endpoints over HTTPS only (validation) and behind a web application firewall (plans).
    """
    return env in PRODUCTION_NAMES or bool(settings.deletion_protection)


def fargate_size_problem(cpu_vcpu: float, memory_mib: int) -> str | None:
    """Why Fargate would reject this size, or None when it accepts it."""
    units = round(cpu_vcpu * 1024)
    if units not in FARGATE_SIZES:
        allowed = ", ".join(str(u / 1024).rstrip("0").rstrip(".") for u in FARGATE_SIZES)
        return f"Fargate has no {cpu_vcpu} vCPU size; use one of {allowed}"
    if memory_mib not in FARGATE_SIZES[units]:
        options = FARGATE_SIZES[units]
        return (
            f"Fargate with {cpu_vcpu} vCPU takes {options[0]}-{options[-1]} MiB of memory in steps of "
            f"{options[1] - options[0] if len(options) > 1 else options[0]} MiB, not {memory_mib}"
        )
    return None


def lambda_size_problem(memory_mib: int) -> str | None:
    """Why Lambda would reject this memory size (its CPU follows memory), or None when it accepts it."""
    if not 128 <= memory_mib <= 10240:
        return f"Lambda takes 128-10240 MiB of memory, not {memory_mib}"
    return None


def cloud_run_size_problem(cpu_vcpu: float, memory_mib: int) -> str | None:
    """Why Cloud Run would reject this size, or None when it accepts it."""
    if cpu_vcpu not in CLOUD_RUN_CPU_MEMORY:
        allowed = ", ".join(str(c).rstrip("0").rstrip(".") for c in CLOUD_RUN_CPU_MEMORY)
        return f"Cloud Run has no {cpu_vcpu} vCPU size; use one of {allowed}"
    low, high = CLOUD_RUN_CPU_MEMORY[cpu_vcpu]
    if not low <= memory_mib <= high:
        return f"Cloud Run with {cpu_vcpu} vCPU takes {low}-{high} MiB of memory, not {memory_mib}"
    return None
