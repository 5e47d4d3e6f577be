"""Product endpoints: image upload, create / check / edit / partial edit, get, search, batch status
changes, inventory and price updates."""

from __future__ import annotations

import copy
import secrets
from decimal import Decimal
from typing import Any

from . import catalog_seed as seed
from . import review
from .catalog import page_window
from .errors import ApiError, text, text_list
from .images import image_size
from .routing import PRODUCT_BASIC, PRODUCT_DELETE, PRODUCT_MODIFY, Call, endpoint
from .state import Image, Product, ProductVersion, SandboxState, Shop, Sku
from .validation import (
    EMPTY_SKUS,
    INVALID_INPUT,
    MAX_IDEMPOTENCY_KEY,
    MAX_QUANTITY,
    PREREQUISITE_ERRORS,
    Checked,
    parse_decimal,
    validate_product,
)

NOT_IN_SHOP = (12052048, "You cannot edit the specified product(s) as it isn't listed in your account or shop. ")
NOT_FOUND = (12052032, "The product does not exist")
WRONG_STATUS = (
    12052901,
    "The product in its current status is not available for this operation. Change the product status and try again.",
)
TOO_MANY_IDS = (12019120, "The number of provided product IDs exceeds the limit.")
CHECK_FAILED = (12052990, "The check failed.")
LISTING_LIMIT = (12052093, "Exceeded the product listing limit for the seller.")
MAX_BATCH_IDS = 20
UPLOAD_FORMATS = "JPG, JPEG, PNG, WEBP, HEIC, BMP"
USE_CASES = ("MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE", "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE")
IMAGE_HOST = "https://p16-oec-va.ibyteimg.com"


# -- images ---------------------------------------------------------------------------------------
@endpoint("POST", "/product/202309/images/upload", scopes=PRODUCT_BASIC, shop="forbidden", multipart=True)
def upload_image(call: Call) -> dict[str, Any]:
    form = call.form or {}
    upload = form.get("data")
    use_case = form.get("use_case") or "MAIN_IMAGE"
    if use_case not in USE_CASES:
        raise ApiError(11050001, "invalid param")
    if upload is None or isinstance(upload, str):
        raise ApiError(12038002, "Invalid upload file. Please ensure you are passing the correct file data.")
    data = upload.file.read()
    if len(data) > 10 * 1024 * 1024:
        raise ApiError(12038005, "The file size exceeds the maximum allowed size.")
    info = image_size(data)
    if info is None:
        raise ApiError(
            12038015,
            f"Failed to process the image. The format or content is not supported. Supported formats: {UPLOAD_FORMATS}",
        )
    image_format, width, height = info
    low, high = (300, 4000) if use_case == "MAIN_IMAGE" else (100, 20000)
    if not (low <= width <= high and low <= height <= high):
        raise ApiError(
            12038014,
            "The image dimensions exceed the allowed limits. Allowed dimensions (width x height "
            f"in pixels): {low} x {low} to {high} x {high}",
        )
    uri = "tos-maliva-i-o3syd03w52-us/" + secrets.token_hex(16)
    image = Image(uri, f"{IMAGE_HOST}/{uri}~tplv-o3syd03w52-origin-jpeg.jpeg", width, height, use_case, image_format)
    call.state.images[uri] = image
    return {"uri": uri, "url": image.url, "width": width, "height": height, "use_case": use_case}


def image_json(state: SandboxState, uri: str) -> dict[str, Any]:
    image = state.images.get(uri)
    url = image.url if image else f"{IMAGE_HOST}/{uri}"
    return {
        "uri": uri,
        "urls": [url],
        "thumb_urls": [url],
        "width": image.width if image else 0,
        "height": image.height if image else 0,
    }


VIDEO_HOST = "https://v16m-default.tiktokcdn-us.com/video"


# -- rendering ------------------------------------------------------------------------------------
# SKU fields accepted on create and given back as sent: all of them in Get Product, some in search.
KEPT_SKU_FIELDS = (
    "list_price",
    "external_list_prices",
    "pre_sale",
    "fees",
    "sku_unit_count",
    "external_urls",
    "extra_identifier_codes",
)
SEARCH_SKU_FIELDS = ("list_price", "external_list_prices", "pre_sale", "fees")


