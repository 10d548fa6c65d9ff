"""The lake: every table of a database version as Parquet under s3:// or gs://, published by one manifest.

Layout under the lake root (``STACKS_APP_LAKE_URI``, e.g. ``s3://shop-lake/tables/``; the aws and gcp
stacks point their Glue / BigQuery tables at the same root)::

    <root><table>/version=<v>/data_0.parquet                       unpartitioned tables
    <root>orders/version=<v>/order_date=YYYY-MM-DD/data_0.parquet  PARTITION_BY: Hive-style, yyyy-MM-dd
    <root>_manifest.json                                           {"version": v, "tables": {...}}

Publishing is atomic: a version's files are written under a prefix nobody reads yet, and one PUT of
``_manifest.json`` (a single object, replaced whole) switches readers to it. A failed export or ingest
never touches the manifest, so the published tables stay as they were; superseded prefixes are left
for a lifecycle rule (readers in flight may still read them).

Concurrent ingest jobs are serialised by the manifest itself (optimistic concurrency): a job reads the
manifest with its ETag (GCS: generation) and publishes with a compare-and-swap (``If-Match`` /
``If-None-Match: *``; GCS ``ifGenerationMatch``). The loser of a race deletes the version it wrote and
starts again from the new manifest (``run_job``), so no ingested row is ever dropped by a later PUT.
The manifest's ``sources`` remember which object (name + ETag/generation) each recent version consumed.

Also: ``LakeEngine`` (DuckDB + httpfs reading the published version, for a container with no local
state) and the cloud ingest job, ``python -m app.lake ingest --source s3://.../incoming/`` (on gs://
the job is keyless: ``app.gcs`` moves the objects with google-cloud-storage, DuckDB writes locally).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb

from app.derived import DERIVED_TABLES
from app.engine import DuckDBSession, SessionEngine
from app.errors import AppError
from app.schema import TABLES

log = logging.getLogger("app.lake")

MANIFEST = "_manifest.json"
# How each table is laid out: the warehouse's partition_by in stacks.yaml (a test checks they agree).
PARTITION_BY: dict[str, str] = {"orders": "order_date"}
META_TABLES = ("dataset_meta", "ingest_log")
LAKE_TABLES: tuple[str, ...] = (*TABLES, *DERIVED_TABLES, *META_TABLES)
VERSION_RE = re.compile(r"^[0-9a-z]{6,40}$")
SOURCE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
CREDENTIALS_REFRESH_SECONDS = 600.0
# Consumed-source records carried from version to version (newest first): enough to outlive any
# half-finished move (the next run over that prefix finishes it), small enough for a manifest that
# every reader fetches each lake_refresh_seconds (~150 bytes an entry).
SOURCES_KEEP = 1000
# A conflict's retry waits a random time in [0, min(MAX, BASE * 2**attempt)] (full jitter), so jobs
# that collided do not collide again in lockstep.
CONFLICT_BACKOFF_BASE = 0.5
CONFLICT_BACKOFF_MAX = 8.0


class ManifestConflict(AppError):
    """The published manifest is no longer the one this job read (another job published first)."""

    def __init__(self, message: str):
        super().__init__(409, "conflict", message)


class SourceGone(ManifestConflict):
    """A listed source object vanished or changed before it was read (another job consumed it)."""


@dataclass(frozen=True)
class Snapshot:
    """The manifest as read, with the token a compare-and-swap publish needs: the S3 ETag or the GCS
    generation of ``_manifest.json``; ``token=None`` means there was no manifest (publish only if
    there still is none)."""

    manifest: dict | None
    token: str | None

    @property
    def version(self) -> str | None:
        return self.manifest["version"] if self.manifest else None


def root(uri: str) -> str:
    if not re.match(r"^(s3|gs)://[^/]+/", uri + ("/" if uri.count("/") == 2 else "")):
        raise AppError(500, "lake", f"the lake URI must be s3://bucket/prefix/ or gs://bucket/prefix/, not {uri!r}")
    return uri if uri.endswith("/") else uri + "/"


def table_prefix(lake_root: str, table: str, version: str) -> str:
    """Where one table of one version lives (ends with '/')."""
    return f"{root(lake_root)}{table}/version={version}/"


def manifest_uri(lake_root: str) -> str:
    return root(lake_root) + MANIFEST


def _q(text: str) -> str:
    return text.replace("'", "''")


def httpfs_path() -> str:
    """The httpfs extension shipped by the ``duckdb-extension-httpfs`` wheel (never downloaded)."""
    try:
        import duckdb_extension_httpfs
    except ImportError:  # pragma: no cover - it is in app/requirements.txt
        raise AppError(500, "lake", "pip install duckdb-extension-httpfs==" + duckdb.__version__) from None
    path = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = path / "httpfs.duckdb_extension"
    if not path.is_file():
        raise AppError(500, "lake", f"no httpfs extension for duckdb {duckdb.__version__} at {path}")
    return str(path)


def configure(con: duckdb.DuckDBPyConnection, settings) -> None:
    """Load httpfs and give it credentials for the lake (static keys, or the AWS credential chain)."""
    con.execute(f"LOAD '{_q(httpfs_path())}'")
    uri = root(settings.lake_uri)
    scheme = uri.split(":", 1)[0]
    options: dict[str, str] = {}
    key_id = settings.s3_access_key_id.get_secret_value() if settings.s3_access_key_id else None
    secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
    token = None
    if key_id is None and scheme == "s3":
        # Fargate hands the task role's credentials out on the container credentials endpoint, which
        # httpfs alone cannot reach: botocore's chain can (and so can every other AWS runtime).
        import botocore.session

        creds = botocore.session.get_session().get_credentials()
        if creds is None:
            raise AppError(503, "lake", "no AWS credentials for the lake (task role, env or profile)")
        frozen = creds.get_frozen_credentials()
        key_id, secret, token = frozen.access_key, frozen.secret_key, frozen.token
    if key_id is None:
        raise AppError(503, "lake", "gs:// lakes need an HMAC key: STACKS_APP_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY")
    options["KEY_ID"] = key_id
    options["SECRET"] = secret or ""
    if token:
        options["SESSION_TOKEN"] = token
    if scheme == "s3":
        options["REGION"] = settings.aws_region
        if settings.s3_endpoint:
            options["ENDPOINT"] = settings.s3_endpoint
            options["URL_STYLE"] = "path"
            options["USE_SSL"] = "true" if settings.s3_use_ssl else "false"
    kind = "s3" if scheme == "s3" else "gcs"
    body = ", ".join(f"{k} '{_q(v)}'" if k != "USE_SSL" else f"{k} {v}" for k, v in options.items())
    con.execute(f"CREATE OR REPLACE SECRET lake (TYPE {kind}, {body})")


def read_manifest(con: duckdb.DuckDBPyConnection, lake_root: str) -> dict | None:
    """The published manifest, or None when nothing was published yet."""
    uri = manifest_uri(lake_root)
    try:
        rows = con.execute("SELECT content FROM read_text($uri)", {"uri": uri}).fetchall()
    except duckdb.IOException as exc:
        if "404" in str(exc) or "not found" in str(exc).lower() or "No files found" in str(exc):
            return None
        raise AppError(503, "lake", f"cannot read {uri}: {str(exc).splitlines()[0]}") from None
    if not rows:
        return None
    return parse_manifest(rows[0][0], uri)


def parse_manifest(data: str | bytes, uri: str) -> dict:
    """A manifest's bytes -> the manifest, checked (every reader and writer, S3 and GCS, parses here)."""
    try:
        manifest = json.loads(data)
    except ValueError:
        raise AppError(503, "lake", f"{uri} is not JSON") from None
    if (
        not isinstance(manifest, dict)
        or not VERSION_RE.match(str(manifest.get("version", "")))
        or not isinstance(manifest.get("tables"), dict)
        or not isinstance(manifest.get("sources", []), list)
    ):
        raise AppError(503, "lake", f"{uri} has no valid version and tables")
    return manifest


