"""Catalog registration of a lake version (Glue via moto, BigQuery via a fake client), the remote
engines querying the published physical tables, and the app's Glue tables against the aws plan's."""

from __future__ import annotations

import json

import pytest

from app.catalog import bigquery as catalog_bigquery
from app.catalog import glue as catalog_glue
from app.lake import manifest as lake_manifest
from app.queries import render
from tests.engines.test_clients import FakeClient, athena_settings, bq_settings


@pytest.fixture()
def aws(monkeypatch):
    from moto import mock_aws

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        import boto3

        yield boto3


def test_every_table_of_a_version_is_registered_in_glue_and_athena_queries_it(published_lake, aws):
    from moto.athena.models import athena_backends

    from app.engines.athena import AthenaEngine

    _, manifest = published_lake
    manifest = json.loads(json.dumps(manifest))
    glue = aws.client("glue", region_name="eu-west-1")
    glue.create_database(DatabaseInput={"Name": "shop_warehouse"})
    catalog = catalog_glue.register_glue(manifest, "shop_warehouse", glue)
    v = manifest["version"]
    assert catalog["tables"] == {name: lake_manifest.physical_name(name, v) for name in manifest["tables"]}
    orders = glue.get_table(DatabaseName="shop_warehouse", Name=f"orders__{v}")["Table"]
    assert orders["PartitionKeys"] == [{"Name": "order_date", "Type": "date"}]
    assert orders["Parameters"]["storage.location.template"] == (
        f"s3://lake-shared/tables/orders/version={v}/order_date=${{order_date}}/"
    )
    assert {c["Name"]: c["Type"] for c in orders["StorageDescriptor"]["Columns"]}["unit_price"] == "decimal(18,2)"
    summary = glue.get_table(DatabaseName="shop_warehouse", Name=f"customer_summary__{v}")["Table"]
    assert summary["StorageDescriptor"]["Location"] == f"s3://lake-shared/tables/customer_summary/version={v}/"
    # Registering the same version again (a retried job) is not an error.
    catalog_glue.register_glue(manifest, "shop_warehouse", glue)

    manifest["catalog"] = {"glue": catalog}
    s3 = aws.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="shop-lake", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="shop-lake", Key="tables/_manifest.json", Body=json.dumps(manifest).encode())
    s3.create_bucket(Bucket="shop-results", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    aws.client("athena", region_name="eu-west-1").create_work_group(
        Name="shop-warehouse", Configuration={"ResultConfiguration": {"OutputLocation": "s3://shop-results/r/"}}
    )
    engine = AthenaEngine(athena_settings(lake_uri="s3://shop-lake/tables/"))
    engine.fetch(render("churn_risk"), {"country": None, "min_orders": 2, "limit": 5})
    execution = list(athena_backends["123456789012"]["eu-west-1"].executions.values())[-1]
    assert f"FROM customer_summary__{v}" in execution.query
    assert engine.version == v


def test_app_glue_columns_match_the_aws_plan_for_the_base_tables(published_lake):
    from pathlib import Path

    from stacks.plan import build_plan
    from stacks.plan.core import Concat
    from stacks.project import load_project

    _, manifest = published_lake
    plan = build_plan(load_project(Path(__file__).resolve().parents[2] / "stacks.yaml"), "aws-prod")
    for name in ("customers", "products", "orders"):
        planned = plan.resource(f"warehouse-table-{name}").inputs
        mine = catalog_glue.glue_table_input(name, manifest["tables"][name], manifest["version"])
        sd = planned["storage_descriptor"]
        assert [(c["name"], c["type"]) for c in sd["columns"]] == [
            (c["Name"], c["Type"]) for c in mine["StorageDescriptor"]["Columns"]
        ], name
        assert [(k["name"], k["type"]) for k in planned["partition_keys"]] == [
            (k["Name"], k["Type"]) for k in mine["PartitionKeys"]
        ]
        assert (
            sd["ser_de_info"]["serialization_library"] == mine["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
        )
        # Same root and table folder: the app's versions live under the plan's table location.
        assert isinstance(sd["location"], Concat) and sd["location"].parts[-1] == f"/tables/{name}/"
        assert mine["StorageDescriptor"]["Location"].endswith(f"/tables/{name}/version={manifest['version']}/")
        params = planned["parameters"]
        for key in ("classification", "parquet.compression", *(k for k in params if k.startswith("projection."))):
            if "range" not in key:
                assert params[key] == mine["Parameters"][key], key


def test_bigquery_registration_and_engine_use_the_published_external_tables():
    from app.engines.bigquery import BigQueryEngine

    location = "gs://shop-lake/tables/{t}/version=abc123def456/"
    manifest = {
        "version": "abc123def456",
        "tables": {
            "customers": {
                "location": location.format(t="customers"),
                "partition_by": None,
                "columns": ["customer_id"],
                "types": ["BIGINT"],
            },
            "orders": {
                "location": location.format(t="orders"),
                "partition_by": "order_date",
                "columns": ["order_id", "order_date"],
                "types": ["BIGINT", "DATE"],
            },
        },
    }

    class Recorder:
        def __init__(self):
            self.tables = []

        def create_table(self, table, exists_ok=False):
            assert exists_ok
            self.tables.append(table)

    rec = Recorder()
    catalog = catalog_bigquery.register_bigquery(
        manifest, "shop-analytics-prod", "shop_warehouse", rec, "projects/p/locations/eu/x"
    )
    by_id = {t.table_id: t for t in rec.tables}
    orders = by_id["orders__abc123def456"].external_data_configuration
    assert orders.source_format == "PARQUET"
    assert orders.source_uris == [location.format(t="orders") + "*/*.parquet"]
    assert orders.hive_partitioning.source_uri_prefix == location.format(t="orders") + "{order_date:DATE}/"
    assert orders.connection_id == "projects/p/locations/eu/x"
    assert by_id["customers__abc123def456"].external_data_configuration.source_uris == [
        location.format(t="customers") + "*"
    ]
    client = FakeClient([{"order_id": 1}])
    engine = BigQueryEngine(
        bq_settings(), client=client, manifest_loader=lambda: {**manifest, "catalog": {"bigquery": catalog}}
    )
    engine.fetch(render("order"), {"order_id": 1})
    assert "shop_warehouse.orders__abc123def456" in client.calls[0][0]
