"""Security policies over a plan, checked before anything renders or deploys.

Each policy is a function ``plan -> [Violation]`` in ``POLICIES``. They read the
plan's data (not a rendering), so a violation is caught for Pulumi, Terraform and
the diagram at once. A resource may be exempted from one policy by a waiver under
the policy's name carrying a written reason (``Resource.waivers``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stacks import catalog
from stacks.plan.core import Json, Plan, Ref, Resource, walk
from stacks.plan.gcp_policies import GCP_POLICIES
from stacks.plan.violations import SECRET_NAME, SECRET_VALUE, Policy, Violation

OPEN_CIDRS = ("0.0.0.0/0", "::/0")
PUBLIC_PORTS = (80, 443)
# Actions AWS only grants on Resource "*": there is no narrower resource to name.
STAR_ONLY_ACTIONS = {"ecr:GetAuthorizationToken", "xray:PutTelemetryRecords", "xray:PutTraceSegments"}


def _refers(value: Any, name: str) -> bool:
    return any(isinstance(v, Ref) and v.name == name for v in walk(value))


def _attached(plan: Plan, type_: str, target: str) -> list[Resource]:
    return [r for r in plan.by_type(type_) if _refers(r.inputs.get("bucket"), target)]


def no_public_bucket(plan: Plan) -> Iterator[Violation]:
    """Every bucket blocks public access, enforces bucket-owner objects and grants nothing to '*'."""
    for bucket in plan.by_type("aws:s3/bucket:Bucket"):
        blocks = _attached(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket.name)
        flags = ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
        if not blocks or not all(blocks[0].inputs.get(f) is True for f in flags):
            yield Violation("no-public-bucket", bucket.name, "no public access block with all four settings on")
        if not _attached(plan, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket.name):
            yield Violation("no-public-bucket", bucket.name, "ACLs are not disabled (BucketOwnerEnforced)")
        for pol in _attached(plan, "aws:s3/bucketPolicy:BucketPolicy", bucket.name):
            for stmt in _statements(pol.inputs.get("policy")):
                if stmt.get("Effect") == "Allow" and stmt.get("Principal") in ("*", {"AWS": "*"}):
                    yield Violation("no-public-bucket", pol.name, "allows every principal")
        if not any(_tls_only(p) for p in _attached(plan, "aws:s3/bucketPolicy:BucketPolicy", bucket.name)):
            yield Violation("no-public-bucket", bucket.name, "no policy denies requests without TLS")


def _tls_only(pol: Resource) -> bool:
    return any(
        s.get("Effect") == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in _statements(pol.inputs.get("policy"))
    )


def encryption_at_rest(plan: Plan) -> Iterator[Violation]:
    """Everything that stores data is encrypted (with the stack's KMS key where the service allows).

    Fails closed: a type the provider catalog does not know, or one that holds data without a way to
    tell it is encrypted, is a violation until its catalog entry says what it keeps and how.
    """
    for res in plan.resources:
        facts = catalog.lookup(res.type)
        if facts is None:
            yield Violation(
                "encryption-at-rest", res.name, f"{res.type} is not in the provider catalog (stacks/catalog)"
            )
        elif facts.holds is not None and facts.encrypted is None:
            yield Violation("encryption-at-rest", res.name, f"{res.type} keeps {facts.holds} with no encryption check")
        elif facts.encrypted is not None and not facts.encrypted(plan, res):
            yield Violation("encryption-at-rest", res.name, f"{res.type} is not encrypted at rest")


def no_open_ingress(plan: Plan) -> Iterator[Violation]:
    """Only a load balancer's group accepts the internet, and only on 80/443."""
    alb_groups = {
        ref.name
        for lb in plan.by_type("aws:lb/loadBalancer:LoadBalancer")
        for ref in walk(lb.inputs.get("security_groups", []))
        if isinstance(ref, Ref)
    }
    for rule in plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"):
        if rule.inputs.get("cidr_ipv4") not in OPEN_CIDRS and rule.inputs.get("cidr_ipv6") not in OPEN_CIDRS:
            continue
        group = rule.inputs["security_group_id"].name
        ports = (rule.inputs.get("from_port"), rule.inputs.get("to_port"))
        if group not in alb_groups:
            yield Violation("no-open-ingress", rule.name, f"opens {group} (not a load balancer's) to the internet")
        elif ports[0] != ports[1] or ports[0] not in PUBLIC_PORTS:
            yield Violation("no-open-ingress", rule.name, f"opens ports {ports} to the internet; only 80/443 may")
    for sg in plan.by_type("aws:ec2/securityGroup:SecurityGroup"):
        for rule in sg.inputs.get("ingress", []):
            if set(rule.get("cidr_blocks", [])) & set(OPEN_CIDRS):
                yield Violation("no-open-ingress", sg.name, "inline ingress open to the internet")


def tasks_private(plan: Plan) -> Iterator[Violation]:
    """Tasks get no public IP and run in private subnets only."""
    subnets = plan.by_type("aws:ec2/subnet:Subnet")
    private = {s.name for s in subnets if s.inputs.get("tags", {}).get("tier") == "private"}
    for subnet in plan.by_type("aws:ec2/subnet:Subnet"):
        if subnet.inputs.get("map_public_ip_on_launch"):
            yield Violation("tasks-private", subnet.name, "assigns public IPs on launch")
    for res in plan.resources:
        for value in walk(res.inputs):
            if isinstance(value, dict) and "assign_public_ip" in value:
                if value["assign_public_ip"] is not False:
                    yield Violation("tasks-private", res.name, "tasks get a public IP")
                placed = {r.name for r in walk(value.get("subnets", [])) if isinstance(r, Ref)}
                if not placed or not placed <= private:
                    yield Violation("tasks-private", res.name, f"runs outside the private subnets: {sorted(placed)}")
    for svc in plan.by_type("aws:ecs/service:Service"):
        if "network_configuration" not in svc.inputs:
            yield Violation("tasks-private", svc.name, "no network configuration (awsvpc, private subnets)")


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, Json):
        document = document.value
    if not isinstance(document, dict):
        return []
    stmts = document.get("Statement", [])
    return [stmts] if isinstance(stmts, dict) else list(stmts)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_no_star(plan: Plan) -> Iterator[Violation]:
    """No Allow grants every action of a service, or a restrictable action on every resource."""
    for res in plan.resources:
        if "iam-no-star" in res.waivers:
            continue
        for key in ("policy", "assume_role_policy"):
            for stmt in _statements(res.inputs.get(key)):
                if stmt.get("Effect") != "Allow":
                    continue
                actions = _as_list(stmt.get("Action", []))
                resources = _as_list(stmt.get("Resource", []))
                if any(a == "*" or (isinstance(a, str) and a.endswith(":*")) for a in actions):
                    yield Violation("iam-no-star", res.name, f"allows every action: {actions}")
                if "*" in resources and not set(actions) <= STAR_ONLY_ACTIONS:
                    yield Violation(
                        "iam-no-star", res.name, f"allows {sorted(set(actions) - STAR_ONLY_ACTIONS)} on every resource"
                    )


