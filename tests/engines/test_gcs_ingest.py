"""The keyless GCS ingest path: google-cloud-storage against a real storage emulator on 127.0.0.1.

No HMAC key anywhere: the settings carry no S3/GCS key, the client authenticates the way the Cloud Run
job does (Application Default Credentials; anonymous against the emulator)."""

from __future__ import annotations

import json
import uuid

import duckdb
import pytest

from app.errors import AppError
from app.lake import clients as lake_clients
from app.lake import job as lake_job
from app.lake import manifest as lake_manifest
from app.lake.stores import gcs as gcs_store


@pytest.fixture(scope="session")
def gcs_server():
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gcp_storage_emulator",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    "storage emulator did not start: pip install -r requirements/dev.txt (gcp-storage-emulator)"
                ) from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory):
    """Few orders: the emulator stores objects slowly, and every order date is a partition file."""
    from app.seed import seed

    path = tmp_path_factory.mktemp("gcs") / "shop.duckdb"
    seed(path, 150, 11)
    return path


@pytest.fixture()
def gcs(gcs_server, monkeypatch):
    """(client, bucket name): the app builds its own client; STORAGE_EMULATOR_HOST points it here."""
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server)
    client = storage.Client(project="test")
    name = "lake-" + uuid.uuid4().hex[:12]
    client.create_bucket(name)
    return client, name


def _settings(bucket: str):
    from app.settings import Settings

    return Settings(engine="duckdb", lake_uri=f"gs://{bucket}/tables/", log_level="warning", threads=2)


class Recorder:
    """A register() that checks what exists when the catalog is registered (just before the manifest)."""

    def __init__(self, client, bucket, fail: bool = False):
        self.client, self.bucket, self.fail, self.seen = client, bucket, fail, []

    def __call__(self, manifest: dict) -> dict:
        names = {b.name for b in self.client.list_blobs(self.bucket)}
        for entry in manifest["tables"].values():
            prefix = entry["location"].removeprefix(f"gs://{self.bucket}/")
            assert any(n.startswith(prefix) and n.endswith(".parquet") for n in names), prefix
        old = self.client.bucket(self.bucket).get_blob("tables/_manifest.json")
        self.seen.append(json.loads(old.download_as_bytes())["version"] if old else None)
        if self.fail:
            raise AppError(503, "catalog", "BigQuery said no")
        return {"bigquery": {"dataset": "shop", "tables": sorted(manifest["tables"])}}


def _manifest(client, bucket):
    blob = client.bucket(bucket).get_blob("tables/_manifest.json")
    return blob.download_as_bytes() if blob else None


def test_publish_uploads_the_version_then_the_manifest_last(gcs, tiny_db):

    client, bucket = gcs
    settings = _settings(bucket)
    assert settings.s3_access_key_id is None  # keyless
    reg = Recorder(client, bucket)
    manifest = lake_job.publish_database(tiny_db, settings, reg)
    assert reg.seen == [None]  # registered while nothing was published yet: the manifest came after
    names = sorted(b.name for b in client.list_blobs(bucket))
    version = manifest["version"]
    assert "tables/_manifest.json" in names
    assert f"tables/customers/version={version}/data_0.parquet" in names
    assert any(n.startswith(f"tables/orders/version={version}/order_date=") for n in names)
    published = json.loads(_manifest(client, bucket))
    assert published["version"] == version and published["catalog"]["bigquery"]["dataset"] == "shop"
    assert published["tables"]["orders"]["location"] == f"gs://{bucket}/tables/orders/version={version}/"
    # The uploaded Parquet is the database: row counts agree with the local file.
    local = duckdb.connect(str(tiny_db), read_only=True)
    try:
        assert published["tables"]["orders"]["rows"] == local.execute("SELECT count(*) FROM orders").fetchone()[0]
    finally:
        local.close()


