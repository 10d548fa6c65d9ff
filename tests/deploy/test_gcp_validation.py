"""Bad GCP names and regions are located validation errors, caught before any plan renders."""

from __future__ import annotations

import pytest

from stacks.errors import StacksError
from stacks.naming import NAME_RULES, secret_manager_id, service_account_id, system_prefix

from .gcp_support import variant

NEW_JOB = """  nightly-rollup-recomputation:
    kind: job
    build: {context: ., dockerfile: Dockerfile}
    command: [python, -m, app.ingest]
    resources: {cpu: 1, memory: 2048}

  lake:
"""


@pytest.mark.parametrize(
    ("edits", "where", "message"),
    [
        (
            [("system:\n  name: shop\n", "system:\n  name: shopanalyticsplatformdataengineeringteam\n")],
            "components.ingest",
            "Cloud Run service name 'shopanalyticsplatformdataengineeringteam-ingest-staging'",
        ),
        (
            [("system:\n  name: shop\n", "system:\n  name: googleshop\n")],
            "components.lake",
            "GCS bucket name 'googleshop-lake-dev' for gcp-dev GCS bucket names may not",
        ),
        (
            [("  lake:\n", NEW_JOB)],
            "components.nightly-rollup-recomputation",
            "service account name 'nightly-rollup-recomputation-staging' for gcp-staging is 36 characters",
        ),
        (
            [
                (
                    "    project: shop-analytics-prod\n    region: europe-west1\n",
                    "    project: shop-analytics-prod\n    region: europe-wets1\n",
                )
            ],
            "stacks.gcp.region",
            "unknown GCP region 'europe-wets1'",
        ),
        (
            [
                (
                    "    project: shop-analytics-prod\n    region: europe-west1\n",
                    "    project: shop\n    region: europe-west1\n",
                )
            ],
            "stacks.gcp.project",
            "GCP project ids",
        ),
        (
            [("system:\n  name: shop\n", "system:\n  name: shopanalyticsplatformdata\n")],
            "components.warehouse",
            "workload identity pool name 'shopanalyticsplatformdata-hybrid-staging'",
        ),
    ],
)
def test_bad_gcp_names_and_regions_are_located(edits, where, message):
    with pytest.raises(StacksError) as info:
        variant(*edits)
    hits = [d for d in info.value.diagnostics if message in d.format()]
    assert hits, [d.format() for d in info.value.diagnostics]
    assert hits[0].line is not None and hits[0].path.startswith(where), hits[0].format()
    assert hits[0].hint


def test_gcp_name_rules():
    sa = NAME_RULES["gcp_service_account"].check
    assert sa("api-prod") is None
    assert "6-30" in sa("api")
    assert "starting with a letter" in sa("1api-prod")
    assert NAME_RULES["bigquery_dataset"].check("shop_warehouse_prod") is None
    assert NAME_RULES["bigquery_dataset"].check("shop-warehouse") is not None
    assert NAME_RULES["workload_pool"].check("gcp-pool") is not None  # the prefix is reserved
    assert NAME_RULES["workload_pool"].check("shop-hybrid-prod") is None
    assert NAME_RULES["gcp_resource"].check("x" * 64) is not None
    assert NAME_RULES["gcs_bucket"].check("shop-google-lake") is not None


def test_naming_helpers():
    assert system_prefix("shop", "hybrid", "hybrid") == "shop-hybrid"
    assert system_prefix("shop", "gcp", "gcp") == "shop"
    assert service_account_id("api", "prod") == "api-prod"
    assert service_account_id("api", "prod", "hybrid", "hybrid") == "api-hybrid-prod"
    assert service_account_id("ingest", "prod", suffix="sched") == "ingest-prod-sched"
    assert secret_manager_id("shop/api-key") == "shop-api-key"
    assert secret_manager_id("/a/b/c") == "a-b-c"
