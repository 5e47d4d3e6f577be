"""Resolvers for the shop, products, variants, media, inventory and locations."""

from __future__ import annotations

import re

from graphql import GraphQLError

from . import ids, search
from .clock import iso
from .models import Product, Variant
from .pagination import list_source
from .resolving import by_id, image_url, invalid_id, page, parse_id, require_scope
from .store import ShopStore
from .views import ImageView, InventoryItemView, LevelView, MediaImageView


def resolve_shop(_root, info):
    store = info.context.store
    return {
        "id": ids.gid("Shop", store.id),
        "name": store.name,
        "email": f"owner@{store.domain}",
        "myshopifyDomain": store.domain,
        "currencyCode": store.currency,
        "ianaTimezone": "America/New_York",
        "plan": {"displayName": "Basic", "partnerDevelopment": True, "shopifyPlus": False},
        "primaryDomain": {"host": store.domain, "url": f"https://{store.domain}"},
    }


PRODUCT_SEARCH_FIELDS = {
    "updated_at",
    "created_at",
    "status",
    "id",
    "vendor",
    "product_type",
    "tag",
    "title",
    "handle",
    "sku",
}


def product_matcher(info, query: str | None):
    store: ShopStore = info.context.store
    terms, words = search.parse(query)
    found = search.warnings(terms, PRODUCT_SEARCH_FIELDS)
    if found:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": [info.field_name], "query": query, "warnings": found}
        ]
    cheap = {
        "updated_at": store.product_updated_at,
        "created_at": store.product_created_at,
        "status": store.product_status,
        "id": lambda index: ids.product_id(index),
    }
    costly = {
        "vendor": lambda p: p.vendor,
        "product_type": lambda p: p.product_type,
        "tag": lambda p: p.tags,
        "title": lambda p: p.title,
        "handle": lambda p: p.handle,
        "sku": lambda p: [v.sku for v in p.variants],
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
    value = {
        "UPDATED_AT": lambda p: iso(p.updated_at),
        "CREATED_AT": lambda p: iso(p.created_at),
        "TITLE": lambda p: p.title,
    }[sort_key]
    chosen = (matches(i) for i in store.product_indexes())
    return list_source((p for p in chosen if p is not None), key=lambda p: (value(p), p.id))


VARIANT_SEARCH_FIELDS = {"sku", "barcode", "product_id", "updated_at", "title", "id"}


def resolve_product_variants(_root, info, query=None, **args):
    """Every product's variants in id order, e.g. `query: "sku:ABC-1"` to match a SKU."""
    require_scope(info, "read_products")
    store: ShopStore = info.context.store
    terms, _words = search.parse(query)
    warned = search.warnings(terms, VARIANT_SEARCH_FIELDS)
    if warned:
        info.context.search_warnings = (info.context.search_warnings or []) + [
            {"path": [info.field_name], "query": query, "warnings": warned}
        ]
    match = search.matcher(
        terms,
        {
            "sku": lambda v: v.sku,
            "barcode": lambda v: v.barcode or "",
            "title": lambda v: v.title,
            "product_id": lambda v: v.product_id,
            "updated_at": lambda v: v.updated_at,
            "id": lambda v: v.id,
        },
    )

    def scan(after, descending):
        # Variant ids grow with the product index, so walking products in order walks variants in order.
        if descending:
            last = ids.split_variant_id(after[-1])[0] if after else store.product_index_limit - 1
            indexes = range(min(last, store.product_index_limit - 1), -1, -1)
        else:
            first = ids.split_variant_id(after[-1])[0] if after else 0
            indexes = range(max(first, 0), store.product_index_limit)
        for index in indexes:
            product = store.product(index)
            if product is None:
                continue
            for variant in reversed(product.variants) if descending else product.variants:
                beyond = after is None or (variant.id < after[-1] if descending else variant.id > after[-1])
                if beyond and match(variant):
                    yield (variant.id,), variant

    return page(scan, args)


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
    chosen = [
        m
        for m in product.metafields
        if (namespace is None or m.namespace == namespace) and (not keys or f"{m.namespace}.{m.key}" in keys)
    ]
    return page(list_source(chosen, by_id), args)


def product_metafield(product: Product, info, key, namespace=None):
    if namespace is None and "." in key:
        namespace, key = key.split(".", 1)
    return next(
        (m for m in product.metafields if m.key == key and (namespace is None or m.namespace == namespace)), None
    )


def product_total_inventory(product: Product, info):
    store = info.context.store
    return sum(
        store.available(v.inventory_item_id, loc) for v in product.variants if v.tracked for loc in product.location_ids
    )


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
    "optionValues": lambda o, info: [
        {"id": ids.gid("ProductOptionValue", o.id * 64 + n), "name": v, "hasVariants": True}
        for n, v in enumerate(o.values)
    ],
}


