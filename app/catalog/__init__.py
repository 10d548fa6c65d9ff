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

Modules: ``glue`` and ``bigquery`` (each catalog's tables), ``versions`` (register and drop a
version in the catalogs the settings name), ``views`` (the stable BigQuery views) and ``__main__``
(``python -m app.catalog views``).
"""
