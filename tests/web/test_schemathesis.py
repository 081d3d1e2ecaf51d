"""API fuzzing (issue #8): Schemathesis generates requests from the service's own
OpenAPI document (/openapi.json) and checks every answer: never a server error
(5xx) and a status the document lists; every error, and every answer of
/sparql, also with a documented Content-Type and a body that fits the
documented schema (the one error shape for errors). Bounded to a few examples
an operation so that it fits in CI."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

from zwgk.web.app import create_app
from zwgk.web.settings import Settings
from zwgk.web.state import AppState

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(project):
    # a short time limit and a small answer limit keep generated queries cheap
    settings = Settings(query_timeout=5, max_result_bytes=2_000_000)
    return create_app(settings, AppState.open(settings, project))


@pytest.fixture(scope="module")
def api_schema(app):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


CHECKS = [st_checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]


def operations(api_schema):
    for result in api_schema.get_all_operations():
        yield result.ok()


def test_the_api_answers_every_generated_request_as_documented(api_schema):
    seen = []
    for operation in operations(api_schema):
        seen.append(f"{operation.method.upper()} {operation.path}")

        @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def answers_as_documented(case):
            response = case.call()
            assert response.status_code < 500, (case.method, case.formatted_path, response.status_code,
                                                response.text[:300])
            # errors and /sparql document their content types and bodies; the other routes negotiate
            # their answers (HTML, RDF formats) beyond what their OpenAPI entries say
            full = response.status_code >= 400 or case.path == "/sparql"
            case.validate_response(response, checks=CHECKS if full else CHECKS[:2])

        answers_as_documented()
    assert "GET /sparql" in seen and "POST /sparql" in seen
