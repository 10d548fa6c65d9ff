"""Benchmark: `stacks plan` for the bundled gcp and hybrid stacks; imports and stages measured apart.

Run: .venv/bin/python bench/plan_gcp_bench.py [--repeat 3] [--json] [--smoke]

Baseline, measured in the same run: `stacks validate` (interpreter start, CLI
imports, load + validate), the floor every command pays. Then as subprocesses (so
imports count) importing pulumi and every provider class the plan uses, and the full
`stacks plan STACK --json`; and in-process: the plan (model -> resources), the
offline Pulumi run under mocks, the Terraform JSON render and the gcp/hybrid
diagram specs. Ratios are against the baseline of this run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, figure, load_average, print_load  # noqa: E402

PY = str(Path(sys.executable))
STACKS = str(Path(sys.executable).parent / "stacks")
# pulumi_gcp loads each module's classes lazily: touch every class the plan uses, as the program does.
CLASS_IMPORTS = (
    "import pulumi; from stacks.project import load_project; from stacks.plan import build_plan; "
    "from deploy.realize import resource_class; "
    "[resource_class(r.type) for r in build_plan(load_project(), '{stack}').resources]"
)
STACKS_TO_PLAN = ("gcp-prod", "hybrid-prod")


def timed(fn, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="each in-process step once, no pulumi: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.repeat = 1
    report: dict = {"load_before": load_average(), "smoke": args.smoke}
    if not args.json:
        print_load("before", report["load_before"])
    results = measure(args.repeat, args.smoke)
    report["load_after"] = load_average()
    base = results["baseline: stacks validate"]
    figures = [
        figure(name.strip(), seconds, baseline=base, baseline_name="`stacks validate`")
        for name, seconds in results.items()
        if not name.startswith("baseline")
    ]
    if args.json:
        emit(report, figures)
        return
    print(f"{'measure':<48} {'median s':>9} {'x baseline':>11}")
    for name, seconds in results.items():
        print(f"{name:<48} {seconds:>9.3f} {seconds / base:>11.2f}")
    print_load("after", report["load_after"])


def measure(repeat: int, smoke: bool) -> dict[str, float]:
    """Median seconds per step; smoke mode leaves out pulumi (imports, the CLI plan, the mock engine)."""
    from architecture.registry import VIEWS, context
    from deploy.terraform import tf_json_text
    from stacks.plan import build_plan
    from stacks.project import load_project

    results: dict[str, float] = {}
    results["baseline: stacks validate"] = timed(lambda: run([STACKS, "validate"]), repeat)
    if not smoke:
        for stack in STACKS_TO_PLAN:
            results[f"imports: pulumi + the classes of {stack}"] = timed(
                lambda s=stack: run([PY, "-c", CLASS_IMPORTS.format(stack=s)]), repeat
            )
        for stack in STACKS_TO_PLAN:
            results[f"stacks plan {stack} --json"] = timed(lambda s=stack: run([STACKS, "plan", s, "--json"]), repeat)
    project = load_project(ROOT / "stacks.yaml")
    for stack in STACKS_TO_PLAN:
        plan = build_plan(project, stack)
        results[f"  plan {stack} ({len(plan.resources)} resources)"] = timed(
            lambda s=stack: build_plan(project, s), repeat
        )
        if not smoke:
            from deploy.offline import run_offline

            results[f"  offline Pulumi run {stack}"] = timed(lambda p=plan: run_offline(p), repeat)
        results[f"  Terraform JSON {stack}"] = timed(lambda p=plan: tf_json_text(p), repeat)
        view = stack.rpartition("-")[0]
        results[f"  {view} view spec (its plan included)"] = timed(
            lambda v=view: VIEWS[v].load()(context(project, v)), repeat
        )
    return results


if __name__ == "__main__":
    main()
