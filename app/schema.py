"""The declared warehouse schema: base tables, their columns, types and keys.

This is the app's contract with ``stacks.yaml`` (the ``warehouse`` component's
``tables``); a test checks the two agree. DECIMAL is DECIMAL(18,2) everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("delivered", "shipped", "processing", "cancelled", "returned")
# Revenue, customers, cohorts and RFM count only orders that were not cancelled or returned.
NET_STATUSES = ("delivered", "shipped", "processing")

SQL_TYPES = {"DECIMAL": "DECIMAL(18,2)"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True

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
            Column("name", "VARCHAR"),
            Column("email", "VARCHAR"),
            Column("country", "VARCHAR"),
            Column("signup_date", "DATE"),
        ),
        ("customer_id",),
    ),
    "products": Table(
        "products",
        (
            Column("product_id", "BIGINT", nullable=False),
            Column("name", "VARCHAR"),
            Column("category", "VARCHAR"),
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
            Column("status", "VARCHAR", nullable=False),
            Column("country", "VARCHAR"),
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
)


def create_table_sql(table: Table, name: str | None = None) -> str:
    cols = ", ".join(f"{c.name} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in table.columns)
    return f"CREATE TABLE {name or table.name} ({cols})"
