"""Stable BigQuery names for analysts: every logical table a view ``<dataset>.<table>`` over the version
the *published* manifest names (over a mirror: the newest version the ``bigquery`` engine would serve).

Run by the ingest job right after the manifest PUT, or ``python -m app.catalog views``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from app.catalog.bigquery import bigquery_root
from app.engines.bigquery import IDENT, BigQueryEngine
from app.errors import AppError
from app.lake.clients import fetch_manifest
from app.settings import Settings

log = logging.getLogger("app.catalog")


PROJECT_ID = re.compile(r"^[a-z][a-z0-9.:-]{2,61}[a-z0-9]$")  # domain-scoped ids (example.com:p) included
VIEW_ROUNDS = 3  # another job published while the views were replaced: point them again, this many times


def view_ddl(project: str, dataset: str, table: str, physical: str, version: str) -> str:
    """``CREATE OR REPLACE VIEW`` of logical ``table`` over ``physical`` (``<dataset>.<table>__<v>``)."""
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


def point_views(
    settings: Settings, bigquery_client: Any = None, manifest_loader: Callable[[], dict | None] | None = None
) -> dict:
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
        if version == pointed or version is None or manifest is None:
            break
        project = str(entry.get("project") or settings.bigquery_project)
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
