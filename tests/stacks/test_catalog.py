"""The provider catalogs know every resource type the plans use, and the stages read them.

A planner that starts emitting a new type fails here until the type's catalog entry says
its Terraform type, its icon, what it keeps at rest and how to tell it is encrypted.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from stacks import catalog
from stacks.plan import build_plan, cloud_deployables
from stacks.plan.core import Plan, Resource
from stacks.plan.policies import encryption_at_rest
from stacks.project import load_project, project_from_text
from tests.deploy.every_kind import every_kind_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def planned_types() -> dict[str, str]:
    """Every resource type any plan of the bundled system, the examples and the every-kind model emits."""
    projects = [load_project(ROOT / "stacks.yaml")]
    projects += [load_project(p) for p in sorted((ROOT / "examples").glob("*/stacks.yaml"))]
    projects.append(project_from_text(every_kind_text(), root=ROOT))
    found: dict[str, str] = {}
    for project in projects:
        for name in cloud_deployables(project):
            for res in build_plan(project, name).resources:
                found.setdefault(res.type, f"{project.model.system.name}/{name}: {res.name}")
    return found


def test_every_planned_type_is_in_its_provider_catalog(planned_types):
    missing = {t: where for t, where in planned_types.items() if catalog.lookup(t) is None}
    assert missing == {}, "add these to stacks/catalog/<provider>.py"


def test_every_entry_has_a_terraform_type_and_a_real_icon():
    for provider, types in catalog.CATALOGS.items():
        for token, facts in types.items():
            assert token.startswith(provider + ":")
            if provider != "docker-build":
                assert facts.tf and facts.tf.startswith("aws_" if provider == "aws" else "google_"), token
            module, _, name = facts.icon.rpartition(".")
            assert getattr(importlib.import_module(module), name), token


def test_what_holds_data_says_how_it_is_encrypted():
    holders = {t: f for types in catalog.CATALOGS.values() for t, f in types.items() if f.holds}
    assert {"aws:s3/bucket:Bucket", "aws:rds/instance:Instance", "gcp:sql/databaseInstance:DatabaseInstance"} <= set(
        holders
    )
    assert all(f.encrypted is not None for f in holders.values())


def _plan(*resources: Resource) -> Plan:
    return Plan(stack="aws-test", target="aws", providers={"aws": {"region": "eu-west-1"}}, resources=resources)


def test_the_encryption_policy_fails_closed_on_a_type_it_does_not_know():
    table = Resource("aws:dynamodb/table:Table", "orders", {"name": "orders"})
    [violation] = encryption_at_rest(_plan(table))
    assert violation.resource == "orders" and "not in the provider catalog" in violation.message


def test_the_encryption_policy_reads_the_catalog_check():
    plain = Resource("aws:sqs/queue:Queue", "jobs", {"name": "jobs"})
    sealed = Resource("aws:sqs/queue:Queue", "events", {"name": "events", "kms_master_key_id": "arn:aws:kms:key"})
    assert [v.resource for v in encryption_at_rest(_plan(plain, sealed))] == ["jobs"]


def test_the_stages_read_the_catalog():
    from architecture.nodes import resource_icon
    from deploy.terraform import TF_TYPES
    from stacks.plan.replacement import FORCES_REPLACEMENT

    for types in (catalog.aws.TYPES, catalog.gcp.TYPES):
        for token, facts in types.items():
            assert TF_TYPES[token] == facts.tf
            assert resource_icon(token) == facts.icon
            assert FORCES_REPLACEMENT.get(token, frozenset()) == facts.replaced_by
