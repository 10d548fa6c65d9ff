"""The declared warehouse schema: base tables, their columns, types and keys.

This is the app's contract with ``stacks.yaml`` (the ``warehouse`` component's
``tables``); a test checks the two agree. DECIMAL is DECIMAL(18,2) everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

STATUSES = ("delivered", "shipped", "processing", "cancelled", "returned")
# Revenue, customers, cohorts and RFM count only orders that were not cancelled or returned.
NET_STATUSES = ("delivered", "shipped", "processing")

SQL_TYPES = {"DECIMAL": "DECIMAL(18,2)"}
# The largest DECIMAL(18,2): an order's amount (quantity x unit_price) must fit it, like every total.
DECIMAL_MAX = "9999999999999999.99"
# What an exact value looks like in a CSV: casting "2.7" or "1e2" to an integer, or "1.005" to
# DECIMAL(18,2), would round it silently, so such text is refused instead.
INTEGER_TEXT = r"\s*[+-]?[0-9]+\s*"
DECIMAL_TEXT = r"\s*[+-]?([0-9]+(\.[0-9]{0,2})?|\.[0-9]{1,2})\s*"
TEXT_FORMATS = {
    "BIGINT": (INTEGER_TEXT, "must be a whole number (no decimals or exponent)"),
    "INTEGER": (INTEGER_TEXT, "must be a whole number (no decimals or exponent)"),
    "DECIMAL": (DECIMAL_TEXT, "must be a number with at most 2 decimals"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    max_length: int | None = None  # VARCHAR columns: the longest accepted text, in characters

    @property
    def sql_type(self) -> str:
        return SQL_TYPES.get(self.type, self.type)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {
    "customers": Table(
        "customers",
        (
            Column("customer_id", "BIGINT", nullable=False),
            Column("name", "VARCHAR", max_length=200),
            Column("email", "VARCHAR", max_length=320),
            Column("country", "VARCHAR", max_length=64),
            Column("signup_date", "DATE"),
        ),
        ("customer_id",),
    ),
    "products": Table(
        "products",
        (
            Column("product_id", "BIGINT", nullable=False),
            Column("name", "VARCHAR", max_length=500),
            Column("category", "VARCHAR", max_length=64),
            Column("unit_price", "DECIMAL"),
        ),
        ("product_id",),
    ),
    "orders": Table(
        "orders",
        (
            Column("order_id", "BIGINT", nullable=False),
            Column("order_date", "DATE", nullable=False),
            Column("customer_id", "BIGINT", nullable=False),
            Column("product_id", "BIGINT", nullable=False),
            Column("quantity", "INTEGER", nullable=False),
            Column("unit_price", "DECIMAL", nullable=False),
            Column("status", "VARCHAR", nullable=False, max_length=16),
            Column("country", "VARCHAR", max_length=64),
        ),
        ("order_id",),
    ),
}

# Physical order of each base table: orders sorted by date lets DuckDB's zone maps skip
# row groups for date ranges and for order-id lookups (ids grow with time).
SORT_KEYS = {"customers": "customer_id", "products": "product_id", "orders": "order_date, order_id"}

# Row rules beyond types, checked on ingest: (table, column, SQL predicate that must hold, message).
# The predicates are constants of this module, never user input.
ROW_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("orders", "quantity", "quantity > 0", "must be a positive integer"),
    ("orders", "unit_price", "unit_price >= 0", "must not be negative"),
    (
        "orders",
        "status",
        "status IN ('delivered', 'shipped', 'processing', 'cancelled', 'returned')",
        "must be one of " + ", ".join(STATUSES),
    ),
    ("products", "unit_price", "unit_price >= 0", "must not be negative"),
    (
        "orders",
        "unit_price",
        f"CAST(quantity AS DECIMAL(38,2)) * unit_price <= {DECIMAL_MAX}",
        f"quantity x unit_price must not exceed {DECIMAL_MAX} (DECIMAL(18,2))",
    ),
)
DATE_COLUMNS = (("orders", "order_date"), ("customers", "signup_date"))


@dataclass(frozen=True)
class DateBounds:
    """The plausible dates an ingest accepts (``STACKS_APP_MIN_DATE``, ``STACKS_APP_MAX_FUTURE_DAYS``):
    a year-10000 or BC date would stretch every derived table over millennia."""

    first: dt.date = dt.date(1990, 1, 1)
    future_days: int = 366

    @property
    def last(self) -> dt.date:
        return dt.date.today() + dt.timedelta(days=self.future_days)


def rules_for(table: Table, bounds: DateBounds) -> list[tuple[str, str, str]]:
    """Every row rule of ``table`` as (column, SQL predicate over the typed row, message): the fixed
    ones, the date bounds and the text lengths. Predicates are built from constants, never from data."""
    rules = [(column, predicate, message) for name, column, predicate, message in ROW_RULES if name == table.name]
    first, last = bounds.first.isoformat(), bounds.last.isoformat()
    for name, column in DATE_COLUMNS:
        if name == table.name:
            rules.append(
                (
                    column,
                    f"{column} BETWEEN DATE '{first}' AND DATE '{last}'",
                    f"must be between {first} and {last} (STACKS_APP_MIN_DATE, STACKS_APP_MAX_FUTURE_DAYS)",
                )
            )
    for c in table.columns:
        if c.max_length:
            rules.append((c.name, f"length({c.name}) <= {c.max_length}", f"is longer than {c.max_length} characters"))
    return rules


def create_table_sql(table: Table, name: str | None = None) -> str:
    cols = ", ".join(f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns)
    return f"CREATE TABLE {name or table.name} ({cols})"
