"""Catalog tables for a lake version: what Athena (Glue) and BigQuery query, published with the manifest.

The ingest job registers every table of a new version - base, derived, meta - under a versioned
name ``<table>__<version>`` pointing at that version's prefix, *before* it replaces the manifest.
Nothing reads those tables until the manifest names them, so the switch stays one PUT: the
``athena`` and ``bigquery`` engines read the manifest and map the queries' logical table names to
the published physical ones (``app.dialects.compile(..., tables=...)``, on the syntax tree).
A failed registration leaves the manifest, and so every engine, on the previous version.

An s3 lake read by BigQuery (the hybrid stack) is registered over its GCS mirror
(``STACKS_APP_BIGQUERY_LAKE_URI``). The mirror is copied hourly in no particular order, so the
manifest's ``catalog.bigquery`` also carries each servable version's row counts: the ``bigquery``
engine serves the newest version whose mirrored tables hold exactly those rows.

Analysts get stable names in BigQuery: ``point_views`` (run by the ingest job right *after* the
manifest PUT, or ``python -m app.catalog views``) makes every logical table a view
``<dataset>.<table>`` over the version the published manifest names (over a mirror: the newest
version the ``bigquery`` engine would serve, i.e. fully copied). It reads the published manifest
itself, so it can never point a view at a version that is not published.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

from app.errors import AppError

log = logging.getLogger("app.catalog")

PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
PARQUET_IN = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
SIMPLE_TYPES = {
    "BIGINT": ("bigint", "INT64"),
    "INTEGER": ("int", "INT64"),
    "SMALLINT": ("smallint", "INT64"),
    "TINYINT": ("tinyint", "INT64"),
    "DOUBLE": ("double", "FLOAT64"),
    "FLOAT": ("float", "FLOAT64"),
    "VARCHAR": ("string", "STRING"),
    "DATE": ("date", "DATE"),
    "TIMESTAMP": ("timestamp", "TIMESTAMP"),
    "BOOLEAN": ("boolean", "BOOL"),
}


def column_type(duckdb_type: str, target: str) -> str:
    """A DuckDB column type as a Glue (Hive) or BigQuery type."""
    index = 0 if target == "glue" else 1
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", duckdb_type.replace(" ", ""))
    if match:
        return f"decimal({match[1]},{match[2]})" if index == 0 else "NUMERIC"
    try:
        return SIMPLE_TYPES[duckdb_type][index]
    except KeyError:
        raise AppError(500, "catalog", f"no {target} type for DuckDB type {duckdb_type}") from None


def physical_name(table: str, version: str) -> str:
    return f"{table}__{version}"


def glue_table_input(table: str, entry: Mapping[str, Any], version: str) -> dict:
    """The Glue ``TableInput`` of one published table (partition projection for the partitioned one)."""
    part = entry.get("partition_by")
    columns = [
        {"Name": c, "Type": column_type(t, "glue")}
        for c, t in zip(entry["columns"], entry["types"], strict=True)
        if c != part
    ]
    params = {"classification": "parquet", "EXTERNAL": "TRUE", "parquet.compression": "SNAPPY"}
    keys = []
    if part:
        # The layout's Hive partitions are days: Athena computes them from the path, no crawler.
        keys = [{"Name": part, "Type": "date"}]
        params.update(
            {
                "projection.enabled": "true",
                f"projection.{part}.type": "date",
                f"projection.{part}.format": "yyyy-MM-dd",
                f"projection.{part}.range": "2000-01-01,NOW",
                f"projection.{part}.interval": "1",
                f"projection.{part}.interval.unit": "DAYS",
                "storage.location.template": entry["location"] + part + "=${" + part + "}/",
            }
        )
    return {
        "Name": physical_name(table, version),
        "TableType": "EXTERNAL_TABLE",
        "Description": f"{table}, lake version {version}",
        "Parameters": params,
        "PartitionKeys": keys,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": entry["location"],
            "InputFormat": PARQUET_IN,
            "OutputFormat": PARQUET_OUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE, "Parameters": {"serialization.format": "1"}},
        },
    }


def register_glue(manifest: dict, database: str, glue) -> dict:
    """Create the version's tables in the Glue database; returns the manifest's ``catalog.glue``."""
    tables = {}
    for name, entry in manifest["tables"].items():
        table_input = glue_table_input(name, entry, manifest["version"])
        try:
            glue.create_table(DatabaseName=database, TableInput=table_input)
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=database, TableInput=table_input)  # a re-run of the same version
        tables[name] = table_input["Name"]
    return {"database": database, "tables": tables}


def bigquery_table(table: str, entry: Mapping[str, Any], version: str, project: str, dataset: str, connection):
    """A BigQuery external (BigLake when ``connection``) table over one published table's Parquet."""
    from google.cloud import bigquery

    part = entry.get("partition_by")
    location = entry["location"]
    config = bigquery.ExternalConfig("PARQUET")
    config.source_uris = [location + ("*" if not part else "*/*.parquet")]
    if part:
        hive = bigquery.HivePartitioningOptions()
        hive.mode = "CUSTOM"
        hive.source_uri_prefix = location + "{" + part + ":DATE}/"
        config.hive_partitioning = hive
    if connection:
        config.connection_id = connection
    ref = bigquery.TableReference.from_string(f"{project}.{dataset}.{physical_name(table, version)}")
    out = bigquery.Table(ref)
    out.external_data_configuration = config
    out.description = f"{table}, lake version {version}"
    return out


