"""The ``athena`` engine: the app's queries, transpiled to Trino, on the Glue tables over the lake.

Queries run in the stack's workgroup (``STACKS_APP_ATHENA_WORKGROUP``; it enforces the results
location, encryption and the bytes-scanned cutoff) against ``STACKS_APP_GLUE_DATABASE``. Values are
never put into the query text: each ``$name`` becomes a positional ``?`` and its value travels as an
Athena execution parameter (a typed literal, see ``app.dialects.trino_literal``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.dialects import DialectError, compile, trino_parameters
from app.engines.remote import RemoteEngine
from app.errors import AppError


class AthenaEngine(RemoteEngine):
    name = "athena"
    catalog = "glue"

    def __init__(self, settings, connect=None, manifest_loader=None):
        super().__init__(settings, manifest_loader)
        self._connect = connect or self._default_connect
        self._conn = None

    def _default_connect(self):
        import pyathena

        return pyathena.connect(
            work_group=self.settings.athena_workgroup,
            schema_name=self.settings.glue_database,
            region_name=self.settings.aws_region,
            s3_staging_dir=self.settings.athena_output_uri,
        )

    def connection(self):
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        from pyathena.error import Error as AthenaError

        try:
            compiled = compile(sql, "trino", self.tables())
            parameters = trino_parameters(compiled, params)
        except DialectError as exc:
            raise AppError(500, "query", str(exc)) from None
        cursor = self.connection().cursor()
        try:
            cursor.execute(compiled.sql, parameters or None, paramstyle="qmark")
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except AthenaError as exc:
            raise AppError(503, "unavailable", f"athena: {str(exc).splitlines()[0]}") from None
        finally:
            cursor.close()
