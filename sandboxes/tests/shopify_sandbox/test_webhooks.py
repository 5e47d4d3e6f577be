"""Webhook delivery: Shopify's headers and HMAC, at-least-once with duplicates, every topic."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from tokbridge_sandboxes.serving import free_port

from .conftest import SHOP

SECRET = "sandbox-client-secret"
SUBSCRIBE = """mutation($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri}) {
    webhookSubscription { id topic uri apiVersion { handle } } userErrors { field message }
  }
}"""


def topics(received: list[dict]) -> list[str]:
    return [r["headers"]["x-shopify-topic"] for r in received]


def first_product(live) -> dict:
    return httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/products", params={"limit": 1}).json()["products"][0]


def test_product_change_is_delivered_signed_with_shopify_headers(live_sandbox, receiver):
    live = live_sandbox()
    created = live.graphql(SUBSCRIBE, {"topic": "PRODUCTS_UPDATE", "uri": receiver.url})["data"][
        "webhookSubscriptionCreate"
    ]
    assert created["userErrors"] == [] and created["webhookSubscription"]["apiVersion"]["handle"] == "2026-07"
    duplicate = live.graphql(SUBSCRIBE, {"topic": "PRODUCTS_UPDATE", "uri": receiver.url})["data"][
        "webhookSubscriptionCreate"
    ]
    assert duplicate["webhookSubscription"] is None and "already been taken" in duplicate["userErrors"][0]["message"]

    product = first_product(live)
    changed = httpx.patch(
        f"{live.base_url}/sandbox/shops/{SHOP}/products/{product['id']}", json={"title": "Renamed by the merchant"}
    )
    assert changed.status_code == 200
    delivery = receiver.wait_for(lambda got: len(got) >= 1)[0]
    headers, body = delivery["headers"], delivery["body"]
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert hmac.compare_digest(headers["x-shopify-hmac-sha256"], expected)
    wrong = base64.b64encode(hmac.new(b"other-secret", body, hashlib.sha256).digest()).decode()
    assert headers["x-shopify-hmac-sha256"] != wrong
    assert headers["x-shopify-topic"] == "products/update"
    assert headers["x-shopify-shop-domain"] == SHOP
    assert headers["x-shopify-api-version"] == "2026-07"
    assert (
        headers["x-shopify-webhook-id"]
        and headers["x-shopify-event-id"]
        and headers["x-shopify-triggered-at"].endswith("Z")
    )
    payload = json.loads(body)
    assert payload["id"] == product["id"] and payload["title"] == "Renamed by the merchant"
    assert payload["admin_graphql_api_id"] == f"gid://shopify/Product/{product['id']}"


def test_duplicates_share_the_event_id_and_failures_are_retried(live_sandbox, receiver):
    live = live_sandbox(webhook_duplicate_rate=1.0, webhook_retry_seconds=0.1)
    live.graphql(SUBSCRIBE, {"topic": "INVENTORY_LEVELS_UPDATE", "uri": receiver.url})
    level = first_product(live)["stock"][0]
    receiver.status = 500  # the app is down: Shopify tries again
    httpx.put(
        f"{live.base_url}/sandbox/shops/{SHOP}/inventory",
        json={
            "inventory_item_id": level["inventory_item_id"],
            "location_id": level["location_id"],
            "available": level["available"] + 9,
        },
    )  # a real change: setting the same value sends nothing
    receiver.wait_for(lambda got: len(got) >= 2)
    receiver.status = 200
    got = receiver.wait_for(lambda got: sum(1 for r in got if r["headers"].get("x-shopify-topic")) >= 4)
    log = httpx.get(f"{live.base_url}/sandbox/webhooks/deliveries", params={"wait": 5}).json()
    assert log["idle"] and all(d["delivered"] for d in log["deliveries"])
    assert len({r["headers"]["x-shopify-event-id"] for r in got}) == 1
    assert len({r["headers"]["x-shopify-webhook-id"] for r in got}) == 2  # two deliveries, each retried with its own id
    payload = json.loads(got[-1]["body"])
    assert payload["available"] == level["available"] + 9 and payload["inventory_item_id"] == level["inventory_item_id"]


def test_order_lifecycle_and_app_topics(live_sandbox, receiver):
    live = live_sandbox(app_webhook_uri="")
    for topic in (
        "FULFILLMENTS_CREATE",
        "FULFILLMENTS_UPDATE",
        "ORDERS_CANCELLED",
        "APP_UNINSTALLED",
        "PRODUCTS_CREATE",
        "PRODUCTS_DELETE",
    ):
        live.graphql(SUBSCRIBE, {"topic": topic, "uri": receiver.url})
    variant = live.graphql("{ productVariants: products(first: 1) { nodes { variants(first: 1) { nodes { id } } } } }")
    variant_id = variant["data"]["productVariants"]["nodes"][0]["variants"]["nodes"][0]["id"]
    create = "mutation($v: ID!) { orderCreate(order: {lineItems: [{variantId: $v, quantity: 1}]}) { order { id } userErrors { message } } }"
    orders = [
        live.graphql(create, {"v": variant_id})["data"]["orderCreate"]["order"]["id"].rsplit("/", 1)[1]
        for _ in range(2)
    ]
    shop = f"{live.base_url}/sandbox/shops/{SHOP}"
    fulfillment = httpx.post(
        f"{shop}/orders/{orders[0]}/fulfill", json={"company": "USPS", "number": "9400100000000000000000"}
    ).json()
    httpx.post(
        f"{shop}/fulfillments/{fulfillment['id']}/tracking",
        json={"company": "USPS", "number": "9400111111111111111111"},
    )
    httpx.post(f"{shop}/orders/{orders[1]}/cancel", json={"reason": "customer", "restock": True})
    new = httpx.post(f"{shop}/products", json={"title": "Brand new", "price": "12.50", "available": 4}).json()
    httpx.delete(f"{shop}/products/{new['id']}")
    httpx.post(f"{shop}/uninstall")
    expected = [
        "fulfillments/create",
        "fulfillments/update",
        "orders/cancelled",
        "products/create",
        "products/delete",
        "app/uninstalled",
    ]
    got = receiver.wait_for(lambda got: len(got) >= len(expected))
    assert sorted(topics(got)) == sorted(expected)
    by_topic = {r["headers"]["x-shopify-topic"]: json.loads(r["body"]) for r in got}
    assert by_topic["fulfillments/update"]["tracking_number"] == "9400111111111111111111"
    assert by_topic["orders/cancelled"]["cancel_reason"] == "customer"
    assert by_topic["app/uninstalled"]["myshopify_domain"] == SHOP
    refused = httpx.post(
        f"{live.base_url}/admin/api/2026-07/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": live.token},
    )
    assert refused.status_code == 401  # uninstalling revokes the app's tokens


def test_privacy_topics_go_to_the_app_level_address(live_sandbox, receiver):
    live = live_sandbox(app_webhook_uri=receiver.url)
    for topic in ("customers/data_request", "customers/redact", "shop/redact"):
        assert (
            httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/privacy/{topic}", json={"orders": [1001]}).status_code
            == 202
        )
    got = receiver.wait_for(lambda got: len(got) >= 3)
    bodies = {r["headers"]["x-shopify-topic"]: json.loads(r["body"]) for r in got}
    assert bodies["customers/redact"]["orders_to_redact"] == [1001]
    assert bodies["customers/data_request"]["orders_requested"] == [1001]
    assert bodies["shop/redact"]["shop_domain"] == SHOP
    assert httpx.post(f"{live.base_url}/sandbox/shops/{SHOP}/privacy/orders/create").status_code == 400


def test_reordered_deliveries_overtake_each_other(live_sandbox, receiver):
    live = live_sandbox(webhook_reorder_rate=1.0)
    live.graphql(SUBSCRIBE, {"topic": "INVENTORY_LEVELS_UPDATE", "uri": receiver.url})
    products = httpx.get(f"{live.base_url}/sandbox/shops/{SHOP}/products", params={"limit": 12}).json()["products"]
    tracked = [p for p in products if p["stock"][0]["tracked"]][:2]
    for product in tracked:  # give both enough stock, then one order takes one of each
        level = product["stock"][0]
        httpx.put(
            f"{live.base_url}/sandbox/shops/{SHOP}/inventory",
            json={
                "inventory_item_id": level["inventory_item_id"],
                "location_id": level["location_id"],
                "available": level["available"] + 100,
            },
        )
    receiver.wait_for(lambda got: len(got) >= 2)
    lines = [{"variantId": p["variants"][0]["admin_graphql_api_id"], "quantity": 1} for p in tracked]
    create = "mutation($lines: [OrderCreateLineItemInput!]) { orderCreate(order: {lineItems: $lines}, options: {inventoryBehaviour: DECREMENT_IGNORING_POLICY}) { userErrors { message } } }"
    assert live.graphql(create, {"lines": lines})["data"]["orderCreate"]["userErrors"] == []
    got = receiver.wait_for(lambda got: len(got) >= 4)
    emitted = [p["variants"][0]["inventory_item_id"] for p in tracked]
    delivered = [json.loads(r["body"])["inventory_item_id"] for r in got[2:]]
    assert delivered == list(reversed(emitted))


def test_a_failing_address_does_not_hold_up_the_others(live_sandbox, receiver):
    live = live_sandbox(webhook_retry_seconds=30)
    dead = f"http://127.0.0.1:{free_port()}/gone"
    for uri in (dead, receiver.url):
        live.graphql(SUBSCRIBE, {"topic": "PRODUCTS_UPDATE", "uri": uri})
    product = first_product(live)
    httpx.patch(f"{live.base_url}/sandbox/shops/{SHOP}/products/{product['id']}", json={"title": "First"})
    httpx.patch(f"{live.base_url}/sandbox/shops/{SHOP}/products/{product['id']}", json={"title": "Second"})
    got = receiver.wait_for(lambda got: len(got) >= 2)
    assert [json.loads(r["body"])["title"] for r in got] == ["First", "Second"]
    log = httpx.get(f"{live.base_url}/sandbox/webhooks/deliveries").json()["deliveries"]
    to_dead = [d for d in log if d["uri"] == dead]
    assert len(to_dead) == 2 and all(d["attempts"] == 1 and not d["delivered"] for d in to_dead)
