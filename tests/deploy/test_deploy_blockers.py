"""What a first real deploy needs and the offline checks missed: one test per blocker of "deployable for real".

Each runs over the bundled stacks and the every-kind model (``every_kind.py``), so a
kind or target added later is held to the same rules.
"""

from __future__ import annotations

import json
import re

import pytest

from stacks.errors import StacksError
from stacks.plan import build_plan, cloud_deployables
from stacks.plan.core import Json, Plan, Ref, walk
from stacks.project import project_from_text

from .conftest import ROOT, variant


@pytest.fixture(scope="module")
def all_plans(bundled, every_kind_project) -> dict[str, Plan]:
    out = {}
    for label, project in (("bundled", bundled), ("every-kind", every_kind_project)):
        for name in cloud_deployables(project):
            out[f"{label}:{name}"] = build_plan(project, name)
    return out


def _model(plan_key: str, bundled, every_kind_project):
    return (bundled if plan_key.startswith("bundled:") else every_kind_project).model


def _containers(plan: Plan) -> list[tuple[str, dict]]:
    found = []
    for res in plan.by_type("aws:ecs/taskDefinition:TaskDefinition"):
        defs = res.inputs["container_definitions"]
        assert isinstance(defs, Json)
        found.extend((res.component, c) for c in defs.value)
    return found


# ---------------------------------------------------------------- probes


def test_load_balancer_and_startup_probes_use_the_liveness_path_not_readiness(all_plans, bundled, every_kind_project):
    """/ready answers 503 until a dataset exists: probing it would replace every task of a fresh deploy."""
    checked = 0
    for key, plan in all_plans.items():
        model = _model(key, bundled, every_kind_project)
        for tg in plan.by_type("aws:lb/targetGroup:TargetGroup"):
            assert tg.inputs["health_check"]["path"] == model.components[tg.component].health, (key, tg.name)
            checked += 1
        for svc in plan.by_type("gcp:cloudrunv2/service:Service"):
            comp = model.components[svc.component]
            for container in svc.inputs["template"]["containers"]:
                if "http_get" in container.get("startup_probe", {}):
                    assert container["startup_probe"]["http_get"]["path"] == comp.health, (key, svc.name)
                    assert getattr(comp, "ready", None) != comp.health  # the fixture keeps the two apart
                    checked += 1
    assert checked >= 6


# ---------------------------------------------------------------- writable paths


def test_every_path_a_fargate_task_writes_is_a_volume_of_its_image_declared_after_the_chown(all_plans, bundled):
    """Fargate bind mounts are root-owned unless the image declares the volume: the app user (10001) could not write."""
    from deploy.compose import local
    from deploy.compose.render import dockerfile_text

    [build] = local.image_builds(bundled)
    text = dockerfile_text(bundled, build)
    volume_lines = [line for line in text.splitlines() if line.startswith("VOLUME ")]
    assert len(volume_lines) == 1
    declared = set(json.loads(volume_lines[0].removeprefix("VOLUME ")))
    assert text.index("chown app:app") < text.index("VOLUME ") < text.index("USER ")
    assert (ROOT / "Dockerfile").read_text() == text  # the committed Dockerfile is this one
    mounted = set()
    for key, plan in all_plans.items():
        if key.startswith("bundled:"):
            for _cid, container in _containers(plan):
                assert container["readonlyRootFilesystem"] is True and container["user"] == "10001:10001"
                mounted |= {m["containerPath"] for m in container["mountPoints"]}
    assert mounted == {"/tmp", "/data"} and mounted <= declared


# ---------------------------------------------------------------- image build context


def test_the_image_build_context_resolves_to_the_directory_holding_the_dockerfile(all_plans):
    """The Pulumi program runs in deploy/: a context of "." there has no Dockerfile, and even a preview fails."""
    images = [(k, r) for k, p in all_plans.items() for r in p.by_type("docker-build:index:Image")]
    assert {k.split(":")[1].split("-")[0] for k, _ in images} == {"aws", "gcp", "hybrid"}
    for key, image in images:
        context = (ROOT / "deploy" / image.inputs["context"]["location"]).resolve()
        dockerfile = (ROOT / "deploy" / image.inputs["dockerfile"]["location"]).resolve()
        assert context == ROOT and dockerfile == ROOT / "Dockerfile" and dockerfile.is_file(), key


