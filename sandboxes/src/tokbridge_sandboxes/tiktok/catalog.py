"""Catalog reads: categories, category rules, attributes, brands, recommend category, listing
prerequisites; and logistics reads: warehouses, delivery options, shipping providers."""

from __future__ import annotations

import base64
import re
from typing import Any

from . import catalog_seed as seed
from .errors import ApiError
from .routing import FULFILLMENT_OR_LOGISTICS, LOGISTICS, PRODUCT_BASIC, Call, endpoint
from .state import PREREQUISITE_ITEMS, PREREQUISITE_REASONS, Shop

CATEGORY_NOT_FOUND = (12052023, "Category does not exist")
NOT_LEAF = (12052024, "Category is not final category")
WRONG_VERSION = (
    12052217,
    "Incorrect category version. For US shops or global sellers with an active US shop, specify "
    "'category version=v2'. For shops in other regions specify 'category_version=v1'.",
)
NO_MATCHING_CATEGORY = (
    12019064,
    "No matching categories. Provide the full name of your product, edit its product properties, and try again.",
)
# Markets with a bottle deposit (Pfand) on drinks: Get Category Rules asks for the fee there.
DEPOSIT_REGIONS = {"DE"}
PAGE_SIZE_INVALID = (12019109, "page size is invalid")
PAGE_TOKEN_INVALID = (12019108, "page number is invalid")


def check_category_version(shop: Shop, given: str | None) -> str:
    """The version the shop must use; US shops must say v2 (Get Categories / Create Product)."""
    required = shop.category_version
    if (given or "v1") != required:
        raise ApiError(*WRONG_VERSION)
    return required


def resolve_category(shop: Shop, category_id: str, version: str | None, *, leaf: bool) -> seed.Category:
    version = check_category_version(shop, version)
    v1 = seed.from_version(category_id, version)
    category = seed.CATEGORIES.get(v1) if v1 else None
    if category is None:
        raise ApiError(*CATEGORY_NOT_FOUND)
    if leaf and not category.is_leaf:
        raise ApiError(*NOT_LEAF)
    return category


def page_window(
    query: dict[str, str],
    total: int,
    *,
    required: bool = True,
    default: int = 20,
    low: int = 1,
    high: int = 100,
    invalid: ApiError | None = None,
) -> tuple[int, int, str]:
    """(start, end, next_page_token) for an opaque offset token, as TikTok's page_size/page_token.
    A bad size or token raises `invalid` (default: the product API's page errors)."""
    try:
        return _page_window(query, total, required, default, low, high)
    except ApiError:
        if invalid is not None:
            raise invalid from None
        raise


def _page_window(
    query: dict[str, str], total: int, required: bool, default: int, low: int, high: int
) -> tuple[int, int, str]:
    raw_size = query.get("page_size")
    if raw_size is None and not required:
        size = default
    else:
        try:
            size = int(raw_size or "")
        except ValueError:
            raise ApiError(*PAGE_SIZE_INVALID) from None
        if not low <= size <= high:
            raise ApiError(*PAGE_SIZE_INVALID)
    start = 0
    token = query.get("page_token")
    if token:
        try:
            match = re.fullmatch(r"offset=(\d+)", base64.b64decode(token.encode()).decode())
        except ValueError:
            match = None
        if match is None:
            raise ApiError(*PAGE_TOKEN_INVALID)
        start = int(match.group(1))
    end = min(start + size, total)
    next_token = base64.b64encode(f"offset={end}".encode()).decode() if end < total else ""
    return start, end, next_token


