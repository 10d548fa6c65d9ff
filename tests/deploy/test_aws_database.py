"""A database component on AWS: RDS in the private subnets, encrypted, IAM auth, no password in any file."""

from __future__ import annotations

import json

import pytest
import yaml

from stacks.plan.core import Ref, to_json

from .conftest import ROOT


def _project(engine: str = "postgres"):
    from stacks.project import project_from_text

    doc = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    doc["components"]["orders"] = {
        "kind": "database",
        "engine": engine,
        "version": "16" if engine == "postgres" else "8.0",
        "storage_gb": 50,
    }
    doc["connections"].append({"from": "api", "to": "orders", "protocol": "postgres"})
    doc["components"]["api"]["env"] = {  # a copy: the bundled file shares this mapping through a YAML anchor
        **doc["components"]["api"]["env"],
        "ORDERS_URL": "${orders.url}",
        "ORDERS_HOST": "${orders.host}",
        "ORDERS_PASSWORD": "${orders.password}",
    }
    doc["stacks"] = {"aws": doc["stacks"]["aws"]}
    return project_from_text(yaml.safe_dump(doc, sort_keys=False), root=ROOT)


@pytest.fixture(scope="module")
def plans():
    from stacks.plan import build_plan

    project = _project()
    return {name: build_plan(project, name) for name in ("aws-dev", "aws-prod")}


def test_rds_is_private_encrypted_and_follows_deletion_protection(plans):
    for name, prod in (("aws-dev", False), ("aws-prod", True)):
        db = plans[name].resource("orders-db")
        i = db.inputs
        assert i["storage_encrypted"] is True and i["kms_key_id"] == Ref("key", "arn")
        assert i["performance_insights_kms_key_id"] == Ref("key", "arn")
        assert i["publicly_accessible"] is False and i["iam_database_authentication_enabled"] is True
        assert i["manage_master_user_password"] is True and "password" not in i
        assert i["multi_az"] is prod and i["deletion_protection"] is prod and db.protect is prod
        assert i["backup_retention_period"] >= 7
        subnets = plans[name].resource("orders-subnets").inputs["subnet_ids"]
        assert subnets and all(ref.name.startswith("private") for ref in subnets)


def test_only_connecting_workloads_reach_it_on_its_port(plans):
    plan = plans["aws-prod"]
    ingress = [
        r
        for r in plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["security_group_id"] == Ref("orders-sg")
    ]
    assert [
        (r.inputs["referenced_security_group_id"], r.inputs["from_port"], r.inputs["to_port"]) for r in ingress
    ] == [(Ref("api-sg"), 5432, 5432)]
    assert all("cidr_ipv4" not in r.inputs for r in ingress)
    egress = plan.resource("api-to-orders").inputs
    assert egress["referenced_security_group_id"] == Ref("orders-sg") and egress["from_port"] == 5432


