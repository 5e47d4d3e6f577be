"""Resolvers for the Admin GraphQL schema in `schema_sdl.py`.

Fields not listed here resolve by name: `descriptionHtml` reads `description_html`, `id` reads
the object's GID. Resolvers receive the request's `RequestContext` as `info.context`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLSchema, build_schema
from graphql.execution.values import get_directive_values

from . import ids, search
from .clock import iso
from .models import (
    BulkOperation, Collection, Fulfillment, FulfillmentOrder, Job, Location, Metafield, Order, Product,
    ProductOption, Variant, WebhookSubscription,
)
from .pagination import CursorError, connection, list_source
from .schema_sdl import SDL
from .store import ShopStore, StoreError, money
from .views import FulfillmentOrderLineItemView, ImageView, InventoryItemView, LevelView, LineItemView, MediaImageView

if TYPE_CHECKING:
    from .sandbox import Sandbox

# Version from which inventory writes need `changeFromQuantity` and an @idempotent key.
IDEMPOTENCY_REQUIRED_FROM = "2026-04"
INVENTORY_REASONS = {
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
    "movement_received", "movement_canceled", "other", "promotion", "quality_control", "received",
    "reservation_created", "reservation_deleted", "reservation_updated", "restock", "safety_stock", "shrinkage",
}
WEBHOOK_TOPICS = {
    "APP_UNINSTALLED": "app/uninstalled", "BULK_OPERATIONS_FINISH": "bulk_operations/finish",
    "PRODUCTS_CREATE": "products/create", "PRODUCTS_UPDATE": "products/update", "PRODUCTS_DELETE": "products/delete",
    "INVENTORY_LEVELS_UPDATE": "inventory_levels/update", "ORDERS_CREATE": "orders/create",
    "ORDERS_CANCELLED": "orders/cancelled", "FULFILLMENTS_CREATE": "fulfillments/create",
    "FULFILLMENTS_UPDATE": "fulfillments/update",
}


@dataclass
class RequestContext:
    sandbox: Sandbox
    store: ShopStore
    base_url: str
    api_version: str
    scopes: frozenset[str]
    search_warnings: list[dict] | None = None


def version_at_least(version: str, minimum: str) -> bool:
    return version == "unstable" or version >= minimum


# ---- helpers ------------------------------------------------------------------------------------
@lru_cache(maxsize=512)
def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def default_resolver(source: Any, info, **_args) -> Any:
    name = info.field_name
    if isinstance(source, dict):
        return source.get(name)
    if name == "id":
        return source.gid
    if name == "legacyResourceId":
        return str(source.id)
    return getattr(source, snake(name), None)


def bag(amount: str | Decimal, currency: str) -> dict:
    value = {"amount": money(amount), "currencyCode": currency}
    return {"shopMoney": value, "presentmentMoney": value}


def require_scope(info, *accepted: str) -> None:
    """Shopify answers a field the token may not read with ACCESS_DENIED and null data."""
    scopes = info.context.scopes
    for scope in accepted:
        if scope in scopes or scope.replace("read_", "write_") in scopes:
            return
    required = " or ".join(f"`{s}`" for s in accepted)
    raise GraphQLError(
        f"Access denied for {info.field_name} field. Required access: {required} access scope.",
        extensions={"code": "ACCESS_DENIED", "documentation": "https://shopify.dev/api/usage/access-scopes",
                    "requiredAccess": f"{required} access scope."},
    )


def parse_id(value: str, type_name: str) -> int | None:
    parsed = ids.parse_gid(value, type_name)
    return parsed[1] if parsed else None


def invalid_id(value: str) -> GraphQLError:
    return GraphQLError(f"Invalid global id '{value}'", extensions={"code": "argumentLiteralsIncompatible"})


def page(source, args: dict, default_size: int | None = None) -> dict:
    try:
        return connection(source, args.get("first"), args.get("after"), args.get("last"), args.get("before"),
                          bool(args.get("reverse")), default_size)
    except CursorError as exc:
        raise GraphQLError(str(exc)) from exc


def by_id(item) -> tuple:
    return (item.id,)


def image_url(info, image) -> str:
    return f"{info.context.base_url}/cdn/shop/files/{info.context.store.domain}/{image.id}.png?v={int(image.width)}"


# ---- shop and catalog ---------------------------------------------------------------------------
def resolve_shop(_root, info):
    store = info.context.store
    return {
        "id": ids.gid("Shop", store.id), "name": store.name, "email": f"owner@{store.domain}",
        "myshopifyDomain": store.domain, "currencyCode": store.currency, "ianaTimezone": "America/New_York",
        "plan": {"displayName": "Basic", "partnerDevelopment": True, "shopifyPlus": False},
        "primaryDomain": {"host": store.domain, "url": f"https://{store.domain}"},
    }


PRODUCT_SEARCH_FIELDS = {"updated_at", "created_at", "status", "id", "vendor", "product_type", "tag", "title", "handle", "sku"}


def product_matcher(info, query: str | None):
    store: ShopStore = info.context.store
    terms, words = search.parse(query)
    found = search.warnings(terms, PRODUCT_SEARCH_FIELDS)
    if found:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": [info.field_name], "query": query, "warnings": found}]
    cheap = {
        "updated_at": store.product_updated_at, "created_at": store.product_created_at,
        "status": store.product_status, "id": lambda index: ids.product_id(index),
    }
    costly = {
        "vendor": lambda p: p.vendor, "product_type": lambda p: p.product_type, "tag": lambda p: p.tags,
        "title": lambda p: p.title, "handle": lambda p: p.handle, "sku": lambda p: [v.sku for v in p.variants],
    }
    cheap_match = search.matcher(terms, cheap)
    costly_match = search.matcher(terms, costly)
    needs_product = any(t.field in costly for t in terms) or bool(words)

    def matches(index: int) -> Product | None:
        if not cheap_match(index):
            return None
        product = store.product(index)
        if product is None or (needs_product and not costly_match(product)):
            return None
        if words and not all(w.lower() in product.title.lower() for w in words):
            return None
        return product

    return matches


def product_source(info, query: str | None, sort_key: str):
    store: ShopStore = info.context.store
    matches = product_matcher(info, query)
    if sort_key in (None, "ID"):
        def scan(after, descending):
            if descending:
                start = (ids.product_index(after[-1]) - 1) if after else store.product_index_limit - 1
                indexes = range(start, -1, -1)
            else:
                start = (ids.product_index(after[-1]) + 1) if after else 0
                indexes = range(max(start, 0), store.product_index_limit)
            for index in indexes:
                if store.exists(index):
                    product = matches(index)
                    if product is not None:
                        yield (product.id,), product
        return scan
    value = {"UPDATED_AT": lambda p: iso(p.updated_at), "CREATED_AT": lambda p: iso(p.created_at),
             "TITLE": lambda p: p.title}[sort_key]
    chosen = (matches(i) for i in store.product_indexes())
    return list_source((p for p in chosen if p is not None), key=lambda p: (value(p), p.id))


def resolve_products(_root, info, **args):
    require_scope(info, "read_products")
    return page(product_source(info, args.get("query"), args.get("sortKey")), args)


def resolve_products_count(_root, info, query=None, limit=10000):
    require_scope(info, "read_products")
    matches = product_matcher(info, query)
    store = info.context.store
    count = 0
    for index in store.product_indexes():
        if matches(index) is not None:
            count += 1
            if limit is not None and count > limit:
                return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


def resolve_product(_root, info, id):
    require_scope(info, "read_products")
    number = parse_id(id, "Product")
    return info.context.store.product_by_id(number) if number is not None else None


def resolve_product_variant(_root, info, id):
    require_scope(info, "read_products")
    number = parse_id(id, "ProductVariant")
    found = info.context.store.variant(number) if number is not None else None
    return found[1] if found else None


def resolve_inventory_item(_root, info, id):
    require_scope(info, "read_inventory", "read_products")
    number = parse_id(id, "InventoryItem")
    found = info.context.store.inventory_item(number) if number is not None else None
    return InventoryItemView(*found) if found else None


def resolve_inventory_level(_root, info, id):
    """`gid://shopify/InventoryLevel/<location>?inventory_item_id=<item>`, the form InventoryLevel.id takes."""
    require_scope(info, "read_inventory")
    match = re.fullmatch(r"gid://shopify/InventoryLevel/(\d+)\?inventory_item_id=(\d+)", id)
    if match is None:
        raise invalid_id(id)
    location_id, item_id = int(match.group(1)), int(match.group(2))
    store: ShopStore = info.context.store
    found = store.inventory_item(item_id)
    if found is None or location_id not in found[0].location_ids:
        return None
    return LevelView(found[0], found[1], store.location(location_id))


def resolve_locations(_root, info, **args):
    require_scope(info, "read_locations", "read_inventory")
    return page(list_source(info.context.store.catalog.locations, by_id), args)


def resolve_location(_root, info, id=None):
    require_scope(info, "read_locations", "read_inventory")
    store = info.context.store
    if id is None:
        return store.catalog.locations[0]
    number = parse_id(id, "Location")
    return store.location(number) if number is not None else None


def resolve_collections(_root, info, **args):
    require_scope(info, "read_products")
    return page(list_source(info.context.store.catalog.collections, by_id), args)


# Product
def product_variants(product: Product, info, **args):
    return page(list_source(product.variants, lambda v: (v.position,)), args)


def product_media(product: Product, info, **args):
    return page(list_source([MediaImageView(i, product) for i in product.images], lambda m: (m.image.position,)), args)


def product_images(product: Product, info, **args):
    return page(list_source([ImageView(i, product) for i in product.images], lambda m: (m.image.position,)), args)


def product_collections(product: Product, info, **args):
    store = info.context.store
    return page(list_source([store.collection(c) for c in product.collection_ids], by_id), args)


def product_metafields(product: Product, info, namespace=None, keys=None, **args):
    chosen = [m for m in product.metafields if (namespace is None or m.namespace == namespace)
              and (not keys or f"{m.namespace}.{m.key}" in keys)]
    return page(list_source(chosen, by_id), args)


def product_metafield(product: Product, info, key, namespace=None):
    if namespace is None and "." in key:
        namespace, key = key.split(".", 1)
    return next((m for m in product.metafields if m.key == key and (namespace is None or m.namespace == namespace)), None)


def product_total_inventory(product: Product, info):
    store = info.context.store
    return sum(store.available(v.inventory_item_id, loc) for v in product.variants if v.tracked for loc in product.location_ids)


PRODUCT_FIELDS = {
    "description": lambda p, info: re.sub(r"<[^>]+>", " ", p.description_html).strip(),
    "publishedAt": lambda p, info: p.created_at if p.status == "ACTIVE" else None,
    "totalInventory": product_total_inventory,
    "tracksInventory": lambda p, info: any(v.tracked for v in p.variants),
    "hasOnlyDefaultVariant": lambda p, info: len(p.variants) == 1 and p.variants[0].title == "Default Title",
    "options": lambda p, info, first=None: p.options[:first] if first is not None else p.options,
    "variants": product_variants,
    "variantsCount": lambda p, info: {"count": len(p.variants), "precision": "EXACT"},
    "media": product_media,
    "images": product_images,
    "featuredMedia": lambda p, info: MediaImageView(p.images[0], p) if p.images else None,
    "featuredImage": lambda p, info: ImageView(p.images[0], p) if p.images else None,
    "collections": product_collections,
    "metafields": product_metafields,
    "metafield": product_metafield,
}
OPTION_FIELDS = {
    "optionValues": lambda o, info: [{"id": ids.gid("ProductOptionValue", o.id * 64 + n), "name": v, "hasVariants": True}
                                     for n, v in enumerate(o.values)],
}


def variant_product(variant: Variant, info) -> Product:
    return info.context.store.product_by_id(variant.product_id)


VARIANT_FIELDS = {
    "displayName": lambda v, info: f"{variant_product(v, info).title} - {v.title}",
    "sku": lambda v, info: v.sku,
    "availableForSale": lambda v, info: variant_product(v, info).status == "ACTIVE" and (
        not v.tracked or v.inventory_policy == "CONTINUE" or VARIANT_FIELDS["inventoryQuantity"](v, info) > 0),
    "inventoryQuantity": lambda v, info: sum(info.context.store.available(v.inventory_item_id, loc)
                                             for loc in variant_product(v, info).location_ids),
    "selectedOptions": lambda v, info: [{"name": o.name, "value": value}
                                        for o, value in zip(variant_product(v, info).options, v.option_values)],
    "inventoryItem": lambda v, info: InventoryItemView(variant_product(v, info), v),
    "product": variant_product,
    "image": lambda v, info: variant_image(v, info),
}


def variant_image(variant: Variant, info) -> ImageView | None:
    """The catalog pairs variants with the product's images in turn."""
    product = variant_product(variant, info)
    if not product.images:
        return None
    return ImageView(product.images[(variant.position - 1) % len(product.images)], product)


