"""The dashboard in a real browser (Debian's Chromium through Playwright) against the real
API on 127.0.0.1 with a seeded dataset: every page loads cleanly, shows exactly the API's
numbers, follows the filters, pages, reports the API's errors and passes axe-core."""

from __future__ import annotations

import json
import os
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import API_KEY, ROOT, WEB, Dashboard, Tab

PAGES = ("overview", "products", "customers", "cohorts", "data")
AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "dashboard"


def money(value: float, places: int = 0) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"${Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP):,}"


def number(value: float) -> str:
    text = f"{Decimal(str(value)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"
    return text[:-2] if text.endswith(".0") else text


def open_page(tab: Tab, dashboard: Dashboard, page: str, query: str = "") -> None:
    suffix = f"?page={page}{query}" if page != "overview" else (f"?{query.lstrip('&')}" if query else "")
    tab.page.goto(dashboard.url + "/" + suffix)
    tab.page.wait_for_selector("main .panel")
    tab.page.wait_for_function("document.querySelectorAll('[aria-busy=\"true\"]').length === 0", timeout=20_000)


@pytest.mark.parametrize("page", PAGES)
def test_each_page_loads_with_data_and_no_console_errors(tab: Tab, dashboard: Dashboard, page: str, tmp_path: Path):
    open_page(tab, dashboard, page)
    assert tab.page.locator("[role=alert]").count() == 0, tab.page.locator("[role=alert]").all_inner_texts()
    assert tab.page.locator("table tbody tr").count() > 0 or page == "overview"
    assert tab.errors == []
    shot = tmp_path / f"{page}.png"
    tab.page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("STACKS_WRITE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{page}.png").write_bytes(shot.read_bytes())


def test_kpi_cards_show_exactly_the_apis_numbers(tab: Tab, dashboard: Dashboard):
    open_page(tab, dashboard, "overview")
    kpis = dashboard.api_get("kpis")
    expected = {
        "revenue": money(kpis["revenue"]["value"]),
        "orders": number(kpis["orders"]["value"]),
        "units": number(kpis["units"]["value"]),
        "average-order-value": money(kpis["average_order_value"]["value"], 2),
        "active-customers": number(kpis["active_customers"]["value"]),
    }
    for key, text in expected.items():
        card = tab.page.get_by_test_id(f"kpi-{key}")
        value = card.locator(".kpi-value")
        api_key = key.replace("-", "_")
        assert float(value.get_attribute("data-value")) == kpis[api_key]["value"]
        assert value.inner_text() == text


def chart_points(tab: Tab, test_id: str) -> list:
    return json.loads(tab.page.get_by_test_id(test_id).get_attribute("data-points"))


def test_the_date_filter_changes_the_charts_data_and_lives_in_the_url(tab: Tab, dashboard: Dashboard):
    open_page(tab, dashboard, "overview")
    before = chart_points(tab, "revenue-chart")
    datasets = dashboard.api_get("datasets")
    start, end = datasets["first_date"], datasets["first_date"][:8] + "28"
    tab.page.fill("input[name=start]", start)
    tab.page.fill("input[name=end]", end)
    tab.page.get_by_role("button", name="Apply").click()
    tab.page.wait_for_function(
        "prev => document.querySelector('[data-testid=revenue-chart]')?.dataset.points !== prev", arg=json.dumps(before)
    )
    after = chart_points(tab, "revenue-chart")
    series = dashboard.api_get("revenue", start=start, end=end, granularity="month")
    assert after[1][0]["values"] == [p["revenue"] for p in series["points"]]
    assert after != before
    assert f"start={start}" in tab.page.url and f"end={end}" in tab.page.url
    tab.page.reload()  # the filter survives a reload: it is in the URL
    tab.page.wait_for_selector("[data-testid=revenue-chart]")
    assert chart_points(tab, "revenue-chart") == after


def churn_names(tab: Tab) -> list[str]:
    panel = tab.page.locator("section", has=tab.page.get_by_role("heading", name="Churn risk"))
    return panel.locator("tbody tr td:first-child").all_inner_texts()


def test_the_churn_list_pages(tab: Tab, dashboard: Dashboard):
    open_page(tab, dashboard, "customers")
    first = churn_names(tab)
    page_two = dashboard.api_get("churn-risk", page=2, page_size=20)
    assert page_two["total"] > 20, "the seeded dataset should have more than one page of churn risk"
    tab.page.get_by_role("button", name="Next").click()
    tab.page.wait_for_function(
        "prev => [...document.querySelectorAll('section')].some(s => s.textContent.includes('Page 2 of'))",
        arg=None,
    )
    second = churn_names(tab)
    assert second != first
    assert second == [c["name"] or f"#{c['customer_id']}" for c in page_two["customers"]]


def test_a_bad_upload_shows_the_apis_error_and_changes_nothing(tab: Tab, dashboard: Dashboard, tmp_path: Path):
    bad = tmp_path / "orders.csv"
    bad.write_text(
        "order_id,order_date,customer_id,product_id,quantity,unit_price,status,country\n"
        "99999991,not-a-date,1,1,2,9.99,delivered,US\n"
    )
    before = dashboard.api_get("datasets")
    open_page(tab, dashboard, "data")
    tab.page.select_option("select[name=table]", "orders")
    tab.page.set_input_files("input[name=file]", str(bad))
    tab.page.fill("input[name=apiKey]", API_KEY)
    tab.page.get_by_role("button", name="Upload").click()
    shown = tab.page.get_by_test_id("upload-error").inner_text(timeout=20_000)
    with bad.open("rb") as f:
        direct = httpx.post(
            f"{dashboard.api_url}/api/v1/ingest/orders",
            params={"mode": "append"},
            files={"file": ("orders.csv", f, "text/csv")},
            headers={"X-API-Key": API_KEY},
            timeout=30,
        )
    assert 400 <= direct.status_code < 500
    body = direct.json()
    expected = body["message"]
    problems = body.get("problems") or []
    if problems and problems[0].get("message") and problems[0]["message"] not in expected:
        expected = f"{expected}: {problems[0]['message']}"
    assert shown == expected
    assert dashboard.api_get("datasets")["tables"] == before["tables"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_serious_or_critical_violations(tab: Tab, dashboard: Dashboard, page: str, scheme: str):
    assert AXE.is_file(), "axe-core is missing: run `make web`"
    tab.page.emulate_media(color_scheme=scheme)
    open_page(tab, dashboard, page)
    tab.page.add_script_tag(path=str(AXE))
    result = tab.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


def test_it_fits_a_phone_width(browser, dashboard: Dashboard):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        for name in PAGES:
            page.goto(f"{dashboard.url}/?page={name}")
            page.wait_for_selector("main .panel")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than a phone screen"
    finally:
        context.close()