def manifest_bytes(manifest: dict) -> bytes:
    return json.dumps(manifest, sort_keys=True).encode()


def read_source(table: str, entry: Mapping[str, Any]) -> str:
    """A DuckDB table expression over one published table's Parquet, columns in their declared order."""
    location = entry["location"]
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in entry["columns"])
    part = entry.get("partition_by")
    if part:
        return (
            f"(SELECT {cols} FROM read_parquet('{_q(location)}*/*.parquet', hive_partitioning = true, "
            f"hive_types = {{'{_q(part)}': DATE}}))"
        )
    return f"(SELECT {cols} FROM read_parquet('{_q(location)}*.parquet'))"


# ---------------------------------------------------------------- writing


def write_version(
    con: duckdb.DuckDBPyConnection,
    lake_root: str,
    version: str,
    *,
    schema: str = "main",
    local_root: Path | None = None,
) -> dict[str, dict]:
    """Write every table of ``schema`` as Parquet under ``version``'s prefixes; returns the manifest's
    ``tables``. With ``local_root`` the files go to the same layout under that directory (to be uploaded
    by a storage client: the keyless GCS path) while the entries still name their lake locations."""
    if not VERSION_RE.match(version):
        raise AppError(500, "lake", f"bad version id {version!r}")
    tables: dict[str, dict] = {}
    for name in LAKE_TABLES:
        prefix = table_prefix(lake_root, name, version)
        target = prefix
        if local_root is not None:
            target = str(local_root / prefix[len(root(lake_root)) :]) + "/"
            Path(target).mkdir(parents=True, exist_ok=True)
        described = con.execute(f"DESCRIBE {schema}.{name}").fetchall()
        columns, types = [r[0] for r in described], [r[1] for r in described]
        part = PARTITION_BY.get(name)
        if part:
            con.execute(
                f"COPY (SELECT * FROM {schema}.{name}) TO '{_q(target)}' "
                f"(FORMAT parquet, COMPRESSION snappy, PARTITION_BY ({part}), OVERWRITE_OR_IGNORE true)"
            )
        else:
            con.execute(
                f"COPY (SELECT * FROM {schema}.{name}) TO '{_q(target)}data_0.parquet' (FORMAT parquet, "
                "COMPRESSION snappy)"
            )
        rows = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()[0]
        tables[name] = {
            "location": prefix,
            "partition_by": part,
            "columns": columns,
            "types": types,
            "rows": int(rows),
        }
    return tables


