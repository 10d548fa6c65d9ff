"""What each kind is under docker compose: one ``KindRule`` per kind (see ``stacks.rules``).

Builders live in ``deploy/compose/local.py``; workloads are built there by the
shared workload builder (``build=None``).
"""

from __future__ import annotations

from stacks.rules.base import KindRule, Look

D = "diagrams."
LOCAL = "deploy.compose.local:"
CONTAINER = Look(D + "onprem.container.Docker", "container")

RULES: dict[str, KindRule] = {
    rule.key: rule
    for rule in (
        KindRule(
            "service",
            "the built (or named) image; dev: source bind-mounted with reload; prod: hardened, healthchecked",
            CONTAINER,
            None,
            {"url": "http://<service name>:<port>"},
            grants="a start after it is healthy (or started)",
        ),
        KindRule(
            "frontend",
            "the built (or named) image, like a service",
            CONTAINER,
            None,
            {"url": "http://<service name>:<port>"},
            grants="a start after it is healthy (or started)",
        ),
        KindRule(
            "frontend",
            "static site: prod serves the built files with hardened nginx (CSP and security headers) proxying the "
            "API path to the API; dev runs the dev server with hot reload on the bind-mounted source",
            Look(D + "onprem.network.Nginx", "nginx (static files)"),
            LOCAL + "static_site_stand_in",
            {"url": "http://<service name>:<port>"},
            grants="a start after it is up",
            phase=3,
            mode="static",
        ),
        KindRule("worker", "the built image, no port, restarted when it exits (prod)", CONTAINER, None, {}),
        KindRule(
            "job",
            "a one-shot container: before its `before:` targets, else on demand (`docker compose run`)",
            Look(D + "onprem.container.Docker", "one-shot container"),
            None,
            {},
        ),
        KindRule(
            "function",
            "its image as a container answering on its port; triggers: invoke it by hand",
            CONTAINER,
            None,
            {},
        ),
        KindRule(
            "gateway",
            "an nginx container routing each path prefix to its component, per-client rate limiting (limit_req), "
            "the API key checked against a compose secret",
            Look(D + "onprem.network.Nginx", "nginx gateway"),
            "deploy.compose.gateway:gateway_stand_in",
            {"url": "http://<gateway service>:8080"},
            grants="a start after the gateway is up (requests go through its routes, auth and rate limit)",
            phase=1,
            level=1,
        ),
        KindRule(
            "bucket",
            "MinIO (S3 API) plus a one-shot `mc mb` job that creates the bucket",
            Look(D + "generic.storage.Storage", "MinIO (S3 API)"),
            LOCAL + "bucket_stand_in",
            {
                "name": "the bucket `mc mb` creates (<system>-<id>-<env>)",
                "uri": "s3://<name>/",
                "endpoint": "http://<minio service>:9000",
                "region": "us-east-1 (MinIO's default)",
            },
            grants="a start after the bucket exists; MinIO's keys are compose secrets of the MinIO service",
            phase=0,
        ),
        KindRule(
            "warehouse",
            "DuckDB inside the workload: a named volume mounted by every connected workload",
            Look(D + "onprem.database.Duckdb", "DuckDB on a named volume"),
            LOCAL + "warehouse_stand_in",
            {
                "engine": "duckdb",
                "name": "the id as a SQL name",
                "project": "empty",
                "location": "empty",
                "uri": "s3://<lake bucket>/tables/ on MinIO, empty without a lake",
                "tables_uri": "the same as uri",
                "workgroup": "empty",
                "results_uri": "empty",
                "connection": "empty",
                "credentials": "empty",
            },
            grants="the warehouse volume mounted read-write",
            phase=1,
        ),
        KindRule(
            "database",
            "the `postgres` or `mysql` image, password from a compose secret file",
            Look(D + "onprem.database.Postgresql", "postgres container"),
            LOCAL + "database_stand_in",
            {
                "host": "the database service's name",
                "port": "5432 or 3306",
                "name": "the id as a SQL name",
                "user": "app",
                "url": "postgresql:// or mysql:// URL without the password",
                "password": "a compose secret: the file /run/secrets/<name>, named by <VAR>_FILE",
                "instance": "empty",
                "read_hosts": "empty",
                "ca_cert": "empty",
            },
            grants="a start after the database is healthy",
            phase=0,
            variants={"mysql": Look(D + "onprem.database.Mysql", "mysql container")},
        ),
        KindRule(
            "cache",
            "`redis` or `memcached`, memory-bounded like the cloud node",
            Look(D + "onprem.inmemory.Redis", "redis container"),
            LOCAL + "cache_stand_in",
            {
                "host": "the cache service's name",
                "port": "6379 or 11211",
                "url": "redis://<host>:6379/0 or memcached://<host>:11211",
                "user": "empty",
                "password": "empty (no AUTH locally)",
                "ca_cert": "empty (no TLS locally)",
            },
            grants="a start after the cache is up",
            phase=0,
            variants={"memcached": Look(D + "onprem.inmemory.Memcached", "memcached container")},
        ),
        KindRule(
            "queue",
            "ElasticMQ (SQS API) with the queue declared in its config",
            Look(D + "onprem.queue.Rabbitmq", "ElasticMQ container (SQS API)"),
            LOCAL + "queue_stand_in",
            {
                "name": "the queue's name (.fifo for FIFO queues)",
                "url": "http://<elasticmq service>:9324/queue/<name>",
                "subscription": "the same queue URL",
            },
            grants="a start after ElasticMQ is up",
            phase=0,
        ),
    )
}