def log_retention(plan: Plan) -> Iterator[Violation]:
    """Every log group expires its logs."""
    for lg in plan.by_type("aws:cloudwatch/logGroup:LogGroup"):
        if not lg.inputs.get("retention_in_days"):
            yield Violation("log-retention", lg.name, "keeps logs forever (no retention_in_days)")


def secrets_by_reference(plan: Plan) -> Iterator[Violation]:
    """Container env holds no secret-looking variable and no secret-looking value: secrets come from SSM."""
    for td in plan.by_type("aws:ecs/taskDefinition:TaskDefinition"):
        defs = td.inputs.get("container_definitions")
        for container in defs.value if isinstance(defs, Json) else []:
            for entry in container.get("environment", []):
                # An empty value holds nothing (a password output where the target signs in with IAM).
                if SECRET_NAME.search(entry["name"]) and entry["value"] != "":
                    yield Violation("secrets-by-reference", td.name, f"{entry['name']} is passed as plain env")
                if isinstance(entry["value"], str) and SECRET_VALUE.search(entry["value"]):
                    yield Violation("secrets-by-reference", td.name, f"{entry['name']} holds a credential")
            for secret in container.get("secrets", []):
                if isinstance(secret["valueFrom"], str) and not secret["valueFrom"].startswith("arn:"):
                    yield Violation("secrets-by-reference", td.name, f"{secret['name']} is not an ARN reference")


POLICIES: dict[str, Policy] = {
    "no-public-bucket": no_public_bucket,
    "encryption-at-rest": encryption_at_rest,
    "no-open-ingress": no_open_ingress,
    "tasks-private": tasks_private,
    "iam-no-star": iam_no_star,
    "log-retention": log_retention,
    "secrets-by-reference": secrets_by_reference,
    # The GCP and hybrid policies (stacks/plan/gcp_policies.py) join the same registry.
    **GCP_POLICIES,
}


def check_policies(plan: Plan) -> list[Violation]:
    return [v for policy in POLICIES.values() for v in policy(plan)]
