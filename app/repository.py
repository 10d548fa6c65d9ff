"""The analytics questions the API answers, as functions over an ``Engine``.

Routers validate inputs and call one function here; this module turns them into
query parameters, picks the SQL from ``app.queries`` and shapes the rows. It
never builds SQL from request values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app import metrics
from app.engines.base import Engine
from app.errors import AppError
from app.queries import render
from app.schema import NET_STATUSES

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)


def _num(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _change(value: float, previous: float) -> float | None:
    return round((value - previous) / previous, 6) if previous else None


def meta(session) -> dict:
    def load() -> dict:
        rows = session.fetch(render("meta"))
        found = rows[0] if rows else {"version": None, "built_at": None, "first_date": None, "as_of": None}
        metrics.serving(found["version"], found["built_at"], found["as_of"])
        return found

    return session.memo("meta", load)


def _check_date(name: str, value: dt.date | None) -> None:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise AppError(422, "invalid_date", f"{name} must be between {MIN_DATE} and {MAX_DATE}")


def resolve_range(m: dict, start: dt.date | None, end: dt.date | None, default_days: int) -> tuple[dt.date, dt.date]:
    """Fill a missing end with the last order date and a missing start with ``default_days`` before it."""
    _check_date("start", start)
    _check_date("end", end)
    end = end or m.get("as_of") or dt.date.today()
    start = start or max(MIN_DATE, end - dt.timedelta(days=default_days - 1))
    if start > end:
        raise AppError(422, "invalid_range", f"start ({start}) is after end ({end})")
    return start, end


def kpis(engine: Engine, start, end, country: str | None) -> dict:
    with engine.session() as s:
        m = meta(s)
        start, end = resolve_range(m, start, end, 30)
        length = (end - start).days + 1
        prev_end = start - dt.timedelta(days=1)
        prev_start = start - dt.timedelta(days=length)
        params = {"start": start, "end": end, "prev_start": prev_start, "prev_end": prev_end, "country": country}
        totals = s.fetch(render("kpi_totals"), params)[0]
        # Per-country activity is exact only when no customer buys from two countries (see derived.py).
        if country is None:
            query = "active_customers"
        else:
            exact = m.get("country_activity_exact")
            query = "active_customers_by_country" if exact else "active_customers_country"
        active = s.fetch(render(query), {k: v for k, v in params.items() if k != "country" or country})[0]

    def metric(value, previous) -> dict:
        value, previous = _num(value), _num(previous)
        return {"value": value, "previous": previous, "change": _change(value, previous)}

    orders, prev_orders = _num(totals["orders"]), _num(totals["prev_orders"])
    revenue, prev_revenue = _num(totals["revenue"]), _num(totals["prev_revenue"])
    aov = round(revenue / orders, 2) if orders else 0.0
    prev_aov = round(prev_revenue / prev_orders, 2) if prev_orders else 0.0
    return {
        "period": {"start": start, "end": end},
        "previous_period": {"start": prev_start, "end": prev_end},
        "country": country,
        "revenue": metric(revenue, prev_revenue),
        "orders": metric(orders, prev_orders),
        "units": metric(totals["units"], totals["prev_units"]),
        "average_order_value": metric(aov, prev_aov),
        "active_customers": metric(active["active"], active["prev_active"]),
    }


def revenue(engine: Engine, start, end, granularity: str, statuses: list[str] | None, country, category) -> dict:
    statuses = sorted(set(statuses)) if statuses else list(NET_STATUSES)
    with engine.session() as s:
        start, end = resolve_range(meta(s), start, end, 365)
        rows = s.fetch(
            render("revenue_series", bucket=granularity),
            {"start": start, "end": end, "statuses": statuses, "country": country, "category": category},
        )
    return {
        "granularity": granularity,
        "period": {"start": start, "end": end},
        "statuses": statuses,
        "country": country,
        "category": category,
        "points": rows,
    }


def full_weeks(start: dt.date, stop: dt.date) -> tuple[dt.date, dt.date]:
    """[week_start, week_end): the whole ISO weeks (Monday to Sunday) inside [start, stop)."""
    first = start + dt.timedelta(days=(7 - start.weekday()) % 7)
    last = stop - dt.timedelta(days=stop.weekday())
    return (first, last) if first < last else (start, start)


def range_parts(start: dt.date, end: dt.date) -> dict[str, dt.date]:
    """Split [start, end] into half-open pieces: whole ISO weeks [weeks_start, weeks_end) and the
    single days before (d1) and after (d2) them; empty pieces have lo == hi."""
    after = end + dt.timedelta(days=1)
    weeks_start, weeks_end = full_weeks(start, after)
    if weeks_start == weeks_end:
        return {
            "weeks_start": after,
            "weeks_end": after,
            "d1_lo": start,
            "d1_hi": after,
            "d2_lo": after,
            "d2_hi": after,
        }
    return {
        "weeks_start": weeks_start,
        "weeks_end": weeks_end,
        "d1_lo": start,
        "d1_hi": weeks_start,
        "d2_lo": weeks_end,
        "d2_hi": after,
    }


def _page_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int | None]:
    """Rows carrying ``count(*) OVER () AS total`` -> (rows without it, the total; None for no rows)."""
    total = int(rows[0]["total"]) if rows else None
    return [{k: v for k, v in r.items() if k != "total"} for r in rows], total


def top_products(engine: Engine, start, end, by: str, category: str | None, page: int = 1, page_size: int = 10) -> dict:
    with engine.session() as s:
        m = meta(s)
        start, end = resolve_range(m, start, end, 30)
        parts = range_parts(start, end)
        # The cumulative grid spans the weeks with sales: boundaries outside it hold the same totals.
        lo, hi = m.get("cumulative_first"), m.get("cumulative_last")
        cum_start, cum_end = parts.pop("weeks_start"), parts.pop("weeks_end")
        if lo is None or hi is None or cum_start == cum_end:
            cum_start = cum_end
        else:
            cum_start, cum_end = min(max(cum_start, lo), hi), min(max(cum_end, lo), hi)
        params = {**parts, "cum_start": cum_start, "cum_end": cum_end, "category": category}
        query = render("top_products", rank=by)
        rows, total = _page_rows(s.fetch(query, {**params, "limit": page_size, "offset": (page - 1) * page_size}))
        if total is None and page > 1:  # past the last page: the total still counts
            total = _page_rows(s.fetch(query, {**params, "limit": 1, "offset": 0}))[1]
    return {
        "period": {"start": start, "end": end},
        "by": by,
        "category": category,
        "page": page,
        "page_size": page_size,
        "total": total or 0,
        "products": rows,
    }


def products(engine: Engine, category, sort: str, direction: str, page: int, page_size: int) -> dict:
    with engine.session() as s:
        rows = s.fetch(
            render("products", sort=f"product_sort:{sort}", direction=direction),
            {"category": category, "limit": page_size, "offset": (page - 1) * page_size},
        )
        total = s.fetch(render("products_count"), {"category": category})[0]["total"]
    return {"page": page, "page_size": page_size, "total": total, "items": rows}


def product(engine: Engine, product_id: int) -> dict:
    with engine.session() as s:
        rows = s.fetch(render("product"), {"product_id": product_id})
        if not rows:
            raise AppError(404, "not_found", f"product {product_id} does not exist")
        months = s.fetch(render("product_months"), {"product_id": product_id})
    return {**rows[0], "months": months}


def categories(engine: Engine, start, end) -> dict:
    with engine.session() as s:
        start, end = resolve_range(meta(s), start, end, 30)
        rows = s.fetch(render("categories"), {"start": start, "end": end})
    return {"period": {"start": start, "end": end}, "categories": rows}


def countries(engine: Engine, start, end) -> dict:
    with engine.session() as s:
        m = meta(s)
        start, end = resolve_range(m, start, end, 30)
        query = "countries" if m.get("country_activity_exact") else "countries_distinct"
        rows = s.fetch(render(query), {"start": start, "end": end})
    return {"period": {"start": start, "end": end}, "countries": rows}


def customers(engine: Engine, country, segment, sort: str, direction: str, page: int, page_size: int) -> dict:
    params = {"country": country, "segment": segment}
    with engine.session() as s:
        rows = s.fetch(
            render("customers", sort=f"customer_sort:{sort}", direction=direction),
            {**params, "limit": page_size, "offset": (page - 1) * page_size},
        )
        total = s.fetch(render("customers_count"), params)[0]["total"]
    return {"page": page, "page_size": page_size, "total": total, "items": rows}


def customer(engine: Engine, customer_id: int, limit: int) -> dict:
    with engine.session() as s:
        rows = s.fetch(render("customer"), {"customer_id": customer_id})
        if not rows:
            raise AppError(404, "not_found", f"customer {customer_id} does not exist")
        recent = s.fetch(render("customer_orders"), {"customer_id": customer_id, "limit": limit})
    return {**rows[0], "recent_orders": recent}


def rfm(engine: Engine, country: str | None) -> dict:
    with engine.session() as s:
        m = meta(s)
        rows = s.fetch(render("rfm_segments"), {"country": country})
    total_customers = sum(r["customers"] for r in rows)
    total_revenue = sum(_num(r["revenue"]) for r in rows)
    segments = [
        {
            **r,
            "share": round(r["customers"] / total_customers, 6) if total_customers else 0.0,
            "revenue_share": round(_num(r["revenue"]) / total_revenue, 6) if total_revenue else 0.0,
            "avg_recency_days": round(_num(r["avg_recency_days"]), 2),
            "avg_orders": round(_num(r["avg_orders"]), 4),
            "avg_revenue": round(_num(r["avg_revenue"]), 2),
        }
        for r in rows
    ]
    return {"as_of": m["as_of"], "country": country, "segments": segments}


def _month(value: dt.date) -> dt.date:
    return value.replace(day=1)


def months_before(month: dt.date, count: int) -> dt.date:
    """The first day of the month ``count`` months before ``month``'s."""
    index = month.year * 12 + month.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def cohorts(engine: Engine, start, end, max_offset: int, page: int = 1, page_size: int = 12) -> dict:
    with engine.session() as s:
        m = meta(s)
        _check_date("start", start)
        _check_date("end", end)
        last = _month(end or m.get("as_of") or dt.date.today())
        # Default: exactly 12 cohort months, the last one being the month of ``end`` (or of as_of).
        first = _month(start) if start else max(_month(MIN_DATE), months_before(last, 11))
        if first > last:
            raise AppError(422, "invalid_range", f"start ({first}) is after end ({last})")
        window = {"start": first, "end": last}
        rows, total = _page_rows(
            s.fetch(
                render("cohorts"),
                {**window, "max_offset": max_offset, "limit": page_size, "offset": (page - 1) * page_size},
            )
        )
        if total is None:
            total = s.fetch(render("cohorts_count"), window)[0]["total"]
    out: list[dict] = []
    for r in rows:
        if not out or out[-1]["cohort_month"] != r["cohort_month"]:
            out.append({"cohort_month": r["cohort_month"], "customers": r["cohort_size"], "months": []})
        size = r["cohort_size"] or 0
        out[-1]["months"].append(
            {
                "month_offset": r["month_offset"],
                "customers": r["customers"],
                "retention": round(r["customers"] / size, 6) if size else 0.0,
                "revenue": r["revenue"],
            }
        )
    return {
        "period": {"start": first, "end": last},
        "page": page,
        "page_size": page_size,
        "total": total,
        "cohorts": out,
    }


