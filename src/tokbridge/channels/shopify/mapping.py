"""Shopify GraphQL nodes to the neutral records of `tokbridge.channels.base`.

The records are neutral: weights in grams whatever unit the merchant chose in Shopify, and no
"Title: Default Title" option (Shopify's stand-in for a product without variants).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation

from tokbridge.channels.base import InventoryLevel, Product, ProductImage, ProductOption, ProductVariant
from tokbridge.channels.shopify.queries import LEVEL_ALIAS_PREFIX


def product(node: dict) -> Product:
    """A product node; children included when the node carries them (paginated reads)."""
    record = Product(
        external_id=node["id"],
        title=node.get("title") or "",
        status=str(node.get("status") or "ACTIVE").lower(),
        description_html=node.get("descriptionHtml") or "",
        vendor=node.get("vendor") or None,
        product_type=node.get("productType") or None,
        handle=node.get("handle"),
        tags=list(node.get("tags") or []),
        updated_at=parse_time(node.get("updatedAt")),
        options=[
            ProductOption(
                name=o.get("name") or "",
                position=i,
                values=[v.get("name", "") for v in (o.get("optionValues") or [])],
                external_id=o.get("id"),
            )
            for i, o in enumerate(node.get("options") or [], start=1)
            if not _is_placeholder_option(o)
        ],
    )
    for position, media in enumerate(_nodes(node.get("media")), start=1):
        image = image_of(media, position)
        if image is not None:
            record.images.append(image)
    for position, variant_node in enumerate(_nodes(node.get("variants")), start=1):
        record.variants.append(variant(variant_node, position))
    return record


def variant(node: dict, position: int) -> ProductVariant:
    item = node.get("inventoryItem") or {}
    measurement = item.get("measurement")
    weight = measurement.get("weight") if measurement else None
    record = ProductVariant(
        external_id=node["id"],
        title=node.get("title") or "",
        position=node.get("position") or position,
        price=str(node.get("price") or "0"),
        sku=node.get("sku") or None,
        barcode=node.get("barcode") or None,
        compare_at_price=_money(node.get("compareAtPrice")),
        option_values={
            o["name"]: o["value"]
            for o in node.get("selectedOptions") or ()
            if (o["name"], o["value"]) != PLACEHOLDER_OPTION
        },
        weight_grams=grams(weight.get("value"), weight.get("unit")) if weight else None,
        inventory_item_external_id=item.get("id"),
        inventory_tracked=item.get("tracked", True) is not False,
    )
    levels = record.inventory_levels
    for key, value in item.items():
        # Bulk reads ask for each location's level by alias (see queries.bulk_catalog_query);
        # a null one means the item is not stocked there.
        if key.startswith(LEVEL_ALIAS_PREFIX):
            if value:
                levels.append(level(value))
        elif key == "inventoryLevels":
            levels.extend(level(n) for n in _nodes(value))
    return record


def image_of(node: dict, position: int) -> ProductImage | None:
    image = node.get("image")
    if not image or not image.get("url"):
        return None  # videos and 3D models are not images
    return ProductImage(external_id=node["id"], url=image["url"], position=position, alt_text=image.get("altText"))


def level(node: dict) -> InventoryLevel:
    available = 0
    for quantity in node.get("quantities") or ():
        if quantity["name"] == "available":
            available = quantity["quantity"] or 0
    return InventoryLevel(location_external_id=node["location"]["id"], available=int(available))


# Shopify's WeightUnit values.
GRAMS_PER = {
    "GRAMS": Decimal(1),
    "KILOGRAMS": Decimal(1000),
    "OUNCES": Decimal("28.349523125"),
    "POUNDS": Decimal("453.59237"),
}
# What Shopify gives a product without variants: one option with one value.
PLACEHOLDER_OPTION = ("Title", "Default Title")


def grams(value, unit: str | None) -> str | None:
    """A weight in grams as a decimal string ("250", "226.796185"); None when unknown."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value)) * GRAMS_PER[(unit or "KILOGRAMS").upper()]
    except (InvalidOperation, KeyError):
        return None
    return format(amount.normalize(), "f")


def _is_placeholder_option(node: dict) -> bool:
    values = [v.get("name") for v in (node.get("optionValues") or [])]
    return (node.get("name"), values) == (PLACEHOLDER_OPTION[0], [PLACEHOLDER_OPTION[1]])


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _nodes(connection: dict | None) -> list[dict]:
    if not connection:
        return []
    if "nodes" in connection:
        return connection["nodes"] or []
    return [edge["node"] for edge in connection.get("edges") or []]


def _money(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):  # MoneyV2
        return str(value.get("amount"))
    return str(value)