def item_levels(item: InventoryItemView, info, **args):
    store = info.context.store
    levels = [LevelView(item.product, item.variant, store.location(loc)) for loc in item.product.location_ids]
    return page(list_source(levels, lambda level: (level.location.id,)), args)


def item_level(item: InventoryItemView, info, locationId):
    number = parse_id(locationId, "Location")
    if number is None or number not in item.product.location_ids:
        return None
    return LevelView(item.product, item.variant, info.context.store.location(number))


INVENTORY_ITEM_FIELDS = {
    "legacyResourceId": lambda i, info: str(i.variant.inventory_item_id),
    "sku": lambda i, info: i.variant.sku,
    "tracked": lambda i, info: i.variant.tracked,
    "requiresShipping": lambda i, info: i.variant.requires_shipping,
    "measurement": lambda i, info: {"id": ids.gid("InventoryItemMeasurement", i.variant.inventory_item_id),
                                    "weight": {"value": float(i.variant.weight_grams), "unit": "GRAMS"}},
    "unitCost": lambda i, info: None,
    "variant": lambda i, info: i.variant,
    "createdAt": lambda i, info: i.variant.created_at,
    "updatedAt": lambda i, info: i.variant.updated_at,
    "inventoryLevels": item_levels,
    "inventoryLevel": item_level,
}


