"""Benchmark: `stacks plan` for the bundled gcp and hybrid stacks; imports and stages measured apart.

Run: .venv/bin/python bench/plan_gcp_bench.py [--repeat 3] [--json]

Baseline, measured in the same run: `stacks validate` (interpreter start, CLI
imports, load + validate), the floor every command pays. Then as subprocesses (so
imports count) importing pulumi and every provider class the plan uses, and the full
`stacks plan STACK --json`; and in-process: the plan (model -> resources), the
offline Pulumi run under mocks, the Terraform JSON render and the gcp/hybrid
diagram specs. Ratios are against the baseline of this run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
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
    args = parser.parse_args()

    from deploy.diagram_gcp import gcp_spec, hybrid_spec
    from deploy.offline import run_offline
    from deploy.terraform import tf_json_text
    from stacks.plan import build_plan
    from stacks.project import load_project

    results: dict[str, float] = {}
    results["baseline: stacks validate"] = timed(lambda: run([STACKS, "validate"]), args.repeat)
    for stack in STACKS_TO_PLAN:
        results[f"imports: pulumi + the classes of {stack}"] = timed(
            lambda s=stack: run([PY, "-c", CLASS_IMPORTS.format(stack=s)]), args.repeat
        )
    for stack in STACKS_TO_PLAN:
        results[f"stacks plan {stack} --json"] = timed(lambda s=stack: run([STACKS, "plan", s, "--json"]), args.repeat)
    project = load_project(ROOT / "stacks.yaml")
    from architecture.registry import context

    for stack in STACKS_TO_PLAN:
        plan = build_plan(project, stack)
        results[f"  plan {stack} ({len(plan.resources)} resources)"] = timed(
            lambda s=stack: build_plan(project, s), args.repeat
        )
        results[f"  offline Pulumi run {stack}"] = timed(lambda p=plan: run_offline(p), args.repeat)
        results[f"  Terraform JSON {stack}"] = timed(lambda p=plan: tf_json_text(p), args.repeat)
        view, spec = ("gcp", gcp_spec) if stack.startswith("gcp") else ("hybrid", hybrid_spec)
        results[f"  diagram spec {stack}"] = timed(
            lambda p=plan, v=view, f=spec: f(context(project, v), p).normalized(), args.repeat
        )
    base = results["baseline: stacks validate"]
    if args.json:
        print(
            json.dumps({k: {"seconds": round(v, 4), "ratio": round(v / base, 2)} for k, v in results.items()}, indent=1)
        )
        return
    print(f"{'measure':<48} {'median s':>9} {'x baseline':>11}")
    for name, seconds in results.items():
        print(f"{name:<48} {seconds:>9.3f} {seconds / base:>11.2f}")


if __name__ == "__main__":
    main()
