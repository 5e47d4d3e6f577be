"""Category templates in the browser: the list, and a two-step form to create or edit one.

Step 1 (GET, state in the query): conditions with the live count of matching products, the TikTok
category (browse, search, or the one TikTok recommends for a matching product), and the price and
stock rules. Step 2: the category's attributes and sales attributes as TikTok defines them, the
warehouse and weight, and a preview of a few real products as TikTok would get them. Saving goes
through `category_templates.service`, like the JSON API (`/api/v1/templates`)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import FormData, QueryParams

from tokbridge.catalog.models import CatalogOption
from tokbridge.category_templates import repository as templates_repository
from tokbridge.category_templates import service as templates_service
from tokbridge.category_templates.categories import category_version_for, fetch_category_info, name_path
from tokbridge.category_templates.pricing import ROUNDING_LABELS
from tokbridge.category_templates.rules import FIELD_LABELS, NUMBER_OPERATORS, TEXT_OPERATORS
from tokbridge.category_templates.spec import CategoryChoice, TemplateSpec
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.shops import NoSuchShop, ShopContext, active_shops, shop_context, shop_contexts
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.channels.tiktok.models import RecommendCategoryInput
from tokbridge.config import get_settings
from tokbridge.db.engine import for_writing, get_engine
from tokbridge.kit.errors import NeedsReconnect
from tokbridge.listings import currency, template_sync
from tokbridge.listings.repository import ListingRepository
from tokbridge.web.deps import OptionalShopDep, ShopNeeded, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.params import RowId
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)


def _chosen(shop: ShopContext | None) -> ShopContext:
    """The request's shop. Taken as optional so that a malformed request is answered as such first (422,
    404), and only then "Connect a TikTok shop first"."""
    if shop is None:
        raise ShopNeeded("none")
    return shop


RULE_ROWS = 4  # condition rows on the form; empty ones are ignored
OPERATOR_LABELS = {
    "equals": "is",
    "not_equals": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "greater_than": "is more than",
    "less_than": "is less than",
    "is_empty": "is empty",
    "is_not_empty": "is not empty",
}
PREVIEW_PRODUCTS = 3


def _tiktok(viewer, shop: ShopContext):
    """TikTok's client for the shop the page works on."""
    settings = get_settings()
    viewer.db.commit()  # hold no lock while TikTok answers
    return tiktok_client(settings, get_engine(settings.database_url), shop.shop), shop.shop


@router.get("/templates", response_class=HTMLResponse)
def template_list(request: Request, viewer: ViewerDep, shop: OptionalShopDep, saved: str | None = None) -> Response:
    if shop is None:  # templates belong to a TikTok shop: the page says so, with the way to connect one
        return templates.TemplateResponse(
            request, "templates.html", {"viewer": viewer, "rows": [], "no_shop": True, **read_flash(request)}
        )
    rows = [asdict(t) for t in templates_service.list_templates(viewer.db, shop)]
    several = len(active_shops(viewer.db)) > 1
    return templates.TemplateResponse(
        request,
        "templates.html",
        {
            "viewer": viewer,
            "rows": rows,
            "saved": saved,
            "shop_id": shop.shop_id,
            "can_copy": several,
            "shop_label": shop.label if several else None,
            "named_shop": _named_shop(request, shop),
            **read_flash(request),
        },
    )


@router.post("/templates/{template_id}/delete")
def delete_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep, template_id: RowId) -> Response:
    shop = _chosen(shop)
    back = "/templates" + _named_shop(request, shop)
    try:
        template_sync.delete_template(viewer.db, shop, template_id)
    except templates_service.TemplateNotFound:
        return redirect_with_error(back, "That template was already deleted.")
    viewer.db.commit()
    return redirect_with_notice(back, "Template deleted; its products fall to the next matching template, if any.")


# --- copy to another shop -----------------------------------------------------------------------------


@router.get("/templates/{template_id}/copy", response_class=HTMLResponse)
def copy_page(
    request: Request, viewer: ViewerDep, shop: OptionalShopDep, template_id: RowId, target: str | None = None
) -> Response:
    """Choose the other shop; when it lists in another category tree, the category the copy uses there."""
    shop = _chosen(shop)
    return _copy_page(request, viewer, shop, template_id, target)


