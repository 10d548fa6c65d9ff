"""Hand-checked numbers on a ten-order dataset (tests/app/data/tiny), loaded through CSV ingest.

Net orders are delivered, shipped and processing; order 4 is cancelled, 6 returned.
"""

from __future__ import annotations

import pytest

from app.ingest import find_sources, ingest
from tests.app.conftest import DATA, make_client


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "shop.duckdb"
    ingest(path, find_sources(DATA / "tiny"), "replace")
    with make_client(path) as c:
        yield c


def test_kpis_for_february_against_the_29_days_before(tiny):
    body = tiny.get("/api/v1/kpis", params={"start": "2024-02-01", "end": "2024-02-29"}).json()
    assert body["previous_period"] == {"start": "2024-01-03", "end": "2024-01-31"}
    # February: orders 5 (35.50) and 7 (5 x 18.00); January 3-31: orders 1, 2, 3.
    assert body["revenue"] == {"value": 125.5, "previous": 111.5, "change": 0.125561}
    assert body["orders"]["value"] == 2 and body["orders"]["previous"] == 3
    assert body["units"]["value"] == 6 and body["units"]["previous"] == 6
    assert body["average_order_value"]["value"] == 62.75
    assert body["average_order_value"]["previous"] == 37.17
    assert body["active_customers"]["value"] == 2 and body["active_customers"]["previous"] == 2


def test_kpis_with_a_country(tiny):
    body = tiny.get("/api/v1/kpis", params={"start": "2024-03-01", "end": "2024-03-03", "country": "US"}).json()
    assert body["revenue"]["value"] == 24.0 and body["orders"]["value"] == 2
    assert body["active_customers"] == {"value": 2.0, "previous": 1.0, "change": 1.0}


def test_default_period_is_the_last_30_days_of_data(tiny):
    body = tiny.get("/api/v1/kpis").json()
    assert body["period"] == {"start": "2024-02-03", "end": "2024-03-03"}


def test_revenue_per_month_and_by_status(tiny):
    body = tiny.get(
        "/api/v1/revenue", params={"start": "2024-01-01", "end": "2024-03-31", "granularity": "month"}
    ).json()
    assert [(p["period"], p["orders"], p["units"], p["revenue"]) for p in body["points"]] == [
        ("2024-01-01", 3, 6, 111.5),
        ("2024-02-01", 2, 6, 125.5),
        ("2024-03-01", 3, 4, 95.0),
    ]
    lost = tiny.get(
        "/api/v1/revenue",
        params=[("start", "2024-01-01"), ("granularity", "month"), ("status", "cancelled"), ("status", "returned")],
    ).json()
    assert [(p["period"], p["orders"], p["revenue"]) for p in lost["points"]] == [("2024-02-01", 2, 44.0)]


def test_top_products_across_partial_and_whole_months(tiny):
    params = {"start": "2024-01-15", "end": "2024-03-02"}
    by_revenue = tiny.get("/api/v1/products/top", params=params).json()["products"]
    assert [(p["product_id"], p["orders"], p["units"], p["revenue"]) for p in by_revenue] == [
        (11, 3, 4, 142.0),
        (10, 1, 5, 90.0),
        (12, 2, 4, 48.0),
    ]
    by_units = tiny.get("/api/v1/products/top", params={**params, "by": "units"}).json()["products"]
    assert [p["product_id"] for p in by_units] == [10, 11, 12]  # 11 and 12 tie on 4 units: lower id first


def test_cohort_retention(tiny):
    body = tiny.get("/api/v1/cohorts", params={"start": "2024-01-01", "end": "2024-03-01"}).json()
    cells = {
        (c["cohort_month"], m["month_offset"]): (m["customers"], m["retention"], m["revenue"])
        for c in body["cohorts"]
        for m in c["months"]
    }
    assert [(c["cohort_month"], c["customers"]) for c in body["cohorts"]] == [
        ("2024-01-01", 2),
        ("2024-02-01", 1),
        ("2024-03-01", 1),
    ]
    assert cells == {
        ("2024-01-01", 0): (2, 1.0, 111.5),
        ("2024-01-01", 1): (1, 0.5, 35.5),
        ("2024-01-01", 2): (1, 0.5, 12.0),
        ("2024-02-01", 0): (1, 1.0, 90.0),
        ("2024-02-01", 1): (1, 1.0, 12.0),
        ("2024-03-01", 0): (1, 1.0, 71.0),
    }


def test_rfm_scores_and_segments(tiny):
    seg = {c: tiny.get(f"/api/v1/customers/{c}").json() for c in (1, 2, 3, 4)}
    assert {c: (s["r_score"], s["f_score"], s["m_score"], s["segment"]) for c, s in seg.items()} == {
        1: (1, 4, 4, "cant_lose"),
        2: (2, 3, 1, "at_risk"),
        3: (3, 1, 2, "promising"),
        4: (4, 2, 3, "new"),
    }
    body = tiny.get("/api/v1/segments/rfm").json()
    assert [(s["segment"], s["customers"]) for s in body["segments"]] == [
        ("new", 1),
        ("promising", 1),
        ("cant_lose", 1),
        ("at_risk", 1),
    ]
    assert body["as_of"] == "2024-03-03"


def test_customer_detail(tiny):
    body = tiny.get("/api/v1/customers/1").json()
    assert (body["orders"], body["revenue"], body["first_order"], body["last_order"]) == (
        3,
        111.5,
        "2024-01-05",
        "2024-02-10",
    )
    assert body["days_since_last"] == 22 and body["avg_gap_days"] == 18.0 and body["churn_risk"] is False
    assert [o["order_id"] for o in body["recent_orders"]] == [5, 3, 1]
    assert body["recent_orders"][1]["amount"] == 36.0


def test_churn_risk_is_empty_when_nobody_is_overdue(tiny):
    assert tiny.get("/api/v1/churn-risk").json()["customers"] == []


def test_datasets_and_ingest_log(tiny):
    body = tiny.get("/api/v1/datasets").json()
    rows = {t["table"]: t["rows"] for t in body["tables"]}
    assert (rows["customers"], rows["products"], rows["orders"]) == (4, 3, 10)
    assert body["first_date"] == "2024-01-05" and body["as_of"] == "2024-03-03"
    log = tiny.get("/api/v1/ingests").json()
    assert log["total"] == 3 and {e["table"] for e in log["items"]} == {"customers", "products", "orders"}


def test_active_customers_per_country_when_a_customer_buys_from_two_countries(tmp_path):
    """Customer 1 (GB) also orders from the US: the per-country rollup is not exact, the scan answers."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("customers", "products"):
        (source / f"{name}.csv").write_text((DATA / "tiny" / f"{name}.csv").read_text())
    (source / "orders.csv").write_text(
        (DATA / "tiny" / "orders.csv").read_text() + "11,2024-03-02,1,12,1,12.00,delivered,US\n"
    )
    db = tmp_path / "shop.duckdb"
    ingest(db, find_sources(source), "replace")
    with make_client(db) as c:
        assert c.get("/api/v1/datasets").json()["country_activity_exact"] is False
        body = c.get("/api/v1/kpis", params={"start": "2024-03-01", "end": "2024-03-03", "country": "US"}).json()
        assert body["active_customers"]["value"] == 3  # customers 1, 2 and 4 ordered from the US
        everywhere = c.get("/api/v1/kpis", params={"start": "2024-03-01", "end": "2024-03-03"}).json()
        assert everywhere["active_customers"]["value"] == 4
    with make_client(DATA.parent / "missing.duckdb") as c:
        assert c.get("/api/v1/kpis").status_code == 503
