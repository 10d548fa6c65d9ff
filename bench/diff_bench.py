"""Benchmark: `stacks diff` between two revisions of this repository's stacks.yaml.

Run: .venv/bin/python bench/diff_bench.py [--repeat 3] [--json] [--smoke]

Builds a git repository in a temp folder with two commits: this repository's
stacks.yaml, then the same file with an events queue added for the API (a new
component and connection: resources added on every cloud deployable, IAM widened)
and the staging API allowed to scale further (a change in one environment only).
Measures, as subprocesses so imports count, `stacks diff BASE HEAD` without and
with the change diagrams, against `stacks validate` of the same file in the same
run (the floor of any command). Target (issue 18): under 5 s.
``--smoke``: each command once, no diagrams (seconds; the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, figure, load_average, print_figures, print_load  # noqa: E402

STACKS = str(Path(sys.executable).parent / "stacks")
# (old, new) edits of the bundled stacks.yaml: the HEAD revision of the benchmark.
EDITS = (
    ("  seed:\n", "  events:\n    kind: queue\n    label: Order events\n\n  seed:\n"),
    (
        "  - {from: api, to: warehouse, label: analytics queries, protocol: sql}\n",
        "  - {from: api, to: warehouse, label: analytics queries, protocol: sql}\n"
        "  - {from: api, to: events, label: order events, protocol: amqp}\n",
    ),
    ("          api: {scale: {min: 1, max: 2}}\n", "          api: {scale: {min: 1, max: 3}}\n"),
)


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=bench@example.com", "-c", "user.name=bench", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def make_repo(repo: Path) -> None:
    """Two commits of this repository's stacks.yaml: as it is, then with EDITS applied."""
    text = (ROOT / "stacks.yaml").read_text()
    git(repo, "init", "-q", "-b", "main")
    (repo / "stacks.yaml").write_text(text)
    git(repo, "add", "stacks.yaml")
    git(repo, "commit", "-q", "-m", "base")
    for old, new in EDITS:
        if old not in text:
            raise SystemExit(f"bench/diff_bench.py: the edit no longer applies to stacks.yaml: {old!r}")
        text = text.replace(old, new)
    (repo / "stacks.yaml").write_text(text)
    git(repo, "commit", "-q", "-am", "events queue")


CPU: dict[str, float] = {}  # the last timed command's CPU seconds (its process and Graphviz), by key


def children_cpu() -> float:
    t = os.times()
    return t.children_user + t.children_system


def timed(key: str, cmd: list[str], cwd: Path, repeat: int, ok: tuple[int, ...] = (0,)) -> float:
    """Median wall seconds; CPU[key] the median CPU seconds, which the load of other work does not inflate."""
    runs, cpu = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), children_cpu()
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
        runs.append(time.perf_counter() - start)
        cpu.append(children_cpu() - cpu_start)
        if proc.returncode not in ok:
            raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    CPU[key] = statistics.median(cpu)
    return statistics.median(runs)


def measure(repeat: int, smoke: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="diff-bench-") as tmp:
        repo = Path(tmp)
        make_repo(repo)
        results = {"validate": timed("validate", [STACKS, "validate"], repo, repeat)}
        diff = [STACKS, "diff", "HEAD~1", "HEAD", "--json"]
        results["diff_no_diagrams"] = timed("diff_no_diagrams", [*diff, "--no-diagrams"], repo, repeat, ok=(3,))
        if not smoke:
            with_diagrams = [*diff, "--diagrams", str(repo / "out")]
            results["diff_with_diagrams"] = timed("diff_with_diagrams", with_diagrams, repo, repeat, ok=(3,))
            out = subprocess.run([*diff, "--no-diagrams"], cwd=repo, capture_output=True, text=True, check=False)
            summary = json.loads(out.stdout)
            results["resource_changes"] = sum(len(v) for v in summary["plans"].values())
            results["deployables"] = len(summary["plans"])
    results.update({f"cpu_{key}": seconds for key, seconds in CPU.items()})
    return results


def figures_of(results: dict[str, float]) -> list[dict]:
    base, name = results["validate"], "`stacks validate` of the same file"
    out = [
        figure(
            "`stacks diff BASE HEAD --no-diagrams` (load, validate and plan both sides)",
            results["diff_no_diagrams"],
            baseline=base,
            baseline_name=name,
            target="< 5 s",
        ),
    ]
    if "diff_with_diagrams" in results:
        out.append(
            figure(
                "`stacks diff BASE HEAD` with the change diagrams (PNG + SVG)",
                results["diff_with_diagrams"],
                baseline=base,
                baseline_name=name,
                target="< 5 s",
            )
        )
        out.append(
            figure(
                "CPU seconds of `stacks diff BASE HEAD` with the diagrams (less sensitive to the load)",
                results["cpu_diff_with_diagrams"],
                baseline=results["cpu_validate"],
                baseline_name="CPU seconds of `stacks validate`",
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="each command once, no diagrams: seconds")
    args = parser.parse_args()
    repeat = 1 if args.smoke else args.repeat
    report: dict = {"load_before": load_average(), "smoke": args.smoke}
    if not args.json:
        print_load("before", report["load_before"])
    report["results"] = measure(repeat, args.smoke)
    report["load_after"] = load_average()
    if args.json:
        emit(report, figures_of(report["results"]))
        return
    print_figures(figures_of(report["results"]))
    print_load("after", report["load_after"])


if __name__ == "__main__":
    main()
