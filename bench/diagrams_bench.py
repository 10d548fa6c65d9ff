"""Benchmark: architecture diagrams, bundled model (cold, no-op) and synthetic models of 50/150/300 components.

Run: .venv/bin/python bench/diagrams_bench.py [--sizes 50,150,300] [--json]

Prints, for the bundled model: every view rendered cold (Graphviz runs), one
`stacks build` cold and no-op in a temp copy (the real CLI, imports included),
`stacks check`; then per synthetic size the time of each view and the growth
against the smallest size measured in the same run. Targets (issue 4): bundled
all views <= 3 s cold, <= 0.5 s no-op; 300 components all views <= 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from architecture.registry import project_views  # noqa: E402
from architecture.render import render_specs  # noqa: E402
from stacks.project import load_project, project_from_text  # noqa: E402

STACKS = ROOT / ".venv" / "bin" / "stacks"
DATA_KINDS = ("bucket", "database", "cache", "queue", "warehouse")
WORK_KINDS = ("service", "worker", "job", "frontend")


def synthetic(n: int) -> str:
    """A valid stacks.yaml with n components: 2/3 workloads, 1/3 data, a few users and externals."""
    import yaml

    comps: dict[str, dict] = {
        "users": {"kind": "user", "label": "Users"},
        "partner": {"kind": "external", "label": "Partner", "technology": "SFTP"},
    }
    data_ids, work_ids = [], []
    for i in range(n - 2):
        if i % 3 == 2:
            kind = DATA_KINDS[(i // 3) % len(DATA_KINDS)]
            cid = f"{kind[:4]}-{i:03d}"
            comp: dict = {"kind": kind, "label": f"{kind.title()} {i}"}
            if kind == "warehouse":
                comp["technology"] = "DuckDB"
            data_ids.append(cid)
        else:
            kind = WORK_KINDS[(i // 3) % len(WORK_KINDS)]
            cid = f"{kind[:4]}-{i:03d}"
            comp = {
                "kind": kind,
                "label": f"{kind.title()} {i}",
                "technology": "Python",
                "image": "ghcr.io/example/app:1.0",
                "resources": {"cpu": 0.5, "memory": 1024},
            }
            work_ids.append(cid)
        comps[cid] = comp
    conns = []
    for j, wid in enumerate(work_ids):
        conns.append({"from": wid, "to": data_ids[j % len(data_ids)], "label": "reads", "protocol": "sql"})
        if j % 2 == 0:
            conns.append(
                {
                    "from": data_ids[(j * 7 + 3) % len(data_ids)],
                    "to": wid,
                    "label": "feeds",
                    "protocol": "s3",
                    "flow": "data",
                    "data": "events",
                }
            )
        if j % 10 == 0:
            conns.append({"from": "users", "to": wid, "label": "uses", "protocol": "https", "port": 443})
    conns.append(
        {"from": "partner", "to": data_ids[0], "label": "uploads", "protocol": "s3", "flow": "data", "data": "files"}
    )
    deployable = [c for c in comps if comps[c]["kind"] not in ("user", "external")]
    placement = {cid: ("aws" if k % 2 else "gcp") for k, cid in enumerate(sorted(deployable))}
    doc = {
        "version": 1,
        "system": {"name": f"synth{n}", "label": f"Synthetic {n}"},
        "environments": ["dev", "prod"],
        "components": comps,
        "connections": conns,
        "stacks": {
            "compose": {"target": "compose", "environments": {"dev": {}}},
            "aws": {"target": "aws", "region": "eu-west-1", "environments": {"dev": {}, "prod": {}}},
            "gcp": {
                "target": "gcp",
                "project": "synth-project",
                "region": "europe-west1",
                "environments": {"prod": {}},
            },
            "hybrid": {
                "target": "hybrid",
                "aws": {"region": "eu-west-1"},
                "gcp": {"project": "synth-project", "region": "europe-west1"},
                "placement": placement,
                "environments": {"prod": {}},
            },
        },
    }
    return yaml.safe_dump(doc, sort_keys=False)


CPU: dict[str, float] = {}  # command -> CPU seconds of its last run
LOGICAL = ["system", "containers", "dataflow", "development", "deployment"]


def cpu() -> float:
    """CPU seconds of this process and its finished children (Graphviz): unaffected by other jobs' load."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def render_all(project, names: list[str] | None = None) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    specs = project_views(project, names)
    results = render_specs(specs)  # no previous files: every view runs Graphviz
    return time.perf_counter() - started, {r.name: r.seconds for r in results}


