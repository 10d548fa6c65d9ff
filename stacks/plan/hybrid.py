"""The hybrid plan: one model placed on two clouds, every cross-cloud path a first-class part of the plan.

``plan_hybrid(project, deployment)`` runs the AWS builders (``stacks.plan.aws``)
for the components the stack places on ``aws`` and the GCP builders
(``stacks.plan.gcp``) for those on ``gcp``, into one plan with both providers.
Where a model connection crosses clouds, ``cross_cloud_links`` says how it is
carried and under which identity, and the planner adds what carries it:

- **data path** (an S3 lake feeding a BigQuery warehouse): a GCS mirror bucket
  and a scheduled Storage Transfer Service job that reads the lake through an
  AWS IAM role trusting only Google's transfer service account (web identity
  federation on its subject id; no access keys);
- **query path** (a workload on AWS querying a BigQuery warehouse): Workload
  Identity Federation: a GCP workload identity pool with an AWS provider that
  accepts only the ECS task roles of the calling workloads, a service account
  per workload that its task role may impersonate, and the credential
  configuration (JSON that names the pool, provider and service account; it
  holds no key) delivered to the task in an SSM parameter.

Names of a hybrid stack carry its stack id (``shop-hybrid-lake-prod``): it shares
the AWS account and GCP project with the single-cloud stacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stacks.errors import StacksError
from stacks.model import WORKLOAD_KINDS, HybridStack, Warehouse
from stacks.naming import resource_name, service_account_id, system_prefix
from stacks.plan import aws as awsplan
from stacks.plan import gcp as gcpplan
from stacks.plan.core import Json, Plan, Ref, check_plan, concat
from stacks.project import DeployedComponent, Deployment, Project
from stacks.rules import rule_key
from stacks.rules.base import KindRule

TRANSFER_EVERY = "3600s"  # the lake is mirrored to GCS hourly
TRANSFER_START = {"year": 2025, "month": 1, "day": 1}  # fixed, so the plan is deterministic
PROVIDER_ID = "aws-ecs-tasks"
GOOGLE_STS = "https://sts.googleapis.com/v1/token"


@dataclass(frozen=True)
class CrossCloudLink:
    """A model connection that crosses clouds, how it is carried and the identity that secures it."""

    source: str  # component ids, in the direction data or requests move
    target: str
    path: str  # "data" (Storage Transfer) or "query" (Workload Identity Federation)
    mechanism: str
    identity: str  # human-readable: who is trusted, as whom
    resources: tuple[str, ...]  # the plan resources that carry it

    @property
    def label(self) -> str:
        return f"{self.mechanism}\n{self.identity}"


class HybridAwsPlanner(awsplan.AwsPlanner):
    """The AWS planner with hybrid names (``shop-hybrid-api-prod``)."""

    def name(self, component: str = "", suffix: str = "") -> str:
        prefix = system_prefix(self.system, self.deployment.stack_id, self.deployment.target)
        return resource_name(prefix, component, self.env, suffix)


@dataclass(frozen=True)
class HybridNames:
    """The cloud names of a hybrid deployable's cross-cloud identities (``shop-hybrid-lake-prod-transfer``)."""

    prefix: str
    env: str

    def transfer_role(self, lake: str) -> str:
        return resource_name(self.prefix, lake, self.env, "transfer")

    def task_role(self, cid: str) -> str:
        return resource_name(self.prefix, cid, self.env, "task")

    @property
    def pool(self) -> str:
        return resource_name(self.prefix, "", self.env)


def _names(project: Project, deployment: Deployment) -> HybridNames:
    prefix = system_prefix(project.model.system.name, deployment.stack_id, deployment.target)
    return HybridNames(prefix, deployment.environment)


def hybrid_stack(deployment: Deployment) -> HybridStack:
    """The stack of a hybrid deployable (its aws and gcp settings)."""
    if not isinstance(deployment.stack, HybridStack):
        raise ValueError(f"{deployment.name} is a {deployment.target} deployable, not a hybrid one")
    return deployment.stack


