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

Also: ``LakeEngine`` (DuckDB + httpfs reading the published version, for a container with no local
state) and the cloud ingest job, ``python -m app.lake ingest --source s3://.../incoming/`` (on gs://
the job is keyless: ``app.gcs`` moves the objects with google-cloud-storage, DuckDB writes locally).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from app.derived import DERIVED_TABLES
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
    try:
        manifest = json.loads(rows[0][0])
    except ValueError:
        raise AppError(503, "lake", f"{uri} is not JSON") from None
    if not VERSION_RE.match(str(manifest.get("version", ""))) or not isinstance(manifest.get("tables"), dict):
        raise AppError(503, "lake", f"{uri} has no valid version and tables")
    return manifest


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
) -> dict:
    """Write every table of ``schema`` in ``con`` (a configured connection) under a new version prefix,
    register it in the catalogs (``register(manifest)`` -> the manifest's ``catalog``), then publish
    it by replacing the manifest. Returns the manifest."""
    version = version_of(con, schema, version)
    manifest = new_manifest(version, write_version(con, lake_root, version, schema=schema))
    if sources is not None:
        manifest["sources"] = sources  # the objects this version consumed (see ``ingest``)
    if history is not None:
        manifest["history"] = [version, *[v for v in history if v != version]]  # newest first
    if register is not None:
        manifest["catalog"] = register(manifest)
    publish(con, lake_root, manifest)
    return manifest


def publish(con: duckdb.DuckDBPyConnection, lake_root: str, manifest: dict) -> None:
    """Replace the manifest: the one write that makes a version visible."""
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / MANIFEST
        local.write_text(json.dumps(manifest, sort_keys=True))
        # read_blob -> COPY keeps the bytes as they are (one object, one PUT).
        con.execute(
            f"COPY (SELECT content FROM read_text('{_q(str(local))}')) TO '{_q(manifest_uri(lake_root))}' "
            "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')"
        )