def churn_risk(engine: Engine, country, min_orders: int, page: int = 1, page_size: int = 100) -> dict:
    params = {"country": country, "min_orders": min_orders}
    with engine.session() as s:
        m = meta(s)
        rows, total = _page_rows(
            s.fetch(render("churn_risk"), {**params, "limit": page_size, "offset": (page - 1) * page_size})
        )
        if total is None:
            total = s.fetch(render("churn_risk_count"), params)[0]["total"]
    return {"as_of": m["as_of"], "page": page, "page_size": page_size, "total": total, "customers": rows}


def orders(
    engine: Engine, start, end, status, country, customer_id, product_id, direction: str, page: int, page_size: int
) -> dict:
    with engine.session() as s:
        m = meta(s)
        _check_date("start", start)
        _check_date("end", end)
        start = start or m.get("first_date") or MIN_DATE
        end = end or m.get("as_of") or MAX_DATE
        if start > end:
            raise AppError(422, "invalid_range", f"start ({start}) is after end ({end})")
        params = {
            "start": start,
            "end": end,
            "status": status,
            "country": country,
            "customer_id": customer_id,
            "product_id": product_id,
        }
        offset = (page - 1) * page_size
        if customer_id is None and product_id is None:  # filters the daily rollup has: no full scan
            window = s.fetch(
                render("orders_window"),
                {"start": start, "end": end, "status": status, "country": country, "need": offset + page_size},
            )[0]
            total = window["total"]
            narrowed = {**params, "start": window["lo"]} if direction == "desc" else {**params, "end": window["hi"]}
        else:
            total = s.fetch(render("orders_count"), params)[0]["total"]
            narrowed = params
        rows = s.fetch(render("orders", direction=direction), {**narrowed, "limit": page_size, "offset": offset})
    return {"page": page, "page_size": page_size, "total": total, "items": rows}