def variant_product(variant: Variant, info) -> Product:
    return info.context.store.product_by_id(variant.product_id)


VARIANT_FIELDS = {
    "displayName": lambda v, info: f"{variant_product(v, info).title} - {v.title}",
    "sku": lambda v, info: v.sku,
    "availableForSale": lambda v, info: (
        variant_product(v, info).status == "ACTIVE"
        and (not v.tracked or v.inventory_policy == "CONTINUE" or VARIANT_FIELDS["inventoryQuantity"](v, info) > 0)
    ),
    "inventoryQuantity": lambda v, info: sum(
        info.context.store.available(v.inventory_item_id, loc) for loc in variant_product(v, info).location_ids
    ),
    "selectedOptions": lambda v, info: [
        {"name": o.name, "value": value} for o, value in zip(variant_product(v, info).options, v.option_values)
    ],
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
    "measurement": lambda i, info: {
        "id": ids.gid("InventoryItemMeasurement", i.variant.inventory_item_id),
        "weight": {"value": float(i.variant.weight_grams), "unit": "GRAMS"},
    },
    "unitCost": lambda i, info: None,
    "variant": lambda i, info: i.variant,
    "createdAt": lambda i, info: i.variant.created_at,
    "updatedAt": lambda i, info: i.variant.updated_at,
    "inventoryLevels": item_levels,
    "inventoryLevel": item_level,
}


QUANTITY_NAMES = {
    "available",
    "committed",
    "damaged",
    "incoming",
    "on_hand",
    "quality_control",
    "reserved",
    "safety_stock",
    "unavailable",
}


def level_quantities(level: LevelView, info, names):
    unknown = [name for name in names if name not in QUANTITY_NAMES]
    if unknown:
        raise GraphQLError(
            f"The quantity name '{unknown[0]}' is not valid. Valid names: {', '.join(sorted(QUANTITY_NAMES))}."
        )
    store = info.context.store
    item_id, location_id = level.variant.inventory_item_id, level.location.id
    updated = store.level_updated_at(item_id, location_id, level.variant.updated_at)  # DateTime formats it
    return [
        {
            "id": f"gid://shopify/InventoryQuantity/{location_id}?inventory_item_id={item_id}&name={name}",
            "name": name,
            "quantity": store.quantity(item_id, location_id, name),
            "updatedAt": updated,
        }
        for name in names
    ]


LEVEL_FIELDS = {
    "item": lambda l, info: InventoryItemView(l.product, l.variant),
    "quantities": level_quantities,
    "createdAt": lambda l, info: l.variant.created_at,
    "updatedAt": lambda l, info: info.context.store.level_updated_at(
        l.variant.inventory_item_id, l.location.id, l.variant.updated_at
    ),
    "canDeactivate": lambda l, info: len(l.product.location_ids) > 1,
}
LOCATION_FIELDS = {
    "fulfillsOnlineOrders": lambda l, info: True,
    "shipsInventory": lambda l, info: True,
    "address": lambda l, info: {
        "address1": "1 Commerce Way",
        "city": l.city,
        "countryCode": l.country_code,
        "zip": l.zip,
        "formatted": ["1 Commerce Way", f"{l.city} {l.zip}", l.country_code],
    },
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


def media_image(store: ShopStore, media_id: int) -> MediaImageView | None:
    product = store.product(ids.split_media_id(media_id)[0])
    if product is None:
        return None
    return next((MediaImageView(image, product) for image in product.images if image.id == media_id), None)