@endpoint("GET", "/product/202309/categories", scopes=PRODUCT_BASIC)
def get_categories(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    version = check_category_version(shop, call.query.get("category_version"))
    keyword = call.query.get("keyword", "").lower()
    categories = [
        {
            "id": seed.to_version(c.id, version),
            "parent_id": "0" if c.parent_id == "0" else seed.to_version(c.parent_id, version),
            "local_name": c.name_in(version),
            "is_leaf": c.is_leaf,
            "permission_statuses": ["AVAILABLE"],
        }
        for c in seed.CATEGORIES.values()
        if keyword in c.name_in(version).lower()
    ]
    return {"categories": categories}


@endpoint("GET", "/product/202309/categories/{category_id}/rules", scopes=PRODUCT_BASIC)
def get_category_rules(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    version = check_category_version(shop, call.query.get("category_version"))
    category = resolve_category(shop, call.path_params["category_id"], version, leaf=True)
    return {
        "product_certifications": [
            {
                "id": c.id,
                "name": c.name,
                "is_required": c.is_required,
                "document_details": c.document_details,
                "sample_image_url": "",
                "requirement_conditions": conditions_json(c.requirement_conditions),
                "expiration_date": {"is_required": c.expiration_required},
            }
            for c in category.certifications_in(version)
        ],
        "fees": [{"type": "PFAND", "is_required": True}]
        if category.deposit_fee and shop.region in DEPOSIT_REGIONS
        else [],
        "size_chart": {"is_supported": category.size_chart_supported, "is_required": category.size_chart_required},
        "cod": {"is_supported": False},
        "package_dimension": {"is_required": category.package_dimension_required},
        "epr": {"is_required": False},
        "responsible_person": {"is_required": False},
        "manufacturer": {"is_required": False},
        "allowed_special_product_types": [],
    }


def conditions_json(conditions: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    return [
        {"condition_type": "VALUE_ID_MATCH", "attribute_id": attribute_id, "attribute_value_id": value_id}
        for attribute_id, value_id in conditions
    ]


def attribute_json(attribute: seed.Attribute) -> dict[str, Any]:
    out = {
        "id": attribute.id,
        "name": attribute.name,
        "type": attribute.type,
        "is_requried": attribute.is_required,  # sic: TikTok's spelling
        "values": [
            {"id": v.id, "name": v.name, **({"icon_url": v.icon_url} if v.icon_url else {})} for v in attribute.values
        ],
        "is_customizable": attribute.is_customizable,
        "requirement_conditions": conditions_json(attribute.requirement_conditions),
        "is_multiple_selection": attribute.is_multiple_selection,
    }
    if attribute.value_data_format:
        out["value_data_format"] = attribute.value_data_format
    return out


@endpoint("GET", "/product/202309/categories/{category_id}/attributes", scopes=PRODUCT_BASIC)
def get_attributes(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    category = resolve_category(shop, call.path_params["category_id"], call.query.get("category_version"), leaf=True)
    return {"attributes": [attribute_json(seed.ATTRIBUTES[a]) for a in category.attribute_ids]}


@endpoint("GET", "/product/202309/brands", scopes=PRODUCT_BASIC)
def get_brands(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    category = None
    if call.query.get("category_id"):
        category = resolve_category(shop, call.query["category_id"], call.query.get("category_version"), leaf=False)
    name_prefix = call.query.get("brand_name", "").lower()
    only_authorized = call.query.get("is_authorized") in ("1", "true")
    brands = [
        b for b in seed.BRANDS if b.name.lower().startswith(name_prefix) and (b.authorized or not only_authorized)
    ]
    start, end, next_token = page_window(call.query, len(brands))

    def entry(brand: seed.Brand) -> dict[str, Any]:
        item = {
            "id": brand.id,
            "name": brand.name,
            "authorized_status": "AUTHORIZED" if brand.authorized else "UNAUTHORIEZD",  # sic
            "is_t1_brand": brand.is_t1_brand,
        }
        if category is not None:
            available = not brand.category_ids or category.id in brand.category_ids
            item["brand_status"] = "AVAILABLE" if available else "UNAVAILABLE"
        return item

    return {"brands": [entry(b) for b in brands[start:end]], "total_count": len(brands), "next_page_token": next_token}


@endpoint("POST", "/product/202309/categories/recommend", scopes=PRODUCT_BASIC, shop="optional")
def recommend_category(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    title = call.json.get("product_title")
    if not isinstance(title, str) or not title.strip():
        raise ApiError(12052261, "product name is empty")
    version = check_category_version(shop, call.json.get("category_version"))
    words = set(re.findall(r"[a-z]+(?:-[a-z]+)?", title.lower()))
    best, score = None, 0
    for category in seed.CATEGORIES.values():
        hits = sum(1 for k in category.keywords if k in words or k.rstrip("s") in words or k + "s" in words)
        if category.is_leaf and hits > score:
            best, score = category, hits
    if best is None:
        raise ApiError(*NO_MATCHING_CATEGORY)
    chain = seed.chain(best.id)
    return {
        "leaf_category_id": seed.to_version(best.id, version),
        "categories": [
            {
                "id": seed.to_version(c.id, version),
                "name": c.name_in(version),
                "level": i + 1,
                "is_leaf": c.is_leaf,
                "permission_statuses": ["AVAILABLE"],
            }
            for i, c in enumerate(chain)
        ],
    }


@endpoint("GET", "/product/202312/prerequisites", scopes=PRODUCT_BASIC)
def listing_prerequisites(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    return {
        "check_results": [
            {
                "check_item": item,
                "is_failed": item in shop.failing_checks,
                "fail_reasons": [PREREQUISITE_REASONS[item]] if item in shop.failing_checks else [],
            }
            for item in PREREQUISITE_ITEMS
        ]
    }


# -- logistics ------------------------------------------------------------------------------------
@endpoint("GET", "/logistics/202309/warehouses", scopes=LOGISTICS)
def get_warehouses(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    hidden = set()
    if "PICKUP_WAREHOUSE" in shop.failing_checks:
        hidden.add("SALES_WAREHOUSE")
    if "RETURN_WAREHOUSE" in shop.failing_checks:
        hidden.add("RETURN_WAREHOUSE")
    return {
        "warehouses": [
            {
                "id": w.id,
                "entity_id": w.entity_id,
                "name": w.name,
                "effect_status": w.effect_status,
                "type": w.type,
                "sub_type": "DOMESTIC_WAREHOUSE",
                "is_default": w.is_default,
                "address": w.address,
            }
            for w in shop.warehouses
            if w.type not in hidden
        ]
    }


@endpoint("GET", "/logistics/202309/warehouses/{warehouse_id}/delivery_options", scopes=LOGISTICS)
def get_delivery_options(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    warehouse = shop.warehouse(call.path_params["warehouse_id"])
    if warehouse is None:
        raise ApiError(12052097, "The warehouse does not exist")
    return {
        "delivery_options": [
            {
                "id": o.id,
                "name": o.name,
                "type": o.type,
                "description": o.description,
                "dimension_limit": {"max_height": 100, "max_length": 100, "max_width": 100, "unit": "CM"},
                "weight_limit": {"max_weight": 30000, "min_weight": 1, "unit": "GRAM"},
                "platform": ["TIKTOK_SHOP"],
            }
            for o in warehouse.delivery_options
        ]
    }


@endpoint(
    "GET", "/logistics/202309/delivery_options/{delivery_option_id}/shipping_providers", scopes=FULFILLMENT_OR_LOGISTICS
)
def get_shipping_providers(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    wanted = call.path_params["delivery_option_id"]
    option = next((o for w in shop.warehouses for o in w.delivery_options if o.id == wanted), None)
    if option is None:
        raise ApiError(21008116, "No Subscription without specified delivery option.")
    return {"shipping_providers": [{"id": p, "name": call.state.providers[p]} for p in option.provider_ids]}
