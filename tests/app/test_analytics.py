"""Every analytics endpoint against independent SQL over the base tables of a seeded dataset.

The app answers from derived tables built at ingest; these tests recompute each
answer with plain full-scan SQL over orders/customers/products and compare, both
through TestClient and through a real uvicorn (2 workers) on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.app.conftest import Server

NET = "status IN ('delivered', 'shipped', 'processing')"


def approx(value):
    return pytest.approx(float(value), abs=0.006)


@pytest.fixture(scope="module")
def uvicorn_server(small_db):
    server = Server(small_db, workers=2)
    yield server
    server.stop()


@pytest.fixture(params=["testclient", "uvicorn"])
def get(request, client):
    if request.param == "testclient":

        def fetch(path, params=None):
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            return response.json()

        return fetch
    server = request.getfixturevalue("uvicorn_server")
    http = httpx.Client(base_url=server.url, timeout=10)
    request.addfinalizer(http.close)

    def fetch(path, params=None):
        response = http.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    return fetch


@pytest.mark.parametrize(
    ("start", "end", "country"),
    [
        ("2024-03-10", "2024-05-20", None),
        ("2023-01-01", "2025-12-31", None),
        ("2025-06-01", "2025-06-30", "US"),
        ("2024-02-29", "2024-02-29", None),
    ],
)
def test_kpis(get, sql, start, end, country):
    body = get("/api/v1/kpis", {"start": start, "end": end, **({"country": country} if country else {})})
    s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    days = (e - s).days + 1
    ps, pe = s - dt.timedelta(days=days), s - dt.timedelta(days=1)
    assert body["previous_period"] == {"start": ps.isoformat(), "end": pe.isoformat()}
    for lo, hi, key in ((s, e, "value"), (ps, pe, "previous")):
        orders, units, revenue, active = sql(
            f"SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(quantity * unit_price), 0), "
            f"count(DISTINCT customer_id) FROM orders WHERE {NET} AND order_date BETWEEN $lo AND $hi "
            f"AND ($c IS NULL OR country = $c)",
            {"lo": lo, "hi": hi, "c": country},
        )[0]
        assert body["orders"][key] == orders
        assert body["units"][key] == units
        assert body["revenue"][key] == approx(revenue)
        assert body["active_customers"][key] == active
        assert body["average_order_value"][key] == approx(round(float(revenue) / orders, 2) if orders else 0)


@pytest.mark.parametrize(("granularity", "trunc"), [("day", "day"), ("week", "week"), ("month", "month")])
def test_revenue_series(get, sql, granularity, trunc):
    params = {
        "start": "2024-11-05",
        "end": "2025-02-10",
        "granularity": granularity,
        "country": "US",
        "category": "home",
    }
    body = get("/api/v1/revenue", params)
    expected = sql(
        f"SELECT CAST(date_trunc('{trunc}', o.order_date) AS DATE), count(*), sum(quantity), "
        f"sum(quantity * o.unit_price) FROM orders o JOIN products p USING (product_id) "
        f"WHERE {NET} AND order_date BETWEEN '2024-11-05' AND '2025-02-10' AND o.country = 'US' "
        f"AND p.category = 'home' GROUP BY 1 ORDER BY 1"
    )
    got = [(p["period"], p["orders"], p["units"], p["revenue"]) for p in body["points"]]
    assert [(g[0], g[1], g[2]) for g in got] == [(d.isoformat(), n, u) for d, n, u, _ in expected]
    assert [g[3] for g in got] == [approx(r) for *_, r in expected]


def test_revenue_with_statuses(get, sql):
    body = get(
        "/api/v1/revenue",
        [
            ("start", "2024-01-01"),
            ("end", "2024-12-31"),
            ("granularity", "month"),
            ("status", "cancelled"),
            ("status", "returned"),
        ],
    )
    expected = sql(
        "SELECT count(*), sum(quantity * unit_price) FROM orders WHERE status IN "
        "('cancelled', 'returned') AND order_date BETWEEN '2024-01-01' AND '2024-12-31'"
    )[0]
    assert sum(p["orders"] for p in body["points"]) == expected[0]
    assert sum(p["revenue"] for p in body["points"]) == approx(expected[1])
    assert body["statuses"] == ["cancelled", "returned"]


@pytest.mark.parametrize(
    ("start", "end", "by", "category"),
    [
        ("2024-01-17", "2024-07-09", "revenue", None),
        ("2024-03-01", "2024-03-31", "units", None),
        ("2023-05-05", "2023-05-06", "orders", None),
        ("2023-01-01", "2025-12-31", "revenue", "books"),
    ],
)
def test_top_products(get, sql, start, end, by, category):
    params = {"start": start, "end": end, "by": by, "limit": 5, **({"category": category} if category else {})}
    body = get("/api/v1/products/top", params)
    expected = sql(
        f"SELECT o.product_id, count(*) AS orders, sum(quantity) AS units, sum(quantity * o.unit_price) AS revenue "
        f"FROM orders o JOIN products p USING (product_id) WHERE {NET} AND order_date BETWEEN $s AND $e "
        f"AND ($c IS NULL OR p.category = $c) GROUP BY 1 ORDER BY {by} DESC, 1 LIMIT 5",
        {"s": start, "e": end, "c": category},
    )
    got = body["products"]
    assert [(p["product_id"], p["orders"], p["units"]) for p in got] == [(r[0], r[1], r[2]) for r in expected]
    assert [p["revenue"] for p in got] == [approx(r[3]) for r in expected]


def test_products_page_and_detail(get, sql):
    body = get("/api/v1/products", {"sort": "revenue", "order": "desc", "page": 2, "page_size": 3})
    expected = sql(
        f"SELECT p.product_id, coalesce(sum(o.quantity * o.unit_price), 0) AS revenue FROM products p "
        f"LEFT JOIN orders o ON o.product_id = p.product_id AND o.{NET} GROUP BY 1 "
        f"ORDER BY 2 DESC, 1 DESC LIMIT 3 OFFSET 3"
    )
    assert [p["product_id"] for p in body["items"]] == [r[0] for r in expected]
    assert body["total"] == sql("SELECT count(*) FROM products")[0][0]
    detail = get("/api/v1/products/3")
    months = sql(
        f"SELECT CAST(date_trunc('month', order_date) AS DATE), count(*), sum(quantity), "
        f"sum(quantity * unit_price) FROM orders WHERE product_id = 3 AND {NET} GROUP BY 1 ORDER BY 1"
    )
    assert [(m["month"], m["orders"], m["units"]) for m in detail["months"]] == [
        (d.isoformat(), n, u) for d, n, u, _ in months
    ]
    assert detail["revenue"] == approx(sum(float(r[3]) for r in months))


def test_categories_and_countries(get, sql):
    params = {"start": "2024-06-01", "end": "2024-09-15"}
    body = get("/api/v1/categories", params)
    expected = sql(
        f"SELECT p.category, count(*), sum(quantity * o.unit_price) FROM orders o JOIN products p "
        f"USING (product_id) WHERE {NET} AND order_date BETWEEN '2024-06-01' AND '2024-09-15' "
        f"GROUP BY 1"
    )
    got = {c["category"]: (c["orders"], c["revenue"]) for c in body["categories"] if c["orders"]}
    assert got == {c: (n, approx(r)) for c, n, r in expected}
    body = get("/api/v1/countries", params)
    expected = sql(
        f"SELECT country, count(DISTINCT customer_id), count(*), sum(quantity * unit_price) FROM orders "
        f"WHERE {NET} AND order_date BETWEEN '2024-06-01' AND '2024-09-15' GROUP BY 1"
    )
    # One population per row: the period's net orders in that (order) country and who placed them.
    assert {c["country"]: (c["customers"], c["orders"], c["revenue"]) for c in body["countries"]} == {
        k: (n, o, approx(r)) for k, n, o, r in expected
    }


def test_customers_page(get, sql):
    body = get("/api/v1/customers", {"country": "GB", "sort": "orders", "order": "desc", "page_size": 7})
    expected = sql(
        f"SELECT c.customer_id, count(o.order_id) FROM customers c LEFT JOIN orders o ON "
        f"o.customer_id = c.customer_id AND o.{NET} WHERE c.country = 'GB' GROUP BY 1 "
        f"ORDER BY 2 DESC, 1 DESC LIMIT 7"
    )
    assert [(c["customer_id"], c["orders"]) for c in body["items"]] == expected
    assert body["total"] == sql("SELECT count(*) FROM customers WHERE country = 'GB'")[0][0]


def test_customer_detail(get, sql):
    cid = sql(f"SELECT customer_id FROM orders WHERE {NET} GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1 OFFSET 5")[0][0]
    body = get(f"/api/v1/customers/{cid}", {"orders": 5})
    n, revenue, first, last = sql(
        f"SELECT count(*), sum(quantity * unit_price), min(order_date), max(order_date) "
        f"FROM orders WHERE customer_id = $c AND {NET}",
        {"c": cid},
    )[0]
    as_of = sql("SELECT max(order_date) FROM orders")[0][0]  # as_of: the last order date, any status
    assert (body["orders"], body["first_order"], body["last_order"]) == (n, first.isoformat(), last.isoformat())
    assert body["revenue"] == approx(revenue)
    assert body["days_since_last"] == (as_of - last).days
    recent = sql(
        "SELECT order_id FROM orders WHERE customer_id = $c ORDER BY order_date DESC, order_id DESC LIMIT 5", {"c": cid}
    )
    assert [o["order_id"] for o in body["recent_orders"]] == [r[0] for r in recent]


RFM_SQL = f"""
    WITH a AS (
        SELECT customer_id, count(*) AS f, sum(quantity * unit_price) AS m, max(order_date) AS last
        FROM orders WHERE {NET} GROUP BY 1
    ), s AS (
        SELECT customer_id, datediff('day', last, (SELECT max(last) FROM a)) AS recency, f, m,
               ntile(5) OVER (ORDER BY datediff('day', last, (SELECT max(last) FROM a)) DESC, customer_id DESC) AS r,
               ntile(5) OVER (ORDER BY f, customer_id DESC) AS fs
        FROM a
    )
    SELECT CASE WHEN r >= 4 AND fs >= 4 THEN 'champions' WHEN r >= 3 AND fs >= 3 THEN 'loyal'
                WHEN r >= 4 THEN 'new' WHEN r = 3 THEN 'promising' WHEN fs >= 4 THEN 'cant_lose'
                WHEN fs >= 3 THEN 'at_risk' WHEN r = 2 THEN 'hibernating' ELSE 'lost' END AS segment,
           count(*), sum(m)
    FROM s GROUP BY 1