def version_of(con: duckdb.DuckDBPyConnection, schema: str, version: str | None = None) -> str:
    meta = con.execute(f"SELECT version FROM {schema}.dataset_meta").fetchall()
    return version or (meta[0][0] if meta and meta[0][0] else uuid.uuid4().hex[:12])


def new_manifest(version: str, tables: dict[str, dict]) -> dict:
    return {
        "format": 1,
        "version": version,
        "published_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "tables": tables,
    }


def export(
    con: duckdb.DuckDBPyConnection,
    lake_root: str,
    *,
    schema: str = "main",
    version: str | None = None,
    register: Callable[[dict], dict] | None = None,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
    put: Callable[[dict], None] | None = None,
) -> dict:
    """Write every table of ``schema`` in ``con`` (a configured connection) under a new version prefix,
    register it in the catalogs (``register(manifest)`` -> the manifest's ``catalog``), then publish
    it: ``put(manifest)``, by default ``publish`` (an unconditional replace). Returns the manifest."""
    version = version_of(con, schema, version)
    manifest = new_manifest(version, write_version(con, lake_root, version, schema=schema))
    if sources is not None:
        manifest["sources"] = sources  # the objects recent versions consumed (see ``run_job``)
    if history is not None:
        manifest["history"] = [version, *[v for v in history if v != version]]  # newest first
    if register is not None:
        manifest["catalog"] = register(manifest)
    (put or (lambda m: publish(con, lake_root, m)))(manifest)
    return manifest


def publish(con: duckdb.DuckDBPyConnection, lake_root: str, manifest: dict) -> None:
    """Replace the manifest, whatever it is now (last writer wins): the operator's ``publish``
    command. Ingest jobs publish with ``put_manifest(..., expect=snapshot)`` instead."""
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / MANIFEST
        local.write_bytes(manifest_bytes(manifest))
        # read_blob -> COPY keeps the bytes as they are (one object, one PUT).
        con.execute(
            f"COPY (SELECT content FROM read_text('{_q(str(local))}')) TO '{_q(manifest_uri(lake_root))}' "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')"
        )


def _split_s3(uri: str) -> tuple[str, str]:
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def _s3_error(exc) -> tuple[int, str]:
    response = getattr(exc, "response", None) or {}
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    return status, str(response.get("Error", {}).get("Code"))


def read_snapshot(s3, lake_root: str) -> Snapshot:
    """The manifest and its ETag from one GET (so the ETag is the one of the bytes parsed)."""
    import botocore.exceptions

    uri = manifest_uri(lake_root)
    bucket, key = _split_s3(uri)
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
    except botocore.exceptions.ClientError as exc:
        status, code = _s3_error(exc)
        if status == 404 or code in ("NoSuchKey", "404"):
            return Snapshot(None, None)
        raise AppError(503, "lake", f"cannot read {uri}: {code} ({status})") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AppError(503, "lake", f"cannot read {uri}: {exc}") from None
    return Snapshot(parse_manifest(body, uri), response["ETag"])


