"""schemathesis over the running API's OpenAPI schema: no server errors, responses match their
declared schemas, and shopper tokens never get staff data."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.api_fixtures import SHOPPER, STAFF

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
STAFF_ONLY = {
    ("GET", "/forecasts/sales"), ("GET", "/summaries"), ("GET", "/models"),
    ("POST", "/summarize/conversation"), ("POST", "/products"), ("POST", "/analytics/ask"),
    ("GET", "/support/agents"),
}  # fmt: skip
FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="session")
def api_schema(api_server):
    return schemathesis.openapi.from_url(f"{api_server.url}/openapi.json")


@pytest.fixture(scope="session")
def tokens(api_server):
    return {"shopper": api_server.headers(SHOPPER), "staff": api_server.headers(STAFF)}


def check_case(case, tokens) -> None:
    for role, headers in tokens.items():
        response = case.call(headers=headers, timeout=300)  # the first chat loads the LLM
        case.validate_response(response, checks=CHECKS)
        assert b"Traceback" not in response.content  # bytes: images are not text
        if role == "shopper" and (case.method.upper(), case.path) in STAFF_ONLY:
            # Whatever the input, a shopper's token gets no staff data.
            assert response.status_code in (401, 403, 422), (case.path, response.status_code)


def fuzz(schema, tokens, fuzz_settings) -> list[str]:
    """Run each operation's generated cases through `check_case`; the operations fuzzed."""
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @fuzz_settings
        def run(case):
            check_case(case, tokens)

        run()
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    return fuzzed


def test_api_never_fails_and_matches_its_schema(api_schema, tokens):
    # Sign-in is fuzzed by hand in test_api.py: random failed sign-ins from this client would
    # lock the demo accounts out for the rest of the session. The chat has its own test below.
    fuzzed = fuzz(api_schema.exclude(path_regex="chat|auth"), tokens, FUZZ)
    assert len(fuzzed) == 18, fuzzed


def test_chat_endpoints_never_fail_and_match_their_schema(api_schema, tokens):
    # The chat runs the language model: fewer examples, the same checks.
    fuzzed = fuzz(api_schema.include(path_regex="chat"), tokens, settings(FUZZ, max_examples=3))
    assert sorted(fuzzed) == [
        "POST /chat", "POST /chat/stream", "POST /coach/chat", "POST /coach/chat/stream",
    ]  # fmt: skip
