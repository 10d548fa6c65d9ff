"""The GCS lake, keyless: DuckDB writes Parquet locally, google-cloud-storage moves the objects with
Application Default Credentials (the Cloud Run job's service account).

DuckDB's httpfs reaches gs:// only with an HMAC key, a static credential the stacks never create; the
job does not need it: every object it reads or writes goes through ``google.cloud.storage.Client``.
Same layout and atomicity as the S3 store: a version's files are uploaded under a prefix nobody reads
yet, the catalog is registered, and the manifest is uploaded last, with ``ifGenerationMatch`` (0: only
if there is none) when the job publishes on a snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from app.errors import AppError
from app.lake.clients import gcs_client, split_gs
from app.lake.manifest import (
    ManifestConflict,
    Snapshot,
    SourceGone,
    manifest_bytes,
    manifest_uri,
    new_manifest,
    parse_manifest,
    processed_key,
    root,
    slash,
    source_table,
)
from app.lake.parquet import attach_database, materialise, version_of, write_version
from app.lake.stores.base import Register
from app.schema import TABLES
from app.settings import Settings


def read_snapshot(gcs: Any, lake_root: str) -> Snapshot:
    """The manifest and its generation (the download is pinned to that generation, so the two agree)."""
    from google.api_core import exceptions

    bucket, key = split_gs(manifest_uri(lake_root))
    uri = f"gs://{bucket}/{key}"
    for _ in range(3):  # replaced between the metadata and the download: read the new one
        try:
            blob = gcs.bucket(bucket).get_blob(key)
            if blob is None:
                return Snapshot(None, None)
            generation = blob.generation  # before the download, which resets it from response headers
            data = blob.download_as_bytes(if_generation_match=generation)
        except (exceptions.PreconditionFailed, exceptions.NotFound):
            continue
        except Exception as exc:
            raise AppError(503, "lake", f"cannot read {uri}: {str(exc).splitlines()[0]}") from None
        return Snapshot(parse_manifest(data, uri), str(generation))
    raise ManifestConflict(f"{uri} kept changing while it was read")


def read_manifest(gcs: Any, lake_root: str) -> dict | None:
    return read_snapshot(gcs, lake_root).manifest


def upload_tree(gcs: Any, local_root: Path, lake_root: str) -> list[str]:
    """Upload every file under ``local_root`` to the same relative names under ``lake_root``."""
    bucket_name, base = split_gs(root(lake_root))
    bucket = gcs.bucket(bucket_name)
    names = []
    for path in sorted(p for p in local_root.rglob("*") if p.is_file()):
        name = base + path.relative_to(local_root).as_posix()
        bucket.blob(name).upload_from_filename(str(path), content_type="application/octet-stream")
        names.append(name)
    return names


def put_manifest(gcs: Any, lake_root: str, manifest: dict, *, expect: Snapshot | None = None) -> None:
    """The one write that makes a version visible. ``expect=None``: unconditional (last writer wins).
    ``expect=snapshot``: ``ifGenerationMatch=<its generation>`` (0 when there was no manifest), so a
    manifest another job uploaded meanwhile makes this one fail with ``ManifestConflict`` (412)."""
    from google.api_core import exceptions

    bucket, key = split_gs(manifest_uri(lake_root))
    condition = {} if expect is None else {"if_generation_match": int(expect.token or 0)}
    try:
        gcs.bucket(bucket).blob(key).upload_from_string(
            manifest_bytes(manifest), content_type="application/json", **condition
        )
    except exceptions.PreconditionFailed:
        was = expect.version if expect is not None else None
        raise ManifestConflict(f"gs://{bucket}/{key} changed since it was read (version {was or 'none'})") from None


def download_version(gcs: Any, manifest: dict, directory: Path, names: tuple[str, ...]) -> dict:
    """Copy the tables ``names`` of a published version next to the job; returns a manifest whose
    locations are those local directories (for ``app.lake.parquet.materialise``)."""
    tables = {}
    for name in names:
        entry = dict(manifest["tables"][name])
        bucket_name, prefix = split_gs(entry["location"])
        local = directory / name
        for blob in gcs.list_blobs(bucket_name, prefix=prefix):
            target = local / blob.name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            blob.download_to_filename(str(target))
        local.mkdir(parents=True, exist_ok=True)
        entry["location"] = str(local) + "/"
        tables[name] = entry
    return {**manifest, "tables": tables}


def list_sources(gcs: Any, source: str) -> dict[str, str]:
    """``{gs://bucket/name: generation}`` of the ingestible objects under ``source``."""
    source = slash(source)
    bucket_name, prefix = split_gs(source)
    out = {}
    for blob in gcs.list_blobs(bucket_name, prefix=prefix):
        uri = f"gs://{bucket_name}/{blob.name}"
        if source_table(source, uri) is None:
            continue
        if blob.generation is None:  # a listing without metadata (some emulators): ask for the object
            blob = gcs.bucket(bucket_name).get_blob(blob.name) or blob
        out[uri] = str(blob.generation)
    return dict(sorted(out.items()))


def delete_prefix(gcs: Any, uri: str) -> int:
    bucket_name, prefix = split_gs(uri)
    blobs = list(gcs.list_blobs(bucket_name, prefix=prefix))
    for blob in blobs:
        blob.delete()
    return len(blobs)


def move_processed(gcs: Any, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects from ``incoming/`` to ``processed/<version>/`` (copy, then delete the
    original only if it is still the generation that was ingested). Safe to repeat."""
    bucket_name = split_gs(slash(source))[0]
    bucket = gcs.bucket(bucket_name)
    moved = []
    for item in consumed:
        name = split_gs(item["name"])[1] if item["name"].startswith("gs://") else item["name"]
        target = processed_key(name, version)
        blob = bucket.get_blob(name)
        if blob is None:
            continue
        if str(blob.generation) != str(item["generation"]):
            continue  # a new file with the same name arrived: the next run ingests it
        if bucket.get_blob(target) is None:
            bucket.copy_blob(blob, bucket, target)
        blob.delete()
        moved.append(target)
    return moved


class GcsStore:
    """The GCS lake: every object through google-cloud-storage (keyless)."""

    tag_key = "generation"

    def __init__(self, settings: Settings, gcs: Any = None):
        self.settings, self.gcs = settings, gcs or gcs_client(settings)
        self.lake_uri = settings.lake_uri or ""

    def read(self) -> Snapshot:
        return read_snapshot(self.gcs, self.lake_uri)

    def list_sources(self, source: str) -> dict[str, str]:
        return list_sources(self.gcs, source)

    def download(self, uri: str, tag: str, path: Path) -> None:
        from google.api_core import exceptions

        bucket, name = split_gs(uri)
        try:
            self.gcs.bucket(bucket).blob(name).download_to_filename(str(path), if_generation_match=int(tag))
        except (exceptions.NotFound, exceptions.PreconditionFailed) as exc:
            raise SourceGone(f"{uri} was moved or replaced while this job ran ({exc.code})") from None

    def materialise(self, manifest: dict, database: Path, work: Path) -> None:
        local = download_version(self.gcs, manifest, work / "published", (*TABLES, "ingest_log"))
        con = duckdb.connect(":memory:")
        try:
            materialise(con, local, database)
        finally:
            con.close()

    def publish(
        self,
        database: Path,
        register: Register,
        *,
        sources: list[dict] | None = None,
        history: list[str] | None = None,
        expect: Snapshot | None = None,
    ) -> dict:
        """Parquet written locally, uploaded, registered, then the manifest (``expect`` as on S3)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="lake-publish-") as tmp:
            con = duckdb.connect(":memory:")
            try:
                attach_database(con, database)
                version = version_of(con, "shop")
                tables = write_version(con, self.lake_uri, version, schema="shop", local_root=Path(tmp))
            finally:
                con.close()
            upload_tree(self.gcs, Path(tmp), self.lake_uri)
        manifest = new_manifest(version, tables, sources=sources, history=history)
        manifest["catalog"] = register(manifest)
        put_manifest(self.gcs, self.lake_uri, manifest, expect=expect)
        return manifest

    def move(self, source: str, items: list[dict], version: str) -> list[str]:
        return move_processed(self.gcs, source, items, version)

    def delete_prefix(self, uri: str) -> int:
        return delete_prefix(self.gcs, uri)
