"""The GCP plan of the bundled app: what gcp-* stacks contain, read from the plan data."""

from __future__ import annotations

import json

import pytest

from stacks.errors import StacksError
from stacks.plan.core import Ref, to_json

from .gcp_support import GCP_STACKS, inputs, plan, project, variant


def types(name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for res in plan(name).resources:
        out.setdefault(res.type, []).append(res.name)
    return out


def test_required_apis_are_exactly_what_the_resources_need():
    from stacks.plan.gcp import api_of, api_resource_name

    for name in GCP_STACKS:
        p = plan(name)
        services = {r.inputs["service"]: r for r in p.by_type("gcp:projects/service:Service")}
        needed = {api_of(r.type) for r in p.resources if api_of(r.type)}
        assert set(services) == needed
        assert {
            "run.googleapis.com",
            "bigquery.googleapis.com",
            "bigqueryconnection.googleapis.com",
            "artifactregistry.googleapis.com",
            "secretmanager.googleapis.com",
        } <= needed
        for svc in services.values():
            assert svc.inputs["disable_on_destroy"] is False  # other stacks share the project
        for res in p.resources:  # every resource waits for its API
            if api_of(res.type):
                assert api_resource_name(api_of(res.type)) in res.depends_on, res.name
    assert "compute.googleapis.com" in {
        r.inputs["service"] for r in plan("gcp-prod").resources if r.type == "gcp:projects/service:Service"
    }
    # Without a domain the API has no load balancer; the dashboard's (a static site) still needs Compute.
    dev = plan("gcp-dev")
    assert "compute.googleapis.com" in {r.inputs["service"] for r in dev.by_type("gcp:projects/service:Service")}
    assert {r.component for r in dev.resources if api_of(r.type) == "compute.googleapis.com"} == {"dashboard"}


def test_artifact_registry_with_cleanup_policy_and_image_build():
    repo = inputs("gcp-prod", "gcp-repository")
    assert repo["format"] == "DOCKER" and repo["location"] == "europe-west1"
    assert repo["docker_config"] == {"immutable_tags": True}
    assert repo["cleanup_policy_dry_run"] is False
    actions = {(c["id"], c["action"]) for c in repo["cleanup_policies"]}
    assert {("keep-recent", "KEEP"), ("delete-untagged", "DELETE")} <= actions
    image = plan("gcp-prod").resource("api-image")
    assert image.engines == ("pulumi",) and image.replaces_var == "api_image"
    tag = to_json(image.inputs["tags"][0])
    assert tag["$concat"][0] == "europe-west1-docker.pkg.dev/shop-analytics-prod/shop-prod/api:"
    assert image.inputs["registries"][0]["username"] == "oauth2accesstoken"


def test_cloud_run_service_sized_scaled_and_probed_per_environment():
    for name, cpu, memory, lo, hi in (("gcp-dev", "1", "1024Mi", 0, 1), ("gcp-prod", "2", "4096Mi", 1, 10)):
        svc = inputs(name, "api-service")
        template = svc["template"]
        container = template["containers"][0]
        assert container["resources"]["limits"] == {"cpu": cpu, "memory": memory}
        assert template["scaling"] == {"min_instance_count": lo, "max_instance_count": hi}
        assert container["resources"]["cpu_idle"] is (lo == 0)
        assert container["startup_probe"]["http_get"] == {"path": "/health", "port": 8000}  # liveness, not /ready
        assert container["liveness_probe"]["http_get"] == {"path": "/health", "port": 8000}
        assert container["ports"] == {"container_port": 8000, "name": "http1"}
        assert container["args"][0] == "uvicorn"
        assert template["service_account"] == Ref("api-account", "email")
        assert svc["deletion_protection"] is (name == "gcp-prod")
    assert inputs("gcp-prod", "api-service")["template"]["max_instance_request_concurrency"] == 80
    assert inputs("gcp-prod", "api-account")["account_id"] == "api-prod"


def test_env_points_at_bigquery_and_the_lake_and_secrets_are_references():
    envs = {e["name"]: e for e in inputs("gcp-prod", "api-service")["template"]["containers"][0]["envs"]}
    assert envs["STACKS_APP_BIGQUERY_PROJECT"]["value"] == "shop-analytics-prod"
    assert envs["STACKS_APP_BIGQUERY_DATASET"]["value"] == Ref("warehouse-dataset", "dataset_id")
    assert to_json(envs["STACKS_APP_LAKE_URI"]["value"]) == {
        "$concat": ["gs://", {"$ref": "lake-bucket.name"}, "/tables/"]
    }
    secret = envs["STACKS_APP_API_KEY"]
    assert "value" not in secret
    assert secret["value_source"]["secret_key_ref"] == {
        "secret": Ref("api-reads-secret-shop-api-key", "secret_id"),
        "version": "latest",
    }
    grant = inputs("gcp-prod", "api-reads-secret-shop-api-key")
    assert grant["secret_id"] == "projects/shop-analytics-prod/secrets/shop-api-key"
    assert grant["role"] == "roles/secretmanager.secretAccessor"


def test_public_service_with_domain_sits_behind_the_https_load_balancer():
    p = plan("gcp-prod")
    svc = inputs("gcp-prod", "api-service")
    assert svc["ingress"] == "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"  # no way around Cloud Armor
    assert inputs("gcp-prod", "api-public-invoker")["member"] == "allUsers"
    neg = inputs("gcp-prod", "api-neg")
    assert neg["network_endpoint_type"] == "SERVERLESS" and neg["cloud_run"]["service"] == Ref("api-service", "name")
    backend = inputs("gcp-prod", "api-backend")
    assert backend["security_policy"] == Ref("api-armor", "id") and backend["enable_cdn"] is True
    assert backend["cdn_policy"]["cache_mode"] == "USE_ORIGIN_HEADERS"
    assert backend["load_balancing_scheme"] == "EXTERNAL_MANAGED"
    rules = inputs("gcp-prod", "api-armor")["rules"]
    expressions = " ".join(r["match"].get("expr", {}).get("expression", "") for r in rules)
    assert "sqli-v33-stable" in expressions and "cve-canary" in expressions
    assert any(r["action"] == "throttle" for r in rules) and rules[-1]["priority"] == 2147483647
    assert inputs("gcp-prod", "api-certificate")["managed"] == {"domains": ["analytics.shop.example.com"]}
    assert inputs("gcp-prod", "api-tls")["min_tls_version"] == "TLS_1_2"
    assert inputs("gcp-prod", "api-https")["port_range"] == "443"
    assert inputs("gcp-prod", "api-redirect")["default_url_redirect"]["https_redirect"] is True
    dns = inputs("gcp-prod", "api-dns")
    assert dns["name"] == "analytics.shop.example.com." and dns["rrdatas"] == [Ref("api-address", "address")]
    assert {d.name: d.args for d in p.data}["gcp-zone"] == {
        "name": "shop-example-com",
        "project": "shop-analytics-prod",
    }


def test_without_a_domain_the_service_uses_its_run_app_url():
    t = types("gcp-dev")
    assert t["gcp:compute/backendService:BackendService"] == ["dashboard-api-backend"]  # the site's route, not api's
    assert inputs("gcp-dev", "api-service")["ingress"] == "INGRESS_TRAFFIC_ALL"
    outputs = {o.name: o.value for o in plan("gcp-dev").outputs}
    assert outputs["url"] == Ref("api-service", "uri")


def test_private_service_gets_no_public_invoker():
    proj = variant(
        ("    ready: /ready\n    public: true\n", "    ready: /ready\n    public: false\n"),
        ("  - {from: dashboard, to: api, label: /api/v1 (same origin), protocol: https}\n", ""),  # no way in
    )
    from stacks.plan import build_plan

    p = build_plan(proj, "gcp-prod")
    assert p.resource("api-service").inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    members = [r.inputs.get("member") for r in p.resources if r.component != "dashboard"]  # the site is public
    assert "allUsers" not in members and "allAuthenticatedUsers" not in members
    assert not [r for r in p.by_type("gcp:compute/globalForwardingRule:GlobalForwardingRule") if r.component == "api"]
    assert p.resource("dashboard-urls").inputs.get("path_matchers") is None  # no API to route to
    assert not p.by_type("gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig")  # nothing public to probe


def test_lake_bucket_is_private_versioned_with_lifecycle():
    lake = inputs("gcp-prod", "lake-bucket")
    assert lake["uniform_bucket_level_access"] is True
    assert lake["public_access_prevention"] == "enforced"
    assert lake["versioning"] == {"enabled": True}
    assert lake["force_destroy"] is False and plan("gcp-prod").resource("lake-bucket").protect
    kinds = {r["action"]["type"] for r in lake["lifecycle_rules"]}
    assert kinds == {"Delete", "AbortIncompleteMultipartUpload"}
    assert lake["logging"]["log_bucket"] == Ref("gcp-access-logs", "name")
    assert inputs("gcp-dev", "lake-bucket")["force_destroy"] is True


def test_warehouse_is_a_dataset_and_a_connection_with_no_stack_defined_tables():
    dataset = inputs("gcp-prod", "warehouse-dataset")
    assert dataset["dataset_id"] == "shop_warehouse_prod" and dataset["location"] == "europe-west1"
    conn = inputs("gcp-prod", "warehouse-connection")
    assert conn["cloud_resource"] == {}
    reads = inputs("gcp-prod", "warehouse-connection-reads-lake")
    assert reads["role"] == "roles/storage.objectViewer" and reads["bucket"] == Ref("lake-bucket", "name")
    # Tables over tables/<table>/ would read every lake version at once: the ingest job registers each
    # version (tables <table>__<v>) and the views <table>; the plan defines none.
    for stack in ("gcp-dev", "gcp-prod", "hybrid-prod"):
        assert not plan(stack).by_type("gcp:bigquery/table:Table"), stack


def test_iam_is_least_privilege_and_scoped():
    p = plan("gcp-prod")
    api = {r.name: r.inputs for r in p.of_component("api") if "Iam" in r.type or "iAM" in r.type or "IAM" in r.type}
    assert api["api-reads-warehouse"]["role"] == "roles/bigquery.dataViewer"
    assert api["api-reads-warehouse"]["dataset_id"] == Ref("warehouse-dataset", "dataset_id")
    assert api["api-bigquery-jobs"]["role"] == "roles/bigquery.jobUser"
    assert api["api-uses-lake"] == {
        "bucket": Ref("lake-bucket", "name"),
        "role": "roles/storage.objectUser",
        "member": api["api-uses-lake"]["member"],
    }
    roles = {r.inputs.get("role") for r in p.resources if r.inputs.get("role")}
    assert not roles & {"roles/owner", "roles/editor", "roles/viewer", "roles/storage.admin", "roles/bigquery.admin"}
    accounts = {r.inputs["account_id"] for r in p.by_type("gcp:serviceaccount/account:Account")}
    # one per workload, plus the identity Cloud Scheduler starts the ingest job with
    assert accounts == {"api-prod", "ingest-prod", p.resource("ingest-scheduler-account").inputs["account_id"]}


def test_uptime_check_and_error_rate_alert_go_to_the_email_channel():
    channel = inputs("gcp-prod", "gcp-alert-email")
    assert channel["type"] == "email" and channel["labels"] == {"email_address": "oncall@shop.example.com"}
    uptime = inputs("gcp-prod", "api-uptime")
    assert uptime["monitored_resource"]["labels"]["host"] == "analytics.shop.example.com"
    assert uptime["http_check"]["path"] == "/health" and uptime["http_check"]["use_ssl"] is True
    errors = inputs("gcp-prod", "api-alert-errors")
    cond = errors["conditions"][0]["condition_threshold"]
    assert 'response_code_class="5xx"' in cond["filter"] and "5xx" not in cond["denominator_filter"]
    assert cond["threshold_value"] == 0.05
    assert errors["notification_channels"] == [Ref("gcp-alert-email", "name")]
    assert inputs("gcp-prod", "api-alert-uptime")["notification_channels"] == [Ref("gcp-alert-email", "name")]
    assert inputs("gcp-dev", "api-alert-errors")["notification_channels"] == []  # dev sets no alert_email
    dev_host = to_json(inputs("gcp-dev", "api-uptime")["monitored_resource"]["labels"]["host"])
    assert dev_host == {"$concat": ["shop-api-dev-", {"$ref": "gcp-project.number"}, ".europe-west1.run.app"]}


def test_logs_kept_for_the_environments_retention():
    assert inputs("gcp-prod", "gcp-log-bucket")["retention_days"] == 365
    assert inputs("gcp-dev", "gcp-log-bucket")["retention_days"] == 14
    assert "shop-api-prod" in inputs("gcp-prod", "gcp-log-sink")["filter"]


def test_jobs_are_cloud_run_jobs_and_seed_only_in_dev():
    job = inputs("gcp-dev", "seed-job")
    assert job["template"]["template"]["containers"][0]["args"][:2] == ["python", "-m"]
    assert "seed-job" not in {r.name for r in plan("gcp-prod").resources}
    assert inputs("gcp-prod", "ingest-job")["template"]["template"]["service_account"] == Ref("ingest-account", "email")


def test_scheduled_job_runs_from_cloud_scheduler_with_its_own_identity():
    from stacks.plan import build_plan

    proj = variant(
        (
            "    command: [python, -m, app.ingest, --source, /data/incoming]\n",
            '    command: [python, -m, app.ingest, --source, /data/incoming]\n    schedule: "0 3 * * *"\n',
        )
    )
    p = build_plan(proj, "gcp-prod")
    sched = p.resource("ingest-schedule").inputs
    assert sched["schedule"] == "0 3 * * *"
    assert sched["http_target"]["oauth_token"]["service_account_email"] == Ref("ingest-scheduler-account", "email")
    grant = p.resource("ingest-scheduler-runs-job").inputs
    assert grant["role"] == "roles/run.invoker" and grant["name"] == Ref("ingest-job", "name")


def test_outputs_url_bucket_dataset_repository():
    outputs = {o.name: o.value for o in plan("gcp-prod").outputs}
    assert outputs["url"] == "https://analytics.shop.example.com"
    assert outputs["lake_bucket"] == Ref("lake-bucket", "name")
    assert outputs["dataset"] == Ref("warehouse-dataset", "dataset_id")
    assert outputs["repository"] == "europe-west1-docker.pkg.dev/shop-analytics-prod/shop-prod"


def test_plans_are_deterministic():
    from stacks.plan import build_plan

    for name in GCP_STACKS:
        again = build_plan(project(), name)
        assert json.dumps(again.to_json(), sort_keys=True) == json.dumps(plan(name).to_json(), sort_keys=True)


def test_unsupported_kind_is_a_clear_error(monkeypatch):
    """A kind the gcp registry has no builder for is refused by validation, located at the component."""
    from stacks.plan import gcp as gcpplan

    monkeypatch.delitem(gcpplan.KINDS, "database")  # validation reads the registry: no rule, no deploy
    with pytest.raises(StacksError) as info:
        variant(("  lake:\n    kind: bucket\n", "  db:\n    kind: database\n  lake:\n    kind: bucket\n"))
    found = [
        d for d in info.value.diagnostics if "'db' is a database, which stack 'gcp' cannot deploy on gcp" in d.message
    ]
    assert found and found[0].path == "components.db.kind" and found[0].line
    assert "compose" in found[0].hint


def test_adding_a_kind_is_one_registry_entry(monkeypatch):
    from dataclasses import replace

    from stacks.plan import build_plan
    from stacks.plan import gcp as gcpplan
    from stacks.rules import KindRule, Look

    def build_database(p, comp):
        p.add(
            "gcp:sql/databaseInstance:DatabaseInstance",
            f"{comp.id}-instance",
            {"project": p.gcp_project, "region": p.region, "database_version": "POSTGRES_16"},
            comp.id,
        )

    rule = KindRule(
        "database", "Cloud SQL", Look("diagrams.gcp.database.SQL", "Cloud SQL"), build_database, {}, phase=0
    )
    monkeypatch.setitem(gcpplan.KINDS, "database", rule)
    from stacks.plan import aws as awsplan

    if "database" not in awsplan.KINDS:  # the bundled aws stack deploys the new component too
        monkeypatch.setitem(awsplan.KINDS, "database", replace(rule, build=lambda p, comp: None))
    proj = variant(("  lake:\n    kind: bucket\n", "  db:\n    kind: database\n  lake:\n    kind: bucket\n"))
    p = build_plan(proj, "gcp-prod")
    assert p.resource("db-instance").component == "db"
    assert "sqladmin.googleapis.com" in {r.inputs.get("service") for r in p.resources}  # its API, enabled first


def test_only_the_ingest_job_may_edit_the_dataset_and_only_that_dataset():
    """The ingest job registers the tables it publishes (dataEditor); the API and everyone else only read."""
    for name in ("gcp-dev", "gcp-prod"):
        p = plan(name)
        grants = {r.name: r.inputs for r in p.by_type("gcp:bigquery/datasetIamMember:DatasetIamMember")}
        editors = {n: g for n, g in grants.items() if g["role"] == "roles/bigquery.dataEditor"}
        assert set(editors) == {"ingest-edits-warehouse"}, name
        edit = editors["ingest-edits-warehouse"]
        assert edit["dataset_id"] == Ref("warehouse-dataset", "dataset_id")
        assert "ingest-account.email" in json.dumps(to_json(edit["member"]))
        assert grants["api-reads-warehouse"]["role"] == "roles/bigquery.dataViewer"
        project_roles = {r.inputs["role"] for r in p.by_type("gcp:projects/iAMMember:IAMMember")}
        assert "roles/bigquery.dataEditor" not in project_roles  # dataset-level, never the project
    seed = {
        r.inputs["role"]
        for r in plan("gcp-dev").of_component("seed")
        if r.type == "gcp:bigquery/datasetIamMember:DatasetIamMember"
    }
    assert seed <= {"roles/bigquery.dataViewer"}


def test_ingest_job_picks_up_incoming_files_every_15_minutes_keyless():
    """Files dropped under the lake's incoming/ are ingested: Cloud Scheduler runs the job with an OAuth
    token of its own account, which may invoke that job only; the job reads gs://<lake>/incoming/."""
    for name in GCP_STACKS:
        p = plan(name)
        args = p.resource("ingest-job").inputs["template"]["template"]["containers"][0]["args"]
        assert args[:4] == ["python", "-m", "app.ingest", "--source"]
        assert to_json(args[4]) == {"$concat": ["gs://", {"$ref": "lake-bucket.name"}, "/incoming/"]}
        assert args[5:] == ["--mode", "append"]
        sched = p.resource("ingest-schedule").inputs
        assert sched["schedule"] == "*/15 * * * *"
        assert to_json(sched["http_target"]["uri"])["$concat"][-1] == ":run"
        assert sched["http_target"]["oauth_token"]["service_account_email"] == Ref("ingest-scheduler-account", "email")
        grants = [
            r
            for r in p.resources
            if "ingest-scheduler-account" in json.dumps(to_json(r.inputs)) and r.inputs.get("role")
        ]
        assert [(g.type, g.inputs["role"], g.inputs["name"]) for g in grants] == [
            ("gcp:cloudrunv2/jobIamMember:JobIamMember", "roles/run.invoker", Ref("ingest-job", "name"))
        ]
        env = {
            e["name"]: e.get("value")
            for e in p.resource("ingest-job").inputs["template"]["template"]["containers"][0]["envs"]
        }
        assert "STACKS_APP_S3_ACCESS_KEY_ID" not in env and "STACKS_APP_LAKE_URI" in env  # no HMAC key
    # A job that does not ingest from the lake keeps its own command and runs on demand.
    seed = plan("gcp-dev").resource("seed-job").inputs["template"]["template"]["containers"][0]["args"]
    assert "--source" not in seed and "seed-schedule" not in {r.name for r in plan("gcp-dev").resources}
