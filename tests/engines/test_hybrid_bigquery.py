"""The hybrid stack's BigQuery path at its client boundaries: an S3 lake (moto server on 127.0.0.1),
its GCS mirror (a local directory filled object by object, like the hourly Storage Transfer job) and
a fake ``google.cloud.bigquery.Client`` that keeps the external tables the ingest registers and runs
the engine's BigQuery SQL on DuckDB (transpiled back by sqlglot, parameters bound from the
``QueryJobConfig``) over the mirror's files - so a table whose files have not all arrived counts
fewer rows, and a table with no file yet is "not found", as on BigQuery.
"""

from __future__ import annotations

import contextlib
import glob
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.catalog import versions as catalog_versions
from app.catalog import views as catalog_views
from app.lake import job as lake_job
from app.lake import manifest as lake_manifest
from tests.engines.bigquery_fakes import FakeJob, FakeRow
from tests.engines.conftest import API_KEY, ORDERS, lake_settings
from tests.engines.endpoints import ENDPOINTS, comparable

MIRROR = "gs://shop-mirror/tables/"
DATASET = "shop_warehouse"
CONNECTION = "projects/shop-analytics-prod/locations/europe-west1/connections/shop-hybrid-warehouse-lake-prod"


class MirrorBigQuery:
    """BigQuery as far as the app uses it, over a directory standing in for ``gs://<bucket>/`` (the
    mirror here; the gcp stack's lake in test_gcp_bigquery). ``CREATE OR REPLACE VIEW`` must parse as
    BigQuery SQL and name a registered table (BigQuery validates a view's query when it is created)."""

    def __init__(self, mirror: Path, bucket: str = "shop-mirror"):
        self.mirror = mirror
        self.bucket = bucket
        self.tables: dict[str, object] = {}  # "dataset.table" -> the bigquery.Table registered
        self.views: dict[str, str] = {}  # "dataset.view" -> "dataset.table" it selects from
        self.events: list[tuple[str, str]] = []  # ("table" | "view", "dataset.name"), in order
        self.created: list[str] = []
        self.deleted: list[str] = []
        self.queries: list[str] = []
        self._con = None  # DuckDB with a view per registered table, rebuilt when the mirror changes
        self._state = None

    def create_table(self, table, exists_ok=False):
        assert exists_ok, "the ingest registers idempotently"
        key = f"{table.dataset_id}.{table.table_id}"
        self.tables[key] = table
        self.created.append(key)
        self.events.append(("table", key))
        return table

    def delete_table(self, ref, not_found_ok=False):
        key = ".".join(str(ref).split(".")[-2:])
        self.deleted.append(key)
        self.tables.pop(key, None)

    def _local(self, uri: str) -> str:
        prefix = f"gs://{self.bucket}/"
        assert uri.startswith(prefix), uri
        return str(self.mirror / uri[len(prefix) :])

    def _create_view(self, sql: str) -> None:
        import sqlglot
        from google.api_core import exceptions as gexc

        ddl = sqlglot.parse_one(sql, read="bigquery")
        assert isinstance(ddl, sqlglot.exp.Create) and ddl.args.get("kind") == "VIEW" and ddl.args.get("replace")
        view, source = ddl.this, ddl.expression.find(sqlglot.exp.Table)
        assert view.catalog == source.catalog == "shop-analytics-prod", sql
        key, target = f"{view.db}.{view.name}", f"{source.db}.{source.name}"
        if target not in self.tables:
            raise gexc.NotFound(f"Not found: Table shop-analytics-prod:{target}")
        self.views[key] = target
        self.events.append(("view", key))

    def _views(self, con) -> None:
        import duckdb

        for key, table in sorted(self.tables.items()):
            config = table.external_data_configuration
            assert config.source_format == "PARQUET"
            pattern = self._local(config.source_uris[0])
            if not glob.glob(pattern):
                continue  # BigQuery: "Not found: URI gs://..." when the table is queried
            schema, name = key.split(".")
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            hive = config.hive_partitioning
            if hive is None:
                source = f"read_parquet('{pattern}')"
            else:
                # Partition keys are the path segments after source_uri_prefix: here {order_date:DATE}.
                column, kind = re.search(r"\{(\w+):(\w+)\}/$", hive.source_uri_prefix).groups()
                source = (
                    f"(SELECT * EXCLUDE (version) FROM read_parquet('{pattern}', hive_partitioning = true, "
                    f"hive_types = {{'{column}': {kind}}}))"
                )
            try:
                con.execute(f"CREATE VIEW {schema}.{name} AS SELECT * FROM {source}")
            except duckdb.Error as exc:  # pragma: no cover - a broken fixture, not a missing file
                raise AssertionError(f"cannot open {key}: {exc}") from None
        for key, target in sorted(self.views.items()):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {key.split('.')[0]}")
            with contextlib.suppress(duckdb.CatalogException):  # its table has no file: not found when queried
                con.execute(f"CREATE VIEW {key} AS SELECT * FROM {target}")

    def query(self, sql, job_config=None, location=None):
        import duckdb
        import sqlglot
        from google.api_core import exceptions as gexc

        assert location == "europe-west1"
        self.queries.append(sql)
        if sql.lstrip().upper().startswith("CREATE OR REPLACE VIEW"):
            self._create_view(sql)
            return FakeJob([])
        params = {}
        for p in getattr(job_config, "query_parameters", None) or []:
            params[p.name] = list(p.values) if hasattr(p, "values") else p.value
        state = (
            tuple(sorted(self.tables)),
            tuple(sorted(self.views.items())),
            tuple(sorted(str(p) for p in self.mirror.rglob("*.parquet"))),
        )
        if state != self._state:
            if self._con is not None:
                self._con.close()
            self._con, self._state = duckdb.connect(), state
            self._views(self._con)
        text = sqlglot.transpile(sql, read="bigquery", write="duckdb")[0]
        try:
            cur = self._con.cursor().execute(text, params)
            names = [d[0] for d in cur.description]
            rows = [FakeRow(zip(names, r, strict=True)) for r in cur.fetchall()]
        except duckdb.CatalogException as exc:
            raise gexc.NotFound(f"Not found: {str(exc).splitlines()[0]}") from None
        except duckdb.IOException as exc:
            raise gexc.NotFound(f"Not found: URI {str(exc).splitlines()[0]}") from None
        return FakeJob(rows)


