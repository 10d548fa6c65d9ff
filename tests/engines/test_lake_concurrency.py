"""Concurrent ingest jobs on one lake: the manifest is published by compare-and-swap, the loser retries
on top of the winner, and no ingested row is ever dropped by a later manifest PUT.

S3 runs against moto's server on 127.0.0.1, which honours ``If-Match`` / ``If-None-Match`` on
PutObject. The GCS storage emulator ignores ``ifGenerationMatch``; the GCS tests put a requests
session under the real google-cloud-storage client that enforces it the way Cloud Storage does (412
when the object's live generation differs, 0 = must not exist), and a test pins that the emulator
alone does not, so the wrapper goes when the emulator learns it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import boto3
import pytest
import requests

from app.catalog import versions as catalog_versions
from app.engines import lake as lake_engine
from app.errors import AppError
from app.lake import __main__ as lake_cli
from app.lake import clients as lake_clients
from app.lake import job as lake_job
from app.lake import manifest as lake_manifest
from app.lake.stores import gcs as gcs_store
from app.lake.stores import s3 as s3_store
from app.lake.stores.gcs import GcsStore
from tests.engines import test_gcs_ingest
from tests.engines.conftest import lake_settings

gcs_server = test_gcs_ingest.gcs_server  # the storage emulator on 127.0.0.1 (a session fixture)
tiny_db = test_gcs_ingest.tiny_db  # 150 orders: few partition files, quick ingests

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    """Retries wait a few milliseconds here (the jitter stays: collided jobs must not re-collide)."""

    monkeypatch.setattr(lake_job, "CONFLICT_BACKOFF_BASE", 0.02)


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


def _manifest(s3, bucket) -> dict:
    return json.loads(s3.get_object(Bucket=bucket, Key="tables/_manifest.json")["Body"].read())


def _versions_on_disk(s3, bucket) -> set[str]:
    return {k.split("version=")[1].split("/")[0] for k in _keys(s3, bucket, "tables/") if "version=" in k}


def _product(pid: int) -> bytes:
    return f"product_id,name,category,unit_price\n{pid},Item {pid},Home,{pid % 97}.50\n".encode()


def _product_ids(settings, low: int) -> list[int]:

    engine = lake_engine.LakeEngine(settings)
    return [
        r["product_id"]
        for r in engine.fetch(f"SELECT product_id FROM products WHERE product_id >= {low} ORDER BY product_id")
    ]


def _race(module, name: str, during):
    """Wrap ``module.name`` (a publish function) so that ``during()`` runs once, inside the first call,
    before the real publish: i.e. after that job read the manifest and built its version."""
    real = getattr(module, name)
    calls: list[dict] = []

    def racing(*args, **kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            during()
        return real(*args, **kwargs)

    return racing, calls


# ---------------------------------------------------------------- S3, deterministic interleavings


def test_a_job_that_loses_the_race_retries_on_top_of_the_winner(s3_server, bucket, small_db, monkeypatch, caplog):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(small_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/a/products-a.csv", Body=_product(9401))
    s3.put_object(Bucket=bucket, Key="incoming/b/products-b.csv", Body=_product(9402))
    other: list[dict] = []
    racing, calls = _race(
        lake_job,
        "publish_database",
        lambda: other.append(lake_job.ingest(f"s3://{bucket}/incoming/b/", "append", settings)),
    )
    monkeypatch.setattr(lake_job, "publish_database", racing)
    caplog.set_level(logging.WARNING, logger="app.lake")

    out = lake_job.ingest(f"s3://{bucket}/incoming/a/", "append", settings)

    winner = other[0]
    assert winner["previous"] == first["version"] and winner["attempts"] == 1
    # A's first publish expected the first version and lost; its retry built on B's version.
    assert calls[0]["expect"].version == first["version"]
    assert out["attempts"] == 2 and out["previous"] == winner["version"] and out["tables"] == {"products": 1}
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == ["lake ingest conflict"]
    manifest = _manifest(s3, bucket)
    assert manifest["version"] == out["version"]
    assert manifest["history"][:3] == [out["version"], winner["version"], first["version"]]
    assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2  # both jobs' rows
    assert _product_ids(settings, 9400) == [9401, 9402]
    assert _keys(s3, bucket, "incoming/") == []
    assert _keys(s3, bucket, "processed/") == sorted(
        [f"processed/{out['version']}/a/products-a.csv", f"processed/{winner['version']}/b/products-b.csv"]
    )
    # The losing attempt's version was discarded: no orphan prefix.
    assert _versions_on_disk(s3, bucket) == {first["version"], winner["version"], out["version"]}
    assert [(s["name"].rsplit("/", 1)[-1], s["version"]) for s in manifest["sources"]] == [
        ("products-a.csv", out["version"]),
        ("products-b.csv", winner["version"]),
    ]


def test_without_the_compare_and_swap_the_same_race_loses_rows(s3_server, bucket, tiny_db, monkeypatch):
    """The control: the interleaving of the test above with an unconditional manifest PUT (the code
    before this change) silently drops the winner's row - the failure the tests above rule out."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/a/products-a.csv", Body=_product(9441))
    s3.put_object(Bucket=bucket, Key="incoming/b/products-b.csv", Body=_product(9442))
    real_put = s3_store.put_manifest
    monkeypatch.setattr(s3_store, "put_manifest", lambda s3_, root_, m, expect: real_put(s3_, root_, m, expect=None))
    racing, _ = _race(
        lake_job, "publish_database", lambda: lake_job.ingest(f"s3://{bucket}/incoming/b/", "append", settings)
    )
    monkeypatch.setattr(lake_job, "publish_database", racing)

    out = lake_job.ingest(f"s3://{bucket}/incoming/a/", "append", settings)

    assert out["attempts"] == 1
    assert _manifest(s3, bucket)["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 1
    assert _product_ids(settings, 9440) == [9441]  # 9442 was ingested, moved to processed/ and lost


def test_a_retry_whose_files_the_winner_took_is_superseded_and_exits_0(s3_server, bucket, tiny_db, monkeypatch, capsys):
    """Two jobs on the same incoming/ (one per dropped file, as EventBridge starts them): the winner
    ingests both files, the loser's retry finds nothing fresh and succeeds with ``superseded_by``."""
    from app.settings import get_settings

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/products-1.csv", Body=_product(9411))
    other: list[dict] = []

    def second_drop_and_its_job():
        s3.put_object(Bucket=bucket, Key="incoming/products-2.csv", Body=_product(9412))
        other.append(lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings))

    racing, _ = _race(lake_job, "publish_database", second_drop_and_its_job)
    monkeypatch.setattr(lake_job, "publish_database", racing)
    for name, value in {
        "STACKS_APP_ENGINE": "lake",
        "STACKS_APP_LAKE_URI": f"s3://{bucket}/tables/",
        "STACKS_APP_S3_ENDPOINT": s3_server,
        "STACKS_APP_S3_USE_SSL": "false",
        "STACKS_APP_S3_ACCESS_KEY_ID": "testing",
        "STACKS_APP_S3_SECRET_ACCESS_KEY": "testing",
        "STACKS_APP_LOG_LEVEL": "warning",
        "STACKS_APP_THREADS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        code = lake_cli.main(["ingest", "--source", f"s3://{bucket}/incoming/"])
    finally:
        get_settings.cache_clear()

    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    winner = other[0]
    assert code == 0 and out["ok"] is True
    assert out["superseded_by"] == winner["version"] and out["tables"] == {} and out["attempts"] == 2
    assert winner["tables"] == {"products": 2}  # the winner took both drops
    manifest = _manifest(s3, bucket)
    assert manifest["version"] == winner["version"]
    assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2
    assert _keys(s3, bucket, "processed/") == [f"processed/{winner['version']}/products-{i}.csv" for i in (1, 2)]
    assert _versions_on_disk(s3, bucket) == {first["version"], winner["version"]}


def test_conflicts_that_never_stop_end_in_409_with_the_manifest_untouched(
    s3_server, bucket, tiny_db, monkeypatch, caplog
):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/", lake_ingest_attempts=3)
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/products.csv", Body=_product(9421))
    real = lake_job.publish_database
    written: list[bytes] = []

    def always_beaten(*args, **kwargs):
        # Another writer replaces the manifest right before every publish of this job.
        body = json.dumps({**_manifest(s3, bucket), "published_at": f"2030-01-0{len(written) + 1}T00:00:00+00:00"})
        s3.put_object(Bucket=bucket, Key="tables/_manifest.json", Body=body.encode())
        written.append(body.encode())
        return real(*args, **kwargs)

    monkeypatch.setattr(lake_job, "publish_database", always_beaten)

    real_drop, dropped = catalog_versions.drop_versions, []
    monkeypatch.setattr(
        catalog_versions, "drop_versions", lambda versions, s: (dropped.extend(versions), real_drop(versions, s))
    )
    caplog.set_level(logging.WARNING, logger="app.lake")
    with pytest.raises(AppError) as err:
        lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)

    assert (err.value.status, err.value.code) == (409, "conflict")
    assert "gave up after 3 attempts" in err.value.message
    assert len(written) == 3
    assert sum(r.getMessage() == "lake ingest conflict" for r in caplog.records) == 3
    assert s3.get_object(Bucket=bucket, Key="tables/_manifest.json")["Body"].read() == written[-1]  # untouched
    assert _versions_on_disk(s3, bucket) == {first["version"]}  # every attempt's version discarded
    assert len(set(dropped)) == 3 and first["version"] not in dropped  # ... and its catalog tables dropped
    assert _keys(s3, bucket, "incoming/") == ["incoming/products.csv"]  # left for the next run
    assert _keys(s3, bucket, "processed/") == []