QUANTITY_NAMES = {"available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved",
                  "safety_stock", "unavailable"}


def level_quantities(level: LevelView, info, names):
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(f"The quantity name '{unknown[0]}' is not valid. Valid names: {', '.join(sorted(QUANTITY_NAMES))}.")
    store = info.context.store
    item_id, location_id = level.variant.inventory_item_id, level.location.id
    updated = store.level_updated_at(item_id, location_id, level.variant.updated_at)  # DateTime formats it
    return [{"id": f"gid://shopify/InventoryQuantity/{location_id}?inventory_item_id={item_id}&name={name}",
             "name": name, "quantity": store.quantity(item_id, location_id, name), "updatedAt": updated} for name in names]


LEVEL_FIELDS = {
    "item": lambda l, info: InventoryItemView(l.product, l.variant),
    "quantities": level_quantities,
    "createdAt": lambda l, info: l.variant.created_at,
    "updatedAt": lambda l, info: info.context.store.level_updated_at(l.variant.inventory_item_id, l.location.id, l.variant.updated_at),
    "canDeactivate": lambda l, info: len(l.product.location_ids) > 1,
}
LOCATION_FIELDS = {
    "fulfillsOnlineOrders": lambda l, info: True,
    "shipsInventory": lambda l, info: True,
    "address": lambda l, info: {"address1": "1 Commerce Way", "city": l.city, "countryCode": l.country_code,
                                "zip": l.zip, "formatted": ["1 Commerce Way", f"{l.city} {l.zip}", l.country_code]},
}
MEDIA_FIELDS = {
    "alt": lambda m, info: m.image.alt,
    "mediaContentType": lambda m, info: "IMAGE",
    "status": lambda m, info: "READY",
    "mimeType": lambda m, info: "image/png",
    "image": lambda m, info: ImageView(m.image, m.product),
    "preview": lambda m, info: {"image": ImageView(m.image, m.product), "status": "READY"},
}
IMAGE_FIELDS = {
    "url": lambda i, info: image_url(info, i.image),
    "altText": lambda i, info: i.image.alt,
    "width": lambda i, info: i.image.width,
    "height": lambda i, info: i.image.height,
}


