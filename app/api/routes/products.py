"""Products: the best sellers, the catalogue, one product, categories."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import READ_ERRORS, CategoryQ, DateQ, EndQ, IdPath, LimitQ, PageQ, PageSizeQ

router = APIRouter(prefix="/api/v1", tags=["products"], responses=READ_ERRORS)


@router.get("/products/top", response_model=models.TopProducts)
def top_products(
    engine: EngineDep,
    start: DateQ = None,
    end: EndQ = None,
    by: models.Rank = models.Rank.revenue,
    category: CategoryQ = None,
    limit: LimitQ = 10,
) -> dict[str, Any]:
    """Best-selling products by revenue, units or orders in a period (default: last 30 days)."""
    return repository.top_products(engine, start, end, by.value, category, limit)


@router.get("/products", response_model=models.ProductPage)
def products(
    engine: EngineDep,
    category: CategoryQ = None,
    sort: models.ProductSort = models.ProductSort.revenue,
    order: models.Direction = models.Direction.desc,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
) -> dict[str, Any]:
    """The catalogue with all-time sales, paginated and sortable."""
    return repository.products(engine, category, sort.value, order.value, page, page_size)


@router.get("/products/{product_id}", response_model=models.ProductDetail)
def product(engine: EngineDep, product_id: IdPath) -> dict[str, Any]:
    """One product with its all-time sales and monthly history."""
    return repository.product(engine, product_id)


@router.get("/categories", response_model=models.Categories)
def categories(engine: EngineDep, start: DateQ = None, end: EndQ = None) -> dict[str, Any]:
    """Sales per product category in a period (default: last 30 days)."""
    return repository.categories(engine, start, end)