@router.post("/templates/{template_id}/copy")
async def copy_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep, template_id: RowId) -> Response:
    shop = _chosen(shop)
    form = await request.form()
    wanted, category_id = str(form.get("target", "")), str(form.get("category_id", "")).strip()
    name = str(form.get("name", "")).strip() or None
    db = viewer.db
    try:
        templates_service.get_template_name(db, shop, template_id)
        target = shop_context(db, wanted)
    except templates_service.TemplateNotFound:
        return redirect_with_error("/templates", "That template no longer exists in this shop.")
    except NoSuchShop:
        raise HTTPException(404, "That TikTok shop is not one of yours.") from None
    choice, info = None, None
    if category_id:
        db.commit()  # hold no lock while TikTok answers
        try:
            choice, info = _copy_category(viewer, target, category_id)
        except NeedsReconnect:
            raise  # the app's error page asks to reconnect the shop, not to wait
        except TikTokError as exc:
            log.info("template copy: TikTok did not answer: %s", exc)
            return _copy_page(
                request,
                viewer,
                shop,
                template_id,
                target.shop_id,
                name=name,
                status_code=502,
                error="TikTok Shop did not answer, so the category could not be checked. Try again in a minute.",
            )
        if choice is None:
            return _copy_page(
                request,
                viewer,
                shop,
                template_id,
                target.shop_id,
                name=name,
                status_code=422,
                error=f"Choose a last-level category of {target.label}'s tree from the list.",
            )
        for_writing(db)  # a new transaction after the commit: SQLite takes its write lock up front again
    try:
        copied = templates_service.copy_to_shop(db, template_id, shop, target, choice, category_info=info, name=name)
    except templates_service.CopyRefused as refused:
        db.rollback()
        return _copy_page(
            request,
            viewer,
            shop,
            template_id,
            target.shop_id,
            name=name,
            error=refused.message,
            status_code=409 if refused.name_taken else 422,
        )
    db.commit()
    notice = " ".join([f"Template copied to {target.label} as “{copied.template.name}”.", *copied.notes])
    return redirect_with_notice(f"/templates?shop={target.shop_id}", notice)


def _copy_category(viewer, target: ShopContext, category_id: str):
    """The chosen category with its place in the target's tree and its attributes (None: not a leaf there)."""
    client, connection = _tiktok(viewer, target)
    version = category_version_for(connection.region)
    tree = client.get_categories(category_version=version)
    found = next((c for c in tree if c.id == category_id), None)
    if found is None or not found.is_leaf:
        return None, None
    info = fetch_category_info(client, category_id, category_version=version)
    return CategoryChoice(id=category_id, version=version, name_path=name_path(tree, category_id)), info


