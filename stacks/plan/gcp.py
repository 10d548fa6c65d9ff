"""What each component kind becomes on GCP: one registry, ``KINDS``, plus the GCP baseline.

``plan_gcp(project, deployment)`` returns the ``Plan`` of a gcp deployable: the
baseline (a log bucket with the environment's retention, the alert channel,
the Artifact Registry repository, the required APIs) and, for each deployed
component, what its kind's builder adds. Adding a kind is one entry in
``KINDS``. The hybrid planner (``stacks.plan.hybrid``) runs the same builders
for the components it places on GCP.

Security choices made here, once: a dedicated service account per workload
with only the roles its connections need (dataset read, job user, object access
on the buckets it is connected to, accessor on the secrets it names); no
primitive roles; ``allUsers`` may invoke a service only when the model says it
is public; buckets with uniform access and public access prevention enforced;
when a domain is set, traffic reaches Cloud Run only through the HTTPS load
balancer and its Cloud Armor policy.

The warehouse is BigLake tables over the lake's Parquet (see the README's
"GCP" section for why): the lake stays the single copy of the data on every
target, ingest writes Parquet once, and the hybrid stack's transfer from S3
makes new files queryable with no load job. The plan makes the dataset and the
connection; the ingest job, the one writer, registers each lake version's
tables through the connection and points stable views at the published one.

The required APIs are computed from the plan itself: every resource depends
on the ``gcp.projects.Service`` of the API its type needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks.errors import StacksError
from stacks.model import (
    WORKLOAD_KINDS,
    Bucket,
    Frontend,
    GcpStack,
    HybridStack,
    Job,
    Queue,
    Scale,
    Service,
    Warehouse,
    Worker,
    Workload,
)
from stacks.naming import (
    resource_name,
    secret_manager_id,
    service_account_id,
    sql_identifier,
    system_prefix,
)
from stacks.plan.core import (
    Concat,
    DataSource,
    Output,
    Plan,
    PlannerBase,
    Ref,
    Resource,
    Var,
    build_location,
    check_plan,
    concat,
)
from stacks.plan.gcp_edge import dns_record, https_entry
from stacks.plan.gcp_stores import store_access
from stacks.project import AnyWorkload, DeployedComponent, Deployment, Project
from stacks.rules import KindRule, rule_key
from stacks.rules import table as kind_table

ERROR_RATE = 0.05  # alert when more than 5% of requests fail with 5xx for 10 minutes
CLOUD_ARMOR_WAF = ("sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rce-v33-stable", "cve-canary")

# Which API a resource type needs; a type not listed here uses the API of its module.
API_BY_TYPE = {
    "gcp:bigquery/connection:Connection": "bigqueryconnection.googleapis.com",
    "gcp:storage/transferJob:TransferJob": "storagetransfer.googleapis.com",
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": "sts.googleapis.com",
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": "sts.googleapis.com",
    "gcp:serviceaccount/iAMMember:IAMMember": "iamcredentials.googleapis.com",
    "gcp:projects/iAMMember:IAMMember": "cloudresourcemanager.googleapis.com",
    "gcp:projects/iAMCustomRole:IAMCustomRole": "iam.googleapis.com",
    "gcp:bigquery/connectionIamMember:ConnectionIamMember": "bigqueryconnection.googleapis.com",
    # Lookups call an API too: on a brand-new project they wait for it like resources do.
    "gcp:organizations/getProject:getProject": "cloudresourcemanager.googleapis.com",
    "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount": "storagetransfer.googleapis.com",
}
API_BY_MODULE = {
    "artifactregistry": "artifactregistry.googleapis.com",
    "bigquery": "bigquery.googleapis.com",
    "cloudrunv2": "run.googleapis.com",
    "cloudscheduler": "cloudscheduler.googleapis.com",
    "compute": "compute.googleapis.com",
    "dns": "dns.googleapis.com",
    "iam": "iam.googleapis.com",
    "logging": "logging.googleapis.com",
    "monitoring": "monitoring.googleapis.com",
    "pubsub": "pubsub.googleapis.com",
    "secretmanager": "secretmanager.googleapis.com",
    "serviceaccount": "iam.googleapis.com",
    "sql": "sqladmin.googleapis.com",
    "redis": "redis.googleapis.com",
    "storage": "storage.googleapis.com",
    "servicenetworking": "servicenetworking.googleapis.com",
}

STORAGE_ENDPOINT = "https://storage.googleapis.com"
WAIVE_CMEK = (
    "encrypted at rest with Google-managed keys; a customer-managed key ring can never be deleted in "
    "GCP, so a per-stack key would outlive every torn-down environment. Set one per organisation "
    "policy if compliance requires CMEK"
)


# Inputs that hold a GCP resource's own name (unique in its project or globally).
PHYSICAL_NAMES = (
    "name",
    "account_id",
    "repository_id",
    "dataset_id",
    "secret_id",
    "connection_id",
    "bucket_id",
    "workload_identity_pool_id",
)


def api_of(type_: str) -> str | None:
    if type_ in API_BY_TYPE:
        return API_BY_TYPE[type_]
    module = type_.split(":")[1].split("/")[0]
    return API_BY_MODULE.get(module) if type_.startswith("gcp:") else None


def api_resource_name(api: str) -> str:
    return "gcp-api-" + api.split(".")[0]


@dataclass
class GcpPlanner(PlannerBase):
    """Collects the GCP resources of one deployable while builders run.

    ``resources``, ``data`` and ``outputs`` may be shared with an ``AwsPlanner``
    (the hybrid stack), so logical names of baseline resources carry a ``gcp-``
    prefix where an AWS one could use the same word.
    """

    project: Project
    deployment: Deployment
    gcp_project: str
    region: str
    resources: list[Resource] = field(default_factory=list)
    data: list[DataSource] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    # Builders that refer to resources of components built after them (a caller's service account) run last.
    later: list[Callable[[], None]] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return system_prefix(self.system, self.deployment.stack_id, self.deployment.target)

    def name(self, component: str = "", suffix: str = "") -> str:
        return resource_name(self.prefix, component, self.env, suffix)

    def account_id(self, component: str, suffix: str = "") -> str:
        return service_account_id(component, self.env, self.deployment.stack_id, self.deployment.target, suffix)

    def add(self, type_: str, name: str, inputs: dict[str, Any], component: str | None = None, **options: Any) -> Ref:
        api = api_of(type_)
        if api:
            options["depends_on"] = (*options.get("depends_on", ()), api_resource_name(api))
        if any(isinstance(inputs.get(key), str) for key in PHYSICAL_NAMES):
            # GCP names are fixed (no prefixes): a replacement (a new region, say) must delete the old one first,
            # as Terraform does, or the new one clashes with it.
            options.setdefault("delete_before_replace", not options.get("create_before_destroy"))
        self.resources.append(Resource(type_, name, inputs, component, **options))
        return Ref(name, "id")

    def lookup(self, type_: str, name: str, args: dict[str, Any] | None = None, **options: Any) -> str:
        api = api_of(type_)
        if api:
            options["depends_on"] = (*options.get("depends_on", ()), api_resource_name(api))
        return super().lookup(type_, name, args, **options)

    def bucket_name(self, name: str) -> str:
        """GCS names are global: the project id (itself globally unique) makes a stack's names its own."""
        return f"{self.gcp_project}-{name}"

    def project_number(self) -> Ref:
        return Ref(
            self.lookup("gcp:organizations/getProject:getProject", "gcp-project", {"project_id": self.gcp_project}),
            "number",
        )

    def member(self, account: str) -> Concat | str:
        """The IAM member of a service account created in this plan."""
        return concat("serviceAccount:", Ref(account, "email"))

    def finish(self) -> None:
        """Run the deferred builders, then enable the APIs the plan's GCP resources need, before their first user."""
        while self.later:
            self.later.pop(0)()
        used = [r.type for r in self.resources] + [d.type for d in self.data if d.depends_on]
        apis = sorted({api for type_ in used for api in [api_of(type_)] if api})
        if not apis:
            return
        first = next(i for i, r in enumerate(self.resources) if api_of(r.type))
        services = [
            Resource(
                "gcp:projects/service:Service",
                api_resource_name(api),
                {
                    "project": self.gcp_project,
                    "service": api,
                    # Other stacks of the same project use the same APIs: destroying this one must not turn them off.
                    "disable_on_destroy": False,
                    "disable_dependent_services": False,
                },
                None,
                group="project",
            )
            for api in apis
        ]
        self.resources[first:first] = services