def test_the_carried_sources_record_stops_a_double_ingest_after_crash_then_other_publish(
    s3_server, bucket, tiny_db, monkeypatch
):
    """Job A publishes and dies before moving its file; job B (another prefix) publishes on top; job C
    over A's prefix must see A's file as consumed (by A's version, two manifests back) and only move it."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/a/products-a.csv", Body=_product(9431))
    s3.put_object(Bucket=bucket, Key="incoming/b/products-b.csv", Body=_product(9432))

    def killed(*args, **kwargs):
        raise AppError(503, "crash", "killed")

    with monkeypatch.context() as mp:
        mp.setattr(s3_store, "move_processed", killed)
        with pytest.raises(AppError, match="killed"):
            lake_job.ingest(f"s3://{bucket}/incoming/a/", "append", settings)
    version_a = _manifest(s3, bucket)["version"]
    b = lake_job.ingest(f"s3://{bucket}/incoming/b/", "append", settings)
    record = [(s["name"].rsplit("/", 1)[-1], s["version"]) for s in _manifest(s3, bucket)["sources"]]
    assert record == [("products-b.csv", b["version"]), ("products-a.csv", version_a)]

    c = lake_job.ingest(f"s3://{bucket}/incoming/a/", "append", settings)
    assert c["tables"] == {} and c["moved"] == 1 and c["version"] == b["version"]
    assert _manifest(s3, bucket)["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2
    assert _product_ids(settings, 9430) == [9431, 9432]  # 9431 once
    assert _keys(s3, bucket, "processed/") == sorted(
        [f"processed/{version_a}/a/products-a.csv", f"processed/{b['version']}/b/products-b.csv"]
    )
    nothing = lake_job.ingest(f"s3://{bucket}/incoming/a/", "append", settings)  # a first attempt with nothing
    assert nothing["ingested"] is False and nothing["message"].startswith("nothing to ingest")


def test_a_put_that_landed_but_answered_412_is_kept_not_discarded(s3_server, bucket, tiny_db, monkeypatch):
    """The PUT succeeds, its answer is lost, the client's retry of the same conditional PUT gets 412:
    the job must see its own version in the manifest and keep it (deleting it would break readers)."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    s3.put_object(Bucket=bucket, Key="incoming/products.csv", Body=_product(9451))
    real_put = s3_store.put_manifest

    def landed_then_412(s3_, root_, manifest, *, expect):
        real_put(s3_, root_, manifest, expect=expect)
        real_put(s3_, root_, manifest, expect=expect)  # the retry: 412 now, as S3 answers it

    monkeypatch.setattr(s3_store, "put_manifest", landed_then_412)
    out = lake_job.ingest(f"s3://{bucket}/incoming/", "append", settings)
    assert out["attempts"] == 1 and out["tables"] == {"products": 1}
    assert _manifest(s3, bucket)["version"] == out["version"]
    assert _versions_on_disk(s3, bucket) == {first["version"], out["version"]}
    assert _product_ids(settings, 9450) == [9451]
    assert _keys(s3, bucket, "processed/") == [f"processed/{out['version']}/products.csv"]


