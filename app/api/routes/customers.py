"""Customers: countries, the customer list, one customer, RFM segments, cohorts, churn risk."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import (
    READ_ERRORS,
    CountryQ,
    DateQ,
    EndQ,
    IdPath,
    IsoDate,
    LegacyLimitQ,
    LimitQ,
    PageQ,
    PageSizeQ,
    page_of,
)

router = APIRouter(prefix="/api/v1", tags=["customers"], responses=READ_ERRORS)


@router.get("/countries", response_model=models.Countries)
def countries(engine: EngineDep, start: DateQ = None, end: EndQ = None) -> dict[str, Any]:
    """Sales per country in a period (default: the 30 days ending on as_of). Each row is one population: the net orders
    placed in that country (the order's country; null for orders without one), their revenue and the distinct
    customers who placed them. Counts net orders only: delivered, shipped and processing (cancelled and returned are
    excluded)."""
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
    """Customers with their order totals and RFM segment, paginated, sortable by a whitelist. ``country`` filters on
    the customer's country; ``days_since_last`` counts from as_of. Counts net orders only: delivered, shipped and
    processing (cancelled and returned are excluded)."""
    return repository.customers(
        engine, country, segment.value if segment else None, sort.value, order.value, page, page_size
    )


@router.get("/customers/{customer_id}", response_model=models.CustomerDetail)
def customer(engine: EngineDep, customer_id: IdPath, orders: LimitQ = 20) -> dict[str, Any]:
    """One customer: totals, RFM scores, churn risk and the most recent orders (of any status). Counts net orders only:
    delivered, shipped and processing (cancelled and returned are excluded)."""
    return repository.customer(engine, customer_id, orders)


@router.get("/segments/rfm", response_model=models.RfmSegments)
def rfm(engine: EngineDep, country: CountryQ = None) -> dict[str, Any]:
    """Customers per RFM segment over the customers with a net order (cancelled and returned excluded): recency (days
    since the last net order, counted from as_of), frequency (net orders) and monetary (net revenue) scores are
    quintiles, 1-5, higher is better; ties are broken by customer id (the lower id scores higher). Segment, first
    match: champions r>=4 and f>=4; loyal r>=3 and f>=3; new r>=4; promising r=3; cant_lose f>=4; at_risk f>=3;
    hibernating r=2; else lost. ``country`` filters on the customer's country."""
    return repository.rfm(engine, country)


@router.get("/cohorts", response_model=models.Cohorts)
def cohorts(
    engine: EngineDep,
    start: Annotated[
        IsoDate | None, Query(description="First cohort month (default: 11 months before the end's month).")
    ] = None,
    end: Annotated[IsoDate | None, Query(description="Last cohort month (default: the month of as_of).")] = None,
    months: Annotated[int, Query(ge=0, le=120, description="Months after the first order.")] = 12,
    page: PageQ = 1,
    page_size: Annotated[int, Query(ge=1, le=240, description="Cohort months per page.")] = 12,
) -> dict[str, Any]:
    """Monthly cohort retention: customers by the month of their first net order, and how many of them ordered again N
    months later (retention = that / cohort size). Default window: exactly 12 cohort months, ending with the month
    of ``end`` (default: as_of). Paginated by cohort month. Counts net orders only: delivered, shipped and
    processing (cancelled and returned are excluded)."""
    return repository.cohorts(engine, start, end, months, page, page_size)


@router.get("/churn-risk", response_model=models.ChurnRisk)
def churn_risk(
    engine: EngineDep,
    country: CountryQ = None,
    min_orders: Annotated[int, Query(ge=2, le=10_000)] = 2,
    page: PageQ = 1,
    page_size: PageSizeQ = 100,
    limit: LegacyLimitQ = None,
) -> dict[str, Any]:
    """Repeat customers (at least ``min_orders`` net orders) whose silence, days since their last net order counted
    from as_of (the last order date of any status), exceeds both 30 days and twice their average gap between net
    orders ((last - first) / (orders - 1), compared exactly; ``avg_gap_days`` is rounded for display). Most valuable
    first (revenue, then customer id), paginated. ``country`` filters on the customer's country."""
    return repository.churn_risk(engine, country, min_orders, *page_of(page, page_size, limit))
