"""The OpenAPI document declares the answers the API really gives."""

from __future__ import annotations

from tests.conftest import create_account, sign_in

UNSAFE = ("post", "put", "patch", "delete")


def test_malformed_requests_are_documented_with_the_shape_they_get(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    document = client.get("/api/v1/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    problem = schemas["RequestProblem"]
    assert problem["required"] == ["detail"] and set(problem["properties"]["errors"]["items"]["required"]) == {
        "loc",
        "msg",
    }
    answer = client.get("/api/v1/jobs/abc")
    assert answer.status_code == 422 and set(answer.json()) == {"detail", "errors"}
    assert set(answer.json()["errors"][0]) == {"loc", "msg"}
    declared = document["paths"]["/api/v1/jobs/{job_id}"]["get"]["responses"]["422"]["content"]["application/json"]
    assert declared["schema"] == {"$ref": "#/components/schemas/RequestProblem"}


def test_the_csrf_refusal_is_documented_on_every_call_that_changes_state(client):
    document = client.get("/api/v1/openapi.json").json()
    unsafe = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if method in UNSAFE
    ]
    assert unsafe and all("403" in operation["responses"] for _, _, operation in unsafe)
    assert client.post("/api/v1/shop/sync").status_code == 403


def test_a_405_names_every_method_the_address_takes(client):
    for _ in range(2):
        answer = client.delete("/login")
        assert answer.status_code == 405 and answer.headers["allow"] == "GET, POST"
    assert client.patch("/api/v1/templates").headers["allow"] == "GET, POST"


def test_calls_that_reach_tiktok_declare_what_a_platform_problem_answers(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path, method in [
        ("/api/v1/tiktok/categories", "get"),
        ("/api/v1/tiktok/categories/{category_id}", "get"),
        ("/api/v1/tiktok/categories/recommend", "get"),
        ("/api/v1/templates/preview", "post"),
        ("/api/v1/templates/{template_id}/category-check", "get"),
    ]:
        responses = paths[path][method]["responses"]
        assert {"409", "422", "502", "503"} <= set(responses), path
        assert "Retry-After" in responses["503"]["headers"]


def test_a_body_nested_too_deep_to_read_is_a_documented_400(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    token = client.get("/api/v1/me").json()["csrf_token"]
    deep = '{"match": "all", "rules": [' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "]}"
    for _ in range(2):
        answer = client.post(
            "/api/v1/templates/count", content=deep, headers={"content-type": "application/json", "x-csrf-token": token}
        )
        assert answer.status_code == 400 and answer.json()["detail"]
    declared = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/templates/count"]["post"]["responses"]
    assert "400" in declared