def _copy_page(
    request: Request,
    viewer,
    shop: ShopContext,
    template_id: int,
    wanted: str | None,
    *,
    name: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    db = viewer.db
    try:
        spec = templates_service.get_template_spec(db, shop, template_id)
    except templates_service.TemplateNotFound:
        raise HTTPException(404, "No such template in this shop; it may have been deleted.") from None
    targets = [other for other in shop_contexts(db) if other.shop_id != shop.shop_id]
    target = next((other for other in targets if other.shop_id == wanted), None)
    if wanted and target is None:
        raise HTTPException(404, "That TikTok shop is not one of yours.")
    context = {
        "viewer": viewer,
        "template_id": template_id,
        "name": spec.name,
        "source_label": shop.label,
        "source_id": shop.shop_id,
        "targets": targets,
        "target": target,
        "copy_name": name or spec.name,
        "error": error,
        "category_label": spec.category.label,
        "leaves": None,
        "category_id": "",
    }
    if target is not None and not templates_service.same_category_tree(shop, target):
        try:
            client, connection = _tiktok(viewer, target)
            version = category_version_for(connection.region)
            tree = client.get_categories(category_version=version)
        except NeedsReconnect:
            raise  # the app's error page asks to reconnect the shop, not to wait
        except TikTokError as exc:
            log.info("template copy: TikTok did not answer: %s", exc)
            return templates.TemplateResponse(
                request,
                "error.html",
                {
                    "viewer": viewer,
                    "status": 502,
                    "detail": "TikTok Shop did not answer, so the other shop's "
                    "categories cannot be shown. Wait a minute and reload "
                    "the page.",
                },
                status_code=502,
            )
        context["leaves"] = sorted(
            ((c.id, " > ".join(name_path(tree, c.id))) for c in tree if c.is_leaf), key=lambda pair: pair[1]
        )
    return templates.TemplateResponse(request, "template_copy.html", context, status_code=status_code)


# --- the form -------------------------------------------------------------------------------------


@router.get("/templates/new", response_class=HTMLResponse)
def new_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    shop = _chosen(shop)
    return _form_page(request, viewer, shop, request.query_params, template_id=None)


@router.get("/templates/{template_id}/edit", response_class=HTMLResponse)
def edit_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep, template_id: RowId) -> Response:
    shop = _chosen(shop)
    params = request.query_params
    if "name" not in params:  # first visit: start from the stored template
        try:
            spec = templates_service.get_template_spec(viewer.db, shop, template_id)
        except templates_service.TemplateNotFound:
            raise HTTPException(404, "No such template; it may have been deleted.") from None
        params = QueryParams(_params_of(spec))
    return _form_page(request, viewer, shop, params, template_id=template_id)


@router.post("/templates/new")
async def create_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    shop = _chosen(shop)
    return await _save(request, viewer, shop, None)


@router.post("/templates/{template_id}/edit")
async def update_template(request: Request, viewer: ViewerDep, shop: OptionalShopDep, template_id: RowId) -> Response:
    shop = _chosen(shop)
    return await _save(request, viewer, shop, template_id)


async def _save(request: Request, viewer, shop: ShopContext, template_id: int | None) -> Response:
    form = await request.form()
    stored = None
    if template_id is not None:
        try:
            stored = templates_service.get_template_spec(viewer.db, shop, template_id)
        except templates_service.TemplateNotFound:
            raise HTTPException(404, "No such template; it may have been deleted.") from None
    data = spec_from_form(form, stored)
    if form.get("intent") == "preview":
        return _form_page(request, viewer, shop, form, template_id=template_id, preview_spec=data)
    try:
        if template_id is None:
            template = template_sync.create_template(viewer.db, shop, data)
        else:
            template = template_sync.update_template(viewer.db, shop, template_id, data)
    except templates_service.TemplateInvalid as invalid:
        viewer.db.rollback()
        log.info("template refused: %s", "; ".join(e.message for e in invalid.errors)[:300])
        return _form_page(request, viewer, shop, form, template_id=template_id, errors=invalid.errors, status_code=422)
    except templates_service.TemplateNotFound:
        raise HTTPException(404, "No such template; it may have been deleted.") from None
    viewer.db.commit()
    return RedirectResponse(f"/templates?saved={template.id}" + _named_shop(request, shop, "&"), status_code=303)