def _s3(endpoint):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def download(s3, bucket: str, target: Path) -> list[str]:
    """Every object under tables/ of the S3 lake, as it is now, into ``target`` (keys as paths)."""
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="tables/")
        for o in page.get("Contents", [])
    ]
    for key in keys:
        (target / key).parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target / key))
    return keys


def transfer(lake, mirror: Path, keep=lambda key: True) -> list[str]:
    """One Storage Transfer run from the S3 lake (its objects as downloaded once by the fixture):
    the objects ``keep`` accepts are copied to the mirror, in no particular order."""
    copied = []
    for key in lake.keys:
        target = mirror / key
        if keep(key) and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(lake.objects / key, target)
            copied.append(key)
    return copied


def ingest_settings(endpoint, bucket, **kw):
    values = {
        "bigquery_project": "shop-analytics-prod",
        "bigquery_dataset": DATASET,
        "bigquery_location": "europe-west1",
        "bigquery_lake_uri": MIRROR,
        "bigquery_connection": CONNECTION,
    }
    values.update(kw)
    return lake_settings(endpoint, f"s3://{bucket}/tables/", **values)


def api_settings(endpoint, bucket):
    """What the hybrid plan gives the API on ECS (test_stack_engines checks the plan sets these)."""
    return lake_settings(
        endpoint,
        f"s3://{bucket}/tables/",
        engine="bigquery",
        api_key=API_KEY,
        bigquery_project="shop-analytics-prod",
        bigquery_dataset=DATASET,
        bigquery_location="europe-west1",
        bigquery_verify_seconds=0,
    )


def publish(db, settings, client, previous=None):

    return lake_job.publish_database(
        db,
        settings,
        lambda m: catalog_versions.register(m, settings, bigquery_client=client),
        history=lake_manifest.history_of(previous),
    )


@pytest.fixture(scope="module")
def second_db(tmp_path_factory) -> Path:
    """Another dataset (other seed, more orders): the next published version."""
    from app.seed import seed

    path = tmp_path_factory.mktemp("hybrid") / "next.duckdb"
    seed(path, ORDERS + 500, 11)
    return path


