"""The S3 lake: boto3 for the manifest (conditional PUTs), listings, downloads and moves; DuckDB httpfs
writes the Parquet.

A job reads the manifest with its ETag and publishes with ``If-Match: <etag>`` (``If-None-Match: *``
when there was none); a 412, 409 (two conditional writes racing) or 404 is a ``ManifestConflict``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from app.errors import AppError
from app.lake.clients import s3_client, s3_error, split_s3
from app.lake.manifest import (
    ManifestConflict,
    Snapshot,
    SourceGone,
    manifest_bytes,
    manifest_uri,
    new_manifest,
    parse_manifest,
    processed_key,
    slash,
    source_table,
)
from app.lake.parquet import attach_database, configure, materialise, version_of, write_version
from app.lake.stores.base import Register
from app.settings import Settings


def read_snapshot(s3: Any, lake_root: str) -> Snapshot:
    """The manifest and its ETag from one GET (so the ETag is the one of the bytes parsed)."""
    import botocore.exceptions

    uri = manifest_uri(lake_root)
    bucket, key = split_s3(uri)
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
        body = response["Body"].read()
    except botocore.exceptions.ClientError as exc:
        status, code = s3_error(exc)
        if status == 404 or code in ("NoSuchKey", "404"):
            return Snapshot(None, None)
        raise AppError(503, "lake", f"cannot read {uri}: {code} ({status})") from None
    except botocore.exceptions.BotoCoreError as exc:
        raise AppError(503, "lake", f"cannot read {uri}: {exc}") from None
    return Snapshot(parse_manifest(body, uri), response["ETag"])


def put_manifest(s3: Any, lake_root: str, manifest: dict, *, expect: Snapshot | None) -> None:
    """PUT the manifest with boto3. ``expect=None``: unconditional. ``expect=snapshot``: only if the
    manifest is still that one, else ``ManifestConflict``."""
    import botocore.exceptions

    uri = manifest_uri(lake_root)
    bucket, key = split_s3(uri)
    condition: dict[str, str] = {}
    if expect is not None:
        condition = {"IfMatch": expect.token} if expect.token else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=manifest_bytes(manifest), ContentType="application/json", **condition
        )
    except botocore.exceptions.ClientError as exc:
        status, code = s3_error(exc)
        if expect is not None and (
            status in (404, 409, 412) or code in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey")
        ):
            raise ManifestConflict(
                f"{uri} changed since it was read (version {expect.version or 'none'}): {code}"
            ) from None
        raise AppError(503, "lake", f"cannot write {uri}: {code} ({status})") from None


def list_sources(s3: Any, source: str) -> dict[str, str]:
    """``{s3://bucket/key: etag}`` of the ingestible objects under ``source``."""
    bucket, prefix = split_s3(source)
    out: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            uri = f"s3://{bucket}/{obj['Key']}"
            if source_table(source, uri):
                out[uri] = obj["ETag"]
    return out


def delete_prefix(s3: Any, uri: str) -> int:
    bucket, prefix = split_s3(uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            count += len(keys)
    return count


def move_processed(s3: Any, source: str, consumed: list[dict], version: str) -> list[str]:
    """Move consumed objects out of ``.../incoming/`` to ``.../processed/<version>/`` (copy, then delete
    the original only if it is still the object that was ingested). Safe to repeat."""
    import botocore.exceptions

    bucket = split_s3(slash(source))[0]
    moved = []
    for item in consumed:
        key = item["name"][len(f"s3://{bucket}/") :]
        target = processed_key(key, version)
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except botocore.exceptions.ClientError:
            continue  # moved already
        if head["ETag"] != item["etag"]:
            continue  # a new file with the same name arrived: the next run ingests it
        s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": bucket, "Key": key})
        s3.delete_object(Bucket=bucket, Key=key)
        moved.append(target)
    return moved


class S3Store:
    """The S3 lake: boto3 for the manifest, listings, downloads and moves; DuckDB httpfs for Parquet."""

    tag_key = "etag"

    def __init__(self, settings: Settings, s3: Any = None):
        self.settings, self.s3 = settings, s3 or s3_client(settings)
        self.lake_uri = settings.lake_uri or ""

    def read(self) -> Snapshot:
        return read_snapshot(self.s3, self.lake_uri)

    def list_sources(self, source: str) -> dict[str, str]:
        return list_sources(self.s3, slash(source))

    def download(self, uri: str, tag: str, path: Path) -> None:
        import botocore.exceptions

        bucket, key = split_s3(uri)
        try:
            body = self.s3.get_object(Bucket=bucket, Key=key, IfMatch=tag)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            status, code = s3_error(exc)
            if status in (404, 412) or code in ("NoSuchKey", "PreconditionFailed"):
                raise SourceGone(f"{uri} was moved or replaced while this job ran ({code})") from None
            raise AppError(503, "lake", f"cannot read {uri}: {code} ({status})") from None
        path.write_bytes(body)

    def materialise(self, manifest: dict, database: Path, work: Path) -> None:
        con = duckdb.connect(":memory:")
        try:
            configure(con, self.settings)
            materialise(con, manifest, database)
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
        """Write the database's tables under a new version prefix (httpfs), register it, then PUT the
        manifest (``expect``: compare-and-swap on that snapshot; None: replace whatever is published)."""
        con = duckdb.connect(":memory:")
        try:
            configure(con, self.settings)
            attach_database(con, database)
            version = version_of(con, "shop")
            tables = write_version(con, self.lake_uri, version, schema="shop")
        finally:
            con.close()
        manifest = new_manifest(version, tables, sources=sources, history=history)
        manifest["catalog"] = register(manifest)
        put_manifest(self.s3, self.lake_uri, manifest, expect=expect)
        return manifest

    def move(self, source: str, items: list[dict], version: str) -> list[str]:
        return move_processed(self.s3, source, items, version)

    def delete_prefix(self, uri: str) -> int:
        return delete_prefix(self.s3, uri)
