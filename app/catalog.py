"""Catalog tables for a lake version: what Athena (Glue) and BigQuery query, published with the manifest.

The ingest job registers every table of a new version - base, derived, meta - under a versioned
name ``<table>__<version>`` pointing at that version's prefix, *before* it replaces the manifest.
Nothing reads those tables until the manifest names them, so the switch stays one PUT: the
``athena`` and ``bigquery`` engines read the manifest and map the queries' logical table names to
the published physical ones (``app.dialects.compile(..., tables=...)``, on the syntax tree).
A failed registration leaves the manifest, and so every engine, on the previous version.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from typing import Any

from app.errors import AppError

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
        raise AppError(500, "catalog", "BigQuery external tables need the lake on gs://")
    tables = {}
    for name, entry in manifest["tables"].items():
        table = bigquery_table(name, entry, manifest["version"], project, dataset, connection)
        client.create_table(table, exists_ok=True)
        tables[name] = f"{dataset}.{physical_name(name, manifest['version'])}"
    return {"project": project, "dataset": dataset, "tables": tables}


def register(manifest: dict, settings) -> dict:
    """Register the version in the catalogs the settings name (Glue, BigQuery); {} when none."""
    catalog: dict = {}
    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        catalog["glue"] = register_glue(manifest, settings.glue_database, glue)
    if settings.bigquery_dataset and settings.lake_uri.startswith("gs://"):
        from google.cloud import bigquery

        client = bigquery.Client(project=settings.bigquery_project, location=settings.bigquery_location)
        catalog["bigquery"] = register_bigquery(
            manifest, settings.bigquery_project, settings.bigquery_dataset, client, settings.bigquery_connection
        )
    return catalog


def drop_versions(versions: list[str], settings) -> None:
    """Delete the catalog tables of superseded versions (Glue and/or BigQuery, as ``register`` made them)."""
    from app.lake import LAKE_TABLES

    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        for version in versions:
            for name in LAKE_TABLES:
                with contextlib.suppress(glue.exceptions.EntityNotFoundException):  # dropped already
                    glue.delete_table(DatabaseName=settings.glue_database, Name=physical_name(name, version))
    if settings.bigquery_dataset and (settings.lake_uri or "").startswith("gs://"):
        from google.cloud import bigquery

        client = bigquery.Client(project=settings.bigquery_project, location=settings.bigquery_location)
        for version in versions:
            for name in LAKE_TABLES:
                client.delete_table(f"{settings.bigquery_project}.{settings.bigquery_dataset}."
                                    f"{physical_name(name, version)}", not_found_ok=True)


def fetch_manifest(settings) -> dict | None:
    """The published manifest read with the cloud's own client (the remote engines have no DuckDB)."""
    from app.lake import MANIFEST, root

    uri = root(settings.lake_uri) + MANIFEST
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    if uri.startswith("s3://"):
        import boto3

        endpoint = None
        if settings.s3_endpoint:
            endpoint = ("https://" if settings.s3_use_ssl else "http://") + settings.s3_endpoint
        s3 = boto3.client("s3", region_name=settings.aws_region, endpoint_url=endpoint)
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