def register_bigquery(manifest: dict, project: str, dataset: str, client, connection: str | None = None) -> dict:
    """Create the version's external tables in the dataset; returns the manifest's ``catalog.bigquery``."""
    if not manifest["tables"]["customers"]["location"].startswith("gs://"):
        raise AppError(500, "catalog", "BigQuery external tables need the lake on gs:// (or its GCS mirror)")
    tables = {}
    for name, entry in manifest["tables"].items():
        table = bigquery_table(name, entry, manifest["version"], project, dataset, connection)
        client.create_table(table, exists_ok=True)
        tables[name] = f"{dataset}.{physical_name(name, manifest['version'])}"
    return {"project": project, "dataset": dataset, "tables": tables}


def bigquery_root(settings) -> str | None:
    """The gs:// root BigQuery reads the lake from: the lake itself, or its GCS mirror (an s3 lake)."""
    from app.lake import root

    if settings.bigquery_lake_uri:
        return root(settings.bigquery_lake_uri)
    if settings.lake_uri and settings.lake_uri.startswith("gs://"):
        return root(settings.lake_uri)
    return None


def relocated(manifest: dict, lake_root: str, new_root: str) -> dict:
    """The manifest with every table location moved from ``lake_root`` to ``new_root`` (same layout)."""
    tables = {}
    for name, entry in manifest["tables"].items():
        location = entry["location"]
        if not location.startswith(lake_root):
            raise AppError(500, "catalog", f"{name}: {location} is not under the lake root {lake_root}")
        tables[name] = {**entry, "location": new_root + location[len(lake_root) :]}
    return {**manifest, "tables": tables}


def mirrored_rows(manifest: dict, previous: dict | None, keep: int) -> dict[str, dict[str, int]]:
    """``{version: {table: rows}}`` for the versions BigQuery may serve from a mirror: this one and the
    kept versions before it (carried over from the published manifest), so the engine can tell when
    each has fully arrived."""
    known = dict((((previous or {}).get("catalog") or {}).get("bigquery") or {}).get("rows") or {})
    known[manifest["version"]] = {name: int(entry.get("rows", 0)) for name, entry in manifest["tables"].items()}
    history = manifest.get("history") or [manifest["version"]]
    return {v: known[v] for v in history[: max(2, keep)] if v in known}


def _bigquery(settings):
    from app.engine_bigquery import make_client  # the engine's credentials: ADC, or WIF from AWS

    return make_client(settings)


