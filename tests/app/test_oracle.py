"""The oracle: every analytics endpoint's answer recomputed with independent SQL over the raw tables.

The dataset is generated here, with the edge data the derived tables must get right: same-day orders
by one customer (ties), NULL order and customer countries, a NULL category, a customer who buys in two
countries, a customer without orders, and a last day holding only cancelled orders (``as_of``). It is
loaded through the real ingest path; the oracle reads only ``customers``, ``products`` and ``orders``.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest

from app.ingest import find_sources, ingest
from tests.app.conftest import make_client

NET = "status IN ('delivered', 'shipped', 'processing')"
FIRST, LAST = dt.date(2024, 1, 1), dt.date(2025, 3, 31)
COUNTRIES = ["US", "DE", "FR", None]


def approx(value):
    return pytest.approx(float(value), abs=0.006)


def _dataset(directory: Path) -> None:
    rng = random.Random(20261203)
    customers = ["customer_id,name,email,country,signup_date"]
    country_of = {}
    for cid in range(1, 41):
        country = None if cid in (5, 6) else COUNTRIES[cid % 3]
        country_of[cid] = country
        customers.append(f"{cid},Customer {cid},c{cid}@example.com,{country or ''},2023-12-01")
    products = ["product_id,name,category,unit_price"]
    for pid in range(1, 11):
        products.append(f"{pid},Product {pid},{'' if pid == 10 else ['home', 'books', 'toys'][pid % 3]},{pid * 3}.50")
    orders = ["order_id,order_date,customer_id,product_id,quantity,unit_price,status,country"]
    oid = 0
    days = (LAST - FIRST).days
    statuses = ["delivered"] * 6 + ["shipped", "processing", "cancelled", "returned"]
    for _ in range(700):
        oid += 1
        cid = rng.randint(1, 39)  # customer 40 never orders
        day = FIRST + dt.timedelta(days=rng.randint(0, days - 1))  # LAST is added below, cancelled only
        country = country_of[cid] if rng.random() > 0.05 else None
        if cid == 7 and rng.random() < 0.5:
            country = "FR"  # customer 7 (US) also buys in France
        price = f"{rng.randint(1, 40)}.{rng.randint(0, 99):02d}"
        status = rng.choice(statuses)
        orders.append(f"{oid},{day},{cid},{rng.randint(1, 10)},{rng.randint(1, 4)},{price},{status},{country or ''}")
        if rng.random() < 0.08:  # the same customer again on the same day: a tie
            oid += 1
            orders.append(f"{oid},{day},{cid},{rng.randint(1, 10)},1,{price},delivered,{country or ''}")
    for cid in (3, 8, 9):
        oid += 1
        orders.append(f"{oid},{LAST},{cid},1,1,5.00,cancelled,US")
    for name, lines in (("customers", customers), ("products", products), ("orders", orders)):
        (directory / f"{name}.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    root = tmp_path_factory.mktemp("oracle")
    (root / "in").mkdir()
    _dataset(root / "in")
    database = root / "shop.duckdb"
    ingest(database, find_sources(root / "in"), "replace")
    con = duckdb.connect(str(database), read_only=True)
    with make_client(database) as client:

        def get(path: str, params=None) -> dict:
            response = client.get(path, params=params)
            assert response.status_code == 200, response.text
            return response.json()

        def sql(query: str, params=None) -> list[tuple]:
            return con.execute(query, params).fetchall()

        yield get, sql
    con.close()


def test_the_edges_are_in_the_data(oracle):
    get, sql = oracle
    assert sql("SELECT max(order_date) FROM orders")[0][0] == LAST
    assert sql(f"SELECT count(*) FROM orders WHERE order_date = '{LAST}' AND {NET}")[0][0] == 0
    assert sql("SELECT count(*) FROM orders WHERE country IS NULL")[0][0] > 0
    assert (
        sql(
            f"SELECT count(*) FROM (SELECT customer_id, order_date FROM orders WHERE {NET} GROUP BY 1, 2 "
            "HAVING count(*) > 1)"
        )[0][0]
        > 0
    )
    assert get("/api/v1/datasets")["as_of"] == str(LAST)
    assert get("/api/v1/datasets")["country_activity_exact"] is False  # customer 7


@pytest.mark.parametrize("country", [None, "US", "FR"])
@pytest.mark.parametrize(("start", "end"), [("2024-02-10", "2024-07-31"), ("2025-03-01", "2025-03-31")])
def test_kpis(oracle, start, end, country):
    get, sql = oracle
    body = get("/api/v1/kpis", {"start": start, "end": end, **({"country": country} if country else {})})
    orders, units, revenue, active = sql(
        f"SELECT count(*), coalesce(sum(quantity), 0), coalesce(sum(quantity * unit_price), 0), "
        f"count(DISTINCT customer_id) FROM orders WHERE {NET} AND order_date BETWEEN $s AND $e "
        "AND ($c IS NULL OR country = $c)",
        {"s": start, "e": end, "c": country},
    )[0]
    assert (body["orders"]["value"], body["units"]["value"], body["active_customers"]["value"]) == (
        orders,
        units,
        active,
    )
    assert body["revenue"]["value"] == approx(revenue)


def test_default_windows_end_on_as_of(oracle):
    get, _ = oracle
    assert get("/api/v1/kpis")["period"] == {"start": str(LAST - dt.timedelta(days=29)), "end": str(LAST)}
    assert get("/api/v1/revenue")["period"]["end"] == str(LAST)


def test_revenue_by_month_and_status(oracle):
    get, sql = oracle
    body = get("/api/v1/revenue", {"start": "2024-01-01", "end": "2025-03-31", "granularity": "month"})
    expected = sql(
        f"SELECT CAST(date_trunc('month', order_date) AS DATE), count(*), sum(quantity), sum(quantity * unit_price) "
        f"FROM orders WHERE {NET} GROUP BY 1 ORDER BY 1"
    )
    assert [(p["period"], p["orders"], p["units"], p["revenue"]) for p in body["points"]] == [
        (str(m), n, u, approx(r)) for m, n, u, r in expected
    ]


@pytest.mark.parametrize("by", ["revenue", "units", "orders"])
def test_top_products_rank_and_total(oracle, by):
    get, sql = oracle
    body = get("/api/v1/products/top", {"start": "2024-03-05", "end": "2024-11-20", "by": by, "page_size": 100})
    expected = sql(
        f"SELECT product_id, count(*) AS orders, sum(quantity) AS units, sum(quantity * unit_price) AS revenue "
        f"FROM orders WHERE {NET} AND order_date BETWEEN '2024-03-05' AND '2024-11-20' GROUP BY 1 "
        f"ORDER BY {by} DESC, product_id"
    )
    assert body["total"] == len(expected)
    assert [(p["product_id"], p["orders"], p["units"], p["revenue"]) for p in body["products"]] == [
        (i, n, u, approx(r)) for i, n, u, r in expected
    ]
    second = get(
        "/api/v1/products/top", {"start": "2024-03-05", "end": "2024-11-20", "by": by, "page": 2, "page_size": 3}
    )
    assert [p["product_id"] for p in second["products"]] == [r[0] for r in expected[3:6]]


def test_categories_and_products(oracle):
    get, sql = oracle
    body = get("/api/v1/categories", {"start": "2024-01-01", "end": "2025-03-31"})
    expected = sql(
        f"SELECT p.category, count(*), sum(o.quantity * o.unit_price) FROM orders o JOIN products p USING "
        f"(product_id) WHERE {NET} GROUP BY 1"
    )
    assert {c["category"]: (c["orders"], c["revenue"]) for c in body["categories"]} == {
        k: (n, approx(r)) for k, n, r in expected
    }
    page = get("/api/v1/products", {"sort": "product_id", "order": "asc", "page_size": 100})
    totals = dict(
        (i, (n, r))
        for i, n, r in sql(
            f"SELECT product_id, count(*), sum(quantity * unit_price) FROM orders WHERE {NET} GROUP BY 1"
        )
    )
    assert [(p["product_id"], p["orders"], p["revenue"]) for p in page["items"]] == [
        (i, totals[i][0], approx(totals[i][1])) for i in range(1, 11)
    ]


@pytest.mark.parametrize(("start", "end"), [("2024-01-01", "2025-03-31"), ("2024-05-01", "2024-05-31")])
def test_countries_one_population_per_row(oracle, start, end):
    get, sql = oracle
    body = get("/api/v1/countries", {"start": start, "end": end})
    expected = sql(
        f"SELECT country, count(DISTINCT customer_id), count(*), sum(quantity * unit_price) FROM orders "
        f"WHERE {NET} AND order_date BETWEEN $s AND $e GROUP BY 1",
        {"s": start, "e": end},
    )
    assert {c["country"]: (c["customers"], c["orders"], c["revenue"]) for c in body["countries"]} == {
        k: (n, o, approx(r)) for k, n, o, r in expected
    }
    assert None in {c["country"] for c in body["countries"]}


SCORED = f"""
    WITH a AS (
        SELECT customer_id, count(*) AS f, sum(quantity * unit_price) AS m, min(order_date) AS first,
               max(order_date) AS last
        FROM orders WHERE {NET} GROUP BY 1
    ), t AS (SELECT max(order_date) AS as_of FROM orders),
    s AS (
        SELECT a.*, datediff('day', last, as_of) AS recency,
               CASE WHEN f > 1 THEN datediff('day', first, last) / (f - 1) END AS gap,
               ntile(5) OVER (ORDER BY datediff('day', last, as_of) DESC, customer_id DESC) AS r,
               ntile(5) OVER (ORDER BY f, customer_id DESC) AS fs,
               ntile(5) OVER (ORDER BY m, customer_id DESC) AS ms
        FROM a, t
    )
    SELECT *, CASE WHEN r >= 4 AND fs >= 4 THEN 'champions' WHEN r >= 3 AND fs >= 3 THEN 'loyal'
                   WHEN r >= 4 THEN 'new' WHEN r = 3 THEN 'promising' WHEN fs >= 4 THEN 'cant_lose'
                   WHEN fs >= 3 THEN 'at_risk' WHEN r = 2 THEN 'hibernating' ELSE 'lost' END AS segment
    FROM s