def sku_json(state: SandboxState, sku: Sku, currency: str, *, for_search: bool = False) -> dict[str, Any]:
    """A SKU as Get Product shows it; Search Products leaves out its sales attributes and identifiers."""
    body = sku.body
    price = body.get("price") or {}
    amount = price.get("amount") if price.get("amount") is not None else price.get("sale_price")
    out: dict[str, Any] = {
        "id": sku.id,
        "seller_sku": body.get("seller_sku", ""),
        "price": {"tax_exclusive_price": amount, "sale_price": amount, "currency": price.get("currency", currency)},
        "inventory": [
            {
                "warehouse_id": str(i.get("warehouse_id")),
                "quantity": i.get("quantity", 0),
                **{k: i[k] for k in ("backorder_quantity", "handling_time") if i.get(k) is not None},
            }
            for i in body.get("inventory") or []
        ],
        "status_info": {"status": sku.status, **({"deactivation_source": "SELLER"} if sku.status != "NORMAL" else {})},
    }
    for key in SEARCH_SKU_FIELDS if for_search else KEPT_SKU_FIELDS:
        if body.get(key) is not None:
            out[key] = body[key]
    if for_search:
        return out
    if body.get("sku_unit_count"):
        out["price"]["unit_price"] = str(round(float(amount or 0) / max(float(body["sku_unit_count"]), 1e-9), 2))
    out["sales_attributes"] = [
        {
            **{k: a[k] for k in ("id", "name", "value_id", "value_name")},
            **({"sku_img": image_json(state, a["sku_img"]["uri"])} if "sku_img" in a else {}),
            **(
                {"supplementary_sku_images": [image_json(state, i["uri"]) for i in a["supplementary_sku_images"]]}
                if a.get("supplementary_sku_images")
                else {}
            ),
        }
        for a in sku.sales_attributes
    ]
    out["external_sku_id"] = body.get("external_sku_id", "")
    if body.get("identifier_code") is not None:
        out["identifier_code"] = body["identifier_code"]
    return out


def product_json(state: SandboxState, product: Product, version: ProductVersion | None = None) -> dict[str, Any]:
    version = version or product.live
    shop = state.shops[product.shop_id]
    body = version.body
    category_id = body.get("category_id") or ""
    tree = body.get("category_version") or "v1"
    v1 = seed.from_version(category_id, tree) or ""
    out = {
        "id": product.id,
        "status": product.status,
        "title": body.get("title"),
        "category_chains": [
            {
                "id": seed.to_version(c.id, tree),
                "parent_id": "0" if c.parent_id == "0" else seed.to_version(c.parent_id, tree),
                "local_name": c.name_in(tree),
                "is_leaf": c.is_leaf,
            }
            for c in seed.chain(v1)
        ],
        "main_images": [image_json(state, uri) for uri in body.get("main_images") or []],
        "description": body.get("description"),
        "package_weight": body.get("package_weight"),
        "skus": [sku_json(state, s, shop.currency) for s in version.skus],
        "product_attributes": body.get("product_attributes") or [],
        "create_time": product.create_time,
        "update_time": product.update_time,
        "external_product_id": body.get("external_product_id") or "",
        "is_cod_allowed": bool(body.get("is_cod_allowed", False)),
        "audit": {"status": product.audit_status},
        "has_draft": False,
        "product_status": product.status
        if product.status not in ("PENDING", "FAILED")
        else ("ACTIVATE" if product.ever_approved else "INITIAL"),
    }
    if product.audit_failed_reasons:
        out["audit_failed_reasons"] = product.audit_failed_reasons
    for key in (
        "brand",
        "package_dimensions",
        "shipping_template_id",
        "manufacturer_ids",
        "responsible_person_ids",
        "shipping_insurance_requirement",
        "minimum_order_quantity",
    ):
        if body.get(key):
            out[key] = body[key]
    out["is_not_for_sale"] = bool(body.get("is_not_for_sale", False))
    out["is_pre_owned"] = bool(body.get("is_pre_owned", False))
    if isinstance(body.get("size_chart"), dict):
        chart = body["size_chart"]
        image = chart.get("image")
        out["size_chart"] = {
            **({"image": image_json(state, image["uri"])} if isinstance(image, dict) else {}),
            **({"template": chart["template"]} if chart.get("template") else {}),
        }
    if isinstance(body.get("video"), dict):
        out["video"] = video_json(body["video"])
    if body.get("certifications"):
        out["certifications"] = [certification_json(state, c) for c in body["certifications"]]
    out["recommended_categories"] = recommended_categories(body)
    out["delivery_options"] = [
        {"id": o.id, "name": o.name, "is_available": True} for o in shop.warehouses[0].delivery_options
    ]
    out["audit"]["pre_approved_reasons"] = []
    out["listing_quality_tier"] = quality_tier(body)
    out["prescription_requirement"] = {"needs_prescription": False}
    out["product_types"] = []
    out["is_replicated"] = False
    return out


