"""JSON API for category templates: CRUD, the live match count, previews, links, TikTok categories."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tokbridge.category_templates import service as templates
from tokbridge.category_templates.categories import category_version_for, fetch_category_info, version_problem
from tokbridge.channels.factory import tiktok_client
from tokbridge.config import get_settings
from tokbridge.db.engine import get_engine
from tokbridge.listings import currency, template_sync
from tokbridge.listings.service import ListingRefused, require_tiktok
from tokbridge.web.api.schemas import PLATFORM_PROBLEMS, Problem
from tokbridge.web.deps import ViewerDep
from tokbridge.web.params import RowId

router = APIRouter(prefix="/api/v1", tags=["templates"], responses={401: {"model": Problem}})


class FieldProblem(BaseModel):
    field: str
    message: str


class Invalid(BaseModel):
    detail: str
    errors: list[FieldProblem]


class TemplateOut(BaseModel):
    id: int
    name: str
    priority: int
    category_label: str
    selection: str
    linked_products: int
    auto_assign: bool
    is_active: bool


class TemplateBody(BaseModel):
    """A category template (see `TemplateSpec`): name, selection rules, category, mappings, rules."""

    model_config = {"extra": "allow"}


def _invalid(error: templates.TemplateInvalid) -> JSONResponse:
    return JSONResponse({"detail": "The template has problems; nothing was saved.",
                         "errors": [asdict(e) for e in error.errors]}, status_code=422)


def _client(viewer):
    try:
        connection = require_tiktok(viewer.db)
    except ListingRefused as error:
        raise HTTPException(409, error.message) from None
    settings = get_settings()
    return tiktok_client(settings, get_engine(settings.database_url), connection), connection


@router.get("/templates", response_model=list[TemplateOut])
def list_templates(viewer: ViewerDep):
    return [TemplateOut(**asdict(t)) for t in templates.list_templates(viewer.db, viewer.merchant_id)]


@router.get("/templates/{template_id}", responses={404: {"model": Problem}})
def get_template(template_id: RowId, viewer: ViewerDep) -> dict[str, Any]:
    try:
        spec = templates.get_template_spec(viewer.db, viewer.merchant_id, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    return {"id": template_id, **spec.model_dump(mode="json")}


@router.post("/templates", status_code=201, responses={422: {"model": Invalid}})
def create_template(body: TemplateBody, viewer: ViewerDep) -> dict[str, Any]:
    try:
        template = template_sync.create_template(viewer.db, viewer.merchant_id, body.model_dump())
    except templates.TemplateInvalid as error:
        viewer.db.rollback()
        return _invalid(error)
    viewer.db.commit()
    return {"id": template.id, **template.spec().model_dump(mode="json")}


@router.put("/templates/{template_id}", responses={404: {"model": Problem}, 422: {"model": Invalid}})
def update_template(template_id: RowId, body: TemplateBody, viewer: ViewerDep) -> dict[str, Any]:
    try:
        template = template_sync.update_template(viewer.db, viewer.merchant_id, template_id, body.model_dump())
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    except templates.TemplateInvalid as error:
        viewer.db.rollback()
        return _invalid(error)
    viewer.db.commit()
    return {"id": template.id, **template.spec().model_dump(mode="json")}


@router.delete("/templates/{template_id}", status_code=204, responses={404: {"model": Problem}})
def delete_template(template_id: RowId, viewer: ViewerDep) -> None:
    try:
        template_sync.delete_template(viewer.db, viewer.merchant_id, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    viewer.db.commit()


@router.get("/templates/{template_id}/category-check", responses={404: {"model": Problem}, **PLATFORM_PROBLEMS})
def category_check(template_id: RowId, viewer: ViewerDep) -> dict[str, Any]:
    """Whether the template's TikTok category still exists as a leaf the shop may use; TikTok retires
    and splits categories, and a template pointing at a retired one can no longer upload."""
    try:
        spec = templates.get_template_spec(viewer.db, viewer.merchant_id, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    client, connection = _client(viewer)
    if (wrong_tree := version_problem(spec.category, connection.region)) is not None:
        return {"ok": False, "problem": wrong_tree.as_dict()}
    viewer.db.commit()  # hold no lock while TikTok answers
    categories = client.get_categories(category_version=spec.category.version)
    problem = templates.template_category_problem(viewer.db, viewer.merchant_id, template_id, categories)
    return {"ok": problem is None, "problem": problem.as_dict() if problem else None}


class Selection(BaseModel):
    match: str = "all"
    rules: list[dict] = Field(default_factory=list)


@router.post("/templates/count", responses={422: {"model": Invalid}})
def count_matches(selection: Selection, viewer: ViewerDep) -> dict[str, int]:
    """The live count of products a draft rule set selects."""
    try:
        return {"count": templates.count_matches(viewer.db, viewer.merchant_id, selection.model_dump())}
    except templates.TemplateInvalid as error:
        return _invalid(error)


@router.post("/templates/preview", responses={**PLATFORM_PROBLEMS, 422: {"model": Invalid}})
def preview(body: TemplateBody, viewer: ViewerDep, limit: int = 5) -> list[dict[str, Any]]:
    """A few real products as the draft template would send them: title, price, stock, problems."""
    client, connection = _client(viewer)
    try:
        spec = templates.parse_spec(body.model_dump())
    except templates.TemplateInvalid as error:
        return _invalid(error)
    viewer.db.commit()  # a read-only request: hold no lock while TikTok answers
    category = fetch_category_info(client, spec.category.id, category_version=spec.category.version)
    warehouses = [w.id for w in client.get_warehouses()]
    previews = templates.preview(viewer.db, viewer.merchant_id, spec, currency.market_for(viewer.db, connection),
                                 limit=max(1, min(limit, 20)), category=category, warehouse_ids=warehouses)
    return [{**asdict(p), "problems": [problem.as_dict() for problem in p.problems]} for p in previews]


class LinkRequest(BaseModel):
    product_ids: list[RowId] = Field(min_length=1, max_length=10_000)


@router.post("/templates/{template_id}/products", responses={404: {"model": Problem}})
def link_products(template_id: RowId, body: LinkRequest, viewer: ViewerDep) -> dict[str, int]:
    """Assign products to this template by hand (kept when rules change)."""
    try:
        linked = templates.link_products(viewer.db, viewer.merchant_id, body.product_ids, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    viewer.db.commit()
    return {"linked": linked}


@router.get("/tiktok/categories", responses=PLATFORM_PROBLEMS)
def categories(viewer: ViewerDep, keyword: str | None = None,
               version: Literal["v1", "v2"] | None = None) -> list[dict[str, Any]]:
    """TikTok's category tree (or the categories matching `keyword`), to browse or search."""
    client, connection = _client(viewer)
    version = _shops_tree(connection, version)
    return [c.model_dump() for c in client.get_categories(keyword=keyword, category_version=version)]