def _form_page(
    request: Request,
    viewer,
    shop: ShopContext,
    params,
    *,
    template_id: int | None,
    errors=None,
    preview_spec=None,
    status_code: int = 200,
) -> Response:
    db = viewer.db
    values = _form_values(params)
    count, count_error = None, None
    try:
        count = templates_service.count_matches(db, shop, values["selection"])
    except templates_service.TemplateInvalid as invalid:
        count_error = "; ".join(e.message for e in invalid.errors)
    context = {
        "viewer": viewer,
        "v": values,
        "template_id": template_id,
        "errors": errors or [],
        "count": count,
        "count_error": count_error,
        "field_labels": FIELD_LABELS,
        "operator_labels": OPERATOR_LABELS,
        "text_operators": TEXT_OPERATORS,
        "number_operators": NUMBER_OPERATORS,
        "rounding_labels": ROUNDING_LABELS,
        "shop_id": shop.shop_id,
        "can_copy": len(active_shops(db)) > 1,
        "product_types": ListingRepository(db).product_types(),
        "action": ("/templates/new" if template_id is None else f"/templates/{template_id}/edit")
        + _named_shop(request, shop),
        "named_shop": shop.shop_id if _named_shop(request, shop) else None,
    }
    sample_title = _first_match_title(db, viewer.merchant_id, values["selection"]) if count else None
    step_two = bool(values["category_id"]) and params.get("step") != "search"
    if params.get("step") == "next" and (missing := _step_one_missing(values)):
        # Refused where the name and category are entered, with everything else kept as typed.
        context["errors"], status_code, step_two = missing, 422, False
    context["errors"] = [(_part_label(e.field), e.message) for e in context["errors"]]
    client, connection = _tiktok(viewer, shop)
    version = category_version_for(connection.region)
    try:
        categories = client.get_categories(category_version=version)
        leaves = sorted(
            ((c.id, " > ".join(name_path(categories, c.id))) for c in categories if c.is_leaf), key=lambda pair: pair[1]
        )
        context.update(version=version, leaves=leaves, category_label=dict(leaves).get(values["category_id"], ""))
        if not step_two:
            query = values["category_q"].lower()
            context["found"] = [leaf for leaf in leaves if query in leaf[1].lower()] if query else None
            recommended = _recommended(client, sample_title, dict(leaves), version)
            if recommended and values["category_id"] and values["category_id"] == params.get("recommended_id"):
                # The choice was TikTok's recommendation for the products as they were: it follows the products.
                values["category_id"] = recommended["id"]
            context["recommended"] = recommended
            context["category_label"] = dict(leaves).get(values["category_id"], "")
            return templates.TemplateResponse(
                request, "template_form.html", {**context, "step": 1}, status_code=status_code
            )
        info = fetch_category_info(client, values["category_id"], category_version=version)
        warehouses = [w for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE"]
    except NeedsReconnect:
        raise  # the app's error page asks to reconnect the shop, not to wait
    except TikTokError as exc:
        log.info("template form: TikTok did not answer: %s", exc)
        return templates.TemplateResponse(
            request,
            "error.html",
            {
                "viewer": viewer,
                "status": 502,
                "detail": "TikTok Shop did not answer, so its categories cannot be "
                "shown. Wait a minute and reload the page.",
            },
            status_code=502,
        )
    context.update(
        step=2,
        product_attributes=info.product_attributes,
        sales_attributes=info.sales_attributes,
        warehouses=warehouses,
        options=_option_names(db, viewer.merchant_id, values["selection"]),
    )
    if preview_spec is not None:
        context["preview"], context["preview_errors"] = _preview(db, shop, preview_spec, info, warehouses, connection)
    return templates.TemplateResponse(request, "template_form.html", context, status_code=status_code)


def _named_shop(request: Request, shop: ShopContext, separator: str = "?") -> str:
    """`?shop=<id>` when the request named its shop: the page's forms and links keep working on that shop
    (a browser drops a GET form's query, so the step-1 form also carries it as a field)."""
    return f"{separator}shop={shop.shop_id}" if request.query_params.get("shop") else ""


def _step_one_missing(values: dict) -> list:
    missing = []
    if not values["name"]:
        missing.append(templates_service.FieldError("", "Give the template a name."))
    if not values["category_id"]:
        missing.append(
            templates_service.FieldError(
                "", "Choose a TikTok category: search for one, or pick it from the list of all categories."
            )
        )
    return missing


# What a refused setting is called on the form (a merchant never sees "price.amount").
PART_LABELS = {
    "name": "Name",
    "priority": "Priority",
    "selection": "Which products",
    "category": "TikTok category",
    "attributes": "Product attributes",
    "variants": "Variants",
    "price": "Price on TikTok",
    "inventory": "Stock on TikTok",
    "listing": "Package, title and description",
}


def _part_label(field: str) -> str:
    return PART_LABELS.get(field.split(".")[0], "") if field else ""


def _recommended(client, title: str | None, leaves: dict[str, str], version: str) -> dict | None:
    """TikTok's category for the first matching product's title (None when it has no opinion)."""
    if not title:
        return None
    try:
        found = client.recommend_category(RecommendCategoryInput(product_title=title, category_version=version))
    except NeedsReconnect:
        raise  # the app's error page asks to reconnect the shop, not to wait
    except TikTokError as exc:
        log.info("no category recommendation: %s", exc)
        return None
    if found.leaf_category_id not in leaves:
        return None
    return {"id": found.leaf_category_id, "label": leaves[found.leaf_category_id], "title": title}


def _preview(db, shop: ShopContext, data: dict, info, warehouses, connection):
    try:
        spec = templates_service.parse_spec(data)
    except templates_service.TemplateInvalid as invalid:
        return [], invalid.errors
    previews = templates_service.preview(
        db,
        shop,
        spec,
        currency.market_for(db, connection),
        limit=PREVIEW_PRODUCTS,
        category=info,
        warehouse_ids=[w.id for w in warehouses],
    )
    return previews, []


def _first_match_title(db, merchant_id: int, selection: dict) -> str | None:
    try:
        rule_set = templates_service.parse_rule_set(selection)
    except templates_service.TemplateInvalid:
        return None
    ids = templates_repository.matching_product_ids(db, merchant_id, rule_set, limit=1)
    product = ListingRepository(db).product(ids[0]) if ids else None
    return product.title if product else None


def _option_names(db, merchant_id: int, selection: dict) -> list[str]:
    """The option names (Size, Color...) of the products the template selects, for the variant mapping;
    Shopify's placeholder option of single-variant products ("Title") is left out."""
    try:
        rule_set = templates_service.parse_rule_set(selection)
    except templates_service.TemplateInvalid:
        return []
    ids = templates_repository.matching_product_ids(db, merchant_id, rule_set, limit=500)
    if not ids:
        return []
    names = db.scalars(select(CatalogOption.name).where(CatalogOption.product_id.in_(ids)).distinct().limit(50))
    return sorted(name for name in set(names) if name != "Title")


# --- form <-> spec ------------------------------------------------------------------------------


def _form_values(params: QueryParams | FormData) -> dict:
    rules = []
    for field, operator, value in zip(
        params.getlist("rule_field"), params.getlist("rule_operator"), params.getlist("rule_value"), strict=False
    ):
        if field and operator and (str(value).strip() or operator in ("is_empty", "is_not_empty")):
            rules.append({"field": field, "operator": operator, "value": str(value).strip()})
    # Short links from elsewhere ("a template for this product type", "with a 10% markup").
    if params.get("product_type") and not rules:
        rules.append({"field": "product_type", "operator": "equals", "value": str(params["product_type"])})
    markup = params.get("markup") if "price_adjustment" not in params else None
    rows = rules + [{"field": "", "operator": "equals", "value": ""}] * max(1, RULE_ROWS - len(rules))
    return {
        "name": str(params.get("name", "")).strip(),
        "selection": {"match": "any" if params.get("match") == "any" else "all", "rules": rules},
        "rule_rows": rows,
        # The browse list wins over the radio buttons (recommended, search results) when something is chosen in it.
        "category_id": str(
            params.get("category_browse") or next((c for c in params.getlist("category_id") if c), "")
        ).strip(),
        "category_q": str(params.get("category_q", "")).strip(),
        "priority": str(params.get("priority", "100")).strip(),
        "price_base": params.get("price_base", "price"),
        "price_adjustment": "percentage" if markup else params.get("price_adjustment", "none"),
        "price_direction": params.get("price_direction", "up"),
        "price_amount": markup or params.get("price_amount", "0"),
        "price_rounding": params.get("price_rounding", "none"),
        "reserve_percent": params.get("reserve_percent", "0"),
        "max_quantity": params.get("max_quantity", ""),
        "warehouse_id": params.get("warehouse_id", ""),
        "weight": params.get("weight", "0.5"),
        "warehouse_map": params.get("warehouse_map", ""),
        "out_of_stock_threshold": str(params.get("out_of_stock_threshold", "0")).strip(),
        "untracked_quantity": str(params.get("untracked_quantity", "0")).strip(),
        "weight_unit": params.get("weight_unit", "POUND"),
        "length": params.get("length", ""),
        "width": params.get("width", ""),
        "height": params.get("height", ""),
        "dimension_unit": params.get("dimension_unit", "INCH"),
        "title_template": params.get("title_template", ""),
        "description_fallback": params.get("description_fallback", ""),
        "attributes": {k.removeprefix("attr_"): str(v) for k, v in params.items() if k.startswith("attr_") and v},
        "variants": {k.removeprefix("variant_"): str(v) for k, v in params.items() if k.startswith("variant_") and v},
    }


def spec_from_form(form: FormData, stored: TemplateSpec | None = None) -> dict:
    """The template the form describes, in the shape `category_templates.service` validates. Editing a
    stored template changes only what the form shows: the rest (value renames, a brand, certifications,
    switches set through the API...) is kept as stored."""
    v = _form_values(form)
    data = {
        "name": v["name"],
        "priority": v["priority"] or "100",
        "selection": v["selection"],
        "category": {
            "id": v["category_id"],
            "version": form.get("version", "v2"),
            "name_path": [p.strip() for p in str(form.get("category_label", "")).split(">") if p.strip()],
        },
        "attributes": [_attribute_mapping(attribute_id, choice) for attribute_id, choice in v["attributes"].items()],
        "variants": [
            {"option_name": option, "attribute_id": attribute_id} for option, attribute_id in v["variants"].items()
        ],
        "price": {
            "base": v["price_base"],
            "adjustment": v["price_adjustment"],
            "direction": v["price_direction"],
            "amount": _number(v["price_amount"]),
            "rounding": v["price_rounding"],
        },
        "inventory": {
            "default_warehouse_id": v["warehouse_id"] or None,
            "reserve_percent": _number(v["reserve_percent"]),
            "max_quantity": _number(v["max_quantity"]) if str(v["max_quantity"]).strip() else None,
            "out_of_stock_threshold": v["out_of_stock_threshold"] or "0",
            "untracked_quantity": v["untracked_quantity"] or "0",
            "warehouse_map": _json_map(v["warehouse_map"]),
        },
        "listing": {
            "title_template": v["title_template"],
            "description_fallback": v["description_fallback"],
            "package_weight": (
                {"value": _number(v["weight"]), "unit": v["weight_unit"]} if str(v["weight"]).strip() else None
            ),
            "package_dimensions": _dimensions(v),
        },
    }
    return data if stored is None else _kept_where_not_shown(data, stored, form)


def _attribute_mapping(attribute_id: str, choice: str) -> dict:
    if choice.startswith("option:"):
        return {"attribute_id": attribute_id, "source": "option", "option_name": choice.removeprefix("option:")}
    if choice.startswith("name:"):
        return {"attribute_id": attribute_id, "source": "fixed", "value_names": [choice.removeprefix("name:")]}
    if choice.startswith("field:"):
        return {"attribute_id": attribute_id, "source": "product_field", "product_field": choice.removeprefix("field:")}
    if choice.startswith("metafield:"):
        return {"attribute_id": attribute_id, "source": "metafield", "metafield": choice.removeprefix("metafield:")}
    return {"attribute_id": attribute_id, "source": "fixed", "value_ids": [choice]}


def _attribute_choice(mapping) -> str:
    """How the form names a stored attribute mapping (the value of its option in the list)."""
    if mapping.source == "option":
        return f"option:{mapping.option_name}"
    if mapping.source == "product_field":
        return f"field:{mapping.product_field}"
    if mapping.source == "metafield":
        return f"metafield:{mapping.metafield}"
    return mapping.value_ids[0] if mapping.value_ids else f"name:{(mapping.value_names or [''])[0]}"


def _dimensions(v: dict) -> dict | None:
    sides = [str(v[side]).strip() for side in ("length", "width", "height")]
    if not any(sides):
        return None
    return {"length": sides[0] or "0", "width": sides[1] or "0", "height": sides[2] or "0", "unit": v["dimension_unit"]}


def _kept_where_not_shown(data: dict, stored: TemplateSpec, form: FormData) -> dict:
    """The stored template with the form's settings on top. A mapping the merchant left as it was stays
    whole (with its renames and extra values); a variant mapping of an option the form did not show is kept."""
    out = stored.model_dump(mode="json")
    for key in ("name", "priority", "selection"):
        out[key] = data[key]
    if data["category"]["id"] != stored.category.id:
        out["category"] = data["category"]
    for part in ("price", "inventory", "listing"):
        out[part] = {**out[part], **data[part]}

    posted = {key.removeprefix("attr_"): str(value) for key, value in form.items() if key.startswith("attr_")}
    chosen = {a["attribute_id"]: a for a in data["attributes"]}
    attributes = []
    for mapping in stored.attributes:
        if mapping.attribute_id not in posted:
            continue  # the form lists every attribute of the category: this one is not one of them
        if posted[mapping.attribute_id] == _attribute_choice(mapping):
            attributes.append(mapping.model_dump(mode="json"))
        elif mapping.attribute_id in chosen:
            attributes.append(chosen[mapping.attribute_id])
    known = {mapping.attribute_id for mapping in stored.attributes}
    out["attributes"] = attributes + [a for attribute_id, a in chosen.items() if attribute_id not in known]

    posted = {key.removeprefix("variant_"): str(value) for key, value in form.items() if key.startswith("variant_")}
    variants = []
    for mapping in stored.variants:
        if mapping.option_name not in posted or posted[mapping.option_name] == (mapping.attribute_id or ""):
            variants.append(mapping.model_dump(mode="json"))
        elif posted[mapping.option_name]:
            variants.append({"option_name": mapping.option_name, "attribute_id": posted[mapping.option_name]})
    known = {mapping.option_name for mapping in stored.variants}
    out["variants"] = variants + [m for m in data["variants"] if m["option_name"] not in known]
    return out


def _params_of(spec) -> list[tuple[str, str]]:
    """The query parameters that reproduce a stored template on the form."""
    params = [
        ("name", spec.name),
        ("match", spec.selection.match),
        ("category_id", spec.category.id),
        ("step", "search"),
        ("price_adjustment", spec.price.adjustment),
        ("price_direction", spec.price.direction),
        ("price_amount", str(spec.price.amount)),
        ("price_rounding", spec.price.rounding),
        ("reserve_percent", str(spec.inventory.reserve_percent)),
        ("max_quantity", "" if spec.inventory.max_quantity is None else str(spec.inventory.max_quantity)),
        ("warehouse_id", spec.inventory.default_warehouse_id or ""),
        ("warehouse_map", json.dumps(spec.inventory.warehouse_map)),
    ]
    for rule in spec.selection.rules:
        params += [("rule_field", rule.field), ("rule_operator", rule.operator), ("rule_value", rule.value)]
    for mapping in spec.attributes:
        params.append((f"attr_{mapping.attribute_id}", _attribute_choice(mapping)))
    for variant in spec.variants:
        if variant.attribute_id:
            params.append((f"variant_{variant.option_name}", variant.attribute_id))
    listing = spec.listing
    weight, dimensions = listing.package_weight, listing.package_dimensions
    params += [
        ("priority", str(spec.priority)),
        ("price_base", spec.price.base),
        ("out_of_stock_threshold", str(spec.inventory.out_of_stock_threshold)),
        ("untracked_quantity", str(spec.inventory.untracked_quantity)),
        ("title_template", listing.title_template or ""),
        ("description_fallback", listing.description_fallback),
        ("weight", str(weight.value) if weight else ""),
        ("weight_unit", weight.unit if weight else "POUND"),
    ]
    if dimensions:
        params += [
            ("length", str(dimensions.length)),
            ("width", str(dimensions.width)),
            ("height", str(dimensions.height)),
            ("dimension_unit", dimensions.unit),
        ]
    return params


def _number(text) -> str:
    try:
        return str(Decimal(str(text).strip() or "0"))
    except InvalidOperation:
        return str(text)  # the spec's validation names the field


def _json_map(text) -> dict:
    try:
        value = json.loads(str(text)) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