def cross_cloud_links(project: Project, deployment: Deployment) -> list[CrossCloudLink]:
    """The connections of a hybrid deployable that cross clouds, each with its carrier and identity.

    Placements the planner cannot carry yet are refused here with a located hint,
    so the plan, the diagram and the docs all read the same list.
    """
    cloud = {c.id: c.cloud for c in deployment.components}
    kinds = {c.id: c.kind for c in deployment.components}
    names = _names(project, deployment)
    gcp_project = hybrid_stack(deployment).gcp.project
    links: dict[tuple[str, str, str], CrossCloudLink] = {}
    for comp in deployment.components:
        if not isinstance(comp.component, Warehouse) or comp.cloud != "gcp":
            continue
        lake = comp.component.lake
        if lake and cloud.get(lake) == "aws":
            role = names.transfer_role(lake)
            links[(lake, comp.id, "data")] = CrossCloudLink(
                lake,
                comp.id,
                "data",
                "Storage Transfer Service (hourly)",
                f"AWS role {role} trusts Google's transfer agent (web identity, no keys)",
                (f"{lake}-transfer-role", f"{lake}-transfer-policy", f"{lake}-mirror", f"{lake}-transfer"),
            )
    for conn in project.model.connections:
        a, b = conn.from_, conn.to
        if a not in cloud or b not in cloud or cloud[a] == cloud[b]:
            continue
        if (a, b, "data") in links or (b, a, "data") in links:
            continue
        pair = {a: kinds[a], b: kinds[b]}
        workload = next((x for x in (a, b) if pair[x] in WORKLOAD_KINDS), None)
        other = b if workload == a else a
        if workload and cloud[workload] == "aws" and kinds[other] == "warehouse" and cloud[other] == "gcp":
            account = service_account_id(workload, deployment.environment, deployment.stack_id, "hybrid")
            links[(workload, other, "query")] = CrossCloudLink(
                workload,
                other,
                "query",
                "Workload Identity Federation",
                f"ECS task role {names.task_role(workload)} acts as {account}@{gcp_project}.iam",
                (
                    "gcp-workload-pool",
                    "gcp-workload-provider",
                    f"{workload}-gcp-account",
                    f"{workload}-gcp-impersonation",
                    f"{workload}-gcp-credential-config",
                ),
            )
            continue
        if (
            conn.flow == "request"
            and kinds[b] in ("service", "frontend")
            and getattr(project.model.components[b], "public", False)
        ):
            links[(a, b, "request")] = CrossCloudLink(a, b, "request", "public HTTPS", "the callee's public URL", ())
            continue
        raise StacksError(
            f"{deployment.name}: the connection {a} -> {b} crosses from {cloud[a]} to {cloud[b]}, and the hybrid "
            "plan has no keyless way to carry it",
            hint="hybrid stacks carry an AWS lake feeding a GCP warehouse and AWS workloads querying a GCP "
            "warehouse; place both ends on one cloud (stacks.<id>.placement)",
        )
    return [links[k] for k in sorted(links)]


# ---------------------------------------------------------------- the cross-cloud paths


def _data_path(a: HybridAwsPlanner, g: gcpplan.GcpPlanner, link: CrossCloudLink) -> None:
    """Mirror the S3 lake into GCS with Storage Transfer Service, reading S3 through a federated role."""
    lake = link.source
    s3_bucket = a.facts["buckets"][lake]
    agent = g.lookup(
        "gcp:storage/getTransferProjectServiceAccount:getTransferProjectServiceAccount",
        "gcp-transfer-agent",
        {"project": g.gcp_project},
    )
    role = _transfer_role(a, lake, agent, s3_bucket)
    mirror = _mirror_bucket(g, lake, agent)
    _transfer_job(a, g, lake, s3_bucket, role, mirror)
    g.facts.setdefault("lake_mirrors", {})[lake] = mirror
    g.output(f"{lake.replace('-', '_')}_mirror_bucket", Ref(mirror, "name"), f"GCS mirror of {lake}")
    a.output(
        f"{lake.replace('-', '_')}_transfer_role_arn",
        Ref(role, "arn"),
        "the role Storage Transfer Service assumes to read the lake",
    )


def _transfer_role(a: HybridAwsPlanner, lake: str, agent: str, s3_bucket: str) -> str:
    """The AWS role only this project's transfer agent may assume (web identity), allowed to read the lake."""
    role = f"{lake}-transfer-role"
    a.add(
        "aws:iam/role:Role",
        role,
        {
            "name": a.name(lake, "transfer"),
            "description": "Google Storage Transfer Service reads the lake: web identity of its agent, no keys",
            "max_session_duration": 3600,
            "assume_role_policy": awsplan.policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "accounts.google.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    # Only this project's transfer agent: its subject id, as Google's token states it.
                    "Condition": {"StringEquals": {"accounts.google.com:sub": Ref(agent, "subject_id")}},
                }
            ),
        },
        lake,
        group="global",
    )
    bucket_arn = Ref(s3_bucket, "arn")
    a.add(
        "aws:iam/rolePolicy:RolePolicy",
        f"{lake}-transfer-policy",
        {
            "role": Ref(role, "name"),
            "policy": awsplan.policy(
                awsplan.allow(["s3:GetBucketLocation", "s3:ListBucket"], [bucket_arn], sid="ListLake"),
                awsplan.allow(["s3:GetObject"], [concat(bucket_arn, "/tables/*")], sid="ReadTables"),
                awsplan.allow(["kms:Decrypt"], [Ref("key", "arn")], sid="LakeKey"),
            ),
        },
        lake,
        group="global",
    )
    return role


