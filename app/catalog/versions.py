"""Register a lake version in the catalogs the settings name (Glue, BigQuery), and drop superseded ones.

The ingest job registers every table of a new version under ``<table>__<version>`` *before* it
replaces the manifest; nothing reads those tables until the manifest names them.
"""

from __future__ import annotations

import contextlib
from typing import Any

from app.catalog.bigquery import bigquery_root, mirrored_rows, register_bigquery, relocated
from app.catalog.glue import register_glue
from app.engines.bigquery import make_client
from app.lake.clients import fetch_manifest
from app.lake.manifest import LAKE_TABLES, physical_name, root
from app.settings import Settings


def register(manifest: dict, settings: Settings, bigquery_client: Any = None) -> dict:
    """Register the version in the catalogs the settings name (Glue, BigQuery); {} when none.

    BigQuery registers when the lake is gs://, or over its GCS mirror when ``bigquery_lake_uri``
    names one (the hybrid stack): the tables then point at the mirror, and the entry carries the
    mirror root and every servable version's row counts (``rows``) for the ``bigquery`` engine's check."""
    catalog: dict = {}
    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        catalog["glue"] = register_glue(manifest, settings.glue_database, glue)
    target = bigquery_root(settings)
    if settings.bigquery_dataset and target:
        client = bigquery_client or make_client(settings)
        lake = root(settings.lake_uri or "")
        source = manifest if target == lake else relocated(manifest, lake, target)
        entry = register_bigquery(
            source, settings.bigquery_project or "", settings.bigquery_dataset, client, settings.bigquery_connection
        )
        if target != lake:
            # The mirror lags the lake and copies objects in no order: say what complete looks like.
            entry["lake"] = target
            entry["rows"] = mirrored_rows(manifest, fetch_manifest(settings), settings.lake_keep_versions)
        catalog["bigquery"] = entry
    return catalog


def drop_versions(versions: list[str], settings: Settings, bigquery_client: Any = None) -> None:
    """Delete the catalog tables of superseded versions (Glue and/or BigQuery, as ``register`` made them)."""
    if settings.glue_database:
        import boto3

        glue = boto3.client("glue", region_name=settings.aws_region)
        for version in versions:
            for name in LAKE_TABLES:
                with contextlib.suppress(glue.exceptions.EntityNotFoundException):  # dropped already
                    glue.delete_table(DatabaseName=settings.glue_database, Name=physical_name(name, version))
    if settings.bigquery_dataset and bigquery_root(settings):
        client = bigquery_client or make_client(settings)
        for version in versions:
            for name in LAKE_TABLES:
                client.delete_table(
                    f"{settings.bigquery_project}.{settings.bigquery_dataset}.{physical_name(name, version)}",
                    not_found_ok=True,
                )
