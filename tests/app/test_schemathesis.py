"""Property-based API testing: schemathesis generates requests from /openapi.json.

At least 1,000 generated requests (valid and invalid inputs, every operation);
no response may be a server error or break the schema the API documents for it.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.app.conftest import make_settings

EXAMPLES = {GenerationMode.POSITIVE: 50, GenerationMode.NEGATIVE: 25}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def runner(operation, mode: GenerationMode, count: int, sent: dict, failures: list[str]):
    """A Hypothesis test that sends ``count`` generated requests to one operation."""

    @settings(
        max_examples=count, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call()
        sent["requests"] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # collect: one run reports every broken operation
            failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:600]}")

    return run


@pytest.mark.slow
def test_generated_requests_get_no_server_errors_and_match_the_schema(small_db):
    from app.api.factory import create_app

    app = create_app(make_settings(small_db))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    sent = {"requests": 0}
    failures: list[str] = []
    for operation in operations:
        for mode, count in EXAMPLES.items():
            try:
                runner(operation, mode, count, sent, failures)()
            except Unsatisfiable:
                # No parameters at all (e.g. /health): there is no invalid request to generate.
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert not failures, f"{len(failures)} failures: " + "\n\n".join(f[:300] for f in failures[:15])
    assert sent["requests"] >= 1000, sent
