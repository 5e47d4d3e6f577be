"""JSON API for the product pipeline: dashboard, products, uploads, Sync Shop Status, TikTok actions,
sync settings and plans. Thin: every rule lives in the services."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Literal

from fastapi import APIRouter, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tokbridge.billing import service as billing
from tokbridge.billing.plans import available_plans, plan_by_code
from tokbridge.dashboard import service as dashboard_service
from tokbridge.kit.errors import ChannelError
from tokbridge.listings import service
from tokbridge.listings.repository import ListingRepository
from tokbridge.web import product_view
from tokbridge.web.api.schemas import Problem
from tokbridge.web.deps import OptionalShopDep, SettingsDep, ShopDep, ViewerDep
from tokbridge.web.params import RowId, Text
from tokbridge.web.plan_pages import confirm_url, store_billing

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1", responses={401: {"model": Problem}})

StatusFilter = Literal["not_uploaded", "in_progress", "reviewing", "live", "failed", "inactive"]


# --- dashboard --------------------------------------------------------------------------------------


class ProductCounts(BaseModel):
    not_uploaded: int
    in_progress: int
    reviewing: int
    live: int
    failed: int
    inactive: int


class PrerequisiteStep(BaseModel):
    key: str
    title: str
    complete: bool
    reasons: list[str]
    failed_items: list[str]
    fix: str
    link: str


class Prerequisites(BaseModel):
    complete: bool
    checked: bool
    steps: list[PrerequisiteStep]


class PlanSummary(BaseModel):
    code: str
    name: str
    amount: Decimal
    currency: str
    billing_date: date | None = Field(description="Next billing date; none on a free plan")
    product_limit: int
    order_limit: int
    products_left: int
    orders_left: int


class Connections(BaseModel):
    store: str | None = Field(description="The connected store's address (its domain, or its id there)")
    tiktok: str | None = Field(description="The connected TikTok shop's name")


class OrderCounts(BaseModel):
    awaiting_shipment: int
    awaiting_collection: int
    in_transit: int
    delivered: int
    completed: int
    cancelled: int
    failed: int
    on_hold: int
    unpaid: int


class SalesDay(BaseModel):
    date: date
    amount: Decimal
    orders: int
    units: int


class TopProduct(BaseModel):
    tiktok_product_id: str | None
    name: str | None
    units: int
    amount: Decimal


class Sales(BaseModel):
    period_days: int
    amount: Decimal
    currency: str
    orders: int
    units: int
    per_day: list[SalesDay]
    top_products: list[TopProduct]


class Dashboard(BaseModel):
    shop_id: str | None = Field(default=None, description="The TikTok shop the figures are of (`?shop=`)")
    products: ProductCounts
    orders: OrderCounts = Field(description="Order counts by status (from the order pipeline)")
    sales: Sales = Field(description="Sales over the chosen period (sales_days: 7, 30 or 90)")
    prerequisites: Prerequisites
    plan: PlanSummary
    connections: Connections


def plan_summary(usage: billing.PlanUsage) -> PlanSummary:
    return PlanSummary(
        code=usage.plan.code,
        name=usage.plan.name,
        amount=usage.plan.monthly_amount,
        currency=usage.plan.currency,
        billing_date=usage.next_billing_date,
        product_limit=usage.plan.product_limit,
        order_limit=usage.plan.order_limit,
        products_left=usage.products_left,
        orders_left=usage.orders_left,
    )


class SalesPeriod(IntEnum):
    """The periods the dashboard sums sales over, in days."""

    WEEK = 7
    MONTH = 30
    QUARTER = 90


def dashboard_data(viewer, shop=None, sales_days: int = 30) -> Dashboard:
    data = dashboard_service.dashboard(viewer.db, shop, viewer.merchant_id, sales_days=sales_days)
    return Dashboard(
        shop_id=data.shop_id,
        products=ProductCounts(**data.products),
        orders=OrderCounts(**data.orders),
        sales=Sales(**data.sales),
        prerequisites=Prerequisites(**data.prerequisites),
        plan=plan_summary(data.plan),
        connections=Connections(store=data.store_domain, tiktok=data.tiktok_shop),
    )


@router.get("/dashboard", response_model=Dashboard)
def dashboard(viewer: ViewerDep, shop: OptionalShopDep, sales_days: SalesPeriod = SalesPeriod.MONTH) -> Dashboard:
    """The chosen TikTok shop's figures (`?shop=<connection id>`, else the shop chosen in the header); the
    plan counts every shop. `GET /api/v1/overview` has every shop side by side."""
    return dashboard_data(viewer, shop, int(sales_days))


# --- products ---------------------------------------------------------------------------------------


class ProductItem(BaseModel):
    id: int
    external_id: str = Field(description="The product's id in the store")
    title: str
    vendor: str | None
    product_type: str | None
    store_status: str
    status: StatusFilter
    template_id: int | None
    template_name: str | None
    listing_id: int | None
    tiktok_product_id: str | None
    problem_count: int
    last_error: str | None


class ProductPage(BaseModel):
    items: list[ProductItem]
    next_before: int | None = Field(description="Pass as `before` for the next page; null on the last page")


@router.get("/products", response_model=ProductPage)
def list_products(
    viewer: ViewerDep,
    shop: OptionalShopDep,
    status: StatusFilter | None = None,
    template_id: RowId | None = None,
    vendor: Text | None = None,
    product_type: Text | None = None,
    q: Text | None = None,
    before: RowId | None = None,
    limit: int = 50,
) -> ProductPage:
    """The catalog with each product's status in the chosen shop (`?shop=`)."""
    limit = max(1, min(limit, 200))
    rows = ListingRepository(viewer.db).product_rows(
        shop.shop_id if shop else None,
        status=status,
        template_id=template_id,
        vendor=vendor,
        product_type=product_type,
        search=q,
        before_id=before,
        limit=limit,
    )
    return ProductPage(
        items=[ProductItem(**{k: getattr(r, k) for k in ProductItem.model_fields}) for r in rows],
        next_before=rows[-1].id if len(rows) == limit else None,
    )


