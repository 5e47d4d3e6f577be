"""updateListingInventory's body, checked as Etsy checks it, and turned into a new inventory.

The update replaces the whole inventory; every product and offering gets a new id (SKUs stay as
sent). Refusals are 400s with Etsy's `{"error": "..."}` body; the message says what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .catalog import value_id
from .model import Inventory, Offering, Product

MAX_PRODUCTS = 400  # Etsy caps variation combinations per listing
MAX_SKU_LENGTH = 32
MIN_PRICE = 0.20
MAX_PRICE = 50_000.0
MAX_QUANTITY = 999
MAX_PROPERTY_VALUE_LENGTH = 45
ON_PROPERTY_FIELDS = ("price_on_property", "quantity_on_property", "sku_on_property", "readiness_state_on_property")


class InventoryError(ValueError):
    """A refused update: the message is the `error` Etsy would send."""


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_list(body: dict, name: str) -> list[int]:
    value = body.get(name)
    if value is None:
        return []
    if isinstance(value, str):  # Etsy's docs show comma-separated strings too
        value = [v for v in value.split(",") if v.strip()]
        try:
            value = [int(v) for v in value]
        except ValueError:
            raise InventoryError(f"{name} must be an array of property ids") from None
    if not isinstance(value, list) or not all(_is_int(v) for v in value):
        raise InventoryError(f"{name} must be an array of property ids")
    return value


def parse_update(
    body,
    *,
    max_variations: int,
    readiness_state_ids: set[int],
    next_product_id: Callable[[], int],
    next_offering_id: Callable[[], int],
) -> Inventory:
    if not isinstance(body, dict):
        raise InventoryError("The request body must be a JSON object")
    products = body.get("products")
    if products is None:
        raise InventoryError("Missing required parameter: products")
    if not isinstance(products, list) or not products:
        raise InventoryError("products must be a non-empty array")
    if len(products) > MAX_PRODUCTS:
        raise InventoryError(f"A listing can have at most {MAX_PRODUCTS} products")
    on_property = {name: _int_list(body, name) for name in ON_PROPERTY_FIELDS}

    parsed: list[tuple[str, list[dict], dict]] = []
    property_sets: set[tuple[int, ...]] = set()
    combos: set[tuple] = set()
    for index, product in enumerate(products):
        where = f"products[{index}]"
        if not isinstance(product, dict):
            raise InventoryError(f"{where} must be an object")
        sku = product.get("sku")
        if sku is None:
            sku = ""
        if not isinstance(sku, str):
            raise InventoryError(f"{where}.sku must be a string")
        sku = sku.strip()
        if len(sku) > MAX_SKU_LENGTH:
            raise InventoryError(f"SKU '{sku}' is too long: a SKU can have at most {MAX_SKU_LENGTH} characters")
        values = _property_values(product.get("property_values") or [], where)
        offering = _offering(product.get("offerings"), where, readiness_state_ids)
        ids = tuple(sorted(v["property_id"] for v in values))
        property_sets.add(ids)
        combo = tuple(sorted((v["property_id"], tuple(v["values"])) for v in values))
        if combo in combos:
            raise InventoryError(f"{where} duplicates the property values of another product")
        combos.add(combo)
        parsed.append((sku, values, offering))

    if len(property_sets) > 1:
        raise InventoryError("All products must have values for the same properties")
    properties = list(next(iter(property_sets)))
    if len(properties) > max_variations:
        raise InventoryError(
            f"A listing can have at most {max_variations} variation properties; "
            + ("set max_variations_supported=3 to use a third" if max_variations == 2 else "got more")
        )
    if not properties and len(parsed) > 1:
        raise InventoryError("A listing with more than one product needs property_values on each product")
    for name, ids in on_property.items():
        stray = [i for i in ids if i not in properties]
        if stray:
            raise InventoryError(f"{name} names property {stray[0]}, which no product has values for")

    _check_consistent(parsed, on_property["price_on_property"], lambda o: o["price"], "price", "price_on_property")
    _check_consistent(
        parsed, on_property["quantity_on_property"], lambda o: o["quantity"], "quantity", "quantity_on_property"
    )
    _check_consistent(
        parsed,
        on_property["readiness_state_on_property"],
        lambda o: o["readiness_state_id"],
        "readiness_state_id",
        "readiness_state_on_property",
    )
    _check_consistent(parsed, on_property["sku_on_property"], None, "sku", "sku_on_property")
    if not any(o["is_enabled"] for _s, _v, o in parsed):
        raise InventoryError("At least one offering must be enabled")

    return Inventory(
        products=[
            Product(
                next_product_id(),
                sku,
                values,
                [Offering(next_offering_id(), o["price"], o["quantity"], o["is_enabled"], o["readiness_state_id"])],
            )
            for sku, values, o in parsed
        ],
        **on_property,
    )


def _property_values(values, where: str) -> list[dict]:
    if not isinstance(values, list):
        raise InventoryError(f"{where}.property_values must be an array")
    out = []
    seen = set()
    for n, value in enumerate(values):
        here = f"{where}.property_values[{n}]"
        if not isinstance(value, dict):
            raise InventoryError(f"{here} must be an object")
        for name in ("property_id", "value_ids", "values"):
            if name not in value:
                raise InventoryError(f"Missing required parameter: {here}.{name}")
        property_id = value["property_id"]
        if not _is_int(property_id) or property_id < 1:
            raise InventoryError(f"{here}.property_id must be a positive integer")
        if property_id in seen:
            raise InventoryError(f"{where} has two values for property {property_id}")
        seen.add(property_id)
        names = value["values"]
        if not isinstance(names, list) or len(names) != 1 or not isinstance(names[0], str) or not names[0].strip():
            raise InventoryError(f"{here}.values must hold exactly one non-empty string")
        text = names[0].strip()
        if "(" in text or ")" in text:
            raise InventoryError(f"Property value '{text}' cannot contain parentheses")
        if len(text) > MAX_PROPERTY_VALUE_LENGTH:
            raise InventoryError(f"Property value '{text}' is longer than {MAX_PROPERTY_VALUE_LENGTH} characters")
        value_ids = value["value_ids"]
        if not isinstance(value_ids, list) or not all(_is_int(i) and i >= 1 for i in value_ids) or len(value_ids) > 1:
            raise InventoryError(f"{here}.value_ids must hold at most one positive integer")
        scale_id = value.get("scale_id")
        if scale_id is not None and (not _is_int(scale_id) or scale_id < 1):
            raise InventoryError(f"{here}.scale_id must be a positive integer or null")
        out.append(
            {
                "property_id": property_id,
                "property_name": value.get("property_name") if isinstance(value.get("property_name"), str) else None,
                "scale_id": scale_id,
                "scale_name": None,
                "value_ids": list(value_ids) or [value_id(property_id, text)],
                "values": [text],
            }
        )
    return out


def _offering(offerings, where: str, readiness_state_ids: set[int]) -> dict:
    if not isinstance(offerings, list) or len(offerings) != 1:
        raise InventoryError(f"{where}.offerings must hold exactly one offering")
    offering = offerings[0]
    here = f"{where}.offerings[0]"
    if not isinstance(offering, dict):
        raise InventoryError(f"{here} must be an object")
    for name in ("price", "quantity", "is_enabled", "readiness_state_id"):
        if name not in offering:
            raise InventoryError(f"Missing required parameter: {here}.{name}")
    price = offering["price"]
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price):
        raise InventoryError(f"{here}.price must be a number")
    if not MIN_PRICE <= price <= MAX_PRICE:
        raise InventoryError(f"Price must be between {MIN_PRICE:.2f} and {MAX_PRICE:.2f}")
    quantity = offering["quantity"]
    if not _is_int(quantity):
        raise InventoryError(f"{here}.quantity must be an integer")
    if not 0 <= quantity <= MAX_QUANTITY:
        raise InventoryError(f"Quantity must be between 0 and {MAX_QUANTITY}")
    if not isinstance(offering["is_enabled"], bool):
        raise InventoryError(f"{here}.is_enabled must be a boolean")
    readiness = offering["readiness_state_id"]
    if readiness is None or not _is_int(readiness):
        raise InventoryError(f"{here}.readiness_state_id must be the id of one of the shop's processing profiles")
    if readiness not in readiness_state_ids:
        raise InventoryError(f"readiness_state_id {readiness} is not a processing profile of this shop")
    return {
        "price": round(price * 100),
        "quantity": quantity,
        "is_enabled": offering["is_enabled"],
        "readiness_state_id": readiness,
    }


def _check_consistent(parsed, on_property: list[int], key, what: str, field: str) -> None:
    """Products that share their values on the `on_property` properties must share `what`."""
    seen: dict[tuple, object] = {}
    for sku, values, offering in parsed:
        group = tuple(sorted((v["property_id"], v["values"][0]) for v in values if v["property_id"] in on_property))
        value = sku if key is None else key(offering)
        if group in seen and seen[group] != value:
            if on_property:
                raise InventoryError(
                    f"The {what} of products with the same values for {field} {on_property} must be the same"
                )
            raise InventoryError(f"{field} is empty, so every product must have the same {what}")
        seen.setdefault(group, value)
