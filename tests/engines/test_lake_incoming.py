"""The ingest job on an S3 lake as the stacks trigger it (``--source s3://<lake>/incoming/``, append):
consumed objects move to processed/<version>/, so the next file's run does not ingest them again."""

from __future__ import annotations

import json

import boto3
import pytest

from app.catalog import glue as catalog_glue
from app.catalog import versions as catalog_versions
from app.catalog import views as catalog_views
from app.engines import lake as lake_engine
from app.errors import AppError
from app.lake import job as lake_job
from app.lake import manifest as lake_manifest
from app.lake.stores import s3 as s3_store
from tests.engines.conftest import lake_settings


def _s3(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _keys(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def _manifest(s3, bucket):
    return json.loads(s3.get_object(Bucket=bucket, Key="tables/_manifest.json")["Body"].read())


def test_each_drop_is_ingested_once_and_moved_to_processed(s3_server, bucket, small_db):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    source = f"s3://{bucket}/incoming/"

    s3.put_object(
        Bucket=bucket,
        Key="incoming/products-1.csv",
        Body=b"product_id,name,category,unit_price\n9101,Lamp,Home,12.50\n",
    )
    one = lake_job.ingest(source, "append", settings)
    assert one["previous"] == first["version"] and one["moved"] == 1
    assert _keys(s3, bucket, "incoming/") == []
    assert _keys(s3, bucket, "processed/") == [f"processed/{one['version']}/products-1.csv"]
    assert [x["name"] for x in _manifest(s3, bucket)["sources"]] == [f"s3://{bucket}/incoming/products-1.csv"]

    # The second drop: only the new file is read (the first would be a duplicate key in append mode).
    s3.put_object(
        Bucket=bucket,
        Key="incoming/products-2.csv",
        Body=b"product_id,name,category,unit_price\n9102,Chair,Home,40.00\n",
    )
    two = lake_job.ingest(source, "append", settings)
    assert two["previous"] == one["version"] and two["tables"] == {"products": 1}
    assert _manifest(s3, bucket)["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2

    # Nothing left: a clear error and the manifest is untouched.
    before = _manifest(s3, bucket)
    nothing = lake_job.ingest(source, "append", settings)  # an empty drop: success, nothing published
    assert nothing["ingested"] is False and nothing["message"].startswith("nothing to ingest")
    assert _manifest(s3, bucket) == before


def test_a_crash_between_publish_and_move_is_finished_by_the_next_run(s3_server, bucket, small_db, monkeypatch):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    lake_job.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(
        Bucket=bucket, Key="incoming/products.csv", Body=b"product_id,name,category,unit_price\n9201,Desk,Home,99.00\n"
    )

    def killed(*args, **kwargs):
        raise AppError(503, "crash", "killed")

    with monkeypatch.context() as mp:
        mp.setattr(s3_store, "move_processed", killed)
        with pytest.raises(AppError, match="killed"):
            lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)
    published = _manifest(s3, bucket)
    assert _keys(s3, bucket, "incoming/") == ["incoming/products.csv"]  # published, not moved

    out = lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)
    assert out["version"] == published["version"] and out["moved"] == 1 and out["tables"] == {}
    assert _manifest(s3, bucket)["version"] == published["version"]  # not ingested twice
    assert _keys(s3, bucket, "incoming/") == []
    assert _keys(s3, bucket, "processed/") == [f"processed/{published['version']}/products.csv"]


def test_retention_keeps_the_last_versions_and_never_the_published_or_previous(s3_server, bucket, small_db):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/", lake_keep_versions=2)
    first = lake_job.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    source = f"s3://{bucket}/incoming/"
    versions = [first["version"]]
    for i in range(3):
        s3.put_object(
            Bucket=bucket,
            Key=f"incoming/products-{i}.csv",
            Body=f"product_id,name,category,unit_price\n{9301 + i},Item {i},Home,1.00\n".encode(),
        )
        versions.append(lake_job.ingest(source, "append", settings)["version"])
    manifest = _manifest(s3, bucket)
    assert manifest["history"][:2] == [versions[-1], versions[-2]]
    on_disk = {k.split("version=")[1].split("/")[0] for k in _keys(s3, bucket, "tables/") if "version=" in k}
    assert on_disk == {versions[-1], versions[-2]}  # the published one and the one before it
    for table in lake_manifest.LAKE_TABLES:  # every table of the kept versions is whole
        for v in versions[-2:]:
            assert _keys(s3, bucket, f"tables/{table}/version={v}/"), (table, v)
    # The published version still serves every row.
    engine = lake_engine.LakeEngine(settings)
    assert engine.fetch("SELECT count(*) AS n FROM products WHERE product_id >= 9301")[0]["n"] == 3


def test_retention_setting_is_validated():
    from pydantic import ValidationError

    from app.settings import Settings

    with pytest.raises(ValidationError, match="lake_keep_versions"):
        Settings(lake_keep_versions=1)


def test_pruned_versions_lose_their_glue_tables_and_kept_ones_stay(published_lake, monkeypatch):
    """``catalog_versions.drop_versions`` against moto's Glue: a pruned version's tables go, others stay."""
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings, manifest = published_lake
    with mock_aws():
        glue = boto3.client("glue", region_name=settings.aws_region)
        glue.create_database(DatabaseInput={"Name": "shop_warehouse"})
        old = json.loads(json.dumps(manifest))
        kept = {**json.loads(json.dumps(manifest)), "version": "keptversion1"}
        catalog_glue.register_glue(old, "shop_warehouse", glue)
        catalog_glue.register_glue(kept, "shop_warehouse", glue)
        catalog_versions.drop_versions(
            [old["version"]], settings.model_copy(update={"glue_database": "shop_warehouse"})
        )
        names = {t["Name"] for t in glue.get_tables(DatabaseName="shop_warehouse")["TableList"]}
        assert names == {lake_manifest.physical_name(t, "keptversion1") for t in manifest["tables"]}
        catalog_versions.drop_versions(
            [old["version"]], settings.model_copy(update={"glue_database": "shop_warehouse"})
        )  # again: ok


def test_the_job_points_the_warehouse_views_after_it_published(s3_server, bucket, small_db, monkeypatch):
    """After a publish into its own catalogs the job calls catalog_views.point_views (which reads the
    published manifest itself); a run that ingested nothing new does not."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    lake_job.publish_database(small_db, settings)
    calls = []

    def record(given):
        calls.append(_manifest(_s3(s3_server), bucket)["version"])
        return {"pointed": calls[-1]}

    monkeypatch.setattr(catalog_views, "point_views", record)
    _s3(s3_server).put_object(
        Bucket=bucket,
        Key="incoming/products-7.csv",
        Body=b"product_id,name,category,unit_price\n9107,Desk,Home,99.00\n",
    )
    out = lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)
    assert calls == [out["version"]] and out["views"] == {"pointed": out["version"]}
    # Registering in a caller's own catalog (tests, tools): the views are the caller's business.
    _s3(s3_server).put_object(
        Bucket=bucket,
        Key="incoming/products-8.csv",
        Body=b"product_id,name,category,unit_price\n9108,Shelf,Home,49.00\n",
    )
    out = lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings, lambda manifest: {})
    assert calls == [calls[0]] and "views" not in out
