"""Server-rendered pages: sign-in, sign-up, the dashboard, products and the product page."""

from __future__ import annotations

import json
import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tokbridge.activity.repository import ActivityRepository
from tokbridge.category_templates import repository as templates_repository
from tokbridge.category_templates import service as templates_service
from tokbridge.category_templates.categories import fetch_category_info
from tokbridge.category_templates.limits import MAX_MAIN_IMAGES, Market
from tokbridge.channels.factory import tiktok_client
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.config import get_settings
from tokbridge.dashboard import service as dashboard_service
from tokbridge.db.engine import get_engine
from tokbridge.kit.errors import NeedsReconnect, RetryableError
from tokbridge.kit.words import plural
from tokbridge.listings import currency
from tokbridge.listings import service as listings
from tokbridge.listings.publisher import ImageUnavailable, download_image
from tokbridge.listings.repository import ListingRepository
from tokbridge.listings.unsent import unsent_changes
from tokbridge.tenancy import service as accounts
from tokbridge.tenancy.service import session_for_token
from tokbridge.web import csrf, product_view
from tokbridge.web.dashboard_view import (
    FAQS,
    ORDER_STATUSES,
    PRODUCT_STATUSES,
    SALES_PERIODS,
    onboarding_steps,
    sales_view,
    shop_names,
)
from tokbridge.web.deps import SESSION_COOKIE, DbDep, OptionalShopDep, SettingsDep, ShopDep, ViewerDep
from tokbridge.web.errors import channel_problem
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.params import RowId, Text, int_or_none
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)


def _anonymous_form(request: Request, template: str, context: dict, status_code: int = 200) -> Response:
    """Render a signed-out form with a fresh double-submit CSRF token."""
    token = csrf.new_token()
    response = templates.TemplateResponse(request, template, {**context, "csrf_token": token}, status_code=status_code)
    # Secure follows BASE_URL, not the request: behind a TLS proxy the request itself is plain http.
    response.set_cookie(
        csrf.ANON_COOKIE, token, httponly=True, samesite="strict", secure=get_settings().secure_cookies, path="/"
    )
    return response


def _signed_in(response: Response, token: str, settings) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_lifetime_hours * 3600,
        path="/",
    )
    response.delete_cookie(csrf.ANON_COOKIE, path="/")
    return response


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/dashboard", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: DbDep, next: str = "/dashboard") -> Response:
    if session_for_token(db, request.cookies.get(SESSION_COOKIE)):
        return RedirectResponse(_safe_next(next), status_code=303)
    return _anonymous_form(request, "login.html", {"next": _safe_next(next), "error": None, "email": ""})


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/dashboard",
) -> Response:
    try:
        signed_in = accounts.sign_in(db, settings, email, password)
    except accounts.LoginFailed as failure:
        db.commit()  # keep the failure count
        return _anonymous_form(
            request, "login.html", {"next": _safe_next(next), "error": failure.message, "email": email}, status_code=401
        )
    db.commit()
    return _signed_in(RedirectResponse(_safe_next(next), status_code=303), signed_in.token, settings)


@router.get("/signup", response_class=HTMLResponse)
def signup_page(request: Request) -> Response:
    return _anonymous_form(request, "signup.html", {"error": None, "email": "", "business": ""})