def publish_database(
    database: Path,
    settings,
    register: Callable[[dict], dict] | None = None,
    *,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
) -> dict:
    """Export a local DuckDB database file (a seed or an ingest) to the lake, register it in the
    catalogs the settings name (Glue, BigQuery) and publish it."""
    from app import catalog

    if root(settings.lake_uri).startswith("gs://"):
        from app import gcs  # keyless: Application Default Credentials, no HMAC key

        return gcs.publish_database(database, settings, register, sources=sources, history=history)
    con = duckdb.connect(":memory:")
    try:
        configure(con, settings)
        con.execute(f"ATTACH '{_q(str(database))}' AS shop (READ_ONLY)")
        return export(
            con, settings.lake_uri, schema="shop", register=register or (lambda m: catalog.register(m, settings)),
            sources=sources,
            history=history,
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
    return boto3.client("s3", **kwargs)


def _listed(s3, source: str) -> dict[str, str]:
    """``{s3://bucket/key: etag}`` of the objects under ``source``."""
    bucket, prefix = source[5:].split("/", 1)
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[f"s3://{bucket}/{obj['Key']}"] = obj["ETag"]
    return out


def history_of(manifest: dict | None) -> list[str]:
    """Published versions, newest first, as the manifest knows them (older manifests: the version)."""
    if manifest is None:
        return []
    return list(manifest.get("history") or [manifest["version"]])


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
    bucket, prefix = uri[5:].split("/", 1)
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
    return f"{key[:cut]}processed/{version}/{key[cut + len('incoming/'):]}"


def move_processed(s3, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects out of ``.../incoming/`` to ``.../processed/<version>/`` (copy, then delete
    the original only if it is still the object that was ingested). Safe to repeat."""
    source = source if source.endswith("/") else source + "/"
    bucket = source[5:].split("/", 1)[0]
    moved = []
    for item in consumed:
        key = item["name"][len(f"s3://{bucket}/") :]
        target = processed_key(key, version)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except s3.exceptions.ClientError:
            continue  # moved already
        if head["ETag"] != item["etag"]:
            continue  # a new file with the same name arrived: the next run ingests it
        s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        s3.delete_object(Bucket=bucket, Key=key)
        moved.append(target)
    return moved


def _download_sources(
    con: duckdb.DuckDBPyConnection, source: str, directory: Path, only: set[str] | None = None
) -> dict:
    """Copy ``<source><table>*.csv|parquet`` objects next to the job, per table (read_blob over httpfs)."""
    source = source if source.endswith("/") else source + "/"
    files = [r[0] for r in con.execute("SELECT file FROM glob($p) ORDER BY file", {"p": source + "**"}).fetchall()]
    if only is not None:
        files = [f for f in files if f in only]
    found: dict[str, list[tuple[Path, str]]] = {}
    for uri in files:
        name = uri.rsplit("/", 1)[-1]
        relative = uri[len(source) :]
        if not name.lower().endswith(SOURCE_SUFFIXES):
            continue
        table = next((t for t in TABLES if relative.startswith(t)), None)
        if table is None:
            continue
        local = directory / f"{len(files)}-{uuid.uuid4().hex[:8]}-{name}"
        blob = con.execute("SELECT content FROM read_blob($u)", {"u": uri}).fetchone()[0]
        local.write_bytes(blob)
        found.setdefault(table, []).append((local, uri))
    if not found:
        raise AppError(404, "no_files", f"no customers/products/orders .csv or .parquet objects under {source}")
    return found


def ingest(source: str, mode: str, settings, register: Callable[[dict], dict] | None = None) -> dict:
    """The cloud ingest job: current lake version + the files under ``source`` -> a new published version.

    Runs the app's own ingest (validation, keys, derived tables) on a scratch DuckDB file, then exports
    it. Any failure before the final manifest PUT leaves the published version as it was."""
    from app.ingest import ingest as run_ingest

    if root(settings.lake_uri).startswith("gs://"):
        from app import gcs  # keyless: Application Default Credentials, no HMAC key

        return gcs.ingest(source, mode, settings, register)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lake-ingest-") as tmp:
        work = Path(tmp)
        database = work / "shop.duckdb"
        con = duckdb.connect(":memory:")
        try:
            configure(con, settings)
            manifest = read_manifest(con, settings.lake_uri)
            s3 = s3_client(settings) if source.startswith("s3://") else None
            listed = _listed(s3, source if source.endswith("/") else source + "/") if s3 else None
            done = {(x["name"], x.get("etag")) for x in (manifest or {}).get("sources", [])}
            fresh = {uri for uri, etag in (listed or {}).items() if (uri, etag) not in done}
            finished: list[str] = []
            if s3 is not None and manifest is not None and len(fresh) < len(listed):
                # Published already (a crash came between publish and move): finish that move first.
                finished = move_processed(s3, source, manifest.get("sources", []), manifest["version"])
            (work / "in").mkdir()
            try:
                sources = _download_sources(con, source, work / "in", fresh if s3 is not None else None)
            except AppError:
                if finished:
                    return {"version": manifest["version"], "previous": manifest["version"], "tables": {},
                            "totals": {}, "moved": len(finished),
                            "seconds": round(time.perf_counter() - started, 3)}
                raise
            if manifest is not None:
                materialise(con, manifest, database)
        finally:
            con.close()
        result = run_ingest(database, sources, mode, source_label=source, threads=settings.threads)
        consumed = [{"name": uri, "etag": listed[uri]} for files in sources.values() for _, uri in files] \
            if listed is not None else None
        published = publish_database(database, settings, register, sources=consumed, history=history_of(manifest))
    moved = move_processed(s3, source, consumed, published["version"]) if s3 is not None else []
    if s3 is not None:
        prune(published, settings, lambda prefix: _delete_prefix(s3, prefix))
    return {
        "version": published["version"],
        "previous": manifest["version"] if manifest else None,
        "tables": result.tables,
        "totals": result.totals,
        "moved": len(moved) + len(finished),
        "seconds": round(time.perf_counter() - started, 3),
    }


# ---------------------------------------------------------------- reading


class LakeEngine:
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
        con = duckdb.connect(":memory:", config={"threads": self.settings.threads or os.cpu_count() or 1})
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
        from app.engine import DuckDBSession

        con = self._connection()
        memo = self._memo if con is self._con else {}
        return DuckDBSession(con, memo, use=None)

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.session() as s:
            return s.fetch(sql, params)

    def ready(self) -> tuple[bool, str]:
        try:
            with self.session() as s:
                meta = s.fetch("SELECT version FROM dataset_meta")
        except AppError as exc:
            return False, exc.message
        except duckdb.Error as exc:
            return False, str(exc).splitlines()[0]
        return (True, meta[0]["version"]) if meta else (False, "dataset_meta is empty")


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
            manifest = publish_database((args.database or settings.database_path).absolute(), settings)
            out = {"version": manifest["version"], "tables": len(manifest["tables"])}
        else:
            out = ingest(args.source, args.mode, settings)
    except AppError as exc:
        print(json.dumps({"ok": False, **exc.to_dict()}))
        return 1
    print(json.dumps({"ok": True, **out}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