class Lake:
    """Two versions published by the ingest's own code to an S3 bucket (moto) with registration over the
    mirror: the manifests as published, the tables the fake BigQuery got, the objects as they are on S3."""

    def __init__(self, s3_server, small_db, second_db, root: Path):
        self.endpoint, self.bucket = s3_server, "hybrid-lake"
        s3 = _s3(s3_server)
        s3.create_bucket(Bucket=self.bucket)
        self.registry = MirrorBigQuery(root / "unused")
        settings = ingest_settings(s3_server, self.bucket)
        self.first = publish(small_db, settings, self.registry)
        self.second = publish(second_db, settings, self.registry, previous=self.first)
        self.objects = root / "s3"
        self.keys = download(s3, self.bucket, self.objects)

    def bigquery(self, mirror: Path) -> MirrorBigQuery:
        """A fresh fake BigQuery holding the registered tables, over an empty mirror."""
        client = MirrorBigQuery(mirror)
        client.tables = dict(self.registry.tables)
        return client


@pytest.fixture(scope="module")
def lake(s3_server, small_db, second_db, tmp_path_factory) -> Lake:
    return Lake(s3_server, small_db, second_db, tmp_path_factory.mktemp("hybrid-lake"))


def _answers(settings, engine=None) -> dict:
    from app.api.deps import get_engine
    from app.api.factory import create_app

    app = create_app(settings)
    out = {}
    with TestClient(app) as c:
        if engine is not None:
            app.dependency_overrides[get_engine] = lambda: engine
        for path in ENDPOINTS:
            r = c.get(path)
            assert r.status_code == 200, (path, r.text)
            out[path] = comparable(path, r.json())
    return out


def _local(db):
    from app.settings import Settings

    return _answers(Settings(database=db, api_key=API_KEY, log_level="warning", threads=2))


def test_ingest_registers_every_table_over_the_mirror_with_row_counts(lake):
    first, second, client = lake.first, lake.second, lake.registry
    v1, v2 = first["version"], second["version"]
    entry = first["catalog"]["bigquery"]
    assert entry["lake"] == MIRROR and entry["dataset"] == DATASET
    assert entry["tables"] == {t: f"{DATASET}.{t}__{v1}" for t in first["tables"]}
    assert entry["rows"] == {v1: {t: e["rows"] for t, e in first["tables"].items()}}
    assert entry["rows"][v1]["orders"] == ORDERS
    # Every table of each version, derived and meta included, over the mirror's copy of its prefix.
    assert len(client.tables) == len(first["tables"]) + len(second["tables"]) and len(first["tables"]) >= 17
    orders = client.tables[f"{DATASET}.orders__{v1}"].external_data_configuration
    assert orders.source_uris == [f"{MIRROR}orders/version={v1}/*/*.parquet"]
    assert orders.hive_partitioning.source_uri_prefix == f"{MIRROR}orders/version={v1}/{{order_date:DATE}}/"
    assert orders.connection_id == CONNECTION  # BigLake: the connection reads the mirror, not the caller
    summary = client.tables[f"{DATASET}.customer_summary__{v1}"].external_data_configuration
    assert summary.source_uris == [f"{MIRROR}customer_summary/version={v1}/*"]
    # The manifest itself keeps the lake's own locations: the lake engine and the next ingest read S3.
    assert first["tables"]["orders"]["location"] == f"s3://{lake.bucket}/tables/orders/version={v1}/"

    assert v2 != v1 and second["history"] == [v2, v1]
    # The published manifest's counts are carried over: the engine can check either version.
    assert set(second["catalog"]["bigquery"]["rows"]) == {v1, v2}
    assert second["catalog"]["bigquery"]["rows"][v1] == entry["rows"][v1]
    assert second["catalog"]["bigquery"]["rows"][v2]["orders"] == ORDERS + 500


def test_retention_drops_the_mirror_tables_of_pruned_versions(s3_server, bucket, tmp_path):

    client = MirrorBigQuery(tmp_path)
    catalog_versions.drop_versions(["abc123def456"], ingest_settings(s3_server, bucket), bigquery_client=client)
    assert f"{DATASET}.orders__abc123def456" in client.deleted and f"{DATASET}.dataset_meta__abc123def456" in (
        client.deleted
    )


def test_a_lake_on_s3_without_a_mirror_registers_nothing_in_bigquery(s3_server, bucket, tmp_path):

    client = MirrorBigQuery(tmp_path)
    settings = ingest_settings(s3_server, bucket, bigquery_lake_uri=None)
    assert catalog_versions.register({"version": "abc123def456", "tables": {}}, settings, bigquery_client=client) == {}
    assert not client.created