@router.post("/signup")
def signup(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    business: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        user = accounts.create_merchant_with_user(db, business, email, password)
    except accounts.AccountError as problem:
        db.rollback()
        return _anonymous_form(
            request, "signup.html", {"error": str(problem), "email": email, "business": business}, status_code=400
        )
    signed_in = accounts.open_session(db, settings, user)
    db.commit()
    return _signed_in(RedirectResponse("/dashboard", status_code=303), signed_in.token, settings)


@router.post("/logout")
def logout(request: Request, db: DbDep) -> Response:
    accounts.sign_out(db, request.cookies.get(SESSION_COOKIE))
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, viewer: ViewerDep, shop: OptionalShopDep, period: int = 30) -> Response:
    """The chosen TikTok shop's dashboard: its products, orders, sales and Recent Activity (each row
    with its shop's name); the plan counts every shop."""
    period = period if period in SALES_PERIODS else 30
    data = dashboard_service.dashboard(viewer.db, shop, viewer.merchant_id, sales_days=period)
    activities = ActivityRepository(viewer.db).recent(limit=10, connection_id=shop.shop_id if shop else None)
    sales = sales_view(data.sales, period)
    return templates.TemplateResponse(
        request,
        "dashboard.html",
        {
            "viewer": viewer,
            "activities": activities,
            "shop_names": shop_names(viewer.db),
            "shop": shop,
            "data": data,
            "statuses": PRODUCT_STATUSES,
            "order_statuses": ORDER_STATUSES,
            "orders": {key: (data.orders or {}).get(key, 0) for key, _ in ORDER_STATUSES},
            "sales": sales,
            "periods": SALES_PERIODS,
            "period": period,
            "checklist": onboarding_steps(viewer.db, viewer.merchant_id, data),
            "faqs": FAQS,
            "upload_question": listings.upload_question(viewer.db, shop),
            "waiting": listings.waiting_for_daily_limit(viewer.db, shop),
            **read_flash(request),
        },
    )


