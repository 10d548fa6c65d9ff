"""Keyless ingest and publish for a lake on gs://: DuckDB writes Parquet locally, google-cloud-storage
moves the objects with Application Default Credentials (the Cloud Run job's service account).

DuckDB's httpfs reaches gs:// only with an HMAC key, a static credential the stacks never create; the
job does not need it: every object it reads or writes goes through ``google.cloud.storage.Client``.

Same layout and the same atomicity as ``app.lake``: a version's files are uploaded under a prefix nobody
reads yet, the catalog is registered, and the manifest is uploaded last (one object, replaced whole).
Any failure before that leaves the published version as it was.

The sources under ``incoming/`` that a published version consumed are recorded in its manifest
(``sources``: object name and generation) and then moved to ``processed/<version>/``; a rerun after a
crash between publish and move only finishes the move (it never ingests the same object twice).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from app import lake
from app.errors import AppError
from app.schema import TABLES


def client(settings):
    """A storage client on Application Default Credentials (``STORAGE_EMULATOR_HOST`` for a local server)."""
    from google.cloud import storage

    try:
        return storage.Client(project=getattr(settings, "bigquery_project", None) or None)
    except Exception as exc:  # google.auth.exceptions.DefaultCredentialsError and friends
        raise AppError(503, "lake", f"no Google credentials for the lake: {str(exc).splitlines()[0]}") from None


def split(uri: str) -> tuple[str, str]:
    """``gs://bucket/key`` -> (bucket, key)."""
    if not uri.startswith("gs://") or "/" not in uri[5:]:
        raise AppError(500, "lake", f"not a gs://bucket/prefix/ URI: {uri!r}")
    bucket, key = uri[5:].split("/", 1)
    return bucket, key


def read_manifest(gcs, lake_root: str) -> dict | None:
    bucket, key = split(lake.manifest_uri(lake_root))
    blob = gcs.bucket(bucket).blob(key)
    try:
        data = blob.download_as_bytes()
    except Exception as exc:
        if type(exc).__name__ == "NotFound":
            return None
        raise AppError(503, "lake", f"cannot read gs://{bucket}/{key}: {str(exc).splitlines()[0]}") from None
    try:
        manifest = json.loads(data)
    except ValueError:
        raise AppError(503, "lake", f"gs://{bucket}/{key} is not JSON") from None
    if not lake.VERSION_RE.match(str(manifest.get("version", ""))) or not isinstance(manifest.get("tables"), dict):
        raise AppError(503, "lake", f"gs://{bucket}/{key} has no valid version and tables")
    return manifest


def upload_tree(gcs, local_root: Path, lake_root: str) -> list[str]:
    """Upload every file under ``local_root`` to the same relative names under ``lake_root``."""
    bucket_name, base = split(lake.root(lake_root))
    bucket = gcs.bucket(bucket_name)
    names = []
    for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
        name = base + path.relative_to(local_root).as_posix()
        bucket.blob(name).upload_from_filename(str(path), content_type="application/octet-stream")
        names.append(name)
    return names


def put_manifest(gcs, lake_root: str, manifest: dict) -> None:
    """The one write that makes a version visible."""
    bucket, key = split(lake.manifest_uri(lake_root))
    gcs.bucket(bucket).blob(key).upload_from_string(
        json.dumps(manifest, sort_keys=True), content_type="application/json"
    )


def publish_database(
    database: Path,
    settings,
    register: Callable[[dict], dict] | None = None,
    gcs=None,
    *,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
) -> dict:
    """Export a local DuckDB file: Parquet written locally, uploaded, registered, then the manifest."""
    from app import catalog

    gcs = gcs or client(settings)
    register = register or (lambda m: catalog.register(m, settings))
    with tempfile.TemporaryDirectory(prefix="lake-publish-") as tmp:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"ATTACH '{lake._q(str(database))}' AS shop (READ_ONLY)")
            version = lake.version_of(con, "shop")
            tables = lake.write_version(con, settings.lake_uri, version, schema="shop", local_root=Path(tmp))
        finally:
            con.close()
        upload_tree(gcs, Path(tmp), settings.lake_uri)
    manifest = lake.new_manifest(version, tables)
    if sources is not None:
        manifest["sources"] = sources
    if history is not None:
        manifest["history"] = [version, *[v for v in history if v != version]]  # newest first
    manifest["catalog"] = register(manifest)
    put_manifest(gcs, settings.lake_uri, manifest)
    return manifest


def download_version(gcs, manifest: dict, directory: Path, names: tuple[str, ...]) -> dict:
    """Copy the tables ``names`` of a published version next to the job; returns a manifest whose
    locations are those local directories (for ``lake.materialise``)."""
    tables = {}
    for name in names:
        entry = dict(manifest["tables"][name])
        bucket_name, prefix = split(entry["location"])
        local = directory / name
        for blob in gcs.list_blobs(bucket_name, prefix=prefix):
            target = local / blob.name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            blob.download_to_filename(str(target))
        local.mkdir(parents=True, exist_ok=True)
        entry["location"] = str(local) + "/"
        tables[name] = entry
    return {**manifest, "tables": tables}


