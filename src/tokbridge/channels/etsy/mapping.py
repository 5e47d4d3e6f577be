"""Etsy listings and their inventory as the neutral records of `tokbridge.channels.base`.

Variants: an Etsy listing's inventory is a list of products (one per combination of up to three
variations, custom properties included), each with its offering (price, quantity, enabled, processing
profile). Etsy gives products and offerings new ids on every inventory update, so a variant's external id
is built from what stays: the listing and the SKU, or, where the SKU is missing or shared by several
products of the listing, the property values too. Such an id names the same variant across reads and
stock writes; the plugin reads it back, the domain never does.

A variant without a SKU cannot be matched to a TikTok order or kept in step: it has no inventory item
(`inventory_item_external_id` None, `inventory_tracked` False) and `without_sku` says why in words.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from decimal import Decimal

from tokbridge.channels.base import InventoryLevel, Product, ProductImage, ProductOption, ProductVariant

# Etsy's listing states, kept as the product's status: only "active" listings are listed on TikTok;
# the others are imported so the merchant sees them ("Inactive", "Sold out", "Draft", "Expired").
STATES = ("active", "inactive", "sold_out", "draft", "expired")
GRAMS_PER = {"g": Decimal(1), "kg": Decimal(1000), "oz": Decimal("28.349523125"), "lb": Decimal("453.59237")}


def live_products(inventory: dict | None) -> list[dict]:
    return [p for p in (inventory or {}).get("products") or [] if not p.get("is_deleted")]


def live_offering(product: dict) -> dict | None:
    offerings = [o for o in product.get("offerings") or [] if not o.get("is_deleted")]
    return offerings[0] if offerings else None


def _value_key(value: dict) -> str:
    ids = value.get("value_ids") or []
    shown = ",".join(str(i) for i in ids) if ids else ",".join(value.get("values") or [])
    return f"{value.get('property_id')}={shown}"


def variant_ids(listing_id: int | str, products: list[dict]) -> list[str]:
    """Each product's stable external id, in the inventory's order (see the module's docstring)."""
    skus = [(p.get("sku") or "").strip() for p in products]
    ids = []
    for product, sku in zip(products, skus, strict=True):
        values = ";".join(_value_key(v) for v in product.get("property_values") or [])
        if sku and skus.count(sku) == 1:
            ids.append(f"{listing_id}/sku/{sku}")
        elif sku:
            ids.append(f"{listing_id}/sku/{sku}/{values}")
        else:
            ids.append(f"{listing_id}/values/{values}")
    return ids


def listing_of(variant_external_id: str) -> int | None:
    """The listing a variant id (`variant_ids`) belongs to; None when it is not one of ours."""
    head, _, _rest = variant_external_id.partition("/")
    return int(head) if head.isdigit() else None


def price(money: dict | None) -> str:
    """Etsy's Money (amount / divisor) as a decimal string with the divisor's places: 1999/100 -> "19.99"."""
    if not money:
        return "0"
    amount, divisor = Decimal(int(money.get("amount") or 0)), int(money.get("divisor") or 1)
    places = len(str(divisor)) - 1
    if divisor == 10**places:
        return format(amount.scaleb(-places), "f")
    return format((amount / Decimal(divisor)).normalize(), "f")


def grams(weight, unit: str | None) -> str | None:
    if weight in (None, "") or not unit or unit not in GRAMS_PER:
        return None
    value = Decimal(str(weight)) * GRAMS_PER[unit]
    if value <= 0:
        return None
    return format(value.normalize(), "f")


def when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


def description_html(text: str | None) -> str:
    """Etsy's plain-text description as HTML paragraphs (its line breaks kept)."""
    paragraphs = [p for p in (text or "").replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def options(products: list[dict]) -> list[ProductOption]:
    """The listing's variations (up to three), each with its values in the inventory's order."""
    found: dict[int, ProductOption] = {}
    for product in products:
        for value in product.get("property_values") or []:
            property_id = int(value.get("property_id") or 0)
            option = found.get(property_id)
            if option is None:
                option = found[property_id] = ProductOption(
                    name=value.get("property_name") or f"Option {len(found) + 1}",
                    position=len(found) + 1,
                    values=[],
                    external_id=str(property_id),
                )
            shown = ", ".join(value.get("values") or [])
            if shown and shown not in option.values:
                option.values.append(shown)
    return list(found.values())


def product(listing: dict, inventory: dict | None, shop_id: int | str) -> Product:
    """A listing with its images and inventory: options, variants (prices, SKUs, the shop's stock)."""
    listing_id = listing["listing_id"]
    products = live_products(inventory)
    record = Product(
        external_id=str(listing_id),
        title=listing.get("title") or "",
        status=str(listing["state"]) if listing.get("state") in STATES else "inactive",
        description_html=description_html(listing.get("description")),
        handle=None,
        tags=list(listing.get("tags") or []),
        updated_at=when(listing.get("updated_timestamp") or listing.get("last_modified_timestamp")),
        options=options(products),
    )
    images = sorted(
        listing.get("images") or [], key=lambda image: (image.get("rank") or 0, image.get("listing_image_id") or 0)
    )
    for position, image in enumerate(images, start=1):
        url = image.get("url_fullxfull") or image.get("url_570xN")
        if url:
            record.images.append(
                ProductImage(
                    external_id=str(image["listing_image_id"]),
                    url=url,
                    position=position,
                    alt_text=image.get("alt_text") or None,
                )
            )
    weight = grams(listing.get("item_weight"), listing.get("item_weight_unit"))
    fallback_price = price(listing.get("price"))
    for position, (item, external_id) in enumerate(
        zip(products, variant_ids(listing_id, products), strict=True), start=1
    ):
        offering = live_offering(item) or {}
        values: dict[str, str] = {}
        for value in item.get("property_values") or []:
            values[value.get("property_name") or f"Option {len(values) + 1}"] = ", ".join(value.get("values") or [])
        sku = (item.get("sku") or "").strip() or None
        available = int(offering.get("quantity") or 0) if offering.get("is_enabled", True) else 0
        record.variants.append(
            ProductVariant(
                external_id=external_id,
                title=" / ".join(values.values()) or record.title,
                position=position,
                price=price(offering.get("price")) if offering.get("price") else fallback_price,
                sku=sku,
                option_values=values,
                weight_grams=weight,
                inventory_item_external_id=external_id if sku else None,
                inventory_tracked=sku is not None,
                inventory_levels=[InventoryLevel(location_external_id=str(shop_id), available=available)],
            )
        )
    return record


def without_sku(record: Product) -> dict[str, str]:
    """The variants TokBridge cannot keep in step, by external id, each with why in words."""
    reasons = {}
    for variant in record.variants:
        if variant.sku is None:
            name = f'"{variant.title}"' if variant.title and variant.title != record.title else "its only variant"
            reasons[variant.external_id] = (
                f'"{record.title}": {name} has no SKU in Etsy, so TokBridge cannot match its TikTok orders or keep '
                "its stock in step. Give it a SKU in Etsy (the listing's Inventory and pricing section)."
            )
    return reasons
