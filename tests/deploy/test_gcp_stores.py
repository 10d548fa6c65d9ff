"""Databases and caches on GCP: Cloud SQL and Memorystore on a private network, reached by Direct VPC egress."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from stacks.errors import StacksError
from stacks.plan.core import Ref, to_json

ROOT = Path(__file__).resolve().parents[2]

SYSTEM = """
version: 1
system: {name: pulse}
environments: [dev, prod]
components:
  api:
    kind: service
    image: ghcr.io/example/api:1.0
    port: 8080
    public: true
    env:
      DB_HOST: ${db.host}
      DB_USER: ${db.user}
      DB_URL: ${db.url}
      DB_READ_HOSTS: ${db.read_hosts}
      DB_PASSWORD: ${db.password}
      REDIS_URL: ${sessions.url}
      REDIS_AUTH: ${sessions.password}
  reports:
    kind: job
    image: ghcr.io/example/reports:1.0
    schedule: "0 4 * * *"
  render:
    kind: worker
    image: ghcr.io/example/render:1.0
  db: {kind: database, engine: postgres, version: "16", read_replicas: 1}
  legacy: {kind: database, engine: mysql, multi_az: true, backup_retention_days: 21}
  sessions: {kind: cache, engine: redis, memory: 1536}
connections:
  - {from: api, to: db, protocol: postgres}
  - {from: api, to: sessions, protocol: redis}
  - {from: reports, to: legacy, protocol: mysql}
stacks:
  gcp:
    target: gcp
    project: pulse-data-prod
    region: europe-west1
    environments:
      dev: {vpc_cidr: 10.20.0.0/16}
      prod: {deletion_protection: true}
