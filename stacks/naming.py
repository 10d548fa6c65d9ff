"""Cloud resource names derived from the model, and the rules each cloud puts on them.

Plans name resources with these functions and validation checks the same names,
so a name a cloud would refuse is caught by ``stacks validate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


def resource_name(system: str, component: str, environment: str, suffix: str = "") -> str:
    """The base name of a component's cloud resources: ``<system>-<component>-<env>[-suffix]``."""
    return "-".join(p for p in (system, component, environment, suffix) if p)


def system_prefix(system: str, stack_id: str, target: str) -> str:
    """The prefix of a deployable's cloud names.

    A hybrid stack deploys into the same AWS account and GCP project as the
    single-cloud stacks of the same environment, so its names carry the stack
    id (``shop-hybrid-lake-prod``) and never collide with ``shop-lake-prod``.
    """
    return f"{system}-{stack_id}" if target == "hybrid" else system


def service_account_id(
    component: str, environment: str, stack_id: str = "", target: str = "gcp", suffix: str = ""
) -> str:
    """A GCP service account id (6-30 characters): component and environment identify it in the project."""
    qualifier = stack_id if target == "hybrid" else ""
    return "-".join(p for p in (component, qualifier, environment, suffix) if p)


def secret_manager_id(secret: str) -> str:
    """The Secret Manager id of a model secret name: ids take no '/', so ``shop/api-key`` is ``shop-api-key``."""
    return secret.strip("/").replace("/", "-")


def sql_identifier(name: str) -> str:
    """A BigQuery dataset / Glue database name: letters, digits and underscores only."""
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


@dataclass(frozen=True)
class NameRule:
    what: str
    check: Callable[[str], str | None]


def _s3_bucket(name: str) -> str | None:
    if not 3 <= len(name) <= 63:
        return f"is {len(name)} characters; S3 bucket names take 3-63"
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", name):
        return "S3 bucket names take lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
    if ".." in name or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name) or name.startswith("xn--"):
        return "is not a valid S3 bucket name"
    if name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return "ends with a suffix S3 reserves"
    return None


def _gcs_bucket(name: str) -> str | None:
    if not 3 <= len(name) <= 63:
        return f"is {len(name)} characters; GCS bucket names take 3-63"
    if name.startswith("goog") or "google" in name:
        return "GCS bucket names may not start with 'goog' or contain 'google'"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*[a-z0-9]", name):
        return "GCS bucket names take lowercase letters, digits, '-' and '_'"
    return None


def _max_len(limit: int, service: str) -> Callable[[str], str | None]:
    def check(name: str) -> str | None:
        if len(name) > limit:
            return f"is {len(name)} characters; {service} names take at most {limit}"
        return None

    return check


def _cloud_run(name: str) -> str | None:
    if len(name) > 49:
        return f"is {len(name)} characters; Cloud Run service names take at most 49"
    if not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name):
        return "Cloud Run names take lowercase letters, digits and '-', starting with a letter"
    return None


def _gcp_service_account(name: str) -> str | None:
    if not 6 <= len(name) <= 30:
        return f"is {len(name)} characters; GCP service account ids take 6-30"
    if not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name):
        return "service account ids take lowercase letters, digits and '-', starting with a letter"
    return None


def _bigquery_dataset(name: str) -> str | None:
    if len(name) > 1024 or not re.fullmatch(r"[A-Za-z0-9_]+", name):
        return "BigQuery dataset ids take at most 1024 letters, digits and '_'"
    return None


def _gcp_resource(name: str) -> str | None:
    # Compute Engine names (load balancer parts, NEGs, policies): RFC 1035 labels of at most 63 characters.
    if len(name) > 63:
        return f"is {len(name)} characters; Compute Engine names take at most 63"
    if not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name):
        return "Compute Engine names take lowercase letters, digits and '-', starting with a letter"
    return None


def _memorystore(name: str) -> str | None:
    if len(name) > 40:
        return f"is {len(name)} characters; Memorystore instance ids take at most 40"
    return None


def _workload_pool(name: str) -> str | None:
    if not 4 <= len(name) <= 32:
        return f"is {len(name)} characters; workload identity pool ids take 4-32"
    if name.startswith("gcp-") or not re.fullmatch(r"[a-z0-9-]+", name):
        return "workload identity pool ids take lowercase letters, digits and '-', not starting with 'gcp-'"
    return None


NAME_RULES: dict[str, NameRule] = {
    "s3_bucket": NameRule("S3 bucket", _s3_bucket),
    "gcs_bucket": NameRule("GCS bucket", _gcs_bucket),
    "alb": NameRule("load balancer", _max_len(32, "ALB and target group")),
    "ecs": NameRule("ECS service", _max_len(255, "ECS")),
    "iam_role": NameRule("IAM role", _max_len(64, "IAM role")),
    "sqs": NameRule("SQS queue", _max_len(80, "SQS queue")),
    "cloud_run": NameRule("Cloud Run service", _cloud_run),
    "gcp_service_account": NameRule("service account", _gcp_service_account),
    "artifact_registry": NameRule("Artifact Registry repository", _max_len(63, "Artifact Registry")),
    "bigquery_dataset": NameRule("BigQuery dataset", _bigquery_dataset),
    "gcp_resource": NameRule("Compute Engine resource", _gcp_resource),
    "workload_pool": NameRule("workload identity pool", _workload_pool),
    "memorystore": NameRule("Memorystore instance", _memorystore),
    "cloud_sql": NameRule("Cloud SQL instance", _max_len(80, "Cloud SQL instance (project id included: 98)")),
    "transfer_job": NameRule("Storage Transfer job", _max_len(128, "Storage Transfer job")),
}
