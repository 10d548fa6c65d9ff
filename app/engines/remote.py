"""What the Athena and BigQuery engines share: sessions over a remote engine, memos with a time limit.

A remote engine has no local version to pin; ``meta`` (the dataset's version and date span) is
memoised for ``lake_refresh_seconds`` so a request costs one remote query per question, not two.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from app import metrics
from app.errors import AppError
from app.lake.clients import fetch_manifest
from app.queries import query_name


class RemoteSession:
    def __init__(self, fetch: Callable[[str, Mapping[str, Any] | None], list[dict[str, Any]]], memo: dict, engine: str):
        self._fetch = fetch
        self._memo = memo
        self._engine = engine

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        started = time.perf_counter()
        rows = self._fetch(sql, params)
        metrics.query(self._engine, query_name(sql), time.perf_counter() - started)
        return rows

    def memo(self, name: str, load):
        if name not in self._memo:
            self._memo[name] = load()
        return self._memo[name]

    def __enter__(self) -> RemoteSession:
        return self

    def __exit__(self, *exc) -> None:
        return None


class RemoteEngine:
    name = "remote"
    catalog = "remote"  # the manifest's catalog entry naming this engine's tables

    def __init__(self, settings, manifest_loader: Callable[[], dict | None] | None = None):
        self.settings = settings
        self._memo: dict = {}
        self._memo_at = 0.0
        self._lock = threading.Lock()
        self._load_manifest = manifest_loader or self._default_manifest
        self._tables: tuple[tuple[str, str], ...] = ()
        self._tables_at = float("-inf")
        self.version: str | None = None

    def _default_manifest(self) -> dict | None:
        return fetch_manifest(self.settings)

    def tables(self) -> tuple[tuple[str, str], ...]:
        """Logical -> physical table names of the published version (re-read every refresh period).

        Without a manifest naming this engine's tables, the logical names are queried as they are
        (tables the stack defines)."""
        if time.monotonic() - self._tables_at < self.settings.lake_refresh_seconds:
            return self._tables
        try:
            manifest = self._load_manifest()
        except Exception as exc:  # any client error: the lake cannot be read
            raise AppError(503, "lake", f"cannot read the lake manifest: {str(exc).splitlines()[0]}") from None
        version, mapping = self.select(manifest)
        with self._lock:
            self._tables = tuple(sorted(mapping.items()))
            self._tables_at = time.monotonic()
            self.version = version
        return self._tables

    def select(self, manifest: dict | None) -> tuple[str | None, Mapping[str, str]]:
        """The version to serve and its logical -> physical names: the manifest's, as published."""
        mapping = ((manifest or {}).get("catalog") or {}).get(self.catalog, {}).get("tables", {})
        return (manifest.get("version") if manifest else None), mapping

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:  # pragma: no cover
        raise NotImplementedError

    def session(self) -> RemoteSession:
        with self._lock:
            if time.monotonic() - self._memo_at > self.settings.lake_refresh_seconds:
                self._memo, self._memo_at = {}, time.monotonic()
            return RemoteSession(self.fetch, self._memo, self.name)

    def data_version(self) -> str | None:
        # Not cached: which version Athena/BigQuery serve is decided per query (over a mirror, only once
        # it is complete), so answers are not keyed by a version here.
        return None

    def ready(self) -> tuple[bool, str]:
        try:
            rows = self.fetch("SELECT version FROM dataset_meta")
        except AppError as exc:
            return False, exc.message
        return (True, rows[0]["version"]) if rows else (False, "dataset_meta is empty")
