"""What each kind is on AWS: one ``KindRule`` per kind (see ``stacks.rules``).

Builders live in ``stacks/plan/aws.py``; the hybrid target uses this table for the
components it places on AWS.
"""

from __future__ import annotations

from stacks.rules.base import KindRule, Look, NameCheck

D = "diagrams."
PLAN = "stacks.plan.aws:"
FARGATE = Look(D + "aws.compute.Fargate", "ECS Fargate service")
# Every workload: its task role, and (hybrid) the GCP service account it acts as through federation.
WORKLOAD_NAMES = (
    NameCheck("iam_role", suffix="execution"),
    NameCheck("gcp_service_account", form="account", hybrid_only=True),
)
HTTP_NAMES = (NameCheck("alb"), *WORKLOAD_NAMES)
SERVICE_RUNS_AS = "ECS Fargate service in private subnets"

RULES: dict[str, KindRule] = {
    rule.key: rule
    for rule in (
        KindRule(
            "service",
            SERVICE_RUNS_AS + " (behind an ALB when public)",
            FARGATE,
            PLAN + "build_service",
            {"url": "http://<id>.<system>-<env>.internal:<port> (Cloud Map, A and SRV records)"},
            names=HTTP_NAMES,
            grants="security-group ingress on its port from the caller's tasks (and egress from them), a Cloud Map "
            "entry the caller resolves",
        ),
        KindRule(
            "frontend",
            SERVICE_RUNS_AS + " (behind an ALB when public)",
            FARGATE,
            PLAN + "build_service",
            {"url": "http://<id>.<system>-<env>.internal:<port> (Cloud Map, A and SRV records)"},
            names=HTTP_NAMES,
            grants="security-group ingress on its port from the caller's tasks (and egress from them), a Cloud Map "
            "entry the caller resolves",
        ),
        KindRule(
            "frontend",
            "static site: private S3 bucket (encrypted, public access blocked) read only by CloudFront through "
            "origin access control; the API path routed to the API's load balancer; CSP and security headers",
            Look(D + "aws.network.CloudFront", "CloudFront + S3 bucket"),
            "stacks.plan.aws_static:build_static_site",
            {"url": "https://<domain> (CloudFront; the stack's environment domain)"},
            grants="nothing beyond the URL: static files served to anyone",
            names=(NameCheck("s3_bucket"),),
            phase=3,
            mode="static",
        ),
        KindRule(
            "worker", SERVICE_RUNS_AS + ", no load balancer", FARGATE, PLAN + "build_service", {}, names=WORKLOAD_NAMES
        ),
        KindRule(
            "job",
            "ECS Fargate task: run on demand (`aws ecs run-task`), on its schedule (EventBridge Scheduler) "
            "or on new lake files",
            Look(D + "aws.compute.ElasticContainerServiceTask", "ECS Fargate task"),
            PLAN + "build_job",
            {},
            names=WORKLOAD_NAMES,
        ),
        KindRule(
            "function",
            "Lambda function from the component's image (tracing, KMS-encrypted env, dead-letter queue), run by its "
            "triggers (EventBridge schedule, SQS mapping, S3 events)",
            Look(D + "aws.compute.Lambda", "Lambda function"),
            "stacks.plan.aws_functions:build_function",
            {},
            names=WORKLOAD_NAMES,
        ),
        KindRule(
            "gateway",
            "API Gateway HTTP API: access-logged stage with throttling, JWT authorizer when asked, services through a "
            "VPC link and Cloud Map, functions through Lambda proxy integrations (no WAF: HTTP APIs take none)",
            Look(D + "aws.network.APIGateway", "API Gateway HTTP API"),
            "stacks.plan.aws_gateway:build_gateway",
            {"url": "the stage's invoke URL (https://<api id>.execute-api.<region>.amazonaws.com)"},
            grants="nothing beyond the URL: requests go through the gateway's routes, auth and throttling",
            phase=1,
            level=1,
            unsupported={
                "auth.type=api_key": "API Gateway HTTP APIs have no API keys (usage plans belong to REST APIs): "
                "use auth type jwt on aws, or run the gateway on compose",
                "public=false": "API Gateway HTTP APIs are always reachable from the internet (private APIs are REST "
                "APIs): keep public: true with auth type jwt, or let callers reach the service directly",
            },
        ),
        KindRule(
            "bucket",
            "S3 bucket: KMS-encrypted, versioned, TLS-only, public access blocked, access-logged",
            Look(D + "aws.storage.SimpleStorageServiceS3Bucket", "S3 bucket"),
            PLAN + "build_bucket",
            {
                "name": "the S3 bucket's name",
                "uri": "s3://<name>/",
                "endpoint": "https://s3.<region>.amazonaws.com",
                "region": "the stack's region",
            },
            grants="task role: list the bucket, read/write/delete its objects; the stack key to decrypt",
            phase=0,
            level=1,
            names=(
                NameCheck("s3_bucket"),
                NameCheck("gcs_bucket", hybrid_only=True),  # its GCS mirror when a GCP warehouse reads it
                NameCheck("iam_role", suffix="transfer", hybrid_only=True),
            ),
        ),
        KindRule(
            "warehouse",
            "Athena workgroup over Glue tables on the lake's Parquet, with a query-results bucket",
            Look(D + "aws.analytics.Athena", "Athena over Glue tables"),
            PLAN + "build_warehouse",
            {
                "engine": "athena",
                "name": "the Glue database",
                "project": "empty",
                "location": "the stack's region",
                "uri": "s3://<lake bucket>/tables/ (the results bucket's without a lake)",
                "tables_uri": "the same as uri",
                "workgroup": "the Athena workgroup",
                "results_uri": "s3://<results bucket>/results/",
                "connection": "empty",
                "credentials": "empty",
            },
            grants="task role: Athena queries in the workgroup, the Glue database's tables, the lake and results "
            "buckets",
            phase=1,
            level=3,
            names=(NameCheck("s3_bucket", suffix="results", base="system"),),
        ),
        KindRule(
            "database",
            "RDS PostgreSQL or MySQL instance in private subnets: KMS-encrypted, IAM auth, managed password",
            Look(D + "aws.database.RDSPostgresqlInstance", "RDS PostgreSQL"),
            PLAN + "build_database",
            {
                "host": "the RDS instance's address",
                "port": "5432 or 3306",
                "name": "the id as a SQL name",
                "user": "app",
                "url": "postgresql:// or mysql:// URL without the password",
                "password": "an ECS secret from the RDS-managed Secrets Manager secret's password key",
                "instance": "empty",
                "read_hosts": "empty",
                "ca_cert": "empty (RDS certificates chain to the RDS CA bundle)",
            },
            grants="security-group ingress on the database port from the workload's tasks; rds-db:connect as app",
            phase=0,
            level=3,
            variants={"mysql": Look(D + "aws.database.RDSMysqlInstance", "RDS MySQL")},
        ),
        KindRule(
            "cache",
            "ElastiCache Redis replication group (TLS, IAM auth) or Memcached cluster in private subnets",
            Look(D + "aws.database.ElasticacheForRedis", "ElastiCache Redis"),
            PLAN + "build_cache",
            {
                "host": "the ElastiCache endpoint",
                "port": "6379 or 11211",
                "url": "rediss://<host>:6379/0 (TLS) or memcached://<host>:11211",
                "user": "the Redis RBAC user (IAM auth); empty for Memcached",
                "password": "empty (IAM authentication)",
                "ca_cert": "empty (public roots)",
            },
            grants="security-group ingress on the cache port from the workload's tasks; elasticache:Connect",
            phase=0,
            level=3,
            variants={"memcached": Look(D + "aws.database.ElasticacheForMemcached", "ElastiCache Memcached")},
        ),
        KindRule(
            "queue",
            "SQS queue with a dead-letter queue, KMS-encrypted",
            Look(D + "aws.integration.SimpleQueueServiceSqsQueue", "SQS queue"),
            PLAN + "build_queue",
            {"name": "the SQS queue's name", "url": "the SQS queue URL", "subscription": "the SQS queue URL"},
            grants="task role: send, receive, delete messages on the queue",
            phase=0,
            level=2,
            names=(NameCheck("sqs", suffix="dlq", base="system", flag="fifo", flag_suffix=".fifo"),),
        ),
    )
}
