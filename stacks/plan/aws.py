"""What each component kind becomes on AWS: one registry, ``KINDS``, plus the shared baseline.

``plan_aws(project, deployment)`` returns the ``Plan`` of an aws deployable: the
baseline every stack gets (KMS key, network, alerting, access-log bucket, ECS
cluster) and, for each deployed component, the resources its kind's builder
adds. Adding a kind is one rule in ``stacks/rules/aws.py`` naming its builder here (``KINDS`` is that table).

Builders only append plain ``Resource`` values to an ``AwsPlanner``; references
between resources are ``Ref`` markers, so the same plan renders as Pulumi,
Terraform JSON and diagrams. Every security choice is made here, once:
encryption with the stack's KMS key, TLS-only bucket policies, private tasks,
least-privilege roles. Where a rendering-level check (checkov) or one of our own
policies has to be waived, the resource carries the waiver and its reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stacks import targets
from stacks.errors import StacksError
from stacks.model import (
    WORKLOAD_KINDS,
    AwsStack,
    Bucket,
    Cache,
    Database,
    Frontend,
    Job,
    Queue,
    Service,
    Warehouse,
    Worker,
)
from stacks.naming import resource_name, sql_identifier
from stacks.plan.core import (
    Concat,
    DataSource,
    Json,
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
from stacks.project import AnyWorkload, DeployedComponent, Deployment, Project
from stacks.rules import KindRule, rule_key
from stacks.rules import table as kind_table
from stacks.rules.contract import SecretValue

VPC_CIDR = "10.0.0.0/16"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
TASK_USER = "10001:10001"  # the uid built images run as unless the model's security: says otherwise
GLUE_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "int",
    "DOUBLE": "double",
    "DECIMAL": "decimal(18,2)",
    "VARCHAR": "string",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "BOOLEAN": "boolean",
}
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
BYTES_SCANNED_CUTOFF = 10 * 1024**3  # 10 GiB per query: a runaway query costs cents, not dollars

# Reasons shared by several resources; each waiver states why the check does not apply.
WAIVE_NO_REPLICATION = (
    "single-region stack by design: versioning, KMS and deletion protection protect the "
    "data; cross-region replication is a disaster-recovery choice left to the operator"
)
WAIVE_NO_EVENTS = "no consumer subscribes to object events: ingest runs on demand or on its schedule"
# AWS managed rule groups every production web ACL runs (Log4j/known bad inputs included), before a rate limit.
WAF_MANAGED_RULES = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesAnonymousIpList",
)
# Rules of those groups that only count: analysts' notebooks legitimately run on cloud hosts.
WAF_COUNT_ONLY = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
WAF_RATE_LIMIT = 2000  # requests per client IP per 5 minutes


def waive_waf(env: str) -> str:
    return (
        f"the web application firewall runs in production environments; {env} is not one "
        "(stacks.yaml: name it prod or set deletion_protection)"
    )


WAIVE_WAF_BEHIND_CDN = (
    "the web ACL sits on the load balancer behind CloudFront, and only CloudFront's origin-facing "
    "servers reach that load balancer: every request passes it"
)


@dataclass
class AwsPlanner(PlannerBase):
    """Collects the resources of one aws deployable while builders run."""

    project: Project
    deployment: Deployment
    region: str
    resources: list[Resource] = field(default_factory=list)
    data: list[DataSource] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)  # what later builders need from earlier ones
    aliases: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)  # extra provider configurations
    later: list[Callable[[], None]] = field(default_factory=list)  # builders waiting for the workloads

    def run_later(self) -> None:
        """Run the deferred builders (a gateway's routes need the workloads they reach)."""
        while self.later:
            self.later.pop(0)()

    def name(self, component: str = "", suffix: str = "") -> str:
        return resource_name(self.system, component, self.env, suffix)

    def add(self, type_: str, name: str, inputs: dict[str, Any], component: str | None = None, **options: Any) -> Ref:
        if "name_prefix" in inputs:  # a unique name: the replacement is created before the old one goes
            options.setdefault("create_before_destroy", True)
        self.resources.append(Resource(type_, name, inputs, component, **options))
        return Ref(name, "id")

    def account(self) -> Ref:
        return Ref(self.lookup("aws:index/getCallerIdentity:getCallerIdentity", "caller"), "account_id")

    def bucket_name(self, name: str) -> Concat | str:
        """S3 names are global: the account id makes a stack's names its own (two users of one stacks.yaml)."""
        return concat(name, "-", self.account())

    def arn(self, service: str, resource: str) -> Concat | str:
        return concat(f"arn:aws:{service}:{self.region}:", self.account(), f":{resource}")

    def log_retention_waivers(self) -> dict[str, str]:
        days = self.settings.log_retention_days
        if days >= 365:
            return {}
        return {
            "CKV_AWS_338": f"retention is the {self.env} environment's log_retention_days ({days}) "
            "from stacks.yaml: short-lived non-production logs"
        }

    def log_group(self, logical: str, name: str, component: str | None) -> str:
        self.add(
            "aws:cloudwatch/logGroup:LogGroup",
            logical,
            {
                "name": name,
                "retention_in_days": self.settings.log_retention_days,
                "kms_key_id": Ref("key", "arn"),
            },
            component,
            group="region",
            waivers=self.log_retention_waivers(),
        )
        return logical


# ---------------------------------------------------------------- policy documents


def name_prefix(name: str) -> str:
    """A physical name prefix: the provider appends a unique suffix, so a replacement never clashes with the old one."""
    return name + "-"


def policy(*statements: dict[str, Any]) -> Json:
    return Json({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str], resources: list[Any], sid: str | None = None, **extra: Any) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Action": sorted(actions), "Resource": resources}
    if sid:
        stmt = {"Sid": sid, **stmt}
    stmt.update(extra)
    return stmt


def assume_role(service: str) -> Json:
    return policy({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


# ---------------------------------------------------------------- baseline


def _key(p: AwsPlanner) -> None:
    account_root = concat("arn:aws:iam::", p.account(), ":root")
    p.add(
        "aws:kms/key:Key",
        "key",
        {
            "description": f"{p.system} {p.env}: encrypts logs, buckets, images, the alert topic and query results",
            "enable_key_rotation": True,
            "deletion_window_in_days": 30,
            "policy": policy(
                # In a key policy "Resource": "*" means "this key" (AWS requires the wildcard there);
                # the account root statement delegates access to IAM policies, which stay scoped.
                {
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": account_root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{p.region}.amazonaws.com"},
                    "Action": [
                        "kms:Decrypt*",
                        "kms:Describe*",
                        "kms:Encrypt*",
                        "kms:GenerateDataKey*",
                        "kms:ReEncrypt*",
                    ],
                    "Resource": "*",
                    "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": p.arn("logs", "log-group:*")}},
                },
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                    "Resource": "*",
                },
            ),
        },
        group="region",
        waivers={"iam-no-star": 'a KMS key policy must name its key as "*"'},
        # Deleting the key makes every protected bucket, log group and image it encrypts unreadable.
        protect=p.prod_like,
    )
    p.add(
        "aws:kms/alias:Alias",
        "key-alias",
        {
            "name": f"alias/{p.name()}",
            "target_key_id": Ref("key", "key_id"),
        },
        group="region",
    )


def _network(p: AwsPlanner) -> None:
    """The VPC: public and private subnets per availability zone, NAT as the environment says, the S3
    gateway endpoint (interface endpoints without NAT) and flow logs."""
    s = p.settings
    # A closed set of zone names: the stack never silently spreads into a zone AWS adds later.
    candidates = [f"{p.region}{letter}" for letter in "abcdef"]
    azs = p.lookup(
        "aws:index/getAvailabilityZones:getAvailabilityZones",
        "azs",
        {"state": "available", "filters": [{"name": "zone-name", "values": candidates}]},
    )
    _vpc(p)
    public, private = _subnets(p, azs, s.availability_zones)
    nat_count = {"none": 0, "single": 1, "per_az": s.availability_zones}[s.nat]
    route_tables = _private_routes(p, public, private, nat_count)
    # S3 traffic (lake, query results, image layers) stays on the AWS network and skips the NAT bill.
    p.add(
        "aws:ec2/vpcEndpoint:VpcEndpoint",
        "s3-endpoint",
        {
            "vpc_id": Ref("vpc"),
            "service_name": f"com.amazonaws.{p.region}.s3",
            "vpc_endpoint_type": "Gateway",
            "route_table_ids": [Ref(rt) for rt in route_tables],
        },
        group="vpc",
    )
    if not nat_count:
        _interface_endpoints(p, private)
    _flow_logs(p)
    p.facts.update(public_subnets=public, private_subnets=private)


def _vpc(p: AwsPlanner) -> None:
    """The VPC, its locked-down default security group, the internet gateway and the public route table."""
    p.add(
        "aws:ec2/vpc:Vpc",
        "vpc",
        {
            "cidr_block": VPC_CIDR,
            "enable_dns_hostnames": True,
            "enable_dns_support": True,
            "tags": {"Name": p.name()},
        },
        group="vpc",
    )
    # Managing the default security group with no rules removes AWS's allow-all defaults from it.
    p.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", {"vpc_id": Ref("vpc")}, group="vpc")
    p.add("aws:ec2/internetGateway:InternetGateway", "igw", {"vpc_id": Ref("vpc")}, group="vpc")
    p.add("aws:ec2/routeTable:RouteTable", "public-rt", {"vpc_id": Ref("vpc")}, group="vpc")
    p.add(
        "aws:ec2/route:Route",
        "public-default-route",
        {
            "route_table_id": Ref("public-rt"),
            "destination_cidr_block": "0.0.0.0/0",
            "gateway_id": Ref("igw"),
        },
        group="vpc",
    )


def _subnets(p: AwsPlanner, azs: str, n: int) -> tuple[list[str], list[str]]:
    """A public and a private subnet in each of ``n`` availability zones: their logical names."""
    public: list[str] = []
    private: list[str] = []
    for i in range(n):
        az = Ref(azs, f"names[{i}]")
        pub, prv = f"public-subnet-{i + 1}", f"private-subnet-{i + 1}"
        p.add(
            "aws:ec2/subnet:Subnet",
            pub,
            {
                "vpc_id": Ref("vpc"),
                "cidr_block": f"10.0.{i}.0/24",
                "availability_zone": az,
                "map_public_ip_on_launch": False,
                "tags": {"Name": p.name(suffix=pub), "tier": "public"},
            },
            group=f"public-{i + 1}",
        )
        p.add(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"{pub}-rt",
            {
                "subnet_id": Ref(pub),
                "route_table_id": Ref("public-rt"),
            },
            group=f"public-{i + 1}",
        )
        p.add(
            "aws:ec2/subnet:Subnet",
            prv,
            {
                "vpc_id": Ref("vpc"),
                "cidr_block": f"10.0.{64 + 16 * i}.0/20",
                "availability_zone": az,
                "map_public_ip_on_launch": False,
                "tags": {"Name": p.name(suffix=prv), "tier": "private"},
            },
            group=f"private-{i + 1}",
        )
        public.append(pub)
        private.append(prv)
    return public, private


def _private_routes(p: AwsPlanner, public: list[str], private: list[str], nat_count: int) -> list[str]:
    """NAT gateways (none, one, or one per zone) and the private subnets' route tables: their logical names."""
    s = p.settings
    n = len(private)
    for i in range(nat_count):
        p.add("aws:ec2/eip:Eip", f"nat-eip-{i + 1}", {"domain": "vpc"}, group=f"public-{i + 1}")
        p.add(
            "aws:ec2/natGateway:NatGateway",
            f"nat-{i + 1}",
            {
                "allocation_id": Ref(f"nat-eip-{i + 1}"),
                "subnet_id": Ref(public[i]),
            },
            group=f"public-{i + 1}",
            depends_on=("igw",),
        )
    route_tables = []
    for i in range(n if s.nat == "per_az" else 1):
        rt = f"private-rt-{i + 1}"
        route_tables.append(rt)
        p.add("aws:ec2/routeTable:RouteTable", rt, {"vpc_id": Ref("vpc")}, group="vpc")
        if nat_count:
            p.add(
                "aws:ec2/route:Route",
                f"{rt}-nat",
                {
                    "route_table_id": Ref(rt),
                    "destination_cidr_block": "0.0.0.0/0",
                    "nat_gateway_id": Ref(f"nat-{min(i, nat_count - 1) + 1}"),
                },
                group="vpc",
            )
    for i, prv in enumerate(private):
        p.add(
            "aws:ec2/routeTableAssociation:RouteTableAssociation",
            f"{prv}-rt",
            {
                "subnet_id": Ref(prv),
                "route_table_id": Ref(route_tables[min(i, len(route_tables) - 1)]),
            },
            group=f"private-{i + 1}",
        )
    return route_tables


