"""The gcp stack's BigQuery path at its client boundaries: the lake on a real storage emulator
(gs://, keyless google-cloud-storage, as the Cloud Run job runs it), the ingest's own publish and
ingest code, and the fake ``google.cloud.bigquery.Client`` of test_hybrid_bigquery over a local copy
of the bucket: every version registered as BigLake tables through the connection, the views
``<dataset>.<table>`` pointed at the published version only after the manifest names it, and every
endpoint answering on the ``bigquery`` engine as on the local file."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from app.catalog import __main__ as catalog_cli
from app.catalog import versions as catalog_versions
from app.catalog import views as catalog_views
from app.lake import job as lake_job
from app.lake import manifest as lake_manifest
from app.lake.stores import gcs as gcs_store
from tests.engines.conftest import API_KEY
from tests.engines.endpoints import ENDPOINTS
from tests.engines.test_gcs_ingest import gcs_server  # noqa: F401 - the storage emulator
from tests.engines.test_hybrid_bigquery import MirrorBigQuery, _answers, _local, second_db  # noqa: F401

PROJECT = "shop-analytics-prod"
DATASET = "shop_warehouse_prod"
CONNECTION = "projects/shop-analytics-prod/locations/europe-west1/connections/shop-warehouse-prod-lake"


def settings_for(bucket: str, **kw):
    """What the gcp plan gives the ingest job (tests/deploy/test_gcp_registration checks the plan)."""
    from app.settings import Settings

    values = {
        "engine": "duckdb",
        "lake_uri": f"gs://{bucket}/tables/",
        "bigquery_project": PROJECT,
        "bigquery_dataset": DATASET,
        "bigquery_location": "europe-west1",
        "bigquery_connection": CONNECTION,
        "lake_refresh_seconds": 0,
        "log_level": "warning",
        "threads": 2,
    }
    values.update(kw)
    return Settings(**values)


class GcpLake:
    """A gs:// lake on the emulator, the fake BigQuery over a local copy of it, and the hook the ingest
    job runs after its publish (``catalog_views.point_views``)."""

    def __init__(self, server: str, root: Path):
        from google.cloud import storage

        self.bucket = "lake-" + uuid.uuid4().hex[:12]
        self.gcs = storage.Client(project="test")
        self.gcs.create_bucket(self.bucket)
        self.copy = root / "bucket"
        self.copy.mkdir()
        self.bigquery = MirrorBigQuery(self.copy, bucket=self.bucket)
        self.settings = settings_for(self.bucket)
        self.registered_while_published: list[str | None] = []
        self.views_while_registering: list[dict] = []

    def manifest(self) -> dict | None:

        return gcs_store.read_manifest(self.gcs, self.settings.lake_uri)

    def register(self, manifest: dict) -> dict:
        """The job's registration, observed: what is published and where the views point meanwhile."""

        self.registered_while_published.append((self.manifest() or {}).get("version"))
        self.views_while_registering.append(dict(self.bigquery.views))
        return catalog_versions.register(manifest, self.settings, bigquery_client=self.bigquery)

    def after_publish(self) -> dict:

        self.sync()
        return catalog_views.point_views(self.settings, bigquery_client=self.bigquery, manifest_loader=self.manifest)

    def sync(self) -> None:
        """BigQuery reads the bucket: mirror its objects into the fake's directory."""
        for blob in self.gcs.list_blobs(self.bucket, prefix="tables/"):
            target = self.copy / blob.name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                blob.download_to_filename(str(target))

    def views(self) -> dict[str, str]:
        return dict(self.bigquery.views)


@pytest.fixture(scope="module")
def gcp_db(tmp_path_factory) -> Path:
    """Enough customers and products for every endpoint variant, few enough days for the emulator."""
    from app.seed import seed

    path = tmp_path_factory.mktemp("gcp-db") / "shop.duckdb"
    seed(path, 1300, 11)  # order 1234 and customer 42 exist, as the endpoint variants ask
    return path