def put_manifest(s3, lake_root: str, manifest: dict, *, expect: Snapshot | None) -> None:
    """PUT the manifest with boto3. ``expect=None``: unconditional. ``expect=snapshot``: only if the
    manifest is still that one (``If-Match: <etag>``; ``If-None-Match: *`` when there was none), else
    ``ManifestConflict``: 412 PreconditionFailed, 409 ConditionalRequestConflict (S3's answer to two
    conditional writes racing) or 404 (the manifest was deleted meanwhile)."""
    import botocore.exceptions

    uri = manifest_uri(lake_root)
    bucket, key = _split_s3(uri)
    condition: dict[str, str] = {}
    if expect is not None:
        condition = {"IfMatch": expect.token} if expect.token else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=manifest_bytes(manifest), ContentType="application/json", **condition
        )
    except botocore.exceptions.ClientError as exc:
        status, code = _s3_error(exc)
        if expect is not None and (
            status in (404, 409, 412) or code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey")
        ):
            raise ManifestConflict(
                f"{uri} changed since it was read (version {expect.version or 'none'}): {code}"
            ) from None
        raise AppError(503, "lake", f"cannot write {uri}: {code} ({status})") from None


def publish_database(
    database: Path,
    settings,
    register: Callable[[dict], dict] | None = None,
    *,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
    expect: Snapshot | None = None,
) -> dict:
    """Export a local DuckDB database file (a seed or an ingest) to the lake, register it in the
    catalogs the settings name (Glue, BigQuery) and publish it.

    ``expect=None`` replaces whatever manifest is published (``python -m app.lake publish``: the
    operator's explicit choice). ``expect=snapshot`` publishes only if the manifest is still the one
    in the snapshot and raises ``ManifestConflict`` (409) otherwise, leaving the version's files and
    catalog tables for the caller to discard (``run_job`` does)."""
    from app import catalog

    if root(settings.lake_uri).startswith("gs://"):
        from app import gcs  # keyless: Application Default Credentials, no HMAC key

        return gcs.publish_database(database, settings, register, sources=sources, history=history, expect=expect)
    con = duckdb.connect(":memory:")
    try:
        configure(con, settings)
        con.execute(f"ATTACH '{_q(str(database))}' AS shop (READ_ONLY)")
        put = None
        if expect is not None:
            s3 = s3_client(settings)
            put = lambda m: put_manifest(s3, settings.lake_uri, m, expect=expect)  # noqa: E731
        return export(
            con,
            settings.lake_uri,
            schema="shop",
            register=register or (lambda m: catalog.register(m, settings)),
            sources=sources,
            history=history,
            put=put,
        )
    finally:
        con.close()


def materialise(con: duckdb.DuckDBPyConnection, manifest: dict, database: Path) -> None:
    """Copy the published base tables and ingest log into a local DuckDB file (the ingest job's start)."""
    con.execute(f"ATTACH '{_q(str(database))}' AS work")
    try:
        # What the local ingest reads from its "previous" version; the derived tables are rebuilt.
        for name in (*TABLES, "ingest_log"):
            con.execute(f"CREATE TABLE work.{name} AS SELECT * FROM {read_source(name, manifest['tables'][name])}")
    finally:
        con.execute("DETACH work")


def s3_client(settings):
    """boto3 S3 on the same endpoint and credentials httpfs uses (the task role's chain by default)."""
    import boto3

    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.s3_endpoint:
        kwargs["endpoint_url"] = ("https://" if settings.s3_use_ssl else "http://") + settings.s3_endpoint
    if settings.s3_access_key_id and settings.s3_secret_access_key:
        kwargs["aws_access_key_id"] = settings.s3_access_key_id.get_secret_value()
        kwargs["aws_secret_access_key"] = settings.s3_secret_access_key.get_secret_value()
    # A session of its own: boto3's default session is not safe to build clients from in threads.
    return boto3.session.Session().client("s3", **kwargs)


def source_table(source: str, uri: str) -> str | None:
    """The table an object under ``source`` feeds (``<table>*.csv|.csv.gz|.parquet|.pq``), or None."""
    relative = uri[len(source) :]
    if not relative.lower().endswith(SOURCE_SUFFIXES):
        return None
    return next((t for t in TABLES if relative.startswith(t)), None)


