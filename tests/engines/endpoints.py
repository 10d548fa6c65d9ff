"""The API's read endpoints with parameter variants: what the engine tests compare and the bench times."""

from __future__ import annotations

V1 = "/api/v1"

ENDPOINTS: tuple[str, ...] = (
    f"{V1}/kpis",
    f"{V1}/kpis?country=US",
    f"{V1}/kpis?start=2024-01-01&end=2024-06-30",
    f"{V1}/revenue",
    f"{V1}/revenue?granularity=week&start=2024-01-01&end=2024-12-31",
    f"{V1}/revenue?granularity=month&status=cancelled&status=returned",
    f"{V1}/revenue?granularity=month&country=DE&category=Books",
    f"{V1}/products/top",
    f"{V1}/products/top?by=units&start=2023-03-01&end=2025-11-30",
    f"{V1}/products/top?by=orders&category=Books&limit=5",
    f"{V1}/products",
    f"{V1}/products?sort=name&order=asc&page=2&page_size=7",
    f"{V1}/products?category=Books",
    f"{V1}/products/3",
    f"{V1}/categories",
    f"{V1}/categories?start=2023-01-01&end=2025-12-31",
    f"{V1}/countries",
    f"{V1}/customers",
    f"{V1}/customers?country=US&sort=last_order&order=asc&page=3&page_size=11",
    f"{V1}/customers?segment=champions&sort=name",
    f"{V1}/customers/42",
    f"{V1}/segments/rfm",
    f"{V1}/segments/rfm?country=GB",
    f"{V1}/cohorts",
    f"{V1}/cohorts?start=2023-01-01&end=2025-12-31&months=24",
    f"{V1}/churn-risk",
    f"{V1}/churn-risk?country=US&min_orders=3&limit=10",
    f"{V1}/orders",
    f"{V1}/orders?order=asc&page=4&page_size=25",
    f"{V1}/orders?status=shipped&country=US",
    f"{V1}/orders?customer_id=42",
    f"{V1}/orders?product_id=3&start=2024-01-01&end=2024-12-31",
    f"{V1}/orders/1234",
    f"{V1}/datasets",
    f"{V1}/ingests",
    "/ready",
)


# Answers that legitimately differ between engines: the engine's own name.
def comparable(path: str, body: dict) -> dict:
    if path.endswith("/datasets"):
        return {k: v for k, v in body.items() if k != "engine"}
    return body