# ---------------------------------------------------------------- baseline


def _logs(p: GcpPlanner) -> None:
    """A log bucket with the environment's retention and a sink routing this stack's logs into it."""
    bucket_id = p.name().replace("-", "_")
    p.add(
        "gcp:logging/projectBucketConfig:ProjectBucketConfig",
        "gcp-log-bucket",
        {
            "project": p.gcp_project,
            "location": "global",
            "bucket_id": bucket_id,
            "retention_days": p.settings.log_retention_days,
            "description": f"logs of {p.deployment.name}, kept {p.settings.log_retention_days} days",
        },
        group="project",
    )
    services = [p.name(c.id) for c in p.deployment.on("gcp") if c.kind in WORKLOAD_KINDS]
    if not services:
        return
    names = " OR ".join(f'"{s}"' for s in services)
    p.add(
        "gcp:logging/projectSink:ProjectSink",
        "gcp-log-sink",
        {
            "project": p.gcp_project,
            "name": p.name(suffix="logs"),
            "destination": concat("logging.googleapis.com/", Ref("gcp-log-bucket", "id")),
            "filter": (
                f'resource.type=("cloud_run_revision" OR "cloud_run_job") AND '
                f"(resource.labels.service_name=({names}) OR resource.labels.job_name=({names}))"
            ),
            "unique_writer_identity": True,
        },
        group="project",
    )


def _alert_channel(p: GcpPlanner) -> None:
    if p.settings.alert_email:
        p.add(
            "gcp:monitoring/notificationChannel:NotificationChannel",
            "gcp-alert-email",
            {
                "project": p.gcp_project,
                "display_name": f"{p.deployment.name} on-call",
                "type": "email",
                "labels": {"email_address": p.settings.alert_email},
            },
            group="project",
        )
        p.facts["channels"] = [Ref("gcp-alert-email", "name")]
    else:
        p.facts["channels"] = []


def _access_logs(p: GcpPlanner) -> None:
    """Where the buckets of this stack write their usage logs (kept as long as the environment's logs)."""
    if not any(c.kind in ("bucket", "warehouse") or c.component.mode == "static" for c in p.deployment.on("gcp")):
        return
    p.add(
        "gcp:storage/bucket:Bucket",
        "gcp-access-logs",
        {
            "name": p.bucket_name(p.name("logs")),
            "project": p.gcp_project,
            "location": p.region,
            "uniform_bucket_level_access": True,
            "public_access_prevention": "enforced",
            "force_destroy": not p.prod_like,
            "versioning": {"enabled": True},
            "lifecycle_rules": _lifecycle(max(p.settings.log_retention_days, 30)),
        },
        group="region",
        waivers={"CKV_GCP_62": "this is the access-log bucket: logging it into itself would loop"},
    )
    p.add(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "gcp-access-logs-writer",
        {
            # Cloud Storage writes usage logs as this Google group; it gets write on this bucket only.
            "bucket": Ref("gcp-access-logs", "name"),
            "role": "roles/storage.objectCreator",
            "member": "group:cloud-storage-analytics@google.com",
        },
        group="region",
    )
    p.facts["access_logs"] = "gcp-access-logs"


def _registry(p: GcpPlanner) -> None:
    builds = [c for c in p.deployment.on("gcp") if isinstance(c.component, Workload) and not c.component.image]
    if not builds:
        return
    p.add(
        "gcp:artifactregistry/repository:Repository",
        "gcp-repository",
        {
            "project": p.gcp_project,
            "location": p.region,
            "repository_id": p.name(),
            "format": "DOCKER",
            "description": f"images of {p.deployment.name}",
            "docker_config": {"immutable_tags": True},
            "cleanup_policy_dry_run": False,
            "cleanup_policies": [
                {"id": "keep-recent", "action": "KEEP", "most_recent_versions": {"keep_count": 30}},
                {
                    "id": "delete-untagged",
                    "action": "DELETE",
                    "condition": {"tag_state": "UNTAGGED", "older_than": "604800s"},
                },
                {"id": "delete-old", "action": "DELETE", "condition": {"tag_state": "ANY", "older_than": "7776000s"}},
            ],
        },
        group="region",
        waivers={"CKV_GCP_84": WAIVE_CMEK},
    )
    p.facts["registry"] = f"{p.region}-docker.pkg.dev/{p.gcp_project}/{p.name()}"
    p.output("repository", p.facts["registry"], "Artifact Registry repository")


def baseline(p: GcpPlanner) -> None:
    _logs(p)
    _alert_channel(p)
    _access_logs(p)
    _registry(p)
    _service_urls(p)


def _service_urls(p: GcpPlanner) -> None:
    """Each service's ``url`` output, known before any is built: Cloud Run's deterministic run.app URL."""
    for comp in p.deployment.on("gcp"):
        if comp.kind in ("service", "frontend") and not comp.component.mode:  # a static site is no Cloud Run
            url = concat("https://", p.name(comp.id), "-", p.project_number(), f".{p.region}.run.app")
            p.provide(comp.id, {"url": url})