# ---------------------------------------------------------------- IAM


def _statements(plan: Plan, role_policy: str) -> list[dict]:
    doc = plan.resource(role_policy).inputs["policy"]
    assert isinstance(doc, Json)
    return doc.value["Statement"]


def _actions(statements: list[dict]) -> set[str]:
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def _lake_object_actions(statements: list[dict], lake: str) -> set[str]:
    out = set()
    for s in statements:
        if any(Ref(lake, "arn") in list(walk(r)) for r in s["Resource"]) and any("/*" in str(r) for r in s["Resource"]):
            out |= set(s["Action"])
    return out


@pytest.mark.parametrize("stack", ["aws-prod", "hybrid-prod"])
def test_the_ingest_job_may_prune_versions_and_the_public_api_only_reads(plans, bundled, stack):
    plan = plans.get(stack) or build_plan(bundled, stack)
    ingest = _statements(plan, "ingest-task-policy")
    api = _statements(plan, "api-task-policy")
    assert _lake_object_actions(ingest, "lake-bucket") >= {"s3:PutObject", "s3:DeleteObject"}
    assert _lake_object_actions(api, "lake-bucket") == {"s3:GetObject"}
    if stack == "aws-prod":
        # app/catalog.py drops the Glue tables of pruned versions: without DeleteTable every run after the third fails.
        assert "glue:DeleteTable" in _actions(ingest)
        assert not {"glue:CreateTable", "glue:DeleteTable", "glue:UpdateTable", "glue:BatchCreatePartition"} & _actions(
            api
        )
        assert {"glue:GetTable", "athena:StartQueryExecution"} <= _actions(api)


def test_the_key_that_encrypts_a_protected_lake_is_protected_too(plans):
    for name, plan in plans.items():
        protected = {r.name for r in plan.resources if r.protect}
        if "lake-bucket" in protected:
            assert "key" in protected, name
    assert "key" in {r.name for r in plans["aws-prod"].resources if r.protect}


# ---------------------------------------------------------------- provider configuration


def test_every_aws_provider_configuration_has_default_tags_in_the_providers_shape(all_plans):
    """The CDN's us-east-1 provider got flat tags: pulumi_aws.Provider expects default_tags={"tags": {...}}."""
    import pulumi_aws

    configs = [c for p in all_plans.values() for name, c in p.providers.items() if name == "aws"]
    configs += [c for p in all_plans.values() for name, c in p.aliases.values() if name == "aws"]
    assert any(c.get("region") == "us-east-1" for c in configs)  # the every-kind model has a CDN
    for config in configs:
        assert set(config["default_tags"]) == {"tags"}
        pulumi_aws.ProviderDefaultTagsArgs(**config["default_tags"])


# ---------------------------------------------------------------- HTTPS in production, WAF


def test_a_prod_stack_with_a_public_endpoint_and_no_domain_is_refused_with_the_fix(cli):
    hybrid_domain = (
        "        domain: analytics.shop.example.com\n        dns_zone: shop.example.com\n        alert_email"
    )
    text = (ROOT / "stacks.yaml").read_text()
    head, _, hybrid = text.partition("\n  hybrid:\n")
    assert hybrid.count(hybrid_domain) == 1
    with pytest.raises(StacksError) as info:
        project_from_text(head + "\n  hybrid:\n" + hybrid.replace(hybrid_domain, "        alert_email"), root=ROOT)
    [diag] = [d for d in info.value.diagnostics if "HTTPS" in d.message]
    assert diag.path == "stacks.hybrid.environments.prod" and diag.line is not None
    assert "'api' is public in hybrid-prod" in diag.message and "domain" in diag.hint and "dns_zone" in diag.hint


