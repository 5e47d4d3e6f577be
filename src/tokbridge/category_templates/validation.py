"""Checking a mapped product before it is sent: the category's rules and TikTok's documented limits.

    problems = validate_product(body, Market("US"), category=info, warehouse_ids=sales_warehouses)

Every problem says what is wrong, in which field, and what to do about it (`Problem.fix`), so a
product TikTok would refuse stays at home with reasons the merchant can act on. Without `category`
the category checks are skipped; without `warehouse_ids` warehouses are only checked for presence.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from decimal import Decimal, InvalidOperation

from tokbridge.category_templates import limits
from tokbridge.category_templates.categories import CategoryInfo
from tokbridge.category_templates.limits import Market
from tokbridge.category_templates.problems import Problem
from tokbridge.category_templates.spec import TemplateSpec
from tokbridge.channels.tiktok.models import ProductAttribute, ProductInput, SalesAttribute, SkuInput

TEMPLATE = "the category template"


def validate_product(
    body: ProductInput,
    market: Market,
    *,
    category: CategoryInfo | None = None,
    warehouse_ids: Collection[str] | None = None,
) -> list[Problem]:
    problems: list[Problem] = []
    problems += check_title(body.title, market)
    problems += check_description(body.description)
    problems += check_category(body, market)
    problems += check_images(body)
    problems += check_package(body, market, category)
    if category is not None:
        problems += check_attributes(body.product_attributes or [], category)
        problems += check_certifications(body, category)
    problems += check_skus(body.skus, market, category, warehouse_ids)
    if body.external_product_id is not None and len(body.external_product_id) > limits.MAX_EXTERNAL_ID:
        problems.append(
            Problem(
                "external_id_too_long",
                "external_product_id",
                f"The product's store id has {len(body.external_product_id)} characters; TikTok allows {limits.MAX_EXTERNAL_ID}.",
                "This store id cannot be linked; contact support.",
            )
        )
    return problems


# --- title and description -----------------------------------------------------------------------

_ENTITY = re.compile(r"&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);", re.IGNORECASE)
_REPEATED = re.compile(r"(.)\1{" + str(limits.MAX_REPEATED_CHARACTERS) + ",}", re.DOTALL)  # a character, then 9 more
TITLE_FIX = "Change the title in your store, or set a title override in the template."


def check_title(title: str, market: Market) -> list[Problem]:
    low, high = market.title_range
    length = len(title)
    if not title.strip():
        return [
            Problem("title_missing", "title", "The product has no title.", "Give the product a title in your store.")
        ]
    if length > high:
        return [
            Problem(
                "title_too_long",
                "title",
                f"The title has {length} characters; TikTok allows {high} in {market.region}.",
                "Shorten it in your store, or set a title override in the template.",
            )
        ]
    if length < low:
        return [
            Problem(
                "title_too_short",
                "title",
                f"The title has {length} characters; TikTok needs at least {low} in {market.region}.",
                'Lengthen it in your store, or set a title override in the template (e.g. "{vendor} {title}").',
            )
        ]
    reason = _title_format_issue(title)
    if reason:
        return [Problem("title_format", "title", f"TikTok does not accept this title: it {reason}.", TITLE_FIX)]
    return []


def _title_format_issue(title: str) -> str | None:
    entity = _ENTITY.search(title)
    if entity:
        return f"contains the HTML code {entity.group(0)}"
    for char in title:
        kind = unicodedata.category(char)
        if kind == "Cc":
            return f"contains the control character U+{ord(char):04X}"
        if kind == "So" or 0x1F000 <= ord(char) <= 0x1FAFF:
            return f"contains the emoji or symbol {char}"
    if not any(char.isalnum() for char in title):
        return "has only symbols, no letters or digits"
    repeated = _REPEATED.search(title)
    if repeated:
        return f'repeats "{repeated.group(1)}" more than {limits.MAX_REPEATED_CHARACTERS} times in a row'
    return None


def check_description(description: str) -> list[Problem]:
    if not description.strip():
        return [
            Problem(
                "description_missing",
                "description",
                "The product has no description.",
                f"Write one in your store, or set a default description in {TEMPLATE}.",
            )
        ]
    if len(description) > limits.MAX_DESCRIPTION:
        return [
            Problem(
                "description_too_long",
                "description",
                f"The description has {len(description)} characters (HTML included); TikTok allows {limits.MAX_DESCRIPTION}.",
                "Shorten the description in your store.",
            )
        ]
    return []


# --- category and images -------------------------------------------------------------------------


def check_category(body: ProductInput, market: Market) -> list[Problem]:
    if not body.category_id or not body.category_id.isdigit():
        return [
            Problem(
                "category_missing",
                "category_id",
                "The template has no TikTok category.",
                f"Choose a leaf category in {TEMPLATE}.",
            )
        ]
    version = body.category_version or "v1"
    if version != market.category_version:
        return [
            Problem(
                "category_version",
                "category_version",
                f"Shops in {market.region} list in TikTok's {market.category_version} category tree; the template uses {version}.",
                f"Choose the category again in {TEMPLATE}.",
            )
        ]
    return []


def check_images(body: ProductInput) -> list[Problem]:
    count = len(body.main_images)
    if count == 0:
        return [
            Problem(
                "images_missing",
                "main_images",
                "The product has no image; TikTok needs at least one.",
                "Add an image to the product in your store.",
            )
        ]
    if count > limits.MAX_MAIN_IMAGES:
        return [
            Problem(
                "images_too_many",
                "main_images",
                f"The product has {count} images; TikTok allows {limits.MAX_MAIN_IMAGES}.",
                "Only the first nine are sent; remove images in your store to choose which.",
            )
        ]
    return []


# --- attributes and certifications ---------------------------------------------------------------


def check_attributes(given: list[ProductAttribute], category: CategoryInfo) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, entry in enumerate(given):
        where = f"product_attributes[{index}]"
        attribute = category.attribute(entry.id)
        if attribute is None or attribute.type != "PRODUCT_PROPERTY":
            problems.append(
                Problem(
                    "attribute_unknown",
                    where,
                    f"Attribute {entry.id} is not an attribute of this category.",
                    f"Choose the attributes again in {TEMPLATE} and save it: "
                    "attributes the category does not have are left out.",
                )
            )
            continue
        if entry.id in seen:
            problems.append(
                Problem(
                    "attribute_duplicate", where, f"{attribute.name} is given twice.", f"Map it once in {TEMPLATE}."
                )
            )
            continue
        seen.add(entry.id)
        problems += _attribute_values(entry, attribute, where)
    for attribute in category.product_attributes:
        if attribute.is_required and attribute.id not in seen:
            problems.append(
                Problem(
                    "attribute_required",
                    "product_attributes",
                    f"The category needs the attribute {attribute.name or attribute.id}, and this product has no value for it.",
                    f"Map {attribute.name or attribute.id} in {TEMPLATE} to a fixed value, a product field or an option.",
                )
            )
    return problems


def _attribute_values(entry: ProductAttribute, attribute, where: str) -> list[Problem]:
    name = attribute.name or attribute.id
    if not entry.values:
        return [Problem("attribute_value_missing", where, f"{name} has no value.", f"Give it a value in {TEMPLATE}.")]
    if len(entry.values) > 1 and not attribute.is_multiple_selection:
        return [
            Problem(
                "attribute_single_value",
                where,
                f"{name} takes one value; this product has {len(entry.values)}.",
                f"Map {name} to a single value in {TEMPLATE}.",
            )
        ]
    known_ids = {value.id for value in attribute.values}
    for value in entry.values:
        if value.id:
            if value.id not in known_ids:
                return [
                    Problem(
                        "attribute_value_unknown",
                        where,
                        f"{name} has no value with id {value.id}.",
                        f"Choose the value again from the list in {TEMPLATE}.",
                    )
                ]
        elif not value.name:
            return [
                Problem(
                    "attribute_value_missing", where, f"{name} has an empty value.", f"Give it a value in {TEMPLATE}."
                )
            ]
        elif not attribute.is_customizable:
            choices = ", ".join(v.name for v in attribute.values[:8])
            return [
                Problem(
                    "attribute_value_not_allowed",
                    where,
                    f'{name} only takes TikTok\'s own values; "{value.name}" is not one of them.',
                    f"Choose one of TikTok's values for it in {TEMPLATE} instead: {choices}.",
                )
            ]
    return []


def check_certifications(body: ProductInput, category: CategoryInfo) -> list[Problem]:
    given = {c.id for c in body.certifications or []}
    known = {str(rule.get("id")) for rule in category.rules.product_certifications}
    problems = [
        Problem(
            "certification_required",
            "certifications",
            f'The category needs the certification "{rule.get("name") or rule.get("id")}".',
            f"The template form cannot add certifications yet: add it to {TEMPLATE} with the JSON API, or choose a "
            f"category that does not need it. {rule.get('document_details') or ''}".strip(),
        )
        for rule in category.required_certifications
        if str(rule.get("id")) not in given
    ]
    for index, certification in enumerate(body.certifications or []):
        if certification.id not in known:
            problems.append(
                Problem(
                    "certification_unknown",
                    f"certifications[{index}]",
                    f"Certification {certification.id} does not belong to this category.",
                    f"The template form cannot change certifications yet: remove it from {TEMPLATE} with the JSON API.",
                )
            )
    return problems


# --- package -------------------------------------------------------------------------------------


def check_package(body: ProductInput, market: Market, category: CategoryInfo | None) -> list[Problem]:
    problems: list[Problem] = []
    weight = _decimal(body.package_weight.value)
    unit = body.package_weight.unit
    if weight is None or weight <= 0:
        problems.append(
            Problem(
                "weight_missing",
                "package_weight",
                "The package weight is missing; TikTok needs it to work out shipping.",
                f"Set the weight of the variants in your store, or a default package weight in {TEMPLATE}.",
            )
        )
    elif unit not in market.weight_units:
        problems.append(
            Problem(
                "weight_unit",
                "package_weight.unit",
                f"TikTok does not take weights in {unit} in {market.region} (allowed: {', '.join(market.weight_units)}).",
                f"Change the default package weight's unit in {TEMPLATE}.",
            )
        )
    dimensions = body.package_dimensions
    if dimensions is None:
        if category is not None and category.package_dimensions_required:
            problems.append(
                Problem(
                    "dimensions_required",
                    "package_dimensions",
                    "The category needs package dimensions (length, width, height).",
                    f"Set default package dimensions in {TEMPLATE}.",
                )
            )
        return problems
    sides = [_decimal(side) for side in (dimensions.length, dimensions.width, dimensions.height)]
    if (
        any(side is None or side <= 0 or side != side.to_integral_value() for side in sides)
        or dimensions.unit not in market.dimension_units
    ):
        problems.append(
            Problem(
                "dimensions_invalid",
                "package_dimensions",
                f"Package dimensions must be whole numbers above 0 in {' or '.join(market.dimension_units)}.",
                f"Correct the package dimensions in {TEMPLATE}.",
            )
        )
    elif (dimensions.unit == "INCH") != (unit == "POUND"):
        problems.append(
            Problem(
                "package_units_mismatch",
                "package_dimensions.unit",
                f"TikTok wants inches with pounds and centimetres with kilograms; this package has {unit} and {dimensions.unit}.",
                f"Use matching units for the package in {TEMPLATE}.",
            )
        )
    return problems


# --- SKUs ----------------------------------------------------------------------------------------


def check_skus(
    skus: list[SkuInput], market: Market, category: CategoryInfo | None, warehouse_ids: Collection[str] | None
) -> list[Problem]:
    if not skus:
        return [
            Problem(
                "skus_missing",
                "skus",
                "The product has no variants to sell.",
                "Add a variant to the product in your store.",
            )
        ]
    if len(skus) > market.max_skus:
        return [
            Problem(
                "skus_too_many",
                "skus",
                f"The product has {len(skus)} variants; TikTok allows {market.max_skus} in {market.region}.",
                "Split the product in your store, or remove variants.",
            )
        ]
    problems: list[Problem] = []
    seller_skus: set[str] = set()
    for index, sku in enumerate(skus):
        where = f"skus[{index}]"
        problems += _seller_sku(sku, where, seller_skus)
        problems += _price(sku, where, market)
        problems += _inventory(sku, where, warehouse_ids)
        problems += _sales_attributes(sku.sales_attributes or [], where, category)
    problems += _variant_consistency(skus)
    return problems


def _position(where: str) -> int:
    """1-based variant number from "skus[3]"."""
    return int(where[len("skus[") : -1]) + 1


def _label(sku: SkuInput) -> str:
    return f"variant {sku.seller_sku}" if sku.seller_sku else "a variant"


def _seller_sku(sku: SkuInput, where: str, seen: set[str]) -> list[Problem]:
    code = sku.seller_sku
    problems = []
    if code is None or not code.strip():
        problems.append(
            Problem(
                "sku_code_missing",
                f"{where}.seller_sku",
                f"Variant {_position(where)} has no SKU code.",
                "Give every variant a SKU in your store; orders and existing TikTok listings are matched by it.",
            )
        )
    elif len(code) > limits.MAX_SELLER_SKU or any(char.isspace() for char in code):
        problems.append(
            Problem(
                "sku_code_invalid",
                f"{where}.seller_sku",
                f'The SKU "{code}" has {len(code)} characters or spaces; TikTok takes 1 to {limits.MAX_SELLER_SKU} characters without spaces.',
                "Change the SKU in your store.",
            )
        )
    elif code in seen:
        problems.append(
            Problem(
                "sku_code_duplicate",
                f"{where}.seller_sku",
                f'Two variants share the SKU "{code}".',
                "Give each variant its own SKU in your store.",
            )
        )
    if code:
        seen.add(code)
    if sku.external_sku_id is not None and len(sku.external_sku_id) > limits.MAX_EXTERNAL_ID:
        problems.append(
            Problem(
                "external_id_too_long",
                f"{where}.external_sku_id",
                f"The variant's store id is longer than {limits.MAX_EXTERNAL_ID} characters.",
                "Contact support.",
            )
        )
    return problems


def _price(sku: SkuInput, where: str, market: Market) -> list[Problem]:
    low, high = limits.PRICE_RANGE
    amount = _decimal(sku.price.amount if sku.price.amount is not None else sku.price.sale_price)
    if sku.price.currency != market.currency:
        return [
            Problem(
                "price_currency",
                f"{where}.price.currency",
                f"The price of {_label(sku)} is in {sku.price.currency}; the shop sells in {market.currency}.",
                "Connect a store in the shop's currency, or contact support.",
            )
        ]
    if amount is None or amount < low:
        return [
            Problem(
                "price_too_low",
                f"{where}.price.amount",
                f"The price of {_label(sku)} is {sku.price.amount}; TikTok's minimum is {low}.",
                f"Set a price in your store, or check the price rule in {TEMPLATE}.",
            )
        ]
    if amount > high:
        return [
            Problem(
                "price_too_high",
                f"{where}.price.amount",
                f"The price of {_label(sku)} is {amount}; TikTok allows at most {high}.",
                f"Lower the price in your store, or the markup in {TEMPLATE}'s price rule.",
            )
        ]
    return []


def _inventory(sku: SkuInput, where: str, warehouse_ids: Collection[str] | None) -> list[Problem]:
    if not sku.inventory or any(not entry.warehouse_id for entry in sku.inventory):
        return [
            Problem(
                "warehouse_missing",
                f"{where}.inventory",
                f"Stock of {_label(sku)} is not assigned to a TikTok warehouse.",
                f"Choose the TikTok warehouse stock is sent to in {TEMPLATE}.",
            )
        ]
    problems = []
    for entry in sku.inventory:
        if warehouse_ids is not None and entry.warehouse_id not in warehouse_ids:
            problems.append(
                Problem(
                    "warehouse_unknown",
                    f"{where}.inventory",
                    f"The TikTok warehouse {entry.warehouse_id} is not an active sales warehouse of the shop.",
                    f"Choose another warehouse in {TEMPLATE}.",
                )
            )
        if not 0 <= entry.quantity <= limits.MAX_QUANTITY:
            problems.append(
                Problem(
                    "quantity_out_of_range",
                    f"{where}.inventory",
                    f"The quantity {entry.quantity} of {_label(sku)} is outside TikTok's range 0 to {limits.MAX_QUANTITY}.",
                    f"Set the most stock sent (“At most”) in {TEMPLATE}.",
                )
            )
    return problems


def _sales_attributes(given: list[SalesAttribute], where: str, category: CategoryInfo | None) -> list[Problem]:
    problems = []
    for entry in given:
        if entry.id and category is not None:
            attribute = category.attribute(entry.id)
            if attribute is None or attribute.type != "SALES_PROPERTY":
                problems.append(
                    Problem(
                        "sales_attribute_unknown",
                        f"{where}.sales_attributes",
                        f"Sales attribute {entry.id} does not belong to this category.",
                        f"Map the option to one of the category's sales attributes, or to a custom name, in {TEMPLATE}.",
                    )
                )
                continue
            if entry.value_id and entry.value_id not in {v.id for v in attribute.values}:
                problems.append(
                    Problem(
                        "sales_attribute_value_unknown",
                        f"{where}.sales_attributes",
                        f"{attribute.name} has no value with id {entry.value_id}.",
                        f"Choose another sales attribute for the option in {TEMPLATE}, "
                        "or change the option's values in your store.",
                    )
                )
        if not entry.id and not entry.name:
            problems.append(
                Problem(
                    "sales_attribute_unnamed",
                    f"{where}.sales_attributes",
                    "A variant option has no name.",
                    "Name the option in your store.",
                )
            )
        if not entry.value_id and not (entry.value_name or "").strip():
            problems.append(
                Problem(
                    "sales_attribute_value_missing",
                    f"{where}.sales_attributes",
                    f"Option {entry.name or entry.id} has no value for this variant.",
                    "Fill in the option value in your store.",
                )
            )
    return problems


def _variant_consistency(skus: list[SkuInput]) -> list[Problem]:
    keys = [tuple(sorted(_attribute_key(a) for a in sku.sales_attributes or [])) for sku in skus]
    if any(len(key) > limits.MAX_SALES_ATTRIBUTES for key in keys):
        most = max(len(key) for key in keys)
        return [
            Problem(
                "sales_attributes_too_many",
                "skus",
                f"The variants have {most} options; TikTok allows {limits.MAX_SALES_ATTRIBUTES}.",
                "Merge options in your store, so each product has at most three.",
            )
        ]
    if len(skus) < 2:
        return []
    if () in keys or len(set(keys)) != 1:
        return [
            Problem(
                "sales_attributes_inconsistent",
                "skus",
                "With several variants, every variant needs a value for the same options.",
                "Give every variant a value for each option in your store.",
            )
        ]
    combinations = [tuple(sorted(_value_key(a) for a in sku.sales_attributes or [])) for sku in skus]
    if len(set(combinations)) != len(combinations):
        return [
            Problem(
                "variants_duplicate",
                "skus",
                "Two variants have the same option values.",
                "Make each variant's options different in your store.",
            )
        ]
    return []


def _attribute_key(attribute: SalesAttribute) -> str:
    return attribute.id or f"name:{(attribute.name or '').strip().lower()}"


def _value_key(attribute: SalesAttribute) -> str:
    value = attribute.value_id or f"name:{(attribute.value_name or '').strip().lower()}"
    return f"{_attribute_key(attribute)}={value}"


def _decimal(text: str | None) -> Decimal | None:
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# --- the template itself, against its category ---------------------------------------------------


def check_template(spec: TemplateSpec, category: CategoryInfo) -> list[Problem]:
    """Mappings that cannot work in the chosen category: unknown attributes, required ones not mapped."""
    problems: list[Problem] = []
    mapped = {m.attribute_id for m in spec.attributes}
    for index, mapping in enumerate(spec.attributes):
        attribute = category.attribute(mapping.attribute_id)
        where = f"attributes[{index}]"
        if attribute is None or attribute.type != "PRODUCT_PROPERTY":
            problems.append(
                Problem(
                    "attribute_unknown",
                    where,
                    f"Attribute {mapping.attribute_name or mapping.attribute_id} is not an attribute of {spec.category.label}.",
                    "Remove the mapping, or choose the attribute from the category's list.",
                )
            )
            continue
        known = {value.id for value in attribute.values}
        unknown = [value_id for value_id in mapping.value_ids if value_id not in known]
        if unknown:
            problems.append(
                Problem(
                    "attribute_value_unknown",
                    where,
                    f"{attribute.name} has no value with id {unknown[0]}.",
                    "Choose the value again from the category's list.",
                )
            )
    for attribute in category.product_attributes:
        if attribute.is_required and attribute.id not in mapped:
            problems.append(
                Problem(
                    "attribute_required",
                    "attributes",
                    f"{spec.category.label} needs the attribute {attribute.name or attribute.id}.",
                    f"Map {attribute.name or attribute.id} to a fixed value, a product field or a store option.",
                )
            )
    for index, variant_mapping in enumerate(spec.variants):
        if variant_mapping.attribute_id:
            attribute = category.attribute(variant_mapping.attribute_id)
            if attribute is None or attribute.type != "SALES_PROPERTY":
                problems.append(
                    Problem(
                        "sales_attribute_unknown",
                        f"variants[{index}]",
                        f"Sales attribute {variant_mapping.attribute_id} does not belong to {spec.category.label}.",
                        "Choose one of the category's sales attributes, or a custom name.",
                    )
                )
    given = {c.id for c in spec.listing.certifications}
    for rule in category.required_certifications:
        if str(rule.get("id")) not in given:
            problems.append(
                Problem(
                    "certification_required",
                    "listing.certifications",
                    f'{spec.category.label} needs the certification "{rule.get("name") or rule.get("id")}".',
                    f"Upload it in the template. {rule.get('document_details') or ''}".strip(),
                )
            )
    if category.package_dimensions_required and spec.listing.package_dimensions is None:
        problems.append(
            Problem(
                "dimensions_required",
                "listing.package_dimensions",
                f"{spec.category.label} needs package dimensions.",
                "Set default package dimensions in the template.",
            )
        )
    return problems