# ---------------------------------------------------------------- data kinds


def _lifecycle(expire_days: int | None, noncurrent_days: int = 90) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [
        {
            "action": {"type": "Delete"},
            "condition": {"days_since_noncurrent_time": noncurrent_days, "with_state": "ARCHIVED"},
        },
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}},
    ]
    if expire_days:
        rules.append({"action": {"type": "Delete"}, "condition": {"age": expire_days, "with_state": "LIVE"}})
    return rules


def build_bucket(p: GcpPlanner, comp: DeployedComponent[Bucket]) -> None:
    model = comp.component
    if model.public:
        raise StacksError(
            f"{comp.id}: public buckets are not deployed on GCP",
            hint="serve public files through the service; set public: false",
        )
    logical = f"{comp.id}-bucket"
    inputs: dict[str, Any] = {
        "name": p.bucket_name(p.name(comp.id)),
        "project": p.gcp_project,
        "location": p.region,
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        "versioning": {"enabled": model.versioning},
        "force_destroy": not p.prod_like,
        "lifecycle_rules": _lifecycle(model.expire_days),
        "soft_delete_policy": {"retention_duration_seconds": 7 * 86400},
    }
    if p.facts.get("access_logs"):
        inputs["logging"] = {"log_bucket": Ref(p.facts["access_logs"], "name"), "log_object_prefix": comp.id}
    waivers = {}
    if not model.versioning:
        waivers["CKV_GCP_78"] = f"components.{comp.id}.versioning is false in stacks.yaml"
    p.add("gcp:storage/bucket:Bucket", logical, inputs, comp.id, group="region", protect=p.prod_like, waivers=waivers)
    p.facts.setdefault("buckets", {})[comp.id] = logical
    name = Ref(logical, "name")
    p.provide(
        comp.id,
        {"name": name, "uri": concat("gs://", name, "/"), "endpoint": STORAGE_ENDPOINT, "region": p.region},
    )
    p.output(f"{comp.id.replace('-', '_')}_bucket", Ref(logical, "name"), f"GCS bucket of {comp.id}")


def build_warehouse(p: GcpPlanner, comp: DeployedComponent[Warehouse]) -> None:
    """A dataset for BigLake tables over the lake's Parquet, read through a Cloud resource connection.

    The plan makes no tables: the lake is versioned (``tables/<table>/version=<v>/``), so the ingest
    job registers each version's tables (base, derived, meta) as ``<table>__<v>`` through this
    connection and, once the manifest names the version, points the views ``<table>`` at it
    (``app.catalog``). A table defined here over ``tables/<table>/`` would read every version at once.
    """
    model = comp.component
    cid = comp.id
    lake = p.facts.get("buckets", {}).get(model.lake) if model.lake else None
    if lake is None:
        lake = p.facts.get("lake_mirrors", {}).get(model.lake)
    if lake is None:
        raise StacksError(
            f"{p.deployment.name}: warehouse '{cid}' on GCP needs its lake bucket in the same stack",
            hint=f"set components.{cid}.lake to a bucket this stack deploys",
        )
    dataset = f"{cid}-dataset"
    dataset_id = sql_identifier(p.name(cid))
    p.add(
        "gcp:bigquery/dataset:Dataset",
        dataset,
        {
            "project": p.gcp_project,
            "dataset_id": dataset_id,
            "location": p.region,
            "friendly_name": model.label or cid,
            "description": model.description,
            "delete_contents_on_destroy": not p.prod_like,
            "max_time_travel_hours": "168",
        },
        cid,
        group="region",
        protect=p.prod_like,
        waivers={"CKV_GCP_81": WAIVE_CMEK},
    )
    connection = f"{cid}-connection"
    p.add(
        "gcp:bigquery/connection:Connection",
        connection,
        {
            "project": p.gcp_project,
            "location": p.region,
            "connection_id": p.name(cid, "lake"),
            "friendly_name": f"{cid}: the lake's Parquet",
            "description": "BigLake: BigQuery reads the lake with this connection's identity, not the caller's",
            "cloud_resource": {},
        },
        cid,
        group="region",
    )
    p.add(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        f"{cid}-connection-reads-lake",
        {
            "bucket": Ref(lake, "name"),
            "role": "roles/storage.objectViewer",
            "member": concat("serviceAccount:", Ref(connection, "cloud_resource.service_account_id")),
        },
        cid,
        group="region",
    )
    p.facts.setdefault("warehouses", {})[cid] = {
        "dataset": dataset,
        "dataset_id": dataset_id,
        "lake": lake,
        "connection": connection,
    }
    tables = concat("gs://", Ref(lake, "name"), "/tables/")
    p.provide(
        cid,
        {
            "engine": "bigquery",
            "name": Ref(dataset, "dataset_id"),
            "project": p.gcp_project,
            "location": p.region,
            "uri": tables,
            "tables_uri": tables,
            "workgroup": "",
            "results_uri": "",
            "connection": Ref(connection, "name"),
            "credentials": "",
        },
    )
    first = not any(o.name in ("workgroup", "dataset") for o in p.outputs)  # else named after the warehouse
    p.output("dataset" if first else f"{cid.replace('-', '_')}_dataset", Ref(dataset, "dataset_id"), "BigQuery dataset")


def build_queue(p: GcpPlanner, comp: DeployedComponent[Queue]) -> None:
    model = comp.component
    cid = comp.id
    retention = f"{model.retention_hours * 3600}s"
    p.add(
        "gcp:pubsub/topic:Topic",
        f"{cid}-dlq",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "dlq"),
            "message_retention_duration": "604800s",
        },
        cid,
        group="region",
        waivers={"CKV_GCP_83": WAIVE_CMEK},
    )
    p.add(
        "gcp:pubsub/topic:Topic",
        f"{cid}-topic",
        {
            "project": p.gcp_project,
            "name": p.name(cid),
            "message_retention_duration": retention,
        },
        cid,
        group="region",
        waivers={"CKV_GCP_83": WAIVE_CMEK},
    )
    p.add(
        "gcp:pubsub/subscription:Subscription",
        f"{cid}-subscription",
        {
            "project": p.gcp_project,
            "name": p.name(cid),
            "topic": Ref(f"{cid}-topic", "id"),
            "ack_deadline_seconds": 60,
            "message_retention_duration": retention,
            "enable_message_ordering": model.fifo,
            "dead_letter_policy": {"dead_letter_topic": Ref(f"{cid}-dlq", "id"), "max_delivery_attempts": 5},
            "expiration_policy": {"ttl": ""},
        },
        cid,
        group="region",
    )
    p.facts.setdefault("queues", {})[cid] = cid
    p.provide(
        cid,
        {"name": p.name(cid), "url": Ref(f"{cid}-topic", "id"), "subscription": Ref(f"{cid}-subscription", "id")},
    )