def _slash(source: str) -> str:
    return source if source.endswith("/") else source + "/"


def _listed(s3, source: str) -> dict[str, str]:
    """``{s3://bucket/key: etag}`` of the ingestible objects under ``source``."""
    bucket, prefix = _split_s3(source)
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            uri = f"s3://{bucket}/{obj['Key']}"
            if source_table(source, uri):
                out[uri] = obj["ETag"]
    return out


def history_of(manifest: dict | None) -> list[str]:
    """Published versions, newest first, as the manifest knows them (older manifests: the version)."""
    if manifest is None:
        return []
    return list(manifest.get("history") or [manifest["version"]])


TAG_KEYS = ("etag", "generation")  # what identifies one upload of an object: S3 ETag, GCS generation


def tag_of(entry: Mapping[str, Any]) -> str:
    return str(next((entry[k] for k in TAG_KEYS if entry.get(k) is not None), ""))


def consumed(manifest: dict | None) -> list[dict]:
    """The manifest's record of consumed sources, newest first, each with the version that consumed
    it (entries of manifests written before the record was carried forward: the manifest's version)."""
    if manifest is None:
        return []
    return [
        {**e, "version": e.get("version") or manifest["version"]}
        for e in manifest.get("sources", [])
        if isinstance(e, dict) and e.get("name")
    ]


def carry_sources(new: list[dict], version: str, manifest: dict | None, keep: int | None = None) -> list[dict]:
    """The next manifest's ``sources``: ``new`` (consumed by ``version``) then the previous record,
    one entry per object upload, newest first, at most ``keep`` (``SOURCES_KEEP``) entries."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for entry in [*({**e, "version": version} for e in new), *consumed(manifest)]:
        key = (entry["name"], tag_of(entry))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out[: SOURCES_KEEP if keep is None else keep]


def prune(manifest: dict, settings, delete_prefix: Callable[[str], int]) -> list[str]:
    """After a successful publish, delete the versions beyond the newest ``lake_keep_versions``: their
    table prefixes and their catalog tables. Never the published version or the one before it."""
    keep = max(2, settings.lake_keep_versions)
    history = manifest.get("history") or []
    old = [v for v in history[keep:] if v not in history[:2] and VERSION_RE.match(v)]
    for version in old:
        for name in LAKE_TABLES:
            delete_prefix(table_prefix(settings.lake_uri, name, version))
    if old:
        from app import catalog

        catalog.drop_versions(old, settings)
        log.info("lake versions pruned", extra={"fields": {"versions": old}})
    return old


def _delete_prefix(s3, uri: str) -> int:
    bucket, prefix = _split_s3(uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            count += len(keys)
    return count


def processed_key(key: str, version: str) -> str:
    """Where a consumed object goes: ``a/incoming/b/x.csv`` -> ``a/processed/<version>/b/x.csv``."""
    cut = key.find("incoming/")
    if cut < 0:
        return f"processed/{version}/{key}"
    return f"{key[:cut]}processed/{version}/{key[cut + len('incoming/') :]}"


def move_processed(s3, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects out of ``.../incoming/`` to ``.../processed/<version>/`` (copy, then delete
    the original only if it is still the object that was ingested). Safe to repeat."""
    import botocore.exceptions

    bucket = _split_s3(_slash(source))[0]
    moved = []
    for item in consumed:
        key = item["name"][len(f"s3://{bucket}/") :]
        target = processed_key(key, version)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError:
            continue  # moved already
        if head["ETag"] != item["etag"]:
            continue  # a new file with the same name arrived: the next run ingests it
        s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        s3.delete_object(Bucket=bucket, Key=key)
        moved.append(target)
    return moved


# ---------------------------------------------------------------- the ingest job


class Store(Protocol):
    """What ``run_job`` needs from one cloud's object store (``S3Store`` here, ``gcs.GcsStore``)."""

    tag_key: str  # the consumed-source record's tag: "etag" | "generation"

    def read(self) -> Snapshot: ...
    def list_sources(self, source: str) -> dict[str, str]: ...  # uri -> tag, ingestible objects only
    def download(self, uri: str, tag: str, path: Path) -> None: ...  # SourceGone if not that upload
    def materialise(self, manifest: dict, database: Path, work: Path) -> None: ...
    def publish(
        self, database: Path, register, *, sources: list[dict], history: list[str], expect: Snapshot
    ) -> dict: ...
    def move(self, source: str, items: list[dict], version: str) -> list[str]: ...
    def delete_prefix(self, uri: str) -> int: ...


