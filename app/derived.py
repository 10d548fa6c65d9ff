"""Derived tables built with every new database version, so requests never scan all orders.

- ``daily_sales``: orders, units, revenue per day x country x category x status; ``daily_totals``
  the same without category (what KPIs and order paging read).
- ``product_daily`` / ``product_weekly`` / ``product_monthly``: net sales per product per day,
  ISO week and month; ``product_cumulative``: sales before each week boundary, so a date range is
  two boundary rows per product plus at most six single days at each end.
- ``customer_summary``: one row per customer: first/last order, frequency, monetary, RFM
  scores and segment, churn risk; ``segment_counts`` rolls it up per country and segment.
  Recency counts from ``as_of``, the last order date of any status (the same day ``dataset_meta``
  reports); churn compares against the exact average gap (``avg_gap_days`` is rounded for display).
- ``activity_pairs``: (country, d, p, n): n customer-days on day d whose previous active day was p.
  The customers active in [a, b] are exactly the customer-days in [a, b] with p < a (or no
  p), so an exact distinct count over any range is a sum over at most days^2/2 rows;
  ``activity_days`` is the same summed over countries.
- ``cohorts``: customers and revenue per first-order month and months since.
- ``dataset_meta`` and ``ingest_log``: the version, its date span and the ingest history.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from app.schema import NET_STATUSES

NET = "(" + ", ".join(f"'{s}'" for s in NET_STATUSES) + ")"

DERIVED_SQL: tuple[tuple[str, str], ...] = (
    (
        "daily_sales",
        """
        CREATE TABLE daily_sales AS
        SELECT o.order_date, o.country, p.category, o.status,
               count(*)::BIGINT AS orders, sum(o.quantity)::BIGINT AS units,
               sum(o.quantity * o.unit_price)::DECIMAL(18,2) AS revenue
        FROM orders o LEFT JOIN products p USING (product_id)
        GROUP BY ALL ORDER BY order_date, country, category, status
    """,
    ),
    (
        "daily_totals",
        """
        CREATE TABLE daily_totals AS
        SELECT order_date, country, status, sum(orders)::BIGINT AS orders, sum(units)::BIGINT AS units,
               sum(revenue)::DECIMAL(18,2) AS revenue
        FROM daily_sales GROUP BY ALL ORDER BY order_date, country, status
    """,
    ),
    (
        "product_daily",
        f"""
        CREATE TABLE product_daily AS
        SELECT order_date, product_id, count(*)::BIGINT AS orders, sum(quantity)::BIGINT AS units,
               sum(quantity * unit_price)::DECIMAL(18,2) AS revenue
        FROM orders WHERE status IN {NET}
        GROUP BY ALL ORDER BY order_date, product_id
    """,
    ),
    (
        "product_monthly",
        """
        CREATE TABLE product_monthly AS
        SELECT date_trunc('month', order_date)::DATE AS month, product_id, sum(orders)::BIGINT AS orders,
               sum(units)::BIGINT AS units, sum(revenue)::DECIMAL(18,2) AS revenue
        FROM product_daily GROUP BY ALL ORDER BY product_id, month
    """,
    ),
    (
        "product_weekly",
        """
        CREATE TABLE product_weekly AS
        SELECT date_trunc('week', order_date)::DATE AS week, product_id, sum(orders)::BIGINT AS orders,
               sum(units)::BIGINT AS units, sum(revenue)::DECIMAL(18,2) AS revenue
        FROM product_daily GROUP BY ALL ORDER BY week, product_id
    """,
    ),
    # Sales before each week boundary (Mondays), for every product and every boundary from the first
    # week with sales to the week after the last: the whole weeks of any range are two rows per product.
    (
        "product_cumulative",
        """
        CREATE TABLE product_cumulative AS
        WITH bounds AS (SELECT min(week) AS lo, max(week) + INTERVAL 7 DAY AS hi FROM product_weekly),
        grid AS (
            SELECT CAST(w.week AS DATE) AS week, p.product_id
            FROM bounds, generate_series(bounds.lo, bounds.hi, INTERVAL 7 DAY) AS w(week),
                 (SELECT DISTINCT product_id FROM product_weekly) AS p
        )
        SELECT g.week, g.product_id,
               coalesce(sum(pw.orders) OVER w - pw.orders, sum(pw.orders) OVER w, 0)::BIGINT AS orders,
               coalesce(sum(pw.units) OVER w - pw.units, sum(pw.units) OVER w, 0)::BIGINT AS units,
               coalesce(sum(pw.revenue) OVER w - pw.revenue, sum(pw.revenue) OVER w, 0)::DECIMAL(18,2) AS revenue
        FROM grid g LEFT JOIN product_weekly pw ON pw.product_id = g.product_id AND pw.week = g.week
        WINDOW w AS (PARTITION BY g.product_id ORDER BY g.week)
        ORDER BY g.week, g.product_id
    """,
    ),
    (
        "product_summary",
        """
        CREATE TABLE product_summary AS
        SELECT product_id, sum(orders)::BIGINT AS orders, sum(units)::BIGINT AS units,
               sum(revenue)::DECIMAL(18,2) AS revenue, min(month) AS first_month, max(month) AS last_month
        FROM product_monthly GROUP BY product_id ORDER BY product_id
    """,
    ),
    # One pass over the net orders in (customer, day) order gives both the activity pairs and
    # the cohorts: p is the customer's previous order day, so an order with p = d is a repeat
    # on the same day (it never starts a range and never starts a month). order_id breaks ties
    # between same-day orders, so the same data always gives the same rows (for a customer
    # buying in two countries on one day it decides which country that day's pair counts in).
    (
        "customer_walk",
        f"""
        CREATE TEMP TABLE customer_walk AS
        SELECT GROUPING(country, d, p) AS walk_set, country, d, p, cohort_month, month_offset,
               count(*) FILTER (WHERE p IS DISTINCT FROM d)::BIGINT AS n,
               count(*) FILTER (WHERE p IS NULL OR date_trunc('month', p) <> date_trunc('month', d))::BIGINT
                   AS customers,
               sum(revenue)::DECIMAL(18,2) AS revenue
        FROM (
            SELECT country, d, revenue, p, cohort_month,
                   ((year(d) - year(cohort_month)) * 12 + month(d) - month(cohort_month))::INTEGER AS month_offset
            FROM (
                SELECT country, order_date AS d, quantity * unit_price AS revenue, lag(order_date) OVER w AS p,
                       date_trunc('month', first_value(order_date) OVER w)::DATE AS cohort_month
                FROM orders WHERE status IN {NET}
                WINDOW w AS (PARTITION BY customer_id ORDER BY order_date, order_id)))
        GROUP BY GROUPING SETS ((country, d, p), (cohort_month, month_offset))
    """,
    ),
    (
        "activity_pairs",
        """
        CREATE TABLE activity_pairs AS
        SELECT country, d, p, n FROM customer_walk WHERE walk_set = 0 AND n > 0 ORDER BY d, p, country
    """,
    ),
    (
        "activity_days",
        """
        CREATE TABLE activity_days AS
        SELECT d, p, sum(n)::BIGINT AS n FROM activity_pairs GROUP BY ALL ORDER BY d, p
    """,
    ),
    (
        "cohorts",
        """
        CREATE TABLE cohorts AS
        SELECT cohort_month, month_offset, customers, revenue FROM customer_walk
        WHERE walk_set <> 0 ORDER BY cohort_month, month_offset
    """,
    ),
    ("drop_customer_walk", "DROP TABLE customer_walk"),
    (
        "customer_summary",
        f"""
        CREATE TABLE customer_summary AS
        WITH agg AS (
            SELECT customer_id, count(*)::BIGINT AS orders, sum(quantity * unit_price)::DECIMAL(18,2) AS revenue,
                   min(order_date) AS first_order, max(order_date) AS last_order,
                   CASE WHEN min(hash(country)) = max(hash(country)) THEN 1 ELSE 2 END AS countries
            FROM orders WHERE status IN {NET} GROUP BY customer_id
        ), snapshot AS (SELECT max(order_date) AS as_of FROM orders),
        base AS (
            SELECT coalesce(c.customer_id, a.customer_id) AS customer_id, c.name, c.email, c.country,
                   c.signup_date, coalesce(a.orders, 0)::BIGINT AS orders,
                   coalesce(a.revenue, 0)::DECIMAL(18,2) AS revenue, a.first_order, a.last_order,
                   CASE WHEN a.orders > 1 THEN datediff('day', a.first_order, a.last_order)
                        / (a.orders - 1) END::DOUBLE AS gap_days,
                   datediff('day', a.last_order, snapshot.as_of)::INTEGER AS days_since_last,
                   coalesce(a.countries, 0)::TINYINT AS countries
            FROM customers c FULL JOIN agg a ON a.customer_id = c.customer_id CROSS JOIN snapshot
        ), scored AS (
            SELECT *,
                CASE WHEN orders > 0 THEN ntile(5) OVER (PARTITION BY orders > 0
                     ORDER BY days_since_last DESC, customer_id DESC) END AS r_score,
                CASE WHEN orders > 0 THEN ntile(5) OVER (PARTITION BY orders > 0
                     ORDER BY orders, customer_id DESC) END AS f_score,
                CASE WHEN orders > 0 THEN ntile(5) OVER (PARTITION BY orders > 0
                     ORDER BY revenue, customer_id DESC) END AS m_score
            FROM base
        )
        SELECT * EXCLUDE (gap_days), round(gap_days, 1)::DOUBLE AS avg_gap_days,
            CASE WHEN r_score IS NULL THEN NULL
                 WHEN r_score >= 4 AND f_score >= 4 THEN 'champions'
                 WHEN r_score >= 3 AND f_score >= 3 THEN 'loyal'
                 WHEN r_score >= 4 THEN 'new'
                 WHEN r_score = 3 THEN 'promising'
                 WHEN f_score >= 4 THEN 'cant_lose'
                 WHEN f_score >= 3 THEN 'at_risk'
                 WHEN r_score = 2 THEN 'hibernating'
                 ELSE 'lost' END AS segment,
            coalesce(orders >= 2 AND days_since_last > greatest(2 * gap_days, 30), false) AS churn_risk,
            CASE WHEN orders >= 2 THEN round(days_since_last / greatest(gap_days, 1), 2) END::DOUBLE
                AS churn_score
        FROM scored ORDER BY customer_id
    """,
    ),
    (
        "segment_counts",
        """
        CREATE TABLE segment_counts AS
        SELECT country, segment, count(*)::BIGINT AS customers, sum(revenue)::DECIMAL(18,2) AS revenue,
               sum(days_since_last)::BIGINT AS recency_days, sum(orders)::BIGINT AS orders
        FROM customer_summary GROUP BY ALL ORDER BY country, segment
    """,
    ),
)

DERIVED_TABLES = (
    "daily_sales",
    "daily_totals",
    "product_daily",
    "product_weekly",
    "product_monthly",
    "product_cumulative",
    "product_summary",
    "activity_pairs",
    "activity_days",
    "customer_summary",
    "segment_counts",
    "cohorts",
)

LOG_DDL = """
    CREATE TABLE ingest_log (ingest_id BIGINT, table_name VARCHAR, mode VARCHAR, rows BIGINT,
                             source VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP)
