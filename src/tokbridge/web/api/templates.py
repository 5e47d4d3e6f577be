"""JSON API for category templates: CRUD, the live match count, previews, links, TikTok categories."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tokbridge.category_templates import service as templates
from tokbridge.category_templates.categories import (
    category_version_for,
    fetch_category_info,
    name_path,
    version_problem,
)
from tokbridge.category_templates.spec import CategoryChoice
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.shops import NoSuchShop, ShopContext, shop_context
from tokbridge.config import get_settings
from tokbridge.db.engine import for_writing, get_engine
from tokbridge.listings import currency, template_sync
from tokbridge.web.api.schemas import PLATFORM_PROBLEMS, Problem
from tokbridge.web.deps import OptionalShopDep, ShopNeeded, ViewerDep
from tokbridge.web.params import RowId, Text

router = APIRouter(prefix="/api/v1", tags=["templates"], responses={401: {"model": Problem}})


def _chosen(shop: ShopContext | None) -> ShopContext:
    """The request's shop. Taken as optional so that a malformed request is answered as such first (422,
    404), and only then "Connect a TikTok shop first"."""
    if shop is None:
        raise ShopNeeded("none")
    return shop


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
    return JSONResponse(
        {"detail": "The template has problems; nothing was saved.", "errors": [asdict(e) for e in error.errors]},
        status_code=422,
    )


def _client(shop: ShopContext):
    """TikTok's client for the request's shop (`?shop=`, the chosen one, or the only one)."""
    settings = get_settings()
    return tiktok_client(settings, get_engine(settings.database_url), shop.shop), shop.shop


@router.get("/templates", response_model=list[TemplateOut])
def list_templates(viewer: ViewerDep, shop: OptionalShopDep):
    shop = _chosen(shop)
    return [TemplateOut(**asdict(t)) for t in templates.list_templates(viewer.db, shop)]


@router.get("/templates/{template_id}", responses={404: {"model": Problem}})
def get_template(template_id: RowId, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, Any]:
    shop = _chosen(shop)
    try:
        spec = templates.get_template_spec(viewer.db, shop, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    return {"id": template_id, **spec.model_dump(mode="json")}


@router.post("/templates", status_code=201, responses={422: {"model": Invalid}})
def create_template(body: TemplateBody, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, Any]:
    shop = _chosen(shop)
    try:
        template = template_sync.create_template(viewer.db, shop, body.model_dump())
    except templates.TemplateInvalid as error:
        viewer.db.rollback()
        return _invalid(error)
    viewer.db.commit()
    return {"id": template.id, **template.spec().model_dump(mode="json")}


@router.put("/templates/{template_id}", responses={404: {"model": Problem}, 422: {"model": Invalid}})
def update_template(template_id: RowId, body: TemplateBody, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, Any]:
    shop = _chosen(shop)
    try:
        template = template_sync.update_template(viewer.db, shop, template_id, body.model_dump())
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    except templates.TemplateInvalid as error:
        viewer.db.rollback()
        return _invalid(error)
    viewer.db.commit()
    return {"id": template.id, **template.spec().model_dump(mode="json")}


@router.delete("/templates/{template_id}", status_code=204, responses={404: {"model": Problem}})
def delete_template(template_id: RowId, viewer: ViewerDep, shop: OptionalShopDep) -> None:
    shop = _chosen(shop)
    try:
        template_sync.delete_template(viewer.db, shop, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    viewer.db.commit()


@router.get("/templates/{template_id}/category-check", responses={404: {"model": Problem}, **PLATFORM_PROBLEMS})
def category_check(template_id: RowId, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, Any]:
    """Whether the template's TikTok category still exists as a leaf the shop may use; TikTok retires
    and splits categories, and a template pointing at a retired one can no longer upload."""
    shop = _chosen(shop)
    try:
        spec = templates.get_template_spec(viewer.db, shop, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    client, connection = _client(shop)
    if (wrong_tree := version_problem(spec.category, connection.region)) is not None:
        return {"ok": False, "problem": wrong_tree.as_dict()}
    viewer.db.commit()  # hold no lock while TikTok answers
    categories = client.get_categories(category_version=spec.category.version)
    problem = templates.template_category_problem(viewer.db, shop, template_id, categories)
    return {"ok": problem is None, "problem": problem.as_dict() if problem else None}


class Selection(BaseModel):
    match: str = "all"
    rules: list[dict] = Field(default_factory=list)


@router.post("/templates/count", responses={422: {"model": Invalid}})
def count_matches(selection: Selection, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, int]:
    """The live count of products a draft rule set selects."""
    shop = _chosen(shop)
    try:
        return {"count": templates.count_matches(viewer.db, shop, selection.model_dump())}
    except templates.TemplateInvalid as error:
        return _invalid(error)


@router.post("/templates/preview", responses={**PLATFORM_PROBLEMS, 422: {"model": Invalid}})
def preview(body: TemplateBody, viewer: ViewerDep, shop: OptionalShopDep, limit: int = 5) -> list[dict[str, Any]]:
    """A few real products as the draft template would send them: title, price, stock, problems."""
    shop = _chosen(shop)
    client, connection = _client(shop)
    try:
        spec = templates.parse_spec(body.model_dump())
    except templates.TemplateInvalid as error:
        return _invalid(error)
    viewer.db.commit()  # a read-only request: hold no lock while TikTok answers
    category = fetch_category_info(client, spec.category.id, category_version=spec.category.version)
    warehouses = [w.id for w in client.get_warehouses()]
    previews = templates.preview(
        viewer.db,
        shop,
        spec,
        currency.market_for(viewer.db, connection),
        limit=max(1, min(limit, 20)),
        category=category,
        warehouse_ids=warehouses,
    )
    return [{**asdict(p), "problems": [problem.as_dict() for problem in p.problems]} for p in previews]


class LinkRequest(BaseModel):
    product_ids: list[RowId] = Field(min_length=1, max_length=10_000)


@router.post("/templates/{template_id}/products", responses={404: {"model": Problem}})
def link_products(template_id: RowId, body: LinkRequest, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, int]:
    """Assign products to this template by hand (kept when rules change)."""
    shop = _chosen(shop)
    try:
        linked = templates.link_products(viewer.db, shop, body.product_ids, template_id)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    viewer.db.commit()
    return {"linked": linked}


class CategoryRef(BaseModel):
    id: str = Field(pattern=r"^[0-9]{1,30}$")
    version: Literal["v1", "v2"]


class CopyRequest(BaseModel):
    """`shop`: the connection id of the merchant's other TikTok shop; `category`: a category of that shop's
    tree, needed when the two shops list in different trees; `name`: the copy's name (default: the same)."""

    shop: str = Field(min_length=1, max_length=32)
    category: CategoryRef | None = None
    name: str | None = Field(default=None, max_length=200)