"""


def test_rfm_segments(get, sql):
    body = get("/api/v1/segments/rfm")
    expected = {seg: (n, approx(m)) for seg, n, m in sql(RFM_SQL)}
    assert {s["segment"]: (s["customers"], s["revenue"]) for s in body["segments"]} == expected
    assert sum(s["share"] for s in body["segments"]) == pytest.approx(1, abs=1e-5)


def test_cohorts(get, sql):
    body = get("/api/v1/cohorts", {"start": "2024-01-01", "end": "2024-06-01", "months": 6})
    expected = sql(f"""
        WITH cm AS (SELECT DISTINCT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS m
                    FROM orders WHERE {NET}),
             f AS (SELECT customer_id, min(m) AS c FROM cm GROUP BY 1)
        SELECT f.c, datediff('month', f.c, cm.m) AS k, count(*) FROM cm JOIN f USING (customer_id)
        WHERE f.c BETWEEN '2024-01-01' AND '2024-06-01' AND datediff('month', f.c, cm.m) <= 6
        GROUP BY 1, 2 ORDER BY 1, 2""")
    got = [(c["cohort_month"], m["month_offset"], m["customers"]) for c in body["cohorts"] for m in c["months"]]
    assert got == [(c.isoformat(), k, n) for c, k, n in expected]
    for cohort in body["cohorts"]:
        assert cohort["months"][0]["retention"] == 1.0 and cohort["customers"] == cohort["months"][0]["customers"]


def test_churn_risk(get, sql):
    body = get("/api/v1/churn-risk", {"limit": 10})
    expected = sql(f"""
        WITH a AS (SELECT customer_id, count(*) AS n, sum(quantity * unit_price) AS m, min(order_date) AS first,
                          max(order_date) AS last FROM orders WHERE {NET} GROUP BY 1),
             t AS (SELECT max(order_date) AS as_of FROM orders)
        SELECT customer_id FROM a, t
        WHERE n >= 2
          AND datediff('day', last, as_of) > greatest(2 * datediff('day', first, last) / (n - 1), 30)
        ORDER BY m DESC, customer_id LIMIT 10""")
    assert [c["customer_id"] for c in body["customers"]] == [r[0] for r in expected]
    assert expected, "the seeded data should contain customers at risk"


def test_orders_page_and_detail(get, sql):
    params = {
        "start": "2024-04-01",
        "end": "2024-08-31",
        "status": "delivered",
        "country": "DE",
        "page": 2,
        "page_size": 4,
        "order": "asc",
    }
    body = get("/api/v1/orders", params)
    where = "order_date BETWEEN '2024-04-01' AND '2024-08-31' AND status = 'delivered' AND country = 'DE'"
    expected = sql(f"SELECT order_id FROM orders WHERE {where} ORDER BY order_date, order_id LIMIT 4 OFFSET 4")
    assert [o["order_id"] for o in body["items"]] == [r[0] for r in expected]
    assert body["total"] == sql(f"SELECT count(*) FROM orders WHERE {where}")[0][0]
    detail = get(f"/api/v1/orders/{expected[0][0]}")
    row = sql(
        "SELECT o.customer_id, c.name, o.quantity * o.unit_price FROM orders o JOIN customers c "
        "USING (customer_id) WHERE order_id = $i",
        {"i": expected[0][0]},
    )[0]
    assert (detail["customer_id"], detail["customer_name"]) == row[:2]
    assert detail["amount"] == approx(row[2])
