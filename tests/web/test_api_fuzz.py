"""schemathesis against the JSON API's OpenAPI document, signed in and signed out: no server errors,
and every answer (status code, body, headers) is one the document declares."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import create_account, sign_in

# No server error, and every answer one the document declares (status, content type, headers, body).
# Not schemathesis's "valid data accepted": a template body is loose JSON whose problems the app
# refuses with its documented 422, which is the right answer.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Bounded and repeatable: a fixed number of examples per operation, derandomized (a fixed seed).
BOUNDED = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _merchant_headers(web_app, app_settings) -> dict[str, str]:
    """What a signed-in merchant's browser sends with each call: the session cookie and CSRF token."""
    create_account(app_settings, "Acme", "owner@acme.test")
    with TestClient(web_app, base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@acme.test")
        csrf = client.get("/api/v1/me").json()["csrf_token"]
        return {"Cookie": f"tb_session={client.cookies.get('tb_session')}", "X-CSRF-Token": csrf}


def _disagreements(web_app, headers: dict[str, str]) -> list[str]:
    """Run every operation of the document; one line per operation whose answers break a check."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web_app)
    found = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @BOUNDED
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - try all, report all
            found.append(f"{operation.label}: {failure}")
    return found


@pytest.mark.slow
def test_the_api_answers_signed_out_callers_as_documented(web_app):
    problems = _disagreements(web_app, {})
    assert not problems, "\n\n".join(problems)


@pytest.mark.slow
def test_the_api_answers_a_signed_in_merchant_as_documented(web_app, app_settings):
    problems = _disagreements(web_app, _merchant_headers(web_app, app_settings))
    assert not problems, "\n\n".join(problems)
