"""The Admin GraphQL schema (`schema_sdl.py`) with its resolvers attached.

Resolvers live by subject: `catalog_fields`, `order_fields`, `write_fields`, `billing_fields`; what they
share is in `resolving`. They receive the request's `RequestContext` as `info.context`.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLSchema, build_schema

from . import billing, ids
from .billing_fields import (
    APP_INSTALLATION_FIELDS,
    APP_SUBSCRIPTION_FIELDS,
    resolve_app_subscription_cancel,
    resolve_app_subscription_create,
    resolve_current_app_installation,
)
from .catalog_fields import (
    IMAGE_FIELDS,
    INVENTORY_ITEM_FIELDS,
    LEVEL_FIELDS,
    LOCATION_FIELDS,
    MEDIA_FIELDS,
    OPTION_FIELDS,
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    media_image,
    resolve_collections,
    resolve_inventory_item,
    resolve_inventory_level,
    resolve_location,
    resolve_locations,
    resolve_product,
    resolve_product_variant,
    resolve_product_variants,
    resolve_products,
    resolve_products_count,
    resolve_shop,
)
from .clock import iso
from .models import (
    AppSubscription,
    BulkOperation,
    Collection,
    Fulfillment,
    FulfillmentOrder,
    Location,
    Metafield,
    Order,
    Product,
    ProductOption,
    Variant,
    WebhookSubscription,
)
from .order_fields import (
    FO_LINE_FIELDS,
    FULFILLMENT_FIELDS,
    FULFILLMENT_ORDER_FIELDS,
    LINE_ITEM_FIELDS,
    ORDER_FIELDS,
    REFUND_FIELDS,
    REFUND_LINE_FIELDS,
    resolve_fulfillment,
    resolve_fulfillment_order,
    resolve_order,
    resolve_orders,
)
from .resolving import invalid_id, parse_id
from .schema_sdl import SDL
from .store import ShopStore
from .views import FulfillmentOrderLineItemView, InventoryItemView, LevelView, LineItemView, MediaImageView
from .write_fields import (
    BULK_FIELDS,
    WEBHOOK_FIELDS,
    adjustment_changes,
    resolve_bulk_cancel,
    resolve_bulk_operations,
    resolve_bulk_run_query,
    resolve_current_bulk_operation,
    resolve_inventory_adjust_quantities,
    resolve_inventory_set_quantities,
    resolve_job,
    resolve_order_cancel,
    resolve_order_create,
    resolve_refund_create,
    resolve_webhook_create,
    resolve_webhook_delete,
    resolve_webhook_subscriptions,
)


def load_node(info, gid_value: str):
    parsed = ids.parse_gid(gid_value)
    if parsed is None:
        raise invalid_id(gid_value)
    type_name, number = parsed
    store: ShopStore = info.context.store
    loaders = {
        "Product": lambda: store.product_by_id(number),
        "ProductVariant": lambda: (lambda f: f[1] if f else None)(store.variant(number)),
        "InventoryItem": lambda: (lambda f: InventoryItemView(*f) if f else None)(store.inventory_item(number)),
        "Location": lambda: store.location(number),
        "Collection": lambda: store.collection(number),
        "Order": lambda: store.order(number),
        "FulfillmentOrder": lambda: store.fulfillment_order(number),
        "Fulfillment": lambda: store.fulfillment(number),
        "BulkOperation": lambda: store.bulk_operations.get(number),
        "WebhookSubscription": lambda: store.webhook_subscriptions.get(number),
        "MediaImage": lambda: media_image(store, number),
        "AppSubscription": lambda: billing.find(store, number),
    }
    loader = loaders.get(type_name)
    return loader() if loader else None


TYPE_NAMES = {
    Product: "Product",
    Variant: "ProductVariant",
    InventoryItemView: "InventoryItem",
    Location: "Location",
    Collection: "Collection",
    Order: "Order",
    FulfillmentOrder: "FulfillmentOrder",
    Fulfillment: "Fulfillment",
    BulkOperation: "BulkOperation",
    WebhookSubscription: "WebhookSubscription",
    MediaImageView: "MediaImage",
    Metafield: "Metafield",
    ProductOption: "ProductOption",
    LevelView: "InventoryLevel",
    LineItemView: "LineItem",
    FulfillmentOrderLineItemView: "FulfillmentOrderLineItem",
    AppSubscription: "AppSubscription",
}


def resolve_type(value, _info, _type):
    return TYPE_NAMES.get(type(value))


# ---- schema assembly ----------------------------------------------------------------------------
RESOLVERS: dict[str, dict[str, Any]] = {
    "QueryRoot": {
        "shop": resolve_shop,
        "node": lambda _root, info, id: load_node(info, id),
        "nodes": lambda _root, info, ids: [load_node(info, i) for i in ids],
        "product": resolve_product,
        "products": resolve_products,
        "productsCount": resolve_products_count,
        "productVariant": resolve_product_variant,
        "productVariants": resolve_product_variants,
        "inventoryItem": resolve_inventory_item,
        "inventoryLevel": resolve_inventory_level,
        "location": resolve_location,
        "locations": resolve_locations,
        "collections": resolve_collections,
        "order": resolve_order,
        "orders": resolve_orders,
        "fulfillmentOrder": resolve_fulfillment_order,
        "fulfillment": resolve_fulfillment,
        "bulkOperation": lambda _root, info, id: info.context.store.bulk_operations.get(
            parse_id(id, "BulkOperation") or -1
        ),
        "currentBulkOperation": resolve_current_bulk_operation,
        "bulkOperations": resolve_bulk_operations,
        "job": resolve_job,
        "webhookSubscription": lambda _root, info, id: info.context.store.webhook_subscriptions.get(
            parse_id(id, "WebhookSubscription") or -1
        ),
        "webhookSubscriptions": resolve_webhook_subscriptions,
        "currentAppInstallation": resolve_current_app_installation,
    },
    "Mutation": {
        "inventorySetQuantities": resolve_inventory_set_quantities,
        "inventoryAdjustQuantities": resolve_inventory_adjust_quantities,
        "orderCreate": resolve_order_create,
        "orderCancel": resolve_order_cancel,
        "refundCreate": resolve_refund_create,
        "bulkOperationRunQuery": resolve_bulk_run_query,
        "bulkOperationCancel": resolve_bulk_cancel,
        "webhookSubscriptionCreate": resolve_webhook_create,
        "webhookSubscriptionDelete": resolve_webhook_delete,
        "appSubscriptionCreate": resolve_app_subscription_create,
        "appSubscriptionCancel": resolve_app_subscription_cancel,
    },
    "Product": PRODUCT_FIELDS,
    "ProductOption": OPTION_FIELDS,
    "ProductVariant": VARIANT_FIELDS,
    "InventoryItem": INVENTORY_ITEM_FIELDS,
    "InventoryLevel": LEVEL_FIELDS,
    "Location": LOCATION_FIELDS,
    "MediaImage": MEDIA_FIELDS,
    "Image": IMAGE_FIELDS,
    "Order": ORDER_FIELDS,
    "LineItem": LINE_ITEM_FIELDS,
    "FulfillmentOrder": FULFILLMENT_ORDER_FIELDS,
    "FulfillmentOrderLineItem": FO_LINE_FIELDS,
    "Fulfillment": FULFILLMENT_FIELDS,
    "Refund": REFUND_FIELDS,
    "RefundLineItem": REFUND_LINE_FIELDS,
    "BulkOperation": BULK_FIELDS,
    "WebhookSubscription": WEBHOOK_FIELDS,
    "AppSubscription": APP_SUBSCRIPTION_FIELDS,
    "AppInstallation": APP_INSTALLATION_FIELDS,
    "InventoryAdjustmentGroup": {"changes": adjustment_changes},
    "Job": {"query": lambda job, info: {}},
}


def _serialize_datetime(value):
    return iso(value) if isinstance(value, (int, float)) else value


def build_admin_schema() -> GraphQLSchema:
    schema = build_schema(SDL)
    for type_name, fields in RESOLVERS.items():
        graphql_type = schema.get_type(type_name)
        for field_name, resolver in fields.items():
            graphql_type.fields[field_name].resolve = resolver
    for interface in ("Node", "Media"):
        schema.get_type(interface).resolve_type = resolve_type
    # Only recurring pricing is imitated (see billing.py).
    schema.get_type("AppPricingDetails").resolve_type = lambda _value, _info, _type: "AppRecurringPricing"
    date_time = schema.get_type("DateTime")
    date_time.coerce_output_value = date_time.serialize = _serialize_datetime
    return schema
