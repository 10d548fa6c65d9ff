"""Security policies over GCP and hybrid plans, registered into ``stacks.plan.policies.POLICIES``.

Like the AWS policies they read the plan's data, so a violation stops Pulumi,
Terraform and the diagram at once: no public bucket, no primitive role, no
``allUsers`` unless the model made the service public (a ``public-invoker``
waiver carries that reason), keyless cross-cloud identity, log retention, and
secrets by reference on Cloud Run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stacks.plan.core import Plan, Ref, Resource, walk
from stacks.plan.violations import SECRET_NAME, SECRET_VALUE, Policy, Violation

PRIMITIVE_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
# Resource types that mint long-lived keys: a stacks plan never creates one.
KEY_TYPES = {
    "gcp:serviceaccount/key:Key",
    "gcp:storage/hmacKey:HmacKey",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userLoginProfile:UserLoginProfile",
    "aws:iam/user:User",
}
KEY_FIELDS = {
    "aws_access_key",
    "access_key_id",
    "secret_access_key",
    "private_key",
    "credentials",
    "credentials_secret",
    "private_key_data",
}


def _gcp(plan: Plan, type_: str) -> list[Resource]:
    return plan.by_type(type_)


def gcp_no_public_bucket(plan: Plan) -> Iterator[Violation]:
    """Every GCS bucket has uniform access and enforced public access prevention, and grants nothing public."""
    for bucket in _gcp(plan, "gcp:storage/bucket:Bucket"):
        if "gcp-no-public-bucket" in bucket.waivers:  # a static site's bucket: the model made it public
            continue
        if bucket.inputs.get("uniform_bucket_level_access") is not True:
            yield Violation("gcp-no-public-bucket", bucket.name, "uniform bucket-level access is off (ACLs apply)")
        if bucket.inputs.get("public_access_prevention") != "enforced":
            yield Violation("gcp-no-public-bucket", bucket.name, "public access prevention is not enforced")
    for grant in _gcp(plan, "gcp:storage/bucketIAMMember:BucketIAMMember"):
        if grant.inputs.get("member") in PUBLIC_MEMBERS and "gcp-no-public-bucket" not in grant.waivers:
            yield Violation("gcp-no-public-bucket", grant.name, f"grants {grant.inputs['role']} to everyone")


def _members(res: Resource) -> list[Any]:
    members = res.inputs.get("members")
    return [res.inputs.get("member")] + (list(members) if isinstance(members, list) else [])


def gcp_no_primitive_roles(plan: Plan) -> Iterator[Violation]:
    """No owner, editor or viewer grant anywhere: predefined roles scoped to one resource only."""
    for res in plan.resources:
        if not res.type.startswith("gcp:"):
            continue
        if res.inputs.get("role") in PRIMITIVE_ROLES:
            yield Violation("gcp-no-primitive-roles", res.name, f"grants the primitive role {res.inputs['role']}")
        for value in walk(res.inputs):
            if value is not res.inputs and isinstance(value, dict) and value.get("role") in PRIMITIVE_ROLES:
                yield Violation("gcp-no-primitive-roles", res.name, f"binds the primitive role {value['role']}")


def gcp_public_invoker(plan: Plan) -> Iterator[Violation]:
    """``allUsers``/``allAuthenticatedUsers`` only as Cloud Run invoker of a service the model made public."""
    for res in plan.resources:
        if not res.type.startswith("gcp:") or not any(m in PUBLIC_MEMBERS for m in _members(res)):
            continue
        invoker = res.inputs.get("role") == "roles/run.invoker"
        if "gcp-public-invoker" in res.waivers:
            continue
        if res.type != "gcp:cloudrunv2/serviceIamMember:ServiceIamMember" or not invoker:
            yield Violation("gcp-public-invoker", res.name, f"grants {res.inputs.get('role')} to everyone")
        elif "public-invoker" not in res.waivers:
            yield Violation("gcp-public-invoker", res.name, "makes a service public without the model saying so")


def keyless_cross_cloud(plan: Plan) -> Iterator[Violation]:
    """No key anywhere: no key-minting resources, no key fields, transfers by role, federation restricted."""
    for res in plan.resources:
        if res.type in KEY_TYPES:
            yield Violation("keyless-cross-cloud", res.name, f"{res.type} creates a long-lived credential")
        for value in walk(res.inputs):
            if isinstance(value, dict):
                for key in sorted(set(value) & KEY_FIELDS):
                    yield Violation("keyless-cross-cloud", res.name, f"sets '{key}': credentials must not be static")
    for job in _gcp(plan, "gcp:storage/transferJob:TransferJob"):
        source = job.inputs.get("transfer_spec", {}).get("aws_s3_data_source")
        if source is not None and not isinstance(source.get("role_arn"), Ref):
            yield Violation("keyless-cross-cloud", job.name, "reads S3 without a role of this plan (role_arn)")
    for provider in _gcp(plan, "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider"):
        if not provider.inputs.get("attribute_condition"):
            yield Violation("keyless-cross-cloud", provider.name, "any identity of the account may federate")
    if "aws" in plan.providers and "gcp" in plan.providers:
        for role in plan.by_type("aws:iam/role:Role"):
            doc = role.inputs.get("assume_role_policy")
            for stmt in walk(getattr(doc, "value", doc)):
                if isinstance(stmt, dict) and stmt.get("Principal") == {"Federated": "accounts.google.com"}:
                    cond = stmt.get("Condition", {}).get("StringEquals", {})
                    if "accounts.google.com:sub" not in cond:
                        yield Violation("keyless-cross-cloud", role.name, "trusts every Google identity (no sub)")


def gcp_log_retention(plan: Plan) -> Iterator[Violation]:
    """Log buckets expire their logs."""
    for bucket in _gcp(plan, "gcp:logging/projectBucketConfig:ProjectBucketConfig"):
        if not bucket.inputs.get("retention_days"):
            yield Violation("gcp-log-retention", bucket.name, "keeps logs without a retention")


def gcp_secrets_by_reference(plan: Plan) -> Iterator[Violation]:
    """Cloud Run env holds no secret-looking variable or value: secrets come from Secret Manager."""
    for res in plan.resources:
        if not res.type.startswith("gcp:cloudrunv2/"):
            continue
        for value in walk(res.inputs):
            if not (isinstance(value, dict) and "name" in value and "value" in value and "envs" not in value):
                continue
            if res.type.endswith(("IamMember", "iAMMember")):
                continue
            # An empty value holds nothing (a password output where Cloud SQL signs in with IAM tokens).
            if SECRET_NAME.search(str(value["name"])) and value["value"] != "":
                yield Violation("gcp-secrets-by-reference", res.name, f"{value['name']} is passed as plain env")
            if isinstance(value["value"], str) and SECRET_VALUE.search(value["value"]):
                yield Violation("gcp-secrets-by-reference", res.name, f"{value['name']} holds a credential")


GCP_POLICIES: dict[str, Policy] = {
    "gcp-no-public-bucket": gcp_no_public_bucket,
    "gcp-no-primitive-roles": gcp_no_primitive_roles,
    "gcp-public-invoker": gcp_public_invoker,
    "keyless-cross-cloud": keyless_cross_cloud,
    "gcp-log-retention": gcp_log_retention,
    "gcp-secrets-by-reference": gcp_secrets_by_reference,
}
