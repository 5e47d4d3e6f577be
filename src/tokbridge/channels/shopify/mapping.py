"""Shopify GraphQL nodes to the neutral records of `tokbridge.channels.base`."""

from __future__ import annotations

from datetime import datetime

from tokbridge.channels.shopify.queries import LEVEL_ALIAS_PREFIX
from tokbridge.channels.base import InventoryLevel, Product, ProductImage, ProductOption, ProductVariant


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
        option_values={o["name"]: o["value"] for o in node.get("selectedOptions") or ()},
        weight=None if not weight or weight.get("value") is None else _decimal_text(weight["value"]),
        weight_unit=weight.get("unit") if weight else None,
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


def _decimal_text(value) -> str:
    text = repr(float(value)) if not isinstance(value, str) else value
    return text[:-2] if text.endswith(".0") else text
