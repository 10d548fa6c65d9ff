"""What each component kind (and technology) looks like on each target: one table per target.

``KIND_TABLES[target]`` maps ``(kind, technology)`` to a ``Look``: the ``diagrams``
node class drawn (a dotted import path, so the views never import ``diagrams``)
and the product a reader knows it as on that target. Lookups try the exact
``(kind, technology)`` first, then ``(kind, None)``; a new kind is one entry per
table. ``RESOURCE_TABLES[provider]`` maps cloud resource types (Pulumi type tokens
such as ``aws:ecs/service:Service``) to node classes for the views drawn from
cloud plans; add a token with one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from stacks import catalog, rules
from stacks.errors import StacksError
from stacks.model import AnyComponent


@dataclass(frozen=True)
class Look:
    icon: str  # "diagrams.onprem.database.Duckdb"
    product: str = ""  # "Athena over Glue tables"


D = "diagrams."

# The technology-neutral look, used by the system, containers and dataflow views.
LOGICAL: dict[tuple[str, str | None], Look] = {
    ("user", None): Look(D + "onprem.client.Users", "people"),
    ("external", None): Look(D + "onprem.network.Internet", "external system"),
    ("frontend", None): Look(D + "onprem.client.Client", "web frontend"),
    ("frontend", "react"): Look(D + "programming.framework.React", "React app"),
    ("frontend", "vue"): Look(D + "programming.framework.Vue", "Vue app"),
    ("frontend", "angular"): Look(D + "programming.framework.Angular", "Angular app"),
    ("frontend", "next.js"): Look(D + "programming.framework.Nextjs", "Next.js app"),
    ("frontend", "svelte"): Look(D + "programming.framework.Svelte", "Svelte app"),
    ("service", None): Look(D + "onprem.compute.Server", "service"),
    ("service", "fastapi"): Look(D + "programming.framework.Fastapi", "FastAPI service"),
    ("service", "flask"): Look(D + "programming.framework.Flask", "Flask service"),
    ("service", "django"): Look(D + "programming.framework.Django", "Django service"),
    ("service", "starlette"): Look(D + "programming.framework.Starlette", "Starlette service"),
    ("service", "spring"): Look(D + "programming.framework.Spring", "Spring service"),
    ("service", "node.js"): Look(D + "programming.language.Nodejs", "Node.js service"),
    ("service", "go"): Look(D + "programming.language.Go", "Go service"),
    ("worker", None): Look(D + "onprem.compute.Server", "worker"),
    ("worker", "celery"): Look(D + "onprem.queue.Celery", "Celery worker"),
    ("worker", "python"): Look(D + "programming.language.Python", "Python worker"),
    ("job", None): Look(D + "onprem.compute.Server", "job"),
    ("job", "python"): Look(D + "programming.language.Python", "Python job"),
    ("job", "bash"): Look(D + "programming.language.Bash", "shell job"),
    ("function", None): Look(D + "generic.compute.Rack", "function"),
    ("gateway", None): Look(D + "generic.network.Router", "API gateway"),
    ("bucket", None): Look(D + "generic.storage.Storage", "object storage"),
    ("warehouse", None): Look(D + "generic.database.SQL", "SQL warehouse"),
    ("warehouse", "duckdb"): Look(D + "onprem.database.Duckdb", "DuckDB"),
    ("warehouse", "clickhouse"): Look(D + "onprem.database.Clickhouse", "ClickHouse"),
    ("warehouse", "trino"): Look(D + "onprem.analytics.Trino", "Trino"),
    ("warehouse", "bigquery"): Look(D + "gcp.analytics.Bigquery", "BigQuery"),
    ("warehouse", "athena"): Look(D + "aws.analytics.Athena", "Athena"),
    ("warehouse", "redshift"): Look(D + "aws.analytics.Redshift", "Redshift"),
    ("database", None): Look(D + "generic.database.SQL", "SQL database"),
    ("database", "postgres"): Look(D + "onprem.database.Postgresql", "PostgreSQL"),
    ("database", "postgresql"): Look(D + "onprem.database.Postgresql", "PostgreSQL"),
    ("database", "mysql"): Look(D + "onprem.database.Mysql", "MySQL"),
    ("cache", None): Look(D + "onprem.inmemory.Redis", "Redis"),
    ("cache", "memcached"): Look(D + "onprem.inmemory.Memcached", "Memcached"),
    ("queue", None): Look(D + "onprem.queue.Rabbitmq", "message queue"),
    ("queue", "kafka"): Look(D + "onprem.queue.Kafka", "Kafka"),
    ("queue", "nats"): Look(D + "onprem.queue.Nats", "NATS"),
    ("queue", "sqs"): Look(D + "aws.integration.SimpleQueueServiceSqsQueue", "SQS"),
    ("queue", "pub/sub"): Look(D + "gcp.analytics.Pubsub", "Pub/Sub"),
}

# The local docker compose stack (stand-ins as the compose generator runs them).
COMPOSE: dict[tuple[str, str | None], Look] = {
    ("frontend", None): Look(D + "onprem.container.Docker", "container"),
    ("service", None): Look(D + "onprem.container.Docker", "container"),
    ("worker", None): Look(D + "onprem.container.Docker", "container"),
    ("job", None): Look(D + "onprem.container.Docker", "one-shot container"),
    ("function", None): Look(D + "onprem.container.Docker", "container on its port"),
    ("bucket", None): Look(D + "generic.storage.Storage", "MinIO (S3 API)"),
    ("warehouse", None): Look(D + "onprem.database.Duckdb", "DuckDB on a named volume"),
    ("database", None): Look(D + "onprem.database.Postgresql", "postgres container"),
    ("database", "mysql"): Look(D + "onprem.database.Mysql", "mysql container"),
    ("cache", None): Look(D + "onprem.inmemory.Redis", "redis container"),
    ("cache", "memcached"): Look(D + "onprem.inmemory.Memcached", "memcached container"),
    ("queue", None): Look(D + "aws.integration.SimpleQueueServiceSqsQueue", "ElasticMQ (SQS API)"),
}

AWS: dict[tuple[str, str | None], Look] = {
    ("frontend", None): Look(D + "aws.compute.Fargate", "ECS Fargate service"),
    ("service", None): Look(D + "aws.compute.Fargate", "ECS Fargate service"),
    ("worker", None): Look(D + "aws.compute.Fargate", "ECS Fargate service"),
    ("job", None): Look(D + "aws.compute.ElasticContainerServiceTask", "ECS Fargate task"),
    ("function", None): Look(D + "aws.compute.Lambda", "Lambda function"),
    ("bucket", None): Look(D + "aws.storage.SimpleStorageServiceS3Bucket", "S3 bucket"),
    ("warehouse", None): Look(D + "aws.analytics.Athena", "Athena over Glue tables"),
    ("database", None): Look(D + "aws.database.RDSPostgresqlInstance", "RDS PostgreSQL"),
    ("database", "mysql"): Look(D + "aws.database.RDSMysqlInstance", "RDS MySQL"),
    ("cache", None): Look(D + "aws.database.ElasticacheForRedis", "ElastiCache Redis"),
    ("cache", "memcached"): Look(D + "aws.database.ElasticacheForMemcached", "ElastiCache Memcached"),
    ("queue", None): Look(D + "aws.integration.SimpleQueueServiceSqsQueue", "SQS queue"),
}

GCP: dict[tuple[str, str | None], Look] = {
    ("frontend", None): Look(D + "gcp.compute.Run", "Cloud Run service"),
    ("service", None): Look(D + "gcp.compute.Run", "Cloud Run service"),
    ("worker", None): Look(D + "gcp.compute.Run", "Cloud Run service"),
    ("job", None): Look(D + "gcp.compute.Run", "Cloud Run job"),
    ("function", None): Look(D + "gcp.compute.Run", "Cloud Run service (function)"),
    ("bucket", None): Look(D + "gcp.storage.Storage", "GCS bucket"),
    ("warehouse", None): Look(D + "gcp.analytics.Bigquery", "BigQuery dataset"),
    ("database", None): Look(D + "gcp.database.SQL", "Cloud SQL PostgreSQL"),
    ("database", "mysql"): Look(D + "gcp.database.SQL", "Cloud SQL MySQL"),
    ("cache", None): Look(D + "gcp.database.Memorystore", "Memorystore"),
    ("queue", None): Look(D + "gcp.analytics.Pubsub", "Pub/Sub topic"),
}

KIND_TABLES: dict[str, dict[tuple[str, str | None], Look]] = {
    "logical": LOGICAL,
    "compose": COMPOSE,
    "aws": AWS,
    "gcp": GCP,
}

# Cloud resource types (Pulumi type tokens) -> node class, for views drawn from cloud plans.
AWS_RESOURCES: dict[str, str] = {t: f.icon for t, f in catalog.aws.TYPES.items()}

# A type no entry names falls back to its service module's icon (every aws:s3/... is S3).
AWS_MODULES: dict[str, str] = {
    "s3": D + "aws.storage.SimpleStorageServiceS3Bucket",
    "ec2": D + "aws.network.VPC",
    "vpc": D + "aws.network.VPC",
    "ecs": D + "aws.compute.ElasticContainerService",
    "ecr": D + "aws.compute.EC2ContainerRegistry",
    "lb": D + "aws.network.ElbApplicationLoadBalancer",
    "iam": D + "aws.security.IdentityAndAccessManagementIam",
    "kms": D + "aws.security.KeyManagementService",
    "sns": D + "aws.integration.SimpleNotificationServiceSns",
    "cloudwatch": D + "aws.management.Cloudwatch",
    "glue": D + "aws.analytics.Glue",
    "athena": D + "aws.analytics.Athena",
    "acm": D + "aws.security.CertificateManager",
    "route53": D + "aws.network.Route53",
    "cloudfront": D + "aws.network.CloudFront",
    "wafv2": D + "aws.security.WAF",
    "apigatewayv2": D + "aws.network.APIGateway",
    "servicediscovery": D + "aws.network.CloudMap",
    "appautoscaling": D + "aws.compute.ApplicationAutoScaling",
}

GCP_RESOURCES: dict[str, str] = {t: f.icon for t, f in catalog.gcp.TYPES.items()}

GCP_MODULES: dict[str, str] = {
    "storage": D + "gcp.storage.Storage",
    "bigquery": D + "gcp.analytics.Bigquery",
    "cloudrunv2": D + "gcp.compute.Run",
    "compute": D + "gcp.network.LoadBalancing",
    "iam": D + "gcp.security.Iam",
    "serviceaccount": D + "gcp.security.Iam",
    "projects": D + "gcp.security.Iam",
    "kms": D + "gcp.security.KeyManagementService",
    "secretmanager": D + "gcp.security.SecretManager",
    "logging": D + "gcp.operations.Logging",
    "monitoring": D + "gcp.operations.Monitoring",
    "artifactregistry": D + "gcp.devtools.ContainerRegistry",
    "dns": D + "gcp.network.DNS",
    "sql": D + "gcp.database.SQL",
    "redis": D + "gcp.database.Memorystore",
}

# Image builds and other non-cloud providers a plan may contain.
OTHER_RESOURCES: dict[str, str] = {
    "docker-build:index:Image": D + "onprem.container.Docker",
    "docker:index/image:Image": D + "onprem.container.Docker",
}

RESOURCE_TABLES: dict[str, dict[str, str]] = {
    "aws": AWS_RESOURCES,
    "gcp": GCP_RESOURCES,
    "docker-build": OTHER_RESOURCES,
    "docker": OTHER_RESOURCES,
}
MODULE_TABLES: dict[str, dict[str, str]] = {"aws": AWS_MODULES, "gcp": GCP_MODULES}
# Drawn for a resource type no table names yet: still a node, never a crash.
RESOURCE_FALLBACK: dict[str, str] = {"aws": D + "aws.general.General", "gcp": D + "gcp.compute.ComputeEngine"}
GENERIC_FALLBACK = D + "generic.blank.Blank"


def technology_key(component: AnyComponent) -> str | None:
    """The technology a look is chosen by: the declared one, else an engine setting."""
    tech: str | None = component.technology or getattr(component, "engine", None)
    return tech.strip().lower() if tech else None


def look(target: str, component: AnyComponent) -> Look:
    """The look of a model component on ``target`` ("logical", "compose", "aws", "gcp")."""
    table = KIND_TABLES.get(target)
    if table is None:
        raise StacksError(f"no node table for target '{target}'", hint=f"Tables: {', '.join(sorted(KIND_TABLES))}.")
    kind = component.kind
    mode = getattr(component, "mode", "")
    mode_rule = rules.rule(target, kind, mode) if mode and target in rules.TARGETS else None
    if mode_rule is not None:  # a mode of the kind (a static site) is drawn as its own rule says
        return Look(mode_rule.look.icon, mode_rule.look.product)
    tech = technology_key(component)
    found = table.get((kind, tech)) or table.get((kind, None))
    rule = rules.rule(target, kind) if target in rules.TARGETS else None
    if found is None and rule is not None:  # a kind drawn as its rule says (stacks/rules/<target>.py)
        ruled = rule.look_for(component)
        found = Look(ruled.icon, ruled.product)
    if found is None and target != "logical":
        found = look("logical", component)
    if found is None:
        raise StacksError(
            f"no '{target}' look for component kind '{kind}'",
            hint=f"Add an entry ('{kind}', None) to architecture/nodes.py.",
        )
    return found


def resource_icon(type_token: str) -> str:
    """The node class for a cloud resource type such as ``aws:ecs/service:Service``."""
    provider, _, rest = type_token.partition(":")
    module = rest.split("/", 1)[0].split(":", 1)[0]
    return (
        RESOURCE_TABLES.get(provider, {}).get(type_token)
        or MODULE_TABLES.get(provider, {}).get(module)
        or RESOURCE_FALLBACK.get(provider, GENERIC_FALLBACK)
    )
