"""The lake: every table of a database version as Parquet under s3:// or gs://, published by one manifest.

Layout under the lake root (``STACKS_APP_LAKE_URI``, e.g. ``s3://shop-lake/tables/``; the aws and gcp
stacks point their Glue / BigQuery tables at the same root)::

    <root><table>/version=<v>/data_0.parquet                       unpartitioned tables
    <root>orders/version=<v>/order_date=YYYY-MM-DD/data_0.parquet  PARTITION_BY: Hive-style, yyyy-MM-dd
    <root>_manifest.json                                           {"version": v, "tables": {...}}

Publishing is atomic: a version's files are written under a prefix nobody reads yet, and one PUT of
``_manifest.json`` (a single object, replaced whole) switches readers to it. A failed export or ingest
never touches the manifest, so the published tables stay as they were.

Modules: ``manifest`` (the format, names and the consumed-source record), ``parquet`` (DuckDB writing
and reading a version's Parquet), ``clients`` (boto3 / google-cloud-storage clients and the published
manifest read without DuckDB), ``stores`` (``S3Store`` and ``GcsStore`` behind the ``Store`` protocol),
``job`` (the cloud ingest job and the operator's publish) and ``__main__`` (``python -m app.lake``).
The query engine over the lake is ``app.engines.lake``.
"""