def _flow_logs(p: AwsPlanner) -> None:
    """VPC flow logs into CloudWatch Logs, written through a role that may only append to that group."""
    p.log_group("flow-logs", f"/vpc/{p.name()}/flow-logs", None)
    p.add(
        "aws:iam/role:Role",
        "flow-logs-role",
        {
            "name": p.name(suffix="flow-logs"),
            "assume_role_policy": assume_role("vpc-flow-logs.amazonaws.com"),
        },
        group="global",
    )
    p.add(
        "aws:iam/rolePolicy:RolePolicy",
        "flow-logs-policy",
        {
            "role": Ref("flow-logs-role", "name"),
            "policy": policy(
                allow(
                    ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                    [Ref("flow-logs", "arn"), concat(Ref("flow-logs", "arn"), ":*")],
                )
            ),
        },
        group="global",
    )
    p.add(
        "aws:ec2/flowLog:FlowLog",
        "vpc-flow-log",
        {
            "vpc_id": Ref("vpc"),
            "traffic_type": "ALL",
            "log_destination_type": "cloud-watch-logs",
            "log_destination": Ref("flow-logs", "arn"),
            "iam_role_arn": Ref("flow-logs-role", "arn"),
            "max_aggregation_interval": 60,
        },
        group="vpc",
    )


# Without NAT (nat: none) tasks reach AWS APIs only through interface endpoints: image pulls (ECR),
# logs, secrets (SSM), the key, queries (Athena, Glue) and STS for the task role's credentials.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "ssm", "kms", "athena", "glue", "sts")


def _interface_endpoints(p: AwsPlanner, private: list[str]) -> None:
    p.add(
        "aws:ec2/securityGroup:SecurityGroup",
        "endpoints-sg",
        {
            "name_prefix": name_prefix(p.name(suffix="endpoints")),
            "description": "VPC interface endpoints: HTTPS from inside the VPC",
            "vpc_id": Ref("vpc"),
        },
        group="vpc",
    )
    p.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "endpoints-in-https",
        {
            "security_group_id": Ref("endpoints-sg"),
            "description": "HTTPS from the VPC",
            "ip_protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_ipv4": VPC_CIDR,
        },
        group="vpc",
    )
    for service in INTERFACE_ENDPOINTS:
        p.add(
            "aws:ec2/vpcEndpoint:VpcEndpoint",
            f"{service.replace('.', '-')}-endpoint",
            {
                "vpc_id": Ref("vpc"),
                "service_name": f"com.amazonaws.{p.region}.{service}",
                "vpc_endpoint_type": "Interface",
                "private_dns_enabled": True,
                "subnet_ids": [Ref(s) for s in private],
                "security_group_ids": [Ref("endpoints-sg")],
            },
            group="vpc",
        )


def _alerts(p: AwsPlanner) -> None:
    p.add(
        "aws:sns/topic:Topic",
        "alerts",
        {
            "name": p.name(suffix="alerts"),
            "kms_master_key_id": Ref("key", "arn"),
        },
        group="region",
    )
    if p.settings.alert_email:
        p.add(
            "aws:sns/topicSubscription:TopicSubscription",
            "alerts-email",
            {
                "topic": Ref("alerts", "arn"),
                "protocol": "email",
                "endpoint": p.settings.alert_email,
            },
            group="region",
        )


def _bucket(
    p: AwsPlanner,
    logical: str,
    name: str,
    component: str | None,
    *,
    kms: bool = True,
    versioning: bool = True,
    expire_days: int | None = None,
    log_to: str | None = "access-logs",
    statements: tuple[dict[str, Any], ...] = (),
    waivers: dict[str, str] | None = None,
    protect: bool = False,
) -> str:
    """A private, encrypted, TLS-only bucket with lifecycle rules and (optionally) access logs."""
    bucket_waivers = {"CKV_AWS_144": WAIVE_NO_REPLICATION, "CKV2_AWS_62": WAIVE_NO_EVENTS, **(waivers or {})}
    p.add(
        "aws:s3/bucket:Bucket",
        logical,
        {
            "bucket": p.bucket_name(name),
            "force_destroy": not p.prod_like,
        },
        component,
        group="region",
        waivers=bucket_waivers,
        protect=protect,
    )
    ref = Ref(logical, "id")
    _bucket_private(p, logical, component)
    _bucket_storage(p, logical, component, kms=kms, versioning=versioning, expire_days=expire_days)
    bucket_arn = Ref(logical, "arn")
    p.add(
        "aws:s3/bucketPolicy:BucketPolicy",
        f"{logical}-policy",
        {
            "bucket": ref,
            "policy": policy(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, concat(bucket_arn, "/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                *statements,
            ),
        },
        component,
        group="region",
        depends_on=(f"{logical}-public-access",),
    )
    if log_to:
        p.add(
            "aws:s3/bucketLogging:BucketLogging",
            f"{logical}-logging",
            {
                "bucket": ref,
                "target_bucket": Ref(log_to, "id"),
                "target_prefix": f"s3/{name}/",
            },
            component,
            group="region",
        )
    return logical


def _bucket_private(p: AwsPlanner, logical: str, component: str | None) -> None:
    """No public access of any kind, and no ACLs: the bucket owner owns every object."""
    ref = Ref(logical, "id")
    p.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        f"{logical}-public-access",
        {
            "bucket": ref,
            "block_public_acls": True,
            "block_public_policy": True,
            "ignore_public_acls": True,
            "restrict_public_buckets": True,
        },
        component,
        group="region",
    )
    p.add(
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
        f"{logical}-ownership",
        {
            "bucket": ref,
            "rule": {"object_ownership": "BucketOwnerEnforced"},
        },
        component,
        group="region",
    )


def _bucket_storage(
    p: AwsPlanner, logical: str, component: str | None, *, kms: bool, versioning: bool, expire_days: int | None
) -> None:
    """Encryption at rest (the stack's key, or S3's), versioning and the housekeeping lifecycle rule."""
    ref = Ref(logical, "id")
    sse = {"sse_algorithm": "aws:kms", "kms_master_key_id": Ref("key", "arn")} if kms else {"sse_algorithm": "AES256"}
    p.add(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        f"{logical}-encryption",
        {
            "bucket": ref,
            "rules": [{"apply_server_side_encryption_by_default": sse, "bucket_key_enabled": kms}],
        },
        component,
        group="region",
    )
    p.add(
        "aws:s3/bucketVersioning:BucketVersioning",
        f"{logical}-versioning",
        {
            "bucket": ref,
            "versioning_configuration": {"status": "Enabled" if versioning else "Suspended"},
        },
        component,
        group="region",
    )
    rule: dict[str, Any] = {
        "id": "housekeeping",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {"noncurrent_days": 90},
    }
    if expire_days:
        rule["expiration"] = {"days": expire_days}
    p.add(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        f"{logical}-lifecycle",
        {
            "bucket": ref,
            "rules": [rule],
        },
        component,
        group="region",
        depends_on=(f"{logical}-versioning",),
    )


def _access_logs(p: AwsPlanner) -> None:
    name = p.name("logs")
    arn = concat("arn:aws:s3:::", p.bucket_name(name))
    statements: list[dict[str, Any]] = [
        {
            "Sid": "S3ServerAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": concat(arn, "/s3/*"),
            "Condition": {"StringEquals": {"aws:SourceAccount": p.account()}},
        },
    ]
    if p.facts.get("public_services"):
        elb = p.lookup("aws:elb/getServiceAccount:getServiceAccount", "elb-account")
        statements.append(
            {
                "Sid": "AlbAccessLogs",
                "Effect": "Allow",
                "Principal": {"AWS": Ref(elb, "arn")},
                "Action": "s3:PutObject",
                "Resource": concat(arn, "/alb/AWSLogs/", p.account(), "/*"),
            }
        )
    _bucket(
        p,
        "access-logs",
        name,
        None,
        kms=False,
        log_to=None,
        expire_days=max(p.settings.log_retention_days, 30),
        statements=tuple(statements),
        waivers={
            "CKV_AWS_145": "ALB access logs can only be delivered to SSE-S3 (AES256) buckets, not SSE-KMS",
            # checkov accepts a bucket other buckets log into; with none, it is still the access-log bucket.
            **(
                {}
                if any(c.kind in ("bucket", "warehouse") for c in p.deployment.on("aws"))
                else {"CKV_AWS_18": "this is the access-log bucket: logging it into itself would loop"}
            ),
        },
    )


def _cluster(p: AwsPlanner) -> None:
    p.log_group("cluster-exec-logs", f"/ecs/{p.name()}/exec", None)
    p.add(
        "aws:ecs/cluster:Cluster",
        "cluster",
        {
            "name": p.name(),
            "settings": [{"name": "containerInsights", "value": "enabled"}],
            "configuration": {
                "execute_command_configuration": {
                    "kms_key_id": Ref("key", "arn"),
                    "logging": "OVERRIDE",
                    "log_configuration": {
                        "cloud_watch_encryption_enabled": True,
                        "cloud_watch_log_group_name": Ref("cluster-exec-logs", "name"),
                    },
                }
            },
        },
        group="region",
    )
    p.output("cluster_name", Ref("cluster", "name"), "ECS cluster")


# ---------------------------------------------------------------- data kinds


def bucket_outputs(p: AwsPlanner, logical: str) -> dict[str, Any]:
    name = Ref(logical, "bucket")
    return {
        "name": name,
        "uri": concat("s3://", name, "/"),
        "endpoint": f"https://s3.{p.region}.amazonaws.com",
        "region": p.region,
    }


def build_bucket(p: AwsPlanner, comp: DeployedComponent[Bucket]) -> None:
    model = comp.component
    if model.public:
        raise StacksError(
            f"{comp.id}: public buckets are not deployed on AWS",
            hint="serve public files through the service; set public: false",
        )
    logical = f"{comp.id}-bucket"
    _bucket(
        p,
        logical,
        p.name(comp.id),
        comp.id,
        versioning=model.versioning,
        expire_days=model.expire_days,
        protect=p.prod_like,
    )
    p.facts.setdefault("buckets", {})[comp.id] = logical
    p.provide(comp.id, bucket_outputs(p, logical))
    p.output(f"{comp.id.replace('-', '_')}_bucket", Ref(logical, "bucket"), f"S3 bucket of {comp.id}")