# ---- orders -------------------------------------------------------------------------------------
ORDER_SEARCH_FIELDS = {"updated_at", "created_at", "processed_at", "name", "source_name", "source_identifier",
                       "tag", "status", "financial_status", "fulfillment_status", "id"}


def resolve_orders(_root, info, **args):
    require_scope(info, "read_orders")
    store = info.context.store
    terms, _words = search.parse(args.get("query"))
    warned = search.warnings(terms, ORDER_SEARCH_FIELDS)
    if warned:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": ["orders"], "query": args.get("query"), "warnings": warned}]
    match = search.matcher(terms, {
        "updated_at": lambda o: o.updated_at, "created_at": lambda o: o.created_at,
        "processed_at": lambda o: o.processed_at, "name": lambda o: [o.name, str(o.number)],
        "source_name": lambda o: o.source_name or "", "source_identifier": lambda o: o.source_identifier or "",
        "tag": lambda o: o.tags, "id": lambda o: o.id,
        "status": lambda o: "cancelled" if o.cancelled_at else ("closed" if o.closed_at else "open"),
        "financial_status": lambda o: o.financial_status.lower(),
        "fulfillment_status": lambda o: order_fulfillment_status(o, info).lower(),
    })
    key = {"ID": lambda o: (o.id,), "CREATED_AT": lambda o: (iso(o.created_at), o.id),
           "UPDATED_AT": lambda o: (iso(o.updated_at), o.id), "PROCESSED_AT": lambda o: (iso(o.processed_at), o.id),
           "ORDER_NUMBER": lambda o: (o.number, o.id)}[args.get("sortKey") or "PROCESSED_AT"]
    with store.lock:
        chosen = [o for o in store.orders.values() if match(o)]
    return page(list_source(chosen, key), args)


def resolve_order(_root, info, id):
    require_scope(info, "read_orders")
    number = parse_id(id, "Order")
    return info.context.store.order(number) if number is not None else None


def order_fulfillment_status(order: Order, info) -> str:
    shipped = sum(li.fulfilled_quantity for li in order.line_items)
    if shipped == 0:
        return "UNFULFILLED"
    return "FULFILLED" if shipped >= sum(li.quantity for li in order.line_items) else "PARTIALLY_FULFILLED"


def order_totals(order: Order) -> dict[str, Decimal]:
    subtotal = sum((Decimal(li.price) * li.quantity for li in order.line_items), Decimal(0)) - Decimal(order.total_discounts)
    shipping = sum((Decimal(s.price) for s in order.shipping_lines), Decimal(0))
    tax = sum((Decimal(t.amount) for li in order.line_items for t in li.tax_lines), Decimal(0))
    tax += sum((Decimal(t.amount) for s in order.shipping_lines for t in s.tax_lines), Decimal(0))
    tax += sum((Decimal(t.amount) for t in order.tax_lines), Decimal(0))
    total = subtotal + shipping + (Decimal(0) if order.taxes_included else tax)
    return {"subtotal": subtotal, "shipping": shipping, "tax": tax, "total": total}


def tax_line(tax, currency: str) -> dict:
    return {"title": tax.title, "rate": tax.rate, "ratePercentage": tax.rate * 100 if tax.rate is not None else None,
            "priceSet": bag(tax.amount, currency)}


def order_fulfillment_orders(order: Order, info, **args):
    require_scope(info, "read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
                  "read_third_party_fulfillment_orders", "read_marketplace_fulfillment_orders")
    return page(list_source(order.fulfillment_orders, by_id), args)


