"""GCP and hybrid policies: the bundled stacks pass, each policy catches what it is about, and no
generated file holds a static credential."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from stacks.plan.core import Json, Ref, Resource
from stacks.plan.policies import POLICIES, check_policies

from .gcp_support import ALL_STACKS, ROOT, plan, project, replace_inputs


def _policy(p, name):
    return [str(v) for v in POLICIES[name](p)]


def _add(p, res: Resource):
    return dataclasses.replace(p, resources=(*p.resources, res))


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_bundled_stacks_pass_every_policy(stack):
    assert check_policies(plan(stack)) == []


def test_public_gcs_bucket_is_caught():
    p = plan("gcp-prod")
    assert _policy(replace_inputs(p, "lake-bucket", public_access_prevention="inherited"), "gcp-no-public-bucket") == [
        "gcp-no-public-bucket: lake-bucket: public access prevention is not enforced"
    ]
    assert _policy(replace_inputs(p, "lake-bucket", uniform_bucket_level_access=False), "gcp-no-public-bucket")
    public = replace_inputs(p, "api-uses-lake", member="allUsers")
    assert "grants roles/storage.objectUser to everyone" in _policy(public, "gcp-no-public-bucket")[0]
    mirror = replace_inputs(plan("hybrid-prod"), "lake-mirror", public_access_prevention="inherited")
    assert _policy(mirror, "gcp-no-public-bucket")


def test_primitive_roles_are_caught():
    p = plan("gcp-prod")
    for role in ("roles/owner", "roles/editor", "roles/viewer"):
        found = _policy(replace_inputs(p, "api-bigquery-jobs", role=role), "gcp-no-primitive-roles")
        assert found == [f"gcp-no-primitive-roles: api-bigquery-jobs: grants the primitive role {role}"]
    binding = Resource(
        "gcp:projects/iAMPolicy:IAMPolicy",
        "policy",
        {"project": "p", "policy_data": {"bindings": [{"role": "roles/editor", "members": ["user:x@example.com"]}]}},
    )
    assert _policy(_add(p, binding), "gcp-no-primitive-roles")


def test_all_users_only_on_the_invoker_of_a_public_service():
    p = plan("gcp-prod")
    assert _policy(p, "gcp-public-invoker") == []
    unwaived = dataclasses.replace(p.resource("api-public-invoker"), waivers={})
    p2 = dataclasses.replace(p, resources=tuple(unwaived if r.name == "api-public-invoker" else r for r in p.resources))
    assert _policy(p2, "gcp-public-invoker") == [
        "gcp-public-invoker: api-public-invoker: makes a service public without the model saying so"
    ]
    dataset = replace_inputs(p, "api-reads-warehouse", member="allAuthenticatedUsers")
    assert "grants roles/bigquery.dataViewer to everyone" in _policy(dataset, "gcp-public-invoker")[0]


def test_static_credentials_are_caught():
    p = plan("hybrid-prod")
    assert _policy(p, "keyless-cross-cloud") == []
    key = Resource("gcp:serviceaccount/key:Key", "api-key", {"service_account_id": Ref("api-gcp-account", "name")})
    assert "creates a long-lived credential" in _policy(_add(p, key), "keyless-cross-cloud")[0]
    access = Resource("aws:iam/accessKey:AccessKey", "transfer-key", {"user": "transfer"})
    assert _policy(_add(p, access), "keyless-cross-cloud")
    job = p.resource("lake-transfer").inputs
    spec = {
        **job["transfer_spec"],
        "aws_s3_data_source": {"bucket_name": "b", "aws_access_key": {"access_key_id": "x", "secret_access_key": "y"}},
    }
    found = _policy(replace_inputs(p, "lake-transfer", transfer_spec=spec), "keyless-cross-cloud")
    assert any("aws_access_key" in v for v in found) and any("without a role" in v for v in found)
    loose = replace_inputs(p, "gcp-workload-provider", attribute_condition=None)
    assert _policy(loose, "keyless-cross-cloud") == [
        "keyless-cross-cloud: gcp-workload-provider: any identity of the account may federate"
    ]
    role = p.resource("lake-transfer-role")
    trust = Json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "accounts.google.com"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                }
            ],
        }
    )
    assert _policy(replace_inputs(p, role.name, assume_role_policy=trust), "keyless-cross-cloud") == [
        "keyless-cross-cloud: lake-transfer-role: trusts every Google identity (no sub)"
    ]


def test_plain_secret_env_on_cloud_run_is_caught():
    p = plan("gcp-prod")
    svc = p.resource("api-service").inputs
    container = {**svc["template"]["containers"][0]}
    container["envs"] = [*container["envs"], {"name": "STACKS_APP_DB_PASSWORD", "value": "x"}]
    bad = replace_inputs(p, "api-service", template={**svc["template"], "containers": [container]})
    assert _policy(bad, "gcp-secrets-by-reference") == [
        "gcp-secrets-by-reference: api-service: STACKS_APP_DB_PASSWORD is passed as plain env"
    ]


def test_log_retention_is_required():
    assert _policy(replace_inputs(plan("gcp-dev"), "gcp-log-bucket", retention_days=None), "gcp-log-retention")


# AWS access key ids, private keys (PEM or in a service-account JSON), key files and client secrets.
STATIC_CREDENTIAL = re.compile(
    r"(?:A3T[A-Z0-9]|AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----|\"private_key\"\s*:|\"private_key_id\"\s*:|private_key"
    r"|\"type\"\s*:\s*\"service_account\"|client_secret|aws_secret_access_key|secret_access_key"
    r"|\.pem\b|key\.json|credentials\.json|mock-(?:access-)?token",
    re.I,
)


def _generated_files() -> dict[str, str]:
    """Every file `stacks build` writes for the gcp and hybrid stacks, rendered now, plus the committed copies."""
    from deploy.pulumi_config import stack_file
    from deploy.terraform import tf_json_text

    files: dict[str, str] = {}
    for stack in ALL_STACKS:
        files[f"deploy/Pulumi.{stack}.yaml"] = stack_file(plan(stack))
        files[f"deploy/terraform/{stack}/main.tf.json"] = tf_json_text(plan(stack))
        files[f"stacks plan --json {stack}"] = json.dumps(plan(stack).to_json())
    for path in [
        *ROOT.glob("deploy/Pulumi.gcp-*.yaml"),
        *ROOT.glob("deploy/Pulumi.hybrid-*.yaml"),
        *ROOT.glob("deploy/terraform/gcp-*/main.tf.json"),
        *ROOT.glob("deploy/terraform/hybrid-*/main.tf.json"),
        ROOT / "docs/architecture/README.md",
        ROOT / "docs/architecture/diagrams/gcp.svg",
        ROOT / "docs/architecture/diagrams/hybrid.svg",
    ]:
        # Icons are inlined as base64 data URIs: random letters that are no credential.
        files[str(path.relative_to(ROOT))] = re.sub(r"data:[^\"')]+", "data:", path.read_text())
    return files


def test_no_static_credential_in_any_generated_file():
    files = _generated_files()
    assert len(files) >= 6 * 3 + 3
    for path, text in files.items():
        match = STATIC_CREDENTIAL.search(text)
        assert match is None, f"{path}: {match.group(0) if match else ''}"
    hybrid = files["deploy/terraform/hybrid-prod/main.tf.json"]
    assert "AssumeRoleWithWebIdentity" in hybrid and "external_account" in hybrid  # keyless, and visibly so


def test_the_credential_pattern_would_catch_real_keys():
    samples = [
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----",
        '{"type": "service_account", "x": 1}',
        '"private_key": "..."',
        "GOOGLE_APPLICATION_CREDENTIALS=/secrets/key.json",
    ]
    for sample in samples:
        assert STATIC_CREDENTIAL.search(sample), sample


def test_policy_violations_stop_the_plan(monkeypatch):
    from stacks.errors import StacksError
    from stacks.plan import build_plan
    from stacks.plan import gcp as gcpplan

    real = gcpplan.build_bucket

    def leaky(p, comp):
        real(p, comp)
        p.add(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            f"{comp.id}-everyone",
            {"bucket": Ref(f"{comp.id}-bucket", "name"), "role": "roles/storage.objectViewer", "member": "allUsers"},
            comp.id,
        )

    monkeypatch.setitem(gcpplan.KINDS, "bucket", dataclasses.replace(gcpplan.KINDS["bucket"], build=leaky))
    with pytest.raises(StacksError) as info:
        build_plan(project(), "gcp-dev")
    assert "lake-everyone: grants roles/storage.objectViewer to everyone" in info.value.message