def build_warehouse(p: AwsPlanner, comp: DeployedComponent[Warehouse]) -> None:
    model = comp.component
    lake = p.facts.get("buckets", {}).get(model.lake) if model.lake else None
    results = _bucket(p, f"{comp.id}-results", p.name(comp.id, "results"), comp.id, expire_days=30)
    if lake is None:
        lake = results
    workgroup = f"{comp.id}-workgroup"
    p.add(
        "aws:athena/workgroup:Workgroup",
        workgroup,
        {
            "name": p.name(comp.id),
            "state": "ENABLED",
            "force_destroy": not p.prod_like,
            "configuration": {
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "bytes_scanned_cutoff_per_query": BYTES_SCANNED_CUTOFF,
                "engine_version": {"selected_engine_version": "Athena engine version 3"},
                "result_configuration": {
                    "output_location": concat("s3://", Ref(results, "bucket"), "/results/"),
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": Ref("key", "arn")},
                },
            },
        },
        comp.id,
        group="region",
    )
    database = f"{comp.id}-database"
    db_name = sql_identifier(p.name(comp.id))
    p.add(
        "aws:glue/catalogDatabase:CatalogDatabase",
        database,
        {
            "name": db_name,
            "description": model.description,
            "location_uri": concat("s3://", Ref(lake, "bucket"), "/tables/"),
        },
        comp.id,
        group="region",
    )
    for table in model.tables:
        location = concat("s3://", Ref(lake, "bucket"), f"/tables/{table.name}/")
        params: dict[str, Any] = {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "SNAPPY"}
        partition_keys = []
        if table.partition_by:
            # Partition projection: Athena computes partitions from the path, no crawler or MSCK needed.
            col = table.partition_by
            partition_keys = [{"name": col, "type": "date"}]
            params.update(
                {
                    "projection.enabled": "true",
                    f"projection.{col}.type": "date",
                    f"projection.{col}.format": "yyyy-MM-dd",
                    f"projection.{col}.range": "2000-01-01,NOW",
                    f"projection.{col}.interval": "1",
                    f"projection.{col}.interval.unit": "DAYS",
                    "storage.location.template": concat(location, col + "=${" + col + "}/"),
                }
            )
        p.add(
            "aws:glue/catalogTable:CatalogTable",
            f"{comp.id}-table-{table.name.replace('_', '-')}",
            {
                "name": table.name,
                "database_name": Ref(database, "name"),
                "table_type": "EXTERNAL_TABLE",
                "description": table.description,
                "parameters": params,
                "partition_keys": partition_keys,
                "storage_descriptor": {
                    "location": location,
                    "input_format": PARQUET_IN,
                    "output_format": PARQUET_OUT,
                    "ser_de_info": {
                        "serialization_library": PARQUET_SERDE,
                        "parameters": {"serialization.format": "1"},
                    },
                    "columns": [
                        {"name": c.name, "type": GLUE_TYPES[c.type], "comment": c.description}
                        for c in table.columns
                        if c.name != table.partition_by
                    ],
                },
            },
            comp.id,
            group="region",
        )
    wh = {"workgroup": workgroup, "database": database, "results": results, "lake": lake, "db_name": db_name}
    p.facts.setdefault("warehouses", {})[comp.id] = wh
    p.provide(comp.id, _warehouse_outputs(p, database, lake, workgroup, results))
    # A second warehouse (or a GCP one in a hybrid stack) names its outputs after itself.
    first = not any(o.name in ("workgroup", "glue_database", "dataset") for o in p.outputs)
    own = "" if first else f"{comp.id.replace('-', '_')}_"
    p.output(f"{own}workgroup", Ref(workgroup, "name"), "Athena workgroup")
    p.output(f"{own}glue_database", Ref(database, "name"), "Glue database")


def _warehouse_outputs(p: AwsPlanner, database: str, lake: str, workgroup: str, results: str) -> dict[str, Any]:
    tables = concat("s3://", Ref(lake, "bucket"), "/tables/")
    return {
        "engine": "athena",
        "name": Ref(database, "name"),
        "project": "",
        "location": p.region,
        "uri": tables,
        "tables_uri": tables,
        "workgroup": Ref(workgroup, "name"),
        "results_uri": concat("s3://", Ref(results, "bucket"), "/results/"),
        "connection": "",
        "credentials": "",
    }


def build_queue(p: AwsPlanner, comp: DeployedComponent[Queue]) -> None:
    model = comp.component
    suffix = ".fifo" if model.fifo else ""
    retention = model.retention_hours * 3600
    p.add(
        "aws:sqs/queue:Queue",
        f"{comp.id}-dlq",
        {
            "name": p.name(comp.id, "dlq") + suffix,
            "fifo_queue": model.fifo,
            "message_retention_seconds": 1209600,
            "kms_master_key_id": Ref("key", "arn"),
        },
        comp.id,
        group="region",
    )
    p.add(
        "aws:sqs/queue:Queue",
        f"{comp.id}-queue",
        {
            "name": p.name(comp.id) + suffix,
            "fifo_queue": model.fifo,
            "message_retention_seconds": retention,
            "kms_master_key_id": Ref("key", "arn"),
            "redrive_policy": Json({"deadLetterTargetArn": Ref(f"{comp.id}-dlq", "arn"), "maxReceiveCount": 5}),
        },
        comp.id,
        group="region",
    )
    p.facts.setdefault("queues", {})[comp.id] = f"{comp.id}-queue"
    url = Ref(f"{comp.id}-queue", "url")
    p.provide(comp.id, {"name": p.name(comp.id) + suffix, "url": url, "subscription": url})


DB_PORTS = {"postgres": 5432, "mysql": 3306}
DB_LOGS = {"postgres": ["postgresql", "upgrade"], "mysql": ["audit", "error", "general", "slowquery"]}
DB_USER = "app"


def _database_outputs(cid: str, engine: str, port: int) -> dict[str, Any]:
    host, name = Ref(f"{cid}-db", "address"), sql_identifier(cid)
    scheme = {"postgres": "postgresql", "mysql": "mysql"}[engine]
    return {
        "host": host,
        "port": str(port),
        "name": name,
        "user": DB_USER,
        "url": concat(f"{scheme}://{DB_USER}@", host, f":{port}/{name}"),
        # ECS reads the password key of the RDS-managed secret into the variable (execution role).
        "password": SecretValue(concat(Ref(f"{cid}-db", "master_user_secrets[0].secret_arn"), ":password::")),
        "instance": "",
        "read_hosts": "",
        "ca_cert": "",  # RDS certificates chain to the RDS CA bundle the client ships
    }


def _db_class(storage_gb: int) -> str:
    # Graviton burstable classes; bigger databases get general-purpose memory.
    return "db.t4g.micro" if storage_gb <= 20 else "db.t4g.medium" if storage_gb <= 200 else "db.m7g.large"


def build_database(p: AwsPlanner, comp: DeployedComponent[Database]) -> None:
    """RDS in the private subnets: KMS-encrypted, IAM auth, RDS-managed master secret, reachable only from its users.

    The master password never appears in any file: RDS creates it in Secrets Manager
    (``manage_master_user_password``) and connecting workloads get the secret's ARN.
    The ingress rules are added by each connecting workload (``_store_access``),
    whose security group is built after this one.
    """
    cid, model = comp.id, comp.component
    engine = model.engine
    port = DB_PORTS[engine]
    prod = p.prod_like
    _store_network(p, cid, port, "aws:rds/subnetGroup:SubnetGroup", "db")
    _database_parameters(p, cid, model)
    version = model.engine_version
    waivers = (
        {}
        if prod
        else {
            "CKV_AWS_157": (
                "multi-AZ only where the environment sets deletion_protection (a dev database is disposable)"
            ),
            "CKV_AWS_293": "deletion protection follows the environment's deletion_protection setting",
        }
    )
    waivers["CKV_AWS_118"] = "enhanced monitoring needs an extra IAM role; Performance Insights covers it"
    p.add(
        "aws:rds/instance:Instance",
        f"{cid}-db",
        {
            "identifier": p.name(cid),
            "engine": engine,
            "engine_version": version,
            "instance_class": _db_class(model.storage_gb),
            "allocated_storage": model.storage_gb,
            "storage_type": "gp3",
            "storage_encrypted": True,
            "kms_key_id": Ref("key", "arn"),
            "db_name": sql_identifier(cid),
            "username": DB_USER,
            "manage_master_user_password": True,
            "master_user_secret_kms_key_id": Ref("key", "arn"),
            "iam_database_authentication_enabled": True,
            "db_subnet_group_name": Ref(f"{cid}-subnets", "name"),
            "vpc_security_group_ids": [Ref(f"{cid}-sg")],
            "parameter_group_name": Ref(f"{cid}-parameters", "name"),
            "port": port,
            "publicly_accessible": False,
            "multi_az": prod if model.multi_az is None else model.multi_az,
            "deletion_protection": prod,
            "backup_retention_period": model.backup_retention_days or (14 if prod else 7),
            "copy_tags_to_snapshot": True,
            "skip_final_snapshot": not prod,
            **({"final_snapshot_identifier": p.name(cid, "final")} if prod else {}),
            "auto_minor_version_upgrade": True,
            "enabled_cloudwatch_logs_exports": DB_LOGS[engine],
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": Ref("key", "arn"),
            "performance_insights_retention_period": 7,
        },
        cid,
        group="private",
        protect=prod,
        delete_before_replace=True,  # an engine change replaces it under the same identifier
        waivers=waivers,
    )
    _read_replicas(p, comp, waivers)
    p.facts.setdefault("stores", {})[cid] = {"kind": "database", "sg": f"{cid}-sg", "port": port, "engine": engine}
    p.provide(cid, _database_outputs(cid, engine, port))
    p.output(f"{cid.replace('-', '_')}_endpoint", Ref(f"{cid}-db", "address"), f"RDS endpoint of {cid}")


def _store_network(p: AwsPlanner, cid: str, port: int, subnet_group: str, short: str) -> None:
    """A data store's subnet group (the private subnets) and its security group (rules come with its users)."""
    p.add(
        subnet_group,
        f"{cid}-subnets",
        {
            "name": p.name(cid),
            "description": f"private subnets of {cid}",
            "subnet_ids": [Ref(s) for s in p.facts["private_subnets"]],
        },
        cid,
        group="vpc",
    )
    p.add(
        "aws:ec2/securityGroup:SecurityGroup",
        f"{cid}-sg",
        {
            "name_prefix": name_prefix(p.name(cid, short)),
            "description": f"{cid}: only the workloads that connect to it, on {port}",
            "vpc_id": Ref("vpc"),
        },
        cid,
        group="vpc",
    )


def _database_parameters(p: AwsPlanner, cid: str, model: Database) -> None:
    """The parameter group: TLS only, and (PostgreSQL) DDL and slow statements logged."""
    engine = model.engine
    version = model.engine_version
    family = f"postgres{version.split('.')[0]}" if engine == "postgres" else f"mysql{'.'.join(version.split('.')[:2])}"
    tls = {
        "postgres": [("rds.force_ssl", "1"), ("log_statement", "ddl"), ("log_min_duration_statement", "1000")],
        "mysql": [("require_secure_transport", "1")],
    }[engine]
    p.add(
        "aws:rds/parameterGroup:ParameterGroup",
        f"{cid}-parameters",
        {
            "name_prefix": name_prefix(p.name(cid)),
            "family": family,
            "description": f"{cid}: TLS only, slow statements logged",
            "parameters": [{"name": k, "value": v, "apply_method": "pending-reboot"} for k, v in tls],
        },
        cid,
        group="region",
    )


def _read_replicas(p: AwsPlanner, comp: DeployedComponent[Database], waivers: dict[str, str]) -> None:
    """Read replicas of the primary: same class, key, network and monitoring; they take no backups."""
    cid = comp.id
    for i in range(comp.component.read_replicas):
        p.add(
            "aws:rds/instance:Instance",
            f"{cid}-db-replica-{i + 1}",
            {
                "identifier": p.name(cid, f"replica-{i + 1}"),
                "replicate_source_db": Ref(f"{cid}-db", "identifier"),
                "instance_class": _db_class(comp.component.storage_gb),
                "storage_encrypted": True,
                "kms_key_id": Ref("key", "arn"),
                "iam_database_authentication_enabled": True,
                "vpc_security_group_ids": [Ref(f"{cid}-sg")],
                "parameter_group_name": Ref(f"{cid}-parameters", "name"),
                "publicly_accessible": False,
                "multi_az": False,
                "deletion_protection": p.prod_like,
                "skip_final_snapshot": True,
                "backup_retention_period": 0,
                "auto_minor_version_upgrade": True,
                "copy_tags_to_snapshot": True,
                "enabled_cloudwatch_logs_exports": DB_LOGS[comp.component.engine],
                "performance_insights_enabled": True,
                "performance_insights_kms_key_id": Ref("key", "arn"),
                "performance_insights_retention_period": 7,
            },
            cid,
            group="private",
            waivers={
                **waivers,
                "CKV_AWS_157": "a read replica: the primary carries multi-AZ and the backups",
                "CKV_AWS_133": "a read replica takes no backups of its own: the primary's automated backups cover it",
            },
        )


CACHE_PORTS = {"redis": 6379, "memcached": 11211}


def _cache_outputs(p: AwsPlanner, cid: str, engine: str, port: int, address: Any) -> dict[str, Any]:
    scheme = "rediss" if engine == "redis" else "memcached"  # Redis is TLS-only (transit encryption)
    return {
        "host": address,
        "port": str(port),
        "url": concat(f"{scheme}://", address, f":{port}" + ("/0" if engine == "redis" else "")),
        "user": p.name(cid, "app") if engine == "redis" else "",
        "password": "",  # IAM authentication as the user above
        "ca_cert": "",  # ElastiCache certificates chain to public roots
    }