def test_stacks_plan_refuses_hybrid_prod_without_https_and_warns_for_dev(cli, tmp_path):
    text = (ROOT / "stacks.yaml").read_text()
    bad = tmp_path / "stacks.yaml"
    bad.write_text(
        text.replace("        domain: analytics.shop.example.com\n        dns_zone: shop.example.com\n", "", 3)
    )
    refused = cli("plan", "hybrid-prod", "-f", bad)
    assert refused.exit_code == 1 and "production serves HTTPS only" in refused.output
    assert "Traceback" not in refused.output
    warned = cli("plan", "aws-dev", "--json", "-f", ROOT / "stacks.yaml")
    assert warned.exit_code == 0
    from stacks.project import load_project

    # aws-dev also warns that seed's before: holds in compose only: pick the plain-HTTP warning.
    [warning] = [w for w in load_project(ROOT / "stacks.yaml").warnings_for("aws-dev") if "plain HTTP" in w.message]
    assert "allowed outside production" in warning.message


def test_public_load_balancers_in_prod_sit_behind_waf_managed_rules_and_a_rate_limit(all_plans):
    for key, plan in all_plans.items():
        albs = [r for r in plan.by_type("aws:lb/loadBalancer:LoadBalancer") if not r.inputs["internal"]]
        acls = plan.by_type("aws:wafv2/webAcl:WebAcl")
        prod = key.endswith("-prod")
        assert len(acls) == (len(albs) if prod else 0), key
        for acl in acls:
            rules = acl.inputs["rules"]
            managed = {r["statement"]["managed_rule_group_statement"]["name"] for r in rules if "override_action" in r}
            assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"} <= managed
            [rate] = [r["statement"]["rate_based_statement"] for r in rules if "rate_based_statement" in r["statement"]]
            assert rate["aggregate_key_type"] == "IP" and rate["limit"] > 0
            assert acl.inputs["scope"] == "REGIONAL"
        associated = {r.inputs["resource_arn"] for r in plan.by_type("aws:wafv2/webAclAssociation:WebAclAssociation")}
        if prod:
            assert associated == {Ref(a.name, "arn") for a in albs}, key
        for res in plan.resources:
            for reason in res.waivers.values():
                assert "account-level choice" not in reason, (key, res.name)


# ---------------------------------------------------------------- egress


def test_nat_none_is_refused_when_a_task_must_reach_another_cloud():
    with pytest.raises(StacksError) as info:
        variant(
            (
                "      prod:\n        nat: per_az\n        deletion_protection: true\n        log_retention_days: 365\n"
                "        domain: analytics.shop.example.com\n        dns_zone: shop.example.com\n        alert_email",
                "      prod:\n        nat: none\n        deletion_protection: true\n        log_retention_days: 365\n"
                "        domain: analytics.shop.example.com\n        dns_zone: shop.example.com\n        alert_email",
            )
        )
    found = [d for d in info.value.diagnostics if "nat: none" in d.message]
    assert found and all(d.path == "stacks.hybrid.environments.prod.nat" for d in found)
    assert "'ingest' reaches 'warehouse' on gcp" in " ".join(d.message for d in found)
    assert "nat: single" in found[0].hint


# ---------------------------------------------------------------- image tag


