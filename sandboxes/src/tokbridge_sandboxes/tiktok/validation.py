"""Validation of Create / Edit / Check Product Listing bodies, with TikTok's codes and messages.

`validate_product` collects every problem (Check Product Listing reports them all); create and edit
answer with the first one, as TikTok answers one error per call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from . import catalog_seed as seed
from .catalog import CATEGORY_NOT_FOUND, NOT_LEAF, WRONG_VERSION
from .errors import ApiError, text
from .state import SandboxState, Shop

MAX_MAIN_IMAGES = 9
MAX_DESCRIPTION = 10_000
MAX_SALES_ATTRIBUTES = 3
MAX_QUANTITY = 99_999
MAX_EXTERNAL_ID = 999
MAX_IDEMPOTENCY_KEY = 128

EMPTY_SKUS = (12052902, "The SKU list is empty. Either omit the list entirely, or provide all required details.")
INVALID_INPUT = (12052910, "Invalid input parameters. Refer to the API documentation for details.")
TITLE_FORMAT = (
    12052931,
    "The title must follow these formatting rules: it cannot contain HTML escape characters (e.g., &nbsp;), "
    "emojis, or ASCII control characters (e.g., \\u007F). It also cannot consist solely of symbols "
    "(e.g., //// or !@#$$$&)",
)
PREREQUISITE_ERRORS = {
    "SHOP_STATUS": (12052700, "The seller is inactive."),
    "SHOP_TAX": (12052703, "Invalid seller tax number"),
    "PICKUP_WAREHOUSE": (12052115, "seller has no warehouse"),
    "RETURN_WAREHOUSE": (
        12052535,
        "Couldn't publish this product as you haven't set the return warehouse for your shop. Add the return "
        "warehouse information on TikTok Shop Seller Center first and try again.",
    ),
    "DELIVERY_OPTION": (12052420, "warehouse didn't set logistics service"),
    "SHIPPING_TEMPLATE": (12052402, "seller shipping template is empty"),
    "CONTACT_INFO": (12052923, "contact info required"),
}


@dataclass
class Checked:
    """A body that passed: the fields to store and the SKUs with resolved sales attributes."""

    body: dict[str, Any]
    skus: list[dict[str, Any]]
    category: seed.Category | None = None
    images: list[str] = field(default_factory=list)


class Problems(list):
    """What stops a product (the list) and what TikTok accepts with a warning (`warnings`)."""

    def __init__(self) -> None:
        super().__init__()
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def add(self, pair: tuple[int, str], message: str | None = None) -> None:
        self.append(ApiError(pair[0], message or pair[1]))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bad_title_format(title: str) -> bool:
    if re.search(r"&[a-zA-Z]+;|&#\d+;", title):
        return True
    for char in title:
        category = unicodedata.category(char)
        if category == "Cc" or category == "So" or 0x1F000 <= ord(char) <= 0x1FAFF:
            return True
    return not any(char.isalnum() for char in title)


def parse_decimal(value: Any) -> Decimal | None:
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _check_image(state: SandboxState, problems: Problems, uri: Any, bad: tuple[int, str]) -> str | None:
    if not isinstance(uri, str) or uri not in state.images:
        problems.add(bad)
        return None
    return uri


def validate_product(
    state: SandboxState, shop: Shop, body: dict[str, Any], *, existing_sku_ids: set[str] | None = None
) -> tuple[Checked | None, Problems]:
    problems = Problems()
    stored: dict[str, Any] = {}

    # -- title ---------------------------------------------------------------------------------
    title = _text(body.get("title"))
    low, high = seed.title_bounds(shop.region)
    if not title or not title.strip():
        problems.add((12052261, "product name is empty"))
    elif len(title) > high:
        problems.add((12052051, "The product name exceed max limit characters"))
    elif len(title) < low:
        problems.add(
            INVALID_INPUT, f"Invalid input parameters. The title must be {low}-{high} characters in {shop.region}."
        )
    elif _bad_title_format(title):
        problems.add(TITLE_FORMAT)
    stored["title"] = title

    # -- description ---------------------------------------------------------------------------
    description = _text(body.get("description"))
    if not description or not description.strip():
        problems.add((12052015, "The product description is required"))
    elif len(description) > MAX_DESCRIPTION:
        problems.add((12052013, "The product description cannot exceed maximum characters"))
    stored["description"] = description

    # -- category ------------------------------------------------------------------------------
    category = None
    raw_category = body.get("category_id")
    version = body.get("category_version") or "v1"
    if not isinstance(raw_category, str) or not raw_category.isdigit():
        problems.add((12052002, "Incorrect category format"))
    elif version != shop.category_version:
        problems.add(WRONG_VERSION)
    else:
        v1 = seed.from_version(raw_category, version)
        category = seed.CATEGORIES.get(v1) if v1 else None
        if category is None:
            problems.add(CATEGORY_NOT_FOUND)
        elif not category.is_leaf:
            problems.add(NOT_LEAF)
    stored["category_id"] = raw_category
    stored["category_version"] = version

    # -- brand ---------------------------------------------------------------------------------
    brand_id = body.get("brand_id")
    if brand_id not in (None, ""):
        brand = next((b for b in seed.BRANDS if b.id == brand_id), None)
        if brand is None:
            problems.add((12052026, "Brand does not exist"))
        elif not brand.authorized or (category and brand.category_ids and category.id not in brand.category_ids):
            problems.add(
                (
                    12052201,
                    "You are not authorized to sell this brand in this category. To do so, apply "
                    "through the Qualification Center in Seller Center.",
                )
            )
        else:
            stored["brand"] = {"id": brand.id, "name": brand.name}

    # -- main images ---------------------------------------------------------------------------
    images = body.get("main_images")
    uris: list[str] = []
    if not isinstance(images, list) or not images:
        problems.add((12052028, "Main product image is required"))
    elif len(images) > MAX_MAIN_IMAGES:
        problems.add((12052306, "main product images count exceed limit"))
    else:
        for image in images:
            uri = image.get("uri") if isinstance(image, dict) else None
            if _check_image(state, problems, uri, (12052300, "product main image uri illegal")):
                uris.append(uri)
                picture = state.images[uri]
                if min(picture.width, picture.height) < 300:
                    problems.add((12052301, f"Width and length of main image must be at least 300, check uri {uri}"))
    stored["main_images"] = uris

    # -- product attributes --------------------------------------------------------------------
    attributes_in = body.get("product_attributes") or []
    resolved_attributes: list[dict[str, Any]] = []
    given_ids: set[str] = set()
    if not isinstance(attributes_in, list):
        problems.add(INVALID_INPUT)
        attributes_in = []
    for entry in attributes_in:
        attribute = seed.ATTRIBUTES.get(text(entry.get("id")) or "") if isinstance(entry, dict) else None
        if (
            attribute is None
            or attribute.type != "PRODUCT_PROPERTY"
            or (category and attribute.id not in category.attribute_ids)
        ):
            problems.add((12052241, "attribute name or attribute id is empty."))
            continue
        if attribute.id in given_ids:
            problems.add((12052254, "Duplicate attribute id"))
            continue
        given_ids.add(attribute.id)
        values = entry.get("values")
        if not isinstance(values, list) or not values:
            problems.add((12052248, "The product attribute value name or attribute value id is empty."))
            continue
        if len(values) > 1 and not attribute.is_multiple_selection:
            problems.add(
                (12052246, f"The product attribute not support multi selected, attribute id is :{attribute.id}.")
            )
            continue
        out_values = []
        for value in values:
            value_id = text(value.get("id")) if isinstance(value, dict) else None
            value_name = text(value.get("name")) if isinstance(value, dict) else None
            if value_id:
                known = attribute.value(value_id)
                if known is None:
                    problems.add((12052529, "The property value id not exist."))
                    continue
                out_values.append({"id": known.id, "name": known.name})
            elif value_name and attribute.value_data_format and (parse_decimal(value_name) or 0) <= 0:
                problems.add((12052248, f"The value of {attribute.name} must be a positive number."))
            elif value_name and attribute.is_customizable:
                out_values.append({"id": state.new_id(), "name": value_name})
            elif value_name:
                problems.add((12052247, "Do not support custom product attribute."))
            else:
                problems.add((12052248, "The product attribute value name or attribute value id is empty."))
        resolved_attributes.append({"id": attribute.id, "name": attribute.name, "values": out_values})
    chosen = {(a["id"], v["id"]) for a in resolved_attributes for v in a["values"]}
    if category:
        for attribute_id in category.attribute_ids:
            attribute = seed.ATTRIBUTES[attribute_id]
            required = attribute.is_required or any(c in chosen for c in attribute.requirement_conditions)
            if required and attribute.type == "PRODUCT_PROPERTY" and attribute_id not in given_ids:
                problems.add((12052104, "property is required"))
                break
    stored["product_attributes"] = resolved_attributes

    # -- certifications ------------------------------------------------------------------------
    certifications = body.get("certifications") or []
    if not isinstance(certifications, list):
        problems.add(INVALID_INPUT)
        certifications = []
    given_certs = {text(c.get("id")) for c in certifications if isinstance(c, dict)}
    if category:
        rules = category.certifications_in(version)
        for rule in rules:
            needed = rule.is_required or any(c in chosen for c in rule.requirement_conditions)
            if needed and rule.id not in given_certs:
                problems.add((12052105, "required qualification miss"))
        known_certs = {c.id for c in rules}
        for cert in certifications:
            if not isinstance(cert, dict) or text(cert.get("id")) not in known_certs:
                problems.add((12052655, "qualification id not exist"))
                continue
            images = cert.get("images") or []
            for image in images if isinstance(images, list) else [None]:
                _check_image(
                    state,
                    problems,
                    image.get("uri") if isinstance(image, dict) else None,
                    (12052650, "product qualification image uri illegal"),
                )
    stored["certifications"] = certifications

    # -- package -------------------------------------------------------------------------------
    weight = body.get("package_weight")
    weight_value = parse_decimal(weight.get("value")) if isinstance(weight, dict) else None
    weight_unit = text(weight.get("unit")) if isinstance(weight, dict) else None
    allowed_weight_units = {"KILOGRAM", "POUND"} if shop.region == "US" else {"KILOGRAM", "GRAM"}
    if weight_value is None or weight_unit not in allowed_weight_units:
        problems.add((12019011, "product package weight is invalid"))
    elif weight_value <= 0:
        problems.add((12052181, "The package weight of the product can not be zero."))
    stored["package_weight"] = weight

    dimensions = body.get("package_dimensions")
    if dimensions is not None:
        parts = [dimensions.get(k) for k in ("length", "width", "height")] if isinstance(dimensions, dict) else []
        numbers = [parse_decimal(p) for p in parts]
        unit = text(dimensions.get("unit")) if isinstance(dimensions, dict) else None
        if (
            len(numbers) != 3
            or any(n is None or n <= 0 or n != n.to_integral_value() for n in numbers)
            or unit not in ({"CENTIMETER", "INCH"} if shop.region == "US" else {"CENTIMETER"})
        ):
            problems.add((12052116, "product package size is invalid"))
        elif weight_unit and (unit == "INCH") != (weight_unit == "POUND"):
            problems.add((12052915, "package weight unit and dimension unit miss match."))
    elif category and category.package_dimension_required:
        problems.add((12052116, "product package size is invalid"))
    stored["package_dimensions"] = dimensions

    # -- size chart, video, external id, misc --------------------------------------------------
    size_chart = body.get("size_chart")
    if isinstance(size_chart, dict) and isinstance(size_chart.get("image"), dict):
        _check_image(
            state,
            problems,
            size_chart["image"].get("uri"),
            (
                12052670,
                "The size chart image URI is invalid. Note: API users must use the URI generated "
                "by the Upload Product Image API.",
            ),
        )
    stored["size_chart"] = size_chart
    external_product_id = body.get("external_product_id")
    if external_product_id is not None and (
        not isinstance(external_product_id, str) or len(external_product_id) > MAX_EXTERNAL_ID
    ):
        problems.add(INVALID_INPUT)
    stored["external_product_id"] = external_product_id
    template = body.get("shipping_template_id")
    if template is not None and not (isinstance(template, str) and template.isdigit()):
        # As TikTok does with a field it cannot use: cleared, and the answer's warnings say so.
        problems.warn(
            f"The [shipping_template_id]:{template} field is incorrect and has been automatically "
            "cleared by the system. Reason: [Shipping template does not exist]. You can edit it later."
        )
        body = {k: v for k, v in body.items() if k != "shipping_template_id"}
    for key in (
        "is_cod_allowed",
        "video",
        "delivery_option_ids",
        "is_not_for_sale",
        "shipping_template_id",
        "listing_platforms",
        "minimum_order_quantity",
        "is_pre_owned",
        "shipping_insurance_requirement",
        "manufacturer_ids",
        "responsible_person_ids",
    ):
        if key in body:
            stored[key] = body[key]

    skus = _validate_skus(state, shop, body.get("skus"), category, problems, existing_sku_ids or set())
    if problems:
        return None, problems
    return Checked(stored, skus, category, uris), problems


def _validate_skus(
    state: SandboxState,
    shop: Shop,
    skus: Any,
    category: seed.Category | None,
    problems: Problems,
    existing_sku_ids: set[str],
) -> list[dict[str, Any]]:
    if not isinstance(skus, list) or not skus:
        problems.add(EMPTY_SKUS)
        return []
    if len(skus) > seed.max_skus(shop.region):
        problems.add((12052050, "A single product cannot have more than 100 different SKUs"))
        return []
    out: list[dict[str, Any]] = []
    attribute_sets: set[tuple[str, ...]] = set()
    combinations: set[tuple[str, ...]] = set()
    seller_skus: set[str] = set()
    low, high = (Decimal(str(x)) for x in seed.PRICE_RANGE)
    for sku in skus:
        if not isinstance(sku, dict):
            problems.add(INVALID_INPUT)
            continue
        sku_id = sku.get("id")
        if sku_id is not None and text(sku_id) not in existing_sku_ids:
            problems.add((12052556, "The SKU id not exist."))
        seller_sku = sku.get("seller_sku")
        if seller_sku is not None:
            if not isinstance(seller_sku, str) or not 1 <= len(seller_sku) <= 50 or " " in seller_sku:
                problems.add((12052054, "The seller SKU text length cannot exceed max limit characters"))
            elif seller_sku in seller_skus:
                problems.add(INVALID_INPUT, "Invalid input parameters. Duplicate seller_sku within the product.")
            seller_skus.add(seller_sku if isinstance(seller_sku, str) else "")
        external_sku_id = sku.get("external_sku_id")
        if external_sku_id is not None and (
            not isinstance(external_sku_id, str) or len(external_sku_id) > MAX_EXTERNAL_ID
        ):
            problems.add(INVALID_INPUT)

        # price
        price = sku.get("price")
        if not isinstance(price, dict):
            problems.add((12052073, "The product price is invalid"))
        else:
            amount = parse_decimal(price.get("amount") if price.get("amount") is not None else price.get("sale_price"))
            if price.get("currency") != shop.currency:
                problems.add((12052084, "The provided currency is not available for this shop/region."))
            elif amount is None or amount < low:
                problems.add((12052073, "The product price is invalid"))
            elif amount > high:
                problems.add((12052570, "product price exceed limit"))

        # inventory
        inventory = sku.get("inventory")
        if not isinstance(inventory, list) or not inventory:
            problems.add((12019022, "SKU must contain a valid warehouse."))
        else:
            for entry in inventory:
                _check_inventory_entry(shop, entry, problems)

        # sales attributes
        resolved = _resolve_sales_attributes(state, sku.get("sales_attributes") or [], category, problems)
        out.append({**sku, "sales_attributes": resolved})
        attribute_sets.add(tuple(sorted(a["id"] for a in resolved)))
        combination = tuple(sorted(f"{a['id']}:{a['value_name'].lower()}" for a in resolved))
        if len(skus) > 1 and combination in combinations:
            problems.add((12052560, "The SKU contains duplicate sales attribute."))
        combinations.add(combination)

    if len(skus) > 1 and (len(attribute_sets) != 1 or () in attribute_sets):
        problems.add((12052550, "SKU property must contain all properties"))
    if any(len(s) > MAX_SALES_ATTRIBUTES for s in attribute_sets):
        problems.add((12052525, "The attribute max num cannot exceed 3."))
    return out


def _check_inventory_entry(shop: Shop, entry: Any, problems: Problems) -> None:
    if not isinstance(entry, dict) or not entry.get("warehouse_id"):
        problems.add((12019022, "SKU must contain a valid warehouse."))
        return
    warehouse = shop.warehouse(str(entry["warehouse_id"]))
    if warehouse is None:
        problems.add((12052097, "The warehouse does not exist"))
    elif warehouse.type != "SALES_WAREHOUSE":
        problems.add((12052532, "the warehouse not delivery warehouse"))
    elif warehouse.effect_status != "ENABLED":
        problems.add((12052531, "The warehouse is disabled."))
    quantity = entry.get("quantity", 0)
    # The docs give [1, 99,999]; the sandbox also accepts 0 so a sold-out SKU can be synced.
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        problems.add((12052055, "The SKU inventory quantity for the warehouse must be within allowed limits."))


def _resolve_sales_attributes(
    state: SandboxState, given: Any, category: seed.Category | None, problems: Problems
) -> list[dict[str, Any]]:
    if not isinstance(given, list):
        problems.add(INVALID_INPUT)
        return []
    resolved = []
    for entry in given:
        if not isinstance(entry, dict):
            problems.add(INVALID_INPUT)
            continue
        attribute_id, name = text(entry.get("id")), text(entry.get("name"))
        value_id, value_name = text(entry.get("value_id")), text(entry.get("value_name"))
        if attribute_id:
            attribute = seed.ATTRIBUTES.get(attribute_id)
            if (
                attribute is None
                or attribute.type != "SALES_PROPERTY"
                or (category and attribute_id not in category.attribute_ids)
            ):
                problems.add((12052527, "The sale attribute id not exist."))
                continue
            name = attribute.name
            if value_id:
                value = attribute.value(value_id)
                if value is None:
                    problems.add((12052529, "The property value id not exist."))
                    continue
                value_name = value.name
        elif name:
            attribute_id = _custom_id(state, "attr", name)
        else:
            problems.add((12052241, "attribute name or attribute id is empty."))
            continue
        if not value_id:
            if not value_name:
                problems.add((12052248, "The sales attribute value name or attribute value id is empty."))
                continue
            value_id = _custom_id(state, f"value:{attribute_id}", value_name)
        item = {"id": attribute_id, "name": name, "value_id": value_id, "value_name": value_name}
        image = entry.get("sku_img")
        if isinstance(image, dict):
            if _check_image(state, problems, image.get("uri"), (12052520, "product sale property image uri illegal")):
                item["sku_img"] = {"uri": image["uri"]}
        extra_images = entry.get("supplementary_sku_images")
        if isinstance(extra_images, list) and extra_images:
            uris = [i.get("uri") if isinstance(i, dict) else None for i in extra_images]
            if all(
                _check_image(state, problems, uri, (12052520, "product sale property image uri illegal"))
                for uri in uris
            ):
                item["supplementary_sku_images"] = [{"uri": uri} for uri in uris]
        resolved.append(item)
    return resolved


def _custom_id(state: SandboxState, kind: str, name: str) -> str:
    """Custom attribute names and values get a stable generated id, as TikTok generates one on listing."""
    key = (kind, name.strip().lower())
    if key not in state.custom_ids:
        state.custom_ids[key] = state.new_id()
    return state.custom_ids[key]