def _cache_node(memory_mib: int) -> str:
    # The smallest Graviton node whose memory holds the model's `memory`.
    for mib, node in (
        (512, "cache.t4g.micro"),
        (1400, "cache.t4g.small"),
        (3100, "cache.t4g.medium"),
        (6500, "cache.m7g.large"),
        (13000, "cache.r7g.large"),
        (26000, "cache.r7g.xlarge"),
    ):
        if memory_mib <= mib:
            return node
    return "cache.r7g.2xlarge"


def build_cache(p: AwsPlanner, comp: DeployedComponent[Cache]) -> None:
    """ElastiCache in the private subnets, reachable only from its users.

    Redis: a replication group encrypted at rest (stack key) and in transit, whose users
    authenticate with IAM (RBAC user group: no AUTH token or password anywhere).
    Memcached: a TLS cluster (memcached has neither users nor at-rest encryption).
    """
    cid, model = comp.id, comp.component
    engine = model.engine
    port = CACHE_PORTS[engine]
    node = _cache_node(model.memory)
    _store_network(p, cid, port, "aws:elasticache/subnetGroup:SubnetGroup", "cache")
    common = {
        "subnet_group_name": Ref(f"{cid}-subnets", "name"),
        "security_group_ids": [Ref(f"{cid}-sg")],
        "port": port,
        "node_type": node,
    }
    if engine == "memcached":
        _memcached_cluster(p, cid, common)
        address = Ref(f"{cid}-cache", "cluster_address")  # the configuration endpoint's host name
    else:
        _redis_group(p, cid, common)
        address = Ref(f"{cid}-cache", "primary_endpoint_address")
    store = {"kind": "cache", "sg": f"{cid}-sg", "port": port, "engine": engine, "address": address}
    p.facts.setdefault("stores", {})[cid] = store
    p.provide(cid, _cache_outputs(p, cid, engine, port, address))
    p.output(f"{cid.replace('-', '_')}_endpoint", address, f"ElastiCache endpoint of {cid}")


def _memcached_cluster(p: AwsPlanner, cid: str, common: dict[str, Any]) -> None:
    """A memcached cluster with TLS in transit, across zones in production."""
    prod = p.prod_like
    p.add(
        "aws:elasticache/cluster:Cluster",
        f"{cid}-cache",
        {
            "cluster_id": p.name(cid),
            "engine": "memcached",
            "engine_version": "1.6.22",
            "num_cache_nodes": 2 if prod else 1,
            "az_mode": "cross-az" if prod else "single-az",
            "transit_encryption_enabled": True,
            **common,
        },
        cid,
        group="private",
    )


def _redis_group(p: AwsPlanner, cid: str, common: dict[str, Any]) -> None:
    """A Redis replication group, encrypted at rest and in transit, whose one user signs in with IAM."""
    prod = p.prod_like
    engine = "redis"
    user = p.name(cid, "app")
    p.add(
        "aws:elasticache/user:User",
        f"{cid}-default-user",
        {
            "user_id": p.name(cid, "default"),
            "user_name": "default",
            "engine": "redis",
            "access_string": "off -@all",
            "authentication_mode": {"type": "no-password-required"},
        },
        cid,
        group="region",
    )
    p.add(
        "aws:elasticache/user:User",
        f"{cid}-user",
        {
            "user_id": user,
            "user_name": user,
            "engine": "redis",
            "access_string": "on ~* +@all -@dangerous",
            "authentication_mode": {"type": "iam"},
        },
        cid,
        group="region",
    )
    p.add(
        "aws:elasticache/userGroup:UserGroup",
        f"{cid}-users",
        {
            "user_group_id": p.name(cid),
            "engine": "redis",
            "user_ids": [Ref(f"{cid}-default-user", "user_id"), Ref(f"{cid}-user", "user_id")],
        },
        cid,
        group="region",
    )
    p.add(
        "aws:elasticache/replicationGroup:ReplicationGroup",
        f"{cid}-cache",
        {
            "replication_group_id": p.name(cid),
            "description": f"{cid} ({engine})",
            "engine": "redis",
            "engine_version": "7.1",
            "num_cache_clusters": 2 if prod else 1,
            "automatic_failover_enabled": prod,
            "multi_az_enabled": prod,
            "at_rest_encryption_enabled": True,
            "kms_key_id": Ref("key", "arn"),
            "transit_encryption_enabled": True,
            "user_group_ids": [Ref(f"{cid}-users", "user_group_id")],
            "snapshot_retention_limit": 7 if prod else 1,
            "auto_minor_version_upgrade": True,
            **common,
        },
        cid,
        group="private",
        waivers={}
        if prod
        else {
            "CKV2_AWS_50": (
                "multi-AZ failover only where the environment sets deletion_protection (dev is disposable)"
            ),
        },
    )


def _store_grants(p: AwsPlanner, linked: set[str]) -> list[dict[str, Any]]:
    """IAM for the databases and caches a workload connects to (their addresses are outputs: ``provide``)."""
    statements: list[dict[str, Any]] = []
    for sid, store in sorted(p.facts.get("stores", {}).items()):
        if sid not in linked:
            continue
        if store["kind"] == "cache":
            if store["engine"] == "redis":
                statements.append(
                    allow(["elasticache:Connect"], [Ref(f"{sid}-cache", "arn"), Ref(f"{sid}-user", "arn")])
                )
            continue
        db = f"{sid}-db"
        statements.append(
            allow(["rds-db:connect"], [concat(p.arn("rds-db", "dbuser:"), Ref(db, "resource_id"), f"/{DB_USER}")])
        )
    return statements


def _store_access(p: AwsPlanner, cid: str, sg: str) -> None:
    """Open each store ``cid`` connects to for ``cid``'s tasks only, on the store's port, both ways."""
    for sid, store in sorted(p.facts.get("stores", {}).items()):
        if sid not in _linked(p, cid):
            continue
        port = store["port"]
        p.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"{sid}-from-{cid}",
            {
                "security_group_id": Ref(store["sg"]),
                "description": f"{cid} connects on {port}",
                "ip_protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "referenced_security_group_id": Ref(sg),
            },
            sid,
            group="vpc",
        )
        p.add(
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
            f"{cid}-to-{sid}",
            {
                "security_group_id": Ref(sg),
                "description": f"to {sid} on {port}",
                "ip_protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "referenced_security_group_id": Ref(store["sg"]),
            },
            cid,
            group="vpc",
        )


# ---------------------------------------------------------------- workloads


def _linked(p: AwsPlanner, cid: str) -> set[str]:
    """Components connected to ``cid`` either way in the model's connections."""
    out = set()
    for conn in p.project.model.connections:
        if conn.from_ == cid:
            out.add(conn.to)
        elif conn.to == cid:
            out.add(conn.from_)
    return out


def _writes(p: AwsPlanner, cid: str, targets: set[str]) -> bool:
    """Whether workload ``cid`` changes one of ``targets``: a data flow into it, or a request to a bucket.

    A bucket that backs a warehouse is written by what loads that warehouse (``ingest -> warehouse``, even
    on another cloud); queries (``api -> warehouse``, a request) and data flowing out (``lake -> ingest``) only read.
    """
    model = p.project.model
    backed = {w for w, c in model.components.items() if c.kind == "warehouse" and getattr(c, "lake", None) in targets}
    for conn in model.connections:
        into = conn.from_ == cid and conn.to in targets | backed
        if into and (conn.flow == "data" or model.components[conn.to].kind == "bucket"):
            return True
    return False


GLUE_READ = ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable", "glue:GetTables"]
# Publishing registers each version's tables and prunes old versions (app/catalog.py deletes their tables).
GLUE_WRITE = ["glue:BatchCreatePartition", "glue:CreateTable", "glue:DeleteTable", "glue:UpdateTable"]
OBJECT_READ = ["s3:GetObject"]
OBJECT_WRITE = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:PutObject"]


def _data_access(p: AwsPlanner, cid: str) -> list[dict[str, Any]]:
    """IAM statements for the data components a workload is connected to, read-only unless it writes."""
    linked = _linked(p, cid)
    statements: list[dict[str, Any]] = []
    buckets = dict(p.facts.get("buckets", {}))
    written = {logical for bid, logical in buckets.items() if bid in linked and _writes(p, cid, {bid})}
    for wid, wh in p.facts.get("warehouses", {}).items():
        lake_ids = {b for b in buckets if buckets[b] == wh["lake"]}
        if wid not in linked and not (linked & lake_ids):
            continue
        writer = _writes(p, cid, {wid, *lake_ids})
        buckets[f"{wid}-results"] = wh["results"]
        buckets[f"{wid}-lake"] = wh["lake"]
        written.add(wh["results"])  # Athena writes query results with the caller's identity
        if writer:
            written.add(wh["lake"])
        statements.append(
            allow(
                [
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:GetWorkGroup",
                    "athena:StartQueryExecution",
                    "athena:StopQueryExecution",
                ],
                [Ref(wh["workgroup"], "arn")],
                sid="Athena",
            )
        )
        statements.append(
            allow(
                sorted(GLUE_READ + (GLUE_WRITE if writer else [])),
                [
                    p.arn("glue", "catalog"),
                    p.arn("glue", f"database/{wh['db_name']}"),
                    p.arn("glue", f"table/{wh['db_name']}/*"),
                ],
                sid="GlueCatalog",
            )
        )
    seen: set[str] = set()
    for bid, logical in sorted(buckets.items()):
        if logical in seen or (bid not in linked and not bid.endswith(("-results", "-lake"))):
            continue
        seen.add(logical)
        statements.append(allow(["s3:GetBucketLocation", "s3:ListBucket"], [Ref(logical, "arn")]))
        statements.append(
            allow(OBJECT_WRITE if logical in written else OBJECT_READ, [concat(Ref(logical, "arn"), "/*")])
        )
    for qid, logical in sorted(p.facts.get("queues", {}).items()):
        if qid in linked:
            statements.append(
                allow(
                    [
                        "sqs:ChangeMessageVisibility",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                        "sqs:ReceiveMessage",
                        "sqs:SendMessage",
                    ],
                    [Ref(logical, "arn")],
                )
            )
    statements.extend(_store_grants(p, linked))
    # Access another planner grants this workload (the hybrid stack's cross-cloud paths).
    statements.extend(p.facts.get("extra_access", {}).get(cid, ()))
    if statements:
        statements.append(allow(["kms:Decrypt", "kms:GenerateDataKey"], [Ref("key", "arn")], sid="StackKey"))
    return statements


def platform_env(p: AwsPlanner) -> dict[str, str]:
    """What every AWS workload gets besides its model env: the region the SDKs use."""
    return {"AWS_REGION": p.region, "AWS_DEFAULT_REGION": p.region}


def _secret_output_access(bound_secrets: dict[str, SecretValue]) -> list[dict[str, Any]]:
    """Secret outputs (a database password) come from Secrets Manager, encrypted with the stack key."""
    if not bound_secrets:
        return []
    arns = [v.source for _, v in sorted(bound_secrets.items())]
    return [
        allow(["secretsmanager:GetSecretValue"], arns, sid="SecretOutputs"),
        allow(["kms:Decrypt"], [Ref("key", "arn")], sid="SecretOutputsKey"),
    ]


def _container_secrets(p: AwsPlanner, secrets: dict[str, str], bound: dict[str, SecretValue]) -> list[dict[str, Any]]:
    """The model's secrets (SSM parameters) and the secret outputs it binds, by reference, sorted by name."""
    entries = [{"name": k, "valueFrom": _secret_arn(p, v)} for k, v in secrets.items()]
    entries += [{"name": k, "valueFrom": v.source} for k, v in bound.items()]
    return sorted(entries, key=lambda e: e["name"])


def _secret_arn(p: AwsPlanner, secret: str) -> Concat | str:
    return p.arn("ssm", f"parameter/{secret.lstrip('/')}")


def _container_security(model: AnyWorkload) -> dict[str, Any]:
    """A prebuilt image runs as its own user with a writable root unless the model declares otherwise."""
    security = model.effective_security
    user = {"user": f"{security.user}:{security.user}"} if security.user is not None else {}
    return {**user, "readonlyRootFilesystem": security.read_only}


