"""`stacks plan`, `stacks terraform` and `stacks up` for the gcp and hybrid stacks, through the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.conftest import stacks_bin

from .gcp_support import ROOT, plan


def test_plan_json_of_gcp_prod_is_the_recorded_program(cli):
    result = cli("plan", "gcp-prod", "--json", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stack"] == "gcp-prod"
    assert [(r["type"], r["name"], r["component"]) for r in data["resources"]] == [
        (r.type, r.name, r.component) for r in plan("gcp-prod").resources
    ]
    service = next(r for r in data["resources"] if r["name"] == "api-service")
    assert service["inputs"]["template"]["scaling"] == {"maxInstanceCount": 10, "minInstanceCount": 1}
    assert data["outputs"]["url"] == "https://analytics.shop.example.com"


def test_plan_tree_of_hybrid_prod_shows_both_clouds(cli):
    result = cli("plan", "hybrid-prod", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("hybrid-prod (hybrid, eu-west-1, shop-analytics-prod europe-west1)")
    for group in ("baseline", "api (service)", "ingest (job)", "lake (bucket)", "warehouse (warehouse)"):
        assert group in out
    assert "gcp:storage/transferJob:TransferJob" in out and "aws:ecs/service:Service" in out
    assert out.strip().splitlines()[-1].startswith(f"hybrid-prod: {len(plan('hybrid-prod').resources)} resources")


def test_terraform_writes_the_gcp_stack_json(tmp_path):
    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    proc = subprocess.run(
        [stacks_bin(), "terraform", "hybrid-dev", "--json", "-f", str(tmp_path / "stacks.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "deploy/terraform/hybrid-dev/main.tf.json"
    assert written.read_text() == (ROOT / "deploy/terraform/hybrid-dev/main.tf.json").read_text()


def test_up_without_pulumi_names_the_equivalent_command(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}
    proc = subprocess.run(
        [stacks_bin(), "up", "gcp-prod", "-f", str(ROOT / "stacks.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "cd deploy && pulumi up --stack gcp-prod" in proc.stderr and "Traceback" not in proc.stderr


def test_pulumi_stack_config_is_generated_for_each_gcp_and_hybrid_stack():
    import yaml

    gcp = yaml.safe_load((ROOT / "deploy/Pulumi.gcp-prod.yaml").read_text())["config"]
    assert gcp["gcp:project"] == "shop-analytics-prod" and gcp["gcp:region"] == "europe-west1"
    assert gcp["gcp:defaultLabels"]["stack"] == "gcp-prod"
    hybrid = yaml.safe_load((ROOT / "deploy/Pulumi.hybrid-prod.yaml").read_text())["config"]
    assert hybrid["aws:region"] == "eu-west-1" and hybrid["gcp:project"] == "shop-analytics-prod"