# ---------------------------------------------------------------- workloads


def linked(project: Project, cid: str) -> set[str]:
    """Components connected to ``cid`` either way in the model's connections."""
    out = set()
    for conn in project.model.connections:
        if conn.from_ == cid:
            out.add(conn.to)
        elif conn.to == cid:
            out.add(conn.from_)
    return out


def ingests(project: Project, cid: str, warehouse: str, lakes: set[str]) -> bool:
    """Whether job ``cid`` is the warehouse's ingest: files flow to it from the lake and data from it to
    the warehouse. Only that job writes table definitions; everything else reads."""
    comp = project.model.components.get(cid)
    if comp is None or comp.kind != "job":
        return False
    flows = {(c.from_, c.to) for c in project.model.connections if c.flow == "data"}
    return (cid, warehouse) in flows and any((lake, cid) in flows for lake in lakes)


def _grants(p: GcpPlanner, cid: str, account: str, lake_access: bool = True) -> None:
    """IAM for the data components a workload is connected to (their addresses are outputs: ``provide``).

    ``lake_access=False`` (a workload on another cloud) grants queries only: BigLake reads the lake
    with its connection's identity, so the caller needs no object access.
    """
    near = linked(p.project, cid)
    member = p.member(account)
    buckets = dict(p.facts.get("buckets", {}))
    bucket_grants = _warehouse_grants(p, cid, account, near, buckets, lake_access)
    for bid, logical in sorted(buckets.items()):
        if bid in near:
            bucket_grants.setdefault(logical, bid)
    for logical in sorted(bucket_grants):
        p.add(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            f"{cid}-uses-{logical.removesuffix('-bucket')}",
            {
                # objectUser: read, write and list objects; no bucket settings, no IAM.
                "bucket": Ref(logical, "name"),
                "role": "roles/storage.objectUser",
                "member": member,
            },
            cid,
            group="region",
        )
    _queue_grants(p, cid, member, near)


def _warehouse_grants(
    p: GcpPlanner, cid: str, account: str, near: set[str], buckets: dict[str, str], lake_access: bool
) -> dict[str, str]:
    """Dataset roles on the warehouses ``cid`` reaches (directly or through their lake), BigQuery job runs;
    the lake buckets it gets object access to as a result (logical bucket -> why)."""
    member = p.member(account)
    bucket_grants: dict[str, str] = {}
    for wid, wh in sorted(p.facts.get("warehouses", {}).items()):
        lake_ids = {b for b, logical in buckets.items() if logical == wh["lake"]}
        # A warehouse over a mirror (hybrid) is fed from the mirrored lake: its ingest is that lake's.
        lake_ids |= {src for src, mirror in p.facts.get("lake_mirrors", {}).items() if mirror == wh["lake"]}
        if wid not in near and not (near & lake_ids):
            continue
        # The ingest job registers the tables it publishes: dataEditor on this dataset only, never project.
        edits = ingests(p.project, cid, wid, lake_ids)
        p.add(
            "gcp:bigquery/datasetIamMember:DatasetIamMember",
            f"{cid}-edits-{wid}" if edits else f"{cid}-reads-{wid}",
            {
                "project": p.gcp_project,
                "dataset_id": Ref(wh["dataset"], "dataset_id"),
                "role": "roles/bigquery.dataEditor" if edits else "roles/bigquery.dataViewer",
                "member": member,
            },
            cid,
            group="region",
        )
        if edits:
            _delegates(p, cid, wid, account)
        if not p.facts.setdefault("job_users", set()) & {account}:
            p.facts["job_users"].add(account)
            p.add(
                "gcp:projects/iAMMember:IAMMember",
                f"{cid}-bigquery-jobs",
                {
                    # Running a query is a project permission: jobUser creates jobs, it reads no data.
                    "project": p.gcp_project,
                    "role": "roles/bigquery.jobUser",
                    "member": member,
                },
                cid,
                group="project",
            )
        if lake_access:
            bucket_grants[wh["lake"]] = "lake"
    return bucket_grants


def _queue_grants(p: GcpPlanner, cid: str, member: Concat | str, near: set[str]) -> None:
    """Publish and consume on each queue ``cid`` is connected to (its topic and its subscription)."""
    for qid in sorted(p.facts.get("queues", {})):
        if qid in near:
            p.add(
                "gcp:pubsub/topicIAMMember:TopicIAMMember",
                f"{cid}-publishes-{qid}",
                {
                    "project": p.gcp_project,
                    "topic": Ref(f"{qid}-topic", "name"),
                    "role": "roles/pubsub.publisher",
                    "member": member,
                },
                cid,
                group="region",
            )
            p.add(
                "gcp:pubsub/subscriptionIAMMember:SubscriptionIAMMember",
                f"{cid}-consumes-{qid}",
                {
                    "project": p.gcp_project,
                    "subscription": Ref(f"{qid}-subscription", "name"),
                    "role": "roles/pubsub.subscriber",
                    "member": member,
                },
                cid,
                group="region",
            )


def _delegates(p: GcpPlanner, cid: str, wid: str, account: str) -> None:
    """Let the ingest job create BigLake tables on warehouse ``wid``'s connection (the ``connection`` output).

    A BigLake table names the connection, which takes ``bigquery.connections.delegate`` on it: a
    custom role with that one permission (one per warehouse), granted on that one connection (the
    predefined connectionAdmin would also let the job change or re-share the connection). BigQuery
    then reads the lake as the connection's service account, never as the caller, so readers of the
    dataset need no object access. Used by the gcp plan and the hybrid one (its ingest on ECS).
    """
    connection = p.facts["warehouses"][wid]["connection"]
    role = f"{wid}-delegate-role"
    if not any(r.name == role for r in p.resources):
        p.add(
            "gcp:projects/iAMCustomRole:IAMCustomRole",
            role,
            {
                "project": p.gcp_project,
                "role_id": sql_identifier(p.name(wid, "delegate")),
                "title": f"{p.deployment.name}: create BigLake tables on {wid}'s connection",
                "description": "bigquery.connections.delegate only: name the connection in a table definition",
                "permissions": ["bigquery.connections.delegate"],
                "stage": "GA",
            },
            wid,
            group="project",
        )
    p.add(
        "gcp:bigquery/connectionIamMember:ConnectionIamMember",
        f"{cid}-delegates-{wid}",
        {
            "project": p.gcp_project,
            "location": p.region,
            "connection_id": Ref(connection, "connection_id"),
            "role": Ref(role, "name"),
            "member": p.member(account),
        },
        cid,
        group="region",
    )