def list_sources(gcs, source: str) -> list[Any]:
    """The ``<table>*.csv|parquet`` objects under ``source``, by name."""
    bucket_name, prefix = split(source if source.endswith("/") else source + "/")
    out = []
    for blob in gcs.list_blobs(bucket_name, prefix=prefix):
        relative = blob.name[len(prefix) :]
        if not relative.lower().endswith(lake.SOURCE_SUFFIXES):
            continue
        if next((t for t in TABLES if relative.startswith(t)), None) is None:
            continue
        if blob.generation is None:  # a listing without metadata (some emulators): ask for the object
            blob = gcs.bucket(bucket_name).get_blob(blob.name) or blob
        out.append(blob)
    return sorted(out, key=lambda b: b.name)


def _delete_prefix(gcs, uri: str) -> int:
    bucket_name, prefix = split(uri)
    blobs = list(gcs.list_blobs(bucket_name, prefix=prefix))
    for blob in blobs:
        blob.delete()
    return len(blobs)


def move_processed(gcs, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects from ``incoming/`` to ``processed/<version>/`` (copy, then delete the
    original only if it is still the generation that was ingested). Safe to repeat."""
    bucket_name = split(source if source.endswith("/") else source + "/")[0]
    bucket = gcs.bucket(bucket_name)
    moved = []
    for item in consumed:
        target = lake.processed_key(item["name"], version)
        blob = bucket.get_blob(item["name"])
        if blob is None:
            continue
        if str(blob.generation) != str(item["generation"]):
            continue  # a new file with the same name arrived: the next run ingests it
        if bucket.get_blob(target) is None:
            bucket.copy_blob(blob, bucket, target)
        blob.delete()
        moved.append(target)
    return moved


def ingest(
    source: str, mode: str, settings, register: Callable[[dict], dict] | None = None, gcs=None
) -> dict:
    """The keyless cloud ingest job: the published version + the objects under ``source`` -> a new
    published version; the consumed objects then move to ``processed/<version>/``."""
    from app.ingest import ingest as run_ingest

    started = time.perf_counter()
    gcs = gcs or client(settings)
    manifest = read_manifest(gcs, settings.lake_uri)
    done = {(s["name"], str(s["generation"])) for s in (manifest or {}).get("sources", [])}
    blobs = list_sources(gcs, source)
    fresh = [b for b in blobs if (b.name, str(b.generation)) not in done]
    finished = []
    if manifest is not None and len(fresh) < len(blobs):
        # Published already (a crash came between publish and move): finish that move first.
        finished = move_processed(gcs, source, manifest.get("sources", []), manifest["version"])
    if not fresh and finished:
        return {"version": manifest["version"], "previous": manifest["version"], "tables": {}, "totals": {},
                "moved": len(finished), "seconds": round(time.perf_counter() - started, 3)}
    if not fresh:
        raise AppError(404, "no_files", f"no customers/products/orders .csv or .parquet objects under {source}")
    with tempfile.TemporaryDirectory(prefix="lake-ingest-") as tmp:
        work = Path(tmp)
        database = work / "shop.duckdb"
        if manifest is not None:
            local = download_version(gcs, manifest, work / "published", (*TABLES, "ingest_log"))
            con = duckdb.connect(":memory:")
            try:
                lake.materialise(con, local, database)
            finally:
                con.close()
        (work / "in").mkdir()
        # Generations as listed: a download may refresh the blob's metadata from its response headers.
        consumed = [{"name": b.name, "generation": str(b.generation)} for b in fresh]
        found: dict[str, list[tuple[Path, str]]] = {}
        src_prefix = split(source if source.endswith("/") else source + "/")[1]
        for i, blob in enumerate(fresh):
            relative = blob.name[len(src_prefix) :]
            table = next(t for t in TABLES if relative.startswith(t))
            path = work / "in" / f"{i}-{relative.rsplit('/', 1)[-1]}"
            blob.download_to_filename(str(path))
            found.setdefault(table, []).append((path, f"gs://{blob.bucket.name}/{blob.name}"))
        result = run_ingest(database, found, mode, source_label=source, threads=settings.threads)
        published = publish_database(database, settings, register, gcs, sources=consumed,
                                     history=lake.history_of(manifest))
    moved = move_processed(gcs, source, consumed, published["version"])
    lake.prune(published, settings, lambda prefix: _delete_prefix(gcs, prefix))
    return {
        "version": published["version"],
        "previous": manifest["version"] if manifest else None,
        "tables": result.tables,
        "totals": result.totals,
        "moved": len(moved) + len(finished),
        "seconds": round(time.perf_counter() - started, 3),
    }
