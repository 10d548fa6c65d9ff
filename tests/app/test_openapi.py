"""The OpenAPI document explains itself: every operation has a description, every JSON response an
example that validates against the served model, and the semantics are stated where they apply."""

from __future__ import annotations

from app import models
from tests.app.conftest import make_client


def _schema(spec: dict, response: dict) -> dict | None:
    content = response.get("content", {}).get("application/json")
    if content is None:
        return None
    ref = content.get("schema", {}).get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[1]] if ref else content["schema"]


def test_every_operation_is_described_and_every_json_response_has_an_example(small_db):
    spec = make_client(small_db).get("/openapi.json").json()
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not operation.get("description"):
                missing.append(f"{method} {path}: no description")
            for status, response in operation["responses"].items():
                schema = _schema(spec, response)
                if schema is not None and not schema.get("examples"):
                    missing.append(f"{method} {path} {status}: no example")
    assert missing == []


def test_the_examples_validate_against_the_models():
    for model in models.RESPONSE_MODELS:
        model.model_validate(models.example(model))


def test_the_semantics_are_in_the_descriptions(small_db):
    spec = make_client(small_db).get("/openapi.json").json()
    text = {path: " ".join(op.get("description", "") for op in ops.values()) for path, ops in spec["paths"].items()}
    assert "cancelled" in text["/api/v1/kpis"] and "order's country" in text["/api/v1/kpis"]
    assert "customer's country" in text["/api/v1/segments/rfm"] and "champions" in text["/api/v1/segments/rfm"]
    assert "ties" in text["/api/v1/segments/rfm"]
    assert "twice" in text["/api/v1/churn-risk"] and "as_of" in text["/api/v1/churn-risk"]
    assert "12 cohort months" in text["/api/v1/cohorts"]
    assert "one population" in text["/api/v1/countries"]
