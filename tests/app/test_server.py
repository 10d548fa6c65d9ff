"""The app under a real uvicorn on 127.0.0.1: health, readiness, metrics, uploads, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx

from app.seed import seed
from tests.app.conftest import API_KEY, ROOT_DIR, free_port, make_client

ORDERS = "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"


def test_ready_follows_the_database_without_a_restart(tmp_path, server_factory):
    db = tmp_path / "shop.duckdb"
    server = server_factory(db, workers=2)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        assert http.get("/health").json() == {"status": "ok"}
        ready = http.get("/ready")
        assert ready.status_code == 503 and ready.json()["status"] == "not_ready"
        assert http.get("/api/v1/kpis").status_code == 503
        seed(db, 1000, 3)
        for _ in range(8):  # each request may land on either worker: all must see the data
            assert http.get("/ready").status_code == 200
            assert http.get("/api/v1/datasets").json()["tables"][2]["rows"] == 1000


def test_metrics_request_ids_docs_and_cors(small_db, server_factory):
    server = server_factory(small_db, workers=1, env={"STACKS_APP_CORS_ORIGINS": "https://dash.example"})
    with httpx.Client(base_url=server.url, timeout=10) as http:
        response = http.get("/api/v1/kpis", headers={"X-Request-ID": "abc-123", "Origin": "https://dash.example"})
        assert response.headers["x-request-id"] == "abc-123"
        assert response.headers["access-control-allow-origin"] == "https://dash.example"
        assert len(http.get("/health").headers["x-request-id"]) == 32
        metrics = http.get("/metrics").text
        assert 'app_requests_total{method="GET",route="/api/v1/kpis",status="200"}' in metrics
        assert "app_request_duration_seconds_bucket" in metrics
        assert http.get("/docs").status_code == 200
        spec = http.get("/openapi.json").json()
        assert len([p for p in spec["paths"] if p.startswith("/api/v1/")]) >= 15


def test_streamed_upload_over_the_limit_is_cut_off(db_copy, server_factory):
    server = server_factory(db_copy, workers=1, env={"STACKS_APP_MAX_UPLOAD_BYTES": "50000"})

    def body():  # chunked: no Content-Length, so the limit is enforced while the bytes arrive
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="orders.csv"\r\n\r\n'
        yield ORDERS.encode()
        for i in range(5000):
            yield f"{i + 1},2025-01-01,1,1,1,1.00,delivered,US\n".encode()
        yield b"\r\n--b--\r\n"

    with httpx.Client(base_url=server.url, timeout=30) as http:
        before = http.get("/api/v1/datasets").json()["version"]
        response = http.post(
            "/api/v1/ingest/orders",
            content=body(),
            headers={"X-API-Key": API_KEY, "Content-Type": "multipart/form-data; boundary=b"},
        )
        assert response.status_code == 413, response.text
        assert response.json()["error"] == "too_large"
        assert http.get("/api/v1/datasets").json()["version"] == before
    assert list((db_copy.parent / ".uploads").iterdir()) == []


def test_ingest_over_http_is_seen_by_every_worker(db_copy, server_factory):
    server = server_factory(db_copy, workers=2)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        rows = ORDERS + "".join(f"{900000 + i},2025-12-31,1,1,1,2.00,delivered,US\n" for i in range(10))
        response = http.post(
            "/api/v1/ingest/orders",
            params={"mode": "append"},
            headers={"X-API-Key": API_KEY},
            files={"file": ("more.csv", rows.encode(), "text/csv")},
        )
        assert response.status_code == 200, response.text
        total = response.json()["rows"]["orders"]
        for _ in range(8):
            assert http.get("/api/v1/orders", params={"page_size": 1}).json()["total"] == total


def test_stacks_app_seed_and_serve(tmp_path):
    db = tmp_path / "data" / "shop.duckdb"
    stacks = os.path.join(os.path.dirname(sys.executable), "stacks")
    seeded = subprocess.run(
        [stacks, "app", "seed", "--orders", "2000", "--seed", "1", "-d", str(db), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT_DIR,
    )
    assert seeded.returncode == 0, seeded.stderr
    assert json.loads(seeded.stdout)["rows"]["orders"] == 2000
    port = free_port()
    proc = subprocess.Popen(
        [stacks, "app", "serve", "--port", str(port), "-d", str(db)],
        cwd=ROOT_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and proc.poll() is None, "stacks app serve did not start"
                time.sleep(0.2)
        assert ready.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    bad = subprocess.run(
        [stacks, "app", "ingest", "--source", str(tmp_path / "missing"), "-d", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT_DIR,
    )
    assert bad.returncode == 1 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr


def test_testclient_and_uvicorn_agree_on_every_read_endpoint(small_db, server_factory, client):
    server = server_factory(small_db, workers=1)
    paths = [
        route.path
        for route in make_client(small_db).app.routes
        if getattr(route, "methods", None) == {"GET"} and route.path.startswith("/api/v1/")
    ]
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for path in paths:
            url = path.replace("{product_id}", "2").replace("{customer_id}", "3").replace("{order_id}", "4")
            assert http.get(url).json() == client.get(url).json(), url


def test_metrics_aggregate_every_worker_in_multiprocess_mode(small_db, server_factory, tmp_path):
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    server = server_factory(small_db, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)})
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for _ in range(20):  # new connections spread over both workers
            httpx.get(server.url + "/api/v1/datasets", timeout=10)
        text = http.get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("app_requests_total{") and 'route="/api/v1/datasets"' in x)
    assert float(line.split()[-1]) == 20
    assert len(list(metrics_dir.iterdir())) >= 2  # one file per worker process
    cache = {
        x.split('"')[1]: float(x.split()[-1]) for x in text.splitlines() if x.startswith("app_response_cache_total{")
    }
    assert cache["hit"] + cache["miss"] == 20 and 1 <= cache["miss"] <= 2  # one miss per worker at most
    assert 'app_query_duration_seconds_count{engine="duckdb",query="table_rows"}' in text
    assert 'app_data_version_info{version="' in text and "app_data_as_of_timestamp_seconds" in text