def _container_health(model: AnyWorkload) -> dict[str, Any]:
    """The container health check a health command declares (an HTTP path is the load balancer's probe)."""
    if not model.health_command:
        return {}
    return {
        "healthCheck": {
            "command": ["CMD-SHELL", model.health_command],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        }
    }


def _image(p: AwsPlanner, comp: DeployedComponent[AnyWorkload]) -> Any:
    """The image a workload runs: its prebuilt reference, or one built from its context into its ECR repository."""
    cid, model = comp.id, comp.component
    base = p.name(cid)
    g = "region"
    if model.image:
        image: Any = model.image
    else:
        build = model.build
        if build is None:
            raise StacksError(
                f"{cid}: a {comp.kind} on AWS needs 'build' or 'image'",
                hint=f"add build: {{context: .}} or image: <reference> to components.{cid}",
            )
        repo = f"{cid}-repository"
        p.add(
            "aws:ecr/repository:Repository",
            repo,
            {
                "name": base,
                "image_tag_mutability": "IMMUTABLE",
                "image_scanning_configuration": {"scan_on_push": True},
                "encryption_configurations": [{"encryption_type": "KMS", "kms_key": Ref("key", "arn")}],
                "force_delete": not p.prod_like,
            },
            cid,
            group=g,
        )
        p.add(
            "aws:ecr/lifecyclePolicy:LifecyclePolicy",
            f"{cid}-repository-lifecycle",
            {
                "repository": Ref(repo, "name"),
                "policy": Json(
                    {
                        "rules": [
                            {
                                "rulePriority": 1,
                                "description": "keep the last 30 images",
                                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
                                "action": {"type": "expire"},
                            }
                        ]
                    }
                ),
            },
            cid,
            group=g,
        )
        auth = p.lookup(
            "aws:ecr/getAuthorizationToken:getAuthorizationToken",
            f"{cid}-registry-auth",
            {"registry_id": Ref(repo, "registry_id")},
            engines=("pulumi",),
        )
        tag = Var("image_tag", "tag of the image built from the build context (default: a hash of its files)")
        var = f"{cid.replace('-', '_')}_image"
        context, dockerfile = build_location(p.project.root, build)
        p.add(
            "docker-build:index:Image",
            f"{cid}-image",
            {
                "tags": [concat(Ref(repo, "repository_url"), ":", tag)],
                "context": {"location": context},
                "dockerfile": {"location": dockerfile},
                **({"target": build.target} if build.target else {}),
                "platforms": ["linux/amd64"],
                "push": True,
                "build_on_preview": False,  # previews stay fast; `up` builds and pushes
                "registries": [
                    {
                        "address": Ref(repo, "repository_url"),
                        "username": Ref(auth, "user_name"),
                        "password": Ref(auth, "password"),
                    }
                ],
            },
            cid,
            group=g,
            engines=("pulumi",),
            replaces_var=var,
        )
        # Terraform cannot build images: there the image reference is the variable named here.
        image = Ref(f"{cid}-image", "ref")
        p.output(f"{cid.replace('-', '_')}_repository_url", Ref(repo, "repository_url"), f"ECR repository of {cid}")
    return image


def _workload(p: AwsPlanner, comp: DeployedComponent[AnyWorkload]) -> dict[str, Any]:
    """Image, logs, roles, task definition and security group: what every Fargate workload has."""
    cid = comp.id
    base = p.name(cid)
    image = _image(p, comp)
    logs = p.log_group(f"{cid}-logs", f"/ecs/{base}", cid)
    bound, bound_secrets = _task_roles(p, comp, logs)
    res = comp.size
    container, volumes = _container(p, comp, image, logs, bound, bound_secrets)
    port = getattr(comp.component, "port", None)
    td = f"{cid}-task"
    p.add(
        "aws:ecs/taskDefinition:TaskDefinition",
        td,
        {
            "family": base,
            "cpu": str(round(res.cpu * 1024)),
            "memory": str(res.memory),
            "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "runtime_platform": {"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            "execution_role_arn": Ref(f"{cid}-execution-role", "arn"),
            "task_role_arn": Ref(f"{cid}-task-role", "arn"),
            "container_definitions": Json([container]),
            "volumes": volumes,
        },
        cid,
        group="region",
    )
    sg = workload_security_group(p, cid, "tasks", f"tasks of {cid}")
    return {"task": td, "sg": sg, "port": port, "image": image}


def _task_roles(
    p: AwsPlanner, comp: DeployedComponent[AnyWorkload], logs: str
) -> tuple[dict[str, Any], dict[str, SecretValue]]:
    """The execution role (image pull, logs, secrets) and the task role (what the code may do). The
    workload's env bound on this target: (values, secrets)."""
    cid, model = comp.id, comp.component
    execution_statements = [
        # ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*" for it.
        allow(["ecr:GetAuthorizationToken"], ["*"], sid="EcrLogin"),
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], [concat(Ref(logs, "arn"), ":*")], sid="Logs"),
    ]
    if not model.image:
        execution_statements.append(
            allow(
                ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                [Ref(f"{cid}-repository", "arn")],
                sid="EcrPull",
            )
        )
        execution_statements.append(allow(["kms:Decrypt"], [Ref("key", "arn")], sid="ImageLayers"))
    if model.secrets:
        execution_statements.append(
            allow(["ssm:GetParameters"], [_secret_arn(p, s) for s in model.secrets.values()], sid="Secrets")
        )
    bound, bound_secrets = p.bound_env(comp)
    execution_statements += _secret_output_access(bound_secrets)
    p.add(
        "aws:iam/role:Role",
        f"{cid}-execution-role",
        {
            "name": p.name(cid, "execution"),
            "assume_role_policy": assume_role("ecs-tasks.amazonaws.com"),
            "description": f"ECS pulls the image, writes logs and reads the secrets of {cid}",
        },
        cid,
        group="global",
    )
    p.add(
        "aws:iam/rolePolicy:RolePolicy",
        f"{cid}-execution-policy",
        {
            "role": Ref(f"{cid}-execution-role", "name"),
            "policy": policy(*execution_statements),
        },
        cid,
        group="global",
    )
    statements = _data_access(p, cid)
    p.add(
        "aws:iam/role:Role",
        f"{cid}-task-role",
        {
            "name": p.name(cid, "task"),
            "assume_role_policy": assume_role("ecs-tasks.amazonaws.com"),
            "description": f"what the code of {cid} may do",
        },
        cid,
        group="global",
    )
    if statements:
        p.add(
            "aws:iam/rolePolicy:RolePolicy",
            f"{cid}-task-policy",
            {
                "role": Ref(f"{cid}-task-role", "name"),
                "policy": policy(*statements),
            },
            cid,
            group="global",
        )
    return bound, bound_secrets


def _container(
    p: AwsPlanner,
    comp: DeployedComponent[AnyWorkload],
    image: Any,
    logs: str,
    bound: dict[str, Any],
    bound_secrets: dict[str, SecretValue],
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The container definition (env, secrets by reference, writable mounts, logs, health, port) and the
    task's volumes."""
    cid, model = comp.id, comp.component
    env = {**bound, **platform_env(p)}
    mounts = [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
    volumes = [{"name": "tmp"}]
    data_dir = getattr(model, "data_dir", None)
    if data_dir:
        mounts.append({"sourceVolume": "data", "containerPath": data_dir, "readOnly": False})
        volumes.append({"name": "data"})
    container: dict[str, Any] = {
        "name": cid,
        "image": image,
        "essential": True,
        **_container_security(model),
        "privileged": False,
        "environment": [{"name": k, "value": v} for k, v in sorted(env.items())],
        "secrets": _container_secrets(p, model.secrets, bound_secrets),
        "mountPoints": mounts,
        "linuxParameters": {"initProcessEnabled": True},
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": Ref(logs, "name"),
                "awslogs-region": p.region,
                "awslogs-stream-prefix": cid,
            },
        },
    }
    if model.command:
        container["command"] = list(model.command)
    container.update(_container_health(model))
    port = getattr(model, "port", None)
    if port:
        container["portMappings"] = [{"containerPort": port, "protocol": "tcp"}]
    return container, volumes


def workload_security_group(p: AwsPlanner, cid: str, role: str, description: str) -> str:
    """A workload's security group: HTTPS out (AWS APIs through the NAT or the endpoints) and the
    ports of the stores it is connected to. Named by prefix, so a replacement never clashes."""
    sg = f"{cid}-sg"
    p.add(
        "aws:ec2/securityGroup:SecurityGroup",
        sg,
        {"name_prefix": name_prefix(p.name(cid, role)), "description": description, "vpc_id": Ref("vpc")},
        cid,
        group="vpc",
    )
    p.add(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        f"{cid}-egress-https",
        {
            "security_group_id": Ref(sg),
            "description": "HTTPS to AWS APIs (ECR, SSM, Athena, S3) via NAT/endpoint",
            "ip_protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "cidr_ipv4": "0.0.0.0/0",
        },
        cid,
        group="vpc",
    )
    _store_access(p, cid, sg)
    return sg


def _service(p: AwsPlanner, comp: DeployedComponent[Service | Frontend | Worker]) -> None:
    cid, model = comp.id, comp.component
    w = _workload(p, comp)
    base = p.name(cid)
    scale = comp.instances
    public = getattr(model, "public", False)
    service_inputs: dict[str, Any] = {
        "name": base,
        "cluster": Ref("cluster", "arn"),
        "task_definition": Ref(w["task"], "arn"),
        "desired_count": scale.min,
        "launch_type": "FARGATE",
        "platform_version": "LATEST",
        "propagate_tags": "SERVICE",
        "enable_ecs_managed_tags": True,
        "network_configuration": {
            "subnets": [Ref(s) for s in p.facts["private_subnets"]],
            "security_groups": [Ref(w["sg"])],
            "assign_public_ip": False,
        },
        "deployment_circuit_breaker": {"enable": True, "rollback": True},
        "deployment_minimum_healthy_percent": 100,
        "deployment_maximum_percent": 200,
    }
    service_inputs.update(_discovery(p, cid, w["port"]))
    depends: tuple[str, ...] = ()
    if public and w["port"]:
        depends = _load_balancer(p, comp, w)
        service_inputs["load_balancers"] = [
            {
                "target_group_arn": Ref(f"{cid}-tg", "arn"),
                "container_name": cid,
                "container_port": w["port"],
            }
        ]
        service_inputs["health_check_grace_period_seconds"] = 60
    p.add(
        "aws:ecs/service:Service",
        f"{cid}-service",
        service_inputs,
        cid,
        group="private",
        depends_on=depends,
        ignore_changes=("desired_count",),
    )
    p.output(f"{cid.replace('-', '_')}_service_name", Ref(f"{cid}-service", "name"), f"ECS service of {cid}")
    resource_id = concat("service/", Ref("cluster", "name"), "/", Ref(f"{cid}-service", "name"))
    if scale.max > scale.min:
        p.add(
            "aws:appautoscaling/target:Target",
            f"{cid}-scaling-target",
            {
                "service_namespace": "ecs",
                "scalable_dimension": "ecs:service:DesiredCount",
                "resource_id": resource_id,
                "min_capacity": scale.min,
                "max_capacity": scale.max,
            },
            cid,
            group="region",
        )
        p.add(
            "aws:appautoscaling/policy:Policy",
            f"{cid}-scaling-cpu",
            {
                "name": p.name(cid, "cpu"),
                "policy_type": "TargetTrackingScaling",
                "service_namespace": Ref(f"{cid}-scaling-target", "service_namespace"),
                "scalable_dimension": Ref(f"{cid}-scaling-target", "scalable_dimension"),
                "resource_id": Ref(f"{cid}-scaling-target", "resource_id"),
                "target_tracking_scaling_policy_configuration": {
                    "target_value": float(scale.target_cpu),
                    "scale_in_cooldown": 300,
                    "scale_out_cooldown": 60,
                    "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"},
                },
            },
            cid,
            group="region",
        )
    dims = {"ClusterName": Ref("cluster", "name"), "ServiceName": Ref(f"{cid}-service", "name")}
    for metric, short in (("CPUUtilization", "cpu"), ("MemoryUtilization", "memory")):
        _alarm(
            p,
            cid,
            f"{cid}-alarm-{short}",
            {
                "alarm_description": f"{cid}: {short} above 85% for 15 minutes",
                "namespace": "AWS/ECS",
                "metric_name": metric,
                "statistic": "Average",
                "period": 300,
                "evaluation_periods": 3,
                "threshold": 85,
                "comparison_operator": "GreaterThanThreshold",
                "dimensions": dims,
            },
        )


