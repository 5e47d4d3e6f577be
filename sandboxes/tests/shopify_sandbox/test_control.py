"""The control API answers bad input with a clear 4xx, and its state agrees with the Admin API."""

from __future__ import annotations

import httpx

from .conftest import SHOP

BASE = f"/sandbox/shops/{SHOP}"


BAD_REQUESTS = [
    ("PATCH", BASE + "/products/{pid}", {"status": "GONE"}, 422),
    ("PATCH", BASE + "/products/{pid}", {"title": 5}, 422),
    ("PATCH", BASE + "/products/{pid}", {"variants": [{"id": "gid://shopify/ProductVariant/1", "price": "1"}]}, 404),
    ("PATCH", BASE + "/products/not-an-id", {}, 400),
    ("PUT", BASE + "/inventory", {}, 400),
    ("POST", BASE + "/products", {"price": "abc"}, 400),
    ("POST", "/sandbox/shops", {"shop": "not a domain"}, 400),
    ("POST", "/sandbox/shops", {"count": 100_001}, 400),
    ("PUT", "/sandbox/faults", {"error_rate": 2}, 400),
    ("POST", BASE + "/tokens", {"scopes": "read_products"}, 400),
    ("POST", "/sandbox/shops/nobody.myshopify.com/tokens", {}, 404),
    ("POST", BASE + "/orders/1/fulfill", {}, 404),
]


def test_bad_control_requests_get_a_clear_4xx(live_sandbox):
    live = live_sandbox(catalog_size=2)
    with httpx.Client(base_url=live.base_url) as client:
        product_id = client.get(BASE + "/products").json()["products"][0]["id"]
        for method, path, body, status in BAD_REQUESTS:
            response = client.request(method, path.format(pid=product_id), json=body)
            assert (response.status_code, bool(response.json().get("error"))) == (status, True), (method, path, body)
    unchanged = httpx.get(f"{live.base_url}{BASE}/products/{product_id}").json()
    assert unchanged["status"] != "GONE" and isinstance(unchanged["title"], str)


def test_control_edits_show_in_the_admin_api(live_sandbox):
    live = live_sandbox(catalog_size=2)
    product = httpx.get(f"{live.base_url}{BASE}/products").json()["products"][0]
    variant = product["variants"][0]
    httpx.patch(
        f"{live.base_url}{BASE}/products/{product['id']}",
        json={"status": "ARCHIVED", "variants": [{"id": variant["id"], "price": "9.5", "compareAtPrice": None}]},
    )
    answer = live.graphql(
        "query($id: ID!) { product(id: $id) { status variants(first: 1) { nodes { price compareAtPrice } } } }",
        {"id": product["admin_graphql_api_id"]},
    )["data"]["product"]
    assert answer == {"status": "ARCHIVED", "variants": {"nodes": [{"price": "9.50", "compareAtPrice": None}]}}
    httpx.post(f"{live.base_url}/sandbox/shops", json={"shop": SHOP, "count": 5, "seed": 99})
    state = httpx.get(f"{live.base_url}/sandbox/state").json()["shops"][0]
    assert (state["products"], state["catalog_seed"]) == (5, 99)


def test_each_shop_answers_its_own_currency(live_sandbox):
    live = live_sandbox(catalog_size=2)
    uk_shop = "uk-tees.myshopify.com"
    seeded = httpx.post(f"{live.base_url}/sandbox/shops", json={"shop": uk_shop, "count": 1, "currency": "GBP"})
    assert seeded.status_code == 201 and seeded.json()["currency"] == "GBP"
    token = httpx.post(f"{live.base_url}/sandbox/shops/{uk_shop}/tokens", json={}).json()["access_token"]
    with httpx.Client(base_url=f"{live.base_url}/shops/{uk_shop}", headers={"X-Shopify-Access-Token": token}) as client:
        answer = client.post("/admin/api/2026-10/graphql.json", json={"query": "{ shop { currencyCode } }"}).json()
    assert answer["data"]["shop"]["currencyCode"] == "GBP"
    assert live.graphql("{ shop { currencyCode } }")["data"]["shop"]["currencyCode"] == "USD"  # the configured default
    shops = {s["shop"]: s["currency"] for s in httpx.get(f"{live.base_url}/sandbox/state").json()["shops"]}
    assert shops == {SHOP: "USD", uk_shop: "GBP"}
    # Shopify's CurrencyCode enum names every currency a shop can sell in; anything else is refused.
    refused = httpx.post(f"{live.base_url}/sandbox/shops", json={"shop": "odd.myshopify.com", "currency": "XYZ"})
    assert refused.status_code == 400 and "CurrencyCode" in refused.json()["error"]
