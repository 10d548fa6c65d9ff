"""The CLI, in-process (Typer's runner) and as a real subprocess of .venv/bin/stacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, stacks_bin

INVALID = Path(__file__).parent / "invalid"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([stacks_bin(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_validate_default_in_process(cli):
    result = cli("validate", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0, result.output
    assert "8 components" in result.output and "aws-prod" in result.output


def test_validate_json_in_process(cli):
    result = cli("validate", "-f", ROOT / "stacks.yaml", "--json")
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["system"] == "shop"
    assert "hybrid-prod" in data["stacks"]
    # compose runs seed before api; the clouds build it on demand only, and validation says so, located.
    [aws_seed] = [w for w in data["warnings"] if "stacks.aws.environments.dev: 'seed' runs before 'api'" in w]
    assert re.match(r"\S*stacks\.yaml:\d+:\d+: ", aws_seed) and "aws ecs run-task" in aws_seed
    assert any("gcp-dev (gcp)" in w and "gcloud run jobs execute" in w for w in data["warnings"])
    assert not any("compose" in w.split(":")[3] for w in data["warnings"])


def test_validate_prints_warnings_and_still_exits_0(cli):
    result = cli("validate", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 0
    assert "warning: " in result.output and "nothing runs it at deploy" in result.output


def test_validate_invalid_in_process(cli):
    result = cli("validate", INVALID / "unknown_kind.yaml")
    assert result.exit_code == 1
    assert "unknown_kind.yaml:9:11: components.db.kind: unknown kind 'databse'" in result.output
    assert "did you mean 'database'?" in result.output


def test_subprocess_valid_and_invalid():
    ok = run("validate")
    assert ok.returncode == 0, ok.stderr
    bad = run("validate", str(INVALID / "python_tag.yaml"))
    assert bad.returncode == 1
    assert "python_tag.yaml:2:9:" in bad.stderr and "is not allowed" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout


def test_subprocess_json_error_is_machine_readable():
    bad = run("validate", str(INVALID / "list_of_errors.yaml"), "--json")
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert data["ok"] is False
    assert len(data["diagnostics"]) >= 2
    assert all({"file", "line", "col", "path", "message", "hint"} <= set(d) for d in data["diagnostics"])


def test_every_corpus_file_exits_1_without_traceback():
    for path in sorted(INVALID.glob("*.yaml")):
        result = run("validate", str(path))
        assert result.returncode == 1, path
        assert "Traceback" not in result.stderr, path
        assert f"{path.name}:" in result.stderr or str(path) in result.stderr, (path, result.stderr)


def test_unknown_command_and_missing_file(tmp_path):
    missing = run("validate", "-f", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 1 and "file not found" in missing.stderr
    typo = run("valdate")
    assert typo.returncode != 0 and "No such command" in typo.stderr


def test_schema_command_prints_the_committed_schema():
    result = run("schema")
    assert result.returncode == 0
    assert result.stdout == (ROOT / "stacks.schema.json").read_text()


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path):
    first = run("init", "--name", "acme-shop", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    text = (tmp_path / "stacks.yaml").read_text()
    assert "name: acme-shop" in text and text.startswith("# yaml-language-server: $schema=")
    assert run("validate", cwd=tmp_path).returncode == 0
    again = run("init", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr
    bad_name = run("init", "other.yaml", "--name", "Bad Name", cwd=tmp_path)
    assert bad_name.returncode == 1 and not (tmp_path / "other.yaml").exists()


def test_build_is_atomic_and_skips_when_invalid(tmp_path):
    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    first = run("build", "--only", "schema", "--json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["written"] == ["stacks.schema.json"]
    before = (tmp_path / "stacks.schema.json").read_bytes()
    second = json.loads(run("build", "--only", "schema", "--json", cwd=tmp_path).stdout)
    assert second["cached_generators"] == ["schema"] and second["written"] == []
    # A broken model writes nothing: the previous outputs stay as they were.
    (tmp_path / "stacks.yaml").write_text(
        (tmp_path / "stacks.yaml").read_text().replace("kind: service", "kind: servce")
    )
    broken = run("build", "--only", "schema", cwd=tmp_path)
    assert broken.returncode == 1 and "unknown kind 'servce'" in broken.stderr
    assert (tmp_path / "stacks.schema.json").read_bytes() == before
    assert not list(tmp_path.glob("**/*.tmp"))


def test_check_reports_stale_missing_and_unknown_generator(tmp_path):
    shutil.copy(ROOT / "stacks.yaml", tmp_path / "stacks.yaml")
    assert run("build", "--only", "schema", cwd=tmp_path).returncode == 0
    schema = (tmp_path / "stacks.schema.json").read_text()
    (tmp_path / "stacks.schema.json").write_text(schema.replace('"title"', '"titel"', 1))  # an edit, header kept
    state = run("check", "--json", cwd=tmp_path)
    assert state.returncode == 1
    assert "stacks.schema.json" in json.loads(state.stdout)["stale"]
    (tmp_path / "stacks.schema.json").write_text("{}\n")  # a file stacks did not write
    state = run("check", "--json", cwd=tmp_path)
    assert state.returncode == 1 and json.loads(state.stdout)["not_generated"] == ["stacks.schema.json"]
    unknown = run("build", "--only", "diagrms", cwd=tmp_path)
    assert unknown.returncode == 1 and "unknown generator 'diagrms'" in unknown.stderr


def test_internal_errors_exit_2_with_debug_hint(monkeypatch, cli):
    import stacks.project

    def explode(*_a, **_k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(stacks.project, "load_project", explode)
    result = cli("validate", "-f", ROOT / "stacks.yaml")
    assert result.exit_code == 2
    assert "internal error" in result.output and "--debug" in result.output
