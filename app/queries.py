"""Every endpoint's SQL, written once, in DuckDB dialect with named ``$parameters``.

Values always travel as parameters. The few parts SQL cannot parameterise (a sort
column, a sort direction, a time bucket) are ``{placeholders}`` filled only from
the whitelists below by ``render()``, never from request text. ``app.dialects``
transpiles these strings (sqlglot, DuckDB -> Trino for Athena, BigQuery) without
touching the routers or the repository, so the SQL stays portable: no ``GROUP BY
ALL``, no DuckDB-only list functions, no ``NULLS LAST`` in window orderings.
"""

from __future__ import annotations

import functools
import string

NET = "('delivered', 'shipped', 'processing')"

WHITELISTS: dict[str, dict[str, str]] = {
    "bucket": {
        "day": "order_date",
        "week": "CAST(date_trunc('week', order_date) AS DATE)",
        "month": "CAST(date_trunc('month', order_date) AS DATE)",
    },
    "rank": {"revenue": "revenue DESC", "units": "units DESC", "orders": "orders DESC"},
    "direction": {"asc": "ASC", "desc": "DESC"},
    "customer_sort": {
        "customer_id": "customer_id",
        "name": "name",
        "country": "country",
        "signup_date": "signup_date",
        "orders": "orders",
        "revenue": "revenue",
        "first_order": "first_order",
        "last_order": "last_order",
        "days_since_last": "days_since_last",
    },
    "product_sort": {
        "product_id": "product_id",
        "name": "name",
        "category": "category",
        "unit_price": "unit_price",
        "orders": "orders",
        "units": "units",
        "revenue": "revenue",
    },
}

COUNTRY_ROWS = f"""
        WITH sales AS (
            SELECT country, sum(orders) AS orders, sum(revenue) AS revenue
            FROM daily_totals WHERE order_date BETWEEN $start AND $end AND status IN {NET}
            GROUP BY country
        ), people AS ({{people}})
        SELECT s.country, coalesce(c.customers, 0) AS customers, s.orders, s.revenue
        FROM sales s LEFT JOIN people c ON c.country IS NOT DISTINCT FROM s.country
        ORDER BY revenue DESC, country NULLS LAST
    """