class ProductInShop(BaseModel):
    shop: str = Field(description="The TikTok shop's connection id (what `?shop=` takes)")
    name: str = Field(description="The shop's name and region")
    status: StatusFilter
    tiktok_product_id: str | None
    prices: list[str] = Field(description="The SKUs' prices as last sent to that shop, in its currency")
    currency: str
    review_reasons: list[dict]
    last_error: str | None


class ProductDetail(ProductItem):
    problems: list[dict]
    review_reasons: list[dict]
    tiktok_status: str | None
    audit_status: str | None
    uploaded_at: datetime | None
    shops: list[ProductInShop] = Field(description="The product's state in every TikTok shop of the merchant")


@router.get("/products/{product_id}", response_model=ProductDetail, responses={404: {"model": Problem}})
def get_product(product_id: RowId, viewer: ViewerDep, shop: OptionalShopDep) -> ProductDetail:
    """The product in the chosen shop (`?shop=`), and its state in every shop under `shops`."""
    repository = ListingRepository(viewer.db)
    product = repository.product(product_id)
    if product is None:
        raise HTTPException(404, "No such product.")
    shop_id = shop.shop_id if shop else None
    row = next(iter(repository.product_rows(shop_id, before_id=product_id + 1, limit=1)))
    listing = repository.for_product(shop_id, product_id) if shop else None
    shops = [
        ProductInShop(
            shop=s.shop_id,
            name=s.shop,
            status=s.status,
            tiktok_product_id=s.tiktok_product_id,
            prices=s.prices,
            currency=s.currency,
            review_reasons=s.review_reasons,
            last_error=s.last_error,
        )
        for s in product_view.in_every_shop(viewer.db, product_id)
    ]
    return ProductDetail(
        **{k: getattr(row, k) for k in ProductItem.model_fields},
        problems=listing.problems if listing else [],
        review_reasons=listing.review_reasons if listing else [],
        tiktok_status=listing.tiktok_status if listing else None,
        audit_status=listing.audit_status if listing else None,
        uploaded_at=listing.uploaded_at if listing else None,
        shops=shops,
    )


# --- actions ----------------------------------------------------------------------------------------


class UploadRequest(BaseModel):
    product_ids: list[RowId] | None = Field(default=None, description="Omit to upload every linked product")


class Accepted(BaseModel):
    job_id: int
    queued: int | None = None
    message: str


class Refusal(BaseModel):
    detail: str
    link: str | None


def refused(error: service.ListingRefused) -> JSONResponse:
    return JSONResponse({"detail": error.message, "link": error.link}, status_code=409)


# Routes that act on a shop take it optionally and refuse inside, so that odd input is still answered
# first (422) for a merchant with no shop yet; with several shops and none named, `?shop=` is asked for.
NO_SHOP = service.ListingRefused("Connect a TikTok shop first.", "/connect/tiktok")