def platform_env(p: GcpPlanner) -> dict[str, str]:
    """What every Cloud Run workload gets besides its model env: the project the client libraries use."""
    return {"GOOGLE_CLOUD_PROJECT": p.gcp_project}


def _cpu(cpu: float) -> str:
    return str(int(cpu)) if float(cpu).is_integer() else f"{round(cpu * 1000)}m"


def _image(p: GcpPlanner, comp: DeployedComponent[AnyWorkload]) -> Any:
    """The image a workload runs: its prebuilt reference, or the one built from its context and pushed."""
    cid, model = comp.id, comp.component
    if model.image:
        image: Any = model.image
    else:
        build = model.build
        if build is None:
            raise StacksError(
                f"{cid}: a {comp.kind} on GCP needs 'build' or 'image'",
                hint=f"add build: {{context: .}} or image: <reference> to components.{cid}",
            )
        client = p.lookup("gcp:organizations/getClientConfig:getClientConfig", "gcp-client", engines=("pulumi",))
        tag = Var("image_tag", "tag of the image built from the build context (default: a hash of its files)")
        context, dockerfile = build_location(p.project.root, build)
        p.add(
            "docker-build:index:Image",
            f"{cid}-image",
            {
                "tags": [concat(p.facts["registry"], f"/{cid}:", tag)],
                "context": {"location": context},
                "dockerfile": {"location": dockerfile},
                **({"target": build.target} if build.target else {}),
                "platforms": ["linux/amd64"],
                "push": True,
                "registries": [
                    {
                        "address": f"{p.region}-docker.pkg.dev",
                        "username": "oauth2accesstoken",
                        "password": Ref(client, "access_token"),
                    }
                ],
            },
            cid,
            group="region",
            engines=("pulumi",),
            replaces_var=f"{cid.replace('-', '_')}_image",
            depends_on=("gcp-repository",),
        )
        # Terraform cannot build images: there the image reference is the variable named here.
        image = Ref(f"{cid}-image", "ref")
    return image


def _workload(p: GcpPlanner, comp: DeployedComponent[AnyWorkload]) -> dict[str, Any]:
    """Service account, image, grants, secrets and the container spec every Cloud Run workload has."""
    cid, model = comp.id, comp.component
    account = f"{cid}-account"
    p.add(
        "gcp:serviceaccount/account:Account",
        account,
        {
            "project": p.gcp_project,
            "account_id": p.account_id(cid),
            "display_name": f"{cid} ({p.deployment.name})",
            "description": f"runs {cid}: holds only the roles its connections in stacks.yaml need",
        },
        cid,
        group="project",
    )
    image = _image(p, comp)
    stores = store_access(p, cid, account, linked(p.project, cid))
    _grants(p, cid, account)
    bound, bound_secrets = p.bound_env(comp)
    env = {**bound, **platform_env(p)}
    envs: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    envs += [
        # Secret outputs (a Memorystore AUTH string) by reference to the secret the store access granted.
        {"name": var, "value_source": {"secret_key_ref": {"secret": value.source, "version": "latest"}}}
        for var, value in sorted(bound_secrets.items())
    ]
    for var, secret in sorted(model.secrets.items()):
        secret_id = secret_manager_id(secret)
        p.add(
            "gcp:secretmanager/secretIamMember:SecretIamMember",
            f"{cid}-reads-secret-{secret_id}",
            {
                # The secret is created outside the stack (its value never passes through stacks.yaml or state).
                "project": p.gcp_project,
                "secret_id": f"projects/{p.gcp_project}/secrets/{secret_id}",
                "role": "roles/secretmanager.secretAccessor",
                "member": p.member(account),
            },
            cid,
            group="project",
        )
        # Referring to the grant orders the service after it (and keeps a literal out of the secret field).
        envs.append(
            {
                "name": var,
                "value_source": {
                    "secret_key_ref": {
                        "secret": Ref(f"{cid}-reads-secret-{secret_id}", "secret_id"),
                        "version": "latest",
                    }
                },
            }
        )
    envs.sort(key=lambda e: e["name"])
    res = comp.size
    container: dict[str, Any] = {
        "name": cid,
        "image": image,
        "envs": envs,
        "resources": {"limits": {"cpu": _cpu(res.cpu), "memory": f"{res.memory}Mi"}},
    }
    if model.command:
        container["args"] = list(model.command)
    volumes: list[dict[str, Any]] = []
    data_dir = getattr(model, "data_dir", None)
    if data_dir:
        volumes.append({"name": "data", "empty_dir": {"medium": "MEMORY", "size_limit": f"{res.memory // 4}Mi"}})
        container["volume_mounts"] = [{"name": "data", "mount_path": data_dir}]
    secret_waits = tuple(r.name for r in p.resources if r.name.startswith(f"{cid}-reads-secret-"))
    return {
        "account": account,
        "container": container,
        "volumes": volumes,
        "image": image,
        "waits": (*secret_waits, *stores["waits"]),
        "vpc_access": stores["vpc_access"],
    }


def _attachments(w: dict[str, Any]) -> dict[str, Any]:
    """The volumes and Direct VPC egress of a Cloud Run template, where the workload has them."""
    return {key: w[key] for key in ("volumes", "vpc_access") if w[key]}


def build_service(p: GcpPlanner, comp: DeployedComponent[Service | Frontend | Worker]) -> None:
    """A Cloud Run service; public ones get allUsers as invoker and, with a domain, the HTTPS load balancer."""
    cid, model = comp.id, comp.component
    w = _workload(p, comp)
    scale = comp.instances
    public = bool(getattr(model, "public", False))
    port = getattr(model, "port", None)
    container = _service_container(w, model, port, scale)
    lb = public and bool(p.settings.domain) and bool(port)
    ingress = _ingress(p, cid, public, lb)
    service = f"{cid}-service"
    name = p.name(cid)
    template: dict[str, Any] = {
        "service_account": Ref(w["account"], "email"),
        "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
        "timeout": "300s",
        "max_instance_request_concurrency": scale.concurrency or 80,
        "scaling": {"min_instance_count": scale.min, "max_instance_count": scale.max},
        "containers": [container],
    }
    template.update(_attachments(w))
    p.add(
        "gcp:cloudrunv2/service:Service",
        service,
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": name,
            "description": getattr(model, "description", ""),
            "ingress": ingress,
            "launch_stage": "GA",
            "deletion_protection": p.prod_like,
            "template": template,
            "traffics": [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 100}],
        },
        cid,
        group="region",
        depends_on=w["waits"],
    )
    if public:
        _public_invoker(p, cid, service, lb)
    p.later.append(lambda: _invokers(p, cid, service))
    p.output(f"{cid.replace('-', '_')}_service_name", Ref(service, "name"), f"Cloud Run service of {cid}")
    run_host = concat(name, "-", p.project_number(), f".{p.region}.run.app")
    if lb:
        url: Any = f"https://{p.settings.domain}"
        host: Any = p.settings.domain
        _load_balancer(p, comp, service)
    else:
        url = Ref(service, "uri")
        host = run_host
    taken = any(o.name == "url" for o in p.outputs)  # shared with the AWS planner in a hybrid stack
    if public or not taken:
        p.output(f"{cid.replace('-', '_')}_url" if taken else "url", url, f"URL of {cid}")
    _monitoring(p, comp, name, host if public and port else None)