@pytest.fixture(scope="module")
def gcp(gcs_server, gcp_db, tmp_path_factory):  # noqa: F811 - the emulator fixture imported above
    """Version 1 published (``python -m app.lake publish``), then version 2 by the ingest job from incoming/."""

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STORAGE_EMULATOR_HOST", gcs_server)
        g = GcpLake(gcs_server, tmp_path_factory.mktemp("gcp-bigquery"))
        g.first = lake_job.publish_database(gcp_db, g.settings, g.register)
        g.first_views = g.after_publish()
        g.gcs.bucket(g.bucket).blob("incoming/products.csv").upload_from_string(
            "product_id,name,category,unit_price\n9001,New lamp,Home,12.50\n"
        )
        g.ingested = lake_job.ingest(f"gs://{g.bucket}/incoming/", "append", g.settings, g.register)
        g.second = g.manifest()
        g.second_views = g.after_publish()
        yield g


def test_every_version_is_registered_as_biglake_tables_through_the_connection(gcp):
    v1, v2 = gcp.first["version"], gcp.second["version"]
    assert gcp.ingested["version"] == v2 != v1
    for manifest in (gcp.first, gcp.second):
        v = manifest["version"]
        assert manifest["catalog"]["bigquery"]["tables"] == {t: f"{DATASET}.{t}__{v}" for t in manifest["tables"]}
        assert len(manifest["tables"]) >= 17  # base, derived and meta tables alike
        for t in manifest["tables"]:
            config = gcp.bigquery.tables[f"{DATASET}.{t}__{v}"].external_data_configuration
            # BigLake: BigQuery reads the lake as the connection's account, never as the caller.
            assert config.connection_id == CONNECTION, t
            assert config.source_uris[0].startswith(f"gs://{gcp.bucket}/tables/{t}/version={v}/"), t
    orders = gcp.bigquery.tables[f"{DATASET}.orders__{v2}"].external_data_configuration
    assert (
        orders.hive_partitioning.source_uri_prefix == f"gs://{gcp.bucket}/tables/orders/version={v2}/"
        "{order_date:DATE}/"
    )
    # Registered while the previous manifest was still the published one.
    assert gcp.registered_while_published == [None, v1]


def test_the_views_are_pointed_after_the_manifest_and_never_before(gcp):
    v1, v2 = gcp.first["version"], gcp.second["version"]
    assert gcp.first_views["version"] == v1 and gcp.second_views["version"] == v2
    # While v2 was registered (before its manifest), the views still read v1; before v1, none existed.
    assert gcp.views_while_registering == [{}, {f"{DATASET}.{t}": f"{DATASET}.{t}__{v1}" for t in gcp.first["tables"]}]
    assert gcp.views() == {f"{DATASET}.{t}": f"{DATASET}.{t}__{v2}" for t in gcp.second["tables"]}


def test_analysts_read_the_published_version_through_the_views(gcp):
    query = gcp.bigquery.query
    rows = list(query(f"SELECT COUNT(*) AS n FROM {DATASET}.products", location="europe-west1").result())
    assert rows[0]["n"] == gcp.second["tables"]["products"]["rows"] == gcp.first["tables"]["products"]["rows"] + 1
    lamp = list(query(f"SELECT name FROM {DATASET}.products WHERE product_id = 9001", location="europe-west1").result())
    assert [r["name"] for r in lamp] == ["New lamp"]
    meta = list(query(f"SELECT version FROM {DATASET}.dataset_meta", location="europe-west1").result())
    assert [r["version"] for r in meta] == [gcp.second["version"]]
    summary = list(query(f"SELECT COUNT(*) AS n FROM {DATASET}.customer_summary", location="europe-west1").result())
    assert summary[0]["n"] == gcp.second["tables"]["customer_summary"]["rows"]  # derived tables too


def test_a_publish_that_loses_the_race_leaves_the_views_on_the_published_version(
    gcp,
    second_db,  # noqa: F811
    gcs_server,  # noqa: F811
    monkeypatch,
):

    def answered_412(*args, **kwargs):  # another job's manifest landed first (GCS ifGenerationMatch)
        raise lake_manifest.ManifestConflict("changed since it was read")

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server)
    monkeypatch.setattr(gcs_store, "put_manifest", answered_412)
    before = gcp.views()
    with pytest.raises(lake_manifest.ManifestConflict):
        lake_job.publish_database(second_db, gcp.settings, gcp.register, expect=lake_manifest.Snapshot(None, None))
    loser = [k for k in gcp.bigquery.tables if k.split("__")[1] not in (gcp.first["version"], gcp.second["version"])]
    assert loser  # its tables were registered ...
    out = gcp.after_publish()  # ... but the hook reads the published manifest: the views do not move
    assert out["version"] == gcp.second["version"] and gcp.views() == before


