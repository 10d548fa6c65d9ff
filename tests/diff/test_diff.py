"""`stacks diff` between two commits of a small repository: each kind of change, the risks, the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.diff.conftest import git


def model_change(out: dict, section: str, key: str) -> dict:
    found = [m for m in out["model"] if m["section"] == section and m["key"] == key]
    assert len(found) == 1, f"expected one {section} change '{key}', got {out['model']}"
    return found[0]


def resources(out: dict, deployable: str, change: str) -> dict[str, dict]:
    return {r["name"]: r for r in out["plans"][deployable] if r["change"] == change}


def risks(out: dict, rule: str) -> list[dict]:
    return [r for r in out["risks"] if r["rule"] == rule]


def test_no_change_exits_0(repo, run_diff):
    code, out = run_diff("main", "HEAD")
    assert code == 0
    assert out["changed"] is False and out["model"] == [] and out["risks"] == []
    assert out["plans"] == {"aws-dev": [], "aws-prod": []}


def test_component_added(repo, commit, run_diff):
    commit("  db:\n", "  jobs:\n    kind: queue\n  db:\n")
    code, out = run_diff()
    assert code == 3
    added = model_change(out, "components", "jobs")
    assert added["change"] == "added" and added["kind"] == "queue"
    assert added["location"] == "HEAD:stacks.yaml:14"
    for deployable in ("aws-dev", "aws-prod"):
        new = resources(out, deployable, "added")
        assert {"jobs-queue", "jobs-dlq"} <= set(new)
        assert new["jobs-queue"]["type"] == "aws:sqs/queue:Queue" and new["jobs-queue"]["component"] == "jobs"


def test_component_removed(repo, commit, run_diff):
    commit(
        "  files:\n    kind: bucket\n    purpose: assets\n",
        "",
        "  - {from: web, to: files, label: uploads, protocol: s3}\n",
        "",
    )
    code, out = run_diff()
    assert code == 3
    removed = model_change(out, "components", "files")
    assert removed["change"] == "removed"
    assert removed["location"] == "main:stacks.yaml:11"  # where BASE had it
    assert model_change(out, "connections", "web -> files")["change"] == "removed"
    gone = resources(out, "aws-prod", "removed")
    assert "files-bucket" in gone and gone["files-bucket"]["type"] == "aws:s3/bucket:Bucket"


def test_component_changed_field_by_field_with_head_lines(repo, commit, run_diff):
    commit("    env: {LOG_LEVEL: info}\n", "    env: {LOG_LEVEL: debug}\n    resources: {cpu: 1, memory: 2048}\n")
    code, out = run_diff()
    assert code == 3
    change = model_change(out, "components", "web")
    assert change["change"] == "changed" and change["location"] == "HEAD:stacks.yaml:6"
    fields = {f["path"]: f for f in change["fields"]}
    assert fields["env.LOG_LEVEL"] == {"path": "env.LOG_LEVEL", "line": 10, "old": "info", "new": "debug"}
    assert fields["resources.cpu"]["old"] == 0.5 and fields["resources.cpu"]["new"] == 1.0
    assert fields["resources.cpu"]["line"] == 11
    task = {r["name"]: r for r in out["plans"]["aws-dev"]}["web-task"]
    assert task["change"] == "replaced" and {"cpu", "memory"} <= set(task["replaced_by"])
    paths = {f["path"]: f for f in task["fields"]}
    assert paths["cpu"] == {"path": "cpu", "old": "512", "new": "1024"}


def test_rename_is_remove_plus_add(repo, commit, run_diff):
    commit("  files:\n", "  assets:\n", "to: files,", "to: assets,")
    code, out = run_diff()
    assert code == 3
    assert model_change(out, "components", "files")["change"] == "removed"
    assert model_change(out, "components", "assets")["change"] == "added"
    assert model_change(out, "connections", "web -> files")["change"] == "removed"
    assert model_change(out, "connections", "web -> assets")["change"] == "added"
    assert "files-bucket" in resources(out, "aws-dev", "removed")
    assert "assets-bucket" in resources(out, "aws-dev", "added")


def test_connection_changed(repo, commit, run_diff):
    commit("label: queries, protocol: sql}", "label: reads and writes, protocol: sql, port: 5432}")
    _, out = run_diff()
    change = model_change(out, "connections", "web -> db")
    assert change["change"] == "changed"
    assert {f["path"]: (f.get("old"), f.get("new")) for f in change["fields"]} == {
        "label": ("queries", "reads and writes"),
        "port": (None, 5432),
    }


def test_change_only_in_one_environment(repo, commit, run_diff):
    commit("        deletion_protection: true\n", "        deletion_protection: true\n        log_retention_days: 90\n")
    code, out = run_diff()
    assert code == 3
    change = model_change(out, "stacks", "aws")
    assert [f["path"] for f in change["fields"]] == ["environments.prod.log_retention_days"]
    assert change["fields"][0]["line"] == 29
    assert out["plans"]["aws-dev"] == []
    changed = resources(out, "aws-prod", "changed")
    assert {"web-logs", "flow-logs"} <= set(changed)
    assert {"path": "retention_in_days", "old": 30, "new": 90} in changed["web-logs"]["fields"]
    assert not risks(out, "waiver"), "a waiver whose reason changes is not a new waiver"
    assert out["summary"]["aws-dev"] == {} and out["summary"]["aws-prod"] == {"changed": len(changed)}


def test_replacement_forcing_change_is_flagged(repo, commit, run_diff):
    commit("    engine: postgres\n", "    engine: mysql\n    version: '8.0'\n")
    _, out = run_diff()
    db = {r["name"]: r for r in out["plans"]["aws-prod"]}["db-db"]
    assert db["change"] == "replaced" and "engine" in db["replaced_by"]


def test_newly_public_and_new_waivers_are_risks(repo, commit, run_diff):
    commit("    port: 8000\n", "    port: 8000\n    public: true\n")
    _, out = run_diff()
    public = risks(out, "public")
    assert any(r["subject"] == "web" and "becomes public" in r["message"] for r in public)
    assert any("0.0.0.0/0" in r["message"] for r in public), public
    assert risks(out, "waiver"), "a public HTTP listener carries waivers: they are highlighted"
    assert out["risks"] == json.loads(json.dumps(out["risks"]))  # plain JSON


def test_protection_off_is_a_risk(repo, commit, run_diff):
    commit("        deletion_protection: true\n", "        deletion_protection: false\n")
    _, out = run_diff()
    protection = risks(out, "protection")
    assert any(r["subject"] == "aws" and "deletion_protection turned off" in r["message"] for r in protection)
    assert any(
        r["where"] == ["aws-prod"] and "deletion_protection" in r["message"]
        for r in protection
        if r["subject"] != "aws"
    )


def test_secret_reference_is_a_risk(repo, commit, run_diff):
    commit("    env: {LOG_LEVEL: info}\n", "    env: {LOG_LEVEL: info}\n    secrets: {API_KEY: demo/api-key}\n")
    _, out = run_diff()
    secret = risks(out, "secret")
    assert secret and secret[0]["subject"] == "web" and "demo/api-key" in secret[0]["message"]
    assert risks(out, "iam"), "reading a new secret widens the execution role"


def test_iam_widened_by_a_new_connection(repo, commit, run_diff):
    commit(
        "  db:\n",
        "  jobs:\n    kind: queue\n  db:\n",
        "connections:\n",
        "connections:\n  - {from: web, to: jobs, protocol: amqp}\n",
    )
    _, out = run_diff()
    iam = risks(out, "iam")
    assert any(r["subject"] == "web-task-policy" and "sqs:SendMessage" in r["message"] for r in iam), iam


def test_cross_cloud_edge_added(repo, commit, run_diff):
    hybrid = (
        "  hybrid:\n    target: hybrid\n    aws: {region: eu-west-1}\n"
        "    gcp: {project: demo-project-1, region: europe-west1}\n"
        "    placement: {web: aws, files: aws, wh: aws}\n    environments:\n      dev: {}\n"
    )
    commit(
        "views:\n",
        hybrid + "views:\n",
        "    purpose: assets\n",
        "    purpose: assets\n  wh:\n    kind: warehouse\n    lake: files\n",
        "connections:\n",
        "connections:\n  - {from: web, to: wh, label: queries, protocol: sql}\n",
    )
    commit("wh: aws}", "wh: gcp}")
    code, out = run_diff("HEAD~1", "HEAD")
    assert code == 3
    assert risks(out, "cross-cloud") == [
        {
            "rule": "cross-cloud",
            "subject": "web -> wh",
            "message": "new cross-cloud edge web -> wh (aws -> gcp)",
            "where": ["hybrid"],
        }
    ]
    assert out["plans"]["hybrid-dev"], "moving the warehouse to GCP changes the hybrid plan"


def test_default_base_is_the_merge_base_and_head_the_working_tree(repo, cli):
    (repo / "stacks.yaml").write_text((repo / "stacks.yaml").read_text().replace("LOG_LEVEL: info", "LOG_LEVEL: warn"))
    git(repo, "checkout", "-q", "main")
    git(repo, "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty", "-m", "main moves on")
    git(repo, "checkout", "-q", "feature")
    result = cli("diff", "-f", repo / "stacks.yaml", "--no-diagrams", "--json")
    out = json.loads(result.stdout)
    merge_base = git(repo, "merge-base", "main", "feature").strip()
    assert result.exit_code == 3
    assert merge_base.startswith(out["base"]) and out["head"] == "working tree"
    assert model_change(out, "components", "web")["fields"][0]["new"] == "warn"


def test_invalid_head_exits_1_naming_the_location(repo, commit, cli):
    commit("    port: 8000\n", "    port: 80000\n")
    result = cli("diff", "main", "HEAD", "-f", repo / "stacks.yaml", "--no-diagrams")
    assert result.exit_code == 1
    assert "HEAD:stacks.yaml:9:11" in result.stderr and "port" in result.stderr


def test_unknown_revision_exits_1(repo, cli):
    result = cli("diff", "no-such-branch", "-f", repo / "stacks.yaml", "--no-diagrams")
    assert result.exit_code == 1 and "unknown revision 'no-such-branch'" in result.stderr
    result = cli("diff", "--format", "html", "-f", repo / "stacks.yaml")
    assert result.exit_code == 1 and "unknown format" in result.stderr


def test_text_and_markdown_outputs(repo, commit, run_diff):
    commit("    port: 8000\n", "    port: 8000\n    public: true\n", "  db:\n", "  jobs:\n    kind: queue\n  db:\n")
    code, text = run_diff(json_out=False)
    assert code == 3
    assert text.index("Risks") < text.index("Model") < text.index("Plans")
    assert "+ component jobs (queue)" in text and "aws-dev" in text
    code, md = run_diff("main", "HEAD", "--format", "markdown", json_out=False)
    assert code == 3
    assert md.startswith("## stacks diff: `main` → `")
    assert "| Deployable | added | removed | replaced | changed |" in md
    assert "<details><summary>Model changes" in md and "</details>" in md
    assert md.index("Risks") < md.index("| Deployable")


def test_change_diagrams_are_byte_identical_across_runs(repo, commit, cli, tmp_path: Path):
    commit(
        "  db:\n",
        "  jobs:\n    kind: queue\n  db:\n",
        "  files:\n    kind: bucket\n    purpose: assets\n",
        "",
        "  - {from: web, to: files, label: uploads, protocol: s3}\n",
        "",
        "engine: postgres",
        "engine: mysql",
    )
    outputs = []
    for run in ("one", "two"):
        folder = tmp_path / run
        result = cli("diff", "main", "HEAD", "-f", repo / "stacks.yaml", "--diagrams", folder, "--json")
        assert result.exit_code == 3, result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["containers.png", "containers.svg"]
        outputs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert outputs[0] == outputs[1]
    svg = outputs[0]["containers.svg"].decode()
    assert "#2e7d32" in svg and "#e69500" in svg and "#9aa5b1" in svg  # added, changed, removed
    assert "Legend" in svg and 'xlink:href="data:' in svg and "site-packages" not in svg


def test_a_view_the_change_does_not_touch_is_not_drawn(repo, commit, cli, tmp_path: Path):
    commit("        deletion_protection: true\n", "        deletion_protection: true\n        log_retention_days: 90\n")
    folder = tmp_path / "diagrams"
    result = cli("diff", "main", "HEAD", "-f", repo / "stacks.yaml", "--diagrams", folder, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["diagrams"] == [] and list(folder.iterdir()) == []


def test_outside_a_repository_or_folder_exits_1(tmp_path: Path, cli):
    (tmp_path / "stacks.yaml").write_text("version: 1\n")
    result = cli("diff", "-f", tmp_path / "stacks.yaml", "--no-diagrams")
    assert result.exit_code == 1 and "is not inside a git repository" in result.stderr
    result = cli("diff", "-f", tmp_path / "missing" / "stacks.yaml", "--no-diagrams")
    assert result.exit_code == 1 and "no such folder" in result.stderr


def test_file_missing_at_base_exits_1(repo, cli):
    (repo / "infra").mkdir()
    (repo / "infra" / "stacks.yaml").write_text((repo / "stacks.yaml").read_text())
    result = cli("diff", "main", "-f", repo / "infra" / "stacks.yaml", "--no-diagrams")
    assert result.exit_code == 1 and "infra/stacks.yaml does not exist at main" in result.stderr