ORDER_FIELDS = {
    "closed": lambda o, info: o.closed_at is not None,
    "customAttributes": lambda o, info: [{"key": k, "value": v} for k, v in o.custom_attributes],
    "currencyCode": lambda o, info: o.currency,
    "displayFinancialStatus": lambda o, info: o.financial_status,
    "displayFulfillmentStatus": order_fulfillment_status,
    "subtotalPriceSet": lambda o, info: bag(order_totals(o)["subtotal"], o.currency),
    "totalPriceSet": lambda o, info: bag(order_totals(o)["total"], o.currency),
    "totalTaxSet": lambda o, info: bag(order_totals(o)["tax"], o.currency),
    "totalShippingPriceSet": lambda o, info: bag(order_totals(o)["shipping"], o.currency),
    "totalDiscountsSet": lambda o, info: bag(o.total_discounts, o.currency),
    "taxLines": lambda o, info: [tax_line(t, o.currency) for t in o.tax_lines],
    "shippingAddress": lambda o, info: _address(o.shipping_address),
    "billingAddress": lambda o, info: _address(o.billing_address),
    "lineItems": lambda o, info, **args: page(list_source([LineItemView(li, o) for li in o.line_items], lambda v: (v.line.id,)), args),
    "shippingLines": lambda o, info, includeRemovals=False, **args: page(list_source(
        [{"id": s.gid, "title": s.title, "code": s.code, "source": s.source, "originalPriceSet": bag(s.price, o.currency),
          "taxLines": [tax_line(t, o.currency) for t in s.tax_lines], "_key": s.id} for s in o.shipping_lines],
        lambda s: (s["_key"],)), args),
    "fulfillmentOrders": lambda o, info, displayable=False, query=None, **args: order_fulfillment_orders(o, info, **args),
    "fulfillments": lambda o, info, first=None: o.fulfillments[:first] if first is not None else o.fulfillments,
}


def _address(address: dict | None) -> dict | None:
    if not address:
        return None
    result = dict(address)
    result["name"] = " ".join(filter(None, [address.get("firstName"), address.get("lastName")])) or None
    result["countryCodeV2"] = address.get("countryCode")
    return result


def line_variant(view: LineItemView, info) -> Variant | None:
    """None once the variant is deleted, as Shopify answers for old orders."""
    found = info.context.store.variant(view.line.variant_id) if view.line.variant_id else None
    return found[1] if found else None


LINE_ITEM_FIELDS = {
    "id": lambda v, info: v.line.gid,
    "name": lambda v, info: f"{v.line.title} - {v.line.variant_title}" if v.line.variant_title else v.line.title,
    "title": lambda v, info: v.line.title,
    "variantTitle": lambda v, info: v.line.variant_title,
    "sku": lambda v, info: v.line.sku,
    "quantity": lambda v, info: v.line.quantity,
    "currentQuantity": lambda v, info: 0 if v.order.cancelled_at else v.line.quantity,
    "unfulfilledQuantity": lambda v, info: 0 if v.order.cancelled_at else v.line.quantity - v.line.fulfilled_quantity,
    "requiresShipping": lambda v, info: v.line.requires_shipping,
    "restockable": lambda v, info: v.line.variant_id is not None and not v.line.restocked,
    "variant": lambda v, info: line_variant(v, info),
    "product": lambda v, info: info.context.store.product_by_id(v.line.product_id) if v.line.product_id else None,
    "originalUnitPriceSet": lambda v, info: bag(v.line.price, v.order.currency),
    "originalTotalSet": lambda v, info: bag(Decimal(v.line.price) * v.line.quantity, v.order.currency),
    "taxLines": lambda v, info, first=None: [tax_line(t, v.order.currency) for t in v.line.tax_lines][:first],
}


def fo_order(fo: FulfillmentOrder, info) -> Order:
    return info.context.store.order(fo.order_id)


def assigned_location(fo: FulfillmentOrder, info) -> dict:
    location = info.context.store.location(fo.location_id)
    return {"name": location.name, "location": location}


def order_line(order: Order, line_item_id: int):
    return next(line for line in order.line_items if line.id == line_item_id)


FULFILLMENT_ORDER_FIELDS = {
    "orderId": lambda fo, info: ids.gid("Order", fo.order_id),
    "order": fo_order,
    "assignedLocation": lambda fo, info: assigned_location(fo, info),
    "lineItems": lambda fo, info, **args: page(list_source(
        [FulfillmentOrderLineItemView(item, fo_order(fo, info)) for item in fo.line_items], lambda v: (v.item.id,)), args),
    "fulfillments": lambda fo, info, **args: page(list_source(
        [f for f in fo_order(fo, info).fulfillments if f.location_id == fo.location_id], by_id), args),
}
FO_LINE_FIELDS = {
    "id": lambda v, info: v.item.gid,
    "totalQuantity": lambda v, info: v.item.total_quantity,
    "remainingQuantity": lambda v, info: v.item.remaining_quantity,
    "lineItem": lambda v, info: LineItemView(order_line(v.order, v.item.line_item_id), v.order),
    "sku": lambda v, info: order_line(v.order, v.item.line_item_id).sku,
}
def fulfillment_line_items(fulfillment: Fulfillment, info, args: dict) -> dict:
    order = info.context.store.order(fulfillment.order_id)
    items = [{"id": ids.gid("FulfillmentLineItem", line_id), "quantity": quantity, "_key": line_id,
              "lineItem": LineItemView(order_line(order, line_id), order)}
             for line_id, quantity in fulfillment.line_items]
    return page(list_source(items, lambda item: (item["_key"],)), args)


