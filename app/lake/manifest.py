"""The lake manifest: its format, the names and locations it gives tables, and the consumed-source record.

Concurrent ingest jobs are serialised by the manifest itself (optimistic concurrency): a job reads the
manifest with its ETag (GCS: generation) and publishes with a compare-and-swap. The manifest's
``sources`` remember which object (name + ETag/generation) each recent version consumed, and
``history`` the published versions, newest first.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.derived import DERIVED_TABLES
from app.errors import AppError
from app.schema import TABLES

MANIFEST = "_manifest.json"
# How each table is laid out: the warehouse's partition_by in stacks.yaml (a test checks they agree).
PARTITION_BY: dict[str, str] = {"orders": "order_date"}
META_TABLES = ("dataset_meta", "ingest_log")
LAKE_TABLES: tuple[str, ...] = (*TABLES, *DERIVED_TABLES, *META_TABLES)
VERSION_RE = re.compile(r"^[0-9a-z]{6,40}$")
SOURCE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")
# Consumed-source records carried from version to version (newest first): enough to outlive any
# half-finished move (the next run over that prefix finishes it), small enough for a manifest that
# every reader fetches each lake_refresh_seconds (~150 bytes an entry).
SOURCES_KEEP = 1000
TAG_KEYS = ("etag", "generation")  # what identifies one upload of an object: S3 ETag, GCS generation


class ManifestConflict(AppError):
    """The published manifest is no longer the one this job read (another job published first)."""

    def __init__(self, message: str):
        super().__init__(409, "conflict", message)


class SourceGone(ManifestConflict):
    """A listed source object vanished or changed before it was read (another job consumed it)."""


@dataclass(frozen=True)
class Snapshot:
    """The manifest as read, with the token a compare-and-swap publish needs: the S3 ETag or the GCS
    generation of ``_manifest.json``; ``token=None`` means there was no manifest (publish only if
    there still is none)."""

    manifest: dict | None
    token: str | None

    @property
    def version(self) -> str | None:
        return self.manifest["version"] if self.manifest else None


def root(uri: str) -> str:
    if not re.match(r"^(s3|gs)://[^/]+/", uri + ("/" if uri.count("/") == 2 else "")):
        raise AppError(500, "lake", f"the lake URI must be s3://bucket/prefix/ or gs://bucket/prefix/, not {uri!r}")
    return uri if uri.endswith("/") else uri + "/"


def table_prefix(lake_root: str, table: str, version: str) -> str:
    """Where one table of one version lives (ends with '/')."""
    return f"{root(lake_root)}{table}/version={version}/"


def manifest_uri(lake_root: str) -> str:
    return root(lake_root) + MANIFEST


def physical_name(table: str, version: str) -> str:
    """A version's catalog table (Glue, BigQuery): ``<table>__<version>``."""
    return f"{table}__{version}"


def sql_quote(text: str) -> str:
    return text.replace("'", "''")


def parse_manifest(data: str | bytes, uri: str) -> dict:
    """A manifest's bytes -> the manifest, checked (every reader and writer, S3 and GCS, parses here)."""
    try:
        manifest = json.loads(data)
    except ValueError:
        raise AppError(503, "lake", f"{uri} is not JSON") from None
    if (
        not isinstance(manifest, dict)
        or not VERSION_RE.match(str(manifest.get("version", "")))
        or not isinstance(manifest.get("tables"), dict)
        or not isinstance(manifest.get("sources", []), list)
    ):
        raise AppError(503, "lake", f"{uri} has no valid version and tables")
    return manifest


def manifest_bytes(manifest: dict) -> bytes:
    return json.dumps(manifest, sort_keys=True).encode()


def new_manifest(
    version: str, tables: dict[str, dict], *, sources: list[dict] | None = None, history: list[str] | None = None
) -> dict:
    manifest: dict[str, Any] = {
        "format": 1,
        "version": version,
        "published_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "tables": tables,
    }
    if sources is not None:
        manifest["sources"] = sources  # the objects recent versions consumed (see ``app.lake.job``)
    if history is not None:
        manifest["history"] = [version, *[v for v in history if v != version]]  # newest first
    return manifest


def read_source(table: str, entry: Mapping[str, Any]) -> str:
    """A DuckDB table expression over one published table's Parquet, columns in their declared order."""
    location = entry["location"]
    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in entry["columns"])
    part = entry.get("partition_by")
    if part:
        return (
            f"(SELECT {cols} FROM read_parquet('{sql_quote(location)}*/*.parquet', hive_partitioning = true, "
            f"hive_types = {{'{sql_quote(part)}': DATE}}))"
        )
    return f"(SELECT {cols} FROM read_parquet('{sql_quote(location)}*.parquet'))"


def history_of(manifest: dict | None) -> list[str]:
    """Published versions, newest first, as the manifest knows them (older manifests: the version)."""
    if manifest is None:
        return []
    return list(manifest.get("history") or [manifest["version"]])


def tag_of(entry: Mapping[str, Any]) -> str:
    return str(next((entry[k] for k in TAG_KEYS if entry.get(k) is not None), ""))


def consumed(manifest: dict | None) -> list[dict]:
    """The manifest's record of consumed sources, newest first, each with the version that consumed
    it (entries of manifests written before the record was carried forward: the manifest's version)."""
    if manifest is None:
        return []
    return [
        {**e, "version": e.get("version") or manifest["version"]}
        for e in manifest.get("sources", [])
        if isinstance(e, dict) and e.get("name")
    ]


def carry_sources(new: list[dict], version: str, manifest: dict | None, keep: int | None = None) -> list[dict]:
    """The next manifest's ``sources``: ``new`` (consumed by ``version``) then the previous record,
    one entry per object upload, newest first, at most ``keep`` (``SOURCES_KEEP``) entries."""
    out: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for entry in [*({**e, "version": version} for e in new), *consumed(manifest)]:
        key = (entry["name"], tag_of(entry))
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out[: SOURCES_KEEP if keep is None else keep]


def slash(source: str) -> str:
    return source if source.endswith("/") else source + "/"


def source_table(source: str, uri: str) -> str | None:
    """The table an object under ``source`` feeds (``<table>*.csv|.csv.gz|.parquet|.pq``), or None."""
    relative = uri[len(source) :]
    if not relative.lower().endswith(SOURCE_SUFFIXES):
        return None
    return next((t for t in TABLES if relative.startswith(t)), None)


def processed_key(key: str, version: str) -> str:
    """Where a consumed object goes: ``a/incoming/b/x.csv`` -> ``a/processed/<version>/b/x.csv``."""
    cut = key.find("incoming/")
    if cut < 0:
        return f"processed/{version}/{key}"
    return f"{key[:cut]}processed/{version}/{key[cut + len('incoming/') :]}"