def _mirror_bucket(g: gcpplan.GcpPlanner, lake: str, agent: str) -> str:
    """The GCS bucket the lake is mirrored into, writable and readable by the transfer agent only."""
    mirror = f"{lake}-mirror"
    inputs: dict[str, Any] = {
        "name": g.bucket_name(g.name(lake)),
        "project": g.gcp_project,
        "location": g.region,
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        "versioning": {"enabled": True},
        "force_destroy": not g.prod_like,
        "lifecycle_rules": gcpplan._lifecycle(None, noncurrent_days=30),
        "soft_delete_policy": {"retention_duration_seconds": 7 * 86400},
    }
    if g.facts.get("access_logs"):
        inputs["logging"] = {"log_bucket": Ref(g.facts["access_logs"], "name"), "log_object_prefix": lake}
    g.add("gcp:storage/bucket:Bucket", mirror, inputs, lake, group="region", protect=g.prod_like)
    agent_member = concat("serviceAccount:", Ref(agent, "email"))
    for role_id, short in (("roles/storage.legacyBucketWriter", "writes"), ("roles/storage.objectViewer", "reads")):
        g.add(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            f"{lake}-mirror-transfer-{short}",
            {
                "bucket": Ref(mirror, "name"),
                "role": role_id,
                "member": agent_member,
            },
            lake,
            group="region",
        )
    return mirror


def _transfer_job(
    a: HybridAwsPlanner, g: gcpplan.GcpPlanner, lake: str, s3_bucket: str, role: str, mirror: str
) -> None:
    """The hourly Storage Transfer Service job copying the lake's tables/ from S3 into the mirror."""
    g.add(
        "gcp:storage/transferJob:TransferJob",
        f"{lake}-transfer",
        {
            "project": g.gcp_project,
            "description": f"{a.deployment.name}: mirror s3://{a.name(lake)}/tables/ into GCS for BigQuery",
            "status": "ENABLED",
            "transfer_spec": {
                "aws_s3_data_source": {
                    "bucket_name": Ref(s3_bucket, "bucket"),
                    "role_arn": Ref(role, "arn"),
                    "path": "tables/",
                },
                "gcs_data_sink": {"bucket_name": Ref(mirror, "name"), "path": "tables/"},
                "transfer_options": {"overwrite_when": "DIFFERENT", "delete_objects_unique_in_sink": True},
            },
            "schedule": {"schedule_start_date": TRANSFER_START, "repeat_interval": TRANSFER_EVERY},
            "logging_config": {"log_actions": ["COPY", "DELETE", "FIND"], "log_action_states": ["SUCCEEDED", "FAILED"]},
        },
        lake,
        group="region",
        depends_on=(f"{lake}-transfer-policy", f"{lake}-mirror-transfer-writes", f"{lake}-mirror-transfer-reads"),
    )


def _query_path(a: HybridAwsPlanner, g: gcpplan.GcpPlanner, links: list[CrossCloudLink]) -> None:
    """Workload Identity Federation: AWS task roles act as GCP service accounts, with no key anywhere."""
    if not links:
        return
    names = _names(a.project, a.deployment)
    _workload_pool(a, g, names, sorted({names.task_role(link.source) for link in links}))
    for link in links:
        cid, wid = link.source, link.target
        lake = g.facts.get("warehouses", {}).get(wid, {}).get("lake")
        source_lake: str | None = next((lk for lk, m in g.facts.get("lake_mirrors", {}).items() if m == lake), None)
        registers = source_lake is not None and gcpplan.ingests(a.project, cid, wid, {source_lake})
        account = _federated_account(a, g, names, cid, wid, registers)
        gcpplan._grants(g, cid, account, lake_access=False)
        parameter_name = _credential_config(a, cid, account)
        statements = [
            awsplan.allow(["ssm:GetParameter"], [a.arn("ssm", f"parameter{parameter_name}")], sid="GcpCredentialConfig")
        ]
        if source_lake:
            statements += _lake_access(a, source_lake, registers)
        # What this workload reads from the warehouse across clouds: the S3 lake it writes (the transfer
        # carries it to the mirror BigQuery reads) and its federation config; the rest is the GCP outputs.
        seen_from_aws: dict[str, Any] = {"credentials": parameter_name}
        if source_lake:
            seen_from_aws["uri"] = concat("s3://", Ref(a.facts["buckets"][source_lake], "bucket"), "/tables/")
        a.provide(wid, seen_from_aws, caller=cid)
        a.facts.setdefault("extra_access", {}).setdefault(cid, []).extend(statements)


