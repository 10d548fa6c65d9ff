"""The ``duckdb`` engine: the published local DuckDB file.

It holds one read-only connection per process and opens a cursor per request; before each request it
compares the database path's inode with the one it opened (one ``stat``) and reopens when a new version
has been published, so a request reads a single version from start to end.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from app.engines.base import DuckDBSession, SessionEngine
from app.errors import AppError
from app.store import connect, file_key, sql_path


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

    def data_version(self) -> str | None:
        key = file_key(self.database)
        return None if key is None else ":".join(map(str, key))

    def session(self) -> DuckDBSession:
        con = self._connection()
        memo = self._memo if con is self._con else {}
        return DuckDBSession(con, memo)