FULFILLMENT_FIELDS = {
    "displayStatus": lambda f, info: "CANCELED" if f.status == "CANCELLED" else "FULFILLED",
    "location": lambda f, info: info.context.store.location(f.location_id),
    "order": lambda f, info: info.context.store.order(f.order_id),
    "trackingInfo": lambda f, info, first=None: [{"company": f.tracking_company, "number": f.tracking_number, "url": f.tracking_url}]
    if (f.tracking_number or f.tracking_company) else [],
    "fulfillmentLineItems": lambda f, info, **args: fulfillment_line_items(f, info, args),
}


def resolve_fulfillment_order(_root, info, id):
    require_scope(info, "read_merchant_managed_fulfillment_orders", "read_assigned_fulfillment_orders",
                  "read_third_party_fulfillment_orders", "read_marketplace_fulfillment_orders")
    number = parse_id(id, "FulfillmentOrder")
    return info.context.store.fulfillment_order(number) if number is not None else None


def resolve_fulfillment(_root, info, id):
    require_scope(info, "read_orders")
    number = parse_id(id, "Fulfillment")
    return info.context.store.fulfillment(number) if number is not None else None


# ---- node ---------------------------------------------------------------------------------------
def media_image(store: ShopStore, media_id: int) -> MediaImageView | None:
    product = store.product(ids.split_media_id(media_id)[0])
    if product is None:
        return None
    return next((MediaImageView(image, product) for image in product.images if image.id == media_id), None)


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
    }
    loader = loaders.get(type_name)
    return loader() if loader else None


TYPE_NAMES = {
    Product: "Product", Variant: "ProductVariant", InventoryItemView: "InventoryItem", Location: "Location",
    Collection: "Collection", Order: "Order", FulfillmentOrder: "FulfillmentOrder", Fulfillment: "Fulfillment",
    BulkOperation: "BulkOperation", WebhookSubscription: "WebhookSubscription", MediaImageView: "MediaImage",
    Metafield: "Metafield", ProductOption: "ProductOption", LevelView: "InventoryLevel",
    LineItemView: "LineItem", FulfillmentOrderLineItemView: "FulfillmentOrderLineItem",
}


def resolve_type(value, _info, _type):
    return TYPE_NAMES.get(type(value))


# ---- bulk operations and jobs -------------------------------------------------------------------
def bulk_url(operation: BulkOperation, info) -> str | None:
    if operation.status != "COMPLETED" or not operation.object_count or not operation.result_token:
        return None
    return f"{info.context.base_url}/sandbox-bulk/{operation.result_token}/bulk-{operation.id}.jsonl"


BULK_FIELDS = {
    "objectCount": lambda b, info: str(b.object_count),
    "rootObjectCount": lambda b, info: str(b.root_object_count),
    "fileSize": lambda b, info: str(b.file_size) if b.file_size is not None else None,
    "url": bulk_url,
    "partialDataUrl": lambda b, info: None,
}


def resolve_current_bulk_operation(_root, info, type="QUERY"):
    operations = [op for op in info.context.store.bulk_operations.values() if op.type == type]
    return max(operations, key=lambda op: op.id) if operations else None


def resolve_bulk_run_query(_root, info, query, groupObjects=False):
    sandbox = info.context.sandbox
    try:
        operation = sandbox.bulk.start(info.context, query)
    except StoreError as exc:
        return {"bulkOperation": None, "userErrors": [{"field": exc.field or ["query"], "message": str(exc), "code": exc.code}]}
    return {"bulkOperation": operation, "userErrors": []}


def resolve_bulk_cancel(_root, info, id):
    store = info.context.store
    number = parse_id(id, "BulkOperation")
    operation = store.bulk_operations.get(number) if number is not None else None
    if operation is None:
        return {"bulkOperation": None, "userErrors": [{"field": ["id"], "message": "Bulk operation does not exist"}]}
    if operation.status not in {"CREATED", "RUNNING"}:
        return {"bulkOperation": operation, "userErrors": [
            {"field": None, "message": f"A bulk operation cannot be canceled when it is {operation.status.lower()}"}]}
    operation.cancel_requested = True
    operation.status = "CANCELING"
    return {"bulkOperation": operation, "userErrors": []}


def resolve_job(_root, info, id):
    job_id = id.rsplit("/", 1)[-1]
    job = info.context.store.jobs.get(job_id)
    return job


# ---- mutations ----------------------------------------------------------------------------------
def idempotency_key(info) -> str | None:
    directive = info.schema.get_directive("idempotent")
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return values["key"] if values else None


