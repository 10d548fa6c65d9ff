"""The engine the settings name; the cloud ones import their client libraries lazily."""

from __future__ import annotations

from app.engines.base import Engine
from app.engines.local import DuckDBEngine
from app.errors import AppError
from app.settings import Settings


def create_engine(settings: Settings) -> Engine:
    """The engine ``settings.engine`` names."""
    if settings.engine == "duckdb":
        return DuckDBEngine(settings.database_path, threads=settings.query_threads, memory_limit=settings.memory_limit)
    if settings.engine == "lake":
        from app.engines.lake import LakeEngine

        return LakeEngine(settings, memory_rows=settings.lake_memory_rows)
    if settings.engine == "athena":
        from app.engines.athena import AthenaEngine

        return AthenaEngine(settings)
    if settings.engine == "bigquery":
        from app.engines.bigquery import BigQueryEngine

        return BigQueryEngine(settings)
    raise AppError(500, "engine", f"engine {settings.engine!r} is not available")  # pragma: no cover
