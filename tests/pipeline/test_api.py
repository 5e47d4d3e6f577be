"""The product pipeline through the JSON API, as the pages and integrators use it."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.conftest import add_user, sign_in
from tests.pipeline.helpers import check_prerequisites, run_jobs, sales_warehouse
from tokbridge.web.app import create_app


@pytest.fixture
def api(world_factory):
    world = world_factory(products=150)
    add_user(world.settings, world.merchant_id, "owner@world.test")
    with TestClient(create_app(world.settings), base_url="http://127.0.0.1") as client:
        sign_in(client, "owner@world.test")
        client.headers["X-CSRF-Token"] = client.get("/api/v1/me").json()["csrf_token"]
        yield world, client


def template_body(warehouse: str) -> dict:
    return {
        "name": "T-shirts",
        "selection": {"match": "all", "rules": [{"field": "product_type", "operator": "equals", "value": "T-Shirts"}]},
        "category": {"id": "9601302", "version": "v2"},
        "attributes": [{"attribute_id": "100347", "source": "fixed", "value_names": ["Cotton"]}],
        "inventory": {"default_warehouse_id": warehouse},
        "listing": {"package_weight": {"value": "0.5", "unit": "POUND"}},
    }


def test_dashboard_products_templates_upload_through_the_api(api):
    world, client = api
    world.import_catalog()
    dashboard = client.get("/api/v1/dashboard").json()
    assert dashboard["prerequisites"]["complete"] is False  # not checked yet
    assert dashboard["plan"]["name"] == "Free" and dashboard["plan"]["products_left"] == 25
    total = dashboard["products"]["not_uploaded"]
    assert total > 0 and sum(dashboard["products"].values()) == total

    # Uploads are refused until the prerequisites are checked and met.
    refused = client.post("/api/v1/uploads", json={})
    assert refused.status_code == 409 and "prerequisites" in refused.json()["detail"]
    check_prerequisites(world)
    assert client.get("/api/v1/dashboard").json()["prerequisites"]["complete"] is True

    body = template_body(sales_warehouse(world))
    count = client.post("/api/v1/templates/count", json=body["selection"]).json()["count"]
    created = client.post("/api/v1/templates", json=body)
    assert created.status_code == 201, created.text
    listed = client.get("/api/v1/templates").json()
    assert listed[0]["linked_products"] == count > 0
    preview = client.post("/api/v1/templates/preview?limit=2", json=body).json()
    assert len(preview) == 2 and preview[0]["tiktok_title"]

    accepted = client.post("/api/v1/uploads", json={})
    assert accepted.status_code == 202 and accepted.json()["queued"] > 0
    run_jobs(world)
    counts = client.get("/api/v1/dashboard").json()["products"]
    assert counts["in_progress"] == 0 and counts["reviewing"] > 0

    reviewing = client.get("/api/v1/products?status=reviewing").json()["items"]
    assert len(reviewing) == counts["reviewing"] and all(p["tiktok_product_id"] for p in reviewing)
    detail = client.get(f"/api/v1/products/{reviewing[0]['id']}").json()
    assert detail["status"] == "reviewing" and detail["template_name"] == "T-shirts"


def test_product_list_pages_by_id_and_filters(api):
    world, client = api
    world.import_catalog()
    first = client.get("/api/v1/products?limit=20").json()
    second = client.get(f"/api/v1/products?limit=20&before={first['next_before']}").json()
    ids = [p["id"] for p in first["items"] + second["items"]]
    assert len(ids) == len(set(ids)) == 40 and ids == sorted(ids, reverse=True)
    tees = client.get("/api/v1/products?product_type=T-Shirts&limit=200").json()["items"]
    assert tees and {p["product_type"] for p in tees} == {"T-Shirts"}
    word = tees[0]["title"].split()[0]
    found = client.get(f"/api/v1/products?q={word}&limit=200").json()["items"]
    assert found and all(word.lower() in p["title"].lower() for p in found)


def test_invalid_template_gets_field_errors(api):
    _world, client = api
    response = client.post("/api/v1/templates", json={"name": "", "category": {"id": "not-a-number"}})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert "name" in fields and "category.id" in fields


def test_sync_settings_and_plans(api):
    _world, client = api
    settings = client.get("/api/v1/settings/sync").json()
    assert settings == {
        "sync_product_info": True,
        "sync_price": True,
        "sync_inventory": True,
        "on_store_delete": "deactivate",
    }
    client.put("/api/v1/settings/sync", json={**settings, "sync_price": False})
    assert client.get("/api/v1/settings/sync").json()["sync_price"] is False
    plans = client.get("/api/v1/plans").json()
    assert [p["code"] for p in plans if p["current"]] == ["free"]
    # The store is a Shopify store: the merchant approves the charge on Shopify's page first.
    asked = client.post("/api/v1/plans/growth/subscribe").json()
    assert (asked["code"], asked["pending_plan"]) == ("free", "growth")
    approved = httpx.get(asked["confirmation_url"])  # the sandbox approves at once and sends them back
    back = httpx.URL(approved.headers["location"])
    assert back.path == "/plans/confirm"
    client.get(f"{back.path}?{back.query.decode()}")
    upgraded = client.get("/api/v1/dashboard").json()["plan"]
    assert upgraded["name"] == "Growth" and upgraded["products_left"] == 5000
    assert client.post("/api/v1/plans/nope/subscribe").status_code == 404


def test_a_template_whose_category_was_retired_says_so(api):
    world, client = api
    body = template_body(sales_warehouse(world))
    good = client.post("/api/v1/templates", json=body).json()
    assert client.get(f"/api/v1/templates/{good['id']}/category-check").json() == {"ok": True, "problem": None}
    retired = client.post(
        "/api/v1/templates", json={**body, "name": "Old", "category": {"id": "9601999", "version": "v2"}}
    )
    assert retired.status_code == 201
    check = client.get(f"/api/v1/templates/{retired.json()['id']}/category-check").json()
    assert check["ok"] is False and check["problem"]["fix"]
    # A parent category (no longer a leaf) is refused the same way.
    parent = client.post(
        "/api/v1/templates", json={**body, "name": "Tops", "category": {"id": "9601226", "version": "v2"}}
    )
    check = client.get(f"/api/v1/templates/{parent.json()['id']}/category-check").json()
    assert check["ok"] is False


def test_categories_come_from_the_shops_own_tree(api):
    """A US shop lists in TikTok's v2 tree: the category API answers from it unless asked otherwise, and a
    template saved with a category of the other tree is reported before any upload tries it."""
    world, client = api
    leaves = [c for c in client.get("/api/v1/tiktok/categories").json() if c["is_leaf"]]
    assert leaves and all(c["id"].startswith("9") for c in leaves)  # the sandbox's v2 ids
    other_tree = client.get("/api/v1/tiktok/categories?version=v1")
    assert other_tree.status_code == 422 and "US shops use TikTok's v2 category tree" in other_tree.json()["detail"]
    body = template_body(sales_warehouse(world))
    v1 = client.post(
        "/api/v1/templates", json={**body, "name": "V1 tees", "category": {"id": "601302", "version": "v1"}}
    ).json()
    check = client.get(f"/api/v1/templates/{v1['id']}/category-check").json()
    assert check["ok"] is False and check["problem"]["code"] == "category_version"
    assert "US shops list in the v2 tree" in check["problem"]["message"]


def test_tiktok_refusing_a_request_is_a_clear_error_not_a_traceback(api, caplog):
    """An unknown category: TikTok's refusal comes back as 422 with TikTok's words; TikTok not answering
    as 503 with Retry-After; both logged as one line."""
    world, client = api
    unknown = client.get("/api/v1/tiktok/categories/9999999")
    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["detail"].startswith("TikTok refused the request: ")
    world.tiktok_control("POST", "/sandbox/faults", {"error_rate": 1.0})
    try:
        down = client.get("/api/v1/tiktok/categories")
    finally:
        world.tiktok_control("POST", "/sandbox/faults", {"error_rate": 0.0})
    assert down.status_code == 503 and int(down.headers["Retry-After"]) >= 1
    assert "TikTok is not answering" in down.json()["detail"]
    assert "Traceback" not in caplog.text
