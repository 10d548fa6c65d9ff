"""Customers: countries, the customer list, one customer, RFM segments, cohorts, churn risk."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import READ_ERRORS, CountryQ, DateQ, EndQ, IdPath, LimitQ, PageQ, PageSizeQ

router = APIRouter(prefix="/api/v1", tags=["customers"], responses=READ_ERRORS)


@router.get("/countries", response_model=models.Countries)
def countries(engine: EngineDep, start: DateQ = None, end: EndQ = None) -> dict[str, Any]:
    """Customers (all time) and sales in a period (default: last 30 days) per country."""
    return repository.countries(engine, start, end)


@router.get("/customers", response_model=models.CustomerPage)
def customers(
    engine: EngineDep,
    country: CountryQ = None,
    segment: models.Segment | None = None,
    sort: models.CustomerSort = models.CustomerSort.revenue,
    order: models.Direction = models.Direction.desc,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
) -> dict[str, Any]:
    """Customers with their order totals and RFM segment, paginated, sortable by a whitelist."""
    return repository.customers(
        engine, country, segment.value if segment else None, sort.value, order.value, page, page_size
    )


@router.get("/customers/{customer_id}", response_model=models.CustomerDetail)
def customer(engine: EngineDep, customer_id: IdPath, orders: LimitQ = 20) -> dict[str, Any]:
    """One customer: totals, RFM scores, churn risk and the most recent orders."""
    return repository.customer(engine, customer_id, orders)


@router.get("/segments/rfm", response_model=models.RfmSegments)
def rfm(engine: EngineDep, country: CountryQ = None) -> dict[str, Any]:
    """Customers per RFM segment (recency, frequency, monetary quintiles; ties broken by customer id)."""
    return repository.rfm(engine, country)


@router.get("/cohorts", response_model=models.Cohorts)
def cohorts(
    engine: EngineDep,
    start: Annotated[
        dt.date | None, Query(description="First cohort month (default: 12 months before the last order).")
    ] = None,
    end: Annotated[dt.date | None, Query(description="Last cohort month.")] = None,
    months: Annotated[int, Query(ge=0, le=120, description="Months after the first order.")] = 12,
) -> dict[str, Any]:
    """Monthly cohort retention: customers by first-order month, active again N months later."""
    return repository.cohorts(engine, start, end, months)


@router.get("/churn-risk", response_model=models.ChurnRisk)
def churn_risk(
    engine: EngineDep,
    country: CountryQ = None,
    min_orders: Annotated[int, Query(ge=2, le=10_000)] = 2,
    limit: LimitQ = 100,
) -> dict[str, Any]:
    """Repeat customers whose silence exceeds twice their usual gap between orders (and 30 days),
    most valuable first."""
    return repository.churn_risk(engine, country, min_orders, limit)