def test_the_engine_serves_the_previous_version_until_the_new_one_has_fully_arrived(lake, second_db, tmp_path):
    import logging

    from app.api.deps import get_engine
    from app.api.factory import create_app
    from app.engines.bigquery import BigQueryEngine

    v1, v2 = lake.first["version"], lake.second["version"]
    published = {"manifest": lake.first}  # what the S3 manifest says at each step
    client = lake.bigquery(tmp_path)
    settings = api_settings(lake.endpoint, lake.bucket)
    engine = BigQueryEngine(settings, client=client, manifest_loader=lambda: published["manifest"])
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("app.engines.bigquery")
    app = create_app(settings)
    with TestClient(app) as c:
        app.dependency_overrides[get_engine] = lambda: engine
        logger.addHandler(handler)
        logger.setLevel("INFO")
        try:
            # v1 published on S3, nothing mirrored yet: no version can be served, and readiness says why.
            r = c.get("/ready")
            assert r.status_code == 503 and "no lake version is complete in the GCS mirror" in r.text, r.text
            assert v1 in r.text
            assert c.get("/api/v1/kpis").status_code == 503

            transfer(lake, tmp_path, keep=lambda key: f"version={v1}/" in key)
            assert c.get("/ready").json()["version"] == v1

            published["manifest"] = lake.second
            # The next transfer run copies half of the new orders days and not the customer summary yet.
            new_days = sorted(k for k in lake.keys if k.startswith(f"tables/orders/version={v2}/"))
            late = set(new_days[::2]) | {f"tables/customer_summary/version={v2}/data_0.parquet"}
            transfer(lake, tmp_path, keep=lambda key: key not in late)
            assert c.get("/ready").json()["version"] == v1
            assert c.get("/api/v1/datasets").json()["version"] == v1
            assert engine.version == v1 and v2 in engine.waiting
            assert "customer_summary" in engine.waiting[v2]  # no file of it yet: BigQuery finds no table data
            assert any(
                getattr(r, "fields", {}).get("version") == v2
                for r in records
                if r.getMessage() == "lake version not fully mirrored yet"
            )

            # The next run brings the summary; half the days are still missing: the counts tell.
            transfer(lake, tmp_path, keep=lambda key: key not in set(new_days[::2]))
            assert c.get("/ready").json()["version"] == v1
            assert re.fullmatch(r"orders \d+/\d+ rows", engine.waiting[v2]), engine.waiting[v2]

            transfer(lake, tmp_path)  # the rest arrives
            assert c.get("/ready").json()["version"] == v2
            assert engine.version == v2 and not engine.waiting
            served = [r for r in records if r.getMessage() == "bigquery serves lake version"]
            assert [r.fields["version"] for r in served] == [v1, v2]
            assert c.get("/api/v1/kpis").json() == _local_kpis(second_db)
        finally:
            logger.removeHandler(handler)


def _local_kpis(db):
    from app.api.factory import create_app
    from app.settings import Settings

    with TestClient(create_app(Settings(database=db, api_key=API_KEY, log_level="warning", threads=2))) as c:
        return c.get("/api/v1/kpis").json()


def test_a_verified_version_is_not_counted_again_and_an_incomplete_one_waits_for_the_interval(lake, tmp_path):
    from app.engines.bigquery import BigQueryEngine

    v1, v2 = lake.first["version"], lake.second["version"]
    client = lake.bigquery(tmp_path)
    transfer(lake, tmp_path, keep=lambda key: f"version={v2}/" not in key)
    settings = api_settings(lake.endpoint, lake.bucket).model_copy(update={"bigquery_verify_seconds": 3600})
    engine = BigQueryEngine(settings, client=client, manifest_loader=lambda: lake.second)
    engine.tables()
    counts = [q for q in client.queries if "COUNT(*)" in q]
    assert engine.version == v1 and len(counts) == 2  # v2 incomplete, then v1 checked
    transfer(lake, tmp_path)
    engine.tables()
    engine.tables()
    # v1 stays verified; v2 was found incomplete less than an hour ago: no new count, still v1.
    assert len([q for q in client.queries if "COUNT(*)" in q]) == 2
    assert engine.version == v1
    engine._checked.clear()  # the interval has passed
    engine.tables()
    assert engine.version == v2
    engine.tables()
    assert len([q for q in client.queries if "COUNT(*)" in q]) == 3  # v2 counted once, then trusted


