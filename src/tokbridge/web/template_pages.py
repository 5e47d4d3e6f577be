"""Category templates in the browser: the list, and a two-step form (what and where, then the
category's required attributes). The JSON API (`/api/v1/templates`) offers every option."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tokbridge.category_templates import service as templates_service
from tokbridge.category_templates.categories import fetch_category_info, name_path
from tokbridge.channels.factory import tiktok_client
from tokbridge.config import get_settings
from tokbridge.db.engine import get_engine
from tokbridge.listings.repository import ListingRepository
from tokbridge.listings.service import ListingRefused, require_tiktok
from tokbridge.web.deps import ViewerDep
from tokbridge.web.pages import templates

router = APIRouter(include_in_schema=False)


def _tiktok(viewer):
    connection = require_tiktok(viewer.db)
    settings = get_settings()
    viewer.db.commit()  # hold no lock while TikTok answers
    return tiktok_client(settings, get_engine(settings.database_url), connection), connection


@router.get("/templates", response_class=HTMLResponse)
def template_list(request: Request, viewer: ViewerDep, saved: str | None = None) -> Response:
    rows = [asdict(t) for t in templates_service.list_templates(viewer.db, viewer.merchant_id)]
    return templates.TemplateResponse(request, "templates.html", {"viewer": viewer, "rows": rows, "saved": saved})


@router.get("/templates/new", response_class=HTMLResponse)
def new_template(request: Request, viewer: ViewerDep, category_id: str | None = None, name: str = "",
                 product_type: str = "", markup: str = "0") -> Response:
    """Step 1 without `category_id`: name, products and category. Step 2 with it: attributes, stock."""
    try:
        client, connection = _tiktok(viewer)
    except ListingRefused as refused:
        return templates.TemplateResponse(request, "error.html", {"viewer": viewer, "status": 409,
                                                                  "detail": refused.message}, status_code=409)
    version = "v2" if (connection.region or "US") == "US" else "v1"
    categories = client.get_categories(category_version=version)
    leaves = sorted(((c.id, " > ".join(name_path(categories, c.id))) for c in categories if c.is_leaf),
                    key=lambda pair: pair[1])
    context = {"viewer": viewer, "leaves": leaves, "version": version, "name": name, "product_type": product_type,
               "markup": markup, "product_types": ListingRepository(viewer.db).product_types(),
               "category_id": category_id, "errors": []}
    if category_id:
        info = fetch_category_info(client, category_id, category_version=version)
        context["required"] = [a for a in info.product_attributes if a.is_required]
        context["warehouses"] = [w for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE"]
        context["category_label"] = dict(leaves).get(category_id, category_id)
    return templates.TemplateResponse(request, "template_form.html", context)


@router.post("/templates/new")
async def create_template(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    attributes = [{"attribute_id": key.removeprefix("attr_"), "source": "fixed", "value_ids": [str(value)]}
                  for key, value in form.items() if key.startswith("attr_") and value]
    data = {
        "name": form.get("name", ""),
        "selection": {"match": "all", "rules": [
            {"field": "product_type", "operator": "equals", "value": form.get("product_type", "")}]},
        "category": {"id": form.get("category_id", ""), "version": form.get("version", "v2"),
                     "name_path": [p.strip() for p in str(form.get("category_label", "")).split(">") if p.strip()]},
        "attributes": attributes,
        "price": {"adjustment": "percentage", "direction": "up", "amount": form.get("markup") or "0",
                  "rounding": "none"},
        "inventory": {"default_warehouse_id": form.get("warehouse_id") or None},
        "listing": {"package_weight": {"value": form.get("weight") or "0.5", "unit": "POUND"}},
    }
    try:
        template = templates_service.create_template(viewer.db, viewer.merchant_id, data)
    except templates_service.TemplateInvalid as invalid:
        viewer.db.rollback()
        return templates.TemplateResponse(request, "template_form.html", {
            "viewer": viewer, "errors": invalid.errors, "leaves": [], "name": data["name"],
            "product_type": form.get("product_type", ""), "markup": form.get("markup", "0"), "product_types": [],
            "category_id": None, "version": data["category"]["version"]}, status_code=422)
    viewer.db.commit()
    return RedirectResponse(f"/templates?saved={template.id}", status_code=303)