def recommended_categories(body: dict[str, Any]) -> list[dict[str, str]]:
    """The category TikTok would pick for the product: the sandbox agrees with the seller's leaf."""
    tree = body.get("category_version") or "v1"
    leaf = seed.CATEGORIES.get(seed.from_version(str(body.get("category_id") or ""), tree) or "")
    return [{"id": seed.to_version(leaf.id, tree), "local_name": leaf.name_in(tree)}] if leaf else []


def video_json(video: dict[str, Any]) -> dict[str, Any]:
    """A video as Get Product shows it: the id given on create and the file behind it."""
    video_id = str(video.get("id", ""))
    return {
        "id": video_id,
        "url": f"{VIDEO_HOST}/{video_id}.mp4",
        "cover_url": f"{VIDEO_HOST}/{video_id}.jpg",
        "format": "MP4",
        "width": 1280,
        "height": 720,
        "size": 2_097_152,
    }


def certification_json(state: SandboxState, certification: dict[str, Any]) -> dict[str, Any]:
    """A certification as sent, with its title and the stored images and files' addresses."""
    rule = next(
        (c for cat in seed.CATEGORIES.values() for c in cat.certifications if c.id == certification.get("id")), None
    )
    out: dict[str, Any] = {
        "id": certification.get("id"),
        "title": rule.name if rule else "",
        "images": [image_json(state, i["uri"]) for i in certification.get("images") or []],
        "files": [
            {**f, "urls": [f"{IMAGE_HOST}/files/{f.get('id', '')}"]}
            for f in certification.get("files") or []
            if isinstance(f, dict)
        ],
    }
    if certification.get("expiration_date") is not None:
        out["expiration_date"] = certification["expiration_date"]
    return out


def search_item(state: SandboxState, product: Product) -> dict[str, Any]:
    shop = state.shops[product.shop_id]
    return {
        "id": product.id,
        "title": product.title,
        "status": product.status,
        "skus": [sku_json(state, s, shop.currency, for_search=True) for s in product.live.skus],
        "sales_regions": [shop.region],
        "create_time": product.create_time,
        "update_time": product.update_time,
        "audit": {"status": product.audit_status, "pre_approved_reasons": []},
        "has_draft": False,
        "is_not_for_sale": bool(product.live.body.get("is_not_for_sale", False)),
        "listing_quality_tier": quality_tier(product.live.body),
        "recommended_categories": recommended_categories(product.live.body),
        "product_sync_fail_reasons": [],
    }


# -- helpers --------------------------------------------------------------------------------------
def owned_product(call: Call, product_id: str) -> Product:
    product = call.state.products.get(product_id)
    if product is None:
        raise ApiError(*NOT_FOUND)
    if product.shop_id != call.require_shop().id:
        raise ApiError(*NOT_IN_SHOP)
    return product


def _check_prerequisites(shop: Shop) -> None:
    for item, pair in PREREQUISITE_ERRORS.items():
        if item in shop.failing_checks:
            raise ApiError(*pair)


def _build_version(
    state: SandboxState, checked: Checked, request: dict[str, Any], previous: ProductVersion | None
) -> ProductVersion:
    old = {s.id: s for s in previous.skus} if previous else {}
    skus = []
    for sku in checked.skus:
        sku_id = sku.get("id") or state.new_id()
        body = {k: v for k, v in sku.items() if k not in ("id", "sales_attributes")}
        status = old[sku_id].status if sku_id in old else "NORMAL"
        skus.append(Sku(sku_id, body, sku["sales_attributes"], status))
    stored = dict(checked.body)
    stored["request"] = copy.deepcopy(request)
    return ProductVersion(stored, skus)