class S3Store:
    """The S3 lake: boto3 for the manifest, listings, downloads and moves; DuckDB httpfs for Parquet."""

    tag_key = "etag"

    def __init__(self, settings, s3=None):
        self.settings, self.s3 = settings, s3 or s3_client(settings)

    def read(self) -> Snapshot:
        return read_snapshot(self.s3, self.settings.lake_uri)

    def list_sources(self, source: str) -> dict[str, str]:
        return _listed(self.s3, _slash(source))

    def download(self, uri: str, tag: str, path: Path) -> None:
        import botocore.exceptions

        bucket, key = _split_s3(uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key, IfMatch=tag)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            status, code = _s3_error(exc)
            if status in (404, 412) or code in ("NoSuchKey", "PreconditionFailed"):
                raise SourceGone(f"{uri} was moved or replaced while this job ran ({code})") from None
            raise AppError(503, "lake", f"cannot read {uri}: {code} ({status})") from None
        path.write_bytes(body)

    def materialise(self, manifest: dict, database: Path, work: Path) -> None:
        con = duckdb.connect(":memory:")
        try:
            configure(con, self.settings)
            materialise(con, manifest, database)
        finally:
            con.close()

    def publish(self, database, register, *, sources, history, expect) -> dict:
        return publish_database(database, self.settings, register, sources=sources, history=history, expect=expect)

    def move(self, source: str, items: list[dict], version: str) -> list[str]:
        return move_processed(self.s3, source, items, version)

    def delete_prefix(self, uri: str) -> int:
        return _delete_prefix(self.s3, uri)


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(CONFLICT_BACKOFF_MAX, CONFLICT_BACKOFF_BASE * 2**attempt))


def run_job(store: Store, source: str, mode: str, settings, register: Callable[[dict], dict] | None = None) -> dict:
    """The cloud ingest job on any store: the published version + the fresh objects under ``source``
    -> a new version, published by compare-and-swap on the manifest.

    A conflict (another job published first, or consumed a listed object) costs one retry from the
    top: the version written is deleted (prefixes and catalog tables), the manifest re-read, only the
    objects still fresh re-ingested. Up to ``lake_ingest_attempts`` attempts with jittered backoff,
    then ``AppError(409, "conflict")`` with the published manifest untouched and the objects left in
    ``source`` for the next run. A retry that finds its objects consumed by the winner returns
    ``superseded_by`` (success: nothing is lost, nothing left to do)."""
    source = _slash(source)
    started = time.perf_counter()
    attempts = max(1, int(getattr(settings, "lake_ingest_attempts", 5)))
    for attempt in range(1, attempts + 1):
        try:
            out = _attempt(store, source, mode, settings, register, retry=attempt > 1)
        except ManifestConflict as exc:
            log.warning(
                "lake ingest conflict",
                extra={"fields": {"source": source, "attempt": attempt, "attempts": attempts, "reason": exc.message}},
            )
            if attempt == attempts:
                raise AppError(
                    409,
                    "conflict",
                    f"gave up after {attempts} attempts: other ingest jobs kept "
                    f"publishing first ({exc.message}); the published manifest is untouched and the "
                    f"objects stay under {source} for the next run",
                ) from None
            time.sleep(_backoff(attempt))
            continue
        out["attempts"] = attempt
        out["seconds"] = round(time.perf_counter() - started, 3)
        return out
    raise AssertionError("unreachable")  # pragma: no cover