def _workload_pool(a: HybridAwsPlanner, g: gcpplan.GcpPlanner, names: HybridNames, roles: list[str]) -> None:
    """The workload identity pool and its AWS provider, which accepts only the named ECS task roles."""
    g.add(
        "gcp:iam/workloadIdentityPool:WorkloadIdentityPool",
        "gcp-workload-pool",
        {
            "project": g.gcp_project,
            "workload_identity_pool_id": names.pool,
            "display_name": f"{a.deployment.name} AWS tasks",
            "description": f"ECS tasks of {a.deployment.name} in AWS account of the stack",
        },
        group="project",
    )
    g.add(
        "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider",
        "gcp-workload-provider",
        {
            "project": g.gcp_project,
            "workload_identity_pool_id": Ref("gcp-workload-pool", "workload_identity_pool_id"),
            "workload_identity_pool_provider_id": PROVIDER_ID,
            "display_name": "ECS task roles",
            "aws": {"account_id": a.account()},
            "attribute_mapping": {
                "google.subject": "assertion.arn",
                "attribute.aws_account": "assertion.account",
                "attribute.aws_role": "assertion.arn.extract('assumed-role/{role}/')",
            },
            # Only the task roles of the workloads that query the warehouse may exchange their AWS identity.
            "attribute_condition": "attribute.aws_role in [" + ", ".join(f"'{r}'" for r in roles) + "]",
        },
        group="project",
        waivers={
            "CKV_GCP_125": "a GitHub Actions OIDC check: this provider is AWS (no oidc block, which the check cannot "
            "read); it is restricted by attribute_condition to the named ECS task roles"
        },
    )


def _federated_account(
    a: HybridAwsPlanner, g: gcpplan.GcpPlanner, names: HybridNames, cid: str, wid: str, registers: bool
) -> str:
    """The GCP service account workload ``cid`` acts as, impersonable by its ECS task role through the pool."""
    account = f"{cid}-gcp-account"
    g.add(
        "gcp:serviceaccount/account:Account",
        account,
        {
            "project": g.gcp_project,
            "account_id": g.account_id(cid),
            "display_name": f"{cid} on AWS ({a.deployment.name})",
            "description": f"the identity ECS tasks of {cid} use in GCP: "
            + (f"register and query {wid}'s tables" if registers else f"query {wid}")
            + ", nothing else",
        },
        cid,
        group="project",
    )
    g.add(
        "gcp:serviceaccount/iAMMember:IAMMember",
        f"{cid}-gcp-impersonation",
        {
            "service_account_id": Ref(account, "name"),
            "role": "roles/iam.workloadIdentityUser",
            "member": concat(
                "principalSet://iam.googleapis.com/",
                Ref("gcp-workload-pool", "name"),
                "/attribute.aws_role/",
                names.task_role(cid),
            ),
        },
        cid,
        group="project",
    )
    return account


def _credential_config(a: HybridAwsPlanner, cid: str, account: str) -> str:
    """The credential configuration (names the pool, provider and account; no key) as an SSM parameter: its name."""
    audience = concat("//iam.googleapis.com/", Ref("gcp-workload-provider", "name"))
    impersonation = concat(
        "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/",
        Ref(account, "email"),
        ":generateAccessToken",
    )
    config = {
        "type": "external_account",
        "audience": audience,
        "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
        "service_account_impersonation_url": impersonation,
        "token_url": GOOGLE_STS,
        "credential_source": {
            "environment_id": "aws1",
            "regional_cred_verification_url": "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
        },
    }
    parameter = f"{cid}-gcp-credential-config"
    parameter_name = f"/{a.name(cid)}/gcp-credential-config"
    a.add(
        "aws:ssm/parameter:Parameter",
        parameter,
        {
            "name": parameter_name,
            "type": "SecureString",
            "key_id": Ref("key", "arn"),
            "description": f"Workload Identity Federation config for {cid}: names the pool, provider and service "
            "account; holds no key",
            "value": Json(config),
        },
        cid,
        group="region",
    )
    return parameter_name