def _sku_result(version: ProductVersion) -> list[dict[str, Any]]:
    return [
        {
            "id": s.id,
            "seller_sku": s.body.get("seller_sku", ""),
            "sales_attributes": [{"id": a["id"], "value_id": a["value_id"]} for a in s.sales_attributes],
            "external_sku_id": s.body.get("external_sku_id", ""),
            **({"fees": s.body["fees"]} if s.body.get("fees") else {}),
        }
        for s in version.skus
    ]


def _warnings(problems) -> list[dict[str, str]]:
    return [{"message": message} for message in problems.warnings]


def _first(problems) -> None:
    if problems:
        raise problems[0]


def _listing_day(state: SandboxState) -> int:
    return state.clock.now_int() // 86400


# -- create / check -------------------------------------------------------------------------------
@endpoint("POST", "/product/202309/products", scopes=PRODUCT_MODIFY)
def create_product(call: Call) -> dict[str, Any]:
    state, shop, body = call.state, call.require_shop(), call.json
    key = body.get("idempotency_key")
    if key is not None:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            raise ApiError(*INVALID_INPUT)
        if (shop.id, key) in state.idempotency:
            return state.idempotency[(shop.id, key)]
    as_draft = body.get("save_mode") == "AS_DRAFT"
    if not as_draft:
        _check_prerequisites(shop)
    checked, problems = validate_product(state, shop, body)
    _first(problems)
    external_id = checked.body.get("external_product_id")
    if external_id and any(
        p.shop_id == shop.id and p.status != "DELETED" and p.live.body.get("external_product_id") == external_id
        for p in state.products.values()
    ):
        raise ApiError(12052996, "external_id duplicated ")
    day = _listing_day(state)
    if not as_draft and shop.listings_by_day.get(day, 0) >= shop.daily_listing_limit:
        raise ApiError(*LISTING_LIMIT)

    now = call.now
    request = {k: v for k, v in body.items() if k != "idempotency_key"}
    product = Product(
        state.new_id(),
        shop.id,
        _build_version(state, checked, request, None),
        "DRAFT" if as_draft else "PENDING",
        now,
        now,
    )
    state.products[product.id] = product
    if not as_draft:
        shop.listings_by_day[day] = shop.listings_by_day.get(day, 0) + 1
        review.submit(state, product)
    result = {"product_id": product.id, "skus": _sku_result(product.live), "warnings": _warnings(problems)}
    if key is not None:
        state.idempotency[(shop.id, key)] = result
    return result