def _attempt(store: Store, source: str, mode: str, settings, register, *, retry: bool) -> dict:
    from app.ingest import ingest as run_ingest

    snapshot = store.read()
    manifest = snapshot.manifest
    listed = store.list_sources(source)
    record = {(e["name"], tag_of(e)): e for e in consumed(manifest)}
    fresh = {uri: tag for uri, tag in sorted(listed.items()) if (uri, tag) not in record}
    # Consumed by a published version but still here: a job died between its publish and its move
    # (or is moving them right now; moving is idempotent). Each goes to its own version's folder.
    leftover: dict[str, list[dict]] = {}
    for uri, tag in listed.items():
        if (uri, tag) in record:
            entry = record[(uri, tag)]
            leftover.setdefault(entry["version"], []).append(entry)
    finished = [m for version, items in leftover.items() for m in store.move(source, items, version)]
    if not fresh:
        current = snapshot.version
        if retry:
            log.info("lake ingest superseded", extra={"fields": {"source": source, "version": current}})
            return {
                "version": current,
                "previous": current,
                "tables": {},
                "totals": {},
                "moved": len(finished),
                "superseded_by": current,
            }
        if finished:
            return {"version": current, "previous": current, "tables": {}, "totals": {}, "moved": len(finished)}
        raise AppError(404, "no_files", f"no customers/products/orders .csv or .parquet objects under {source}")
    with tempfile.TemporaryDirectory(prefix="lake-ingest-") as tmp:
        work = Path(tmp)
        database = work / "shop.duckdb"
        (work / "in").mkdir()
        found: dict[str, list[tuple[Path, str]]] = {}
        for i, (uri, tag) in enumerate(fresh.items()):
            path = work / "in" / f"{i}-{uri.rsplit('/', 1)[-1]}"
            store.download(uri, tag, path)
            found.setdefault(source_table(source, uri) or "", []).append((path, uri))
        if manifest is not None:
            try:
                store.materialise(manifest, database, work)
            except (duckdb.Error, AppError) as exc:
                # The version read may have been pruned by jobs that published since: a conflict.
                if store.read().token != snapshot.token:
                    raise ManifestConflict(f"version {snapshot.version} changed while it was read") from None
                if isinstance(exc, AppError):
                    raise
                raise AppError(
                    503, "lake", f"cannot read version {snapshot.version}: {str(exc).splitlines()[0]}"
                ) from None
        result = run_ingest(
            database,
            found,
            mode,
            source_label=source,
            threads=settings.threads,
            memory_limit=settings.ingest_memory_limit,
        )
        mine = [{"name": uri, store.tag_key: tag} for uri, tag in fresh.items()]
        sources = carry_sources(mine, result.version, manifest)
        published = _publish(
            store, database, register, sources, history_of(manifest), snapshot, result.version, settings
        )
    moved = store.move(source, [{**e, "version": published["version"]} for e in mine], published["version"])
    prune(published, settings, store.delete_prefix)
    return {
        "version": published["version"],
        "previous": snapshot.version,
        "tables": result.tables,
        "totals": result.totals,
        "moved": len(moved) + len(finished),
    }


def _publish(
    store: Store, database: Path, register, sources, history, snapshot: Snapshot, version: str, settings
) -> dict:
    """Publish by compare-and-swap; on any failure discard the version written, unless the manifest
    names it after all (a PUT that landed but whose answer was lost, then retried into a 412)."""
    try:
        return store.publish(database, register, sources=sources, history=history, expect=snapshot)
    except Exception as failure:
        try:
            now = store.read()
        except Exception:  # cannot tell whether it was published: leave the files, never delete live ones
            log.warning("lake version left in place", extra={"fields": {"version": version}})
            raise failure from None
        if now.version == version and now.manifest is not None:
            return now.manifest
        discard(store, version, settings)
        raise


def discard(store: Store, version: str, settings) -> None:
    """Delete an unpublished version: its table prefixes and its catalog tables (best effort)."""
    from app import catalog

    try:
        deleted = sum(store.delete_prefix(table_prefix(settings.lake_uri, name, version)) for name in LAKE_TABLES)
        catalog.drop_versions([version], settings)
    except Exception as exc:  # the original failure matters more; a stray prefix is only storage
        log.warning("lake version not discarded", extra={"fields": {"version": version, "error": str(exc)}})
        return
    log.info("lake version discarded", extra={"fields": {"version": version, "objects": deleted}})


def ingest(source: str, mode: str, settings, register: Callable[[dict], dict] | None = None) -> dict:
    """The cloud ingest job (``python -m app.lake ingest``): ``run_job`` on the lake's store. Any
    failure before the manifest's compare-and-swap leaves the published version as it was. After a
    publish into the settings' own catalogs, the warehouse's stable views follow the new version."""
    if root(settings.lake_uri).startswith("gs://"):
        from app import gcs  # keyless: Application Default Credentials, no HMAC key

        out = gcs.ingest(source, mode, settings, register)
    elif not source.startswith("s3://"):
        raise AppError(422, "bad_source", f"an S3 lake ingests s3://bucket/prefix/ objects, not {source!r}")
    else:
        out = run_job(S3Store(settings), source, mode, settings, register)
    if register is None and out.get("tables"):
        from app import catalog  # reads the published manifest itself and never raises

        out["views"] = catalog.point_views(settings)
    return out


