"""Orders: the filtered, paginated list and one order."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import READ_ERRORS, CountryQ, DateQ, EndQ, IdPath, IdQ, PageQ, PageSizeQ

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=READ_ERRORS)


@router.get("/orders", response_model=models.OrderPage)
def orders(
    engine: EngineDep,
    start: DateQ = None,
    end: EndQ = None,
    status: models.Status | None = None,
    country: CountryQ = None,
    customer_id: IdQ = None,
    product_id: IdQ = None,
    order: models.Direction = models.Direction.desc,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
) -> dict[str, Any]:
    """Orders of every status, newest first by default, filtered and paginated (default period: the first to the last
    order date). ``country`` filters on the order's country."""
    return repository.orders(
        engine,
        start,
        end,
        status.value if status else None,
        country,
        customer_id,
        product_id,
        order.value,
        page,
        page_size,
    )


@router.get("/orders/{order_id}", response_model=models.OrderDetail)
def order(engine: EngineDep, order_id: IdPath) -> dict[str, Any]:
    """One order with its customer and product names."""
    return repository.order(engine, order_id)
