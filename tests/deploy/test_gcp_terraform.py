"""Terraform JSON of the gcp and hybrid plans: same resources, google provider, committed, checkov-clean."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from .gcp_support import ALL_STACKS, ROOT, plan, project

CHECKED = ("gcp-dev", "gcp-prod", "hybrid-dev", "hybrid-prod")
_checkov: dict = {}


def render(stack: str) -> dict:
    from deploy.terraform import render_plan

    return render_plan(plan(stack))


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_same_resources_as_the_plan(stack):
    from deploy.terraform import tf_type

    doc = render(stack)
    in_tf = {(kind, name) for kind, block in doc["resource"].items() for name in block}
    expected = {(tf_type(r.type), r.name) for r in plan(stack).for_engine("terraform")}
    assert in_tf == expected
    images = [r for r in plan(stack).resources if "terraform" not in r.engines]
    assert {r.replaces_var for r in images} <= set(doc.get("variable", {}))


def test_google_provider_and_labels():
    doc = render("gcp-prod")
    assert doc["terraform"]["required_providers"] == {"google": {"source": "hashicorp/google", "version": "~> 8.0"}}
    assert doc["provider"]["google"]["project"] == "shop-analytics-prod"
    assert doc["provider"]["google"]["default_labels"]["stack"] == "gcp-prod"
    hybrid = render("hybrid-prod")
    assert set(hybrid["terraform"]["required_providers"]) == {"aws", "google"}
    assert set(hybrid["provider"]) == {"aws", "google"}


def test_nested_blocks_and_attribute_paths_use_terraform_names():
    doc = render("gcp-prod")
    svc = doc["resource"]["google_cloud_run_v2_service"]["api-service"]
    assert "traffic" in svc and "traffics" not in svc
    container = svc["template"]["containers"][0]
    assert "env" in container and "envs" not in container
    assert container["image"] == "${var.api_image}"
    assert "lifecycle_rule" in doc["resource"]["google_storage_bucket"]["lake-bucket"]
    assert "cleanup_policies" in doc["resource"]["google_artifact_registry_repository"]["gcp-repository"]  # its name
    assert "rule" in doc["resource"]["google_compute_security_policy"]["api-armor"]
    assert "backend" in doc["resource"]["google_compute_backend_service"]["api-backend"]
    reads = doc["resource"]["google_storage_bucket_iam_member"]["warehouse-connection-reads-lake"]
    assert reads["member"] == (
        "serviceAccount:${tolist(google_bigquery_connection.warehouse-connection.cloud_resource)[0].service_account_id}"
    )  # a list block in Terraform
    hybrid = render("hybrid-prod")
    role = hybrid["resource"]["aws_iam_role"]["lake-transfer-role"]
    assert (
        "${data.google_storage_transfer_project_service_account.gcp-transfer-agent.subject_id}"
        in role["assume_role_policy"]
    )
    job = hybrid["resource"]["google_storage_transfer_job"]["lake-transfer"]
    assert job["transfer_spec"]["aws_s3_data_source"]["role_arn"] == "${aws_iam_role.lake-transfer-role.arn}"


def test_deterministic_and_committed():
    from deploy.terraform import tf_json_text, tf_path
    from stacks.plan import build_plan

    for stack in ALL_STACKS:
        text = tf_json_text(plan(stack))
        assert tf_json_text(build_plan(project(), stack)) == text
        assert (ROOT / tf_path(stack)).read_text() == text, f"{tf_path(stack)} is stale: run `stacks build`"


def _run(stack: str, tmp):
    from deploy.checkov import run_checkov
    from deploy.terraform import tf_json_text

    path = tmp / stack / "main.tf.json"
    path.parent.mkdir(parents=True)
    path.write_text(tf_json_text(plan(stack)))
    return run_checkov(path, ROOT)


@pytest.fixture(scope="module")
def checkov_results(tmp_path_factory):
    if not _checkov:
        tmp = tmp_path_factory.mktemp("checkov-gcp")
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {s: pool.submit(_run, s, tmp) for s in CHECKED}
        _checkov.update({s: f.result() for s, f in futures.items()})
    return _checkov


@pytest.mark.slow
@pytest.mark.parametrize("stack", CHECKED)
def test_checkov_has_no_unwaived_failure(checkov_results, stack):
    result = checkov_results[stack]
    assert not result.parsing_errors, result.parsing_errors
    assert result.failed == [], "\n".join(f"{f['check']} {f['resource']}: {f['name']}" for f in result.failed)
    assert result.passed >= (25 if stack.startswith("gcp") else 150)
    checked = {w["resource"].split(".")[0] for w in result.waived}
    if stack.startswith("gcp"):
        assert "google_bigquery_dataset" in checked  # checkov did read the google resources


@pytest.mark.slow
@pytest.mark.parametrize("stack", CHECKED)
def test_every_waiver_is_needed_and_explained(checkov_results, stack):
    from deploy.checkov import waivers_in

    doc = json.loads(json.dumps(render(stack)))
    declared = {(addr, check) for addr, checks in waivers_in(doc).items() for check in checks}
    used = {(w["resource"], w["check"]) for w in checkov_results[stack].waived}
    assert declared == used, f"unused waivers: {declared - used}"
    for reasons in waivers_in(doc).values():
        for reason in reasons.values():
            assert len(reason) > 30
