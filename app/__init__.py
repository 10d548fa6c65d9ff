"""The bundled e-commerce analytics API: FastAPI over a versioned DuckDB database.

Entry points: ``uvicorn app.main:app`` (the API), ``python -m app.seed`` (a
deterministic dataset) and ``python -m app.ingest`` (load CSV/Parquet exports).
This package imports nothing from ``stacks``, ``architecture`` or ``deploy``.
"""
