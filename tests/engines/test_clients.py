"""The Athena and BigQuery engines at their client boundaries (contract tests, no real cloud).

Athena: moto's Athena behind pyathena records what is sent (query text, workgroup, database,
execution parameters); moto does not run SQL, so the result pages come from its results queue.
BigQuery: a fake ``google.cloud.bigquery.Client`` records the query, the QueryJobConfig (typed
parameters, default dataset) and returns rows shaped like the library's ``Row``.
"""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from app.dialects import compile
from app.errors import AppError
from app.queries import render
from app.settings import Settings
from tests.engines.bigquery_fakes import FakeJob, FakeRow


def athena_settings(**kw):
    values = {
        "engine": "athena",
        "lake_uri": "s3://shop-lake/tables/",
        "athena_workgroup": "shop-warehouse",
        "glue_database": "shop_warehouse",
        "athena_output_uri": "s3://shop-results/results/",
        "aws_region": "eu-west-1",
    }
    values.update(kw)
    return Settings(**values)


@pytest.fixture()
def moto_athena(monkeypatch):
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        import boto3
        from moto.athena.models import QueryResults, athena_backends

        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="shop-results", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        boto3.client("athena", region_name="eu-west-1").create_work_group(
            Name="shop-warehouse",
            Configuration={"ResultConfiguration": {"OutputLocation": "s3://shop-results/results/"}},
        )
        backend = athena_backends["123456789012"]["eu-west-1"]

        def queue(columns: list[tuple[str, str]], rows: list[list[str | None]]):
            header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
            data = [{"Data": [{"VarCharValue": v} if v is not None else {} for v in row]} for row in rows]
            info = [
                {
                    "Name": n,
                    "Type": t,
                    "Label": n,
                    "Nullable": "UNKNOWN",
                    "Precision": 18,
                    "Scale": 2 if t == "decimal" else 0,
                }
                for n, t in columns
            ]
            backend.query_results_queue.append(QueryResults(rows=[header, *data], column_info=info))

        yield backend, queue


def test_athena_sends_trino_text_workgroup_and_typed_parameters(moto_athena):
    from app.engines.athena import AthenaEngine

    backend, queue = moto_athena
    queue(
        [
            ("segment", "varchar"),
            ("customers", "bigint"),
            ("revenue", "decimal"),
            ("avg_recency_days", "double"),
            ("avg_orders", "double"),
            ("avg_revenue", "double"),
        ],
        [["champions", "12", "1234.50", "3.5", "7.25", "102.875"], ["lost", "3", "10.00", "400.0", "1.0", None]],
    )
    engine = AthenaEngine(athena_settings(), manifest_loader=lambda: None)
    rows = engine.fetch(render("rfm_segments"), {"country": "O'Brien"})
    execution = next(iter(backend.executions.values()))
    assert execution.query == compile(render("rfm_segments"), "trino").sql
    assert "?" in execution.query and "O'Brien" not in execution.query
    assert execution.workgroup.name == "shop-warehouse"
    assert execution.context == {"Database": "shop_warehouse"} or execution.context["Database"] == "shop_warehouse"
    assert execution.execution_parameters == ["'O''Brien'", "'O''Brien'"]
    assert rows == [
        {
            "segment": "champions",
            "customers": 12,
            "revenue": decimal.Decimal("1234.50"),
            "avg_recency_days": 3.5,
            "avg_orders": 7.25,
            "avg_revenue": 102.875,
        },
        {
            "segment": "lost",
            "customers": 3,
            "revenue": decimal.Decimal("10.00"),
            "avg_recency_days": 400.0,
            "avg_orders": 1.0,
            "avg_revenue": None,
        },
    ]


