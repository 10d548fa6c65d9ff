"""The query engine interface the repository talks to, its DuckDB implementation and the factory.

Other engines: ``app.lake.LakeEngine`` (DuckDB over the lake's Parquet), ``app.engine_athena`` and
``app.engine_bigquery`` (the same queries transpiled by ``app.dialects``).

``Engine.fetch(sql, params)`` runs one query and returns rows as dicts. The DuckDB
engine holds one read-only connection per process and opens a cursor per
request; before each request it compares the database path's inode with the one
it opened (one ``stat``) and reopens when a new version has been published, so a
request reads a single version from start to end.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import duckdb

from app.errors import AppError
from app.store import connect, file_key, sql_path


class Engine(Protocol):
    name: str

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def session(self) -> Session: ...

    def ready(self) -> tuple[bool, str]: ...


class Session(Protocol):
    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def memo(self, name: str, load): ...


class DuckDBSession:
    """Several queries against one database version (one cursor)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, memo: dict, use: str | None = "shop"):
        # Holding the parent connection keeps its (possibly superseded) version open until we finish.
        self._parent = con
        self._memo = memo
        self._cursor = con.cursor()
        if use:
            self._cursor.execute(f"USE {use}")

    def memo(self, name: str, load):
        """A value computed once per database version (versions are immutable)."""
        if name not in self._memo:
            self._memo[name] = load()
        return self._memo[name]

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        try:
            self._cursor.execute(sql, dict(params) if params else None)
            names = [d[0] for d in self._cursor.description]
            return [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]
        except duckdb.CatalogException as exc:
            raise AppError(503, "not_loaded", f"the database is not loaded: {exc}".splitlines()[0]) from None

    def close(self) -> None:
        self._cursor.close()

    def __enter__(self) -> DuckDBSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SessionEngine:
    """What the DuckDB-backed engines (the local file, the lake) share on top of their ``session()``."""

    def session(self) -> DuckDBSession:
        raise NotImplementedError

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.session() as s:
            return s.fetch(sql, params)

    def ready(self) -> tuple[bool, str]:
        try:
            with self.session() as s:
                meta = s.fetch("SELECT version FROM dataset_meta")
        except AppError as exc:
            return False, exc.message
        except duckdb.Error as exc:
            return False, str(exc).splitlines()[0]
        return (True, meta[0]["version"]) if meta else (False, "dataset_meta is empty")


class DuckDBEngine(SessionEngine):
    name = "duckdb"

    def __init__(self, database: Path, *, threads: int | None = None, memory_limit: str | None = None):
        self.database = database
        self.threads = threads
        self.memory_limit = memory_limit
        self._con: duckdb.DuckDBPyConnection | None = None
        self._key: tuple | None = None
        self._memo: dict = {}
        self._lock = threading.Lock()
        self.reopens = 0

    def _connection(self) -> duckdb.DuckDBPyConnection:
        key = file_key(self.database)
        if key is None:
            raise AppError(
                503, "not_loaded", f"no database at {self.database}: run `python -m app.seed` or ingest data first"
            )
        if key == self._key and self._con is not None:
            return self._con
        with self._lock:
            if key == self._key and self._con is not None:
                return self._con
            for _ in range(5):
                try:
                    con = self._open()
                except duckdb.IOException as exc:
                    raise AppError(503, "unavailable", f"cannot open the database: {exc}".splitlines()[0]) from None
                # A publish between stat and open would pair an old key with a new file: re-check.
                opened = file_key(self.database)
                if opened == key:
                    break
                key = opened
                con.close()
            else:  # pragma: no cover - five publishes while opening once
                raise AppError(503, "unavailable", "the database changed too often to open it")
            # The old connection is not closed here: requests in flight still hold it (see DuckDBSession).
            self._con, self._key, self._memo = con, key, {}
            self.reopens += 1
            return con

    def _open(self) -> duckdb.DuckDBPyConnection:
        # DuckDB caches database instances by path, so connecting to the path again would hand back
        # the superseded version. A fresh in-memory instance that ATTACHes the file always opens the
        # file the path names now.
        con = connect(":memory:", read_only=False, threads=self.threads, memory_limit=self.memory_limit)
        # An in-memory instance would spill to ./.tmp: keep spills next to the data (the image's root
        # file system may be read-only).
        con.execute(f"SET temp_directory = '{sql_path(self.database.parent / '.duckdb-tmp')}'")
        try:
            con.execute(f"ATTACH '{sql_path(self.database)}' AS shop (READ_ONLY)")
            # Top-N late materialisation re-reads the table by row id: slower for our small pages.
            con.execute("SET GLOBAL late_materialization_max_rows = 0")
        except BaseException:
            con.close()
            raise
        return con

    def session(self) -> DuckDBSession:
        con = self._connection()
        memo = self._memo if con is self._con else {}
        return DuckDBSession(con, memo)


def create_engine(settings) -> Engine:
    """The engine ``settings.engine`` names; the cloud ones import their client libraries lazily."""
    if settings.engine == "duckdb":
        return DuckDBEngine(settings.database_path, threads=settings.query_threads, memory_limit=settings.memory_limit)
    if settings.engine == "lake":
        from app.lake import LakeEngine

        return LakeEngine(settings, memory_rows=settings.lake_memory_rows)
    if settings.engine == "athena":
        from app.engine_athena import AthenaEngine

        return AthenaEngine(settings)
    if settings.engine == "bigquery":
        from app.engine_bigquery import BigQueryEngine

        return BigQueryEngine(settings)
    raise AppError(500, "engine", f"engine {settings.engine!r} is not available")  # pragma: no cover
