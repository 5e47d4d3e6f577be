"""Shopify's webhooks as neutral store events: the plugin checks the signature with its own secret, opens
the envelope, and says what each topic means, with nothing of Shopify's ids left for the domain to parse."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tokbridge.channels import base, registry
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.config import get_settings
from tokbridge.kit.errors import PermanentError
from tokbridge_sandboxes.shopify import sign_body

SECRET = "events-test-secret"
SHOP = "events-test.myshopify.com"


@pytest.fixture
def events(monkeypatch):
    monkeypatch.setenv("SHOPIFY_CLIENT_SECRET", SECRET)
    get_shopify_settings.cache_clear()
    yield registry.plugin("shopify").events
    get_shopify_settings.cache_clear()


def _headers(body: bytes, topic: str, secret: str = SECRET, **extra) -> dict[str, str]:
    return {
        "X-Shopify-Hmac-Sha256": sign_body(secret, body),
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": SHOP,
        **extra,
    }


def test_only_a_body_signed_with_the_apps_secret_is_verified(events):
    body = json.dumps({"id": 1}).encode()
    assert events.verify(get_settings(), _headers(body, "products/update"), body)
    assert not events.verify(get_settings(), _headers(body, "products/update", secret="another"), body)
    assert not events.verify(get_settings(), _headers(body, "products/update"), body + b" ")
    assert not events.verify(get_settings(), {"X-Shopify-Topic": "products/update"}, body)


def test_the_envelope_names_the_account_topic_and_event(events):
    body = json.dumps({"id": 1}).encode()
    delivery = events.open(_headers(body, "Products/Update", **{"X-Shopify-Event-Id": "ev-1"}), body)
    assert (delivery.account, delivery.topic, delivery.key, delivery.payload) == (
        SHOP,
        "products/update",
        "ev-1",
        {"id": 1},
    )
    assert events.open(_headers(body, "products/update"), body).key is None  # the inbox digests the body
    with pytest.raises(base.InvalidDelivery):
        events.open({"X-Shopify-Topic": "products/update"}, body)
    with pytest.raises(base.InvalidDelivery):
        events.open(_headers(b"[1]", "products/update"), b"[1]")


def test_each_topic_becomes_a_neutral_event(events):
    def one(topic: str, payload: dict) -> base.StoreEvent:
        [event] = events.translate(topic, payload)
        return event

    changed = one("products/update", {"id": 7, "updated_at": "2026-12-06T10:00:00Z"})
    assert (changed.kind, changed.subject_external_id) == (base.PRODUCT_CHANGED, "gid://shopify/Product/7")
    assert changed.data["updated_at"] == datetime(2026, 12, 6, 10, tzinfo=UTC)
    assert one("products/delete", {"id": 7}).kind == base.PRODUCT_DELETED
    # The inventory item as the catalog stream names it, so the catalog finds its variant.
    assert (
        one("inventory_levels/update", {"inventory_item_id": 9}).subject_external_id == "gid://shopify/InventoryItem/9"
    )
    fulfilled = one("fulfillments/create", {"id": 5, "order_id": 42})
    assert (fulfilled.kind, fulfilled.subject_external_id, fulfilled.data) == (
        base.ORDER_FULFILLED,
        "gid://shopify/Order/42",
        {"fulfilment_id": "5"},
    )
    cancelled = one("orders/cancelled", {"id": 42, "cancel_reason": "customer"})
    assert (cancelled.kind, cancelled.data["reason"]) == (base.ORDER_CANCELLED, base.CANCELLED_BY_BUYER)
    assert one("orders/cancelled", {"id": 42, "cancel_reason": "inventory"}).data["reason"] == base.CANCELLED_OTHERWISE
    assert one("app/uninstalled", {}).kind == base.DISCONNECTED
    charge = one(
        "app_subscriptions/update", {"app_subscription": {"admin_graphql_api_id": "gid://shopify/AppSubscription/123"}}
    )
    assert (charge.kind, charge.subject_external_id) == (base.CHARGE_CHANGED, "123")
    request = one("customers/data_request", {"customer": {"id": 3, "email": "a@b.c"}, "orders_requested": [1001]})
    assert (request.kind, request.data) == (
        base.PRIVACY_REQUEST,
        {"request": base.PRIVACY_CUSTOMER_DATA, "customer_id": "3", "orders": ["1001"]},
    )
    assert one("shop/redact", {}).data["request"] == base.PRIVACY_STORE_ERASURE
    assert events.translate("bulk_operations/finish", {}) == []
    with pytest.raises(PermanentError, match="order cancellation notification has no order id"):
        events.translate("orders/cancelled", {"cancel_reason": "customer"})
