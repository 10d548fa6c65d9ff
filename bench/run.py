"""`make bench`: run every benchmark and write bench/results.json.

Run: .venv/bin/python bench/run.py [--only diagrams,diff] [--smoke] [--output bench/results.json]
(``--only`` re-runs those benchmarks and keeps the other entries of the output file.)

Each benchmark in ``BENCHMARKS`` runs as its own process with ``--json`` (and
``--smoke`` for tiny sizes), one after the other so they do not compete for the
cores, each bounded by a timeout. The file records, per benchmark, its figures
(value, baseline measured in the same run, ratio, target), the load average before
and after it and how long it took, plus the machine's core count. ``bench/tables.py``
turns the file into the tables of docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load_average, print_load  # noqa: E402

# name -> (script, arguments of a full run, timeout in seconds of a full run). The full runs are sized to stay
# within minutes on a shared 2-core machine: the app at 1M orders (run bench/app_bench.py alone for 10M).
BENCHMARKS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "app": ("bench/app_bench.py", ("--orders", "1000000", "--requests", "50", "--naive-repeat", "3"), 900),
    "diagrams": ("bench/diagrams_bench.py", ("--sizes", "50,150,300"), 900),
    "plan-aws": ("bench/plan_bench.py", ("--repeat", "2"), 900),
    "plan-gcp": ("bench/plan_gcp_bench.py", ("--repeat", "2"), 600),
    "compose": ("bench/compose_bench.py", (), 300),
    "engines": ("bench/engines_bench.py", ("--repeat", "3"), 900),
    "diff": ("bench/diff_bench.py", ("--repeat", "2"), 300),
}
SMOKE_TIMEOUT = 300
# Quick ones first: on a busy machine the long ones are the likeliest to time out.
RUN_ORDER = ("diff", "compose", "plan-gcp", "diagrams", "plan-aws", "engines", "app")


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def run_one(name: str, smoke: bool) -> dict:
    """One benchmark as a subprocess; its JSON plus the load average around it and its wall time."""
    script, extra, timeout = BENCHMARKS[name]
    cmd = [sys.executable, script, "--json", *(("--smoke",) if smoke else extra)]
    before = load_average()
    started = time.perf_counter()
    entry = {"date": now(), "script": script, "command": " ".join(cmd[1:]), "load_before": before}
    limit = SMOKE_TIMEOUT if smoke else timeout
    # A session of its own: on timeout the whole group goes, servers a benchmark started included.
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {**entry, "error": f"timed out after {limit} s", "load_after": load_average(), "figures": []}
    seconds = round(time.perf_counter() - started, 1)
    output: dict = {}
    if proc.returncode == 0:
        with contextlib.suppress(json.JSONDecodeError):
            output = json.loads(stdout)
    if not output.get("figures"):
        error = f"exit {proc.returncode}, no figures: {stderr.strip()[-1500:]}"
        return {**entry, "error": error, "seconds": seconds, "load_after": load_average(), "figures": []}
    return {**entry, "seconds": seconds, "load_after": load_average(), "figures": output["figures"]}


def write(path: Path, results: dict) -> None:
    """The results file, benchmarks in ``BENCHMARKS`` order whatever order they ran in."""
    ordered = {n: results["benchmarks"][n] for n in BENCHMARKS if n in results["benchmarks"]}
    path.write_text(json.dumps({**results, "benchmarks": ordered}, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma-separated: {', '.join(BENCHMARKS)}")
    parser.add_argument("--smoke", action="store_true", help="every benchmark at tiny sizes (seconds each)")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    results = {
        "date": now(),
        "smoke": args.smoke,
        "cores": os.cpu_count(),
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "benchmarks": {},
    }
    if args.only and args.output.exists():  # re-running some benchmarks keeps the others' entries
        previous = json.loads(args.output.read_text())
        if previous.get("smoke") == args.smoke:
            results["benchmarks"] = previous.get("benchmarks", {})
    print_load("at the start", load_average())
    failed = []
    for name in sorted(names, key=RUN_ORDER.index):
        print(f"running {name} ({BENCHMARKS[name][0]}{' --smoke' if args.smoke else ''})", flush=True)
        results["benchmarks"][name] = entry = run_one(name, args.smoke)
        write(args.output, results)  # after each benchmark: an interrupted run keeps what it measured
        if "error" in entry:
            failed.append(name)
            print(f"  FAILED: {entry['error']}", flush=True)
        else:
            print(
                f"  {len(entry['figures'])} figures in {entry['seconds']} s; load {entry['load_before'][0]} -> "
                f"{entry['load_after'][0]}",
                flush=True,
            )
    print(f"wrote {args.output}")
    if failed:  # the file keeps what the others measured; the run still fails
        raise SystemExit(f"{len(failed)} benchmark(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