def test_the_sources_record_is_newest_first_deduplicated_and_capped():

    previous = {
        "version": "v0000002",
        "tables": {},
        "sources": [
            {"name": "s3://l/incoming/x.csv", "etag": '"1"', "version": "v0000002"},
            {"name": "s3://l/incoming/y.csv", "etag": '"2"'},  # a manifest from before the record carried versions
        ],
    }
    new = [{"name": "s3://l/incoming/z.csv", "etag": '"3"'}, {"name": "s3://l/incoming/x.csv", "etag": '"1"'}]
    out = lake_manifest.carry_sources(new, "v0000003", previous)
    assert [(e["name"][-5:], e["version"]) for e in out] == [
        ("z.csv", "v0000003"),
        ("x.csv", "v0000003"),
        ("y.csv", "v0000002"),
    ]
    assert [e["name"][-5:] for e in lake_manifest.carry_sources(new, "v0000003", previous, keep=2)] == [
        "z.csv",
        "x.csv",
    ]
    many = [{"name": f"s3://l/incoming/{i}.csv", "etag": str(i)} for i in range(lake_manifest.SOURCES_KEEP + 5)]
    assert len(lake_manifest.carry_sources(many, "v0000004", previous)) == lake_manifest.SOURCES_KEEP


# ---------------------------------------------------------------- S3, the conditional PUT itself


