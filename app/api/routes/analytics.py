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
    """Revenue, orders, units, average order value and active customers (distinct customers with a net order) for a
    period (default: the 30 days ending on as_of, the last order date of any status), each with the previous period
    of the same length. Counts net orders only: delivered, shipped and processing (cancelled and returned are
    excluded). ``country`` filters on the order's country."""
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
    """Revenue, orders and units per day, week (ISO, from Monday) or month (default: the 365 days ending on as_of).
    ``status`` picks the statuses counted (default: the net ones, delivered, shipped and processing; cancelled and
    returned are excluded unless asked for). ``country`` filters on the order's country."""
    statuses = [s.value for s in status] if status else None
    return repository.revenue(engine, start, end, granularity.value, statuses, country, category)
