"""The staleness gate, end to end through the real `stacks` binary, in a temp copy of the project."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.conftest import stacks_bin

ROOT = Path(__file__).resolve().parents[2]
DIAGRAMS = "docs/architecture/diagrams"
VIEWS = ("system", "containers", "dataflow", "development", "deployment")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([stacks_bin(), *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def check_json(cwd: Path) -> tuple[int, dict]:
    proc = run(cwd, "check", "--json")
    return proc.returncode, json.loads(proc.stdout)


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_committed_diagrams_and_page_match_the_model(project):
    """`make build` leaves them committed: the real tree's files are what the model renders."""
    from stacks.pipeline import check

    state = check(project, only=["diagrams", "docs"])
    assert state.ok, f"stale: {state.stale} missing: {state.missing} unexpected: {state.unexpected}"
    for view in VIEWS:
        for fmt in ("png", "svg"):
            assert (ROOT / DIAGRAMS / f"{view}.{fmt}").is_file()
    tracked = subprocess.run(
        ["git", "ls-files", "docs/architecture"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    assert "docs/architecture/README.md" in tracked and f"{DIAGRAMS}/containers.svg" in tracked


def test_check_fails_after_a_model_change_and_passes_after_build(project_copy):
    proc = run(project_copy, "build")
    assert proc.returncode == 0, proc.stderr
    code, state = check_json(project_copy)
    assert code == 0 and state["ok"], state

    def change(data):
        data["connections"][0]["label"] = "dashboards, notebooks and alerts"

    edit(project_copy / "stacks.yaml", change)
    proc = run(project_copy, "check")
    assert proc.returncode == 1
    for path in (
        f"{DIAGRAMS}/containers.png",
        f"{DIAGRAMS}/containers.svg",
        f"{DIAGRAMS}/system.svg",
        "docs/architecture/README.md",
    ):
        assert f"stale: {path}" in proc.stderr, proc.stderr
    # the dataflow view has no request connections: the label change leaves it alone
    assert f"{DIAGRAMS}/dataflow.png" not in proc.stderr
    assert "run `stacks build`" in proc.stderr

    proc = run(project_copy, "build")
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {DIAGRAMS}/containers.png" in proc.stderr
    code, state = check_json(project_copy)
    assert code == 0 and state["ok"], state


def test_a_fresh_render_equals_the_committed_files(project_copy):
    """--force runs Graphviz for every view: the result is byte-identical to what is committed."""
    proc = run(project_copy, "diagrams", "--force", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["reused"] == [] and result["written"] == []
    assert set(VIEWS) <= set(result["views"])
    assert len(result["unchanged"]) == 2 * len(result["views"])
    for view in result["views"]:
        for fmt in ("png", "svg"):
            rel = f"{DIAGRAMS}/{view}.{fmt}"
            assert (project_copy / rel).read_bytes() == (ROOT / rel).read_bytes(), rel


def test_unexpected_and_dropped_views_are_reported_then_pruned(project_copy):
    assert run(project_copy, "build").returncode == 0
    # A view stacks drew earlier (it carries the header) is obsolete; a file the user put there is theirs.
    (project_copy / DIAGRAMS / "old.png").write_bytes((project_copy / DIAGRAMS / "system.png").read_bytes())
    (project_copy / DIAGRAMS / "mine.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    def change(data):
        data["views"]["include"] = ["system", "containers", "dataflow", "deployment"]

    edit(project_copy / "stacks.yaml", change)
    code, state = check_json(project_copy)
    assert code == 1
    assert set(state["unexpected"]) >= {
        f"{DIAGRAMS}/old.png",
        f"{DIAGRAMS}/development.png",
        f"{DIAGRAMS}/development.svg",
    }
    assert "docs/architecture/README.md" in state["stale"]
    assert f"{DIAGRAMS}/mine.png" not in state["unexpected"]
    proc = run(project_copy, "build")
    assert f"removed {DIAGRAMS}/old.png" in proc.stderr
    assert not (project_copy / DIAGRAMS / "development.png").exists()
    assert (project_copy / DIAGRAMS / "mine.png").exists()
    code, state = check_json(project_copy)
    assert code == 0, state


def test_a_changed_output_folder_moves_everything(project_copy):
    def change(data):
        data["views"]["output"] = "site/arch"

    edit(project_copy / "stacks.yaml", change)
    assert run(project_copy, "build").returncode == 0
    assert (project_copy / "site/arch/README.md").is_file()
    assert (project_copy / "site/arch/diagrams/containers.svg").is_file()
    assert run(project_copy, "check").returncode == 0


def test_an_output_folder_outside_the_project_is_refused(project_copy):
    def change(data):
        data["views"]["output"] = "../elsewhere"

    edit(project_copy / "stacks.yaml", change)
    proc = run(project_copy, "diagrams")
    assert proc.returncode == 1
    assert "must be a folder inside the project" in proc.stderr and "Traceback" not in proc.stderr