def test_the_manifest_put_is_conditional_on_the_etag_read(s3_server, bucket):

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    s3 = lake_clients.s3_client(settings)
    absent = s3_store.read_snapshot(s3, settings.lake_uri)
    assert absent == lake_manifest.Snapshot(None, None)
    one = {"version": "aaaaaa1", "tables": {}}
    s3_store.put_manifest(s3, settings.lake_uri, one, expect=absent)  # If-None-Match: * on a new key
    with pytest.raises(lake_manifest.ManifestConflict):
        s3_store.put_manifest(s3, settings.lake_uri, {"version": "bbbbbb2", "tables": {}}, expect=absent)
    read = s3_store.read_snapshot(s3, settings.lake_uri)
    assert read.manifest == one and read.token
    s3_store.put_manifest(s3, settings.lake_uri, {"version": "cccccc3", "tables": {}}, expect=read)  # If-Match
    with pytest.raises(lake_manifest.ManifestConflict) as err:  # the same, stale, ETag again
        s3_store.put_manifest(s3, settings.lake_uri, {"version": "dddddd4", "tables": {}}, expect=read)
    assert (err.value.status, err.value.code) == (409, "conflict")
    assert s3_store.read_snapshot(s3, settings.lake_uri).version == "cccccc3"
    s3_store.put_manifest(s3, settings.lake_uri, {"version": "eeeeee5", "tables": {}}, expect=None)  # unconditional
    assert s3_store.read_snapshot(s3, settings.lake_uri).version == "eeeeee5"


