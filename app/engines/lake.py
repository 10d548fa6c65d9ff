"""The ``lake`` engine: DuckDB + httpfs reading the published lake version, for a container with no
local state. The manifest is re-read every ``lake_refresh_seconds``; a new version opens a new
connection while requests in flight finish on the old one."""

from __future__ import annotations

import logging
import threading
import time

import duckdb

from app.engines.base import DuckDBSession, SessionEngine
from app.errors import AppError
from app.lake.manifest import LAKE_TABLES, manifest_uri, read_source, sql_quote
from app.lake.parquet import configure, read_manifest
from app.settings import Settings

log = logging.getLogger("app.lake")

CREDENTIALS_REFRESH_SECONDS = 600.0


class LakeEngine(SessionEngine):
    """DuckDB over the published lake version: small tables are loaded into memory when a version is
    opened (``lake_memory_rows``), larger ones are read from Parquet per query (partition pruning)."""

    name = "lake"

    def __init__(self, settings: Settings, *, memory_rows: int = 200_000):
        self.settings = settings
        self.memory_rows = memory_rows
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: str | None = None
        self._checked = 0.0
        self._configured = 0.0
        self._memo: dict = {}
        self._lock = threading.Lock()
        self.reopens = 0

    def _probe(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:", config={"threads": self.settings.query_threads})
        con.execute("SET enable_progress_bar = false")
        configure(con, self.settings)
        return con

    def _connection(self) -> duckdb.DuckDBPyConnection:
        now = time.monotonic()
        if self._con is not None and now - self._checked < self.settings.lake_refresh_seconds:
            return self._con
        with self._lock:
            if self._con is not None and time.monotonic() - self._checked < self.settings.lake_refresh_seconds:
                return self._con
            probe = self._con or self._probe()
            if self._con is not None and time.monotonic() - self._configured > CREDENTIALS_REFRESH_SECONDS:
                # Task-role credentials expire (hours): hand httpfs fresh ones well before that.
                configure(self._con, self.settings)
                self._configured = time.monotonic()
            manifest = read_manifest(probe, self.settings.lake_uri or "")
            if manifest is None:
                if self._con is None:
                    probe.close()
                raise AppError(503, "not_loaded", f"nothing published at {manifest_uri(self.settings.lake_uri or '')}")
            self._checked = time.monotonic()
            if manifest["version"] == self._version and self._con is not None:
                return self._con
            con = self._open(manifest)
            if probe is not self._con:
                probe.close()
            # Sessions in flight keep the superseded connection (and its version) until they finish.
            self._con, self._version, self._memo = con, manifest["version"], {}
            self._configured = time.monotonic()
            self.reopens += 1
            log.info("lake version opened", extra={"fields": {"version": manifest["version"]}})
            return con

    def _open(self, manifest: dict) -> duckdb.DuckDBPyConnection:
        con = self._probe()
        try:
            con.execute("SET memory_limit = '" + sql_quote(self.settings.memory_limit) + "'")
            missing = [t for t in LAKE_TABLES if t not in manifest["tables"]]
            if missing:
                raise AppError(503, "lake", f"manifest {manifest['version']} lacks {', '.join(missing)}")
            for name in LAKE_TABLES:
                entry = manifest["tables"][name]
                source = read_source(name, entry)
                if int(entry.get("rows", 0)) <= self.memory_rows:
                    con.execute(f"CREATE TABLE {name} AS SELECT * FROM {source}")
                else:
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        except duckdb.Error as exc:
            con.close()
            raise AppError(503, "lake", f"cannot open lake version: {str(exc).splitlines()[0]}") from None
        except BaseException:
            con.close()
            raise
        return con

    def data_version(self) -> str | None:
        try:
            self._connection()  # re-reads the manifest every lake_refresh_seconds
        except AppError:
            return None
        return self._version

    def session(self) -> DuckDBSession:
        con = self._connection()
        memo = self._memo if con is self._con else {}
        return DuckDBSession(con, memo, use=None)
