"""Date ranges split into months, weeks and days cover every day exactly once (property tests)."""

from __future__ import annotations

import datetime as dt

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.repository import range_parts

DAYS = st.dates(min_value=dt.date(2022, 11, 1), max_value=dt.date(2026, 2, 1))
NET = "status IN ('delivered', 'shipped', 'processing')"


def covered(parts: dict) -> list[dt.date]:
    days = []
    for lo, hi in (
        (parts["weeks_start"], parts["weeks_end"]),
        (parts["d1_lo"], parts["d1_hi"]),
        (parts["d2_lo"], parts["d2_hi"]),
    ):
        assert lo <= hi, parts
        d = lo
        while d < hi:
            days.append(d)
            d += dt.timedelta(days=1)
    return days


@given(a=DAYS, b=DAYS)
def test_parts_cover_the_range_exactly_once(a, b):
    start, end = min(a, b), max(a, b)
    parts = range_parts(start, end)
    days = covered(parts)
    assert sorted(days) == [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    if parts["weeks_start"] != parts["weeks_end"]:
        assert parts["weeks_start"].weekday() == 0 and parts["weeks_end"].weekday() == 0
        assert (parts["d1_hi"] - parts["d1_lo"]).days <= 6 and (parts["d2_hi"] - parts["d2_lo"]).days <= 6


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(a=DAYS, b=DAYS, by=st.sampled_from(["revenue", "units", "orders"]))
def test_top_products_match_a_full_scan_for_any_range(client, small_db, a, b, by):
    start, end = min(a, b), max(a, b)
    body = client.get(
        "/api/v1/products/top", params={"start": str(start), "end": str(end), "by": by, "limit": 8}
    ).json()
    con = duckdb.connect(str(small_db), read_only=True)
    expected = con.execute(
        f"SELECT product_id, count(*) AS orders, sum(quantity) AS units, sum(quantity * unit_price) AS revenue "
        f"FROM orders WHERE {NET} AND order_date BETWEEN $s AND $e GROUP BY 1 ORDER BY {by} DESC, 1 LIMIT 8",
        {"s": start, "e": end},
    ).fetchall()
    con.close()
    assert [(p["product_id"], p["orders"], p["units"]) for p in body["products"]] == [r[:3] for r in expected]
