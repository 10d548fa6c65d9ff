"""Benchmark: architecture diagrams, bundled model (cold, no-op) and synthetic models of 50/150/300 components.

Run: .venv/bin/python bench/diagrams_bench.py [--sizes 50,150,300] [--json] [--smoke]

Prints, for the bundled model: every view rendered cold (Graphviz runs), one
`stacks build` cold and no-op in a temp copy (the real CLI, imports included),
`stacks check`; then per synthetic size the time of each view and the growth
against the smallest size measured in the same run. Targets (issue 4): bundled
all views <= 3 s cold, <= 0.5 s no-op; 300 components all views <= 20 s.
``--smoke``: two views, sizes 5 and 8, `stacks validate` only (seconds; the test suite runs it).
"""

from __future__ import annotations

import argparse
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
from bench.common import emit, figure, load_average, print_figures, print_load  # noqa: E402
from stacks.project import load_project, project_from_text  # noqa: E402
from stacks.targets import hosted_kinds  # noqa: E402

STACKS = ROOT / ".venv" / "bin" / "stacks"
DATA_KINDS = ("bucket", "database", "cache", "queue", "warehouse")
WORK_KINDS = ("service", "worker", "job", "frontend")


def synthetic(n: int) -> str:
    """A valid stacks.yaml with n components: 2/3 workloads, 1/3 data, a few users and externals.

    Valid by construction (tests/benchmarks validates every size): warehouses read the first bucket as
    their lake, the gcp stack deploys only the kinds gcp hosts, the hybrid stack runs on aws.
    """
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
                comp["lake"] = data_ids[0]  # the first data component is always a bucket
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
            if kind == "frontend":
                # One public entry point per domain: the first frontend; the others are internal.
                comp["public"] = not any(comps[w]["kind"] == "frontend" for w in work_ids)
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
    on_gcp = sorted(c for c in deployable if comps[c]["kind"] in hosted_kinds("gcp"))
    placement = dict.fromkeys(sorted(deployable), "aws")
    # Production serves HTTPS only: its public services sit behind a domain with a certificate.
    https = {"domain": f"synth{n}.example.com", "dns_zone": "example.com"}
    doc = {
        "version": 1,
        "system": {"name": f"synth{n}", "label": f"Synthetic {n}"},
        "environments": ["dev", "prod"],
        "components": comps,
        "connections": conns,
        "stacks": {
            "compose": {"target": "compose", "environments": {"dev": {}}},
            "aws": {"target": "aws", "region": "eu-west-1", "environments": {"dev": {}, "prod": https}},
            "gcp": {
                "target": "gcp",
                "project": "synth-project",
                "region": "europe-west1",
                "components": on_gcp,
                "environments": {"prod": {}},
            },
            "hybrid": {
                "target": "hybrid",
                "aws": {"region": "eu-west-1"},
                "gcp": {"project": "synth-project", "region": "europe-west1"},
                "placement": placement,
                "environments": {"prod": https},
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


def measure_cli(smoke: bool) -> dict[str, float]:
    """The real CLI in a temp copy of the bundled model (imports included), best of 3; smoke: `validate` once."""
    with tempfile.TemporaryDirectory(prefix="stacks-bench-") as tmp:
        copy = Path(tmp)
        shutil.copy(ROOT / "stacks.yaml", copy / "stacks.yaml")
        if smoke:
            return {"validate": cli(copy, "validate")}
        timings = {"diagrams_cold": cli(copy, "build", "--only", "diagrams", "--only", "docs", "--no-cache")}
        shutil.rmtree(copy / "docs", ignore_errors=True)
        timings["build_all_cold"] = cli(copy, "build", "--no-cache")
        timings["build_noop"] = min(cli(copy, "build") for _ in range(3))
        timings["check"] = min(cli(copy, "check") for _ in range(3))
        timings["validate"] = min(cli(copy, "validate") for _ in range(3))
    return timings


def figures_of(report: dict) -> list[dict]:
    """The figures for bench/results.json: bundled against `stacks validate`, synthetic against the smallest size."""
    c, b = report["bundled_cli"], report["bundled_render"]
    validate = ("`stacks validate` (process start + model)", c["validate"])
    out = [
        figure(
            f"bundled: {len(b['views'])} views rendered cold, in process",
            b["total"],
            baseline=validate[1],
            baseline_name=validate[0],
            target="<= 3 s" if len(b["views"]) == 8 else None,
        )
    ]
    for key, label, target in (
        ("diagrams_cold", "bundled: `stacks build --only diagrams --only docs --no-cache`", None),
        ("build_noop", "bundled: `stacks build` no-op", "<= 0.5 s"),
        ("check", "bundled: `stacks check`", None),
    ):
        if key in c:
            out.append(figure(label, c[key], baseline=validate[1], baseline_name=validate[0], target=target))
    sizes = sorted(report["synthetic"])
    smallest = report["synthetic"][sizes[0]]["total"]
    for n in sizes:
        out.append(
            figure(
                f"synthetic {n} components: {len(report['synthetic'][n]['views'])} logical views",
                report["synthetic"][n]["total"],
                baseline=smallest,
                baseline_name=f"{sizes[0]} components, same run",
                target="<= 20 s" if n == 300 else None,
            )
        )
    largest = report["synthetic"][sizes[-1]]
    out.append(
        figure(
            f"synthetic {sizes[-1]} components: CPU seconds (less sensitive to the load)",
            largest["cpu"],
            baseline=report["synthetic"][sizes[0]]["cpu"],
            baseline_name=f"CPU seconds at {sizes[0]} components, same run",
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,150,300")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, each command once: seconds")
    args = parser.parse_args()
    sizes = [5, 8] if args.smoke else [int(s) for s in args.sizes.split(",") if s]
    report: dict = {"load_before": load_average(), "smoke": args.smoke}
    if not args.json:
        print_load("before", report["load_before"])

    bundled = load_project(ROOT / "stacks.yaml")
    if not args.smoke:
        render_all(bundled)  # warm imports and icon caches: the cold numbers below are Graphviz, not imports
    cpu_before = cpu()
    total, per_view = render_all(bundled, ["system", "containers"] if args.smoke else None)
    report["bundled_render"] = {"total": total, "views": per_view, "cpu": cpu() - cpu_before}
    report["bundled_cli"] = measure_cli(args.smoke)
    report["bundled_cli_cpu"] = dict(CPU)
    report["load_average"] = os.getloadavg()

    report["synthetic"] = {}
    for n in sizes:
        project = project_from_text(synthetic(n), root=Path(tempfile.gettempdir()))
        # The logical views: cloud views plan real infrastructure and are benchmarked with their plans.
        cpu_before = cpu()
        total, per_view = render_all(project, ["system", "containers"] if args.smoke else LOGICAL)
        report["synthetic"][n] = {"total": total, "views": per_view, "cpu": cpu() - cpu_before}
    report["load_after"] = load_average()

    if args.json:
        emit(report, figures_of(report))
        return
    if args.smoke:
        print_figures(figures_of(report))
        print_load("after", report["load_after"])
        return
    b = report["bundled_render"]
    print_load("after", report["load_after"])
    print("(CPU seconds in brackets do not depend on the load)")
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
    if "build_all_cold" in c:
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
