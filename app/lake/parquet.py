"""DuckDB and a lake version's Parquet: write every table of a database under a version's prefixes,
copy a published version back into a local database, read the manifest through httpfs.

httpfs is the ``duckdb-extension-httpfs`` wheel's (never downloaded); ``configure`` gives it the lake's
credentials: static keys, or the AWS credential chain (a Fargate task role included).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import duckdb

from app.errors import AppError
from app.lake.manifest import (
    LAKE_TABLES,
    PARTITION_BY,
    VERSION_RE,
    manifest_uri,
    parse_manifest,
    read_source,
    root,
    sql_quote,
    table_prefix,
)
from app.schema import TABLES
from app.settings import Settings


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


def _credentials(settings: Settings, scheme: str) -> tuple[str, str, str | None]:
    key_id = settings.s3_access_key_id.get_secret_value() if settings.s3_access_key_id else None
    secret = settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None
    if key_id is None and scheme == "s3":
        # Fargate hands the task role's credentials out on the container credentials endpoint, which
        # httpfs alone cannot reach: botocore's chain can (and so can every other AWS runtime).
        import botocore.session

        creds = botocore.session.get_session().get_credentials()
        if creds is None:
            raise AppError(503, "lake", "no AWS credentials for the lake (task role, env or profile)")
        frozen = creds.get_frozen_credentials()
        return frozen.access_key, frozen.secret_key, frozen.token
    if key_id is None:
        raise AppError(503, "lake", "gs:// lakes need an HMAC key: STACKS_APP_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY")
    return key_id, secret or "", None


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Load httpfs and give it credentials for the lake (static keys, or the AWS credential chain)."""
    con.execute(f"LOAD '{sql_quote(httpfs_path())}'")
    scheme = root(settings.lake_uri or "").split(":", 1)[0]
    key_id, secret, token = _credentials(settings, scheme)
    options: dict[str, str] = {"KEY_ID": key_id, "SECRET": secret}
    if token:
        options["SESSION_TOKEN"] = token
    if scheme == "s3":
        options["REGION"] = settings.aws_region
        if settings.s3_endpoint:
            options["ENDPOINT"] = settings.s3_endpoint
            options["URL_STYLE"] = "path"
            options["USE_SSL"] = "true" if settings.s3_use_ssl else "false"
    kind = "s3" if scheme == "s3" else "gcs"
    body = ", ".join(f"{k} '{sql_quote(v)}'" if k != "USE_SSL" else f"{k} {v}" for k, v in options.items())
    con.execute(f"CREATE OR REPLACE SECRET lake (TYPE {kind}, {body})")


def read_manifest(con: duckdb.DuckDBPyConnection, lake_root: str) -> dict | None:
    """The published manifest through httpfs, or None when nothing was published yet."""
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
        part = PARTITION_BY.get(name)
        if part:
            con.execute(
                f"COPY (SELECT * FROM {schema}.{name}) TO '{sql_quote(target)}' "
                f"(FORMAT parquet, COMPRESSION snappy, PARTITION_BY ({part}), OVERWRITE_OR_IGNORE true)"
            )
        else:
            con.execute(
                f"COPY (SELECT * FROM {schema}.{name}) TO '{sql_quote(target)}data_0.parquet' (FORMAT parquet, "
                "COMPRESSION snappy)"
            )
        rows = con.execute(f"SELECT count(*) FROM {schema}.{name}").fetchone()
        tables[name] = {
            "location": prefix,
            "partition_by": part,
            "columns": [r[0] for r in described],
            "types": [r[1] for r in described],
            "rows": int(rows[0]) if rows else 0,
        }
    return tables


def version_of(con: duckdb.DuckDBPyConnection, schema: str, version: str | None = None) -> str:
    meta = con.execute(f"SELECT version FROM {schema}.dataset_meta").fetchall()
    return version or (meta[0][0] if meta and meta[0][0] else uuid.uuid4().hex[:12])


def attach_database(con: duckdb.DuckDBPyConnection, database: Path) -> None:
    con.execute(f"ATTACH '{sql_quote(str(database))}' AS shop (READ_ONLY)")


def materialise(con: duckdb.DuckDBPyConnection, manifest: dict, database: Path) -> None:
    """Copy the published base tables and ingest log into a local DuckDB file (the ingest job's start)."""
    con.execute(f"ATTACH '{sql_quote(str(database))}' AS work")
    try:
        # What the local ingest reads from its "previous" version; the derived tables are rebuilt.
        for name in (*TABLES, "ingest_log"):
            con.execute(f"CREATE TABLE work.{name} AS SELECT * FROM {read_source(name, manifest['tables'][name])}")
    finally:
        con.execute("DETACH work")