@router.post("/uploads", response_model=Accepted, status_code=202, responses={409: {"model": Refusal}})
def start_upload(body: UploadRequest, viewer: ViewerDep, shop: OptionalShopDep):
    if shop is None:
        return refused(NO_SHOP)
    try:
        job, queued = service.request_upload(viewer.db, shop, body.product_ids)
    except service.ListingRefused as error:
        viewer.db.rollback()
        return refused(error)
    viewer.db.commit()
    return Accepted(job_id=job.id, queued=queued, message=f"{queued} products are on their way to TikTok.")


@router.post("/shop/sync", response_model=Accepted, status_code=202, responses={409: {"model": Refusal}})
def sync_shop_status(viewer: ViewerDep, shop: OptionalShopDep):
    if shop is None:
        return refused(NO_SHOP)
    try:
        job = service.request_status_sync(viewer.db, shop)
    except service.ListingRefused as error:
        return refused(error)
    viewer.db.commit()
    return Accepted(job_id=job.id, message="Reading every product of the shop from TikTok.")


class ActionRequest(BaseModel):
    action: Literal["activate", "deactivate", "delete"]
    listing_ids: list[RowId] = Field(min_length=1, max_length=10_000)


@router.post("/listings/actions", response_model=Accepted, status_code=202, responses={409: {"model": Refusal}})
def listing_action(body: ActionRequest, viewer: ViewerDep, shop: OptionalShopDep):
    if shop is None:
        return refused(NO_SHOP)
    try:
        job = service.request_action(viewer.db, shop, body.action, body.listing_ids)
    except service.ListingRefused as error:
        return refused(error)
    viewer.db.commit()
    return Accepted(job_id=job.id, message=f"{body.action.capitalize()} requested.")


# --- settings and plans -----------------------------------------------------------------------------


class SyncSettingsBody(BaseModel):
    sync_product_info: bool
    sync_price: bool
    sync_inventory: bool
    on_store_delete: Literal["deactivate", "delete"]


@router.get("/settings/sync", response_model=SyncSettingsBody)
def get_sync_settings(viewer: ViewerDep, shop: ShopDep):
    settings = ListingRepository(viewer.db).sync_settings(viewer.merchant_id, shop.shop_id, create=False)
    return SyncSettingsBody.model_validate(settings, from_attributes=True)


@router.put("/settings/sync", response_model=SyncSettingsBody)
def put_sync_settings(body: SyncSettingsBody, viewer: ViewerDep, shop: ShopDep):
    service.save_sync_settings(viewer.db, shop, body.model_dump())
    viewer.db.commit()
    return body


class PlanOut(BaseModel):
    code: str
    name: str
    monthly_amount: Decimal
    currency: str
    product_limit: int
    order_limit: int
    current: bool


@router.get("/plans", response_model=list[PlanOut])
def list_plans(viewer: ViewerDep):
    current = billing.subscription_for(viewer.db, viewer.merchant_id).plan_code
    return [PlanOut(**plan.model_dump(), current=plan.code == current) for plan in available_plans()]


class PlanChangeOut(PlanSummary):
    """The plan after the request. With a connected store that bills plans, a paid plan waits for the
    merchant to approve the charge at `confirmation_url`; the plan changes when the store sends them back."""

    pending_plan: str | None = None
    confirmation_url: str | None = None


@router.post(
    "/plans/{code}/subscribe",
    response_model=PlanChangeOut,
    responses={404: {"model": Problem}, 409: {"model": Problem}, 502: {"model": Problem}},
)
def subscribe(code: str, viewer: ViewerDep, settings: SettingsDep):
    plan = plan_by_code(code)
    if plan is None:
        raise HTTPException(404, f"There is no plan {code[:40]!r}.")
    db = viewer.db
    try:
        change = billing.request_plan_change(
            db,
            viewer.merchant_id,
            plan,
            service.product_usage(db, viewer.merchant_id),
            store_billing(settings, db),
            return_url=confirm_url(settings),
        )
    except billing.PlanLimitReached as refused:
        db.rollback()
        raise HTTPException(409, str(refused)) from None
    except ChannelError as failure:
        db.rollback()
        log.warning("plan change to %s not started: %s", plan.code, failure)
        raise HTTPException(
            502,
            f"{failure.platform} did not take the charge for the {plan.name} plan; try "
            f"again in a minute, or reconnect the store if it keeps failing.",
        ) from None
    db.commit()
    summary = plan_summary(service.product_usage(db, viewer.merchant_id))
    return PlanChangeOut(
        **summary.model_dump(),
        confirmation_url=change.confirmation_url,
        pending_plan=plan.code if change.confirmation_url else None,
    )