def _service_container(
    w: dict[str, Any], model: Service | Frontend | Worker, port: int | None, scale: Scale
) -> dict[str, Any]:
    """The workload's container with the service's port and probes, and its CPU allocation."""
    container = dict(w["container"])
    if port:
        health = model.health
        container["ports"] = {"container_port": port, "name": "http1"}
        # Startup probes the liveness path: on readiness (503 until a dataset exists) a fresh deploy never got Ready.
        container["startup_probe"] = {
            "http_get": {"path": health, "port": port},
            "initial_delay_seconds": 0,
            "period_seconds": 5,
            "timeout_seconds": 3,
            "failure_threshold": 24,
        }
        container["liveness_probe"] = {
            "http_get": {"path": health, "port": port},
            "period_seconds": 15,
            "timeout_seconds": 5,
            "failure_threshold": 3,
        }
    container["resources"] = {
        **container["resources"],
        # Request-based billing when it may scale to zero; workers always have CPU.
        "cpu_idle": scale.min == 0 and model.kind != "worker",
        "startup_cpu_boost": True,
    }
    return container


def _public_invoker(p: GcpPlanner, cid: str, service: str, lb: bool) -> None:
    """allUsers may invoke the service the model made public (behind the load balancer when it has one)."""
    p.add(
        "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
        f"{cid}-public-invoker",
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": Ref(service, "name"),
            "role": "roles/run.invoker",
            "member": "allUsers",
        },
        cid,
        group="region",
        waivers={
            "public-invoker": f"components.{cid}.public is true in stacks.yaml: anyone may call it"
            + (" (through the load balancer and Cloud Armor only: ingress is internal-and-LB)" if lb else "")
        },
    )


def _ingress(p: GcpPlanner, cid: str, public: bool, lb: bool) -> str:
    """Who may reach the Cloud Run service: its own load balancer, anyone, a gateway's load balancer, or the VPC."""
    if lb:
        return "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
    if public:
        return "INGRESS_TRAFFIC_ALL"
    if cid in p.facts.get("routed", {}):
        return "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"  # a gateway's serverless NEG (callers go through it)
    if _callers(p, cid):
        # Callers reach the run.app URL over Google's network, not the VPC: only their service accounts hold
        # run.invoker (``_invokers``), so every call needs one of their ID tokens.
        return "INGRESS_TRAFFIC_ALL"
    return "INGRESS_TRAFFIC_INTERNAL_ONLY"


def _invokers(p: GcpPlanner, cid: str, service: str) -> None:
    """Let the workloads that call ``cid`` invoke it (deferred: a caller may be built after ``cid``)."""
    for caller in sorted(_callers(p, cid)):
        p.add(
            "gcp:cloudrunv2/serviceIamMember:ServiceIamMember",
            f"{cid}-invoked-by-{caller}",
            {
                "project": p.gcp_project,
                "location": p.region,
                "name": Ref(service, "name"),
                "role": "roles/run.invoker",
                "member": p.member(f"{caller}-account"),
            },
            cid,
            group="region",
        )


def _callers(p: GcpPlanner, cid: str) -> set[str]:
    """Workloads on GCP in this stack that call ``cid`` (request connections)."""
    # A static site reaches the service through its load balancer, not as an identity of its own.
    here = {c.id for c in p.deployment.on("gcp") if c.kind in WORKLOAD_KINDS and c.component.mode == ""}
    return {
        c.from_
        for c in p.project.model.connections
        if c.to == cid and c.flow == "request" and c.from_ in here and c.from_ != cid
    }


def _load_balancer(p: GcpPlanner, comp: DeployedComponent[Service | Frontend | Worker], service: str) -> None:
    """Global external HTTPS load balancer: serverless NEG, managed certificate, Cloud Armor, CDN, DNS."""
    cid = comp.id
    _lb_origin(p, cid, service)
    _armor(p, cid)
    _lb_backend(p, cid)
    _lb_urls(p, cid)
    # HTTPS on the domain (managed certificate, TLS policy), plain HTTP redirected to it.
    https_entry(p, cid, f"{cid}-urls", str(p.settings.domain))
    _lb_dns(p, cid)


def _lb_origin(p: GcpPlanner, cid: str, service: str) -> None:
    """The load balancer's global address and the serverless NEG that reaches the Cloud Run service."""
    p.add(
        "gcp:compute/globalAddress:GlobalAddress",
        f"{cid}-address",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "ip"),
            "ip_version": "IPV4",
        },
        cid,
        group="edge",
    )
    p.add(
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        f"{cid}-neg",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "neg"),
            "region": p.region,
            "network_endpoint_type": "SERVERLESS",
            "cloud_run": {"service": Ref(service, "name")},
        },
        cid,
        group="region",
    )


def _armor_rules() -> list[dict[str, Any]]:
    """Cloud Armor: the OWASP preconfigured rules, a per-IP rate limit, then allow."""
    rules: list[dict[str, Any]] = [
        {
            "priority": 1000 + i,
            "action": "deny(403)",
            "description": f"OWASP: {waf}",
            "match": {"expr": {"expression": f"evaluatePreconfiguredWaf('{waf}', {{'sensitivity': 1}})"}},
        }
        for i, waf in enumerate(CLOUD_ARMOR_WAF)
    ]
    rules.append(
        {
            "priority": 2000,
            "action": "throttle",
            "description": "at most 600 requests a minute per client IP",
            "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}},
            "rate_limit_options": {
                "conform_action": "allow",
                "exceed_action": "deny(429)",
                "enforce_on_key": "IP",
                "rate_limit_threshold": {"count": 600, "interval_sec": 60},
            },
        }
    )
    rules.append(
        {
            "priority": 2147483647,
            "action": "allow",
            "description": "everything else",
            "match": {"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}},
        }
    )
    return rules


def _armor(p: GcpPlanner, cid: str) -> None:
    """The Cloud Armor security policy in front of the backend."""
    rules = _armor_rules()
    p.add(
        "gcp:compute/securityPolicy:SecurityPolicy",
        f"{cid}-armor",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "armor"),
            "type": "CLOUD_ARMOR",
            "description": f"{cid}: OWASP rules, log4j (cve-canary) and per-IP rate limiting",
            "adaptive_protection_config": {"layer7_ddos_defense_config": {"enable": True}},
            "rules": rules,
        },
        cid,
        group="edge",
    )