@pytest.mark.parametrize(
    ("status", "code", "conflict"),
    [
        (409, "ConditionalRequestConflict", True),  # real S3, two conditional writes in flight: by contract
        (412, "PreconditionFailed", True),
        (404, "NoSuchKey", True),  # If-Match on a manifest deleted meanwhile
        (503, "SlowDown", False),
        (403, "AccessDenied", False),
    ],
)
def test_which_put_errors_are_conflicts(status, code, conflict):
    """Real S3's answers (moto never sends 409 ConditionalRequestConflict), at the boto3 boundary."""
    from botocore.stub import Stubber

    s3 = boto3.session.Session().client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_client_error("put_object", service_error_code=code, http_status_code=status)
        with pytest.raises(AppError) as err:
            s3_store.put_manifest(
                s3,
                "s3://lake/tables/",
                {"version": "aaaaaa1", "tables": {}},
                expect=lake_manifest.Snapshot({"version": "aaaaaa0", "tables": {}}, '"etag"'),
            )
    assert isinstance(err.value, lake_manifest.ManifestConflict) is conflict
    assert err.value.status == (409 if conflict else 503)


# ---------------------------------------------------------------- S3, real concurrency (bounded)


def _run_together(jobs, timeout=600.0):
    """Start every job at the same instant (a barrier) in its own thread; (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "an ingest job hung"
    return results, errors


def test_two_jobs_at_once_never_lose_rows(s3_server, bucket, tiny_db):
    """Two ingest jobs started together over different prefixes, three rounds: every row of every round
    is published, and every file is in processed/. Whether a round collides is up to the scheduler;
    the rows are checked either way."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/", lake_ingest_attempts=10)
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    attempts = []
    for rnd in range(3):
        for job in (0, 1):
            s3.put_object(
                Bucket=bucket, Key=f"incoming/j{job}/products-{rnd}.csv", Body=_product(9500 + 10 * rnd + job)
            )
        results, errors = _run_together(
            [lambda job=job: lake_job.ingest(f"s3://{bucket}/incoming/j{job}/", "append", settings) for job in (0, 1)]
        )
        assert errors == []
        attempts += [r["attempts"] for r in results]
        manifest = _manifest(s3, bucket)
        assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2 * (rnd + 1)
        assert _keys(s3, bucket, "incoming/") == []
        assert manifest["version"] in {r["version"] for r in results}
    assert _product_ids(settings, 9500) == sorted(9500 + 10 * r + j for r in range(3) for j in (0, 1))
    assert len(_keys(s3, bucket, "processed/")) == 6
    # Serialised: each successful publish built on the one before it, so history is a chain of 7.
    assert len(_manifest(s3, bucket)["history"]) == 7 and len(attempts) == 6
    # The race was real: jobs that start together and work for seconds read the same manifest, and a
    # round where both published first-time would have lost rows without the compare-and-swap.
    assert sum(attempts) > len(attempts), attempts


def test_two_job_processes_on_the_same_prefix_both_exit_0_and_ingest_each_file_once(s3_server, bucket, tiny_db):
    """The EventBridge case: one ``python -m app.lake ingest --source .../incoming/`` task per drop."""

    settings = lake_settings(s3_server, f"s3://{bucket}/tables/")
    first = lake_job.publish_database(tiny_db, settings)
    s3 = _s3(s3_server)
    for i in (1, 2):
        s3.put_object(Bucket=bucket, Key=f"incoming/products-p{i}.csv", Body=_product(9600 + i))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STACKS_APP_")},
        "STACKS_APP_ENGINE": "lake",
        "STACKS_APP_LAKE_URI": f"s3://{bucket}/tables/",
        "STACKS_APP_S3_ENDPOINT": s3_server,
        "STACKS_APP_S3_USE_SSL": "false",
        "STACKS_APP_S3_ACCESS_KEY_ID": "testing",
        "STACKS_APP_S3_SECRET_ACCESS_KEY": "testing",
        "STACKS_APP_LOG_LEVEL": "warning",
        "STACKS_APP_THREADS": "1",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "app.lake", "ingest", "--source", f"s3://{bucket}/incoming/"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in (1, 2)
    ]
    outs = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stdout + stderr
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    manifest = _manifest(s3, bucket)
    assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2
    assert _product_ids(settings, 9600) == [9601, 9602]
    assert _keys(s3, bucket, "incoming/") == []
    # Each file was consumed by exactly one published version.
    names = sorted(s["name"].rsplit("/", 1)[-1] for s in manifest["sources"])
    assert names == ["products-p1.csv", "products-p2.csv"]
    assert sum(sum(o["tables"].values()) for o in outs) == 2


