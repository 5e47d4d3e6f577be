"""Webhook payloads in the REST shapes Shopify sends (snake_case, numeric ids plus
`admin_graphql_api_id`), also used by the control API to show the store's true state."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import ids
from .clock import iso
from .models import Fulfillment, Order, Product

if TYPE_CHECKING:
    from .store import ShopStore


def product_payload(store: ShopStore, product: Product) -> dict:
    option_names = [o.name for o in product.options]
    return {
        "id": product.id,
        "admin_graphql_api_id": product.gid,
        "title": product.title,
        "body_html": product.description_html,
        "vendor": product.vendor,
        "product_type": product.product_type,
        "handle": product.handle,
        "status": product.status.lower(),
        "tags": ", ".join(product.tags),
        "created_at": rest_time(product.created_at),
        "updated_at": rest_time(product.updated_at),
        "published_at": rest_time(product.created_at) if product.status == "ACTIVE" else None,
        "options": [
            {"id": o.id, "product_id": product.id, "name": o.name, "position": o.position, "values": o.values}
            for o in product.options
        ],
        "variants": [
            {
                "id": v.id,
                "product_id": product.id,
                "admin_graphql_api_id": v.gid,
                "title": v.title,
                "sku": v.sku,
                "price": v.price,
                "compare_at_price": v.compare_at_price,
                "barcode": v.barcode,
                "position": v.position,
                "inventory_policy": v.inventory_policy.lower(),
                "inventory_item_id": v.inventory_item_id,
                "inventory_quantity": sum(store.available(v.inventory_item_id, loc) for loc in product.location_ids),
                "taxable": v.taxable,
                "created_at": rest_time(v.created_at),
                "updated_at": rest_time(v.updated_at),
                **{f"option{i + 1}": (v.option_values[i] if i < len(v.option_values) else None) for i in range(3)},
            }
            for v in product.variants
        ],
        "images": [
            {
                "id": i.id,
                "product_id": product.id,
                "position": i.position,
                "width": i.width,
                "height": i.height,
                "alt": i.alt or None,
                "admin_graphql_api_id": ids.gid("ProductImage", i.id),
            }
            for i in product.images
        ],
        "option_names": option_names,
    }


def order_payload(order: Order) -> dict:
    from .order_fields import order_totals  # the totals as the Admin API computes them

    total = format(order_totals(order)["total"], ".2f")
    buyer_total = (order.presentment_totals or {}).get("total", total)
    return {
        "id": order.id,
        "admin_graphql_api_id": order.gid,
        "name": order.name,
        "order_number": order.number,
        "email": order.email,
        "currency": order.currency,
        "source_name": order.source_name,
        "presentment_currency": order.presentment_currency or order.currency,
        "total_price": total,
        "total_price_set": {
            "shop_money": {"amount": total, "currency_code": order.currency},
            "presentment_money": {"amount": buyer_total, "currency_code": order.presentment_currency or order.currency},
        },
        "source_identifier": order.source_identifier,
        "financial_status": order.financial_status.lower(),
        "fulfillment_status": rest_fulfillment_status(order),
        "cancelled_at": rest_time(order.cancelled_at),
        "cancel_reason": order.cancel_reason.lower() if order.cancel_reason else None,
        "created_at": rest_time(order.created_at),
        "updated_at": rest_time(order.updated_at),
        "tags": ", ".join(order.tags),
        "line_items": [
            {
                "id": li.id,
                "variant_id": li.variant_id,
                "product_id": li.product_id,
                "title": li.title,
                "sku": li.sku,
                "quantity": li.quantity,
                "price": li.price,
                "admin_graphql_api_id": li.gid,
            }
            for li in order.line_items
        ],
    }


def fulfillment_payload(order: Order, fulfillment: Fulfillment) -> dict:
    return {
        "id": fulfillment.id,
        "admin_graphql_api_id": fulfillment.gid,
        "order_id": order.id,
        "name": fulfillment.name,
        "status": fulfillment.status.lower(),
        "location_id": fulfillment.location_id,
        "created_at": rest_time(fulfillment.created_at),
        "updated_at": rest_time(fulfillment.updated_at),
        "tracking_company": fulfillment.tracking_company,
        "tracking_number": fulfillment.tracking_number,
        "tracking_numbers": [fulfillment.tracking_number] if fulfillment.tracking_number else [],
        "tracking_url": fulfillment.tracking_url,
        "tracking_urls": [fulfillment.tracking_url] if fulfillment.tracking_url else [],
        "shipment_status": None,
        "line_items": [{"id": line_id, "quantity": quantity} for line_id, quantity in fulfillment.line_items],
    }


def shop_payload(store: ShopStore) -> dict:
    return {
        "id": store.id,
        "name": store.name,
        "domain": store.domain,
        "myshopify_domain": store.domain,
        "currency": store.currency,
        "email": f"owner@{store.domain}",
    }


def rest_time(ts: float | None) -> str | None:
    return None if ts is None else iso(ts)


def rest_fulfillment_status(order: Order) -> str | None:
    shipped = sum(li.fulfilled_quantity for li in order.line_items)
    if shipped == 0:
        return None
    return "fulfilled" if shipped >= sum(li.quantity for li in order.line_items) else "partial"
