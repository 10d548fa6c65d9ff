"""The benchmarks cannot rot: each runs in smoke mode here, their synthetic models validate, and the
performance tables in docs/performance.md are what bench/results.json gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run import BENCHMARKS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BENCHMARKS))
def test_benchmark_smoke_run(name: str, tmp_path: Path) -> None:
    """`bench/run.py --smoke --only NAME`: the benchmark runs end to end at tiny sizes and reports figures."""
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "bench/run.py", "--smoke", "--only", name, "--output", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    results = json.loads(out.read_text())
    entry = results["benchmarks"][name]
    assert results["smoke"] is True and results["cores"] >= 1
    assert len(entry["load_before"]) == 3 and len(entry["load_after"]) == 3
    for fig in entry["figures"]:
        assert fig["value"] >= 0 and fig["unit"] in ("s", "ms", "MB"), fig
        if fig["baseline"] is not None:
            assert fig["baseline"] > 0 and fig["baseline_name"]
            assert fig["ratio"] == pytest.approx(fig["value"] / fig["baseline"], rel=0.01, abs=0.002)
    assert any(fig["baseline"] is not None for fig in entry["figures"]), "every benchmark compares with a baseline"


def test_synthetic_models_are_valid_at_full_size() -> None:
    """The models the full runs generate validate (the smoke runs only build the tiny ones)."""
    from bench import compose_bench, diagrams_bench, plan_bench
    from stacks.project import project_from_text

    for n in (50, 150, 300):
        assert len(project_from_text(diagrams_bench.synthetic(n)).model.components) == n
    assert len(project_from_text(plan_bench.synthetic(50)).model.components) == 53
    for n in (30, 120, 300):
        assert len(project_from_text(compose_bench.synthetic(n)).model.components) == n


def test_committed_tables_match_committed_results() -> None:
    proc = subprocess.run(
        [sys.executable, "bench/tables.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_tables_check_fails_when_results_change(tmp_path: Path) -> None:
    results, page = tmp_path / "results.json", tmp_path / "performance.md"
    shutil.copy(ROOT / "bench" / "results.json", results)
    shutil.copy(ROOT / "docs" / "performance.md", page)
    data = json.loads(results.read_text())
    first = next(iter(data["benchmarks"].values()))["figures"][0]
    first["value"] = first["value"] * 2 + 1
    results.write_text(json.dumps(data))
    args = [sys.executable, "bench/tables.py", "--results", str(results), "--page", str(page)]
    assert subprocess.run([*args, "--check"], cwd=ROOT, capture_output=True, check=False).returncode == 1
    assert subprocess.run(args, cwd=ROOT, capture_output=True, check=False).returncode == 0
    assert subprocess.run([*args, "--check"], cwd=ROOT, capture_output=True, check=False).returncode == 0
    text = page.read_text()
    for entry in data["benchmarks"].values():
        for fig in entry["figures"]:
            assert fig["name"].replace("|", "\\|") in text


def test_a_failing_benchmark_is_recorded_not_lost(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import bench.run as runner

    script = tmp_path / "broken_bench.py"
    script.write_text("import sys\nprint('no figures here', file=sys.stderr)\nsys.exit(2)\n")
    monkeypatch.setitem(runner.BENCHMARKS, "broken", (str(script), (), 30))
    entry = runner.run_one("broken", smoke=True)
    assert entry["figures"] == [] and "exit 2" in entry["error"] and "no figures here" in entry["error"]
    assert len(entry["load_before"]) == 3 and len(entry["load_after"]) == 3