def test_ingest_appends_moves_to_processed_and_a_failure_publishes_nothing(gcs, tiny_db):

    client, bucket = gcs
    settings = _settings(bucket)
    first = lake_job.publish_database(tiny_db, settings, Recorder(client, bucket))
    b = client.bucket(bucket)
    before = _manifest(client, bucket)

    b.blob("incoming/products-bad.csv").upload_from_string("product_id,name,category,unit_price\n9001,Bad,Home,-1.00\n")
    with pytest.raises(AppError):
        lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, Recorder(client, bucket))
    assert _manifest(client, bucket) == before  # nothing published
    assert b.get_blob("incoming/products-bad.csv") is not None  # the bad file stays for a human
    b.blob("incoming/products-bad.csv").delete()

    # The catalog refuses: the version's files are there but the manifest still names the old one.
    b.blob("incoming/products.csv").upload_from_string(
        "product_id,name,category,unit_price\n9001,New lamp,Home,12.50\n"
    )
    with pytest.raises(AppError, match="BigQuery said no"):
        lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, Recorder(client, bucket, fail=True))
    assert _manifest(client, bucket) == before
    assert b.get_blob("incoming/products.csv") is not None
    # The refused version's files were discarded: only the published version is in the lake.
    assert {
        n.name.split("version=")[1].split("/")[0]
        for n in client.list_blobs(bucket, prefix="tables/")
        if "version=" in n.name
    } == {first["version"]}

    reg = Recorder(client, bucket)
    out = lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, reg)
    assert reg.seen == [first["version"]]
    assert out["previous"] == first["version"] and out["moved"] == 1
    published = json.loads(_manifest(client, bucket))
    assert published["version"] == out["version"]
    assert published["sources"] == [
        {
            "name": f"gs://{bucket}/incoming/products.csv",
            "version": out["version"],
            "generation": published["sources"][0]["generation"],
        }
    ]
    names = {x.name for x in client.list_blobs(bucket)}
    assert "incoming/products.csv" not in names
    assert f"processed/{out['version']}/products.csv" in names
    assert published["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 1

    # Read back what was published, with DuckDB over the downloaded version (no httpfs, no key).
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        local = gcs_store.download_version(client, published, Path(tmp), ("products",))
        con = duckdb.connect()
        rows = con.execute(
            f"SELECT name, unit_price FROM {lake_manifest.read_source('products', local['tables']['products'])} "
            "WHERE product_id = 9001"
        ).fetchall()
        con.close()
    assert [(n, str(p)) for n, p in rows] == [("New lamp", "12.50")]

    # Nothing new: success with "nothing to ingest", nothing published.
    after = _manifest(client, bucket)
    empty = lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, Recorder(client, bucket))
    assert empty["ingested"] is False and empty["message"].startswith("nothing to ingest")
    assert empty["version"] == published["version"] and empty["tables"] == {}
    assert _manifest(client, bucket) == after


def test_a_crash_between_publish_and_move_is_finished_by_the_next_run(gcs, tiny_db):

    client, bucket = gcs
    settings = _settings(bucket)
    lake_job.publish_database(tiny_db, settings, Recorder(client, bucket))
    b = client.bucket(bucket)
    b.blob("incoming/products.csv").upload_from_string("product_id,name,category,unit_price\n9003,Desk,Home,99.00\n")

    def killed(*args, **kwargs):
        raise AppError(503, "crash", "killed")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gcs_store, "move_processed", killed)  # the job dies right after publishing
        with pytest.raises(AppError, match="killed"):
            lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, Recorder(client, bucket))
    published = json.loads(_manifest(client, bucket))
    assert b.get_blob("incoming/products.csv") is not None  # published but not moved

    out = lake_job.ingest(f"gs://{bucket}/incoming/", "append", settings, Recorder(client, bucket))
    assert out["version"] == published["version"] and out["moved"] == 1 and out["tables"] == {}
    assert json.loads(_manifest(client, bucket))["version"] == published["version"]  # not ingested twice
    assert {x.name for x in client.list_blobs(bucket, prefix="incoming/")} == set()
    assert b.get_blob(f"processed/{published['version']}/products.csv") is not None


def test_without_credentials_the_error_is_clear(monkeypatch, tmp_path):

    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(AppError, match="no Google credentials"):
        lake_clients.gcs_client(_settings("no-such-lake"))