def test_athena_dates_and_nulls_as_parameters(moto_athena):
    from app.engines.athena import AthenaEngine

    backend, queue = moto_athena
    queue(
        [
            ("cohort_month", "date"),
            ("month_offset", "integer"),
            ("customers", "bigint"),
            ("revenue", "decimal"),
            ("cohort_size", "bigint"),
            ("total", "bigint"),
        ],
        [["2024-01-01", "0", "5", "99.90", "5", "1"]],
    )
    engine = AthenaEngine(athena_settings(), manifest_loader=lambda: None)
    params = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 1), "max_offset": 12, "limit": 6, "offset": 0}
    rows = engine.fetch(render("cohorts"), params)
    execution = next(iter(backend.executions.values()))
    assert execution.execution_parameters == [
        "DATE '2024-01-01'",
        "DATE '2024-12-01'",
        "0",
        "6",
        "12",
    ]  # Trino: OFFSET, then LIMIT
    assert rows == [
        {
            "cohort_month": dt.date(2024, 1, 1),
            "month_offset": 0,
            "customers": 5,
            "revenue": decimal.Decimal("99.90"),
            "cohort_size": 5,
            "total": 1,
        }
    ]
    queue([("total", "bigint")], [["7"]])
    engine.fetch(render("customers_count"), {"country": None, "segment": "lost"})
    last = list(backend.executions.values())[-1]
    assert last.execution_parameters == ["CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "'lost'", "'lost'"]


def test_athena_refuses_an_untyped_value_before_sending(moto_athena):
    from app.engines.athena import AthenaEngine

    backend, _ = moto_athena
    with pytest.raises(AppError) as err:
        AthenaEngine(athena_settings(), manifest_loader=lambda: None).fetch(render("order"), {"order_id": "1 OR 1=1"})
    assert err.value.status == 500 and not backend.executions


class FakeClient:
    """Answers each query with the next result set given (like moto's Athena results queue)."""

    def __init__(self, *results):
        self.results = list(results)
        self.rows = results[0]
        self.calls = []

    def query(self, sql, job_config=None, location=None):
        self.calls.append((sql, job_config, location))
        return FakeJob([FakeRow(r) for r in self.results.pop(0)])


def bq_settings():
    return Settings(
        engine="bigquery",
        lake_uri="gs://shop-lake/tables/",
        bigquery_project="shop-analytics-prod",
        bigquery_dataset="shop_warehouse",
        bigquery_location="EU",
    )


def test_bigquery_sends_named_typed_parameters_and_the_dataset():
    from google.cloud import bigquery

    from app.engines.bigquery import BigQueryEngine

    client = FakeClient([{"period": dt.date(2024, 1, 1), "orders": 3, "units": 4, "revenue": decimal.Decimal("9.5")}])
    engine = BigQueryEngine(bq_settings(), client=client, manifest_loader=lambda: None)
    params = {
        "start": dt.date(2024, 1, 1),
        "end": dt.date(2024, 3, 31),
        "statuses": ["shipped"],
        "country": None,
        "category": "Books",
    }
    rows = engine.fetch(render("revenue_series", bucket="week"), params)
    assert rows == client.rows
    sql, config, location = client.calls[0]
    assert sql == compile(render("revenue_series", bucket="week"), "bigquery").sql
    assert "Books" not in sql and "@category" in sql and "ISOWEEK" in sql
    assert location == "EU"
    assert config.default_dataset.project == "shop-analytics-prod"
    assert config.default_dataset.dataset_id == "shop_warehouse"
    assert config.use_legacy_sql is False
    by_name = {p.name: p for p in config.query_parameters}
    assert set(by_name) == {"start", "end", "statuses", "country", "category"}
    assert by_name["start"] == bigquery.ScalarQueryParameter("start", "DATE", dt.date(2024, 1, 1))
    assert by_name["statuses"] == bigquery.ArrayQueryParameter("statuses", "STRING", ["shipped"])
    # A NULL filter still carries its type: BigQuery rejects untyped NULL parameters.
    assert by_name["country"] == bigquery.ScalarQueryParameter("country", "STRING", None)
    assert by_name["category"].type_ == "STRING"


def test_bigquery_engine_serves_the_api_through_the_repository():
    from fastapi.testclient import TestClient

    from app.api.deps import get_engine
    from app.api.factory import create_app
    from app.engines.bigquery import BigQueryEngine

    client = FakeClient(
        [
            {
                "product_id": 3,
                "name": "Lamp",
                "category": "Home",
                "unit_price": decimal.Decimal("9.99"),
                "orders": 2,
                "units": 5,
                "revenue": decimal.Decimal("49.95"),
            }
        ],
        [{"month": dt.date(2024, 5, 1), "orders": 2, "units": 5, "revenue": decimal.Decimal("49.95")}],
    )
    app = create_app(bq_settings())
    with TestClient(app) as c:
        fake = BigQueryEngine(bq_settings(), client=client, manifest_loader=lambda: None)
        app.dependency_overrides[get_engine] = lambda: fake
        r = c.get("/api/v1/products/3")
        assert r.status_code == 200, r.text
        assert r.json()["name"] == "Lamp"
        assert r.json()["months"] == [{"month": "2024-05-01", "orders": 2, "units": 5, "revenue": 49.95}]
    assert len(client.calls) == 2
    assert [p.name for p in client.calls[0][1].query_parameters] == ["product_id"]
    assert client.calls[0][1].query_parameters[0].type_ == "INT64"


def test_hybrid_federated_credentials_use_the_task_role(monkeypatch):
    from google.auth import aws

    from app.engines.bigquery import aws_federated_credentials

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    config = {
        "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/aws",
        "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
        "api@shop.iam.gserviceaccount.com:generateAccessToken",
    }
    creds = aws_federated_credentials(config, "eu-west-1")
    assert isinstance(creds, aws.Credentials)
    supplier = creds._aws_security_credentials_supplier
    got = supplier.get_aws_security_credentials(None, None)
    assert (got.access_key_id, got.secret_access_key, got.session_token) == ("AKIDEXAMPLE", "secret", "token")
    assert supplier.get_aws_region(None, None) == "eu-west-1"
