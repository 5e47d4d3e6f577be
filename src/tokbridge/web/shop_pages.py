"""The merchant's TikTok shops: the Shops page (region, currency, the store each lists from, linking a
store when there are several) and the header's switcher (`POST /shops/current`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.category_templates.limits import Market
from tokbridge.channels.connections import ConnectionRepository
from tokbridge.channels.shops import NoSuchShop, ShopContext
from tokbridge.onboarding import service as onboarding
from tokbridge.onboarding import shops as shop_links
from tokbridge.tenancy.service import choose_shop
from tokbridge.web.deps import ShopNeeded, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.rendering import templates

router = APIRouter(include_in_schema=False)


def shop_currency(shop: ShopContext) -> str:
    """The currency the shop sells in (its region's)."""
    return Market(shop.shop.region or "US").currency


def safe_local(target: str | None, default: str = "/dashboard") -> str:
    """Only a path of this app: a form's `next` must not send the merchant elsewhere."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c < " " for c in target):
        return default
    return target


@router.get("/shops", response_class=HTMLResponse)
def shops_page(request: Request, viewer: ViewerDep, next: str = "/dashboard") -> Response:  # noqa: A002
    switcher = viewer.switcher
    stores = ConnectionRepository(viewer.db).stores()
    rows = [
        {"shop": shop, "currency": shop_currency(shop), "current": shop.shop_id == switcher.current_id}
        for shop in switcher.shops
    ]
    return templates.TemplateResponse(
        request,
        "shops.html",
        {
            "viewer": viewer,
            "rows": rows,
            "stores": stores,
            "choose": switcher.current is None and len(rows) > 1,
            "store_names": {store.id: _store_name(store) for store in stores},
            "next": safe_local(next),
            **read_flash(request),
        },
    )


@router.post("/shops/current")
async def switch_shop(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    back = safe_local(str(form.get("next", "")), "/dashboard")
    try:
        shop = choose_shop(viewer.db, viewer.web_session, str(form.get("shop", "")))
    except NoSuchShop:
        raise ShopNeeded("unknown") from None
    viewer.db.commit()
    return redirect_with_notice(back, f"You are working on your TikTok shop {shop.label}.")


@router.post("/shops/{shop_id}/store")
async def link_store(request: Request, viewer: ViewerDep, shop_id: str) -> Response:
    form = await request.form()
    try:
        shop = shop_links.link_store(viewer.db, shop_id, str(form.get("store", "")))
    except shop_links.LinkRefused as refused:
        viewer.db.rollback()
        return redirect_with_error("/shops", refused.message)
    store = ConnectionRepository(viewer.db).get(shop.store_connection_id)
    viewer.db.commit()
    return redirect_with_notice(
        "/shops",
        f"Your TikTok shop {shop.name or shop.external_id} now lists the catalog of your {_store_name(store)}.",
    )


def _store_name(store) -> str:
    return f"{onboarding.store_label(store)} {store.name or store.external_id}"
