"""BigQuery external (BigLake) tables of a lake version, and where BigQuery reads the lake from.

An s3 lake read by BigQuery (the hybrid stack) is registered over its GCS mirror
(``STACKS_APP_BIGQUERY_LAKE_URI``); the manifest's ``catalog.bigquery`` then carries each servable
version's row counts (``mirrored_rows``) so the ``bigquery`` engine serves only fully copied versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.errors import AppError
from app.lake.manifest import physical_name, root
from app.settings import Settings


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


def bigquery_root(settings: Settings) -> str | None:
    """The gs:// root BigQuery reads the lake from: the lake itself, or its GCS mirror (an s3 lake)."""

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