def cli(cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    cpu_before = cpu()
    proc = subprocess.run([str(STACKS), *args], cwd=cwd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    CPU[" ".join(args)] = cpu() - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"stacks {' '.join(args)} failed: {proc.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,150,300")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report: dict = {}

    bundled = load_project(ROOT / "stacks.yaml")
    render_all(bundled)  # warm imports and icon caches: the cold numbers below are Graphviz, not imports
    cpu_before = cpu()
    total, per_view = render_all(bundled)
    report["bundled_render"] = {"total": total, "views": per_view, "cpu": cpu() - cpu_before}
    with tempfile.TemporaryDirectory(prefix="stacks-bench-") as tmp:
        copy = Path(tmp)
        shutil.copy(ROOT / "stacks.yaml", copy / "stacks.yaml")
        report["bundled_cli"] = {
            "diagrams_cold": cli(copy, "build", "--only", "diagrams", "--only", "docs", "--no-cache"),
            "build_all_cold": (shutil.rmtree(copy / "docs", ignore_errors=True), cli(copy, "build", "--no-cache"))[1],
            "build_noop": min(cli(copy, "build") for _ in range(3)),
            "check": min(cli(copy, "check") for _ in range(3)),
            "validate": min(cli(copy, "validate") for _ in range(3)),
        }
        report["bundled_cli_cpu"] = dict(CPU)
    report["load_average"] = os.getloadavg()

    sizes = [int(s) for s in args.sizes.split(",") if s]
    report["synthetic"] = {}
    for n in sizes:
        project = project_from_text(synthetic(n), root=Path(tempfile.gettempdir()))
        # The logical views: cloud views plan real infrastructure and are benchmarked with their plans.
        total, per_view = render_all(project, LOGICAL)
        report["synthetic"][n] = {"total": total, "views": per_view}

    if args.json:
        print(json.dumps(report, indent=2))
        return
    b = report["bundled_render"]
    print(
        f"Load average while measuring: {', '.join(f'{x:.1f}' for x in report['load_average'])} "
        f"on {os.cpu_count()} cores (CPU seconds in brackets do not depend on it)"
    )
    print(f"Bundled model ({len(b['views'])} views: {', '.join(b['views'])}), all in seconds")
    print(
        f"  render all views cold (Graphviz, 2 workers): {b['total']:.2f} [cpu {b['cpu']:.2f}]  target <= 3.0  "
        f"({b['total'] / 3.0:.0%} of target)"
    )
    for name, sec in b["views"].items():
        print(f"    {name:<12} {sec:.3f}")
    c = report["bundled_cli"]
    cc = report["bundled_cli_cpu"]
    print(
        f"  `stacks build --only diagrams --only docs --no-cache` (process, imports included): "
        f"{c['diagrams_cold']:.2f} [cpu {cc['build --only diagrams --only docs --no-cache']:.2f}]"
    )
    print(f"  `stacks build --no-cache` every generator, from nothing: {c['build_all_cold']:.2f}")
    print(
        f"  `stacks build` no-op: {c['build_noop']:.2f} [cpu {cc['build']:.2f}]  target <= 0.5  "
        f"({c['build_noop'] / 0.5:.0%} of target)"
    )
    print(
        f"  `stacks check`: {c['check']:.2f}   `stacks validate` (baseline: process start + model): "
        f"{c['validate']:.2f}  -> no-op build = {c['build_noop'] / c['validate']:.2f}x validate"
    )
    base = sizes[0]
    views = list(report["synthetic"][base]["views"])
    print(f"\nSynthetic models, the 5 logical views: seconds per view (growth vs {base} components in brackets)")
    print("  components " + " ".join(f"{v:>16}" for v in views) + f" {'all views':>16}")
    for n in sizes:
        row = report["synthetic"][n]
        cells = []
        for v in views:
            sec = row["views"].get(v, 0.0)
            ratio = sec / report["synthetic"][base]["views"][v] if report["synthetic"][base]["views"][v] else 0
            cells.append(f"{sec:8.2f} ({ratio:4.1f}x)")
        ratio = row["total"] / report["synthetic"][base]["total"]
        print(f"  {n:>10} " + " ".join(f"{c:>16}" for c in cells) + f" {row['total']:8.2f} ({ratio:4.1f}x)")
    if 300 in report["synthetic"]:
        t = report["synthetic"][300]["total"]
        print(f"  300 components, all views: {t:.2f} s, target <= 20 s ({t / 20:.0%} of target)")


if __name__ == "__main__":
    main()
