"""Benchmark: the analytics app at 10M orders against the naive full-scan approach.

Run: .venv/bin/python bench/app_bench.py [--orders 10000000] [--requests 200] [--concurrency 2] [--json]

1. Seeds N orders as Parquet (deterministic generator), then ingests them into a
   fresh database (validation, sort check, every derived table, atomic publish).
2. Starts `uvicorn app.main:app --workers 2` (uvloop, httptools) on 127.0.0.1 and
   sends a bounded load to every analytics endpoint: a fixed number of requests
   per endpoint from `--concurrency` keep-alive clients; p50/p95 latency and
   requests/s as the client sees them, and the servers' peak RSS.
3. Baseline, in the same run: the same questions answered the naive way, by
   full-scan SQL over the orders table per request, run directly in DuckDB (no
   HTTP, so the ratio is conservative). It prints naive p50 / app p50.
4. Concurrency, side by side in the same run (``--hot``): KPIs, revenue and top products
   at ``--hot-concurrency`` (16) clients on 2 workers, repeated queries, once with the
   per-version response cache (the default) and once with it off
   (``STACKS_APP_RESPONSE_CACHE_BYTES=0``: every request runs its queries, the naive
   baseline); p50/p95/p99 and requests/s. ``--skip-sweep`` runs only this part.
Only 127.0.0.1 is contacted. Targets: p95 <= 50 ms, >= 10x on the heavy ones
(cohorts, RFM, top products), ingest <= 10 s, server RSS <= 2 GB; at concurrency 16 on
2 workers p99 <= 50 ms for kpis, revenue and top products and >= 2,000 req/s for
repeated queries. The report states the machine's load average: on a shared machine
the figures are what the other processes left.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import httpx  # noqa: E402

from app.ingest import find_sources, ingest  # noqa: E402
from app.seed import seed  # noqa: E402
from bench.common import emit, figure, print_load  # noqa: E402

NET = "status IN ('delivered', 'shipped', 'processing')"

# (name, path, params, heavy) - dates are resolved against the seeded span (2023-01-01 .. 2025-12-31).
ENDPOINTS = [
    ("kpis 30d", "/api/v1/kpis", {}, False),
    ("kpis 1y", "/api/v1/kpis", {"start": "2025-01-01", "end": "2025-12-31"}, False),
    ("kpis 30d US", "/api/v1/kpis", {"country": "US"}, False),
    ("revenue monthly 1y", "/api/v1/revenue", {"granularity": "month"}, False),
    (
        "revenue daily 90d DE home",
        "/api/v1/revenue",
        {"start": "2025-10-03", "end": "2025-12-31", "country": "DE", "category": "home"},
        False,
    ),
    # The naive approach reads only 30 days of date-sorted orders here: not a full scan, so not "heavy".
    ("top products 30d", "/api/v1/products/top", {}, False),
    (
        "top products 1y units",
        "/api/v1/products/top",
        {"start": "2025-01-15", "end": "2025-12-20", "by": "units", "limit": 20},
        True,
    ),
    ("top products all time", "/api/v1/products/top", {"start": "2023-01-01", "end": "2025-12-31"}, True),
    ("products", "/api/v1/products", {"page_size": 50}, False),
    ("product detail", "/api/v1/products/42", {}, False),
    ("categories", "/api/v1/categories", {}, False),
    ("countries", "/api/v1/countries", {}, False),
    ("customers by revenue", "/api/v1/customers", {"page_size": 50}, False),
    ("customer detail", "/api/v1/customers/12345", {}, False),
    ("rfm segments", "/api/v1/segments/rfm", {}, True),
    ("cohorts 12m", "/api/v1/cohorts", {}, True),
    ("churn risk", "/api/v1/churn-risk", {"limit": 100}, False),
    ("orders latest", "/api/v1/orders", {"page_size": 50}, False),
    ("orders filtered", "/api/v1/orders", {"status": "returned", "country": "FR", "page_size": 50}, False),
    ("order detail", "/api/v1/orders/1234567", {}, False),
    ("datasets", "/api/v1/datasets", {}, False),
]

# The same questions, answered by scanning the base tables on every request.
NAIVE = {
    "kpis 30d": f"""
        SELECT count(*) FILTER (WHERE order_date >= DATE '2025-12-02'), sum(quantity * unit_price)
                   FILTER (WHERE order_date >= DATE '2025-12-02'),
               count(DISTINCT customer_id) FILTER (WHERE order_date >= DATE '2025-12-02'),
               count(*) FILTER (WHERE order_date < DATE '2025-12-02'),
               count(DISTINCT customer_id) FILTER (WHERE order_date < DATE '2025-12-02')
        FROM orders WHERE {NET} AND order_date BETWEEN DATE '2025-11-02' AND DATE '2025-12-31'""",
    "kpis 1y": f"""
        SELECT count(*) FILTER (WHERE order_date >= DATE '2025-01-01'), sum(quantity * unit_price)
                   FILTER (WHERE order_date >= DATE '2025-01-01'),
               count(DISTINCT customer_id) FILTER (WHERE order_date >= DATE '2025-01-01'),
               count(*) FILTER (WHERE order_date < DATE '2025-01-01'),
               count(DISTINCT customer_id) FILTER (WHERE order_date < DATE '2025-01-01')
        FROM orders WHERE {NET} AND order_date BETWEEN DATE '2024-01-01' AND DATE '2025-12-31'""",
    "revenue monthly 1y": f"""
        SELECT date_trunc('month', order_date), count(*), sum(quantity), sum(quantity * unit_price)
        FROM orders WHERE {NET} AND order_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
        GROUP BY 1 ORDER BY 1""",
    "top products 30d": f"""
        SELECT o.product_id, any_value(p.name), count(*), sum(quantity), sum(quantity * o.unit_price) AS revenue
        FROM orders o LEFT JOIN products p USING (product_id)
        WHERE {NET} AND order_date BETWEEN DATE '2025-12-02' AND DATE '2025-12-31'
        GROUP BY 1 ORDER BY revenue DESC, 1 LIMIT 10""",
    "top products 1y units": f"""
        SELECT o.product_id, any_value(p.name), count(*), sum(quantity) AS units, sum(quantity * o.unit_price)
        FROM orders o LEFT JOIN products p USING (product_id)
        WHERE {NET} AND order_date BETWEEN DATE '2025-01-15' AND DATE '2025-12-20'
        GROUP BY 1 ORDER BY units DESC, 1 LIMIT 20""",
    "top products all time": f"""
        SELECT o.product_id, any_value(p.name), count(*), sum(quantity), sum(quantity * o.unit_price) AS revenue
        FROM orders o LEFT JOIN products p USING (product_id)
        WHERE {NET} AND order_date BETWEEN DATE '2023-01-01' AND DATE '2025-12-31'
        GROUP BY 1 ORDER BY revenue DESC, 1 LIMIT 10""",
    "products": f"""
        SELECT p.product_id, p.name, sum(o.quantity * o.unit_price) AS revenue FROM products p
        LEFT JOIN orders o ON o.product_id = p.product_id AND o.{NET} GROUP BY ALL ORDER BY revenue DESC LIMIT 50""",
    "categories": f"""
        SELECT p.category, count(*), sum(quantity), sum(quantity * o.unit_price) FROM orders o
        JOIN products p USING (product_id)
        WHERE {NET} AND order_date BETWEEN DATE '2025-12-02' AND DATE '2025-12-31' GROUP BY 1""",
    "customers by revenue": f"""
        SELECT c.customer_id, c.name, count(*), sum(quantity * unit_price) AS revenue FROM orders o
        JOIN customers c USING (customer_id) WHERE o.{NET} GROUP BY ALL ORDER BY revenue DESC LIMIT 50""",
    "rfm segments": f"""
        WITH a AS (SELECT customer_id, count(*) AS f, sum(quantity * unit_price) AS m, max(order_date) AS last
                   FROM orders WHERE {NET} GROUP BY 1),
             s AS (SELECT m, ntile(5) OVER (ORDER BY last, customer_id DESC) AS r,
                          ntile(5) OVER (ORDER BY f, customer_id DESC) AS fs FROM a)
        SELECT CASE WHEN r >= 4 AND fs >= 4 THEN 'champions' WHEN r >= 3 AND fs >= 3 THEN 'loyal'
                    WHEN r >= 4 THEN 'new' WHEN r = 3 THEN 'promising' WHEN fs >= 4 THEN 'cant_lose'
                    WHEN fs >= 3 THEN 'at_risk' WHEN r = 2 THEN 'hibernating' ELSE 'lost' END,
               count(*), sum(m) FROM s GROUP BY 1""",
    "cohorts 12m": f"""
        WITH cm AS (SELECT DISTINCT customer_id, date_trunc('month', order_date) AS m FROM orders WHERE {NET}),
             f AS (SELECT customer_id, min(m) AS c FROM cm GROUP BY 1)
        SELECT f.c, datediff('month', f.c, cm.m) AS k, count(*) FROM cm JOIN f USING (customer_id)
        WHERE f.c >= DATE '2025-01-01' AND datediff('month', f.c, cm.m) <= 12 GROUP BY 1, 2 ORDER BY 1, 2""",
    "churn risk": f"""
        WITH a AS (SELECT customer_id, count(*) AS n, sum(quantity * unit_price) AS m, min(order_date) AS first,
                          max(order_date) AS last FROM orders WHERE {NET} GROUP BY 1),
             t AS (SELECT max(last) AS as_of FROM a)
        SELECT customer_id, n, m FROM a, t WHERE n >= 2 AND datediff('day', last, as_of)
              > greatest(2 * datediff('day', first, last) / (n - 1), 30)
        ORDER BY m DESC, customer_id LIMIT 100""",
    "customer detail": f"""
        SELECT count(*), sum(quantity * unit_price), min(order_date), max(order_date),
               (SELECT list(order_id ORDER BY order_date DESC, order_id DESC)[1:20] FROM orders
                WHERE customer_id = 12345)
        FROM orders WHERE customer_id = 12345 AND {NET}""",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its children, in bytes (Linux /proc)."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return total


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def load(url: str, path: str, params: dict, requests: int, concurrency: int) -> dict:
    """Send ``requests`` GETs from ``concurrency`` keep-alive connections; client-side latencies.

    The client is the standard library's http.client: on a 2-core machine a heavier client
    would take CPU from the server it measures."""
    host, port = url.removeprefix("http://").split(":")
    target = path + ("?" + urlencode(params) if params else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker():
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", target)
        conn.getresponse().read()  # warm the connection (not measured)
        while True:
            with lock:
                if next(counter, None) is None:
                    break
            start = time.perf_counter()
            conn.request("GET", target)
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if response.status != 200:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "p50_ms": pct(latencies, 0.5) * 1000,
        "p95_ms": pct(latencies, 0.95) * 1000,
        "p99_ms": pct(latencies, 0.99) * 1000,
        "rps": len(latencies) / wall,
        "errors": errors[0],
        "requests": len(latencies),
    }


def naive(db: Path, sql: str, repeat: int) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("SET enable_progress_bar = false")
    con.execute(sql).fetchall()  # warm the buffer pool, as the app's own reads are warm
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        con.execute(sql).fetchall()
        times.append(time.perf_counter() - start)
    con.close()
    return {"p50_ms": statistics.median(times) * 1000, "p95_ms": pct(times, 0.95) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--concurrency", type=int, default=2, help="concurrent keep-alive clients")
    parser.add_argument("--naive-repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="keep the data here (default: a temporary directory)")
    parser.add_argument("--reuse", action="store_true", help="reuse --workdir's database (skip seed and ingest)")
    parser.add_argument("--threads", type=int, help="STACKS_APP_THREADS for the server (DuckDB threads per worker)")
    parser.add_argument("--hot", action="store_true", help="also run the concurrency comparison (cache vs none)")
    parser.add_argument("--hot-requests", type=int, default=2000, help="requests per endpoint in the comparison")
    parser.add_argument("--hot-concurrency", type=int, default=16)
    parser.add_argument("--skip-sweep", action="store_true", help="skip the every-endpoint sweep")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="20,000 orders, 5 requests per endpoint: seconds")
    args = parser.parse_args()
    if args.smoke:  # `make test` runs this so a broken benchmark fails the suite (see bench/run.py)
        args.orders, args.requests, args.naive_repeat, args.hot_requests = 20_000, 5, 1, 50
    if args.reuse and not args.workdir:
        parser.error("--reuse needs --workdir")

    tmp = tempfile.TemporaryDirectory(prefix="app-bench-") if args.workdir is None else None
    work = Path(tmp.name) if tmp else args.workdir
    work.mkdir(parents=True, exist_ok=True)
    db, parquet = work / "shop.duckdb", work / "parquet"
    report: dict = {
        "orders": args.orders,
        "concurrency": args.concurrency,
        "requests": args.requests,
        "threads": args.threads,
        "load_average_at_start": os.getloadavg()[0],
    }
    if not args.reuse:
        db.unlink(missing_ok=True)
        prepare(args, work, db, parquet, report)
    if not args.skip_sweep:
        serve_and_measure(args, db, report)
    if args.hot:
        hot_comparison(args, db, report)
    if tmp:
        tmp.cleanup()
    report["load_after"] = os.getloadavg()
    if args.json:
        emit(report, figures_of(report))
    else:
        print_table(report)
        print(f"load average at the start: {report['load_average_at_start']:.2f}")
        print_load("after", [round(x, 2) for x in report["load_after"]])
    return 0


def prepare(args, work: Path, db: Path, parquet: Path, report: dict) -> None:
    start = time.perf_counter()
    seed(None, args.orders, 42, parquet=parquet)
    report["seed_parquet_s"] = time.perf_counter() - start
    log(f"seeded {args.orders:,} orders to Parquet in {report['seed_parquet_s']:.1f} s")
    result = ingest(db, find_sources(parquet), "replace", source_label="bench")
    report["ingest_s"] = result.seconds
    report["ingest_steps_s"] = {k: round(v, 2) for k, v in result.steps.items()}
    log(f"ingested {args.orders:,} orders + derived tables in {result.seconds:.1f} s")
    start = time.perf_counter()
    seeded = seed(work / "seeded.duckdb", args.orders, 42)
    report["seed_db_s"] = time.perf_counter() - start
    report["seed_generate_s"] = seeded["generate_seconds"]
    (work / "seeded.duckdb").unlink()
    log(
        f"seeded {args.orders:,} orders straight into DuckDB in {report['seed_db_s']:.1f} s "
        f"(generation {seeded['generate_seconds']:.1f} s, the rest derived tables)"
    )


@contextlib.contextmanager
def serving(db: Path, threads: int | None = None, extra_env: dict | None = None):
    """``uvicorn app.main:app --workers 2`` on a free loopback port, ready; yields (url, process)."""
    port = free_port()
    env = {**os.environ, "STACKS_APP_DATABASE": str(db), "STACKS_APP_LOG_LEVEL": "warning", **(extra_env or {})}
    if threads:
        env["STACKS_APP_THREADS"] = str(threads)
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "2", "--loop", "uvloop", "--http", "httptools", "--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the app did not become ready")
            time.sleep(0.2)
        yield url, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def serve_and_measure(args, db: Path, report: dict) -> None:
    rows = []
    peak_rss = 0
    with serving(db, args.threads) as (url, server):
        for name, path, params, heavy in ENDPOINTS:
            stats = load(url, path, params, args.requests, args.concurrency)
            peak_rss = max(peak_rss, tree_rss(server.pid))
            row = {"endpoint": name, "heavy": heavy, **stats}
            if name in NAIVE:
                base = naive(db, NAIVE[name], args.naive_repeat)
                row["naive_p50_ms"] = base["p50_ms"]
                row["speedup"] = base["p50_ms"] / stats["p50_ms"]
            rows.append(row)
            log(
                f"{name:28} p50 {stats['p50_ms']:6.1f} ms  p95 {stats['p95_ms']:6.1f} ms  {stats['rps']:7.1f} req/s"
                + (f"  naive {row['naive_p50_ms']:7.1f} ms  x{row['speedup']:.0f}" if "speedup" in row else "")
            )
    report["server_peak_rss_mb"] = peak_rss / 2**20
    report["endpoints"] = rows
    report["max_p95_ms"] = max(r["p95_ms"] for r in rows)
    report["min_heavy_speedup"] = min(r["speedup"] for r in rows if r["heavy"] and "speedup" in r)


HOT = ("kpis 30d", "revenue monthly 1y", "top products 30d")


def hot_comparison(args, db: Path, report: dict) -> None:
    """The same repeated queries at high concurrency, with the response cache and without it."""
    rows = []
    for mode, extra in (("cached", {}), ("no cache", {"STACKS_APP_RESPONSE_CACHE_BYTES": "0"})):
        with serving(db, args.threads, extra) as (url, _):
            for name, path, params, _heavy in ENDPOINTS:
                if name not in HOT:
                    continue
                stats = load(url, path, params, args.hot_requests, args.hot_concurrency)
                rows.append({"mode": mode, "endpoint": name, **stats})
                log(
                    f"{mode:8} {name:22} p50 {stats['p50_ms']:6.1f} ms  p95 {stats['p95_ms']:6.1f} ms  "
                    f"p99 {stats['p99_ms']:6.1f} ms  {stats['rps']:7.1f} req/s  errors {stats['errors']}"
                )
    report["hot"] = {"concurrency": args.hot_concurrency, "requests": args.hot_requests, "rows": rows}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def figures_of(report: dict) -> list[dict]:
    """For bench/results.json: each endpoint's p50 (against the naive full scan where there is one), ingest, RSS."""
    naive = "naive full-scan SQL p50 (DuckDB, no HTTP)"
    out = [
        figure(f"{r['endpoint']}: p50", r["p50_ms"], "ms", baseline=r.get("naive_p50_ms"), baseline_name=naive)
        for r in report.get("endpoints", [])
    ]
    if "max_p95_ms" in report:
        out.append(figure("max p95 over the endpoints", report["max_p95_ms"], "ms", target="<= 50 ms"))
    out += hot_figures(report)
    if "ingest_s" in report:
        out.append(
            figure(
                f"ingest {report['orders']:,} orders",
                report["ingest_s"],
                baseline=report["seed_parquet_s"],
                baseline_name="generating them as Parquet",
                target="<= 10 s",
            )
        )
    if "server_peak_rss_mb" in report:
        out.append(figure("server peak RSS (master + 2 workers)", report["server_peak_rss_mb"], "MB", target="<= 2 GB"))
    return out