def _discovery(p: AwsPlanner, cid: str, port: int | None) -> dict[str, Any]:
    """The ECS service's Cloud Map registration, when something finds it there (a gateway's VPC link)."""
    registry = p.facts.get("registries", {}).get(cid)
    if not registry or not port:
        return {}
    return {"service_registries": {"registry_arn": Ref(registry, "arn"), "container_name": cid, "container_port": port}}


def _alarm(p: AwsPlanner, cid: str, logical: str, inputs: dict[str, Any]) -> None:
    p.add(
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        logical,
        {
            "name": p.name(cid, logical.removeprefix(f"{cid}-alarm-")),
            **inputs,
            "treat_missing_data": inputs.get("treat_missing_data", "notBreaching"),
            "actions_enabled": True,
            "alarm_actions": [Ref("alerts", "arn")],
            "ok_actions": [Ref("alerts", "arn")],
        },
        cid,
        group="region",
    )


def _load_balancer(
    p: AwsPlanner, comp: DeployedComponent[Service | Frontend | Worker], w: dict[str, Any]
) -> tuple[str, ...]:
    """The public Application Load Balancer of a service: its security groups, target group, HTTPS (with a
    domain: certificate, DNS, CloudFront when the environment asks) or plain HTTP, and alarms. Its listeners."""
    cid, model = comp.id, comp.component
    s = p.settings
    port = w["port"]
    https = bool(s.domain)
    cdn = bool(s.cdn and s.domain)
    if cdn and not s.dns_zone:
        raise StacksError(
            f"{p.deployment.name}: cdn on aws needs dns_zone",
            hint="CloudFront's certificate (us-east-1) and the origin record are validated and "
            "created in the Route 53 zone: set dns_zone for this environment",
        )
    alb_sg = _alb_security_groups(p, cid, w["sg"], port, https, cdn)
    alb = _alb(p, cid, alb_sg, https)
    health = model.health  # liveness: /ready is 503 until data exists, and ECS would replace every task
    _target_group(p, cid, port, health, https)
    forward = [{"type": "forward", "target_group_arn": Ref(f"{cid}-tg", "arn")}]
    if https:
        listeners, url = _https_listeners(p, cid, alb, forward, cdn)
    else:
        listeners, url = _http_listener(p, cid, alb, forward)
    # The outputs may be shared with a GCP planner (hybrid): the first public URL is "url" on either cloud.
    taken = any(o.name == "url" for o in p.outputs)
    p.output(f"{cid.replace('-', '_')}_url" if taken else "url", url, f"URL of {cid}")
    _alb_alarms(p, cid, alb, health)
    return tuple(listeners)


def _alb_security_groups(p: AwsPlanner, cid: str, task_sg: str, port: int, https: bool, cdn: bool) -> str:
    """The load balancer's security group (the internet on 80/443, or CloudFront only) and the rules
    between it and the tasks' group. Its logical name."""
    alb_sg = f"{cid}-alb-sg"
    p.add(
        "aws:ec2/securityGroup:SecurityGroup",
        alb_sg,
        {
            "name_prefix": name_prefix(p.name(cid, "alb")),
            "description": f"load balancer of {cid}: HTTP(S) from the internet",
            "vpc_id": Ref("vpc"),
        },
        cid,
        group="vpc",
    )
    if cdn:
        # Only CloudFront reaches the load balancer: its origin-facing prefix list, HTTPS only.
        prefix_list = p.lookup(
            "aws:ec2/getManagedPrefixList:getManagedPrefixList",
            "cloudfront-origins",
            {"name": "com.amazonaws.global.cloudfront.origin-facing"},
        )
        p.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"{cid}-alb-in-cloudfront",
            {
                "security_group_id": Ref(alb_sg),
                "description": "HTTPS from CloudFront's origin-facing servers only",
                "ip_protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "prefix_list_id": Ref(prefix_list, "id"),
            },
            cid,
            group="vpc",
        )
    open_ports = () if cdn else (80, 443) if https else (80,)
    for public_port in open_ports:
        waivers = {}
        if public_port == 80:
            waivers["CKV_AWS_260"] = (
                "port 80 only answers with a redirect to HTTPS"
                if https
                else f"{cid} in {p.deployment.name} has no domain, so no certificate: "
                "plain HTTP until stacks.yaml sets one"
            )
        p.add(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"{cid}-alb-in-{public_port}",
            {
                "security_group_id": Ref(alb_sg),
                "description": f"port {public_port} from the internet",
                "ip_protocol": "tcp",
                "from_port": public_port,
                "to_port": public_port,
                "cidr_ipv4": "0.0.0.0/0",
            },
            cid,
            group="vpc",
            waivers=waivers,
        )
    p.add(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        f"{cid}-alb-to-tasks",
        {
            "security_group_id": Ref(alb_sg),
            "description": f"to the tasks of {cid}",
            "ip_protocol": "tcp",
            "from_port": port,
            "to_port": port,
            "referenced_security_group_id": Ref(task_sg),
        },
        cid,
        group="vpc",
    )
    p.add(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        f"{cid}-tasks-from-alb",
        {
            "security_group_id": Ref(task_sg),
            "description": "from the load balancer only",
            "ip_protocol": "tcp",
            "from_port": port,
            "to_port": port,
            "referenced_security_group_id": Ref(alb_sg),
        },
        cid,
        group="vpc",
    )
    return alb_sg


def _alb(p: AwsPlanner, cid: str, alb_sg: str, https: bool) -> str:
    """The internet-facing Application Load Balancer in the public subnets, logging to the access-log bucket."""
    s = p.settings
    base = p.name(cid)
    alb_waivers = {} if targets.production(p.env, s) else {"CKV2_AWS_28": waive_waf(p.env)}
    if not https:
        alb_waivers["CKV2_AWS_20"] = (
            f"{p.deployment.name} sets no domain in stacks.yaml, so there is no "
            "certificate to redirect HTTP to; set 'domain' to get HTTPS"
        )
    if not s.deletion_protection:
        alb_waivers["CKV_AWS_150"] = (
            f"deletion_protection is off for {p.deployment.name} in stacks.yaml so the "
            "environment can be torn down; prod turns it on"
        )
    alb = f"{cid}-alb"
    p.add(
        "aws:lb/loadBalancer:LoadBalancer",
        alb,
        {
            "name": base,
            "internal": False,
            "load_balancer_type": "application",
            "security_groups": [Ref(alb_sg)],
            "subnets": [Ref(x) for x in p.facts["public_subnets"]],
            "drop_invalid_header_fields": True,
            "enable_deletion_protection": s.deletion_protection,
            "idle_timeout": 60,
            "access_logs": {"bucket": Ref("access-logs", "id"), "prefix": "alb", "enabled": True},
        },
        cid,
        group="public",
        depends_on=("access-logs-policy",),
        waivers=alb_waivers,
        protect=s.deletion_protection,
    )
    return alb


def _target_group(p: AwsPlanner, cid: str, port: int, health: str | None, https: bool) -> None:
    """The tasks' target group, probed on the health path."""
    p.add(
        "aws:lb/targetGroup:TargetGroup",
        f"{cid}-tg",
        {
            "name_prefix": cid[:5] + "-",  # at most 6 characters
            "port": port,
            "protocol": "HTTP",
            "target_type": "ip",
            "vpc_id": Ref("vpc"),
            "deregistration_delay": "30",
            "health_check": {
                "enabled": True,
                "path": health,
                "matcher": "200",
                "protocol": "HTTP",
                "interval": 15,
                "timeout": 5,
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
            },
        },
        cid,
        group="vpc",
        waivers={}
        if https
        else {
            "CKV_AWS_378": (
                "TLS ends at the load balancer; tasks sit in private subnets and accept only its security group"
            ),
        },
    )


def _https_listeners(
    p: AwsPlanner, cid: str, alb: str, forward: list[dict[str, Any]], cdn: bool
) -> tuple[list[str], Any]:
    """HTTPS on the domain's certificate, and (without CloudFront) port 80 redirecting to it: listeners, URL."""
    s = p.settings
    origin_host = f"origin.{s.domain}"
    listeners: list[str] = []
    cert_arn = _certificate(p, cid, alb, cdn, origin_host)
    p.add(
        "aws:lb/listener:Listener",
        f"{cid}-https",
        {
            "load_balancer_arn": Ref(alb, "arn"),
            "port": 443,
            "protocol": "HTTPS",
            "ssl_policy": TLS_POLICY,
            "certificate_arn": cert_arn,
            "default_actions": forward,
        },
        cid,
        group="public",
    )
    listeners.append(f"{cid}-https")
    if not cdn:  # behind CloudFront, port 80 is closed and CloudFront redirects viewers to HTTPS
        p.add(
            "aws:lb/listener:Listener",
            f"{cid}-http-redirect",
            {
                "load_balancer_arn": Ref(alb, "arn"),
                "port": 80,
                "protocol": "HTTP",
                "default_actions": [
                    {
                        "type": "redirect",
                        "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"},
                    }
                ],
            },
            cid,
            group="public",
        )
        listeners.append(f"{cid}-http-redirect")
    url: Any = f"https://{s.domain}"
    return listeners, url


def _certificate(p: AwsPlanner, cid: str, alb: str, cdn: bool, origin_host: str) -> Any:
    """The ACM certificate of the domain (and the CloudFront origin name), validated and pointed at the load
    balancer in the Route 53 zone when the environment names one; CloudFront too when asked. Its ARN."""
    s = p.settings
    cert = f"{cid}-certificate"
    p.add(
        "aws:acm/certificate:Certificate",
        cert,
        {
            "domain_name": s.domain,
            "validation_method": "DNS",
            **({"subject_alternative_names": [origin_host]} if cdn else {}),
        },
        cid,
        group="region",
        create_before_destroy=True,
    )
    cert_arn: Any = Ref(cert, "arn")
    if s.dns_zone:
        zone = p.lookup("aws:route53/getZone:getZone", "zone", {"name": s.dns_zone, "private_zone": False})
        records = []
        for i in range(2 if cdn else 1):  # one per name on the certificate (the domain, origin.<domain>)
            record = f"{cid}-certificate-validation-record" + (f"-{i + 1}" if i else "")
            records.append(record)
            p.add(
                "aws:route53/record:Record",
                record,
                {
                    "zone_id": Ref(zone, "zone_id"),
                    "name": Ref(cert, f"domain_validation_options[{i}].resource_record_name"),
                    "type": Ref(cert, f"domain_validation_options[{i}].resource_record_type"),
                    "records": [Ref(cert, f"domain_validation_options[{i}].resource_record_value")],
                    "ttl": 300,
                    "allow_overwrite": True,
                },
                cid,
                group="global",
            )
        p.add(
            "aws:acm/certificateValidation:CertificateValidation",
            f"{cid}-certificate-validation",
            {
                "certificate_arn": Ref(cert, "arn"),
                "validation_record_fqdns": [Ref(r, "fqdn") for r in records],
            },
            cid,
            group="region",
        )
        cert_arn = Ref(f"{cid}-certificate-validation", "certificate_arn")
        p.add(
            "aws:route53/record:Record",
            f"{cid}-origin-dns" if cdn else f"{cid}-dns",
            {
                "zone_id": Ref(zone, "zone_id"),
                "name": origin_host if cdn else s.domain,
                "type": "A",
                "aliases": [
                    {"name": Ref(alb, "dns_name"), "zone_id": Ref(alb, "zone_id"), "evaluate_target_health": True}
                ],
            },
            cid,
            group="global",
        )
        if cdn:
            _cdn(p, cid, zone, records)
    return cert_arn


def _http_listener(p: AwsPlanner, cid: str, alb: str, forward: list[dict[str, Any]]) -> tuple[list[str], Any]:
    """Plain HTTP, for an environment without a domain (and so without a certificate): listeners, URL."""
    reason = (
        f"{p.deployment.name} sets no domain in stacks.yaml, so there is no certificate for HTTPS; "
        "set 'domain' to get the HTTPS listener and the redirect"
    )
    p.add(
        "aws:lb/listener:Listener",
        f"{cid}-http",
        {
            "load_balancer_arn": Ref(alb, "arn"),
            "port": 80,
            "protocol": "HTTP",
            "default_actions": forward,
        },
        cid,
        group="public",
        waivers={"CKV_AWS_2": reason, "CKV_AWS_103": reason},
    )
    return [f"{cid}-http"], concat("http://", Ref(alb, "dns_name"))