"""


def test_customers_and_their_scores(oracle):
    get, sql = oracle
    rows = {
        r[0]: r for r in sql(f"SELECT customer_id, f, m, first, last, recency, gap, r, fs, ms, segment FROM ({SCORED})")
    }
    page = get("/api/v1/customers", {"sort": "customer_id", "order": "asc", "page_size": 100})
    assert page["total"] == 40
    for item in page["items"]:
        if item["customer_id"] == 40:
            assert (item["orders"], item["segment"], item["last_order"]) == (0, None, None)
            continue
        _, f, m, first, last, recency, _, _, _, _, segment = rows[item["customer_id"]]
        assert (item["orders"], item["first_order"], item["last_order"]) == (f, str(first), str(last))
        assert (item["days_since_last"], item["segment"]) == (recency, segment)
        assert item["revenue"] == approx(m)
    for cid in (1, 7, 12):
        detail = get(f"/api/v1/customers/{cid}")
        _, f, _, _, _, recency, gap, r, fs, ms, _ = rows[cid]
        assert (detail["r_score"], detail["f_score"], detail["m_score"]) == (r, fs, ms)
        assert detail["avg_gap_days"] == pytest.approx(round(gap, 1))
        assert detail["churn_risk"] == (recency > max(2 * gap, 30))


def test_rfm_segments(oracle):
    get, sql = oracle
    body = get("/api/v1/segments/rfm")
    assert body["as_of"] == str(LAST)
    expected = {s: (n, approx(m)) for s, n, m in sql(f"SELECT segment, count(*), sum(m) FROM ({SCORED}) GROUP BY 1")}
    assert {s["segment"]: (s["customers"], s["revenue"]) for s in body["segments"]} == expected


def test_churn_risk_compares_the_exact_gap(oracle):
    get, sql = oracle
    body = get("/api/v1/churn-risk", {"page_size": 1000})
    expected = sql(
        f"SELECT customer_id FROM ({SCORED}) WHERE f >= 2 AND recency > greatest(2 * gap, 30) "
        "ORDER BY m DESC, customer_id"
    )
    assert body["as_of"] == str(LAST)
    assert [c["customer_id"] for c in body["customers"]] == [r[0] for r in expected]
    assert body["total"] == len(expected) and expected
    paged = get("/api/v1/churn-risk", {"page": 2, "page_size": 2})
    assert [c["customer_id"] for c in paged["customers"]] == [r[0] for r in expected[2:4]]


def test_cohorts_default_to_exactly_twelve_months(oracle):
    get, sql = oracle
    body = get("/api/v1/cohorts", {"months": 3})
    assert body["period"] == {"start": "2024-04-01", "end": "2025-03-01"}
    expected = sql(f"""
        WITH cm AS (SELECT DISTINCT customer_id, CAST(date_trunc('month', order_date) AS DATE) AS m
                    FROM orders WHERE {NET}),
             f AS (SELECT customer_id, min(m) AS c FROM cm GROUP BY 1)
        SELECT f.c, datediff('month', f.c, cm.m) AS k, count(*) FROM cm JOIN f USING (customer_id)
        WHERE f.c BETWEEN '2024-04-01' AND '2025-03-01' AND datediff('month', f.c, cm.m) <= 3
        GROUP BY 1, 2 ORDER BY 1, 2""")
    got = [(c["cohort_month"], m["month_offset"], m["customers"]) for c in body["cohorts"] for m in c["months"]]
    assert got == [(str(c), k, n) for c, k, n in expected]
    assert body["total"] == len({c for c, _, _ in expected})
    for end, first in (("2024-02-29", "2023-03-01"), ("2024-12-31", "2024-01-01")):
        assert get("/api/v1/cohorts", {"end": end})["period"]["start"] == first


def test_orders_pages(oracle):
    get, sql = oracle
    body = get("/api/v1/orders", {"status": "cancelled", "page_size": 1000, "order": "asc"})
    expected = sql("SELECT order_id FROM orders WHERE status = 'cancelled' ORDER BY order_date, order_id")
    assert [o["order_id"] for o in body["items"]] == [r[0] for r in expected] and body["total"] == len(expected)
