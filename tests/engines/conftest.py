"""Fixtures for the engine tests: a seeded database, a real moto S3 server on 127.0.0.1, the lake."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.lake import job as lake_job

API_KEY = "test-key-0123456789"
ORDERS = 3000
SEED = 7


@pytest.fixture(scope="session")
def small_db(tmp_path_factory) -> Path:
    from app.seed import seed

    path = tmp_path_factory.mktemp("engines") / "shop.duckdb"
    seed(path, ORDERS, SEED)
    return path


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 API (moto's server) on loopback; DuckDB's httpfs talks HTTP to it. Its own process:
    moto's in-process backends are reset by every ``mock_aws`` test (the Athena and Glue ones)."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto server did not start: pip install 'moto[server]'") from None
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def lake_settings(endpoint: str, lake_uri: str, database: Path | None = None, **overrides):
    from app.settings import Settings

    values = {
        "engine": "lake",
        "lake_uri": lake_uri,
        "s3_endpoint": endpoint,
        "s3_use_ssl": False,
        "s3_access_key_id": "testing",
        "s3_secret_access_key": "testing",
        "aws_region": "us-east-1",
        "lake_refresh_seconds": 0,
        "log_level": "warning",
        "threads": 2,
        "database": database or Path("/nonexistent/shop.duckdb"),
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture()
def bucket(s3_server) -> str:
    """A fresh bucket per test: s3://<name>/tables/ is the lake root."""
    import boto3

    name = "lake-" + uuid.uuid4().hex[:12]
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def published_lake(s3_server, small_db, tmp_path_factory):
    """The small database published to a lake bucket once: (settings, manifest)."""
    import boto3

    name = "lake-shared"
    boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=name)
    settings = lake_settings(s3_server, f"s3://{name}/tables/")
    manifest = lake_job.publish_database(small_db, settings)
    return settings, manifest