def order(engine: Engine, order_id: int) -> dict:
    with engine.session() as s:
        rows = s.fetch(render("order"), {"order_id": order_id})
    if not rows:
        raise AppError(404, "not_found", f"order {order_id} does not exist")
    return rows[0]


def datasets(engine: Engine) -> dict:
    with engine.session() as s:
        m = meta(s)
        counts = s.fetch(render("table_rows"))
        last = {r["table_name"]: r for r in s.fetch(render("last_ingests"))}
    tables = []
    for r in counts:
        entry = last.get(r["table_name"], {})
        tables.append(
            {
                "table": r["table_name"],
                "kind": r["kind"],
                "rows": r["row_count"],
                "last_ingest": entry.get("finished_at"),
                "last_mode": entry.get("mode"),
                "last_source": entry.get("source"),
            }
        )
    shown = ("version", "built_at", "first_date", "as_of", "country_activity_exact")
    return {"engine": engine.name, **{k: m.get(k) for k in shown}, "tables": tables}


def ingests(engine: Engine, page: int, page_size: int) -> dict:
    with engine.session() as s:
        rows = s.fetch(render("ingests"), {"limit": page_size, "offset": (page - 1) * page_size})
        total = s.fetch(render("ingests_count"))[0]["total"]
    items = [{**{k: v for k, v in r.items() if k != "table_name"}, "table": r["table_name"]} for r in rows]
    return {"page": page, "page_size": page_size, "total": total, "items": items}
