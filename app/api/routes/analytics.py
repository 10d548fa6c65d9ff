"""KPIs and the revenue series."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import READ_ERRORS, CategoryQ, CountryQ, DateQ, EndQ

router = APIRouter(prefix="/api/v1", tags=["analytics"], responses=READ_ERRORS)

StatusesQ = Annotated[
    list[models.Status] | None,
    Query(description="Order statuses to count (repeatable; default delivered, shipped, processing).", max_length=5),
]


@router.get("/kpis", response_model=models.Kpis)
def kpis(engine: EngineDep, start: DateQ = None, end: EndQ = None, country: CountryQ = None) -> dict[str, Any]:
    """Revenue, orders, units, average order value and active customers for a period (default: the
    last 30 days of data), each with the previous period of the same length."""
    return repository.kpis(engine, start, end, country)


@router.get("/revenue", response_model=models.RevenueSeries)
def revenue(
    engine: EngineDep,
    start: DateQ = None,
    end: EndQ = None,
    granularity: models.Granularity = models.Granularity.day,
    status: StatusesQ = None,
    country: CountryQ = None,
    category: CategoryQ = None,
) -> dict[str, Any]:
    """Revenue, orders and units per day, week or month (default: the last 365 days of data)."""
    statuses = [s.value for s in status] if status else None
    return repository.revenue(engine, start, end, granularity.value, statuses, country, category)