# ---------------------------------------------------------------- GCS


class GenerationPreconditions(requests.Session):
    """The HTTP session under a real ``google.cloud.storage.Client``, adding what Cloud Storage does and
    the emulator does not: a request carrying ``ifGenerationMatch`` is refused with 412 unless the
    object's live generation is that number (0: the object must not exist). The check and the request
    are one step under a lock shared by every session, as the service makes them atomic."""

    lock = threading.Lock()

    def __init__(self, endpoint: str):
        super().__init__()
        self.endpoint = endpoint
        self.refused = 0

    def request(self, method, url, *args, **kwargs):
        query = parse_qs(urlsplit(url).query)
        if "ifGenerationMatch" not in query:
            return super().request(method, url, *args, **kwargs)
        bucket, name = self._target(url, query, kwargs.get("data"))
        with self.lock:
            meta = super().request("GET", f"{self.endpoint}/storage/v1/b/{bucket}/o/{quote(name, safe='')}", timeout=30)
            live = str(meta.json()["generation"]) if meta.status_code == 200 else "0"
            if live != query["ifGenerationMatch"][0]:
                self.refused += 1
                return self._precondition_failed(method, url)
            return super().request(method, url, *args, **kwargs)

    @staticmethod
    def _target(url: str, query: dict, data) -> tuple[str, str]:
        match = re.search(r"/b/([^/]+)/o(?:/([^?]+))?$", urlsplit(url).path)
        assert match, url
        if match[2]:
            return match[1], unquote(match[2])
        if "name" in query:
            return match[1], query["name"][0]
        metadata = re.search(rb"\r\n\r\n(\{.*?\})\r\n--", data, re.S)  # a multipart upload's first part
        return match[1], json.loads(metadata[1])["name"]

    @staticmethod
    def _precondition_failed(method: str, url: str) -> requests.Response:
        response = requests.Response()
        response.status_code = 412
        response.reason = "Precondition Failed"
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(
            {
                "error": {
                    "code": 412,
                    "message": "At least one of the pre-conditions you specified did not hold.",
                    "errors": [{"reason": "conditionNotMet"}],
                }
            }
        ).encode()
        response.url = url
        response.request = requests.Request(method, url).prepare()
        return response


@pytest.fixture()
def enforced_gcs(gcs_server, monkeypatch):
    """(client with enforced preconditions, plain client, bucket)."""
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_server)
    plain = storage.Client(project="test")
    name = "lake-" + os.urandom(6).hex()
    plain.create_bucket(name)
    return storage.Client(project="test", _http=GenerationPreconditions(gcs_server)), plain, name


def _gcs_settings(bucket: str):
    from app.settings import Settings

    return Settings(engine="duckdb", lake_uri=f"gs://{bucket}/tables/", log_level="warning", threads=2)


def test_the_gcs_manifest_upload_is_conditional_on_the_generation_read(enforced_gcs):
    from google.api_core.exceptions import PreconditionFailed

    client, plain, bucket = enforced_gcs
    # The emulator alone ignores ifGenerationMatch (why the session above exists):
    plain.bucket(bucket).blob("probe").upload_from_string(b"1")
    plain.bucket(bucket).blob("probe").upload_from_string(b"2", if_generation_match=12345)
    with pytest.raises(PreconditionFailed):  # ... and the enforcing session refuses it, as GCS would
        client.bucket(bucket).blob("probe").upload_from_string(b"3", if_generation_match=12345)

    lake_uri = f"gs://{bucket}/tables/"
    absent = gcs_store.read_snapshot(client, lake_uri)
    assert absent == lake_manifest.Snapshot(None, None)
    gcs_store.put_manifest(client, lake_uri, {"version": "aaaaaa1", "tables": {}}, expect=absent)  # generation 0
    with pytest.raises(lake_manifest.ManifestConflict):
        gcs_store.put_manifest(client, lake_uri, {"version": "bbbbbb2", "tables": {}}, expect=absent)
    read = gcs_store.read_snapshot(client, lake_uri)
    assert read.version == "aaaaaa1" and read.token == str(
        plain.bucket(bucket).get_blob("tables/_manifest.json").generation
    )
    gcs_store.put_manifest(client, lake_uri, {"version": "cccccc3", "tables": {}}, expect=read)
    with pytest.raises(lake_manifest.ManifestConflict):
        gcs_store.put_manifest(client, lake_uri, {"version": "dddddd4", "tables": {}}, expect=read)
    assert gcs_store.read_snapshot(client, lake_uri).version == "cccccc3"


