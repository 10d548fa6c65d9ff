"""What each kind is on GCP: one ``KindRule`` per kind (see ``stacks.rules``).

Builders live in ``stacks/plan/gcp.py``; the hybrid target uses this table for the
components it places on GCP.
"""

from __future__ import annotations

from stacks.rules.base import KindRule, Look, NameCheck

D = "diagrams."
PLAN = "stacks.plan.gcp:"
STORES = "stacks.plan.gcp_stores:"
RUN = Look(D + "gcp.compute.Run", "Cloud Run service")
WORKLOAD_NAMES = (NameCheck("cloud_run"), NameCheck("gcp_service_account", form="account"))
HTTP_NAMES = (*WORKLOAD_NAMES, NameCheck("gcp_resource", suffix="redirect"))  # the longest load balancer part

RULES: dict[str, KindRule] = {
    rule.key: rule
    for rule in (
        KindRule(
            "service",
            "Cloud Run service (behind the HTTPS load balancer with Cloud Armor when public with a domain)",
            RUN,
            PLAN + "build_service",
            {"url": "https://<service name>-<project number>.<region>.run.app (Cloud Run URL)"},
            names=HTTP_NAMES,
            grants="roles/run.invoker on it for the caller's service account only (calls carry an ID token)",
        ),
        KindRule(
            "frontend",
            "Cloud Run service, like a service",
            RUN,
            PLAN + "build_service",
            {"url": "https://<service name>-<project number>.<region>.run.app (Cloud Run URL)"},
            names=HTTP_NAMES,
            grants="roles/run.invoker on it for the caller's service account only (calls carry an ID token)",
        ),
        KindRule(
            "frontend",
            "static site: Cloud Storage bucket (uniform access, encrypted) as a Cloud CDN backend bucket of the "
            "global HTTPS load balancer; the URL map sends the API path to the API's Cloud Run NEG; CSP and "
            "security headers on the backend bucket",
            Look(D + "gcp.network.CDN", "Cloud CDN + Cloud Storage bucket"),
            "stacks.plan.gcp_static:build_static_site",
            {"url": "https://<domain> (the load balancer's; the stack's environment domain)"},
            grants="nothing beyond the URL: static files served to anyone",
            names=(NameCheck("gcs_bucket"), NameCheck("gcp_resource", suffix="redirect")),
            phase=3,
            mode="static",
        ),
        KindRule(
            "worker",
            "Cloud Run service (internal ingress, CPU always on)",
            RUN,
            PLAN + "build_service",
            {},
            names=WORKLOAD_NAMES,
        ),
        KindRule(
            "job",
            "Cloud Run job: run on demand (`gcloud run jobs execute`), on its schedule (Cloud Scheduler) "
            "or on new lake files",
            Look(D + "gcp.compute.Run", "Cloud Run job"),
            PLAN + "build_job",
            {},
            names=WORKLOAD_NAMES,
        ),
        KindRule(
            "function",
            "Cloud Run service invoked by its triggers (Cloud Scheduler, Pub/Sub push, GCS notifications; OIDC)",
            Look(D + "gcp.compute.Run", "Cloud Run service (function)"),
            "stacks.plan.gcp_functions:build_function",
            {},
            names=WORKLOAD_NAMES,
        ),
        KindRule(
            "gateway",
            "global external HTTPS load balancer: a URL map routing each path prefix to its Cloud Run service "
            "(serverless NEGs), Cloud Armor per-client rate limiting and OWASP rules (API Gateway is not in the "
            "google provider, only google-beta)",
            Look(D + "gcp.network.LoadBalancing", "HTTPS load balancer + Cloud Armor"),
            "stacks.plan.gcp_gateway:build_gateway",
            {"url": "https://<gateway id>.<domain> (http://<address> without a domain)"},
            grants="nothing beyond the URL: requests go through the gateway's routes and rate limit",
            phase=1,
            level=1,
            names=(NameCheck("gcp_resource", suffix="redirect"),),
            unsupported={
                "auth.type=api_key": "the HTTPS load balancer checks no API keys, and a key in a Cloud Armor rule "
                "would be plain text in the plan: use auth type none on gcp and check keys in the service",
                "auth.type=jwt": "the HTTPS load balancer verifies no JWTs (API Gateway would, but it is in "
                "google-beta only): use auth type none on gcp and verify tokens in the service",
                "public=false": "the gateway is a global external load balancer, reachable from the internet: keep "
                "public: true, or let callers reach the services directly (their Cloud Run URLs)",
            },
        ),
        KindRule(
            "bucket",
            "Cloud Storage bucket: encrypted at rest (Google-managed keys), versioned, uniform access, public access "
            "prevented",
            Look(D + "gcp.storage.Storage", "Cloud Storage bucket"),
            PLAN + "build_bucket",
            {
                "name": "the bucket's name",
                "uri": "gs://<name>/",
                "endpoint": "https://storage.googleapis.com",
                "region": "the stack's region",
            },
            grants="the workload's service account: roles/storage.objectUser on this bucket",
            phase=0,
            level=1,
            names=(NameCheck("gcs_bucket"),),
        ),
        KindRule(
            "warehouse",
            "BigQuery dataset (BigLake tables over the lake, made by the ingest job)",
            Look(D + "gcp.analytics.Bigquery", "BigQuery dataset"),
            PLAN + "build_warehouse",
            {
                "engine": "bigquery",
                "name": "the BigQuery dataset id",
                "project": "the stack's GCP project",
                "location": "the stack's region",
                "uri": "gs://<lake bucket>/tables/ (hybrid: s3://<lake bucket>/tables/ on AWS)",
                "tables_uri": "gs://<lake bucket>/tables/ (hybrid: the GCS mirror's)",
                "workgroup": "empty",
                "results_uri": "empty",
                "connection": "the BigLake connection",
                "credentials": "empty on GCP; hybrid, for a workload on AWS: the SSM parameter with its "
                "Workload Identity Federation config",
            },
            grants="dataViewer (dataEditor and connection delegate for the ingest job) on the dataset, jobUser "
            "on the project",
            phase=1,
            level=3,
            names=(
                NameCheck("bigquery_dataset", form="sql"),
                NameCheck("workload_pool", form="pool", hybrid_only=True),
            ),
        ),
        KindRule(
            "database",
            "Cloud SQL instance: private IP on the stack's VPC, IAM database auth, backups + PITR, HA as asked",
            Look(D + "gcp.database.SQL", "Cloud SQL PostgreSQL"),
            STORES + "build_database",
            {
                "host": "the instance's private IP",
                "port": "5432 or 3306",
                "name": "the id as a SQL name",
                "user": "the workload's own IAM database user (its service account)",
                "url": "postgresql:// or mysql:// URL with that user",
                "password": "empty: IAM database authentication (short-lived tokens)",
                "instance": "the Cloud SQL connection name",
                "read_hosts": "the read replicas' private IPs, comma-separated",
                "ca_cert": "the instance's server CA certificate",
            },
            grants="Direct VPC egress into the stack's network; cloudsql.client and instanceUser on this instance "
            "only; an IAM database user for the workload",
            phase=0,
            level=3,
            variants={"mysql": Look(D + "gcp.database.SQL", "Cloud SQL MySQL")},
            names=(NameCheck("cloud_sql", flag="read_replicas", flag_suffix="-replica-{value}"),),
        ),
        KindRule(
            "cache",
            "Memorystore for Redis on the stack's VPC: AUTH required, TLS in transit, AUTH string in Secret Manager",
            Look(D + "gcp.database.Memorystore", "Memorystore for Redis"),
            STORES + "build_cache",
            {
                "host": "the instance's private address",
                "port": "6379",
                "url": "rediss://<host>:6379/0",
                "user": "empty",
                "password": "the AUTH string from Secret Manager, by reference",
                "ca_cert": "the instance's server CA certificate",
            },
            grants="Direct VPC egress into the stack's network; secretAccessor on the AUTH secret",
            phase=0,
            level=3,
            names=(NameCheck("memorystore"),),
        ),
        KindRule(
            "queue",
            "Pub/Sub topic with a subscription and a dead-letter topic",
            Look(D + "gcp.analytics.Pubsub", "Pub/Sub topic"),
            PLAN + "build_queue",
            {
                "name": "the topic's name",
                "url": "the topic id (projects/<project>/topics/<name>)",
                "subscription": "the subscription id",
            },
            grants="the workload's service account: publisher on the topic, subscriber on the subscription",
            phase=0,
            level=2,
        ),
    )
}
