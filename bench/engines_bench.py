"""Benchmark: the same API endpoint set on the ``duckdb`` engine (local file) vs ``lake`` (Parquet on
a moto S3 server on 127.0.0.1, read by DuckDB's httpfs), in one run.

Run: .venv/bin/python bench/engines_bench.py [--orders 100000] [--repeat 5] [--memory-rows 200000] [--json] [--smoke]

Seeds N orders, publishes the database to the lake (timed), opens both engines (the lake's first
open, which loads the small tables into memory, is timed), then calls every endpoint of
``tests/engines/endpoints.py`` ``--repeat`` times per engine through the ASGI app (FastAPI
TestClient, no network for the API itself) and prints the median per endpoint and the ratio
lake / duckdb. Only 127.0.0.1 is contacted. Bounded: endpoints x repeat requests per engine.
``--smoke``: 200 orders (about 200 day partitions), one call per endpoint but the two single-record look-ups
(seconds; the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from app.lake.job import publish_database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.seed import seed  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.common import emit, figure, load_average, print_load  # noqa: E402
from tests.engines.conftest import lake_settings  # noqa: E402
from tests.engines.endpoints import ENDPOINTS, comparable  # noqa: E402

# Look-ups of one customer or order need the full dataset (order 1234 exists from 1,234 orders on).
NEEDS_FULL_DATA = ("/customers/42", "/orders/1234")


def timed_calls(client, repeat: int, endpoints: list[str]) -> tuple[dict[str, float], dict[str, dict]]:
    times, answers = {}, {}
    for path in endpoints:
        samples = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            r = client.get(path)
            samples.append(time.perf_counter() - t0)
            if r.status_code != 200:
                raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
        times[path] = statistics.median(samples)
        answers[path] = comparable(path, r.json())
    return times, answers


def figures_of(rows: list[dict], publish_s: float, seed_s: float, orders: int) -> list[dict]:
    """The lake engine against the local file, endpoint by endpoint in the same run."""
    worst = max(rows, key=lambda r: r["ratio"])
    return [
        figure(
            f"publish {orders:,} orders to the lake (moto S3)",
            publish_s,
            baseline=seed_s,
            baseline_name="seeding the same database",
        ),
        figure(
            "median endpoint, lake engine",
            statistics.median(r["lake_ms"] for r in rows),
            "ms",
            baseline=statistics.median(r["duckdb_ms"] for r in rows),
            baseline_name="median endpoint, duckdb",
        ),
        figure(
            f"slowest relative endpoint on lake: {worst['endpoint']}",
            worst["lake_ms"],
            "ms",
            baseline=worst["duckdb_ms"],
            baseline_name="the same endpoint on duckdb",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--memory-rows", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="200 orders, one call per endpoint: seconds")
    args = parser.parse_args()
    if args.smoke:
        args.orders, args.repeat = 200, 1
    endpoints = [p for p in ENDPOINTS if not (args.smoke and p.endswith(NEEDS_FULL_DATA))]
    load_before = load_average()
    if not args.json:
        print_load("before", load_before)
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="bench-lake")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "shop.duckdb"
            t0 = time.perf_counter()
            seed(db, args.orders, 7)
            seed_s = time.perf_counter() - t0
            settings = lake_settings(
                endpoint, "s3://bench-lake/tables/", lake_refresh_seconds=3600, lake_memory_rows=args.memory_rows
            )
            t0 = time.perf_counter()
            publish_database(db, settings)
            publish_s = time.perf_counter() - t0
            local = Settings(database=db, log_level="warning", threads=2)
            with TestClient(create_app(local)) as c:
                local_times, local_answers = timed_calls(c, args.repeat, endpoints)
            with TestClient(create_app(settings)) as c:  # STACKS_APP_ENGINE=lake, from settings alone
                t0 = time.perf_counter()
                c.get("/ready")
                open_s = time.perf_counter() - t0
                lake_times, lake_answers = timed_calls(c, args.repeat, endpoints)
    finally:
        server.stop()
    same = sum(local_answers[p] == lake_answers[p] for p in endpoints)
    rows = [
        {
            "endpoint": p,
            "duckdb_ms": round(local_times[p] * 1000, 2),
            "lake_ms": round(lake_times[p] * 1000, 2),
            "ratio": round(lake_times[p] / local_times[p], 2),
        }
        for p in endpoints
    ]
    summary = {
        "orders": args.orders,
        "memory_rows": args.memory_rows,
        "publish_s": round(publish_s, 2),
        "lake_open_s": round(open_s, 2),
        "same_answers": f"{same}/{len(endpoints)}",
        "median_ratio": round(statistics.median(r["ratio"] for r in rows), 2),
    }
    if args.json:
        report = {"load_before": load_before, "load_after": load_average(), "smoke": args.smoke}
        emit({**report, "summary": summary, "endpoints": rows}, figures_of(rows, publish_s, seed_s, args.orders))
    else:
        print(f"{'endpoint':70} {'duckdb ms':>10} {'lake ms':>10} {'ratio':>7}")
        for r in rows:
            print(f"{r['endpoint']:70} {r['duckdb_ms']:>10} {r['lake_ms']:>10} {r['ratio']:>7}")
        print(json.dumps(summary))
        print_load("after", load_average())
    return 0 if same == len(endpoints) else 1


if __name__ == "__main__":
    sys.exit(main())
