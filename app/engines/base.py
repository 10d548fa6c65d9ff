"""The query engine interface the repository talks to, and what the DuckDB-backed engines share.

``Engine.fetch(sql, params)`` runs one query and returns rows as dicts; ``Engine.session()`` runs
several against one data version. Engines: ``app.engines.local`` (a local DuckDB file),
``app.engines.lake`` (DuckDB over the lake's Parquet), ``app.engines.athena`` and
``app.engines.bigquery`` (the same queries transpiled by ``app.dialects``); ``app.engines.factory``
picks one from the settings.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

import duckdb

from app import metrics
from app.errors import AppError
from app.queries import query_name


class Engine(Protocol):
    name: str

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def session(self) -> Session: ...

    def ready(self) -> tuple[bool, str]: ...

    def data_version(self) -> str | None:
        """A cheap token of the data version served now (None: nothing served); it changes on publish."""
        ...


class Session(Protocol):
    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def memo(self, name: str, load): ...

    def __enter__(self) -> Session: ...

    def __exit__(self, *exc: object) -> None: ...


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
        started = time.perf_counter()
        try:
            self._cursor.execute(sql, dict(params) if params else None)
            names = [d[0] for d in self._cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in self._cursor.fetchall()]
        except duckdb.CatalogException as exc:
            raise AppError(503, "not_loaded", f"the database is not loaded: {exc}".splitlines()[0]) from None
        metrics.query("duckdb", query_name(sql), time.perf_counter() - started)
        return rows

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