def _alb_alarms(p: AwsPlanner, cid: str, alb: str, health: str | None) -> None:
    """Alarms on the 5xx rate of the load balancer's answers and on unhealthy targets."""
    lb_dims = {"LoadBalancer": Ref(alb, "arn_suffix"), "TargetGroup": Ref(f"{cid}-tg", "arn_suffix")}
    _alarm(
        p,
        cid,
        f"{cid}-alarm-5xx",
        {
            "alarm_description": f"{cid}: more than 5% of requests answered 5xx for 10 minutes",
            "comparison_operator": "GreaterThanThreshold",
            "evaluation_periods": 2,
            "threshold": 5,
            "metric_queries": [
                {
                    "id": "rate",
                    "expression": "100 * errors / MAX([requests, 1])",
                    "label": "5xx %",
                    "return_data": True,
                },
                {
                    "id": "errors",
                    "metric": {
                        "namespace": "AWS/ApplicationELB",
                        "metric_name": "HTTPCode_Target_5XX_Count",
                        "period": 300,
                        "stat": "Sum",
                        "dimensions": lb_dims,
                    },
                },
                {
                    "id": "requests",
                    "metric": {
                        "namespace": "AWS/ApplicationELB",
                        "metric_name": "RequestCount",
                        "period": 300,
                        "stat": "Sum",
                        "dimensions": lb_dims,
                    },
                },
            ],
        },
    )
    _alarm(
        p,
        cid,
        f"{cid}-alarm-unhealthy",
        {
            "alarm_description": f"{cid}: a target failed its health check ({health})",
            "namespace": "AWS/ApplicationELB",
            "metric_name": "UnHealthyHostCount",
            "statistic": "Maximum",
            "period": 60,
            "evaluation_periods": 3,
            "threshold": 0,
            "comparison_operator": "GreaterThanThreshold",
            "dimensions": lb_dims,
        },
    )


# CloudFront managed policies (ids are fixed by AWS): an API must not be cached and needs every header
# but Host forwarded.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
US_EAST_1 = "us_east_1"


def _web_acl(p: AwsPlanner, cid: str, alb: str) -> None:
    """WAFv2 on a public load balancer: AWS managed rule groups, a per-IP rate limit, and its own logs."""
    acl = f"{cid}-waf"

    def visibility(metric: str) -> dict[str, Any]:
        return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}

    rules: list[dict[str, Any]] = [
        {
            "name": group,
            "priority": i,
            "override_action": {"none": {}},
            "statement": {
                "managed_rule_group_statement": {
                    "name": group,
                    "vendor_name": "AWS",
                    **(
                        {
                            "rule_action_overrides": [
                                {"name": rule, "action_to_use": {"count": {}}} for rule in WAF_COUNT_ONLY[group]
                            ]
                        }
                        if group in WAF_COUNT_ONLY
                        else {}
                    ),
                }
            },
            "visibility_config": visibility(group),
        }
        for i, group in enumerate(WAF_MANAGED_RULES)
    ]
    rules.append(
        {
            "name": "rate-limit-per-ip",
            "priority": len(rules),
            "action": {"block": {}},
            "statement": {"rate_based_statement": {"limit": WAF_RATE_LIMIT, "aggregate_key_type": "IP"}},
            "visibility_config": visibility("rate-limit-per-ip"),
        }
    )
    p.add(
        "aws:wafv2/webAcl:WebAcl",
        acl,
        {
            "name_prefix": f"{p.name(cid)}-",
            "scope": "REGIONAL",
            "default_action": {"allow": {}},
            "rules": rules,
            "visibility_config": visibility(p.name(cid)),
        },
        cid,
        group="public",
        create_before_destroy=True,
    )
    p.add(
        "aws:wafv2/webAclAssociation:WebAclAssociation",
        f"{acl}-association",
        {"resource_arn": Ref(alb, "arn"), "web_acl_arn": Ref(acl, "arn")},
        cid,
        group="public",
    )
    # WAF delivers only to log groups named aws-waf-logs-*.
    logs = p.log_group(f"{acl}-logs", f"aws-waf-logs-{p.name(cid)}", cid)
    p.add(
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        f"{acl}-logging",
        {"resource_arn": Ref(acl, "arn"), "log_destination_configs": [Ref(logs, "arn")]},
        cid,
        group="public",
    )


def cdn_alias_record(p: AwsPlanner, cid: str, zone: str, name: str, dist: str) -> None:
    """The A record (alias) that points ``name`` in the Route 53 ``zone`` at the CloudFront distribution."""
    p.add(
        "aws:route53/record:Record",
        f"{cid}-dns",
        {
            "zone_id": Ref(zone, "zone_id"),
            "name": name,
            "type": "A",
            "aliases": [
                {
                    "name": Ref(dist, "domain_name"),
                    "zone_id": Ref(dist, "hosted_zone_id"),
                    "evaluate_target_health": False,
                }
            ],
        },
        cid,
        group="global",
    )


def _cdn(p: AwsPlanner, cid: str, zone: str, validation_records: list[str]) -> None:
    """CloudFront in front of the load balancer: its own certificate in us-east-1, the domain pointed at it."""
    s = p.settings
    p.aliases[US_EAST_1] = ("aws", {"region": "us-east-1", "default_tags": {"tags": tags(p.project, p.deployment)}})
    _cdn_certificate(p, cid, validation_records)
    headers = _cdn_headers(p, cid)
    dist = _distribution(p, cid, headers)
    cdn_alias_record(p, cid, zone, str(s.domain), dist)
    p.output(f"{cid.replace('-', '_')}_cdn_domain", Ref(dist, "domain_name"), f"CloudFront domain of {cid}")


def _cdn_certificate(p: AwsPlanner, cid: str, validation_records: list[str]) -> None:
    """CloudFront's certificate of the domain, in us-east-1 (where CloudFront reads it)."""
    s = p.settings
    cert = f"{cid}-cdn-certificate"
    p.add(
        "aws:acm/certificate:Certificate",
        cert,
        {"domain_name": s.domain, "validation_method": "DNS"},
        cid,
        group="global",
        create_before_destroy=True,
        alias=US_EAST_1,
    )
    # ACM's validation record for a name is the same in every region: the regional ones validate this too.
    p.add(
        "aws:acm/certificateValidation:CertificateValidation",
        f"{cid}-cdn-certificate-validation",
        {
            "certificate_arn": Ref(cert, "arn"),
            "validation_record_fqdns": [Ref(r, "fqdn") for r in validation_records],
        },
        cid,
        group="global",
        alias=US_EAST_1,
    )


def _cdn_headers(p: AwsPlanner, cid: str) -> str:
    """The security headers CloudFront adds to every response (HSTS, nosniff, DENY framing, no referrer)."""
    headers = f"{cid}-cdn-headers"
    p.add(
        "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
        headers,
        {
            "name": p.name(cid, "headers"),
            "comment": "security headers on every response",
            "security_headers_config": {
                "strict_transport_security": {
                    "access_control_max_age_sec": 31536000,
                    "include_subdomains": True,
                    "preload": True,
                    "override": True,
                },
                "content_type_options": {"override": True},
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "no-referrer", "override": True},
                "xss_protection": {"mode_block": True, "protection": True, "override": True},
            },
        },
        cid,
        group="edge",
    )
    return headers


def _distribution(p: AwsPlanner, cid: str, headers: str) -> str:
    """The distribution: HTTPS to the load balancer's origin name, nothing cached, HTTP/3. Its logical name."""
    s = p.settings
    dist = f"{cid}-cdn"
    p.add(
        "aws:cloudfront/distribution:Distribution",
        dist,
        {
            "enabled": True,
            "is_ipv6_enabled": True,
            "http_version": "http2and3",
            "price_class": "PriceClass_100",
            "comment": f"{p.name(cid)}: CDN in front of the load balancer",
            "aliases": [s.domain],
            "origins": [
                {
                    "origin_id": "alb",
                    "domain_name": f"origin.{s.domain}",
                    "custom_origin_config": {
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only",
                        "origin_ssl_protocols": ["TLSv1.2"],
                    },
                }
            ],
            "default_cache_behavior": {
                "target_origin_id": "alb",
                "viewer_protocol_policy": "redirect-to-https",
                "compress": True,
                "allowed_methods": ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"],
                "cached_methods": ["GET", "HEAD"],
                "cache_policy_id": CACHING_DISABLED,
                "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST,
                "response_headers_policy_id": Ref(headers, "id"),
            },
            "restrictions": {"geo_restriction": {"restriction_type": "none", "locations": []}},
            "viewer_certificate": {
                "acm_certificate_arn": Ref(f"{cid}-cdn-certificate-validation", "certificate_arn"),
                "ssl_support_method": "sni-only",
                "minimum_protocol_version": "TLSv1.2_2021",
            },
        },
        cid,
        group="edge",
        waivers={
            "CKV_AWS_68": WAIVE_WAF_BEHIND_CDN if targets.production(p.env, s) else waive_waf(p.env),
            "CKV2_AWS_47": WAIVE_WAF_BEHIND_CDN if targets.production(p.env, s) else waive_waf(p.env),
            "CKV_AWS_86": (
                "standard CloudFront logs need bucket ACLs, which every bucket of the stack disables; "
                "the load balancer's access logs record each request CloudFront forwards"
            ),
            "CKV_AWS_310": "one origin: the load balancer already spans the stack's availability zones",
            "CKV_AWS_374": "the API serves every country; restrict with WAF geo rules if that changes",
            "CKV_AWS_305": "an API, not a website: the service itself answers /",
        },
    )
    return dist


def build_service(p: AwsPlanner, comp: DeployedComponent[Service | Frontend | Worker]) -> None:
    _service(p, comp)
    alb = f"{comp.id}-alb"
    if targets.production(p.env, p.settings) and any(r.name == alb for r in p.resources):
        _web_acl(p, comp.id, alb)


INCOMING = "incoming/"  # files dropped under this prefix of the lake bucket start the ingest job


def _ingest_lake(p: AwsPlanner, cid: str) -> str | None:
    """The logical lake bucket job ``cid`` ingests from: files flow to it from a bucket on this stack and
    data flows from it to a warehouse (the model's connections)."""
    comps = p.project.model.components
    if comps[cid].kind != "job":
        return None
    flows = {(c.from_, c.to) for c in p.project.model.connections if c.flow == "data"}
    if not any(a == cid and comps[b].kind == "warehouse" for a, b in flows):
        return None
    return next((logical for bid, logical in sorted(p.facts.get("buckets", {}).items()) if (bid, cid) in flows), None)


def aws_cron(expression: str) -> str:
    """A five-field cron as EventBridge's six-field ``cron()``: one of day-of-month/day-of-week is '?'."""
    minute, hour, dom, month, dow = expression.split()
    if dow == "*":
        dow = "?"
    elif dom == "*":
        dom = "?"
    return f"cron({minute} {hour} {dom} {month} {dow} *)"


def eventbridge_on(p: AwsPlanner, bucket: str, logical: str, component: str) -> None:
    """Send ``bucket``'s object events to EventBridge: one notification per bucket, shared by its consumers."""
    if any(
        r.type == "aws:s3/bucketNotification:BucketNotification" and r.inputs["bucket"] == Ref(bucket, "id")
        for r in p.resources
    ):
        return
    p.add(
        "aws:s3/bucketNotification:BucketNotification",
        logical,
        {"bucket": Ref(bucket, "id"), "eventbridge": True},
        component,
        group="region",
    )
    res = p.resources[[r.name for r in p.resources].index(bucket)]
    res.waivers.pop("CKV2_AWS_62", None)  # object events now go to EventBridge


