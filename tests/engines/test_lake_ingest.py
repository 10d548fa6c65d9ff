"""The cloud ingest job on the lake: new files -> a new published version; a failure publishes nothing."""

from __future__ import annotations

import boto3
import pytest

from app.engines import lake as lake_engine
from app.errors import AppError
from app.lake import job as lake_job
from tests.engines.conftest import lake_settings


def _s3(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _manifest(s3, bucket):
    return s3.get_object(Bucket=bucket, Key="tables/_manifest.json")["Body"].read()


def test_ingest_job_appends_and_publishes_atomically(s3_server, bucket, small_db):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    before = _manifest(s3, bucket)

    # A bad file (a negative price): the job fails and the published manifest is byte-for-byte the same.
    s3.put_object(
        Bucket=bucket,
        Key="incoming/bad/products.csv",
        Body=b"product_id,name,category,unit_price\n9001,Bad,Home,-1.00\n",
    )
    with pytest.raises(AppError):
        lake_job.ingest(f"s3://{bucket}/incoming/bad/", "append", settings)
    assert _manifest(s3, bucket) == before

    s3.put_object(
        Bucket=bucket,
        Key="incoming/good/products.csv",
        Body=b"product_id,name,category,unit_price\n9001,New lamp,Home,12.50\n",
    )
    out = lake_job.ingest(f"s3://{bucket}/incoming/good/", "append", settings)
    assert out["previous"] == first["version"] and out["version"] != first["version"]
    engine = lake_engine.LakeEngine(settings)
    rows = engine.fetch("SELECT name, unit_price FROM products WHERE product_id = 9001")
    assert [(r["name"], str(r["unit_price"])) for r in rows] == [("New lamp", "12.50")]
    counts = {
        r["table_name"]: r["row_count"]
        for r in engine.fetch("SELECT 'products' AS table_name, count(*) AS row_count FROM products")
    }
    assert counts["products"] == first["tables"]["products"]["rows"] + 1
    log = engine.fetch("SELECT table_name, mode, source FROM ingest_log ORDER BY ingest_id DESC LIMIT 1")
    assert log == [{"table_name": "products", "mode": "append", "source": f"s3://{bucket}/incoming/good/"}]


def test_a_reader_switches_versions_only_when_the_manifest_changes(s3_server, bucket, small_db):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    lake_job.publish_database(small_db, settings)
    engine = lake_engine.LakeEngine(settings)
    v1 = engine.ready()
    assert v1[0] and engine.reopens == 1
    engine.ready()
    assert engine.reopens == 1  # same manifest: same connection
    s3 = _s3(s3_server)
    s3.put_object(
        Bucket=bucket, Key="incoming/products.csv", Body=b"product_id,name,category,unit_price\n9002,Chair,Home,40.00\n"
    )
    out = lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)
    assert engine.ready() == (True, out["version"]) and engine.reopens == 2


def test_the_ingest_command_takes_a_bucket_source(s3_server, bucket, small_db):
    """`python -m app.ingest --source s3://...` (the job's command) ingests into the lake."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(small_db, settings)
    _s3(s3_server).put_object(
        Bucket=bucket,
        Key="incoming/customers.csv",
        Body=b"customer_id,name,email,country,signup_date\n900001,Ada,a@x.io,GB,2025-01-02\n",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STACKS_APP_")},
        "STACKS_APP_ENGINE": "lake",
        "STACKS_APP_LAKE_URI": f"s3://{bucket}/tables/",
        "STACKS_APP_S3_ENDPOINT": s3_server,
        "STACKS_APP_S3_USE_SSL": "false",
        "STACKS_APP_S3_ACCESS_KEY_ID": "testing",
        "STACKS_APP_S3_SECRET_ACCESS_KEY": "testing",
        "STACKS_APP_LOG_LEVEL": "warning",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.ingest", "--source", f"s3://{bucket}/incoming/", "--mode", "append", "--json"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ok"] and out["previous"] == first["version"] and out["tables"] == {"customers": 1}
    assert out["totals"]["customers"] == first["tables"]["customers"]["rows"] + 1


def test_the_ingest_command_on_an_empty_bucket_drop_exits_0_with_nothing_to_ingest(s3_server, bucket):
    """The scheduled cloud job over an empty incoming/ prefix succeeds without publishing anything."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STACKS_APP_")},
        "STACKS_APP_ENGINE": "lake",
        "STACKS_APP_LAKE_URI": f"s3://{bucket}/tables/",
        "STACKS_APP_S3_ENDPOINT": s3_server,
        "STACKS_APP_S3_USE_SSL": "false",
        "STACKS_APP_S3_ACCESS_KEY_ID": "testing",
        "STACKS_APP_S3_SECRET_ACCESS_KEY": "testing",
        "STACKS_APP_LOG_LEVEL": "warning",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.ingest", "--source", f"s3://{bucket}/incoming/", "--json"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ok"] and out["ingested"] is False and out["message"].startswith("nothing to ingest")
    listed = _s3(s3_server).list_objects_v2(Bucket=bucket, Prefix="tables/")
    assert listed.get("KeyCount", 0) == 0  # no version published
