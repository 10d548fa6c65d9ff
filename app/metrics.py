"""Prometheus metrics: requests, DuckDB query time, the response cache, ingests and the data version.

Several uvicorn workers each count their own requests; ``/metrics`` is answered by one of them. With
``PROMETHEUS_MULTIPROC_DIR`` set (the image sets it) every worker writes its samples to files in
that directory and each scrape aggregates all of them: counts are the server's, not one worker's.
The directory is created here when missing; it should start empty with the server (a fresh one per
container start, e.g. under /tmp), or counts of earlier runs add up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def _multiprocess_dir() -> None:
    """prometheus_client picks its file-backed values at import: the directory must exist by then. One
    that cannot be created (a read-only file system) falls back to per-worker metrics, with a warning,
    rather than failing the worker."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        os.environ.pop(MULTIPROC_ENV)
        logging.getLogger("app").warning(
            "PROMETHEUS_MULTIPROC_DIR unusable: /metrics reports the answering worker only",
            extra={"fields": {"directory": directory, "error": exc.strerror}},
        )


_multiprocess_dir()

from prometheus_client import (  # noqa: E402 - after the directory exists
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)

REQUESTS = Counter("app_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram("app_request_duration_seconds", "HTTP request latency", ["route"], buckets=FAST_BUCKETS)
QUERY_SECONDS = Histogram(
    "app_query_duration_seconds", "Time in the query engine per SQL query", ["engine", "query"], buckets=FAST_BUCKETS
)
CACHE = Counter("app_response_cache_total", "Response cache lookups of GET /api/v1/", ["result"])
INGESTS = Counter("app_ingests_total", "Ingests by outcome (ok or the error code)", ["outcome"])
INGEST_SECONDS = Histogram(
    "app_ingest_duration_seconds", "Duration of ingests that published a version", buckets=(1, 2.5, 5, 10, 30, 60, 300)
)
INGEST_ROWS = Counter("app_ingest_rows_total", "Rows loaded by published ingests", ["table"])
INGEST_REJECTED = Counter("app_ingest_rejected_rows_total", "Row problems found in refused ingests", ["table"])
DATA_VERSION = Gauge(
    "app_data_version_info",
    "The data version a worker serves (1) - label version",
    ["version"],
    multiprocess_mode="max",
)
DATA_BUILT = Gauge(
    "app_data_version_built_timestamp_seconds",
    "When the served data version was built (Unix time)",
    multiprocess_mode="max",
)
DATA_AS_OF = Gauge(
    "app_data_as_of_timestamp_seconds",
    "as_of of the served data version: its last order date (Unix time)",
    multiprocess_mode="max",
)

_served: dict[str, str | None] = {"version": None}


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def query(engine: str, name: str, seconds: float) -> None:
    QUERY_SECONDS.labels(engine, name).observe(seconds)


def cache_lookup(*, hit: bool) -> None:
    CACHE.labels("hit" if hit else "miss").inc()


def ingested(seconds: float, rows: dict[str, int]) -> None:
    INGESTS.labels("ok").inc()
    INGEST_SECONDS.observe(seconds)
    for table, count in rows.items():
        INGEST_ROWS.labels(table).inc(count)


def ingest_refused(code: str, table: str | None, problems: int) -> None:
    INGESTS.labels(code).inc()
    if problems:
        INGEST_REJECTED.labels(table or "unknown").inc(problems)


def serving(version: str | None, built_at: dt.datetime | None, as_of: dt.date | None) -> None:
    """Called when a worker first reads a data version's metadata."""
    if version is None or version == _served["version"]:
        return
    if _served["version"] is not None:
        DATA_VERSION.labels(_served["version"]).set(0)
    _served["version"] = version
    DATA_VERSION.labels(version).set(1)
    if built_at is not None:
        DATA_BUILT.set(built_at.replace(tzinfo=dt.UTC).timestamp() if built_at.tzinfo is None else built_at.timestamp())
    if as_of is not None:
        DATA_AS_OF.set(dt.datetime.combine(as_of, dt.time(), dt.UTC).timestamp())


def render() -> tuple[bytes, str]:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