def hot_figures(report: dict) -> list[dict]:
    """Concurrency 16 on 2 workers: the cached p99 and req/s against the same run without the cache."""
    if "hot" not in report:
        return []
    rows = {(r["mode"], r["endpoint"]): r for r in report["hot"]["rows"]}
    out = []
    for name in HOT:
        cached, plain = rows[("cached", name)], rows[("no cache", name)]
        label = f"{name} at concurrency {report['hot']['concurrency']}"
        out.append(
            figure(
                f"{label}: p99",
                cached["p99_ms"],
                "ms",
                baseline=plain["p99_ms"],
                baseline_name="no cache",
                target="<= 50 ms",
            )
        )
        out.append(
            figure(
                f"{label}: req/s",
                cached["rps"],
                "req/s",
                baseline=plain["rps"],
                baseline_name="no cache",
                target=">= 2000 req/s",
            )
        )
    return out


def print_hot(report: dict) -> None:
    hot = report["hot"]
    print(
        f"\nconcurrency {hot['concurrency']} on 2 workers, {hot['requests']} repeated requests per endpoint "
        f"(load average {report['load_average_at_start']:.1f} at start, {report['load_after'][0]:.1f} at end)\n"
    )
    print("| endpoint | mode | p50 ms | p95 ms | p99 ms | req/s |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for r in hot["rows"]:
        print(
            f"| {r['endpoint']} | {r['mode']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['rps']:.0f} |"
        )


def print_table(report: dict) -> None:
    if "hot" in report:
        print_hot(report)
    if "endpoints" not in report:
        return
    print(
        f"\n{report['orders']:,} orders, 2 uvicorn workers, {report['concurrency']} concurrent clients, "
        f"{report['requests']} requests per endpoint\n"
    )
    print("| endpoint | p50 ms | p95 ms | req/s | naive p50 ms | speed-up |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in report["endpoints"]:
        naive_ms = f"{r['naive_p50_ms']:.0f}" if "naive_p50_ms" in r else ""
        speedup = f"{r['speedup']:.0f}x" if "speedup" in r else ""
        name = f"**{r['endpoint']}**" if r["heavy"] else r["endpoint"]
        print(f"| {name} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['rps']:.0f} | {naive_ms} | {speedup} |")
    if "ingest_s" not in report:
        return
    print(
        f"\nseed {report['orders']:,} orders: {report['seed_generate_s']:.1f} s generation "
        f"({report['seed_db_s']:.1f} s into DuckDB with derived tables; {report['seed_parquet_s']:.1f} s to Parquet)"
    )
    print(f"ingest {report['orders']:,} orders from Parquet incl. derived tables: {report['ingest_s']:.1f} s")
    print(f"server peak RSS (master + 2 workers): {report['server_peak_rss_mb']:.0f} MB")
    print(
        f"max p95: {report['max_p95_ms']:.1f} ms; min speed-up on heavy endpoints: {report['min_heavy_speedup']:.0f}x"
    )


if __name__ == "__main__":
    sys.exit(main())