# ---------------------------------------------------------------- reading


class LakeEngine(SessionEngine):
    """DuckDB over the published lake version: small tables are loaded into memory when a version is
    opened (``lake_memory_rows``), larger ones are read from Parquet per query (partition pruning)."""

    name = "lake"

    def __init__(self, settings, *, memory_rows: int = 200_000):
        self.settings = settings
        self.memory_rows = memory_rows
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None
        self._checked = 0.0
        self._configured = 0.0
        self._memo: dict = {}
        self._lock = threading.Lock()
        self.reopens = 0

    def _probe(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:", config={"threads": self.settings.query_threads})
        con.execute("SET enable_progress_bar = false")
        configure(con, self.settings)
        return con

    def _connection(self) -> duckdb.DuckDBPyConnection:
        now = time.monotonic()
        if self._con is not None and now - self._checked < self.settings.lake_refresh_seconds:
            return self._con
        with self._lock:
            if self._con is not None and time.monotonic() - self._checked < self.settings.lake_refresh_seconds:
                return self._con
            probe = self._con or self._probe()
            if self._con is not None and time.monotonic() - self._configured > CREDENTIALS_REFRESH_SECONDS:
                # Task-role credentials expire (hours): hand httpfs fresh ones well before that.
                configure(self._con, self.settings)
                self._configured = time.monotonic()
            manifest = read_manifest(probe, self.settings.lake_uri)
            if manifest is None:
                if self._con is None:
                    probe.close()
                raise AppError(503, "not_loaded", f"nothing published at {manifest_uri(self.settings.lake_uri)}")
            self._checked = time.monotonic()
            if manifest["version"] == self._version and self._con is not None:
                return self._con
            con = self._open(manifest)
            if probe is not self._con:
                probe.close()
            # Sessions in flight keep the superseded connection (and its version) until they finish.
            self._con, self._version, self._memo = con, manifest["version"], {}
            self._configured = time.monotonic()
            self.reopens += 1
            log.info("lake version opened", extra={"fields": {"version": manifest["version"]}})
            return con

    def _open(self, manifest: dict) -> duckdb.DuckDBPyConnection:
        con = self._probe()
        try:
            con.execute("SET memory_limit = '" + _q(self.settings.memory_limit) + "'")
            missing = [t for t in LAKE_TABLES if t not in manifest["tables"]]
            if missing:
                raise AppError(503, "lake", f"manifest {manifest['version']} lacks {', '.join(missing)}")
            for name in LAKE_TABLES:
                entry = manifest["tables"][name]
                source = read_source(name, entry)
                if int(entry.get("rows", 0)) <= self.memory_rows:
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {source}")
                else:
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        except duckdb.Error as exc:
            con.close()
            raise AppError(503, "lake", f"cannot open lake version: {str(exc).splitlines()[0]}") from None
        except BaseException:
            con.close()
            raise
        return con

    def session(self):
        con = self._connection()
        memo = self._memo if con is self._con else {}
        return DuckDBSession(con, memo, use=None)


def main(argv: list[str] | None = None) -> int:
    from app.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m app.lake", description="Publish to / ingest into the lake.")
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="export a local DuckDB database to the lake and publish it")
    pub.add_argument("--database", type=Path, help="default: STACKS_APP_DATABASE")
    ing = sub.add_parser("ingest", help="ingest <table>*.csv|parquet objects under --source into a new version")
    ing.add_argument("--source", required=True, help="s3://bucket/incoming/ or gs://bucket/incoming/")
    ing.add_argument("--mode", choices=("replace", "append"), default="append")
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.lake_uri:
        print("error: set STACKS_APP_LAKE_URI (s3://bucket/tables/ or gs://bucket/tables/)", file=sys.stderr)
        return 1
    try:
        if args.command == "publish":
            from app import catalog

            manifest = publish_database((args.database or settings.database_path).absolute(), settings)
            out = {
                "version": manifest["version"],
                "tables": len(manifest["tables"]),
                "views": catalog.point_views(settings),
            }
        else:
            out = ingest(args.source, args.mode, settings)
    except AppError as exc:
        print(json.dumps({"ok": False, **exc.to_dict()}))
        return 1
    print(json.dumps({"ok": True, **out}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