def test_the_image_tag_hashes_only_what_dockerignore_lets_into_the_build(tmp_path):
    from deploy.build_context import context_files, context_hash

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("print('hi')\n")
    (tmp_path / "app" / "__pycache__").mkdir()
    (tmp_path / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# docs\n")
    (tmp_path / ".env").write_text("SECRET=1\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / ".dockerignore").write_text((ROOT / ".dockerignore").read_text())
    assert context_files(tmp_path) == ["app/main.py"]
    before = context_hash(tmp_path, tmp_path / "Dockerfile")
    (tmp_path / "docs" / "index.md").write_text("# regenerated docs\n")
    (tmp_path / "app" / "__pycache__" / "main.cpython-311.pyc").write_bytes(b"\1")
    assert context_hash(tmp_path, tmp_path / "Dockerfile") == before  # regenerating docs does not redeploy
    (tmp_path / "app" / "main.py").write_text("print('changed')\n")
    changed = context_hash(tmp_path, tmp_path / "Dockerfile")
    assert changed != before
    (tmp_path / "Dockerfile").write_text("FROM scratch\nUSER 1\n")
    assert context_hash(tmp_path, tmp_path / "Dockerfile") != changed


def test_the_bundled_build_context_is_the_app_only():
    from deploy.build_context import context_files

    files = context_files(ROOT)
    assert files and all(re.match(r"app/[^/]+$|app/.+\.(py|sql|txt|json)$", f) for f in files), files
    assert "app/main.py" in files and not any(f.endswith((".pyc", ".duckdb")) for f in files)


def test_dockerignore_rules_follow_docker(tmp_path):
    from deploy.build_context import excluded, read_patterns

    patterns = read_patterns("# comment\n*.md\n!README.md\n**/secret*\nbuild/\n/tmp?\n")
    assert excluded("notes.md", patterns) and not excluded("README.md", patterns)
    assert not excluded("docs/notes.md", patterns)  # * never crosses /
    assert excluded("a/b/secret.txt", patterns) and excluded("secret.txt", patterns)
    assert excluded("build/x/y.py", patterns)  # a parent directory matches
    assert excluded("tmp1", patterns) and not excluded("tmp12", patterns)


# ---------------------------------------------------------------- day 2: replacements

# Inputs that hold a resource's own physical name (a prefix is not one: the provider appends a unique suffix).
PHYSICAL_NAMES = (
    "name",
    "bucket",
    "identifier",
    "replication_group_id",
    "cluster_id",
    "repository_id",
    "account_id",
    "dataset_id",
    "connection_id",
    "bucket_id",
    "secret_id",
)


def _replacements(before: Plan, after: Plan) -> list[tuple[str, bool]]:
    """(resource, clashes) for every resource a change replaces (``stacks.plan.replacement``'s table): a clash is
    a new resource under the same fixed name, created while the old one still exists."""
    from stacks.plan.core import to_json
    from stacks.plan.replacement import FORCES_REPLACEMENT

    old = {r.name: r for r in before.resources}
    found = []
    for res in after.resources:
        if res.name not in old or res.type not in FORCES_REPLACEMENT:
            continue
        forcing = FORCES_REPLACEMENT[res.type] - set(PHYSICAL_NAMES) - {"name_prefix"}
        was, now = to_json(old[res.name].inputs), to_json(res.inputs)
        if all(was.get(k) == now.get(k) for k in forcing):
            continue
        names = [k for k in PHYSICAL_NAMES if isinstance(now.get(k), str) and now.get(k) == was.get(k)]
        found.append((res.name, bool(names) and not res.delete_before_replace))
    return found


@pytest.mark.parametrize(
    "stack, edit",
    [
        ("aws-prod", lambda d: d["components"]["service"].update(port=8080)),
        ("aws-prod", lambda d: d["components"]["database"].update(engine="mysql", version="8.0")),
        ("gcp-prod", lambda d: d["stacks"]["gcp"].update(region="europe-west4")),
        ("hybrid-prod", lambda d: d["stacks"]["hybrid"]["gcp"].update(region="europe-west4")),
    ],
    ids=["port", "database-engine", "gcp-region", "hybrid-gcp-region"],
)
def test_a_replacement_forcing_change_plans_without_a_name_clash(stack, edit):
    import yaml

    from tests.deploy.every_kind import every_kind_document

    doc = every_kind_document()
    before = build_plan(project_from_text(yaml.safe_dump(doc), root=ROOT), stack)
    edit(doc)
    after = build_plan(project_from_text(yaml.safe_dump(doc), root=ROOT), stack)
    replaced = _replacements(before, after)
    assert replaced, "the edit replaces nothing: the test would prove nothing"
    assert [name for name, clash in replaced if clash] == []


def test_fixed_names_are_deleted_before_their_replacement_in_both_engines(every_kind_project):
    """Terraform deletes first by default; Pulumi creates first unless told: the plan tells it, the program obeys."""
    from deploy.terraform import render_plan

    plan = build_plan(every_kind_project, "gcp-prod")
    bucket = next(r for r in plan.by_type("gcp:storage/bucket:Bucket") if r.component == "bucket")
    assert bucket.delete_before_replace and not bucket.create_before_destroy
    doc = render_plan(plan)
    lifecycle = doc["resource"]["google_storage_bucket"][bucket.name].get("lifecycle", {})
    assert "create_before_destroy" not in lifecycle
    aws = build_plan(every_kind_project, "aws-prod")
    tg = aws.by_type("aws:lb/targetGroup:TargetGroup")[0]
    assert "name" not in tg.inputs and tg.inputs["name_prefix"].endswith("-") and tg.create_before_destroy
