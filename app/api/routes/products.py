"""Products: the best sellers, the catalogue, one product, categories."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app import models, repository
from app.api.deps import EngineDep
from app.api.params import READ_ERRORS, CategoryQ, DateQ, EndQ, IdPath, LegacyLimitQ, PageQ, PageSizeQ, page_of

router = APIRouter(prefix="/api/v1", tags=["products"], responses=READ_ERRORS)


@router.get("/products/top", response_model=models.TopProducts)
def top_products(
    engine: EngineDep,
    start: DateQ = None,
    end: EndQ = None,
    by: models.Rank = models.Rank.revenue,
    category: CategoryQ = None,
    page: PageQ = 1,
    page_size: PageSizeQ = 10,
    limit: LegacyLimitQ = None,
) -> dict[str, Any]:
    """Best-selling products by revenue, units or orders in a period (default: the 30 days ending on as_of),
    descending, ties by product id; paginated, ``total`` counts the products with net orders in the period. Counts
    net orders only: delivered, shipped and processing (cancelled and returned are excluded)."""
    return repository.top_products(engine, start, end, by.value, category, *page_of(page, page_size, limit))


@router.get("/products", response_model=models.ProductPage)
def products(
    engine: EngineDep,
    category: CategoryQ = None,
    sort: models.ProductSort = models.ProductSort.revenue,
    order: models.Direction = models.Direction.desc,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
) -> dict[str, Any]:
    """The catalogue with all-time sales, paginated and sortable. Counts net orders only: delivered, shipped and
    processing (cancelled and returned are excluded)."""
    return repository.products(engine, category, sort.value, order.value, page, page_size)


@router.get("/products/{product_id}", response_model=models.ProductDetail)
def product(engine: EngineDep, product_id: IdPath) -> dict[str, Any]:
    """One product with its all-time sales and monthly history. Counts net orders only: delivered, shipped and
    processing (cancelled and returned are excluded)."""
    return repository.product(engine, product_id)


@router.get("/categories", response_model=models.Categories)
def categories(engine: EngineDep, start: DateQ = None, end: EndQ = None) -> dict[str, Any]:
    """Sales per product category in a period (default: the 30 days ending on as_of), with each category's number of
    products. Counts net orders only: delivered, shipped and processing (cancelled and returned are excluded)."""
    return repository.categories(engine, start, end)
