"""Load CSV or Parquet exports into a new database version, validated row by row.

``ingest(database, {table: [files]}, mode)`` (``app.ingest.load``) stages every file, checks columns,
types and row rules (reporting the file, row, CSV line and column of each bad value), merges with the
previous version (``append``) or not (``replace``), rebuilds the derived tables and publishes the
version atomically. Any problem raises ``AppError`` and leaves the published version exactly as it was.

Command line: ``python -m app.ingest`` (``app.ingest.__main__``).
"""

from __future__ import annotations

from app.ingest.load import IngestResult, detect_format, find_sources, ingest

__all__ = ["IngestResult", "detect_format", "find_sources", "ingest"]
