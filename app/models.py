"""Response and parameter models of the API (the OpenAPI schema at /openapi.json)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, JsonValue


def _utc(value: dt.datetime) -> dt.datetime:
    # Timestamps are stored in UTC without a zone; RFC 3339 (OpenAPI date-time) needs one.
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]


class Status(StrEnum):
    delivered = "delivered"
    shipped = "shipped"
    processing = "processing"
    cancelled = "cancelled"
    returned = "returned"


class Segment(StrEnum):
    champions = "champions"
    loyal = "loyal"
    new = "new"
    promising = "promising"
    cant_lose = "cant_lose"
    at_risk = "at_risk"
    hibernating = "hibernating"
    lost = "lost"


class Granularity(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Rank(StrEnum):
    revenue = "revenue"
    units = "units"
    orders = "orders"


class Direction(StrEnum):
    asc = "asc"
    desc = "desc"


class CustomerSort(StrEnum):
    customer_id = "customer_id"
    name = "name"
    country = "country"
    signup_date = "signup_date"
    orders = "orders"
    revenue = "revenue"
    first_order = "first_order"
    last_order = "last_order"
    days_since_last = "days_since_last"


class ProductSort(StrEnum):
    product_id = "product_id"
    name = "name"
    category = "category"
    unit_price = "unit_price"
    orders = "orders"
    units = "units"
    revenue = "revenue"


class TableName(StrEnum):
    customers = "customers"
    products = "products"
    orders = "orders"


class IngestMode(StrEnum):
    # Upper-case member names: a member named ``replace`` would shadow ``str.replace``.
    REPLACE = "replace"
    APPEND = "append"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(Model):
    error: str = Field(description="A stable error code.")
    message: str
    problems: list[dict] | None = Field(None, description="Row problems: file, row, line, column, value, message.")
    total_problems: int | None = None


class Health(Model):
    status: str


class Ready(Model):
    status: str
    version: str | None = None
    detail: str | None = None


class Page(Model):
    page: int
    page_size: int
    total: int


class Range(Model):
    start: dt.date
    end: dt.date


class Metric(Model):
    value: float
    previous: float
    change: float | None = Field(description="Relative change vs the previous period; null when it was 0.")


class Kpis(Model):
    period: Range
    previous_period: Range
    country: str | None
    revenue: Metric
    orders: Metric
    units: Metric
    average_order_value: Metric
    active_customers: Metric


class RevenuePoint(Model):
    period: dt.date
    orders: int
    units: int
    revenue: float


class RevenueSeries(Model):
    granularity: Granularity
    period: Range
    statuses: list[Status]
    country: str | None
    category: str | None
    points: list[RevenuePoint]


class ProductRank(Model):
    product_id: int
    name: str | None
    category: str | None
    orders: int
    units: int
    revenue: float


class TopProducts(Page):
    period: Range
    by: Rank
    category: str | None
    products: list[ProductRank]


class Product(Model):
    product_id: int
    name: str | None
    category: str | None
    unit_price: float | None
    orders: int
    units: int
    revenue: float


class ProductPage(Page):
    items: list[Product]


class ProductMonth(Model):
    month: dt.date
    orders: int
    units: int
    revenue: float


class ProductDetail(Product):
    months: list[ProductMonth]


class Category(Model):
    category: str | None
    products: int
    orders: int
    units: int
    revenue: float


class Categories(Model):
    period: Range
    categories: list[Category]


class Country(Model):
    country: str | None
    customers: int
    orders: int
    revenue: float


class Countries(Model):
    period: Range
    countries: list[Country]


class Customer(Model):
    customer_id: int
    name: str | None
    email: str | None
    country: str | None
    signup_date: dt.date | None
    orders: int
    revenue: float
    first_order: dt.date | None
    last_order: dt.date | None
    days_since_last: int | None
    segment: Segment | None


class CustomerPage(Page):
    items: list[Customer]


class OrderLine(Model):
    order_id: int
    order_date: dt.date
    product_id: int
    product_name: str | None
    quantity: int
    unit_price: float
    amount: float
    status: str
    country: str | None


class CustomerDetail(Customer):
    avg_gap_days: float | None
    r_score: int | None
    f_score: int | None
    m_score: int | None
    churn_risk: bool
    churn_score: float | None
    recent_orders: list[OrderLine]


class RfmSegment(Model):
    segment: Segment
    customers: int
    share: float = Field(description="Share of customers with at least one order.")
    revenue: float
    revenue_share: float
    avg_recency_days: float
    avg_orders: float
    avg_revenue: float


class RfmSegments(Model):
    as_of: dt.date | None
    country: str | None
    segments: list[RfmSegment]


class CohortCell(Model):
    month_offset: int
    customers: int
    retention: float
    revenue: float


class Cohort(Model):
    cohort_month: dt.date
    customers: int
    months: list[CohortCell]


class Cohorts(Page):
    period: Range
    cohorts: list[Cohort]


class ChurnCustomer(Model):
    customer_id: int
    name: str | None
    email: str | None
    country: str | None
    orders: int
    revenue: float
    last_order: dt.date | None
    avg_gap_days: float | None
    days_since_last: int | None
    churn_score: float | None


class ChurnRisk(Page):
    as_of: dt.date | None
    customers: list[ChurnCustomer]


class Order(Model):
    order_id: int
    order_date: dt.date
    customer_id: int
    product_id: int
    product_name: str | None
    quantity: int
    unit_price: float
    amount: float
    status: str
    country: str | None


class OrderPage(Page):
    items: list[Order]


class OrderDetail(Order):
    customer_name: str | None
    category: str | None


class TableInfo(Model):
    table: str
    kind: str
    rows: int
    last_ingest: UtcDatetime | None = None
    last_mode: str | None = None
    last_source: str | None = None


class Datasets(Model):
    engine: str
    version: str | None
    built_at: UtcDatetime | None
    first_date: dt.date | None
    as_of: dt.date | None
    country_activity_exact: bool | None = Field(
        None,
        description="Whether active customers per country come from the rollup (every customer buys "
        "from one country) rather than a scan.",
    )
    tables: list[TableInfo]


class IngestEntry(Model):
    ingest_id: int
    table: str
    mode: str
    rows: int
    source: str | None
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None


class IngestPage(Page):
    items: list[IngestEntry]


class IngestResult(Model):
    version: str
    mode: IngestMode
    loaded: dict[str, int]
    rows: dict[str, int]
    seconds: float


# ---------------------------------------------------------------- examples in the OpenAPI schema

# Plausible values by field name; anything else gets a value of its type. Every example validates
# against its model (a test checks), so the documented answers have the served shape.
EXAMPLE_VALUES: dict[str, JsonValue] = {
    "revenue": 12345.67,
    "value": 12345.67,
    "previous": 11020.5,
    "change": 0.120191,
    "orders": 118,
    "units": 236,
    "customers": 42,
    "products": 12,
    "unit_price": 19.99,
    "amount": 39.98,
    "quantity": 2,
    "country": "US",
    "category": "home",
    "name": "Classic Lamp 7",
    "product_name": "Classic Lamp 7",
    "customer_name": "Ines Costa",
    "email": "ines.costa1@example.com",
    "version": "333ecc62652a",
    "status": "delivered",
    "engine": "duckdb",
    "table": "orders",
    "kind": "base",
    "mode": "append",
    "source": "upload orders.csv",
    "error": "invalid_request",
    "message": "start: must be an ISO date, YYYY-MM-DD",
    "detail": "no database at /data/shop.duckdb",
    "page": 1,
    "page_size": 50,
    "total": 1234,
    "share": 0.25,
    "revenue_share": 0.41,
    "retention": 0.4,
    "avg_recency_days": 31.5,
    "avg_orders": 4.2,
    "avg_revenue": 293.94,
    "avg_gap_days": 9.6,
    "days_since_last": 139,
    "churn_score": 14.46,
    "month_offset": 1,
    "seconds": 8.2,
    "r_score": 4,
    "f_score": 5,
    "m_score": 5,
}


def _example_of(annotation: object, name: str) -> JsonValue:
    import types
    import typing

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _example_of(args[0], name)
    if origin in (typing.Union, types.UnionType):
        return _example_of(next(a for a in args if a is not type(None)), name)
    if origin is list:
        return [_example_of(args[0], name)]
    if origin is dict:
        return {"orders": 1000}
    if annotation is dict:  # a row problem of an error
        return {"file": "orders.csv", "row": 2, "line": 3, "column": "order_date", "message": "not a valid DATE"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return example(annotation)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return next(iter(annotation)).value
    if (name in EXAMPLE_VALUES and not isinstance(EXAMPLE_VALUES[name], str)) or annotation is str:
        return EXAMPLE_VALUES.get(name, name.replace("_", " "))
    by_type: dict[object, JsonValue] = {
        int: 1,
        float: 1.5,
        bool: False,
        dt.date: "2025-12-31",
        dt.datetime: "2025-12-31T06:00:00Z",
    }
    return EXAMPLE_VALUES.get(name, by_type.get(annotation))


def example(model: type[BaseModel]) -> dict[str, JsonValue]:
    """An example instance of ``model`` as JSON data, built from its fields."""
    return {name: _example_of(field.annotation, name) for name, field in model.model_fields.items()}


RESPONSE_MODELS: tuple[type[Model], ...] = (
    Error, Health, Ready, Kpis, RevenueSeries, TopProducts, ProductPage, ProductDetail, Categories,
    Countries, CustomerPage, CustomerDetail, RfmSegments, Cohorts, ChurnRisk, OrderPage, OrderDetail,
    Datasets, IngestPage, IngestResult,
)  # fmt: skip

for _model in RESPONSE_MODELS:
    _model.model_config["json_schema_extra"] = {"examples": [example(_model)]}
    _model.model_rebuild(force=True)