def _lake_access(a: HybridAwsPlanner, source_lake: str, registers: bool) -> list[dict[str, Any]]:
    """What loads the warehouse publishes into the S3 lake (then mirrored); what only queries it reads."""
    s3 = a.facts["buckets"][source_lake]
    return [
        awsplan.allow(["s3:GetBucketLocation", "s3:ListBucket"], [Ref(s3, "arn")], sid="LakeList"),
        awsplan.allow(
            ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"] if registers else ["s3:GetObject"],
            [concat(Ref(s3, "arn"), "/*")],
            sid="LakeObjects",
        ),
    ]


# ---------------------------------------------------------------- the plan


def _rule(kinds: Mapping[str, KindRule], comp: DeployedComponent) -> KindRule | None:
    """The rule deploying ``comp`` in a cloud's table: its kind's, or its mode's (a static frontend)."""
    return kinds.get(rule_key(comp.kind, comp.component.mode))


def _build(
    planner: awsplan.AwsPlanner | gcpplan.GcpPlanner, kinds: Mapping[str, KindRule], comp: DeployedComponent, cloud: str
) -> None:
    rule = _rule(kinds, comp)
    if rule is None:
        raise StacksError(
            f"{planner.deployment.name}: '{comp.id}' is a {comp.kind}, which the {cloud} part of a "
            "hybrid plan cannot deploy yet",
            hint=f"{cloud} deploys: {', '.join(sorted(kinds))}",
        )
    rule.builder()(planner, comp)


def _phase(comps: Iterable[DeployedComponent], kinds: Mapping[str, KindRule], n: int) -> list[DeployedComponent]:
    """The components built in phase ``n`` on one cloud (``KindRule.phase``), by id."""
    return [c for c in sorted(comps, key=lambda c: c.id) if (rule := _rule(kinds, c)) is not None and rule.phase == n]


def plan_hybrid(project: Project, deployment: Deployment) -> Plan:
    stack = hybrid_stack(deployment)
    links = cross_cloud_links(project, deployment)
    a = HybridAwsPlanner(project, deployment, stack.aws.region)
    g = gcpplan.GcpPlanner(
        project,
        deployment,
        stack.gcp.project,
        stack.gcp.region,
        resources=a.resources,
        data=a.data,
        outputs=a.outputs,
    )
    on_aws, on_gcp = deployment.on("aws"), deployment.on("gcp")
    g.facts["outputs"] = a.facts.setdefault("outputs", {})  # a workload on one cloud reads the other's outputs
    g.facts["caller_outputs"] = a.facts.setdefault("caller_outputs", {})

    awsplan.baseline(a, on_aws)
    for n in (0, 1):
        for comp in _phase(on_aws, awsplan.KINDS, n):
            _build(a, awsplan.KINDS, comp, "aws")
    gcpplan.baseline(g)
    for link in links:
        if link.path == "data":
            _data_path(a, g, link)
    for n in (0, 1):
        for comp in _phase(on_gcp, gcpplan.KINDS, n):
            _build(g, gcpplan.KINDS, comp, "gcp")
    _query_path(a, g, [link for link in links if link.path == "query"])
    for comp in _phase(on_aws, awsplan.KINDS, 2) + _phase(on_aws, awsplan.KINDS, 3):  # 3: a static site
        _build(a, awsplan.KINDS, comp, "aws")
    a.run_later()
    for comp in _phase(on_gcp, gcpplan.KINDS, 2) + _phase(on_gcp, gcpplan.KINDS, 3):
        _build(g, gcpplan.KINDS, comp, "gcp")
    for comp in deployment.components:
        kinds = awsplan.KINDS if comp.cloud == "aws" else gcpplan.KINDS
        if _rule(kinds, comp) is None:
            _build(a if comp.cloud == "aws" else g, kinds, comp, comp.cloud)
    g.output("gcp_project", stack.gcp.project, "GCP project")
    g.finish()
    tags = awsplan.tags(project, deployment)
    plan = Plan(
        stack=deployment.name,
        target="hybrid",
        providers={
            "aws": {"region": stack.aws.region, "default_tags": {"tags": tags}},
            "gcp": gcpplan.provider_config(project, deployment),
        },
        resources=tuple(a.resources),
        data=tuple(a.data),
        outputs=tuple(a.outputs),
        components={c.id: c.kind for c in deployment.components},
        tags=tags,
        aliases=dict(a.aliases),  # CloudFront's certificates live in us-east-1
    )
    check_plan(plan)
    return plan