def idempotent(info, arguments: dict, run):
    """Replay the first answer for a repeated key; refuse a key reused with other arguments."""
    key = idempotency_key(info)
    store: ShopStore = info.context.store
    if key is None:
        if version_at_least(info.context.api_version, IDEMPOTENCY_REQUIRED_FROM):
            raise GraphQLError(
                f"The @idempotent directive is required for {info.field_name} from API version {IDEMPOTENCY_REQUIRED_FROM}.",
                extensions={"code": "BAD_REQUEST"},
            )
        return run()
    fingerprint = json.dumps(arguments, sort_keys=True, default=str)
    with store.lock:
        previous = store.idempotency.get((info.field_name, key))
        if previous is not None:
            if previous[0] != fingerprint:
                return {"inventoryAdjustmentGroup": None, "userErrors": [{
                    "field": None, "code": "IDEMPOTENCY_KEY_PARAMETER_MISMATCH",
                    "message": "The same idempotency key was used with different parameters."}]}
            return previous[1]
        result = run()
        store.idempotency[(info.field_name, key)] = (fingerprint, result)
        return result


def resolve_inventory_set_quantities(_root, info, input):
    require_scope(info, "write_inventory")
    return idempotent(info, {"input": input}, lambda: set_quantities(info, input))


def set_quantities(info, data: dict) -> dict:
    store: ShopStore = info.context.store
    modern = version_at_least(info.context.api_version, IDEMPOTENCY_REQUIRED_FROM)
    errors: list[dict] = []

    def fail(field: list, message: str, code: str | None) -> None:
        errors.append({"field": ["input", *field], "message": message, "code": code})

    name = data["name"]
    if name not in {"available", "on_hand"}:
        fail(["name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME")
    if data["reason"] not in INVENTORY_REASONS:
        fail(["reason"], "The specified reason is invalid.", "INVALID_REASON")
    reference = data.get("referenceDocumentUri")
    if reference is not None and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$", reference):
        fail(["referenceDocumentUri"], "The reference document URI isn't a valid URI.", "INVALID_REFERENCE_DOCUMENT")
    quantities = data["quantities"]
    if len(quantities) > 250:
        raise GraphQLError("The input array size of 251 is greater than the maximum allowed of 250.",
                           extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"})
    planned: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    with store.lock:
        for position, entry in enumerate(quantities):
            path = ["quantities", str(position)]
            item_id = parse_id(entry["inventoryItemId"], "InventoryItem")
            location_id = parse_id(entry["locationId"], "Location")
            if item_id is None or store.inventory_item(item_id) is None:
                fail(path + ["inventoryItemId"], "The specified inventory item could not be found.", "INVALID_INVENTORY_ITEM")
                continue
            if location_id is None or store.location(location_id) is None:
                fail(path + ["locationId"], "The specified location could not be found.", "INVALID_LOCATION")
                continue
            if not store.is_stocked(item_id, location_id):
                fail(path + ["locationId"], "The specified inventory item is not stocked at the location.", "ITEM_NOT_STOCKED_AT_LOCATION")
                continue
            if (item_id, location_id) in seen:
                fail(path, "The combination of inventoryItemId and locationId must be unique.", "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR")
                continue
            seen.add((item_id, location_id))
            quantity = entry["quantity"]
            if quantity < 0 and name == "on_hand":
                fail(path + ["quantity"], "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE")
                continue
            if quantity > 1_000_000_000:
                fail(path + ["quantity"], "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH")
                continue
            current = store.quantity(item_id, location_id, name if name in {"available", "on_hand"} else "available")
            if modern:
                if "changeFromQuantity" not in entry:
                    fail(path + ["changeFromQuantity"],
                         "changeFromQuantity is required: pass the quantity you expect, or null to skip the check.", None)
                    continue
                expected = entry["changeFromQuantity"]
                if expected is not None and expected != current:
                    fail(path + ["changeFromQuantity"],
                         "The specified compare quantity does not match the current quantity.", "CHANGE_FROM_QUANTITY_STALE")
                    continue
            elif not data.get("ignoreCompareQuantity"):
                if entry.get("compareQuantity") is None:
                    fail(path + ["compareQuantity"], "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", "COMPARE_QUANTITY_REQUIRED")
                    continue
                if entry["compareQuantity"] != current:
                    fail(path + ["compareQuantity"], "The specified compare quantity does not match the current quantity.", "COMPARE_QUANTITY_STALE")
                    continue
            planned.append((item_id, location_id, quantity))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes = []
        for item_id, location_id, quantity in planned:
            delta = store.set_quantity(item_id, location_id, name, quantity)
            item = InventoryItemView(*store.inventory_item(item_id))
            location = store.location(location_id)
            for changed_name in ("available", "on_hand"):
                changes.append({"name": changed_name, "delta": delta, "item": item, "location": location,
                                "quantityAfterChange": None,
                                "ledgerDocumentUri": None if changed_name == "available" else reference})
    group = {"id": ids.gid("InventoryAdjustmentGroup", store.new_id()), "createdAt": store.clock.now(),
             "reason": data["reason"], "referenceDocumentUri": reference, "changes": changes}
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def adjustment_changes(group: dict, info, inventoryItemIds=None, locationIds=None, quantityNames=None):
    return [c for c in group["changes"]
            if (not inventoryItemIds or c["item"].gid in inventoryItemIds)
            and (not locationIds or c["location"].gid in locationIds)
            and (not quantityNames or c["name"] in quantityNames)]


def resolve_order_create(_root, info, order, options=None):
    require_scope(info, "write_orders")
    behaviour = (options or {}).get("inventoryBehaviour") or "BYPASS"
    try:
        created = info.context.store.create_order(order, behaviour)
    except StoreError as exc:
        return {"order": None, "userErrors": [{"field": exc.field, "message": str(exc), "code": exc.code}]}
    return {"order": created, "userErrors": []}


def resolve_order_cancel(_root, info, orderId, reason, restock, refund=None, refundMethod=None, notifyCustomer=False, staffNote=None):
    require_scope(info, "write_orders", "write_marketplace_orders")

    def failure(field, message, code):
        error = {"field": field, "message": message}
        return {"job": None, "orderCancelUserErrors": [{**error, "code": code}], "userErrors": [error]}

    if refund is None and refundMethod is None:
        return failure(["refund"], "Either refund or refundMethod must be provided.", "INVALID")
    number = parse_id(orderId, "Order")
    store: ShopStore = info.context.store
    if number is None or store.order(number) is None:
        return failure(["orderId"], "Order does not exist", "NOT_FOUND")
    try:
        store.cancel_order(number, reason, restock)
    except StoreError as exc:
        return failure(exc.field, str(exc), exc.code)
    # Cancellation is asynchronous at Shopify: the job reports done on the next read.
    job = Job(id=f"{store.new_id()}")
    store.jobs[job.id] = job
    answer = {"job": Job(id=job.id, done=False), "orderCancelUserErrors": [], "userErrors": []}
    job.done = True
    return answer


def resolve_webhook_create(_root, info, topic, webhookSubscription):
    store: ShopStore = info.context.store
    uri = webhookSubscription.get("uri") or webhookSubscription.get("callbackUrl")
    if not uri:
        return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "uri"], "message": "Address can't be blank"}]}
    if not re.match(r"^(https?://|pubsub://|arn:aws:events:)", uri):
        return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address is invalid"}]}
    with store.lock:
        if any(s.topic == topic and s.uri == uri for s in store.webhook_subscriptions.values()):
            return {"webhookSubscription": None, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}]}
        now = store.clock.now()
        subscription = WebhookSubscription(
            id=store.new_id(), topic=topic, uri=uri, format=webhookSubscription.get("format") or "JSON",
            include_fields=list(webhookSubscription.get("includeFields") or []), filter=webhookSubscription.get("filter"),
            api_version=info.context.api_version, created_at=now, updated_at=now,
        )
        store.webhook_subscriptions[subscription.id] = subscription
    return {"webhookSubscription": subscription, "userErrors": []}