def _incoming_trigger(p: AwsPlanner, comp: DeployedComponent[Job], w: dict[str, Any], lake: str) -> None:
    """S3 -> EventBridge -> ECS RunTask: an object created under incoming/ runs the ingest job on it."""
    cid = comp.id
    eventbridge_on(p, lake, f"{cid}-lake-events", cid)
    rule = f"{cid}-incoming"
    p.add(
        "aws:cloudwatch/eventRule:EventRule",
        rule,
        {
            "name": p.name(cid, "incoming"),
            "description": f"an object created under {INCOMING} in the lake runs {cid}",
            "event_pattern": Json(
                {
                    "source": ["aws.s3"],
                    "detail-type": ["Object Created"],
                    "detail": {"bucket": {"name": [Ref(lake, "bucket")]}, "object": {"key": [{"prefix": INCOMING}]}},
                }
            ),
        },
        cid,
        group="region",
    )
    role = f"{cid}-events-role"
    task_family = Ref(w["task"], "arn_without_revision")
    p.add(
        "aws:iam/role:Role",
        role,
        {
            "name": p.name(cid, "events"),
            "assume_role_policy": assume_role("events.amazonaws.com"),
            "description": f"EventBridge runs {cid}'s task definition, nothing else",
        },
        cid,
        group="global",
    )
    p.add(
        "aws:iam/rolePolicy:RolePolicy",
        f"{cid}-events-policy",
        {
            "role": Ref(role, "name"),
            "policy": policy(
                allow(
                    ["ecs:RunTask"],
                    [task_family, concat(task_family, ":*")],
                    Condition={"ArnEquals": {"ecs:cluster": Ref("cluster", "arn")}},
                ),
                allow(["iam:PassRole"], [Ref(f"{cid}-execution-role", "arn"), Ref(f"{cid}-task-role", "arn")]),
            ),
        },
        cid,
        group="global",
    )
    command: list[Any] = list(comp.component.command or [])
    source = concat("s3://", Ref(lake, "bucket"), "/" + INCOMING)
    if "--source" in command[:-1]:
        command[command.index("--source") + 1] = source
    else:
        command += ["--source", source]
    if "--mode" not in command:
        command += ["--mode", "append"]  # new files add to the published tables
    p.add(
        "aws:cloudwatch/eventTarget:EventTarget",
        f"{cid}-incoming-target",
        {
            "rule": Ref(rule, "name"),
            "arn": Ref("cluster", "arn"),
            "role_arn": Ref(role, "arn"),
            "ecs_target": {
                "task_definition_arn": task_family,
                "launch_type": "FARGATE",
                "task_count": 1,
                "network_configuration": {
                    "subnets": [Ref(s) for s in p.facts["private_subnets"]],
                    "security_groups": [Ref(w["sg"])],
                    "assign_public_ip": False,
                },
            },
            "input": Json({"containerOverrides": [{"name": cid, "command": command}]}),
        },
        cid,
        group="region",
        depends_on=(f"{cid}-events-policy",),
    )


def build_job(p: AwsPlanner, comp: DeployedComponent[Job]) -> None:
    """A task definition run on demand or on its cron schedule by EventBridge Scheduler."""
    w = _workload(p, comp)
    cid = comp.id
    p.output(f"{cid.replace('-', '_')}_task_definition", Ref(w["task"], "family"), f"task family of {cid}")
    schedule = comp.component.schedule
    lake = _ingest_lake(p, cid)
    if lake is not None:
        _incoming_trigger(p, comp, w, lake)
    if not schedule:
        # Run on demand: `aws ecs run-task --network-configuration` takes these subnets and this group.
        p.output(f"{cid.replace('-', '_')}_security_group", Ref(w["sg"], "id"), f"security group for runs of {cid}")
        if lake is None:  # the incoming/ rule's target attaches the group otherwise
            sg = p.resources[[r.name for r in p.resources].index(w["sg"])]
            sg.waivers["CKV2_AWS_5"] = (
                f"{cid} has no schedule: the group is attached by `aws ecs run-task` "
                "(see the stack output) when the job runs"
            )
        return
    p.add(
        "aws:iam/role:Role",
        f"{cid}-scheduler-role",
        {
            "name": p.name(cid, "scheduler"),
            "assume_role_policy": assume_role("scheduler.amazonaws.com"),
        },
        cid,
        group="global",
    )
    p.add(
        "aws:iam/rolePolicy:RolePolicy",
        f"{cid}-scheduler-policy",
        {
            "role": Ref(f"{cid}-scheduler-role", "name"),
            "policy": policy(
                allow(
                    ["ecs:RunTask"],
                    [Ref(w["task"], "arn_without_revision")],
                    Condition={"ArnEquals": {"ecs:cluster": Ref("cluster", "arn")}},
                ),
                allow(["iam:PassRole"], [Ref(f"{cid}-execution-role", "arn"), Ref(f"{cid}-task-role", "arn")]),
            ),
        },
        cid,
        group="global",
    )
    next(r for r in p.resources if r.name == w["sg"]).waivers["CKV2_AWS_5"] = (
        "attached by the schedule's RunTask network configuration, which checkov does not follow"
    )
    p.add(
        "aws:scheduler/schedule:Schedule",
        f"{cid}-schedule",
        {
            "name": p.name(cid),
            "schedule_expression": aws_cron(schedule),
            "flexible_time_window": {"mode": "OFF"},
            "kms_key_arn": Ref("key", "arn"),
            "target": {
                "arn": Ref("cluster", "arn"),
                "role_arn": Ref(f"{cid}-scheduler-role", "arn"),
                "ecs_parameters": {
                    "task_definition_arn": Ref(w["task"], "arn_without_revision"),
                    "launch_type": "FARGATE",
                    "network_configuration": {
                        "subnets": [Ref(s) for s in p.facts["private_subnets"]],
                        "security_groups": [Ref(w["sg"])],
                        "assign_public_ip": False,
                    },
                },
            },
        },
        cid,
        group="region",
        waivers={"CKV_AWS_297": "the schedule carries no payload, only the task definition and the network to run in"},
    )


# ---------------------------------------------------------------- the registry


KINDS: dict[str, KindRule] = kind_table("aws")  # the aws kind rules (stacks/rules/aws.py)


def _phase(comp: DeployedComponent) -> int:
    """Build order: data kinds first; a kind this target has no rule for last (and refused there)."""
    rule = KINDS.get(rule_key(comp.kind, comp.component.mode))
    return rule.phase if rule else 9


def plan_components(p: AwsPlanner, components: tuple[DeployedComponent, ...]) -> None:
    """Run each component's builder, data kinds first."""
    for comp in sorted(components, key=lambda c: (_phase(c), c.id)):
        rule = KINDS.get(rule_key(comp.kind, comp.component.mode))
        if rule is None:
            raise StacksError(
                f"{p.deployment.name}: '{comp.id}' is a {comp.kind}, which the aws plan cannot deploy yet",
                hint=f"AWS deploys: {', '.join(sorted(KINDS))}",
            )
        rule.builder()(p, comp)
    p.run_later()


def baseline(p: AwsPlanner, components: tuple[DeployedComponent, ...]) -> None:
    """What every aws deployable gets before its components: key, network, alerting, logs, cluster."""
    p.facts["public_services"] = [
        c.id for c in components if getattr(c.component, "public", False) and c.kind in ("service", "frontend")
    ]
    _key(p)
    _network(p)
    _alerts(p)
    _access_logs(p)
    if any(c.kind in WORKLOAD_KINDS for c in components):
        _cluster(p)
    _discovery_services(p, components)
    p.later.append(lambda: _open_calls(p, components))


# ---------------------------------------------------------------- service to service


def _calls(p: AwsPlanner, components: tuple[DeployedComponent, ...]) -> list[tuple[str, str, int]]:
    """(caller, callee, port): request connections from a workload to a service or frontend, both on this stack."""
    kinds = {c.id: c for c in components}
    found = []
    for conn in p.project.model.connections:
        caller, callee = kinds.get(conn.from_), kinds.get(conn.to)
        if conn.flow != "request" or caller is None or callee is None or caller.kind not in WORKLOAD_KINDS:
            continue
        if caller.component.mode:  # a static site: its CDN routes the API path, no task calls
            continue
        port = getattr(callee.component, "port", None)
        if callee.kind in ("service", "frontend") and port and not callee.component.mode:  # not a static site
            found.append((caller.id, callee.id, int(port)))
    return found


def _discovery_services(p: AwsPlanner, components: tuple[DeployedComponent, ...]) -> None:
    """A Cloud Map entry (A and SRV records) for each service another workload calls or a gateway routes to,
    in the stack's private DNS namespace; its ``url`` output is that name (``stacks.rules.contract``)."""
    routed = {route.to for c in components for route in getattr(c.component, "routes", [])}
    found = {callee for _, callee, _ in _calls(p, components)} | routed
    found &= {
        c.id
        for c in components
        if c.kind in ("service", "frontend") and getattr(c.component, "port", None) and not c.component.mode
    }
    if not found:
        return
    namespace_name = f"{p.name()}.internal"
    p.add(
        "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
        "discovery-namespace",
        {"name": namespace_name, "description": f"service discovery of {p.deployment.name}", "vpc": Ref("vpc")},
        None,
        group="vpc",
    )
    for cid in sorted(found):
        registry = f"{cid}-discovery"
        p.add(
            "aws:servicediscovery/service:Service",
            registry,
            {
                "name": cid,
                "description": f"the tasks of {cid}",
                "dns_config": {
                    "namespace_id": Ref("discovery-namespace"),
                    "dns_records": [{"type": "A", "ttl": 10}, {"type": "SRV", "ttl": 10}],
                    "routing_policy": "MULTIVALUE",
                },
                "health_check_custom_config": {"failure_threshold": 1},
            },
            cid,
            group="vpc",
        )
        p.facts.setdefault("registries", {})[cid] = registry
        port = getattr(p.project.model.components[cid], "port", 0)
        p.provide(cid, {"url": f"http://{cid}.{namespace_name}:{port}"})


def _open_calls(p: AwsPlanner, components: tuple[DeployedComponent, ...]) -> None:
    """Open each called service's port to its callers' security groups only (after the workloads)."""
    groups = {r.name for r in p.resources if r.type == "aws:ec2/securityGroup:SecurityGroup"}
    for caller, callee, port in _calls(p, components):
        if f"{caller}-sg" in groups and f"{callee}-sg" in groups:  # a function calling a service is in the VPC
            open_port(p, caller, f"{caller}-sg", callee, port)


def open_port(p: AwsPlanner, caller: str, caller_sg: str, callee: str, port: int) -> None:
    """``callee``'s security group admits ``caller_sg`` on ``port`` and ``caller_sg`` may send there: nothing else."""
    if any(r.name == f"{callee}-from-{caller}" for r in p.resources):
        return  # two routes or connections between the same pair
    for logical, group, peer, what, owner, rule in (
        (f"{callee}-from-{caller}", f"{callee}-sg", caller_sg, f"{caller} calls on {port}", callee, "Ingress"),
        (f"{caller}-to-{callee}", caller_sg, f"{callee}-sg", f"to {callee} on {port}", caller, "Egress"),
    ):
        p.add(
            f"aws:vpc/securityGroup{rule}Rule:SecurityGroup{rule}Rule",
            logical,
            {
                "security_group_id": Ref(group),
                "description": what,
                "ip_protocol": "tcp",
                "from_port": port,
                "to_port": port,
                "referenced_security_group_id": Ref(peer),
            },
            owner,
            group="vpc",
        )


def tags(project: Project, deployment: Deployment) -> dict[str, str]:
    return {
        "system": project.model.system.name,
        "environment": deployment.environment,
        "stack": deployment.name,
        "managed-by": "stacks",
    }


def plan_aws(project: Project, deployment: Deployment) -> Plan:
    if not isinstance(deployment.stack, AwsStack):
        raise ValueError(f"{deployment.name} is a {deployment.target} deployable, not an aws one")
    region = deployment.stack.region
    p = AwsPlanner(project, deployment, region)
    components = deployment.on("aws")
    baseline(p, components)
    plan_components(p, components)
    plan = Plan(
        stack=deployment.name,
        target="aws",
        providers={"aws": {"region": region, "default_tags": {"tags": tags(project, deployment)}}},
        resources=tuple(p.resources),
        data=tuple(p.data),
        outputs=tuple(p.outputs),
        components={c.id: c.kind for c in components},
        tags=tags(project, deployment),
        aliases=dict(p.aliases),
    )
    check_plan(plan)
    return plan
