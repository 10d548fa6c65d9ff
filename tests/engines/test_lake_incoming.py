"""The ingest job on an S3 lake as the stacks trigger it (``--source s3://<lake>/incoming/``, append):
consumed objects move to processed/<version>/, so the next file's run does not ingest them again."""

from __future__ import annotations

import json

import boto3
import pytest

from app.errors import AppError
from tests.engines.conftest import lake_settings


def _s3(endpoint):
    return boto3.client("s3", endpoint_url=f"http://{endpoint}", region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _keys(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def _manifest(s3, bucket):
    return json.loads(s3.get_object(Bucket=bucket, Key="tables/_manifest.json")["Body"].read())


def test_each_drop_is_ingested_once_and_moved_to_processed(s3_server, bucket, small_db):
    from app import lake

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    source = f"s3://{bucket}/incoming/"

    s3.put_object(Bucket=bucket, Key="incoming/products-1.csv",
                  Body=b"product_id,name,category,unit_price\n9101,Lamp,Home,12.50\n")
    one = lake.ingest(source, "append", settings)
    assert one["previous"] == first["version"] and one["moved"] == 1
    assert _keys(s3, bucket, "incoming/") == []
    assert _keys(s3, bucket, "processed/") == [f"processed/{one['version']}/products-1.csv"]
    assert [x["name"] for x in _manifest(s3, bucket)["sources"]] == [f"s3://{bucket}/incoming/products-1.csv"]

    # The second drop: only the new file is read (the first would be a duplicate key in append mode).
    s3.put_object(Bucket=bucket, Key="incoming/products-2.csv",
                  Body=b"product_id,name,category,unit_price\n9102,Chair,Home,40.00\n")
    two = lake.ingest(source, "append", settings)
    assert two["previous"] == one["version"] and two["tables"] == {"products": 1}
    assert _manifest(s3, bucket)["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2

    # Nothing left: a clear error and the manifest is untouched.
    before = _manifest(s3, bucket)
    with pytest.raises(AppError, match="no customers/products/orders"):
        lake.ingest(source, "append", settings)
    assert _manifest(s3, bucket) == before


def test_a_crash_between_publish_and_move_is_finished_by_the_next_run(s3_server, bucket, small_db, monkeypatch):
    from app import lake

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    lake.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/products.csv",
                  Body=b"product_id,name,category,unit_price\n9201,Desk,Home,99.00\n")

    def killed(*args, **kwargs):
        raise AppError(503, "crash", "killed")

    with monkeypatch.context() as mp:
        mp.setattr(lake, "move_processed", killed)
        with pytest.raises(AppError, match="killed"):
            lake.ingest(f"s3://{bucket}/incoming/", "append", settings)
    published = _manifest(s3, bucket)
    assert _keys(s3, bucket, "incoming/") == ["incoming/products.csv"]  # published, not moved

    out = lake.ingest(f"s3://{bucket}/incoming/", "append", settings)
    assert out["version"] == published["version"] and out["moved"] == 1 and out["tables"] == {}
    assert _manifest(s3, bucket)["version"] == published["version"]  # not ingested twice
    assert _keys(s3, bucket, "incoming/") == []
    assert _keys(s3, bucket, "processed/") == [f"processed/{published['version']}/products.csv"]