def test_a_gcs_job_that_loses_the_race_retries_on_top_of_the_winner(enforced_gcs, tiny_db, monkeypatch):
    client, plain, bucket = enforced_gcs
    settings = _gcs_settings(bucket)
    register = lambda manifest: {}  # noqa: E731 - no catalog on this lake
    first = lake_job.publish_database(tiny_db, settings, register, store=GcsStore(settings, client))
    b = plain.bucket(bucket)
    b.blob("incoming/a/products-a.csv").upload_from_string(_product(9701))
    b.blob("incoming/b/products-b.csv").upload_from_string(_product(9702))
    other: list[dict] = []
    racing, calls = _race(
        lake_job,
        "publish_database",
        lambda: other.append(
            lake_job.ingest(f"gs://{bucket}/incoming/b/", "append", settings, register, GcsStore(settings, client))
        ),
    )
    monkeypatch.setattr(lake_job, "publish_database", racing)

    out = lake_job.ingest(f"gs://{bucket}/incoming/a/", "append", settings, register, GcsStore(settings, client))

    winner = other[0]
    assert calls[0]["expect"].version == first["version"]
    assert out["attempts"] == 2 and out["previous"] == winner["version"]
    assert client._http.refused == 1  # exactly the loser's first manifest upload
    manifest = json.loads(b.get_blob("tables/_manifest.json").download_as_bytes())
    assert manifest["version"] == out["version"]
    assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2
    names = {x.name for x in plain.list_blobs(bucket)}
    assert {f"processed/{out['version']}/a/products-a.csv", f"processed/{winner['version']}/b/products-b.csv"} <= names
    assert not any(n.startswith("incoming/") for n in names)
    assert {n.split("version=")[1].split("/")[0] for n in names if "version=" in n} == {
        first["version"],
        winner["version"],
        out["version"],
    }  # the lost attempt's version was discarded


def test_two_gcs_jobs_at_once_never_lose_rows(enforced_gcs, tiny_db):
    """Two GCS ingest jobs started together (each its own client, the enforcing session shared): both
    files' rows published, history a chain."""
    from google.cloud import storage

    client, plain, bucket = enforced_gcs
    settings = _gcs_settings(bucket).model_copy(update={"lake_ingest_attempts": 10})
    register = lambda manifest: {}  # noqa: E731 - no catalog on this lake
    first = lake_job.publish_database(tiny_db, settings, register, store=GcsStore(settings, client))
    for job in (0, 1):
        plain.bucket(bucket).blob(f"incoming/j{job}/products.csv").upload_from_string(_product(9710 + job))
    endpoint = client._http.endpoint
    clients = [storage.Client(project="test", _http=GenerationPreconditions(endpoint)) for _ in (0, 1)]
    results, errors = _run_together(
        [
            lambda job=job: lake_job.ingest(
                f"gs://{bucket}/incoming/j{job}/", "append", settings, register, GcsStore(settings, clients[job])
            )
            for job in (0, 1)
        ]
    )
    assert errors == []
    manifest = json.loads(plain.bucket(bucket).get_blob("tables/_manifest.json").download_as_bytes())
    assert manifest["tables"]["products"]["rows"] == first["tables"]["products"]["rows"] + 2
    assert manifest["history"][2:] == [first["version"]] and len(manifest["history"]) == 3
    assert not [b.name for b in plain.list_blobs(bucket, prefix="incoming/")]
    assert sorted(r["attempts"] for r in results)[0] == 1