@router.post("/dashboard/upload")
def bulk_upload(viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    if shop is None:
        return redirect_with_error("/dashboard", "Connect a TikTok shop first.", "/connect/tiktok")
    try:
        _job, queued = listings.request_upload(viewer.db, shop)
    except listings.ListingRefused as refused:
        viewer.db.rollback()
        # The refusal's way out (the plans, the prerequisites, the templates) goes with the message.
        return redirect_with_error("/dashboard", refused.message, refused.link)
    planned = _daily_plan(viewer.db, shop, queued)
    viewer.db.commit()
    return redirect_with_notice("/dashboard", f"{_on_their_way(queued)}{planned} Progress shows under Recent Activity.")


def _daily_plan(db, shop, queued: int) -> str:
    """TikTok's daily limit: how many of the queued products go today and when the rest do."""
    schedule = listings.upload_schedule(db, shop, queued)
    return f" {schedule.summary()}" if schedule is not None and schedule.later else ""


@router.post("/dashboard/sync")
def sync_shop_status(viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    if shop is None:
        return redirect_with_error("/dashboard", "Connect a TikTok shop first.", "/connect/tiktok")
    try:
        listings.request_status_sync(viewer.db, shop)
    except listings.ListingRefused as refused:
        return redirect_with_error("/dashboard", refused.message)
    viewer.db.commit()
    return redirect_with_notice(
        "/dashboard", "Reading every product of your shop from TikTok. Progress shows under Recent Activity."
    )


# --- products -------------------------------------------------------------------------------------

PAGE_SIZE = 50


@router.get("/products", response_class=HTMLResponse)
def products_page(
    request: Request,
    viewer: ViewerDep,
    shop: OptionalShopDep,
    status: str | None = None,
    q: Text | None = None,
    template: str | None = None,
    vendor: Text | None = None,
    product_type: Text | None = None,
    before: str | None = None,
) -> Response:
    status = status if status in dict(PRODUCT_STATUSES) else None
    template_id = int_or_none(template)
    filters = {
        "status": status,
        "q": (q or "").strip(),
        "template": template_id,
        "vendor": (vendor or "").strip(),
        "product_type": (product_type or "").strip(),
    }
    rows = ListingRepository(viewer.db).product_rows(
        shop.shop_id if shop else None,
        status=status,
        template_id=template_id,
        vendor=filters["vendor"] or None,
        product_type=filters["product_type"] or None,
        search=filters["q"] or None,
        before_id=int_or_none(before),
        limit=PAGE_SIZE,
    )
    query = {k: v for k, v in filters.items() if v}
    next_page = f"/products?{urlencode({**query, 'before': rows[-1].id})}" if len(rows) == PAGE_SIZE else None
    return templates.TemplateResponse(
        request,
        "products.html",
        {
            "viewer": viewer,
            "shop": shop,
            "rows": rows,
            "filters": filters,
            "statuses": PRODUCT_STATUSES,
            "next_page": next_page,
            "first_page": f"/products?{urlencode(query)}" if before else None,
            "template_choices": _shop_templates(viewer.db, shop),
            "product_types": ListingRepository(viewer.db).product_types(),
            "filtered": bool(query),
            **read_flash(request),
        },
    )


@router.post("/products/bulk")
async def bulk_products(request: Request, viewer: ViewerDep, shop: OptionalShopDep) -> Response:
    """One action on the ticked products in the chosen shop: upload, activate, deactivate, delete, or
    assign to a template."""
    form = await request.form()
    back = _local_or(str(form.get("back", "")), "/products")
    action = str(form.get("action", ""))
    # Ids only the database could hold: a tampered form gets a notice, never a database error.
    product_ids = [i for v in form.getlist("product_id") if (i := int_or_none(str(v))) is not None]
    if not product_ids:
        return redirect_with_error(back, "Tick at least one product first.")
    db = viewer.db
    if shop is None and (action == "upload" or action in listings.ACTIONS or action.startswith("assign:")):
        return redirect_with_error(back, "Connect a TikTok shop first.")
    try:
        if action == "upload":
            _job, queued = listings.request_upload(db, shop, product_ids)
            message = f"{_on_their_way(queued)}{_daily_plan(db, shop, queued)} Progress shows under Activity."
        elif action in listings.ACTIONS:
            bound = ListingRepository(db).for_products(shop.shop_id, product_ids)
            job = listings.request_action(db, shop, action, [listing.id for listing in bound.values()])
            message = (
                f"{ACTION_NOUNS[action]} requested for {plural(len(job.payload['listing_ids']), 'product')} "
                f"on TikTok. Progress shows under Activity."
            )
        elif action.startswith("assign:") and (template_id := int_or_none(action.removeprefix("assign:"))):
            linked = templates_service.link_products(db, shop, product_ids, template_id)
            message = f"{plural(linked, 'product')} linked to the template."
        else:
            log.info("bulk action refused: unknown action %r", action[:40])
            return redirect_with_error(back, "Choose an action from the list.")
    except listings.ListingRefused as refused:
        db.rollback()
        return redirect_with_error(back, refused.message)
    except templates_service.TemplateNotFound:
        db.rollback()
        return redirect_with_error(back, "That template no longer exists; choose another.")
    db.commit()
    return redirect_with_notice(back, message)


@router.get("/products/{product_id}", response_class=HTMLResponse)
def product_page(
    request: Request, viewer: ViewerDep, settings: SettingsDep, shop: OptionalShopDep, product_id: RowId
) -> Response:
    """The product in the chosen shop (its listing, what an upload would send there), and a table of its
    state in every shop of the merchant."""
    repository = ListingRepository(viewer.db)
    product = repository.product(product_id)
    if product is None or product.status == "deleted":
        raise HTTPException(404, "This product is not in your catalog (deleted in the store, or never imported).")
    shop_id = shop.shop_id if shop else None
    row = next(iter(repository.product_rows(shop_id, before_id=product_id + 1, limit=1)), None)
    listing = repository.for_product(shop_id, product_id) if shop else None
    images, image_reason = product_view.images(
        repository, product_id, listing, shop_id, MAX_MAIN_IMAGES, store=shop.store if shop else None
    )
    template_choices = _shop_templates(viewer.db, shop)
    in_shops = product_view.in_every_shop(viewer.db, product_id)
    preview = product_preview(viewer, settings, shop, product_id) if shop and row and row.template_id else None
    if preview and preview["body"] and listing and listing.tiktok_product_id:
        preview["unsent"] = unsent_changes(viewer.db, listing, preview["body"])
    return templates.TemplateResponse(
        request,
        "product.html",
        {
            "viewer": viewer,
            "shop": shop,
            "product": product,
            "row": row,
            "listing": listing,
            "preview": preview,
            "statuses": PRODUCT_STATUSES,
            "images": images,
            "image_reason": image_reason,
            "in_shops": in_shops,
            "template_choices": template_choices,
            **read_flash(request),
        },
    )


@router.get("/products/{product_id}/images/{image_id}")
def product_image(viewer: ViewerDep, shop: ShopDep, product_id: RowId, image_id: RowId) -> Response:
    """A store image the store serves only with its credentials (`product_view.image_src`), fetched for the
    signed-in merchant: only the URLs of their own catalog, only with their shop's store's credentials."""
    image = next((row for row in ListingRepository(viewer.db).product_images(product_id) if row.id == image_id), None)
    headers = product_view.store_credentials_for(shop.store, image.url) if image else {}
    if image is None or not headers:
        raise HTTPException(404, "This image is not in your catalog.")
    viewer.db.commit()  # hold no transaction while the store answers
    try:
        content, content_type = download_image(image.url, headers)
    except (RetryableError, ImageUnavailable) as exc:
        log.info("store image %s not shown: %s", image_id, exc)
        raise HTTPException(404, "Your store did not hand over this image.") from exc
    if not content_type.startswith("image/"):
        raise HTTPException(404, "Your store did not hand over this image.")
    return Response(
        content,
        media_type=content_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def _shop_templates(db, shop) -> list:
    """The shop's templates (templates belong to one TikTok shop); none before a shop is connected."""
    return templates_service.list_templates(db, shop) if shop else []


def product_preview(viewer, settings, shop, product_id: int) -> dict:
    """Exactly what an upload would send to the shop (the mapper's output) and what validation says about
    it. With TikTok connected, the category's own rules are fetched so the problems are TikTok's."""
    category, warehouses, note = None, None, None
    connection = shop.shop
    links = templates_repository.assignment_map(viewer.db, shop, [product_id])
    if product_id not in links:
        return {"body": None, "problems": [], "note": "The product is not linked to a template in this shop."}
    spec = templates_service.get_template_spec(viewer.db, shop, links[product_id][0])
    if connection is not None:
        viewer.db.commit()  # hold no lock while TikTok answers
        try:
            client = tiktok_client(settings, get_engine(settings.database_url), connection)
            category = fetch_category_info(client, spec.category.id, category_version=spec.category.version)
            warehouses = {w.id: w.name or w.id for w in client.get_warehouses()}
        except TikTokError as exc:
            log.info("product preview without category rules: %s", exc)
            note = (
                channel_problem(exc)[1]
                if isinstance(exc, NeedsReconnect)
                else "TikTok did not answer, so the category's own rules were not checked. Reload to try again."
            )
    prices = currency.conversion(viewer.db, shop) if shop else None
    market = Market(connection.region or "US", price_rate=prices.price_rate) if connection else Market("US")
    prepared = templates_service.prepare_products(
        viewer.db,
        shop,
        [product_id],
        market,
        categories={category.id: category} if category else None,
        warehouse_ids=list(warehouses) if warehouses is not None else None,
    )
    if not prepared:
        return {"body": None, "problems": [], "note": "Its template is switched off, so nothing would be sent."}
    item = prepared[0]
    problems = [currency.missing_rate_problem(prices), *item.problems] if prices and prices.missing else item.problems
    body = item.body.model_dump(mode="json", exclude_none=True)
    return {
        "body": body,
        "json": json.dumps(body, indent=2, ensure_ascii=False),
        "problems": problems,
        "note": note,
        "category_label": spec.category.label,
        "skus": product_view.sku_rows(body, category, spec, warehouses or {}),
    }


ACTION_NOUNS = {"activate": "Activation", "deactivate": "Deactivation", "delete": "Deletion"}


def _on_their_way(count: int) -> str:
    return f"{plural(count, 'product')} {'is' if count == 1 else 'are'} on {'its' if count == 1 else 'their'} way to TikTok."


def _local_or(target: str, default: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else default


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect after sign-in would help phishing."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    return target
