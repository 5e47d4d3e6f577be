"""Shopify's webhooks as neutral store events: the signature (the app's client secret, during a rotation the
previous one too), the envelope, and what each topic means for TokBridge.

Shopify retries anything but a 2xx for days, so a signed webhook is always accepted at intake; a body
that lacks what its processing needs fails for good when translated (`PermanentError`, in words).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from tokbridge.channels import base
from tokbridge.channels.base import StoreEvent, WebhookDelivery
from tokbridge.channels.shopify import webhooks
from tokbridge.channels.shopify.mapping import parse_time
from tokbridge.channels.shopify.settings import get_shopify_settings
from tokbridge.config import Settings
from tokbridge.kit.errors import PermanentError

log = logging.getLogger(__name__)

GID_FIELD = "admin_graphql_api_id"
# What a topic's processing needs from the body: (what the notification is, what it must name, where).
NEEDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "products/create": ("new product", "product id", (GID_FIELD, "id")),
    "products/update": ("product update", "product id", (GID_FIELD, "id")),
    "products/delete": ("product deletion", "product id", (GID_FIELD, "id")),
    "inventory_levels/update": ("stock update", "inventory item id", ("inventory_item_id",)),
    "orders/cancelled": ("order cancellation", "order id", (GID_FIELD, "id")),
    "fulfillments/create": ("fulfilment", "order id", ("order_id",)),
    "fulfillments/update": ("fulfilment update", "order id", ("order_id",)),
}


def _is_shopify_id(value) -> bool:
    if isinstance(value, str) and value.startswith("gid://shopify/"):
        value = value.rsplit("/", 1)[-1]
    if isinstance(value, int) and not isinstance(value, bool):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20


def _check(topic: str, body: dict) -> None:
    """PermanentError when the body lacks the id its processing needs: retrying cannot bring it."""
    if topic not in NEEDS:
        return
    notification, needed, fields = NEEDS[topic]
    # The translation reads the first of these fields that is set; that one has to be an id.
    value = next((body.get(name) for name in fields if body.get(name)), None)
    if not _is_shopify_id(value):
        raise PermanentError(f"Shopify's {notification} notification has no {needed}; it cannot be processed.")


def _gid(kind: str, body: dict, key: str = "id") -> str:
    value = body.get(GID_FIELD) if key == "id" else None
    return value or f"gid://shopify/{kind}/{body[key]}"


def _product_changed(body: dict) -> list[StoreEvent]:
    return [StoreEvent(base.PRODUCT_CHANGED, _gid("Product", body), {"updated_at": parse_time(body.get("updated_at"))})]


def _product_deleted(body: dict) -> list[StoreEvent]:
    return [StoreEvent(base.PRODUCT_DELETED, _gid("Product", body))]


def _stock_changed(body: dict) -> list[StoreEvent]:
    # The inventory item's id as the catalog stream gives it (a gid), so the catalog finds its variant.
    return [StoreEvent(base.STOCK_CHANGED, _gid("InventoryItem", body, key="inventory_item_id"))]


def _order_cancelled(body: dict) -> list[StoreEvent]:
    reason = (
        base.CANCELLED_BY_BUYER if (body.get("cancel_reason") or "").lower() == "customer" else base.CANCELLED_OTHERWISE
    )
    return [StoreEvent(base.ORDER_CANCELLED, _gid("Order", body), {"reason": reason})]


def _fulfilment(body: dict) -> list[StoreEvent]:
    return [
        StoreEvent(
            base.ORDER_FULFILLED,
            _gid("Order", body, "order_id"),
            {"fulfilment_id": str(body["id"]) if body.get("id") is not None else None},
        )
    ]


def _uninstalled(body: dict) -> list[StoreEvent]:
    return [StoreEvent(base.DISCONNECTED)]


def _subscription_updated(body: dict) -> list[StoreEvent]:
    """A charge for TokBridge changed at Shopify: approved without coming back, or the plan's charge ended."""
    gid = str((body.get("app_subscription") or {}).get(GID_FIELD) or "")
    charge_id = gid.rsplit("/", 1)[-1]
    if not charge_id.isdigit():
        log.warning("app_subscriptions/update without a subscription id; ignored")
        return []
    return [StoreEvent(base.CHARGE_CHANGED, charge_id)]


def _privacy(request: str, orders_field: str | None) -> Callable[[dict], list[StoreEvent]]:
    def translate(body: dict) -> list[StoreEvent]:
        # Only ids go on: the request itself must not spread the customer's contact details.
        data = {
            "request": request,
            "customer_id": str((body.get("customer") or {}).get("id", "")),
            "orders": [str(order) for order in body.get(orders_field) or []] if orders_field else [],
        }
        return [StoreEvent(base.PRIVACY_REQUEST, data=data)]

    return translate


TOPICS: dict[str, Callable[[dict], list[StoreEvent]]] = {
    "products/create": _product_changed,
    "products/update": _product_changed,
    "products/delete": _product_deleted,
    "inventory_levels/update": _stock_changed,
    "orders/cancelled": _order_cancelled,
    "fulfillments/create": _fulfilment,
    "fulfillments/update": _fulfilment,
    "app/uninstalled": _uninstalled,
    "app_subscriptions/update": _subscription_updated,
    "customers/data_request": _privacy(base.PRIVACY_CUSTOMER_DATA, "orders_requested"),
    "customers/redact": _privacy(base.PRIVACY_CUSTOMER_ERASURE, "orders_to_redact"),
    "shop/redact": _privacy(base.PRIVACY_STORE_ERASURE, None),
}


class ShopifyEvents:
    def verify(self, settings: Settings, headers: Mapping[str, str], body: bytes) -> bool:
        return webhooks.verify_request(body, headers, get_shopify_settings().secrets)

    def open(self, headers: Mapping[str, str], body: bytes) -> WebhookDelivery:
        try:
            envelope = webhooks.parse(body, headers)
        except webhooks.InvalidWebhook as exc:
            raise base.InvalidDelivery(str(exc)) from exc
        return WebhookDelivery(
            account=envelope.shop_domain, topic=envelope.topic, key=envelope.dedup_key or None, payload=envelope.payload
        )

    def translate(self, topic: str, payload: dict) -> list[StoreEvent]:
        meaning = TOPICS.get(topic)
        if meaning is None:
            return []  # bulk_operations/finish and the like: the jobs poll for those
        _check(topic, payload)
        return meaning(payload)


EVENTS = ShopifyEvents()
