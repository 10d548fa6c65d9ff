"""Benchmark: `stacks plan` for the bundled aws stack and a synthetic 50-service model; imports measured apart.

Run: .venv/bin/python bench/plan_bench.py [--services 50] [--repeat 3] [--json] [--smoke]

Baseline, measured in the same run: `stacks validate` (interpreter start, CLI
imports, load + validate), the floor any command pays. Then, each as a subprocess
so imports count: `python -c "import pulumi, pulumi_aws..."` (what the Pulumi
program imports) and the full `stacks plan STACK --json`; and in-process: the plan
(model -> resources), the offline Pulumi run under mocks and the Terraform JSON
render. Target (issue 6): `stacks plan aws-prod` <= 5 s on 2 cores.
``--smoke``: 2 synthetic services, every step once (seconds; the test suite runs it).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, figure, load_average, print_figures, print_load  # noqa: E402

PY = str(Path(sys.executable))
STACKS = str(Path(sys.executable).parent / "stacks")
# pulumi_aws loads its modules lazily: touching each class the program uses is what costs.
PULUMI_IMPORTS = (
    "import sys; sys.path.insert(0, {root!r}); from deploy.realize import resource_class; "
    "[resource_class(t) for t in {types!r}]"
)


def synthetic(services: int) -> str:
    """A model of ``services`` services (each with its task, roles, alarms) around one lake + warehouse; the
    first is the public entry point (ALB, certificate, WAF, DNS), as one domain names one entry point."""
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
            "public": i == 0,
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


def in_process(file: Path, stack: str, repeat: int, pulumi: bool = True) -> dict:
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
    out["resources"] = len(plan.resources)
    if not pulumi:
        return out
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run_offline(plan)
        times.append(time.perf_counter() - start)
    out["pulumi_offline"] = statistics.median(times)
    return out


def figures_of(results: dict) -> list[dict]:
    """`stacks plan` and its stages per model, each against `stacks validate` measured in the same run."""
    base, name = results["baseline_validate_s"], "`stacks validate` (bundled)"
    out = []
    if "import_pulumi_aws_s" in results:
        out.append(
            figure(
                "import pulumi + the pulumi_aws classes aws-prod uses",
                results["import_pulumi_aws_s"],
                baseline=base,
                baseline_name=name,
            )
        )
    for row in results["rows"]:
        label = f"{row['model']} ({row['resources']} resources)"
        target = "<= 5 s" if row["model"].startswith("bundled") else None
        for key, stage in (
            ("stacks_plan_s", "`stacks plan --json`"),
            ("plan_s", "build the plan"),
            ("pulumi_offline_s", "offline Pulumi run under mocks"),
            ("terraform_json_s", "Terraform JSON render"),
        ):
            if key in row:
                goal = target if key == "stacks_plan_s" else None
                out.append(figure(f"{label}: {stage}", row[key], baseline=base, baseline_name=name, target=goal))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="2 services, each step once: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.services, args.repeat = 2, 1

    tmp = Path(tempfile.mkdtemp(prefix="plan-bench-"))
    try:
        bundled = tmp / "bundled" / "stacks.yaml"
        bundled.parent.mkdir()
        shutil.copy(ROOT / "stacks.yaml", bundled)
        syn = tmp / "syn" / "stacks.yaml"
        syn.parent.mkdir()
        syn.write_text(synthetic(args.services))

        results: dict = {"load_before": load_average(), "smoke": args.smoke}
        if not args.json:
            print_load("before", results["load_before"])
        results["baseline_validate_s"] = timed([STACKS, "validate", "-f", str(bundled)], args.repeat)
        results["python_start_s"] = timed([PY, "-c", "pass"], args.repeat)
        from stacks.plan import build_plan
        from stacks.project import load_project

        types = sorted({r.type for r in build_plan(load_project(bundled), "aws-prod").resources})
        if not args.smoke:  # pulumi's imports and mock engine take tens of seconds on a busy machine
            results["import_pulumi_aws_s"] = timed(
                [PY, "-c", PULUMI_IMPORTS.format(root=str(ROOT), types=types)], args.repeat
            )
        rows = []
        for label, file, stack in (
            ("bundled aws-prod", bundled, "aws-prod"),
            (f"synthetic {args.services} services", syn, "aws-prod"),
        ):
            inner = in_process(file, stack, args.repeat, pulumi=not args.smoke)
            row = {
                "model": label,
                "resources": inner["resources"],
                "plan_s": inner["plan"],
                "terraform_json_s": inner["terraform_json"],
            }
            if not args.smoke:
                row["stacks_plan_s"] = timed([STACKS, "plan", stack, "--json", "-f", str(file)], args.repeat)
                row["pulumi_offline_s"] = inner["pulumi_offline"]
                row["ratio_vs_validate"] = row["stacks_plan_s"] / results["baseline_validate_s"]
            rows.append(row)
        results["rows"] = rows
        results["load_after"] = load_average()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if args.json:
        emit(results, figures_of(results))
        return
    base = results["baseline_validate_s"]
    print_load("after", results["load_after"])
    if args.smoke:
        print_figures(figures_of(results))
        return
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