def _lb_backend(p: GcpPlanner, cid: str) -> None:
    """The backend service over the NEG, behind Cloud Armor, cached by Cloud CDN when the environment asks."""
    s = p.settings
    backend: dict[str, Any] = {
        "project": p.gcp_project,
        "name": p.name(cid, "backend"),
        "load_balancing_scheme": "EXTERNAL_MANAGED",
        "protocol": "HTTPS",
        "backends": [{"group": Ref(f"{cid}-neg", "id")}],
        "security_policy": Ref(f"{cid}-armor", "id"),
        "log_config": {"enable": True, "sample_rate": 1.0},
        "enable_cdn": s.cdn,
    }
    if s.cdn:
        # Only responses the app marks cacheable (Cache-Control: public) are cached; API answers are not.
        backend["cdn_policy"] = {
            "cache_mode": "USE_ORIGIN_HEADERS",
            "serve_while_stale": 86400,
            "negative_caching": False,
            "request_coalescing": True,
            "cache_key_policy": {"include_host": True, "include_protocol": True, "include_query_string": True},
        }
    p.add("gcp:compute/backendService:BackendService", f"{cid}-backend", backend, cid, group="edge")


def _lb_urls(p: GcpPlanner, cid: str) -> None:
    """The URL map: every path to the service's backend."""
    p.add(
        "gcp:compute/uRLMap:URLMap",
        f"{cid}-urls",
        {
            "project": p.gcp_project,
            "name": p.name(cid, "urls"),
            "default_service": Ref(f"{cid}-backend", "id"),
        },
        cid,
        group="edge",
    )


def _lb_dns(p: GcpPlanner, cid: str) -> None:
    """The domain's A record in the environment's Cloud DNS zone (when it has one), and the address output."""
    s = p.settings
    if s.dns_zone:
        dns_record(p, cid, str(s.domain))
    p.output(
        f"{cid.replace('-', '_')}_ip_address",
        Ref(f"{cid}-address", "address"),
        f"load balancer address of {cid} (point {s.domain} here)",
    )


def _monitoring(
    p: GcpPlanner, comp: DeployedComponent[Service | Frontend | Worker], service_name: str, host: Any
) -> None:
    """Alerts on the service's 5xx rate; with a public host, an uptime check on its health path and its alert."""
    cid = comp.id
    channels = p.facts["channels"]
    _error_rate_alert(p, cid, service_name, channels)
    if host is None:
        return
    _uptime_alert(p, cid, service_name, host, getattr(comp.component, "health", "/"), channels)


def _error_rate_alert(p: GcpPlanner, cid: str, service_name: str, channels: Any) -> None:
    """More than ERROR_RATE of the requests answered 5xx for 10 minutes."""
    base_filter = (
        f'resource.type="cloud_run_revision" AND resource.labels.service_name="{service_name}" '
        'AND metric.type="run.googleapis.com/request_count"'
    )
    aggregation = [
        {
            "alignment_period": "300s",
            "per_series_aligner": "ALIGN_RATE",
            "cross_series_reducer": "REDUCE_SUM",
            "group_by_fields": ["resource.label.service_name"],
        }
    ]
    conditions = [
        {
            "display_name": f"{cid}: more than {ERROR_RATE:.0%} of requests answered 5xx",
            "condition_threshold": {
                "filter": base_filter + ' AND metric.labels.response_code_class="5xx"',
                "aggregations": aggregation,
                "denominator_filter": base_filter,
                "denominator_aggregations": aggregation,
                "comparison": "COMPARISON_GT",
                "threshold_value": ERROR_RATE,
                "duration": "600s",
                "trigger": {"count": 1},
            },
        }
    ]
    p.add(
        "gcp:monitoring/alertPolicy:AlertPolicy",
        f"{cid}-alert-errors",
        {
            "project": p.gcp_project,
            "display_name": f"{service_name}: 5xx error rate",
            "combiner": "OR",
            "conditions": conditions,
            "notification_channels": channels,
            "severity": "ERROR",
            "documentation": {
                "content": f"More than {ERROR_RATE:.0%} of the requests to {cid} "
                f"({p.deployment.name}) failed with 5xx for 10 minutes.",
                "mime_type": "text/markdown",
            },
        },
        cid,
        group="project",
    )


def _uptime_alert(p: GcpPlanner, cid: str, service_name: str, host: Any, health: str, channels: Any) -> None:
    """An uptime check on the health path over HTTPS, and the alert when it fails from several regions."""
    p.add(
        "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
        f"{cid}-uptime",
        {
            "project": p.gcp_project,
            "display_name": f"{service_name} {health}",
            "timeout": "10s",
            "period": "60s",
            "http_check": {
                "path": health,
                "port": 443,
                "use_ssl": True,
                "validate_ssl": True,
                "request_method": "GET",
                "accepted_response_status_codes": [{"status_class": "STATUS_CLASS_2XX"}],
            },
            "monitored_resource": {"type": "uptime_url", "labels": {"project_id": p.gcp_project, "host": host}},
        },
        cid,
        group="project",
    )
    p.add(
        "gcp:monitoring/alertPolicy:AlertPolicy",
        f"{cid}-alert-uptime",
        {
            "project": p.gcp_project,
            "display_name": f"{service_name}: health check failing",
            "combiner": "OR",
            "notification_channels": channels,
            "severity": "CRITICAL",
            "conditions": [
                {
                    "display_name": f"{cid}: {health} fails from several regions",
                    "condition_threshold": {
                        "filter": concat(
                            'metric.type="monitoring.googleapis.com/uptime_check/check_passed" AND '
                            'resource.type="uptime_url" AND metric.labels.check_id="',
                            Ref(f"{cid}-uptime", "uptime_check_id"),
                            '"',
                        ),
                        "aggregations": [
                            {
                                "alignment_period": "300s",
                                "per_series_aligner": "ALIGN_NEXT_OLDER",
                                "cross_series_reducer": "REDUCE_COUNT_FALSE",
                                "group_by_fields": ["resource.label.project_id", "resource.label.host"],
                            }
                        ],
                        "comparison": "COMPARISON_GT",
                        "threshold_value": 1,
                        "duration": "600s",
                        "trigger": {"count": 1},
                    },
                }
            ],
            "documentation": {
                "content": f"The uptime check on {health} of {cid} ({p.deployment.name}) fails.",
                "mime_type": "text/markdown",
            },
        },
        cid,
        group="project",
    )


