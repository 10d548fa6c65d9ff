"""The ``lake`` engine for real: Parquet on a moto S3 server, read and written by DuckDB's httpfs."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.engines import lake as lake_engine
from tests.engines.conftest import API_KEY, lake_settings
from tests.engines.endpoints import ENDPOINTS, comparable


def _client(settings):
    from app.api.factory import create_app

    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def local_answers(small_db):
    from app.settings import Settings

    settings = Settings(database=small_db, api_key=API_KEY, log_level="warning", threads=2)
    with _client(settings) as c:
        out = {}
        for path in ENDPOINTS:
            r = c.get(path)
            assert r.status_code == 200, (path, r.text)
            out[path] = comparable(path, r.json())
        return out


@pytest.mark.parametrize("memory_rows", [200_000, 0], ids=["small-tables-in-memory", "all-from-parquet"])
def test_every_endpoint_answers_the_same_on_the_lake(published_lake, local_answers, memory_rows):
    """STACKS_APP_ENGINE=lake: the app built from settings alone serves every endpoint from the lake."""
    settings, _ = published_lake
    settings = settings.model_copy(update={"lake_memory_rows": memory_rows})
    with _client(settings) as c:
        for path in ENDPOINTS:
            r = c.get(path)
            assert r.status_code == 200, (path, r.text)
            assert comparable(path, r.json()) == local_answers[path], path
        assert c.get("/api/v1/datasets").json()["engine"] == "lake"
        assert c.app.state.engine.reopens == 1
        assert c.app.state.engine.memory_rows == memory_rows


def test_engine_lake_from_settings_serves_the_api(published_lake):
    settings, manifest = published_lake
    with _client(settings) as c:
        r = c.get("/ready")
        assert r.status_code == 200, r.text
        assert manifest["version"] in r.text
        assert c.get("/api/v1/datasets").json()["engine"] == "lake"
        # Writes go through the ingest job on the lake: the API refuses them.
        up = c.post("/api/v1/ingest/products", files={"file": ("p.csv", b"product_id\n1\n")})
        assert up.status_code == 403, up.text


def test_layout_is_hive_partitioned_by_day_under_a_version_prefix(published_lake, s3_server):
    import boto3

    _, manifest = published_lake
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{s3_server}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lake-shared", Prefix="tables/")
        for o in page.get("Contents", [])
    ]
    v = manifest["version"]
    assert "tables/_manifest.json" in keys
    assert f"tables/customers/version={v}/data_0.parquet" in keys
    assert f"tables/customer_summary/version={v}/data_0.parquet" in keys
    days = [k for k in keys if k.startswith(f"tables/orders/version={v}/order_date=")]
    assert days and all(k.split("order_date=")[1][:10].count("-") == 2 for k in days)
    assert manifest["tables"]["orders"]["rows"] == 3000


def test_nothing_published_is_not_ready(s3_server, bucket):
    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    with _client(settings) as c:
        r = c.get("/ready")
        assert r.status_code == 503
        assert "nothing published" in r.text
        assert c.get("/api/v1/kpis").status_code == 503


def test_credentials_from_the_aws_chain_and_refreshed(published_lake, monkeypatch):
    """No static keys: httpfs gets the AWS chain's credentials (the Fargate task role's in the cloud),
    and a live engine re-reads them periodically without losing its version."""

    settings, manifest = published_lake
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "session")
    chain = settings.model_copy(update={"s3_access_key_id": None, "s3_secret_access_key": None})
    engine = lake_engine.LakeEngine(chain)
    assert engine.ready() == (True, manifest["version"])
    monkeypatch.setattr(lake_engine, "CREDENTIALS_REFRESH_SECONDS", 0.0)
    assert engine.ready() == (True, manifest["version"])
    assert engine.reopens == 1
    secret = engine._con.execute("SELECT secret_string FROM duckdb_secrets() WHERE name = 'lake'").fetchone()[0]
    # The chain's session token reached httpfs (and DuckDB never shows secret values).
    assert "key_id=testing" in secret and "session_token=redacted" in secret and "secret=redacted" in secret
