"""PrestaShop records (Webservice JSON, every value a string) to neutral records.

Ids: a product is its `id_product`; a variant, and the inventory item it is stocked as, is
"{id_product}-{id_product_attribute}" (0 for a product without combinations); a location is a shop id.
Prices are what a buyer pays, as Shopify and Etsy give theirs: the tax-excluded `price` plus the
combination's impact, with the tax of the product's tax rule for the shop's country, less a catalog
specific price (a sale: the regular price then goes to `compare_at_price`), rounded to the cent as
PrestaShop shows it. Weights are grams (PrestaShop keeps kilograms, the combination's weight an impact).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from tokbridge.channels.base import InventoryLevel, Product, ProductImage, ProductOption, ProductVariant
from tokbridge.channels.prestashop import times

CENT = Decimal("0.01")


def number(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "", False) else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def money(value: Decimal) -> str:
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def text(value, language_id: str) -> str:
    """A multilingual field in the chosen language: a plain string (`language=` given), or PrestaShop's
    `[{"id": "1", "value": ".."}]` (the chosen language's value, else the first non-empty one)."""
    if isinstance(value, list):
        chosen = [
            entry.get("value")
            for entry in value
            if isinstance(entry, dict) and str(entry.get("id")) == str(language_id)
        ]
        others = [entry.get("value") for entry in value if isinstance(entry, dict)]
        for candidate in chosen + others:
            if candidate:
                return str(candidate)
        return ""
    if value in (None, False):
        return ""
    return str(value)


def ids(associations: dict | None, name: str) -> list[str]:
    rows = (associations or {}).get(name) or []
    return [str(row["id"]) for row in rows if isinstance(row, dict) and row.get("id") not in (None, "")]


def variant_id(product_id: str | int, attribute_id: str | int) -> str:
    return f"{int(product_id)}-{int(attribute_id)}"


def parse_variant_id(external_id: str) -> tuple[int, int] | None:
    product, sep, attribute = external_id.partition("-")
    if not sep or not product.isdigit() or not attribute.isdigit():
        return None
    return int(product), int(attribute)


def grams(kilograms: Decimal) -> str | None:
    if kilograms <= 0:
        return None
    return format((kilograms * 1000).normalize(), "f")


@dataclass
class Sale:
    """A catalog specific price that applies to every buyer now (no cart, customer, group, country)."""

    attribute_id: int  # 0: every combination
    price: Decimal  # a fixed tax-excluded price, or -1 to keep the product's
    reduction: Decimal
    percentage: bool
    reduction_tax_included: bool


@dataclass
class Context:
    """What mapping a page of products needs besides the products: read once per page."""

    address: str
    shop_id: str
    language_id: str
    zone: ZoneInfo
    combinations: dict[str, list[dict]] = field(default_factory=dict)  # id_product -> its combinations
    option_values: dict[str, dict] = field(default_factory=dict)  # id -> row
    options: dict[str, dict] = field(default_factory=dict)  # id -> row
    stock: dict[tuple[str, str], int] = field(default_factory=dict)  # (id_product, id_product_attribute)
    tax_rates: dict[str, Decimal] = field(default_factory=dict)  # id_tax_rules_group -> rate (0.2)
    sales: dict[str, list[Sale]] = field(default_factory=dict)  # id_product -> its sales


def image_url(address: str, product_id: str, image_id: str) -> str:
    return f"{address.rstrip('/')}/api/images/products/{int(product_id)}/{int(image_id)}"


def product(row: dict, context: Context) -> Product:
    product_id = str(row["id"])
    language = context.language_id
    associations = row.get("associations") or {}
    images = [
        ProductImage(
            external_id=f"{product_id}-{image_id}",
            url=image_url(context.address, product_id, image_id),
            position=position,
            alt_text=text(row.get("name"), language) or None,
        )
        for position, image_id in enumerate(ids(associations, "images"), start=1)
    ]
    combinations = sorted(context.combinations.get(product_id, []), key=lambda c: int(c["id"]))
    options = _options(combinations, context)
    rate = context.tax_rates.get(str(row.get("id_tax_rules_group") or "0"), Decimal(0))
    title = text(row.get("name"), language) or f"Product {product_id}"
    if combinations:
        variants = [
            _combination(row, combination, position, options, rate, context)
            for position, combination in enumerate(combinations, start=1)
        ]
    else:
        regular, sale = prices(row, None, rate, context.sales.get(product_id, []))
        variants = [
            ProductVariant(
                external_id=variant_id(product_id, 0),
                title=title,
                position=1,
                price=sale or regular,
                compare_at_price=regular if sale else None,
                sku=str(row.get("reference") or "") or None,
                barcode=str(row.get("ean13") or row.get("upc") or "") or None,
                weight_grams=grams(number(row.get("weight"))),
                inventory_item_external_id=variant_id(product_id, 0),
                inventory_levels=[InventoryLevel(context.shop_id, context.stock.get((product_id, "0"), 0))],
            )
        ]
    manufacturer = row.get("manufacturer_name")
    return Product(
        external_id=product_id,
        title=title,
        status="active" if str(row.get("active")) == "1" else "inactive",
        description_html=text(row.get("description"), language) or text(row.get("description_short"), language),
        vendor=str(manufacturer) if manufacturer else None,
        product_type=None,
        handle=text(row.get("link_rewrite"), language) or None,
        updated_at=updated_at(row, context.zone),
        options=[option for option, _ in options],
        images=images,
        variants=variants,
    )


def updated_at(row: dict, zone: ZoneInfo) -> datetime | None:
    return times.to_utc(row.get("date_upd"), zone)


def _options(combinations: list[dict], context: Context) -> list[tuple[ProductOption, str]]:
    """The product's options in the shop's order (product_options' `position`), with their values in the
    order the combinations first use them; each with its group id."""
    groups: dict[str, list[str]] = {}
    for combination in combinations:
        for value_id in ids(combination.get("associations"), "product_option_values"):
            value = context.option_values.get(value_id)
            if value is None:
                continue
            group = str(value.get("id_attribute_group"))
            name = text(value.get("name"), context.language_id)
            if name and name not in groups.setdefault(group, []):
                groups[group].append(name)
    ordered = sorted(
        groups, key=lambda group: (int(number((context.options.get(group) or {}).get("position"))), int(group))
    )
    found = []
    for position, group in enumerate(ordered, start=1):
        option = context.options.get(group) or {}
        name = (
            text(option.get("public_name"), context.language_id)
            or text(option.get("name"), context.language_id)
            or f"Option {group}"
        )
        found.append((ProductOption(name=name, position=position, values=groups[group], external_id=group), group))
    return found


def _combination(
    row: dict,
    combination: dict,
    position: int,
    options: list[tuple[ProductOption, str]],
    rate: Decimal,
    context: Context,
) -> ProductVariant:
    product_id, attribute_id = str(row["id"]), str(combination["id"])
    chosen: dict[str, str] = {}
    for value_id in ids(combination.get("associations"), "product_option_values"):
        value = context.option_values.get(value_id)
        if value is not None:
            chosen[str(value.get("id_attribute_group"))] = text(value.get("name"), context.language_id)
    option_values = {option.name: chosen[group] for option, group in options if chosen.get(group)}
    regular, sale = prices(row, combination, rate, context.sales.get(product_id, []))
    return ProductVariant(
        external_id=variant_id(product_id, attribute_id),
        title=" / ".join(option_values.values()) or str(combination.get("reference") or attribute_id),
        position=position,
        price=sale or regular,
        compare_at_price=regular if sale else None,
        sku=str(combination.get("reference") or row.get("reference") or "") or None,
        barcode=str(combination.get("ean13") or combination.get("upc") or "") or None,
        option_values=option_values,
        weight_grams=grams(number(row.get("weight")) + number(combination.get("weight"))),
        inventory_item_external_id=variant_id(product_id, attribute_id),
        inventory_levels=[InventoryLevel(context.shop_id, context.stock.get((product_id, attribute_id), 0))],
    )


def prices(row: dict, combination: dict | None, rate: Decimal, sales: list[Sale]) -> tuple[str, str | None]:
    """(the regular price a buyer pays, the sale price when a catalog specific price lowers it), tax
    included, as PrestaShop computes a product's price (Product::priceCalculation)."""
    impact = number(combination.get("price")) if combination else Decimal(0)
    base = number(row.get("price"))
    regular = (base + impact) * (1 + rate)
    attribute_id = int(combination["id"]) if combination else 0
    sale = next((s for s in sales if s.attribute_id == attribute_id), None) or next(
        (s for s in sales if s.attribute_id == 0), None
    )
    if sale is None:
        return money(regular), None
    price = base if sale.price < 0 else sale.price
    if sale.price < 0 or not sale.attribute_id:
        price += impact
    price *= 1 + rate
    if sale.percentage:
        price -= price * sale.reduction
    else:
        price -= sale.reduction if sale.reduction_tax_included else sale.reduction * (1 + rate)
    price = max(price, Decimal(0))
    if money(price) == money(regular):
        return money(regular), None
    return money(regular), money(price)


def sale(row: dict, shop_id: str, currency_id: str, now_local: str) -> Sale | None:
    """A catalog specific price that every buyer gets now, or None (for a cart, a customer, a group, a
    country, a currency, a quantity above one, another shop, or outside its dates)."""
    for name in ("id_cart", "id_customer", "id_group", "id_country"):
        if str(row.get(name) or "0") != "0":
            return None
    if str(row.get("id_currency") or "0") not in ("0", currency_id):
        return None
    if str(row.get("id_shop") or "0") not in ("0", shop_id):
        return None
    if int(number(row.get("from_quantity")) or 1) > 1:
        return None
    start, end = str(row.get("from") or times.NEVER), str(row.get("to") or times.NEVER)
    if (not start.startswith("0000") and start > now_local) or (not end.startswith("0000") and end < now_local):
        return None
    return Sale(
        attribute_id=int(number(row.get("id_product_attribute"))),
        price=number(row.get("price") or -1),
        reduction=number(row.get("reduction")),
        percentage=row.get("reduction_type") == "percentage",
        reduction_tax_included=str(row.get("reduction_tax") or "1") == "1",
    )
