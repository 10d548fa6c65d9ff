"""Benchmark: rendering and validating the local stack (Dockerfile + docker-compose profiles).

Run: .venv/bin/python bench/compose_bench.py [--sizes 30,120,300] [--repeat 20] [--json] [--smoke]

Baseline, measured in the same run: loading and validating the same stacks.yaml
(`load_project`). Then, for the bundled model and synthetic models of N components
(every kind, connections between neighbours, a compose stack with dev + prod): the
compose render (plan + templates, in memory) as a ratio of the baseline, and one
`docker-compose config --quiet` per profile on the rendered file.
``--smoke``: the bundled model and 9 components, 2 repeats (seconds; the test suite runs it).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import emit, figure, load_average, print_load  # noqa: E402
from deploy.compose import lint  # noqa: E402
from deploy.compose.render import render  # noqa: E402
from stacks.project import load_project  # noqa: E402

KINDS = ("service", "worker", "job", "frontend", "bucket", "database", "cache", "queue", "warehouse")


def synthetic(n: int) -> str:
    import yaml

    comps: dict[str, dict] = {}
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        cid = f"{kind[:3]}-{i}"
        comp: dict = {"kind": kind}
        if kind in ("service", "worker", "job", "frontend"):
            comp["build"] = {"context": "."}
            comp["command"] = ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--workers", "2"]
            comp["secrets"] = {"API_KEY": f"syn/{cid}-key"}
        if kind == "service":
            comp["data_dir"] = "/data"
        comps[cid] = comp
    ids = list(comps)
    conns = [{"from": ids[i], "to": ids[i + 1]} for i in range(len(ids) - 1)]
    doc = {
        "version": 1,
        "system": {"name": "syn"},
        "components": comps,
        "connections": conns,
        "stacks": {"local": {"target": "compose", "environments": {"dev": {}, "prod": {}}}},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(label: str, path: Path, repeat: int) -> dict:
    baseline = timed(lambda: load_project(path), repeat)
    project = load_project(path)
    rendered = timed(lambda: render(project), repeat)
    artifacts = render(project).artifacts
    compose = next(a for a in artifacts if a.path.startswith("docker-compose"))
    target = path.parent / compose.path
    target.write_bytes(compose.content)
    (path.parent / ".env").write_bytes(next(a for a in artifacts if a.path == ".env").content)
    started = time.perf_counter()
    findings = lint.compose_findings(target, ["dev", "prod"])
    config = (time.perf_counter() - started) / 2
    assert not findings, findings
    return {
        "model": label,
        "components": len(project.model.components),
        "services": compose.content.count(b"\n    profiles: "),
        "validate_ms": baseline * 1000,
        "render_ms": rendered * 1000,
        "render_vs_validate": rendered / baseline,
        "compose_config_ms": config * 1000,
    }


def figures_of(rows: list[dict]) -> list[dict]:
    """Each model's render against loading and validating the same file, and one `docker-compose config`."""
    out = []
    for r in rows:
        label = f"{r['model']} ({r['components']} components, {r['services']} compose services)"
        base, name = r["validate_ms"], "load + validate the same file"
        out.append(figure(f"{label}: render", r["render_ms"], "ms", baseline=base, baseline_name=name))
        out.append(
            figure(
                f"{label}: `docker-compose config` per profile",
                r["compose_config_ms"],
                "ms",
                baseline=base,
                baseline_name=name,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,120,300")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="9 components, 2 repeats: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.sizes, args.repeat = "9", 2
    load_before = load_average()
    if not args.json:
        print_load("before", load_before)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        bundled = Path(tmp) / "bundled" / "stacks.yaml"
        bundled.parent.mkdir()
        bundled.write_text((ROOT / "stacks.yaml").read_text())
        rows.append(measure("bundled", bundled, args.repeat))
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"syn{n}" / "stacks.yaml"
            path.parent.mkdir()
            path.write_text(synthetic(n))
            rows.append(measure(f"synthetic-{n}", path, max(3, args.repeat // 4)))
    if args.json:
        report = {"load_before": load_before, "load_after": load_average(), "smoke": args.smoke, "rows": rows}
        emit(report, figures_of(rows))
        return
    print(
        f"{'model':<15} {'comps':>5} {'svcs':>5} {'validate':>10} {'render':>10} {'render/validate':>16} "
        f"{'compose config':>15}"
    )
    for r in rows:
        print(
            f"{r['model']:<15} {r['components']:>5} {r['services']:>5} {r['validate_ms']:>8.1f}ms "
            f"{r['render_ms']:>8.1f}ms {r['render_vs_validate']:>15.2f}x {r['compose_config_ms']:>13.1f}ms"
        )
    big = rows[-1]
    print(
        f"render of {big['components']} components ({big['services']} compose services): {big['render_ms']:.0f} ms, "
        f"{big['render_vs_validate']:.2f}x the time to load and validate the same file"
    )
    print_load("after", load_average())


if __name__ == "__main__":
    main()