@router.post(
    "/templates/{template_id}/copy",
    status_code=201,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 422: {"model": Problem}, **PLATFORM_PROBLEMS},
)
def copy_template(template_id: RowId, body: CopyRequest, viewer: ViewerDep, shop: OptionalShopDep) -> dict[str, Any]:
    """Copy a template of the current shop, with all its rules, into another shop of the merchant."""
    shop = _chosen(shop)
    try:
        templates.get_template_name(viewer.db, shop, template_id)
        target = shop_context(viewer.db, body.shop)
    except templates.TemplateNotFound:
        raise HTTPException(404, "No such template.") from None
    except NoSuchShop:
        raise HTTPException(404, "No such TikTok shop among yours.") from None
    choice, info = None, None
    viewer.db.commit()  # hold no lock while TikTok answers
    if body.category is not None:
        choice, info = _target_category(target, body.category.id, body.category.version)
    for_writing(viewer.db)  # a new transaction after the commit: SQLite takes its write lock up front again
    try:
        copied = templates.copy_to_shop(
            viewer.db, template_id, shop, target, choice, category_info=info, name=body.name
        )
    except templates.CopyRefused as refused:
        viewer.db.rollback()
        raise HTTPException(409 if refused.name_taken else 422, refused.message) from None
    viewer.db.commit()
    return {
        "id": copied.template.id,
        "shop": target.shop_id,
        "notes": copied.notes,
        **copied.template.spec().model_dump(mode="json"),
    }