def _shops_tree(connection, asked: str | None) -> str:
    """The shop's category tree; asking for the other one is refused here, as TikTok would refuse it."""
    version = category_version_for(connection.region)
    if asked not in (None, version):
        raise HTTPException(422, f"{(connection.region or 'US').upper()} shops use TikTok's {version} category "
                                 f"tree; leave out `version` or ask for {version}.")
    return version


@router.get("/tiktok/categories/recommend", responses=PLATFORM_PROBLEMS)
def recommend_category(viewer: ViewerDep, title: str) -> dict[str, Any]:
    from tokbridge.channels.tiktok.models import RecommendCategoryInput

    client, connection = _client(viewer)
    return client.recommend_category(RecommendCategoryInput(
        product_title=title, category_version=category_version_for(connection.region))).model_dump()


@router.get("/tiktok/categories/{category_id}", responses=PLATFORM_PROBLEMS)
def category_detail(category_id: str, viewer: ViewerDep,
                    version: Literal["v1", "v2"] | None = None) -> dict[str, Any]:
    """Attributes (required ones flagged) and rules of a leaf category: what the mapping forms need."""
    client, connection = _client(viewer)
    version = _shops_tree(connection, version)
    info = fetch_category_info(client, category_id, category_version=version)
    return {"id": info.id, "version": info.version, "attributes": [a.model_dump() for a in info.attributes],
            "rules": info.rules.model_dump()}