INGEST_SCHEDULE = "*/15 * * * *"  # an ingest job with no schedule of its own picks up incoming/ this often


def _ingest_lake(p: GcpPlanner, cid: str) -> str | None:
    """The logical lake bucket ``cid`` ingests from on this stack (see ``ingests``), if any."""
    buckets = p.facts.get("buckets", {})
    for wid, wh in sorted(p.facts.get("warehouses", {}).items()):
        lake_ids = {b for b, logical in buckets.items() if logical == wh["lake"]}
        if ingests(p.project, cid, wid, lake_ids):
            lake: str = wh["lake"]
            return lake
    return None


def _with_source(args: list[Any], source: Any) -> list[Any]:
    """The command with its ``--source`` value replaced (added when it has none)."""
    out = list(args)
    if "--source" in out and out.index("--source") + 1 < len(out):
        out[out.index("--source") + 1] = source
    else:
        out += ["--source", source]
    if "--mode" not in out:
        out += ["--mode", "append"]  # new files add to the published tables (replace is for full exports)
    return out


def build_job(p: GcpPlanner, comp: DeployedComponent[Job]) -> None:
    """A Cloud Run job, run on demand or on its cron schedule by Cloud Scheduler."""
    cid, model = comp.id, comp.component
    w = _workload(p, comp)
    container = dict(w["container"])
    lake = _ingest_lake(p, cid)
    schedule = model.schedule
    if lake is not None:
        # Files dropped under incoming/ are ingested by the next run: the job reads the lake, not its disk.
        container["args"] = _with_source(container.get("args") or [], concat("gs://", Ref(lake, "name"), "/incoming/"))
        schedule = schedule or INGEST_SCHEDULE
    template: dict[str, Any] = {
        "service_account": Ref(w["account"], "email"),
        "max_retries": 1,
        "timeout": "3600s",
        "execution_environment": "EXECUTION_ENVIRONMENT_GEN2",
        "containers": [container],
    }
    template.update(_attachments(w))
    job = f"{cid}-job"
    p.add(
        "gcp:cloudrunv2/job:Job",
        job,
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": p.name(cid),
            "launch_stage": "GA",
            "deletion_protection": p.prod_like,
            "template": {"task_count": 1, "parallelism": 1, "template": template},
        },
        cid,
        group="region",
        depends_on=w["waits"],
    )
    p.output(f"{cid.replace('-', '_')}_job_name", Ref(job, "name"), f"Cloud Run job of {cid}")
    if not schedule:
        return
    invoker = f"{cid}-scheduler-account"
    p.add(
        "gcp:serviceaccount/account:Account",
        invoker,
        {
            "project": p.gcp_project,
            "account_id": p.account_id(cid, "sched"),
            "display_name": f"starts {cid} on its schedule ({p.deployment.name})",
            "description": f"Cloud Scheduler runs {cid} as this account: run.invoker on that job only",
        },
        cid,
        group="project",
    )
    p.add(
        "gcp:cloudrunv2/jobIamMember:JobIamMember",
        f"{cid}-scheduler-runs-job",
        {
            "project": p.gcp_project,
            "location": p.region,
            "name": Ref(job, "name"),
            "role": "roles/run.invoker",
            "member": p.member(invoker),
        },
        cid,
        group="region",
    )
    p.add(
        "gcp:cloudscheduler/job:Job",
        f"{cid}-schedule",
        {
            "project": p.gcp_project,
            "region": p.region,
            "name": p.name(cid),
            "schedule": schedule,
            "time_zone": "Etc/UTC",
            "attempt_deadline": "320s",
            "http_target": {
                "http_method": "POST",
                "uri": concat(
                    f"https://run.googleapis.com/v2/projects/{p.gcp_project}/locations/{p.region}/jobs/",
                    Ref(job, "name"),
                    ":run",
                ),
                "oauth_token": {
                    "service_account_email": Ref(invoker, "email"),
                    "scope": "https://www.googleapis.com/auth/cloud-platform",
                },
            },
        },
        cid,
        group="region",
        depends_on=(f"{cid}-scheduler-runs-job",),
    )


# ---------------------------------------------------------------- the registry


KINDS: dict[str, KindRule] = kind_table("gcp")  # the gcp kind rules (stacks/rules/gcp.py)


def _phase(comp: DeployedComponent) -> int:
    """Build order: data kinds first; a kind this target has no rule for last (and refused there)."""
    rule = KINDS.get(rule_key(comp.kind, comp.component.mode))
    return rule.phase if rule else 9


def plan_components(p: GcpPlanner, components: tuple[DeployedComponent, ...]) -> None:
    """Run each component's builder, data kinds first."""
    for comp in sorted(components, key=lambda c: (_phase(c), c.id)):
        rule = KINDS.get(rule_key(comp.kind, comp.component.mode))
        if rule is None:
            raise StacksError(
                f"{p.deployment.name}: '{comp.id}' is a {comp.kind}, which the gcp plan cannot deploy yet",
                hint=f"GCP deploys: {', '.join(sorted(KINDS))}",
            )
        rule.builder()(p, comp)


def labels(project: Project, deployment: Deployment) -> dict[str, str]:
    return {
        "system": project.model.system.name,
        "environment": deployment.environment,
        "stack": deployment.name,
        "managed-by": "stacks",
    }


def gcp_settings(deployment: Deployment) -> tuple[str, str]:
    stack = deployment.stack
    if isinstance(stack, HybridStack):
        return stack.gcp.project, stack.gcp.region
    if isinstance(stack, GcpStack):
        return stack.project, stack.region
    raise ValueError(f"{deployment.name} is a {deployment.target} deployable: it has no GCP settings")


def provider_config(project: Project, deployment: Deployment) -> dict[str, Any]:
    gcp_project, region = gcp_settings(deployment)
    return {"project": gcp_project, "region": region, "default_labels": labels(project, deployment)}


def plan_gcp(project: Project, deployment: Deployment) -> Plan:
    gcp_project, region = gcp_settings(deployment)
    p = GcpPlanner(project, deployment, gcp_project, region)
    components = deployment.on("gcp")
    baseline(p)
    plan_components(p, components)
    p.output("project", gcp_project, "GCP project")
    p.finish()
    plan = Plan(
        stack=deployment.name,
        target="gcp",
        providers={"gcp": provider_config(project, deployment)},
        resources=tuple(p.resources),
        data=tuple(p.data),
        outputs=tuple(p.outputs),
        components={c.id: c.kind for c in components},
        tags=labels(project, deployment),
    )
    check_plan(plan)
    return plan


__all__ = ["KINDS", "GcpPlanner", "KindRule", "plan_gcp"]