def register(manifest: dict, settings, bigquery_client=None) -> dict:
    """Register the version in the catalogs the settings name (Glue, BigQuery); {} when none.

    BigQuery registers when the lake is gs://, or over its GCS mirror when ``bigquery_lake_uri``
    names one (the hybrid stack): the tables then point at the mirror, and the entry carries the
    mirror root and every servable version's row counts (``rows``) for the ``bigquery`` engine's check."""
    from app.lake import root

    catalog: dict = {}
    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        catalog["glue"] = register_glue(manifest, settings.glue_database, glue)
    target = bigquery_root(settings)
    if settings.bigquery_dataset and target:
        client = bigquery_client or _bigquery(settings)
        lake = root(settings.lake_uri)
        source = manifest if target == lake else relocated(manifest, lake, target)
        entry = register_bigquery(
            source, settings.bigquery_project, settings.bigquery_dataset, client, settings.bigquery_connection
        )
        if target != lake:
            # The mirror lags the lake and copies objects in no order: say what complete looks like.
            entry["lake"] = target
            entry["rows"] = mirrored_rows(manifest, fetch_manifest(settings), settings.lake_keep_versions)
        catalog["bigquery"] = entry
    return catalog


def drop_versions(versions: list[str], settings, bigquery_client=None) -> None:
    """Delete the catalog tables of superseded versions (Glue and/or BigQuery, as ``register`` made them)."""
    from app.lake import LAKE_TABLES

    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        for version in versions:
            for name in LAKE_TABLES:
                with contextlib.suppress(glue.exceptions.EntityNotFoundException):  # dropped already
                    glue.delete_table(DatabaseName=settings.glue_database, Name=physical_name(name, version))
    if settings.bigquery_dataset and bigquery_root(settings):
        client = bigquery_client or _bigquery(settings)
        for version in versions:
            for name in LAKE_TABLES:
                client.delete_table(
                    f"{settings.bigquery_project}.{settings.bigquery_dataset}.{physical_name(name, version)}",
                    not_found_ok=True,
                )


def fetch_manifest(settings) -> dict | None:
    """The published manifest read with the cloud's own client (the remote engines have no DuckDB)."""
    from app.lake import MANIFEST, root

    uri = root(settings.lake_uri) + MANIFEST
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    if uri.startswith("s3://"):
        from app.lake import s3_client

        s3 = s3_client(settings)  # the endpoint and keys httpfs uses (the task role's chain by default)
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None
    else:
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/devstorage.read_only"])
        from urllib.parse import quote

        response = AuthorizedSession(credentials).get(
            f"https://storage.googleapis.com/storage/v1/b/{bucket}/o/{quote(key, safe='')}?alt=media", timeout=30
        )
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body = response.content
    return json.loads(body)


# ---------------------------------------------------------------- stable names: views on the published version

PROJECT_ID = re.compile(r"^[a-z][a-z0-9.:-]{2,61}[a-z0-9]$")  # domain-scoped ids (example.com:p) included
VIEW_ROUNDS = 3  # another job published while the views were replaced: point them again, this many times


def view_ddl(project: str, dataset: str, table: str, physical: str, version: str) -> str:
    """``CREATE OR REPLACE VIEW`` of logical ``table`` over ``physical`` (``<dataset>.<table>__<v>``)."""
    from app.engine_bigquery import IDENT

    ds, _, name = physical.partition(".")
    if not (
        PROJECT_ID.match(project)
        and IDENT.match(dataset)
        and IDENT.match(table)
        and ds == dataset
        and IDENT.match(name)
        and IDENT.match(version)
    ):
        raise AppError(500, "catalog", f"bad BigQuery name for a view: {project}.{dataset}.{table} -> {physical}")
    return (
        f"CREATE OR REPLACE VIEW `{project}.{dataset}.{table}`\n"
        f"OPTIONS (description = '{table}: lake version {version}, the published one (set by the ingest job)')\n"
        f"AS SELECT * FROM `{project}.{dataset}.{name}`"
    )