"""


@cache
def project(text: str = SYSTEM):
    from stacks.project import project_from_text

    return project_from_text(text, root=ROOT)


@cache
def plan(name: str):
    from stacks.plan import build_plan

    return build_plan(project(), name)


def service_template(p, cid: str) -> dict:
    return p.resource(f"{cid}-service").inputs["template"]


def test_cloud_sql_is_private_encrypted_iam_authenticated_and_backed_up():
    for name, ha in (("gcp-dev", False), ("gcp-prod", True)):
        inst = plan(name).resource("db-sql").inputs
        settings = inst["settings"]
        assert inst["database_version"] == "POSTGRES_16"
        ip = settings["ip_configuration"]
        assert ip["ipv4_enabled"] is False and ip["ssl_mode"] == "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
        assert ip["private_network"] == Ref("gcp-network", "id")
        assert {"name": "cloudsql.iam_authentication", "value": "on"} in settings["database_flags"]
        backups = settings["backup_configuration"]
        assert backups["enabled"] and backups["point_in_time_recovery_enabled"]
        assert backups["backup_retention_settings"]["retained_backups"] == (14 if ha else 7)
        assert settings["availability_type"] == ("REGIONAL" if ha else "ZONAL")
        assert inst["deletion_protection"] is ha and settings["deletion_protection_enabled"] is ha
        assert "gcp-data-peering" in plan(name).resource("db-sql").depends_on


def test_database_settings_multi_az_backups_and_replicas():
    p = plan("gcp-dev")
    legacy = p.resource("legacy-sql").inputs
    assert legacy["database_version"] == "MYSQL_8_4"  # the engine's default version
    assert legacy["settings"]["availability_type"] == "REGIONAL"  # multi_az: true, even in dev
    backups = legacy["settings"]["backup_configuration"]
    assert backups["binary_log_enabled"] and backups["backup_retention_settings"]["retained_backups"] == 21
    assert {"name": "cloudsql_iam_authentication", "value": "on"} in legacy["settings"]["database_flags"]
    replica = p.resource("db-sql-replica-1").inputs
    assert replica["master_instance_name"] == Ref("db-sql", "name")
    assert replica["settings"]["ip_configuration"]["ipv4_enabled"] is False
    env = {e["name"]: e.get("value") for e in service_template(p, "api")["containers"][0]["envs"]}
    assert to_json(env["DB_READ_HOSTS"]) == {"$concat": [{"$ref": "db-sql-replica-1.private_ip_address"}]}


def test_the_network_has_a_run_subnet_and_a_database_tier_from_vpc_cidr():
    dev, prod = plan("gcp-dev"), plan("gcp-prod")
    assert dev.resource("gcp-run-subnet").inputs["ip_cidr_range"] == "10.20.0.0/20"
    assert dev.resource("gcp-data-range").inputs["address"] == "10.20.16.0"
    assert prod.resource("gcp-run-subnet").inputs["ip_cidr_range"] == "10.0.0.0/20"  # the default 10.0.0.0/16
    rng = prod.resource("gcp-data-range").inputs
    assert (rng["purpose"], rng["address_type"], rng["prefix_length"]) == ("VPC_PEERING", "INTERNAL", 20)
    peering = prod.resource("gcp-data-peering").inputs
    assert peering["service"] == "servicenetworking.googleapis.com"
    assert "servicenetworking.googleapis.com" in {r.inputs.get("service") for r in prod.resources}
    assert prod.resource("gcp-run-subnet").inputs["log_config"]  # flow logs on


def test_connected_workloads_get_direct_vpc_egress_iam_login_and_env():
    p = plan("gcp-prod")
    vpc = service_template(p, "api")["vpc_access"]
    assert vpc["egress"] == "PRIVATE_RANGES_ONLY"
    assert vpc["network_interfaces"] == [
        {"network": Ref("gcp-network", "name"), "subnetwork": Ref("gcp-run-subnet", "name")}
    ]
    job = p.resource("reports-job").inputs["template"]["template"]
    assert job["vpc_access"]["egress"] == "PRIVATE_RANGES_ONLY"
    assert "vpc_access" not in service_template(p, "render")  # connected to no store: no VPC
    user = p.resource("db-user-api").inputs
    assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT" and user["name"] == "api-prod@pulse-data-prod.iam"
    assert p.resource("legacy-user-reports").inputs["name"] == "reports-prod@pulse-data-prod.iam.gserviceaccount.com"
    roles = {r.inputs["role"]: r.inputs for r in p.of_component("api") if r.type.endswith("iAMMember:IAMMember")}
    for role in ("roles/cloudsql.client", "roles/cloudsql.instanceUser"):
        assert "resource.name ==" in json.dumps(to_json(roles[role]["condition"]["expression"]))
    env = {e["name"]: e for e in service_template(p, "api")["containers"][0]["envs"]}
    # What the model binds, resolved for this workload: its own IAM login, no password (IAM tokens).
    assert env["DB_HOST"]["value"] == Ref("db-sql", "private_ip_address")
    assert env["DB_USER"]["value"] == "api-prod@pulse-data-prod.iam"
    assert to_json(env["DB_URL"]["value"]) == {
        "$concat": ["postgresql://api-prod@pulse-data-prod.iam@", {"$ref": "db-sql.private_ip_address"}, ":5432/db"]
    }
    assert env["DB_PASSWORD"]["value"] == ""
    assert not any(name.startswith("STACKS_") for name in env)
    assert "db-user-api" in p.resource("api-service").depends_on


def test_memorystore_requires_auth_and_tls_and_the_auth_string_is_a_secret_reference():
    p = plan("gcp-prod")
    redis = p.resource("sessions-redis").inputs
    assert redis["auth_enabled"] is True and redis["transit_encryption_mode"] == "SERVER_AUTHENTICATION"
    assert redis["connect_mode"] == "PRIVATE_SERVICE_ACCESS" and redis["tier"] == "STANDARD_HA"
    assert redis["memory_size_gb"] == 2
    assert plan("gcp-dev").resource("sessions-redis").inputs["tier"] == "BASIC"
    version = p.resource("sessions-auth-version").inputs
    assert version["secret_data"] == Ref("sessions-redis", "auth_string")
    env = {e["name"]: e for e in service_template(p, "api")["containers"][0]["envs"]}
    auth = env["REDIS_AUTH"]
    assert "value" not in auth and auth["value_source"]["secret_key_ref"]["secret"] == Ref(
        "api-reads-sessions-auth", "secret_id"
    )
    assert to_json(env["REDIS_URL"]["value"]) == {"$concat": ["rediss://", {"$ref": "sessions-redis.host"}, ":6378/0"]}
    grant = p.resource("api-reads-sessions-auth").inputs
    assert grant["role"] == "roles/secretmanager.secretAccessor"


def test_memcached_on_gcp_is_refused_at_validation_with_the_alternatives():
    with pytest.raises(StacksError) as info:
        project(SYSTEM.replace("engine: redis, memory: 1536", "engine: memcached"))
    found = [d for d in info.value.diagnostics if "Memorystore for Redis" in d.message]
    assert found and found[0].path == "components.sessions.engine" and found[0].line
    assert "aws" in found[0].hint and "compose" in found[0].hint


def test_a_memorystore_name_over_40_characters_is_refused():
    with pytest.raises(StacksError) as info:
        project(
            SYSTEM.replace("sessions", "sessions-of-signed-in-users").replace("{name: pulse}", "{name: pulse-data}")
        )
    assert any("Memorystore instance name" in d.message for d in info.value.diagnostics)


def test_hybrid_places_databases_and_caches_on_gcp():
    from stacks.plan import build_plan

    text = SYSTEM.replace(
        "stacks:\n",
        "stacks:\n  both:\n    target: hybrid\n    aws: {region: eu-west-1}\n"
        "    gcp: {project: pulse-data-prod, region: europe-west1}\n"
        "    placement: {api: gcp, db: gcp, sessions: gcp, reports: aws, legacy: aws, render: aws}\n"
        "    environments: {dev: {}}\n",
    )
    p = build_plan(project(text), "both-dev")
    assert p.resource("db-sql").inputs["settings"]["ip_configuration"]["ipv4_enabled"] is False
    assert p.resource("sessions-redis").component == "sessions"
    assert p.resource("legacy-db").type == "aws:rds/instance:Instance"
    with pytest.raises(StacksError) as info:  # a workload on AWS cannot reach the private Cloud SQL
        project(text.replace("api: gcp, db: gcp", "api: aws, db: gcp"))
    assert any("crosses from aws to gcp" in d.message for d in info.value.diagnostics)


def test_terraform_names_and_pulumi_offline_run():
    from deploy.offline import run_offline
    from deploy.terraform import render_plan

    p = plan("gcp-prod")
    tf = render_plan(p)["resource"]
    assert {"google_sql_database_instance", "google_redis_instance", "google_service_networking_connection"} <= set(tf)
    assert "weekly_maintenance_window" in json.dumps(tf["google_redis_instance"])
    assert "deny" in tf["google_compute_firewall"]["gcp-deny-ingress"]
    recording = run_offline(p)
    names = {r.name for r in recording.resources}
    assert {"db-sql", "sessions-redis", "gcp-data-peering", "db-user-api"} <= names


@pytest.mark.slow
def test_checkov_passes_the_stores_with_no_unwaived_failure(tmp_path):
    from deploy.checkov import run_checkov
    from deploy.terraform import tf_json_text

    for name in ("gcp-dev", "gcp-prod"):
        path = tmp_path / name / "main.tf.json"
        path.parent.mkdir()
        path.write_text(tf_json_text(plan(name)))
        result = run_checkov(path, ROOT)
        assert not result.parsing_errors, result.parsing_errors
        assert result.failed == [], "\n".join(f"{f['check']} {f['resource']}: {f['name']}" for f in result.failed)
        assert result.passed >= 40
