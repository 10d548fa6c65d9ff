"""Benchmark: `stacks plan` for the bundled aws stack and a synthetic 50-service model; imports measured apart.

Run: .venv/bin/python bench/plan_bench.py [--services 50] [--repeat 3] [--json]

Baseline, measured in the same run: `stacks validate` (interpreter start, CLI
imports, load + validate), the floor any command pays. Then, each as a subprocess
so imports count: `python -c "import pulumi, pulumi_aws..."` (what the Pulumi
program imports) and the full `stacks plan STACK --json`; and in-process: the plan
(model -> resources), the offline Pulumi run under mocks and the Terraform JSON
render. Target (issue 6): `stacks plan aws-prod` <= 5 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = str(Path(sys.executable))
STACKS = str(Path(sys.executable).parent / "stacks")
# pulumi_aws loads its modules lazily: touching each class the program uses is what costs.
PULUMI_IMPORTS = (
    "import sys; sys.path.insert(0, {root!r}); from deploy.realize import resource_class; "
    "[resource_class(t) for t in {types!r}]"
)


def synthetic(services: int) -> str:
    """A model of ``services`` public services (each with its task, ALB, alarms) around one lake + warehouse."""
    import yaml

    comps: dict[str, dict] = {
        "users": {"kind": "user"},
        "lake": {"kind": "bucket"},
        "warehouse": {
            "kind": "warehouse",
            "lake": "lake",
            "tables": [
                {
                    "name": f"t{i}",
                    "columns": [{"name": "id", "type": "BIGINT"}, {"name": "day", "type": "DATE"}],
                    "partition_by": "day",
                }
                for i in range(5)
            ],
        },
    }
    conns = []
    for i in range(services):
        cid = f"svc-{i:02d}"
        comps[cid] = {
            "kind": "service",
            "build": {"context": "."},
            "port": 8000,
            "public": True,
            "secrets": {"STACKS_APP_API_KEY": f"syn/{cid}"},
            "resources": {"cpu": 0.5, "memory": 1024},
            "scale": {"min": 1, "max": 4},
        }
        conns += [{"from": "users", "to": cid}, {"from": cid, "to": "warehouse", "protocol": "sql"}]
    doc = {
        "version": 1,
        "system": {"name": "syn"},
        "environments": ["prod"],
        "components": comps,
        "connections": conns,
        "stacks": {
            "aws": {
                "target": "aws",
                "region": "eu-west-1",
                "environments": {
                    "prod": {
                        "nat": "per_az",
                        "availability_zones": 3,
                        "deletion_protection": True,
                        "log_retention_days": 365,
                        "domain": "syn.example.com",
                        "dns_zone": "example.com",
                    }
                },
            }
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


def timed(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return statistics.median(times)


def in_process(file: Path, stack: str, repeat: int) -> dict:
    from deploy.offline import run_offline
    from deploy.terraform import tf_json_text
    from stacks.plan import build_plan
    from stacks.project import load_project

    project = load_project(file)
    out: dict[str, float] = {}
    for label, func in (
        ("plan", lambda: build_plan(project, stack)),
        ("terraform_json", lambda: tf_json_text(build_plan(project, stack))),
    ):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        out[label] = statistics.median(times)
    plan = build_plan(project, stack)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_offline(plan)
        times.append(time.perf_counter() - start)
    out["pulumi_offline"] = statistics.median(times)
    out["resources"] = len(plan.resources)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    try:
        bundled = tmp / "bundled" / "stacks.yaml"
        bundled.parent.mkdir()
        shutil.copy(ROOT / "stacks.yaml", bundled)
        syn = tmp / "syn" / "stacks.yaml"
        syn.parent.mkdir()
        syn.write_text(synthetic(args.services))

        results: dict = {"load_before": round(os.getloadavg()[0], 2)}
        results["baseline_validate_s"] = timed([STACKS, "validate", "-f", str(bundled)], args.repeat)
        results["python_start_s"] = timed([PY, "-c", "pass"], args.repeat)
        from stacks.plan import build_plan
        from stacks.project import load_project

        types = sorted({r.type for r in build_plan(load_project(bundled), "aws-prod").resources})
        results["import_pulumi_aws_s"] = timed(
            [PY, "-c", PULUMI_IMPORTS.format(root=str(ROOT), types=types)], args.repeat
        )
        rows = []
        for label, file, stack in (
            ("bundled aws-prod", bundled, "aws-prod"),
            (f"synthetic {args.services} services", syn, "aws-prod"),
        ):
            cli = timed([STACKS, "plan", stack, "--json", "-f", str(file)], args.repeat)
            inner = in_process(file, stack, args.repeat)
            rows.append(
                {
                    "model": label,
                    "resources": inner["resources"],
                    "stacks_plan_s": cli,
                    "plan_s": inner["plan"],
                    "pulumi_offline_s": inner["pulumi_offline"],
                    "terraform_json_s": inner["terraform_json"],
                    "ratio_vs_validate": cli / results["baseline_validate_s"],
                }
            )
        results["rows"] = rows
        results["load_after"] = round(os.getloadavg()[0], 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        print(json.dumps(results, indent=1))
        return
    base = results["baseline_validate_s"]
    print(
        f"load average before/after: {results['load_before']} / {results['load_after']} (2 cores: above 2, "
        "other work competed for the CPU)"
    )
    print(
        f"baseline `stacks validate` (bundled): {base:.2f}s   python start: {results['python_start_s']:.2f}s   "
        f"import pulumi + the classes aws-prod uses: {results['import_pulumi_aws_s']:.2f}s "
        f"({results['import_pulumi_aws_s'] / base:.1f}x baseline)"
    )
    print(
        f"{'model':<22} {'resources':>9} {'stacks plan':>12} {'x validate':>10} {'plan':>8} "
        f"{'pulumi (mocks)':>15} {'tf.json':>8}"
    )
    for r in rows:
        print(
            f"{r['model']:<22} {r['resources']:>9} {r['stacks_plan_s']:>11.2f}s {r['ratio_vs_validate']:>9.1f}x "
            f"{r['plan_s'] * 1000:>6.0f}ms {r['pulumi_offline_s']:>14.2f}s {r['terraform_json_s'] * 1000:>6.0f}ms"
        )
    target = rows[0]["stacks_plan_s"]
    print(f"target: bundled `stacks plan aws-prod` <= 5 s: {'met' if target <= 5 else 'MISSED'} ({target:.2f}s)")


if __name__ == "__main__":
    main()
