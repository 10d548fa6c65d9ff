"""``create_app(settings)``: the FastAPI application, built from the routers, dependencies, middleware
and error handlers. ``app.main`` holds the module-level app uvicorn loads (``uvicorn app.main:app``)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import logs
from app.api import handlers
from app.api.cache import ResponseCache
from app.api.middleware import AppMiddleware
from app.api.routes import analytics, customers, data, health, orders, products
from app.engines.factory import create_engine
from app.settings import Settings, get_settings

log = logging.getLogger("app")

DESCRIPTION = (
    "E-commerce analytics over DuckDB: KPIs, revenue, products, customers, RFM segments, "
    "cohort retention, churn risk, orders, and atomic CSV/Parquet ingestion."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API for ``settings`` (default: the environment's ``STACKS_APP_*``)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.setup(settings.log_level)
        if settings.api_key is None and not settings.read_only:
            log.warning("no STACKS_APP_API_KEY: write endpoints accept requests from loopback clients only")
        log.info(
            "worker started",
            extra={"fields": {"engine": settings.engine, "threads": settings.query_threads, "pid": os.getpid()}},
        )
        yield

    app = FastAPI(title="Shop Analytics API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    logs.setup(settings.log_level)
    # Added first, so innermost: hits still pass CORS and the request middleware (ids, metrics, logs).
    if settings.response_cache_bytes:
        app.add_middleware(ResponseCache, capacity=settings.response_cache_bytes)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Content-Type", "X-Request-ID", "If-None-Match"],
            expose_headers=["ETag", "X-Request-ID"],
        )
    app.add_middleware(AppMiddleware, settings=settings)
    handlers.install(app)
    for module in (health, analytics, products, customers, orders, data):
        app.include_router(module.router)
    return app