def test_point_views_repoints_when_another_job_publishes_meanwhile(gcp):
    """The manifest changes between reading it and replacing the views: they are pointed again."""

    client = MirrorBigQuery(gcp.copy, bucket=gcp.bucket)
    client.tables = dict(gcp.bigquery.tables)
    reads = iter([gcp.first, gcp.second, gcp.second, gcp.second])  # changes right after the first read
    out = catalog_views.point_views(gcp.settings, bigquery_client=client, manifest_loader=lambda: next(reads))
    assert out["version"] == gcp.second["version"]
    assert set(client.views.values()) == {f"{DATASET}.{t}__{gcp.second['version']}" for t in gcp.second["tables"]}


def test_a_bigquery_error_is_reported_not_raised(gcp):
    from google.api_core import exceptions as gexc

    class Refusing(MirrorBigQuery):
        def query(self, sql, job_config=None, location=None):
            raise gexc.Forbidden("Access Denied: bigquery.tables.create")

    out = catalog_views.point_views(
        gcp.settings, bigquery_client=Refusing(gcp.copy, bucket=gcp.bucket), manifest_loader=gcp.manifest
    )
    assert out["views"] == {} and out["version"] == gcp.second["version"] and "Access Denied" in out["reason"]


def test_every_endpoint_answers_on_the_bigquery_engine_over_the_gcs_lake(gcp, gcp_db):
    """STACKS_APP_ENGINE=bigquery as the gcp API runs it: the published manifest, its BigLake tables.
    Version 1 is ``gcp_db`` exported as is: every answer equals the local file's."""
    from app.engines.bigquery import BigQueryEngine

    first = gcp.first
    settings = settings_for(gcp.bucket, engine="bigquery", api_key=API_KEY, bigquery_connection=None)
    engine = BigQueryEngine(settings, client=gcp.bigquery, manifest_loader=lambda: first)
    got = _answers(settings, engine)
    assert engine.version == first["version"]
    expected = _local(gcp_db)
    for path in ENDPOINTS:
        assert got[path] == expected[path], path
    # And on the version the ingest job published: every endpoint answers.
    engine = BigQueryEngine(settings, client=gcp.bigquery, manifest_loader=gcp.manifest)
    assert set(_answers(settings, engine)) == set(ENDPOINTS) and engine.version == gcp.second["version"]


def test_the_catalog_command_needs_a_gs_lake_or_a_mirror(monkeypatch, capsys):

    for key in [k for k in __import__("os").environ if k.startswith("STACKS_APP_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("STACKS_APP_LAKE_URI", "s3://lake/tables/")
    monkeypatch.setenv("STACKS_APP_BIGQUERY_PROJECT", PROJECT)
    monkeypatch.setenv("STACKS_APP_BIGQUERY_DATASET", DATASET)
    from app.settings import get_settings

    get_settings.cache_clear()
    try:
        assert catalog_cli.main(["views"]) == 1
    finally:
        get_settings.cache_clear()
    assert "STACKS_APP_BIGQUERY_LAKE_URI" in capsys.readouterr().err


def test_an_unreadable_manifest_or_no_dataset_is_reported_not_raised(tmp_path):
    from google.api_core import exceptions as gexc

    def forbidden():
        raise gexc.Forbidden("storage.objects.get denied")

    client = MirrorBigQuery(tmp_path, bucket="lake-x")
    out = catalog_views.point_views(settings_for("lake-x"), bigquery_client=client, manifest_loader=forbidden)
    assert out["views"] == {} and "cannot read the lake manifest" in out["reason"] and "denied" in out["reason"]
    assert (
        catalog_views.point_views(
            settings_for("lake-x", bigquery_dataset=None), bigquery_client=client, manifest_loader=forbidden
        )
        == {}
    )
    assert not client.queries
