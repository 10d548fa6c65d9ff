"""A deterministic e-commerce dataset generated in DuckDB SQL.

Every attribute is a function of (row id, seed) through DuckDB's ``hash()``, so
the result does not depend on thread count or scheduling: the same
``--orders N --seed S`` gives the same rows (and the same Parquet bytes).
Shape: order volume and the customer base grow over three years (so cohorts
mean something), customers and products are Zipf-like skewed (a few dominate),
recent orders are still processing or shipped, about 4% are cancelled and 6%
returned.

Command line: ``python -m app.seed --orders N --seed S [--parquet DIR]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path

import duckdb

from app.derived import build_derived, write_meta
from app.schema import TABLES, create_table_sql
from app.store import connect, new_version

START = dt.date(2023, 1, 1)
SPAN_DAYS = 1096  # 2023-01-01 .. 2025-12-31
MAX_ORDERS = 200_000_000

COUNTRIES = (
    ("US", 30),
    ("GB", 12),
    ("DE", 11),
    ("FR", 9),
    ("CA", 7),
    ("AU", 6),
    ("NL", 5),
    ("ES", 5),
    ("IT", 5),
    ("JP", 4),
    ("SE", 3),
    ("BR", 3),
)
CATEGORIES = ("electronics", "home", "garden", "toys", "books", "fashion", "sports", "beauty")
FIRST = (
    "Ada",
    "Ben",
    "Chloe",
    "David",
    "Emma",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kenji",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Yara",
)
LAST = (
    "Smith",
    "Garcia",
    "Muller",
    "Martin",
    "Rossi",
    "Tanaka",
    "Silva",
    "Jansen",
    "Novak",
    "Berg",
    "Kowalski",
    "Dubois",
    "Okafor",
    "Khan",
    "Lopez",
    "Nielsen",
    "Costa",
    "Ivanova",
    "Murphy",
    "Chen",
)
ADJECTIVES = ("Smart", "Classic", "Compact", "Deluxe", "Eco", "Pro", "Ultra", "Mini", "Vintage", "Organic")
NOUNS = {
    "electronics": ("Speaker", "Charger", "Headphones", "Camera", "Monitor"),
    "home": ("Lamp", "Kettle", "Blanket", "Vase", "Clock"),
    "garden": ("Hose", "Planter", "Shears", "Bench", "Seeds"),
    "toys": ("Puzzle", "Robot", "Blocks", "Kite", "Doll"),
    "books": ("Novel", "Cookbook", "Atlas", "Journal", "Guide"),
    "fashion": ("Jacket", "Scarf", "Sneakers", "Backpack", "Watch"),
    "sports": ("Racket", "Yoga Mat", "Bottle", "Helmet", "Ball"),
    "beauty": ("Serum", "Perfume", "Brush", "Lotion", "Palette"),
}


def sizes(orders: int) -> tuple[int, int]:
    """Customers and products for a given order count."""
    return max(20, orders // 20), max(10, min(5000, orders // 2000))


def _list(values) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _macros(seed: int) -> list[str]:
    weighted = [code for code, weight in COUNTRIES for _ in range(weight)]
    nouns = [n for c in CATEGORIES for n in NOUNS[c]]
    return [
        # u(i, salt): a uniform double in [0, 1) from (row id, seed, salt).
        f"CREATE OR REPLACE TEMP MACRO u(i, salt) AS ((hash(i, {seed}, salt) >> 11)::DOUBLE / 9007199254740992.0)",
        f"CREATE OR REPLACE TEMP MACRO customer_country(c) AS "
        f"({_list(weighted)})[1 + (hash(c, {seed}, 20) % {len(weighted)})::INTEGER]",
        f"CREATE OR REPLACE TEMP MACRO product_category(p) AS "
        f"({_list(CATEGORIES)})[1 + (hash(p, {seed}, 30) % {len(CATEGORIES)})::INTEGER]",
        "CREATE OR REPLACE TEMP MACRO product_price(p) AS round(4.99 + 495 * pow(u(p, 31), 3), 2)::DECIMAL(18,2)",
        f"CREATE OR REPLACE TEMP MACRO adjectives() AS {_list(ADJECTIVES)}",
        f"CREATE OR REPLACE TEMP MACRO nouns() AS {_list(nouns)}",
        f"CREATE OR REPLACE TEMP MACRO firsts() AS {_list(FIRST)}",
        f"CREATE OR REPLACE TEMP MACRO lasts() AS {_list(LAST)}",
    ]


def generate(con: duckdb.DuckDBPyConnection, orders: int, seed: int) -> dict[str, int]:
    """Create customers, products and orders (sorted as the app stores them) in ``con``."""
    n_customers, n_products = sizes(orders)
    for sql in _macros(seed):
        con.execute(sql)
    for name in TABLES:
        con.execute(create_table_sql(TABLES[name]))
    con.execute(f"""
        INSERT INTO customers
        SELECT i AS customer_id, f || ' ' || l AS name,
               lower(f || '.' || l || i::VARCHAR || '@example.com') AS email,
               customer_country(i) AS country,
               DATE '{START}' + floor({SPAN_DAYS} * sqrt((i - 1) / {n_customers}))::INTEGER AS signup_date
        FROM (SELECT range AS i, firsts()[1 + (hash(range, {seed}, 21) % {len(FIRST)})::INTEGER] AS f,
                     lasts()[1 + (hash(range, {seed}, 22) % {len(LAST)})::INTEGER] AS l
              FROM range(1, {n_customers + 1}))
        ORDER BY customer_id
    """)
    con.execute(f"""
        INSERT INTO products
        SELECT p AS product_id,
               adjectives()[1 + (hash(p, {seed}, 32) % {len(ADJECTIVES)})::INTEGER] || ' '
                 || nouns()[1 + 5 * (list_position({_list(CATEGORIES)}, product_category(p)) - 1)
                            + (hash(p, {seed}, 33) % 5)::INTEGER] || ' ' || p::VARCHAR AS name,
               product_category(p) AS category, product_price(p) AS unit_price
        FROM range(1, {n_products + 1}) t(p) ORDER BY product_id
    """)
    # range() is a single-threaded source: materialise the ids so the heavy projection runs in parallel.
    con.execute(f"CREATE OR REPLACE TEMP TABLE ids AS SELECT range AS i FROM range({orders})")
    con.execute(f"""
        INSERT INTO orders
        WITH o AS (
            SELECT i + 1 AS order_id,
                   floor({SPAN_DAYS} * sqrt((i + 0.5) / {orders}))::INTEGER AS day
            FROM ids
        ), c AS (
            SELECT order_id, day,
                   -- customers who had signed up by this day are 1..m; low ids (early, loyal) dominate
                   1 + floor(greatest(1, floor({n_customers} * pow(day / {SPAN_DAYS}, 2)))
                             * pow(u(order_id, 2), 2))::BIGINT AS customer_id,
                   1 + floor({n_products} * pow(u(order_id, 3), 3))::BIGINT AS product_id,
                   u(order_id, 5) AS r
            FROM o
        )
        SELECT order_id, DATE '{START}' + day AS order_date, customer_id, product_id,
               (1 + floor(4 * pow(u(order_id, 4), 3)))::INTEGER AS quantity,
               CASE WHEN u(order_id, 6) < 0.2 THEN round(product_price(product_id) * 0.9, 2)
                    ELSE product_price(product_id) END::DECIMAL(18,2) AS unit_price,
               CASE WHEN r < 0.04 THEN 'cancelled'
                    WHEN day >= {SPAN_DAYS - 3} THEN 'processing'
                    WHEN day >= {SPAN_DAYS - 10} THEN 'shipped'
                    WHEN r < 0.10 THEN 'returned'
                    ELSE 'delivered' END AS status,
               customer_country(customer_id) AS country
        FROM c
    """)
    con.execute("DROP TABLE ids")
    return {"customers": n_customers, "products": n_products, "orders": orders}


def export_parquet(con: duckdb.DuckDBPyConnection, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        path = directory / f"{name}.parquet"
        con.execute(
            f"COPY (SELECT * FROM {name}) TO '{str(path).replace(chr(39), chr(39) * 2)}' "
            "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
        )
        written.append(path)
    return written


def seed(
    database: Path | None,
    orders: int,
    seed_value: int,
    *,
    parquet: Path | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> dict:
    """Generate the dataset; publish it as a new version of ``database`` and/or write Parquet files."""
    if not 1 <= orders <= MAX_ORDERS:
        raise ValueError(f"--orders must be between 1 and {MAX_ORDERS:,}")
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    result: dict = {"orders": orders, "seed": seed_value}
    label = f"seed --orders {orders} --seed {seed_value}"
    if database is None:
        con = connect(":memory:", read_only=False, threads=threads, memory_limit=memory_limit)
        result["rows"] = generate(con, orders, seed_value)
        result["parquet"] = [str(p) for p in export_parquet(con, parquet)] if parquet else []
        con.close()
    else:
        with new_version(database, threads=threads, memory_limit=memory_limit) as builder:
            con = builder.con
            result["rows"] = generate(con, orders, seed_value)
            result["generate_seconds"] = round(time.perf_counter() - started, 3)
            if parquet:
                result["parquet"] = [str(p) for p in export_parquet(con, parquet)]
            build_derived(con)
            previous = builder.has_previous and bool(
                con.execute(
                    "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'previous' "
                    "AND table_name = 'ingest_log'"
                ).fetchall()[0][0]
            )
            write_meta(
                con,
                uuid.uuid4().hex[:12],
                previous,
                [
                    {"table": name, "mode": "replace", "rows": rows, "source": label, "started_at": started_at}
                    for name, rows in result["rows"].items()
                ],
            )
        result["database"] = str(database)
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result


def main(argv: list[str] | None = None) -> int:
    from app.settings import get_settings

    parser = argparse.ArgumentParser(prog="python -m app.seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="number of orders (default 100000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--database", type=Path, help="default: STACKS_APP_DATABASE")
    parser.add_argument("--parquet", type=Path, help="also write <table>.parquet files here")
    parser.add_argument("--no-database", action="store_true", help="only write the Parquet files")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.no_database and not args.parquet:
        parser.error("--no-database needs --parquet DIR")
    if not 0 <= args.seed < 2**63:
        parser.error("--seed must be a non-negative 64-bit integer")
    if not 1 <= args.orders <= MAX_ORDERS:
        parser.error(f"--orders must be between 1 and {MAX_ORDERS:,}")
    settings = get_settings()
    database = None if args.no_database else (args.database or settings.database_path).absolute()
    result = seed(
        database,
        args.orders,
        args.seed,
        parquet=args.parquet,
        threads=settings.threads,
        memory_limit=settings.ingest_memory_limit,
    )
    if args.json:
        print(json.dumps({"ok": True, **result}))
    else:
        where = result.get("database") or ", ".join(result.get("parquet", []))
        print(f"seeded {args.orders:,} orders (seed {args.seed}) into {where} in {result['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