def test_every_endpoint_answers_the_same_on_the_hybrid_bigquery_engine(lake, second_db, tmp_path):
    """STACKS_APP_ENGINE=bigquery as the hybrid API runs it: the manifest read from S3 with boto3,
    the tables over the mirror."""
    from app.engines.bigquery import BigQueryEngine

    client = lake.bigquery(tmp_path)
    transfer(lake, tmp_path)
    settings = api_settings(lake.endpoint, lake.bucket)
    engine = BigQueryEngine(settings, client=client)  # the default loader: fetch_manifest from the S3 lake
    got = _answers(settings, engine)
    assert engine.version == lake.second["version"]
    expected = _local(second_db)
    for path in ENDPOINTS:
        assert got[path] == expected[path], path
    # Every query named a versioned table of the mirror, never a logical one.
    reads = [q for q in client.queries if "COUNT(*)" not in q]
    assert reads and all(re.search(r"\b" + DATASET + r"\.\w+__[0-9a-z]+", q) for q in reads)


def test_the_fake_reports_a_missing_file_like_bigquery(tmp_path):
    """The boundary the engine relies on: a table with none of its files is an API error, not 0 rows."""
    from google.api_core import exceptions as gexc
    from google.cloud import bigquery

    client = MirrorBigQuery(tmp_path)
    table = bigquery.Table("p.shop_warehouse.customers__abc123def456")
    config = bigquery.ExternalConfig("PARQUET")
    config.source_uris = [f"{MIRROR}customers/version=abc123def456/*"]
    table.external_data_configuration = config
    client.create_table(table, exists_ok=True)
    with pytest.raises(gexc.NotFound):
        client.query("SELECT COUNT(*) AS n FROM shop_warehouse.customers__abc123def456", location="europe-west1")


def test_a_manifest_without_bigquery_tables_is_refused_not_read_through_the_stack_tables(lake, tmp_path):
    """An s3 lake published without the mirror registration: the logical tables would mix every version."""
    from app.engines.bigquery import BigQueryEngine
    from app.errors import AppError

    client = lake.bigquery(tmp_path)
    unregistered = {**lake.first, "catalog": {}}  # what an ingest without STACKS_APP_BIGQUERY_LAKE_URI publishes
    engine = BigQueryEngine(
        api_settings(lake.endpoint, lake.bucket), client=client, manifest_loader=lambda: unregistered
    )
    with pytest.raises(AppError) as err:
        engine.tables()
    assert err.value.status == 503 and "STACKS_APP_BIGQUERY_LAKE_URI" in err.value.message
    assert not client.queries


def test_the_views_follow_the_newest_fully_mirrored_version(lake, tmp_path):
    """``catalog_views.point_views`` as the ingest job runs it after a publish: analysts' stable names
    ``<dataset>.<table>`` never read a version the mirror holds only part of."""

    v1, v2 = lake.first["version"], lake.second["version"]
    published = {"manifest": lake.first}
    client = lake.bigquery(tmp_path)
    settings = ingest_settings(lake.endpoint, lake.bucket, bigquery_verify_seconds=0)

    def point():
        return catalog_views.point_views(
            settings, bigquery_client=client, manifest_loader=lambda: published["manifest"]
        )

    out = point()  # nothing mirrored yet: no view is made
    assert out["views"] == {} and "no lake version is complete" in out["reason"] and not client.views
    transfer(lake, tmp_path, keep=lambda key: f"version={v1}/" in key)
    assert point()["version"] == v1
    assert client.views == {f"{DATASET}.{t}": f"{DATASET}.{t}__{v1}" for t in lake.first["tables"]}

    published["manifest"] = lake.second
    transfer(lake, tmp_path, keep=lambda key: not key.startswith(f"tables/orders/version={v2}/order_date=2"))
    assert point()["version"] == v1  # v2's orders are partly copied: the views stay on v1
    assert client.views[f"{DATASET}.orders"] == f"{DATASET}.orders__{v1}"
    transfer(lake, tmp_path)
    assert point()["version"] == v2
    assert client.views == {f"{DATASET}.{t}": f"{DATASET}.{t}__{v2}" for t in lake.second["tables"]}
    rows = client.query(f"SELECT COUNT(*) AS n FROM {DATASET}.orders", location="europe-west1").result()
    assert next(rows)["n"] == ORDERS + 500
