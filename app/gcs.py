"""Keyless ingest and publish for a lake on gs://: DuckDB writes Parquet locally, google-cloud-storage
moves the objects with Application Default Credentials (the Cloud Run job's service account).

DuckDB's httpfs reaches gs:// only with an HMAC key, a static credential the stacks never create; the
job does not need it: every object it reads or writes goes through ``google.cloud.storage.Client``.

Same layout and the same atomicity as ``app.lake``: a version's files are uploaded under a prefix nobody
reads yet, the catalog is registered, and the manifest is uploaded last (one object, replaced whole).
Any failure before that leaves the published version as it was.

The sources under ``incoming/`` that recent versions consumed are recorded in the manifest
(``sources``: object URI, generation, consuming version) and then moved to ``processed/<version>/``; a
rerun after a crash between publish and move only finishes the move (it never ingests an object twice).
Concurrent jobs are serialised like on S3 (``lake.run_job``): the manifest is read with its generation
and uploaded with ``ifGenerationMatch`` (0: only if there is none); the loser retries.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

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


def read_snapshot(gcs, lake_root: str) -> lake.Snapshot:
    """The manifest and its generation (the download is pinned to that generation, so the two agree)."""
    from google.api_core import exceptions

    bucket, key = split(lake.manifest_uri(lake_root))
    uri = f"gs://{bucket}/{key}"
    for _ in range(3):  # replaced between the metadata and the download: read the new one
        try:
            blob = gcs.bucket(bucket).get_blob(key)
            if blob is None:
                return lake.Snapshot(None, None)
            generation = blob.generation  # before the download, which resets it from response headers
            data = blob.download_as_bytes(if_generation_match=generation)
        except (exceptions.PreconditionFailed, exceptions.NotFound):
            continue
        except Exception as exc:
            raise AppError(503, "lake", f"cannot read {uri}: {str(exc).splitlines()[0]}") from None
        return lake.Snapshot(lake.parse_manifest(data, uri), str(generation))
    raise lake.ManifestConflict(f"{uri} kept changing while it was read")


def read_manifest(gcs, lake_root: str) -> dict | None:
    return read_snapshot(gcs, lake_root).manifest


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


def put_manifest(gcs, lake_root: str, manifest: dict, *, expect: lake.Snapshot | None = None) -> None:
    """The one write that makes a version visible. ``expect=None``: unconditional (last writer wins).
    ``expect=snapshot``: ``ifGenerationMatch=<its generation>`` (0 when there was no manifest), so a
    manifest another job uploaded meanwhile makes this one fail with ``ManifestConflict`` (412)."""
    from google.api_core import exceptions

    bucket, key = split(lake.manifest_uri(lake_root))
    condition = {} if expect is None else {"if_generation_match": int(expect.token or 0)}
    try:
        gcs.bucket(bucket).blob(key).upload_from_string(
            lake.manifest_bytes(manifest), content_type="application/json", **condition
        )
    except exceptions.PreconditionFailed:
        raise lake.ManifestConflict(
            f"gs://{bucket}/{key} changed since it was read (version {expect.version or 'none'})"
        ) from None


def publish_database(
    database: Path,
    settings,
    register: Callable[[dict], dict] | None = None,
    gcs=None,
    *,
    sources: list[dict] | None = None,
    history: list[str] | None = None,
    expect: lake.Snapshot | None = None,
) -> dict:
    """Export a local DuckDB file: Parquet written locally, uploaded, registered, then the manifest
    (``expect``: as in ``lake.publish_database``, None replaces, a snapshot compares-and-swaps)."""
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
    put_manifest(gcs, settings.lake_uri, manifest, expect=expect)
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


def list_sources(gcs, source: str) -> dict[str, str]:
    """``{gs://bucket/name: generation}`` of the ingestible objects under ``source``."""
    source = lake._slash(source)
    bucket_name, prefix = split(source)
    out = {}
    for blob in gcs.list_blobs(bucket_name, prefix=prefix):
        uri = f"gs://{bucket_name}/{blob.name}"
        if lake.source_table(source, uri) is None:
            continue
        if blob.generation is None:  # a listing without metadata (some emulators): ask for the object
            blob = gcs.bucket(bucket_name).get_blob(blob.name) or blob
        out[uri] = str(blob.generation)
    return dict(sorted(out.items()))


def _delete_prefix(gcs, uri: str) -> int:
    bucket_name, prefix = split(uri)
    blobs = list(gcs.list_blobs(bucket_name, prefix=prefix))
    for blob in blobs:
        blob.delete()
    return len(blobs)


def move_processed(gcs, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects from ``incoming/`` to ``processed/<version>/`` (copy, then delete the
    original only if it is still the generation that was ingested). Safe to repeat."""
    bucket_name = split(lake._slash(source))[0]
    bucket = gcs.bucket(bucket_name)
    moved = []
    for item in consumed:
        name = split(item["name"])[1] if item["name"].startswith("gs://") else item["name"]
        target = lake.processed_key(name, version)
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
    """The GCS lake for ``lake.run_job``: every object through google-cloud-storage (keyless)."""

    tag_key = "generation"

    def __init__(self, settings, gcs):
        self.settings, self.gcs = settings, gcs

    def read(self) -> lake.Snapshot:
        return read_snapshot(self.gcs, self.settings.lake_uri)

    def list_sources(self, source: str) -> dict[str, str]:
        return list_sources(self.gcs, source)

    def download(self, uri: str, tag: str, path: Path) -> None:
        from google.api_core import exceptions

        bucket, name = split(uri)
        try:
            self.gcs.bucket(bucket).blob(name).download_to_filename(str(path), if_generation_match=int(tag))
        except (exceptions.NotFound, exceptions.PreconditionFailed) as exc:
            raise lake.SourceGone(f"{uri} was moved or replaced while this job ran ({exc.code})") from None

    def materialise(self, manifest: dict, database: Path, work: Path) -> None:
        local = download_version(self.gcs, manifest, work / "published", (*TABLES, "ingest_log"))
        con = duckdb.connect(":memory:")
        try:
            lake.materialise(con, local, database)
        finally:
            con.close()

    def publish(self, database, register, *, sources, history, expect) -> dict:
        return publish_database(
            database, self.settings, register, self.gcs, sources=sources, history=history, expect=expect
        )

    def move(self, source: str, items: list[dict], version: str) -> list[str]:
        return move_processed(self.gcs, source, items, version)

    def delete_prefix(self, uri: str) -> int:
        return _delete_prefix(self.gcs, uri)


def ingest(source: str, mode: str, settings, register: Callable[[dict], dict] | None = None, gcs=None) -> dict:
    """The keyless cloud ingest job: ``lake.run_job`` on the GCS store (the published version + the
    fresh objects under ``source`` -> a new version; consumed objects move to ``processed/<version>/``)."""
    if not source.startswith("gs://"):
        raise AppError(422, "bad_source", f"a gs:// lake ingests gs://bucket/prefix/ objects, not {source!r}")
    return lake.run_job(GcsStore(settings, gcs or client(settings)), source, mode, settings, register)
