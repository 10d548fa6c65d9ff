"""The cloud commands end to end through the CLI: plan (tree and JSON), up/preview without pulumi, terraform."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

from tests.conftest import stacks_bin

from .conftest import ROOT


def test_plan_json_is_the_recorded_program(cli, plans):
    result = cli("plan", "aws-prod", "--json", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stack"] == "aws-prod"
    assert [(r["type"], r["name"], r["component"]) for r in data["resources"]] == [
        (r.type, r.name, r.component) for r in plans["aws-prod"].resources
    ]
    vpc = next(r for r in data["resources"] if r["name"] == "vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.0.0.0/16"
    assert data["outputs"]["url"] == "https://analytics.shop.example.com"


def test_plan_tree_groups_by_component(cli):
    result = cli("plan", "aws-dev", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0, result.output
    out = result.output
    for group in (
        "baseline",
        "api (service)",
        "dashboard (frontend)",
        "ingest (job)",
        "seed (job)",
        "lake (bucket)",
        "warehouse (warehouse)",
    ):
        assert group in out
    assert "aws:ecs/service:Service" in out and "outputs" in out
    assert out.strip().splitlines()[-1].startswith("aws-dev: 117 resources in 7 groups")


def test_plan_of_a_bad_stack_exits_1_without_traceback(cli):
    result = cli("plan", "aws-pord", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 1
    assert "unknown stack 'aws-pord'" in result.output and "Traceback" not in result.output


def test_up_and_preview_without_pulumi_say_how_to_install(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path)}  # no pulumi (nor anything else) on PATH
    for action in ("up", "preview"):
        proc = subprocess.run(
            [stacks_bin(), action, "aws-prod", "-f", str(ROOT / "stacks.yaml")],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 1, proc.stderr
        assert f"`stacks {action}` needs the pulumi CLI" in proc.stderr
        assert "get.pulumi.com" in proc.stderr
        assert f"cd deploy && pulumi {action} --stack aws-prod" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_terraform_writes_the_stack_json(tmp_path):
    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    proc = subprocess.run(
        [stacks_bin(), "terraform", "aws-staging", "--json", "-f", str(tmp_path / "stacks.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    written = tmp_path / "deploy/terraform/aws-staging/main.tf.json"
    assert json.loads(proc.stdout)["file"] == str(written)
    assert written.read_text() == (ROOT / "deploy/terraform/aws-staging/main.tf.json").read_text()


def test_terraform_apply_without_binary_exits_1(tmp_path):
    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    env = {**os.environ, "PATH": str(tmp_path)}
    proc = subprocess.run(
        [stacks_bin(), "terraform", "aws-dev", "--apply", "-f", str(tmp_path / "stacks.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "terraform binary is not installed" in proc.stderr and "Traceback" not in proc.stderr