def point_views(settings, bigquery_client=None, manifest_loader=None) -> dict:
    """Point the views ``<dataset>.<table>`` at the published lake version; returns what was done.

    Reads the *published* manifest (never a version still being registered) and chooses the version
    as the ``bigquery`` engine does: the manifest's on a gs:// lake, the newest fully mirrored one
    over a mirror (none yet: the views stay where they are). If the manifest changed while the views
    were replaced (a concurrent job published), they are pointed again. A BigQuery error is logged
    and returned, never raised: the version is already published and served by the engines; the
    next run points the views again.
    """
    if not (settings.bigquery_dataset and bigquery_root(settings)):
        return {}
    import google.auth.exceptions
    from google.api_core import exceptions as gexc
    from google.cloud import bigquery

    from app.engine_bigquery import BigQueryEngine

    loader = manifest_loader or (lambda: fetch_manifest(settings))
    engine = BigQueryEngine(settings, client=bigquery_client, manifest_loader=loader)
    config = bigquery.QueryJobConfig(use_legacy_sql=False)

    def published() -> dict | None:
        try:
            return loader()
        except Exception as exc:  # the hook must not fail a job whose version is published already
            raise AppError(503, "lake", f"cannot read the lake manifest: {str(exc).splitlines()[0]}") from None

    pointed: str | None = None
    for _ in range(VIEW_ROUNDS):
        try:
            manifest = published()
        except AppError as exc:
            log.warning("bigquery views not repointed", extra={"fields": {"error": exc.message}})
            return {"views": {}, "reason": exc.message}
        entry = ((manifest or {}).get("catalog") or {}).get("bigquery")
        if not entry:
            return {"views": {}, "reason": "the published manifest names no BigQuery tables"}
        try:
            version, mapping = engine.select(manifest)
        except AppError as exc:  # over a mirror: no version fully copied yet
            log.info("bigquery views kept", extra={"fields": {"reason": exc.message}})
            return {"views": {}, "reason": exc.message}
        if version == pointed:
            break
        project = entry.get("project") or settings.bigquery_project
        try:
            for table, physical in sorted(mapping.items()):
                sql = view_ddl(project, entry["dataset"], table, physical, version)
                engine.client().query(sql, job_config=config, location=settings.bigquery_location).result()
        except (gexc.GoogleAPIError, google.auth.exceptions.GoogleAuthError) as exc:
            reason = str(exc).splitlines()[0]
            log.warning("bigquery views not repointed", extra={"fields": {"version": version, "error": reason}})
            return {"views": {}, "version": version, "reason": reason}
        log.info("bigquery views point at lake version", extra={"fields": {"version": version, "views": len(mapping)}})
        pointed, out = version, {"version": version, "views": dict(sorted(mapping.items()))}
        try:
            if (published() or {}).get("version") == manifest["version"]:
                break
        except AppError:
            break  # pointed at the version read; the next run checks again
    return out if pointed else {"views": {}}


def main(argv: list[str] | None = None) -> int:
    """``python -m app.catalog views``: point the BigQuery views at the published version now."""
    import argparse

    from app.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m app.catalog", description="Catalog upkeep for the lake.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("views", help="point the BigQuery views <table> at the published lake version")
    parser.parse_args(argv)
    settings = get_settings()
    if not (settings.lake_uri and settings.bigquery_dataset and bigquery_root(settings)):
        print(
            "error: set STACKS_APP_LAKE_URI (gs://, or s3:// with STACKS_APP_BIGQUERY_LAKE_URI) and "
            "STACKS_APP_BIGQUERY_PROJECT/_DATASET",
            file=sys.stderr,
        )
        return 1
    out = point_views(settings)
    print(json.dumps({"ok": bool(out.get("views")), **out}))
    return 0 if out.get("views") else 1


if __name__ == "__main__":
    sys.exit(main())