def test_the_workload_gets_the_endpoint_and_the_secret_by_reference(plans):
    plan = plans["aws-prod"]
    container = plan.resource("api-task").inputs["container_definitions"].value[0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert env["ORDERS_HOST"] == Ref("orders-db", "address")
    assert to_json(env["ORDERS_URL"]) == {
        "$concat": ["postgresql://app@", {"$ref": "orders-db.address"}, ":5432/orders"]
    }
    # The password is an ECS secret read from the RDS-managed secret by the execution role, never a value.
    secret = next(s for s in container["secrets"] if s["name"] == "ORDERS_PASSWORD")
    assert to_json(secret["valueFrom"]) == {
        "$concat": [{"$ref": "orders-db.master_user_secrets[0].secret_arn"}, ":password::"]
    }
    assert "ORDERS_PASSWORD" not in env
    execution = json.dumps(to_json(plan.resource("api-execution-policy").inputs["policy"]))
    assert "secretsmanager:GetSecretValue" in execution and "orders-db.master_user_secrets" in execution
    grants = json.dumps(to_json(plan.resource("api-task-policy").inputs["policy"]))
    assert "secretsmanager" not in grants and "rds-db:connect" in grants
    ingest = {e["name"] for e in plan.resource("ingest-task").inputs["container_definitions"].value[0]["environment"]}
    assert not any("ORDERS" in n for n in ingest)  # not connected in the model: no address, no grant


def test_mysql_uses_its_port_and_tls_parameter():
    from stacks.plan import build_plan

    plan = build_plan(_project("mysql"), "aws-prod")
    assert plan.resource("orders-db").inputs["port"] == 3306
    params = plan.resource("orders-parameters").inputs
    assert params["family"] == "mysql8.0"
    assert {"name": "require_secure_transport", "value": "1", "apply_method": "pending-reboot"} in params["parameters"]


def test_checkov_passes_the_database(plans, tmp_path):
    from deploy.checkov import run_checkov, waivers_in
    from deploy.terraform import render_plan

    for name, plan in plans.items():
        tf = render_plan(plan)
        path = tmp_path / name / "main.tf.json"
        path.parent.mkdir()
        path.write_text(json.dumps(tf, indent=2))
        result = run_checkov(path, ROOT)
        assert not result.parsing_errors, result.parsing_errors
        assert result.failed == [], "\n".join(f"{f['check']} {f['resource']}: {f['name']}" for f in result.failed)
        mine = {c for addr, checks in waivers_in(tf).items() if "orders" in addr for c in checks}
        used = {w["check"] for w in result.waived if "orders" in w["resource"]}
        assert mine == used, f"unused waivers on the database: {mine - used}"
        assert all(
            len(reason) > 30
            for addr, checks in waivers_in(tf).items()
            if "orders" in addr
            for reason in checks.values()
        )


def test_the_pulumi_program_registers_the_database(plans):
    from deploy.offline import run_offline

    recorded = {r.name: r.inputs for r in run_offline(plans["aws-prod"]).resources}
    db = recorded["orders-db"]
    assert db["manageMasterUserPassword"] is True and db["storageEncrypted"] is True
    env = {e["name"]: e["value"] for e in json.loads(recorded["api-task"]["containerDefinitions"])[0]["environment"]}
    assert env["ORDERS_HOST"].endswith(".rds.amazonaws.com")
    assert env["ORDERS_URL"].startswith("postgresql://app@") and env["ORDERS_URL"].endswith(":5432/orders")
    secrets = json.loads(recorded["api-task"]["containerDefinitions"])[0]["secrets"]
    password = next(s["valueFrom"] for s in secrets if s["name"] == "ORDERS_PASSWORD")
    assert password.startswith("arn:aws:secretsmanager:") and password.endswith(":password::")


def _cache_project():
    from stacks.project import project_from_text

    doc = yaml.safe_load((ROOT / "stacks.yaml").read_text())
    doc["components"]["sessions"] = {"kind": "cache", "engine": "redis", "memory": 1024}
    doc["components"]["tiles"] = {"kind": "cache", "engine": "memcached"}
    doc["connections"] += [
        {"from": "api", "to": "sessions", "protocol": "redis"},
        {"from": "api", "to": "tiles", "protocol": "tcp"},
    ]
    doc["components"]["api"]["env"] = {  # a copy: the bundled file shares this mapping through a YAML anchor
        **doc["components"]["api"]["env"],
        "SESSIONS_URL": "${sessions.url}",
        "SESSIONS_USER": "${sessions.user}",
        "TILES_HOST": "${tiles.host}",
        "TILES_PORT": "${tiles.port}",
    }
    doc["stacks"] = {"aws": doc["stacks"]["aws"]}
    return project_from_text(yaml.safe_dump(doc, sort_keys=False), root=ROOT)


def test_redis_is_encrypted_with_iam_users_and_memcached_uses_tls(tmp_path):
    from deploy.checkov import run_checkov
    from deploy.offline import run_offline
    from deploy.terraform import render_plan
    from stacks.plan import build_plan

    project = _cache_project()
    for name, prod in (("aws-dev", False), ("aws-prod", True)):
        plan = build_plan(project, name)
        rg = plan.resource("sessions-cache").inputs
        assert rg["at_rest_encryption_enabled"] and rg["transit_encryption_enabled"]
        assert rg["kms_key_id"] == Ref("key", "arn") and rg["node_type"] == "cache.t4g.small"
        assert rg["multi_az_enabled"] is prod and rg["num_cache_clusters"] == (2 if prod else 1)
        assert "auth_token" not in rg and rg["user_group_ids"] == [Ref("sessions-users", "user_group_id")]
        assert plan.resource("sessions-user").inputs["authentication_mode"] == {"type": "iam"}
        assert plan.resource("sessions-default-user").inputs["access_string"].startswith("off")
        assert plan.resource("tiles-cache").inputs["transit_encryption_enabled"] is True
        for store, port in (("sessions", 6379), ("tiles", 11211)):
            ingress = [
                r.inputs
                for r in plan.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
                if r.inputs["security_group_id"] == Ref(f"{store}-sg")
            ]
            assert [(i["referenced_security_group_id"], i["from_port"]) for i in ingress] == [(Ref("api-sg"), port)]
        grants = json.dumps(to_json(plan.resource("api-task-policy").inputs["policy"]))
        assert "elasticache:Connect" in grants
        path = tmp_path / name / "main.tf.json"
        path.parent.mkdir()
        path.write_text(json.dumps(render_plan(plan), indent=2))
        result = run_checkov(path, ROOT)
        assert result.failed == [], "\n".join(f"{f['check']} {f['resource']}: {f['name']}" for f in result.failed)
    recorded = {r.name: r.inputs for r in run_offline(plan).resources}
    env = {e["name"]: e["value"] for e in json.loads(recorded["api-task"]["containerDefinitions"])[0]["environment"]}
    assert env["SESSIONS_URL"].startswith("rediss://") and ".cache.amazonaws.com:6379/0" in env["SESSIONS_URL"]
    assert env["SESSIONS_USER"] == "shop-sessions-prod-app"
    assert env["TILES_PORT"] == "11211" and ":" not in env["TILES_HOST"]


def test_the_aws_diagram_draws_the_stores():
    from architecture.aws_view import MAIN, aws_spec
    from architecture.cloud import drawn
    from architecture.registry import context
    from stacks.plan import build_plan

    project = _cache_project()
    plan = build_plan(project, "aws-prod")
    spec = aws_spec(context(project, "aws"), plan).normalized()
    assert set(drawn(spec)) == {r.name for r in plan.resources}  # every resource in exactly one node
    for type_ in ("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster"):
        assert type_ in MAIN and plan.by_type(type_)
