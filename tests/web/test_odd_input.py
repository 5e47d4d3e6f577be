"""Odd input gets a 4xx with a plain message, never a database error: ids beyond the database's
integer range, NUL characters in text, odd characters in a TikTok id."""

from __future__ import annotations

import json

import pytest

from tests.conftest import create_account, sign_in

TOO_BIG = str(2**63)  # one past PostgreSQL's bigint and SQLite's integer
WAY_TOO_BIG = "9" * 30

API_CALLS = [
    ("GET", f"/api/v1/products/{TOO_BIG}", None),
    ("GET", f"/api/v1/products?before={TOO_BIG}", None),
    ("GET", f"/api/v1/products?template_id={WAY_TOO_BIG}", None),
    ("GET", f"/api/v1/jobs/{WAY_TOO_BIG}", None),
    ("POST", f"/api/v1/jobs/{TOO_BIG}/cancel", None),
    ("GET", f"/api/v1/orders/{TOO_BIG}", None),
    ("POST", f"/api/v1/orders/{TOO_BIG}/retry", None),
    ("GET", f"/api/v1/orders?offset={TOO_BIG}", None),
    ("POST", f"/api/v1/orders/returns/{TOO_BIG}/approve", None),
    ("POST", f"/api/v1/orders/cancellations/{TOO_BIG}/approve", None),
    ("GET", f"/api/v1/templates/{TOO_BIG}", None),
    ("DELETE", f"/api/v1/templates/{TOO_BIG}", None),
    ("POST", "/api/v1/templates/1/products", {"product_ids": [2**64]}),
    ("POST", "/api/v1/listings/actions", {"action": "activate", "listing_ids": [int(WAY_TOO_BIG)]}),
    ("POST", "/api/v1/uploads", {"product_ids": [2**63]}),
    ("GET", "/api/v1/products?q=a%00b", None),
    ("GET", "/api/v1/products?vendor=a%00b", None),
    ("GET", "/api/v1/orders?q=a%00b", None),
    ("GET", "/api/v1/tiktok/categories?keyword=a%00b", None),
    ("GET", "/api/v1/tiktok/categories/recommend?title=a%00b", None),
]


@pytest.fixture
def merchant_client(client, app_settings):
    create_account(app_settings, "Acme", "owner@acme.test")
    sign_in(client, "owner@acme.test")
    client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
    return client


@pytest.mark.parametrize(("method", "url", "body"), API_CALLS, ids=[f"{m} {u}" for m, u, _ in API_CALLS])
def test_the_api_refuses_odd_input_plainly(merchant_client, method, url, body):
    answer = merchant_client.request(method, url, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"] == "The request is malformed."
    assert answer.json()["errors"] and all(error["msg"] for error in answer.json()["errors"])


@pytest.mark.parametrize("category_id", ["1e5", "%E2%80%AE", "0x10", "-1", "9" * 300, "%C3%A9t%C3%A9"])
def test_odd_tiktok_category_ids_are_answered_without_asking_tiktok(merchant_client, category_id):
    # No TikTok shop is connected: an answer that needed TikTok would be a 409 instead.
    answer = merchant_client.get(f"/api/v1/tiktok/categories/{category_id}")
    assert answer.status_code == 404, answer.text
    assert answer.json()["detail"] == "No TikTok category has this id: category ids are digits only."


@pytest.mark.parametrize(
    "url",
    [
        f"/products/{TOO_BIG}",
        f"/orders/{WAY_TOO_BIG}",
        f"/templates/{TOO_BIG}/edit",
        "/products?q=a%00b",
        "/orders?q=a%00b",
        f"/orders?page={WAY_TOO_BIG}",
    ],
)
def test_pages_answer_odd_addresses_with_a_page_not_an_error(merchant_client, url):
    answer = merchant_client.get(url)
    assert answer.status_code == 404 and "There is no such page" in answer.text


@pytest.mark.parametrize("url", [f"/orders/{TOO_BIG}/retry", f"/templates/{TOO_BIG}/delete"])
def test_page_actions_on_odd_ids_are_refused_not_failed(merchant_client, url):
    answer = merchant_client.post(url, data={})
    assert 400 <= answer.status_code < 500, answer.text


@pytest.mark.parametrize(
    "url",
    [
        f"/products?template={TOO_BIG}&before={WAY_TOO_BIG}",
        f"/activity?before={TOO_BIG}",
        f"/activity?before={WAY_TOO_BIG}",
        "/activity?before=%C2%B2",
        "/products?template=%C2%B2&before=%C2%B9",
    ],
)
def test_lenient_page_filters_ignore_numbers_beyond_the_database(merchant_client, url):
    answer = merchant_client.get(url)
    assert answer.status_code == 200


NUL_BODIES = [
    ("POST", "/api/v1/templates", {"name": "a\x00b", "category": {"id": "600001", "version": "v2"}}),
    (
        "POST",
        "/api/v1/templates/count",
        {"match": "all", "rules": [{"field": "title", "operator": "contains", "value": "x\x00"}]},
    ),
    ("POST", "/api/v1/orders/1/cancel", {"reason": "\x00"}),
]


@pytest.mark.parametrize(("method", "url", "body"), NUL_BODIES, ids=[f"{m} {u}" for m, u, _ in NUL_BODIES])
def test_a_nul_character_in_a_body_is_refused_plainly(merchant_client, method, url, body):
    for _ in range(2):
        answer = merchant_client.request(method, url, json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["msg"] == "Text must not contain a NUL character (\\u0000)."
    # The same body without it goes through to the route.
    clean = merchant_client.request(method, url, json=json.loads(json.dumps(body).replace("\\u0000", "")))
    assert clean.status_code != 422 or "NUL" not in clean.text


def test_a_nul_character_in_a_form_is_refused_plainly(merchant_client):
    answer = merchant_client.post("/orders/1/cancel", data={"reason": "a\x00b"})
    assert answer.status_code == 422 and "NUL" in answer.text


@pytest.mark.parametrize(
    "form",
    [
        {"action": "upload", "product_id": ["\u00b2"]},
        {"action": "upload", "product_id": [TOO_BIG, "1"]},
        {"action": "deactivate", "product_id": [WAY_TOO_BIG]},
        {"action": f"assign:{TOO_BIG}", "product_id": ["1"]},
        {"action": "assign:\u00b2", "product_id": ["1"]},
    ],
    ids=["superscript id", "id beyond bigint", "id of 30 digits", "template beyond bigint", "superscript template"],
)
def test_bulk_product_actions_refuse_odd_ids_plainly(merchant_client, form):
    answer = merchant_client.post("/products/bulk", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/products"