def resolve_webhook_delete(_root, info, id):
    store: ShopStore = info.context.store
    number = parse_id(id, "WebhookSubscription")
    with store.lock:
        if number is None or store.webhook_subscriptions.pop(number, None) is None:
            return {"deletedWebhookSubscriptionId": None, "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}
    return {"deletedWebhookSubscriptionId": id, "userErrors": []}


def resolve_webhook_subscriptions(_root, info, topics=None, uri=None, **args):
    chosen = [s for s in info.context.store.webhook_subscriptions.values()
              if (not topics or s.topic in topics) and (uri is None or s.uri == uri)]
    return page(list_source(chosen, by_id), args)


WEBHOOK_FIELDS = {"apiVersion": lambda s, info: {"handle": s.api_version}}


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
        "inventoryItem": resolve_inventory_item,
        "inventoryLevel": resolve_inventory_level,
        "location": resolve_location,
        "locations": resolve_locations,
        "collections": resolve_collections,
        "order": resolve_order,
        "orders": resolve_orders,
        "fulfillmentOrder": resolve_fulfillment_order,
        "fulfillment": resolve_fulfillment,
        "bulkOperation": lambda _root, info, id: info.context.store.bulk_operations.get(parse_id(id, "BulkOperation") or -1),
        "currentBulkOperation": resolve_current_bulk_operation,
        "job": resolve_job,
        "webhookSubscription": lambda _root, info, id: info.context.store.webhook_subscriptions.get(parse_id(id, "WebhookSubscription") or -1),
        "webhookSubscriptions": resolve_webhook_subscriptions,
    },
    "Mutation": {
        "inventorySetQuantities": resolve_inventory_set_quantities,
        "orderCreate": resolve_order_create,
        "orderCancel": resolve_order_cancel,
        "bulkOperationRunQuery": resolve_bulk_run_query,
        "bulkOperationCancel": resolve_bulk_cancel,
        "webhookSubscriptionCreate": resolve_webhook_create,
        "webhookSubscriptionDelete": resolve_webhook_delete,
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
    "BulkOperation": BULK_FIELDS,
    "WebhookSubscription": WEBHOOK_FIELDS,
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
    date_time = schema.get_type("DateTime")
    date_time.coerce_output_value = date_time.serialize = _serialize_datetime
    return schema

