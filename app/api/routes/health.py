"""Liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse

from app import metrics, models
from app.api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/health", response_model=models.Health)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/ready", response_model=models.Ready, responses={503: {"model": models.Ready}})
def ready(engine: EngineDep) -> dict[str, str] | JSONResponse:
    """Readiness: the database is reachable and a dataset is loaded."""
    ok, detail = engine.ready()
    if ok:
        return {"status": "ready", "version": detail}
    return JSONResponse({"status": "not_ready", "detail": detail}, status_code=503)


@router.get("/metrics", response_class=PlainTextResponse)
def prometheus() -> PlainTextResponse:
    """Prometheus metrics (text exposition format)."""
    body, content_type = metrics.render()
    return PlainTextResponse(body, media_type=content_type)