def _target_category(target: ShopContext, category_id: str, version: str):
    """The category (with its place in the tree) and its attributes, read from the target shop's TikTok."""
    client, connection = _client(target)
    expected = category_version_for(connection.region)
    if version != expected:
        raise HTTPException(
            422,
            f"{(connection.region or 'US').upper()} shops list in TikTok's {expected} category "
            f"tree; choose the category from that tree.",
        )
    tree = client.get_categories(category_version=version)
    found = next((c for c in tree if c.id == category_id), None)
    if found is None or not found.is_leaf:
        raise HTTPException(
            422,
            f"That is not a last-level category of {target.label}'s tree; choose one from "
            f"GET /api/v1/tiktok/categories?shop={target.shop_id}.",
        )
    info = fetch_category_info(client, category_id, category_version=version)
    return CategoryChoice(id=category_id, version=version, name_path=name_path(tree, category_id)), info


@router.get("/tiktok/categories", responses=PLATFORM_PROBLEMS)
def categories(
    viewer: ViewerDep, shop: OptionalShopDep, keyword: Text | None = None, version: Literal["v1", "v2"] | None = None
) -> list[dict[str, Any]]:
    """TikTok's category tree (or the categories matching `keyword`), to browse or search."""
    shop = _chosen(shop)
    client, connection = _client(shop)
    version = _shops_tree(connection, version)
    return [c.model_dump() for c in client.get_categories(keyword=keyword, category_version=version)]


def _shops_tree(connection, asked: str | None) -> str:
    """The shop's category tree; asking for the other one is refused here, as TikTok would refuse it."""
    version = category_version_for(connection.region)
    if asked not in (None, version):
        raise HTTPException(
            422,
            f"{(connection.region or 'US').upper()} shops use TikTok's {version} category "
            f"tree; leave out `version` or ask for {version}.",
        )
    return version


@router.get("/tiktok/categories/recommend", responses=PLATFORM_PROBLEMS)
def recommend_category(viewer: ViewerDep, shop: OptionalShopDep, title: Text) -> dict[str, Any]:
    shop = _chosen(shop)
    from tokbridge.channels.tiktok.models import RecommendCategoryInput

    client, connection = _client(shop)
    return client.recommend_category(
        RecommendCategoryInput(product_title=title, category_version=category_version_for(connection.region))
    ).model_dump()


@router.get("/tiktok/categories/{category_id}", responses=PLATFORM_PROBLEMS)
def category_detail(
    category_id: str, viewer: ViewerDep, shop: OptionalShopDep, version: Literal["v1", "v2"] | None = None
) -> dict[str, Any]:
    """Attributes (required ones flagged) and rules of a leaf category: what the mapping forms need."""
    if not (category_id.isascii() and category_id.isdigit() and len(category_id) <= 20):
        # TikTok's category ids are digits: anything else is a typo, answered without asking TikTok.
        raise HTTPException(404, "No TikTok category has this id: category ids are digits only.")
    shop = _chosen(shop)
    client, connection = _client(shop)
    version = _shops_tree(connection, version)
    info = fetch_category_info(client, category_id, category_version=version)
    return {
        "id": info.id,
        "version": info.version,
        "attributes": [a.model_dump() for a in info.attributes],
        "rules": info.rules.model_dump(),
    }
