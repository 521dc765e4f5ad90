"""How the Graph client reads Meta's usage headers and error bodies (shapes from Meta's
rate-limiting and error-handling pages)."""

from __future__ import annotations

import pytest

from somepulse.collectors.meta.graph import (
    ConfigError,
    GraphError,
    SourceBroken,
    _transient,
    classify_error,
    usage_percent,
)


def test_the_highest_budget_use_of_any_header() -> None:
    headers = {
        "X-App-Usage": '{"call_count": 28, "total_time": 25, "total_cputime": 25}',
        "X-Business-Use-Case-Usage": '{"100000000000101": [{"type": "pages", '
        '"call_count": 81, "total_cputime": 12, "total_time": 40, '
        '"estimated_time_to_regain_access": 0}]}',
    }
    assert usage_percent(headers) == 81.0
    assert usage_percent({"X-App-Usage": "not json"}) == 0.0
    assert usage_percent({}) == 0.0


@pytest.mark.parametrize(
    ("code", "status", "kind", "retried"),
    [
        (190, 400, SourceBroken, False),
        (10, 403, SourceBroken, False),
        (200, 403, SourceBroken, False),
        (100, 400, ConfigError, False),
        (4, 400, GraphError, True),
        (17, 400, GraphError, True),
        (80001, 400, GraphError, True),
        (1, 500, GraphError, True),
        (803, 400, GraphError, False),
    ],
)
def test_error_codes_decide_what_happens(
    code: int, status: int, kind: type[GraphError], retried: bool
) -> None:
    error = classify_error({"error": {"message": "m", "code": code, "fbtrace_id": "x"}}, status)
    assert type(error) is kind
    assert _transient(error, status) is retried
    assert f"(code {code})" in str(error)
