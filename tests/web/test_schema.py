"""Schema-driven test: requests generated from /openapi.json never get a 5xx from the real server."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error


def test_no_generated_request_gets_a_server_error(server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    tried = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(operation.label)

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case) -> None:  # noqa: ANN001
            case.call_and_validate(checks=[not_a_server_error], timeout=120)

        check()
    assert len(tried) >= 14 and "POST /api/ingest" in tried