"""


def build_derived(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Create every derived table from the base tables in ``con``; returns seconds per step."""
    import time

    timings: dict[str, float] = {}
    for name, sql in DERIVED_SQL:
        start = time.perf_counter()
        con.execute(sql)
        timings[name] = time.perf_counter() - start
    return timings


def write_meta(con: duckdb.DuckDBPyConnection, version: str, previous_log: bool, entries: list[dict]) -> None:
    """Carry the ingest history over from the previous version and append ``entries``."""
    con.execute(LOG_DDL)
    if previous_log:
        con.execute("INSERT INTO ingest_log SELECT * FROM previous.main.ingest_log")
    next_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingest_log").fetchall()[0][0]
    finished = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for offset, entry in enumerate(entries):
        con.execute(
            "INSERT INTO ingest_log VALUES ($id, $table, $mode, $rows, $source, $started, $finished)",
            {
                "id": next_id + offset,
                "table": entry["table"],
                "mode": entry["mode"],
                "rows": entry["rows"],
                "source": entry["source"],
                "started": entry["started_at"],
                "finished": finished,
            },
        )
    con.execute(
        """
        CREATE TABLE dataset_meta AS
        SELECT $version AS version, $built::TIMESTAMP AS built_at,
               (SELECT min(order_date) FROM orders) AS first_date,
               (SELECT max(order_date) FROM orders) AS as_of,
               coalesce((SELECT max(countries) FROM customer_summary), 0) <= 1 AS country_activity_exact,
               (SELECT min(week) FROM product_cumulative) AS cumulative_first,
               (SELECT max(week) FROM product_cumulative) AS cumulative_last
    """,
        {"version": version, "built": finished},
    )