@endpoint("POST", "/product/202309/products/listing_check", scopes=PRODUCT_BASIC)
def check_listing(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    # The check documents no category_version: it reads the category in the shop's own tree.
    body = {**call.json, "category_version": call.json.get("category_version") or shop.category_version}
    _, problems = validate_product(call.state, shop, body)
    reasons = [{"code": p.code, "message": p.message} for p in problems]
    reasons += [
        {"code": pair[0], "message": pair[1]}
        for item, pair in PREREQUISITE_ERRORS.items()
        if item in shop.failing_checks
    ]
    diagnoses = listing_diagnoses(body)
    out: dict[str, Any] = {
        "check_result": "FAILED" if reasons else "PASS",
        "fail_reasons": reasons,
        "diagnoses": diagnoses,
        "listing_quality": {"current_tier": quality_tier(body), "remaining_recommendations": len(diagnoses)},
    }
    if reasons:
        out["warnings"] = {"message": "Your product will not be sent for review. "}
    return out


QUALITY_TIERS = ("GOOD", "FAIR", "POOR")  # by the number of open recommendations (0, 1, 2 or more)
GOOD_TITLE_LENGTH = 40
GOOD_DESCRIPTION_LENGTH = 200
GOOD_IMAGE_COUNT = 3


def quality_tier(body: dict[str, Any]) -> str:
    return QUALITY_TIERS[min(len(listing_diagnoses(body)), len(QUALITY_TIERS) - 1)]


def listing_diagnoses(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Listing-quality advice in the shape of the check's `diagnoses`: a short title, a thin description,
    too few images, each with what to do and suggestions built from the product itself."""
    title, description = str(body.get("title") or ""), str(body.get("description") or "")
    given = body.get("main_images")
    images = [i for i in given if isinstance(i, dict)] if isinstance(given, list) else []
    words = [w for w in title.split() if len(w) > 3][:3]
    found = []
    if len(title) < GOOD_TITLE_LENGTH:
        found.append(
            (
                "TITLE",
                "title_too_short",
                "Add the product type, material and main feature to the title.",
                {
                    "seo_words": [{"text": w.lower()} for w in words],
                    "smart_texts": [{"text": f"{title} - {' '.join(words)}"}],
                },
            )
        )
    if len(description) < GOOD_DESCRIPTION_LENGTH:
        found.append(
            (
                "DESCRIPTION",
                "description_too_short",
                "Describe the product in at least 200 characters with its features and use.",
                {"smart_texts": [{"text": description}]},
            )
        )
    if len(images) < GOOD_IMAGE_COUNT:
        found.append(
            (
                "IMAGE",
                "image_count_low",
                "Add at least three main images from different angles.",
                {
                    "images": [
                        {
                            "uri": i.get("uri", ""),
                            "url": f"https://p16-oec-va.ibyteimg.com/{i.get('uri', '')}",
                            "optimized_uri": f"{i.get('uri', '')}~opt",
                            "width": 800,
                            "height": 800,
                            "optimized_url": f"https://p16-oec-va.ibyteimg.com/{i.get('uri', '')}~opt",
                        }
                        for i in images
                    ]
                },
            )
        )
    return [
        {
            "field": field_name,
            "diagnosis_results": [{"code": code, "how_to_solve": how, "quality_tier": "FAIR"}],
            "suggestions": suggestions,
        }
        for field_name, code, how, suggestions in found
    ]


# -- edit -----------------------------------------------------------------------------------------
def _fill_kept_sku_fields(current: ProductVersion, skus: Any) -> Any:
    """Edit keeps price and inventory of an existing SKU when the request omits them."""
    if not isinstance(skus, list):
        return skus
    by_id = {s.id: s for s in current.skus}
    out = []
    for sku in skus:
        if isinstance(sku, dict) and text(sku.get("id")) in by_id:
            kept = by_id[sku["id"]].body
            sku = {**sku}
            for key in ("price", "inventory"):
                if key not in sku and key in kept:
                    sku[key] = kept[key]
        out.append(sku)
    return out


def _edit(call: Call, partial: bool) -> dict[str, Any]:
    state, shop = call.state, call.require_shop()
    product = owned_product(call, call.path_params["product_id"])
    if product.status in ("DELETED", "FREEZE"):
        raise ApiError(*WRONG_STATUS)
    current = product.under_review or product.live
    given = {k: v for k, v in call.json.items() if k != "save_mode"}
    if partial:
        request = {**current.body["request"], **given}
        if "skus" not in given:
            request["skus"] = [{**s.body, "id": s.id, "sales_attributes": _request_attributes(s)} for s in current.skus]
    else:
        request = given
    request["skus"] = _fill_kept_sku_fields(current, request.get("skus"))
    checked, problems = validate_product(state, shop, request, existing_sku_ids={s.id for s in current.skus})
    _first(problems)
    version = _build_version(state, checked, request, current)
    product.update_time = call.now
    if product.status == "ACTIVATE":
        product.under_review = version
        _publish_price_and_stock(product.live, version)
    elif product.status == "DRAFT" and call.json.get("save_mode") == "AS_DRAFT":
        product.live = version
        return _edit_result(product, version, problems, partial, audit="NONE")
    else:
        product.live = version
        product.status = "PENDING"
    review.submit(state, product)
    return _edit_result(product, version, problems, partial, audit=product.audit_status)


def _edit_result(product: Product, version: ProductVersion, problems, partial: bool, *, audit: str) -> dict[str, Any]:
    """Edit answers its warnings; Partial Edit documents none."""
    out = {"product_id": product.id, "skus": _sku_result(version), "audit": {"status": audit}}
    if not partial:
        out["warnings"] = _warnings(problems)
    return out


def _publish_price_and_stock(live: ProductVersion, edited: ProductVersion) -> None:
    """Edit Product: "edits to the price or inventory fields do not require a reaudit and will be immediately
    published", for the SKUs the live version already has."""
    by_id = {s.id: s for s in live.skus}
    for sku in edited.skus:
        if sku.id in by_id:
            for key in ("price", "inventory"):
                if key in sku.body:
                    by_id[sku.id].body[key] = copy.deepcopy(sku.body[key])


def _request_attributes(sku: Sku) -> list[dict[str, Any]]:
    """Sales attributes in request form: built-in ones by id, custom ones by name."""
    out = []
    for a in sku.sales_attributes:
        attribute = seed.ATTRIBUTES.get(a["id"])
        if attribute is None:
            entry = {"name": a["name"], "value_name": a["value_name"]}
        elif attribute.value(a["value_id"]) is None:
            entry = {"id": a["id"], "value_name": a["value_name"]}
        else:
            entry = {"id": a["id"], "value_id": a["value_id"]}
        if "sku_img" in a:
            entry["sku_img"] = a["sku_img"]
        out.append(entry)
    return out


@endpoint(
    "PUT", "/product/202309/products/{product_id}", "/product/202509/products/{product_id}", scopes=PRODUCT_MODIFY
)
def edit_product(call: Call) -> dict[str, Any]:
    return _edit(call, partial=False)


@endpoint(
    "POST",
    "/product/202309/products/{product_id}/partial_edit",
    "/product/202509/products/{product_id}/partial_edit",
    scopes=PRODUCT_MODIFY,
)
def partial_edit_product(call: Call) -> dict[str, Any]:
    return _edit(call, partial=True)


# -- read -----------------------------------------------------------------------------------------
@endpoint("GET", "/product/202309/products/{product_id}", scopes=PRODUCT_BASIC)
def get_product(call: Call) -> dict[str, Any]:
    product = owned_product(call, call.path_params["product_id"])
    if product.status in ("DELETED", "FREEZE"):
        raise ApiError(*WRONG_STATUS)
    if call.query.get("return_under_review_version") == "true":
        if product.under_review is None:
            raise ApiError(
                12052547, "There is no version of this product that is under review. Please obtain the online version."
            )
        return product_json(call.state, product, product.under_review)
    return product_json(call.state, product)


SEARCH_STATUSES = (
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
)


@endpoint("POST", "/product/202309/products/search", "/product/202502/products/search", scopes=PRODUCT_BASIC)
def search_products(call: Call) -> dict[str, Any]:
    state, shop, body = call.state, call.require_shop(), call.json
    status = body.get("status") or "ALL"
    if status not in SEARCH_STATUSES:
        raise ApiError(*INVALID_INPUT)
    seller_skus = text_list(body.get("seller_skus"), ApiError(*INVALID_INPUT))
    if len(seller_skus) > 10:
        raise ApiError(12019027, "The maximum count of “seller_skus” in the search filter is 10.")
    sku_ids = text_list(body.get("sku_ids"), ApiError(*INVALID_INPUT))
    if len(sku_ids) > 10:
        raise ApiError(12019087, "The number of SKU IDs exceeds the limit of 10")
    audit = text_list(body.get("audit_status"), ApiError(*INVALID_INPUT))

    def matches(p: Product) -> bool:
        if p.shop_id != shop.id:
            return False
        if status == "ALL" and p.status == "DELETED" or status != "ALL" and p.status != status:
            return False
        skus = p.live.skus
        if seller_skus and not any(s.body.get("seller_sku") in seller_skus for s in skus):
            return False
        if sku_ids and not any(s.id in sku_ids for s in skus):
            return False
        if audit and p.audit_status not in audit:
            return False
        for field_name, attr, op in (
            ("create_time_ge", "create_time", "ge"),
            ("create_time_le", "create_time", "le"),
            ("update_time_ge", "update_time", "ge"),
            ("update_time_le", "update_time", "le"),
        ):
            bound = body.get(field_name)
            if isinstance(bound, int):
                value = getattr(p, attr)
                if (op == "ge" and value < bound) or (op == "le" and value > bound):
                    return False
        return True

    found = sorted((p for p in state.products.values() if matches(p)), key=lambda p: (-p.create_time, p.id))
    start, end, next_token = page_window(call.query, len(found))
    return {
        "products": [search_item(state, p) for p in found[start:end]],
        "total_count": len(found),
        "next_page_token": next_token,
    }


# -- batch status changes -------------------------------------------------------------------------
def _batch(call: Call, apply, *, extra: bool) -> dict[str, Any]:
    ids = call.json.get("product_ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise ApiError(*INVALID_INPUT)
    if len(ids) > MAX_BATCH_IDS:
        raise ApiError(*TOO_MANY_IDS)
    shop = call.require_shop()
    errors = []
    for product_id in ids:
        product = call.state.products.get(product_id)
        if product is None:
            problem = NOT_FOUND
        elif product.shop_id != shop.id:
            problem = NOT_IN_SHOP
        else:
            problem = apply(product)
        if problem is None:
            product.update_time = call.now
            continue
        if extra:  # activate wraps the reason in "check failed", as its sample shows
            errors.append(
                {
                    "code": CHECK_FAILED[0],
                    "message": CHECK_FAILED[1],
                    "detail": {"product_id": product_id, "extra_errors": [{"code": problem[0], "message": problem[1]}]},
                }
            )
        else:
            errors.append({"code": problem[0], "message": problem[1], "detail": {"product_id": product_id}})
    return {"errors": errors}


def _seller_switch(call: Call, from_status: str, to_status: str, *, extra: bool) -> dict[str, Any]:
    """Activate or deactivate: one state to another, with a status webhook (type 5) for each product."""
    shop = call.require_shop()

    def apply(product: Product):
        if product.status != from_status:
            return WRONG_STATUS
        product.status = to_status
        call.state.emit(
            shop,
            5,
            {
                "product_id": int(product.id),
                "status": "PRODUCT_STATUS_CHANGED",
                "suspended_reason": "",
                "update_time": call.now,
            },
        )
        return None

    return _batch(call, apply, extra=extra)


@endpoint("POST", "/product/202309/products/activate", scopes=PRODUCT_BASIC)
def activate(call: Call) -> dict[str, Any]:
    return _seller_switch(call, "SELLER_DEACTIVATED", "ACTIVATE", extra=True)


@endpoint("POST", "/product/202309/products/deactivate", scopes=PRODUCT_BASIC)
def deactivate(call: Call) -> dict[str, Any]:
    return _seller_switch(call, "ACTIVATE", "SELLER_DEACTIVATED", extra=False)


@endpoint("DELETE", "/product/202309/products", scopes=PRODUCT_DELETE)
def delete(call: Call) -> dict[str, Any]:
    def apply(product: Product):
        if product.status in ("DELETED", "FREEZE"):
            return WRONG_STATUS
        product.status_before_delete = product.status
        product.status = "DELETED"
        product.review_id += 1  # a pending review no longer applies
        return None

    return _batch(call, apply, extra=False)


@endpoint("POST", "/product/202309/products/recover", scopes=PRODUCT_DELETE)
def recover(call: Call) -> dict[str, Any]:
    def apply(product: Product):
        if product.status != "DELETED":
            return WRONG_STATUS
        before = product.status_before_delete or "DRAFT"
        # A recovered product does not go live by itself: the seller activates it again.
        product.status = "SELLER_DEACTIVATED" if before in ("ACTIVATE", "SELLER_DEACTIVATED") else before
        if before == "PENDING":
            review.submit(call.state, product)
        return None

    return _batch(call, apply, extra=False)


# -- inventory and price --------------------------------------------------------------------------
@endpoint("POST", "/product/202309/products/{product_id}/inventory/update", scopes=PRODUCT_MODIFY, shop="optional")
def update_inventory(call: Call) -> dict[str, Any]:
    product = owned_product(call, call.path_params["product_id"])
    if product.status != "ACTIVATE":
        raise ApiError(*WRONG_STATUS)
    skus = call.json.get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(*EMPTY_SKUS)
    if not all(isinstance(s, dict) and isinstance(s.get("id"), str) for s in skus):
        raise ApiError(12052036, "The SKU ID is necessary")
    ids = [s["id"] for s in skus]
    if len(ids) != len(set(ids)):
        raise ApiError(12052553, "Sku id duplicate")
    by_id = {s.id: s for s in product.live.skus}
    errors = []
    for entry in skus:
        sku = by_id.get(entry["id"])
        if sku is None:
            errors.append(_sku_error(entry, (12052556, "The SKU id not exist."), []))
            continue
        inventory = entry.get("inventory")
        if not isinstance(inventory, list) or not inventory:
            errors.append(_sku_error(entry, (12019022, "SKU must contain a valid warehouse."), []))
            continue
        current = {str(i.get("warehouse_id")) for i in sku.body.get("inventory") or []}
        given = [
            str(i.get("warehouse_id") or (next(iter(current)) if len(current) == 1 else ""))
            for i in inventory
            if isinstance(i, dict)
        ]
        extra_errors = []
        for warehouse_id, item in zip(given, inventory):
            quantity = item.get("quantity")
            if warehouse_id not in current:
                extra_errors.append(
                    {
                        "warehouse_id": warehouse_id,
                        "code": 12052533,
                        "message": "Removal, addition, and change of warehouses are not permitted. "
                        "Please specify the original warehouses for the SKUs.",
                    }
                )
            elif not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
                extra_errors.append(
                    {
                        "warehouse_id": warehouse_id,
                        "code": 12052055,
                        "message": "The SKU inventory quantity for the warehouse must be within allowed limits.",
                    }
                )
        if not extra_errors and set(given) != current:
            extra_errors.append(
                {
                    "warehouse_id": "",
                    "code": 12019028,
                    "message": "Multiple warehouses detected. Include all warehouse IDs and the "
                    "corresponding details and try again.",
                }
            )
        if extra_errors:
            errors.append(_sku_error(entry, CHECK_FAILED, extra_errors))
            continue
        # Only quantities change: backorder quantity and handling time set on create stay.
        before = {str(i.get("warehouse_id")): i for i in sku.body.get("inventory") or []}
        sku.body["inventory"] = [
            {**before.get(w, {}), "warehouse_id": w, "quantity": i["quantity"]} for w, i in zip(given, inventory)
        ]
    product.update_time = call.now
    return {"errors": errors}


def _sku_error(entry: Any, pair: tuple[int, str], extra: list[dict[str, Any]]) -> dict[str, Any]:
    sku_id = entry.get("id") if isinstance(entry, dict) else None
    return {"code": pair[0], "message": pair[1], "detail": {"sku_id": sku_id or "", "extra_errors": extra}}


@endpoint("POST", "/product/202309/products/{product_id}/prices/update", scopes=PRODUCT_MODIFY)
def update_price(call: Call) -> dict[str, Any]:
    shop = call.require_shop()
    product = owned_product(call, call.path_params["product_id"])
    if product.status != "ACTIVATE":
        raise ApiError(*WRONG_STATUS)
    skus = call.json.get("skus")
    if not isinstance(skus, list) or not skus:
        raise ApiError(*EMPTY_SKUS)
    by_id = {s.id: s for s in product.live.skus}
    low, high = (Decimal(str(x)) for x in seed.PRICE_RANGE)
    updates = []
    for entry in skus:
        sku = by_id.get(text(entry.get("id")) or "") if isinstance(entry, dict) else None
        if sku is None:
            raise ApiError(12052557, "The SKU ID does not belong to the product.")
        price = entry.get("price")
        if not isinstance(price, dict):
            raise ApiError(12052073, "The product price is invalid")
        if price.get("currency") != shop.currency:
            raise ApiError(12052084, "The provided currency is not available for this shop/region.")
        amount = parse_decimal(price.get("amount") if price.get("amount") is not None else price.get("sale_price"))
        if amount is None or amount < low:
            raise ApiError(12052073, "The product price is invalid")
        if amount > high:
            raise ApiError(12052570, "product price exceed limit")
        updates.append((sku, entry))
    for sku, entry in updates:
        sku.body["price"] = entry["price"]
        for key in ("list_price", "external_list_prices"):
            if key in entry:
                sku.body[key] = entry[key]
    product.update_time = call.now
    return {}