QUERIES: dict[str, str] = {
    "meta": """
        SELECT version, built_at, first_date, as_of, country_activity_exact, cumulative_first, cumulative_last
        FROM dataset_meta
    """,
    "table_rows": """
        SELECT 'customers' AS table_name, 'base' AS kind, count(*) AS row_count FROM customers
        UNION ALL SELECT 'products', 'base', count(*) FROM products
        UNION ALL SELECT 'orders', 'base', count(*) FROM orders
        UNION ALL SELECT 'daily_sales', 'derived', count(*) FROM daily_sales
        UNION ALL SELECT 'daily_totals', 'derived', count(*) FROM daily_totals
        UNION ALL SELECT 'product_daily', 'derived', count(*) FROM product_daily
        UNION ALL SELECT 'product_weekly', 'derived', count(*) FROM product_weekly
        UNION ALL SELECT 'product_monthly', 'derived', count(*) FROM product_monthly
        UNION ALL SELECT 'product_cumulative', 'derived', count(*) FROM product_cumulative
        UNION ALL SELECT 'product_summary', 'derived', count(*) FROM product_summary
        UNION ALL SELECT 'customer_summary', 'derived', count(*) FROM customer_summary
        UNION ALL SELECT 'activity_pairs', 'derived', count(*) FROM activity_pairs
        UNION ALL SELECT 'activity_days', 'derived', count(*) FROM activity_days
        UNION ALL SELECT 'segment_counts', 'derived', count(*) FROM segment_counts
        UNION ALL SELECT 'cohorts', 'derived', count(*) FROM cohorts
    """,
    "last_ingests": """
        SELECT table_name, max(finished_at) AS finished_at, arg_max(rows, ingest_id) AS rows,
               arg_max(mode, ingest_id) AS mode, arg_max(source, ingest_id) AS source
        FROM ingest_log GROUP BY table_name ORDER BY table_name
    """,
    "ingests": """
        SELECT ingest_id, table_name, mode, rows, source, started_at, finished_at
        FROM ingest_log ORDER BY ingest_id DESC LIMIT $limit OFFSET $offset
    """,
    "ingests_count": "SELECT count(*) AS total FROM ingest_log",
    "kpi_totals": f"""
        SELECT
            coalesce(sum(orders) FILTER (WHERE order_date >= $start), 0) AS orders,
            coalesce(sum(units) FILTER (WHERE order_date >= $start), 0) AS units,
            coalesce(sum(revenue) FILTER (WHERE order_date >= $start), 0) AS revenue,
            coalesce(sum(orders) FILTER (WHERE order_date <= $prev_end), 0) AS prev_orders,
            coalesce(sum(units) FILTER (WHERE order_date <= $prev_end), 0) AS prev_units,
            coalesce(sum(revenue) FILTER (WHERE order_date <= $prev_end), 0) AS prev_revenue
        FROM daily_totals
        WHERE order_date BETWEEN $prev_start AND $end AND status IN {NET}
          AND ($country IS NULL OR country = $country)
    """,
    # A customer-day on d whose previous active day p is before `start` is that customer's first
    # day in [start, end]: counting them counts each active customer exactly once.
    "active_customers": """
        SELECT coalesce(sum(n) FILTER (WHERE d >= $start AND (p IS NULL OR p < $start)), 0) AS active,
               coalesce(sum(n) FILTER (WHERE d <= $prev_end AND (p IS NULL OR p < $prev_start)), 0)
                   AS prev_active
        FROM activity_days WHERE d BETWEEN $prev_start AND $end
    """,
    "active_customers_by_country": """
        SELECT coalesce(sum(n) FILTER (WHERE d >= $start AND (p IS NULL OR p < $start)), 0) AS active,
               coalesce(sum(n) FILTER (WHERE d <= $prev_end AND (p IS NULL OR p < $prev_start)), 0)
                   AS prev_active
        FROM activity_pairs WHERE d BETWEEN $prev_start AND $end AND country = $country
    """,
    "active_customers_country": f"""
        SELECT count(DISTINCT customer_id) FILTER (WHERE order_date >= $start) AS active,
               count(DISTINCT customer_id) FILTER (WHERE order_date <= $prev_end) AS prev_active
        FROM orders
        WHERE order_date BETWEEN $prev_start AND $end AND status IN {NET} AND country = $country
    """,
    "revenue_series": """
        SELECT {bucket} AS period, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue
        FROM daily_sales
        WHERE order_date BETWEEN $start AND $end AND list_contains($statuses, status)
          AND ($country IS NULL OR country = $country) AND ($category IS NULL OR category = $category)
        GROUP BY 1 ORDER BY period
    """,
    # Whole weeks are the difference of two week boundaries of product_cumulative (two rows per
    # product, whatever the length); the days before the first and after the last whole week come
    # from product_daily. Each piece is a plain range on its table's sort column: few row groups.
    "top_products": """
        WITH parts AS (
            SELECT product_id, orders, units, revenue FROM product_cumulative
            WHERE week = $cum_end AND $cum_start < $cum_end
            UNION ALL
            SELECT product_id, -orders, -units, -revenue FROM product_cumulative
            WHERE week = $cum_start AND $cum_start < $cum_end
            UNION ALL
            SELECT product_id, orders, units, revenue FROM product_daily
            WHERE order_date >= $d1_lo AND order_date < $d1_hi
            UNION ALL
            SELECT product_id, orders, units, revenue FROM product_daily
            WHERE order_date >= $d2_lo AND order_date < $d2_hi
        ), ranked AS (
            SELECT product_id, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue
            FROM parts GROUP BY product_id HAVING sum(orders) <> 0
        )
        SELECT r.product_id, p.name, p.category, r.orders, r.units, r.revenue, count(*) OVER () AS total
        FROM ranked r LEFT JOIN products p ON p.product_id = r.product_id
        WHERE $category IS NULL OR p.category = $category
        ORDER BY {rank}, r.product_id LIMIT $limit OFFSET $offset
    """,
    "products": """
        SELECT p.product_id, p.name, p.category, p.unit_price, coalesce(t.orders, 0) AS orders,
               coalesce(t.units, 0) AS units, coalesce(t.revenue, 0) AS revenue
        FROM products p LEFT JOIN product_summary t ON t.product_id = p.product_id
        WHERE $category IS NULL OR p.category = $category
        ORDER BY {sort} {direction} NULLS LAST, p.product_id {direction} LIMIT $limit OFFSET $offset
    """,
    "products_count": "SELECT count(*) AS total FROM products WHERE $category IS NULL OR category = $category",
    "product": """
        SELECT p.product_id, p.name, p.category, p.unit_price, coalesce(t.orders, 0) AS orders,
               coalesce(t.units, 0) AS units, coalesce(t.revenue, 0) AS revenue
        FROM products p LEFT JOIN product_summary t ON t.product_id = p.product_id
        WHERE p.product_id = $product_id
    """,
    "product_months": """
        SELECT month, orders, units, revenue FROM product_monthly
        WHERE product_id = $product_id ORDER BY month
    """,
    "categories": f"""
        WITH sales AS (
            SELECT category, sum(orders) AS orders, sum(units) AS units, sum(revenue) AS revenue
            FROM daily_sales WHERE order_date BETWEEN $start AND $end AND status IN {NET}
            GROUP BY category
        ), catalog AS (SELECT category, count(*) AS products FROM products GROUP BY category)
        SELECT coalesce(s.category, c.category) AS category, coalesce(c.products, 0) AS products,
               coalesce(s.orders, 0) AS orders, coalesce(s.units, 0) AS units, coalesce(s.revenue, 0) AS revenue
        FROM sales s FULL JOIN catalog c ON c.category IS NOT DISTINCT FROM s.category
        ORDER BY revenue DESC, category NULLS LAST
    """,
    # One population per row: the net orders placed in the period in that country (the order's
    # country, NULL included), their revenue and the distinct customers who placed them. A customer
    # day whose previous active day is before $start is that customer's first day in the period
    # (exact per country when no customer buys in two countries: dataset_meta.country_activity_exact).
    "countries": COUNTRY_ROWS.format(
        people="""SELECT country, sum(n) AS customers FROM activity_pairs
            WHERE d BETWEEN $start AND $end AND (p IS NULL OR p < $start) GROUP BY country"""
    ),
    "countries_distinct": COUNTRY_ROWS.format(
        people=f"""SELECT country, count(DISTINCT customer_id) AS customers FROM orders
            WHERE order_date BETWEEN $start AND $end AND status IN {NET} GROUP BY country"""
    ),
    "customers": """
        SELECT customer_id, name, email, country, signup_date, orders, revenue, first_order, last_order,
               days_since_last, segment
        FROM customer_summary
        WHERE ($country IS NULL OR country = $country) AND ($segment IS NULL OR segment = $segment)
        ORDER BY {sort} {direction} NULLS LAST, customer_id {direction} LIMIT $limit OFFSET $offset
    """,
    "customers_count": """
        SELECT count(*) AS total FROM customer_summary
        WHERE ($country IS NULL OR country = $country) AND ($segment IS NULL OR segment = $segment)
    """,
    "customer": """
        SELECT customer_id, name, email, country, signup_date, orders, revenue, first_order, last_order,
               avg_gap_days, days_since_last, r_score, f_score, m_score, segment, churn_risk, churn_score
        FROM customer_summary WHERE customer_id = $customer_id
    """,
    "customer_orders": """
        WITH recent AS (
            SELECT order_id, order_date, product_id, quantity, unit_price, status, country FROM orders
            WHERE customer_id = $customer_id ORDER BY order_date DESC, order_id DESC LIMIT $limit
        )
        SELECT r.order_id, r.order_date, r.product_id, p.name AS product_name, r.quantity, r.unit_price,
               CAST(r.quantity * r.unit_price AS DECIMAL(18,2)) AS amount, r.status, r.country
        FROM recent r LEFT JOIN products p ON p.product_id = r.product_id
        ORDER BY r.order_date DESC, r.order_id DESC
    """,
    "rfm_segments": """
        SELECT segment, sum(customers) AS customers, sum(revenue) AS revenue,
               sum(recency_days) / sum(customers) AS avg_recency_days, sum(orders) / sum(customers) AS avg_orders,
               sum(revenue) / sum(customers) AS avg_revenue
        FROM segment_counts
        WHERE segment IS NOT NULL AND ($country IS NULL OR country = $country)
        GROUP BY segment
        ORDER BY CASE segment WHEN 'champions' THEN 1 WHEN 'loyal' THEN 2 WHEN 'new' THEN 3
                 WHEN 'promising' THEN 4 WHEN 'cant_lose' THEN 5 WHEN 'at_risk' THEN 6
                 WHEN 'hibernating' THEN 7 ELSE 8 END
    """,
    # A page of cohort months ($offset, $limit in months) with every month offset of each.
    "cohorts": """
        WITH months AS (
            SELECT cohort_month, count(*) OVER () AS total FROM cohorts
            WHERE cohort_month BETWEEN $start AND $end AND month_offset = 0
            ORDER BY cohort_month LIMIT $limit OFFSET $offset
        )
        SELECT c.cohort_month, c.month_offset, c.customers, c.revenue, m.total,
               first_value(c.customers) OVER (PARTITION BY c.cohort_month ORDER BY c.month_offset) AS cohort_size
        FROM cohorts c JOIN months m ON m.cohort_month = c.cohort_month
        WHERE c.month_offset <= $max_offset
        ORDER BY c.cohort_month, c.month_offset
    """,
    "cohorts_count": """
        SELECT count(*) AS total FROM cohorts WHERE cohort_month BETWEEN $start AND $end AND month_offset = 0
    """,
    "churn_risk": """
        SELECT customer_id, name, email, country, orders, revenue, last_order, avg_gap_days, days_since_last,
               churn_score, count(*) OVER () AS total
        FROM customer_summary
        WHERE churn_risk AND orders >= $min_orders AND ($country IS NULL OR country = $country)
        ORDER BY revenue DESC, customer_id LIMIT $limit OFFSET $offset
    """,
    "churn_risk_count": """
        SELECT count(*) AS total FROM customer_summary
        WHERE churn_risk AND orders >= $min_orders AND ($country IS NULL OR country = $country)
    """,
    "orders": """
        WITH page AS (
            SELECT order_id, order_date, customer_id, product_id, quantity, unit_price, status, country
            FROM orders
            WHERE order_date BETWEEN $start AND $end AND ($status IS NULL OR status = $status)
              AND ($country IS NULL OR country = $country)
              AND ($customer_id IS NULL OR customer_id = $customer_id)
              AND ($product_id IS NULL OR product_id = $product_id)
            ORDER BY order_date {direction}, order_id {direction} LIMIT $limit OFFSET $offset
        )
        SELECT o.order_id, o.order_date, o.customer_id, o.product_id, p.name AS product_name, o.quantity,
               o.unit_price, CAST(o.quantity * o.unit_price AS DECIMAL(18,2)) AS amount, o.status, o.country
        FROM page o LEFT JOIN products p ON p.product_id = o.product_id
        ORDER BY o.order_date {direction}, o.order_id {direction}
    """,
    # Per-day counts from the rollup give the total and the date window that holds the requested
    # page, so the page query reads a few days of orders instead of sorting all of them.
    "orders_window": """
        WITH days AS (
            SELECT order_date, sum(orders) AS n FROM daily_totals
            WHERE order_date BETWEEN $start AND $end AND ($status IS NULL OR status = $status)
              AND ($country IS NULL OR country = $country)
            GROUP BY order_date
        ), running AS (
            SELECT order_date, sum(n) OVER (ORDER BY order_date DESC) AS from_end,
                   sum(n) OVER (ORDER BY order_date NULLS FIRST) AS from_start
            FROM days
        )
        SELECT coalesce(max(order_date) FILTER (WHERE from_end >= $need), $start) AS lo,
               coalesce(min(order_date) FILTER (WHERE from_start >= $need), $end) AS hi,
               coalesce(max(from_end), 0) AS total
        FROM running
    """,
    "orders_count": """
        SELECT count(*) AS total FROM orders
        WHERE order_date BETWEEN $start AND $end AND ($status IS NULL OR status = $status)
          AND ($country IS NULL OR country = $country)
          AND ($customer_id IS NULL OR customer_id = $customer_id)
          AND ($product_id IS NULL OR product_id = $product_id)
    """,
    "order": """
        WITH one AS (
            SELECT order_id, order_date, customer_id, product_id, quantity, unit_price, status, country
            FROM orders WHERE order_id = $order_id
        )
        SELECT o.order_id, o.order_date, o.customer_id, c.name AS customer_name, o.product_id,
               p.name AS product_name, p.category, o.quantity, o.unit_price,
               CAST(o.quantity * o.unit_price AS DECIMAL(18,2)) AS amount, o.status, o.country
        FROM one o LEFT JOIN products p ON p.product_id = o.product_id
        LEFT JOIN customers c ON c.customer_id = o.customer_id
    """,
    "ready": "SELECT count(*) AS n FROM dataset_meta",
}


NAMES: dict[str, str] = {}  # rendered SQL -> its query name (the query-time metric's label)


def query_name(sql: str) -> str:
    return NAMES.get(sql, "other")


@functools.cache
def render(name: str, **choices: str) -> str:
    """The SQL of query ``name`` with its ``{placeholders}`` taken from the whitelists.

    ``choices`` maps a placeholder to a whitelist key, or to ``"whitelist:key"`` when
    the placeholder name differs from the whitelist's (``sort="customer_sort:revenue"``).
    An unknown key raises ``KeyError``: the routers validate inputs before this point.
    """
    template = QUERIES[name]
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    values = {}
    for placeholder in fields:
        choice = choices[placeholder]
        whitelist, _, key = choice.rpartition(":")
        values[placeholder] = WHITELISTS[whitelist or placeholder][key]
    sql = template.format(**values) if fields else template
    NAMES[sql] = name
    return sql
