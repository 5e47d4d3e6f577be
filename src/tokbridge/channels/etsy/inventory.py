"""Etsy's inventory as `updateListingInventory` takes it back: it replaces the whole inventory, so a stock
write sends every product, property value, price, processing profile and `*_on_property` list exactly as
read, and changes only the quantities it must.

Quantities are shared where the listing says so: when a property is not in `quantity_on_property`, the
products that differ only by that property hold one quantity (Etsy refuses an inventory whose quantities
disagree with its `*_on_property` lists). Setting one variant's stock sets its whole group.
"""

from __future__ import annotations

from decimal import Decimal

from tokbridge.channels.etsy.mapping import live_offering, live_products, variant_ids


def find(listing_id: int, inventory: dict, variant_external_id: str) -> int | None:
    """The index, among the live products, of the product a variant id names; None when gone."""
    ids = variant_ids(listing_id, live_products(inventory))
    return ids.index(variant_external_id) if variant_external_id in ids else None


def group(inventory: dict, index: int) -> list[int]:
    """The live products that share product `index`'s quantity (itself included)."""
    products = live_products(inventory)
    on = set(inventory.get("quantity_on_property") or [])

    def key(product: dict) -> tuple:
        return tuple(
            sorted(
                (v.get("property_id"), tuple(v.get("value_ids") or ()), tuple(v.get("values") or ()))
                for v in product.get("property_values") or []
                if v.get("property_id") in on
            )
        )

    wanted = key(products[index])
    return [i for i, product in enumerate(products) if key(product) == wanted]


def quantity(inventory: dict, index: int) -> int:
    """The quantity of product `index` as the catalog reports it (a disabled offering sells none)."""
    offering = live_offering(live_products(inventory)[index]) or {}
    return int(offering.get("quantity") or 0) if offering.get("is_enabled", True) else 0


def _price(money: dict | None) -> float:
    if not money:
        return 0.0
    return float(Decimal(int(money.get("amount") or 0)) / Decimal(int(money.get("divisor") or 1)))


def _value(value: dict) -> dict:
    written = {
        "property_id": value["property_id"],
        "value_ids": list(value.get("value_ids") or []),
        "values": list(value.get("values") or []),
    }
    if value.get("property_name") is not None:
        written["property_name"] = value["property_name"]
    if value.get("scale_id") is not None:
        written["scale_id"] = value["scale_id"]
    return written


def writable(inventory: dict, quantities: dict[int, int] | None = None) -> dict:
    """The body of `updateListingInventory` that keeps `inventory` as read, but for `quantities`
    ({live product index: new quantity}, applied to every live offering of that product)."""
    quantities = quantities or {}
    products = []
    for index, product in enumerate(live_products(inventory)):
        offerings = []
        for offering in product.get("offerings") or []:
            if offering.get("is_deleted"):
                continue
            offerings.append(
                {
                    "price": _price(offering.get("price")),
                    "quantity": quantities.get(index, int(offering.get("quantity") or 0)),
                    "is_enabled": bool(offering.get("is_enabled", True)),
                    "readiness_state_id": offering.get("readiness_state_id"),
                }
            )
        products.append(
            {
                "sku": product.get("sku") or "",
                "property_values": [_value(v) for v in product.get("property_values") or []],
                "offerings": offerings,
            }
        )
    body: dict = {"products": products}
    for name in ("price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property"):
        body[name] = list(inventory.get(name) or [])
    return body


def comparable(body: dict) -> list[tuple]:
    """What a re-read must show after writing `body` (an `updateListingInventory` body), product by product,
    without Etsy's new ids: SKU, property values, and each offering's quantity and whether it is enabled."""
    return [
        (
            product.get("sku") or "",
            tuple(
                (v.get("property_id"), tuple(v.get("value_ids") or ()), tuple(v.get("values") or ()))
                for v in product.get("property_values") or []
            ),
            tuple((o["quantity"], o["is_enabled"]) for o in product["offerings"]),
        )
        for product in body["products"]
    ]
