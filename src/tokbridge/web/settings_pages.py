"""Settings: the three sync switches, store locations to TikTok warehouses, connected accounts
(reconnect, disconnect), email notifications (preferences; sent by tokbridge/notifications, and the page
says so when the server has no SMTP_URL). Order settings live at /settings/orders (web/order_pages.py)."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.activity import service as activity
from tokbridge.activity.repository import ActivityRepository
from tokbridge.category_templates import service as templates_service
from tokbridge.channels import factory
from tokbridge.channels.connections import SHOPIFY, TIKTOK, ConnectionRepository
from tokbridge.channels.shopify.errors import ShopifyError
from tokbridge.channels.tiktok.errors import TikTokError
from tokbridge.db.engine import get_engine
from tokbridge.listings import currency, template_sync
from tokbridge.kit.words import plural
from tokbridge.listings.repository import ListingRepository
from tokbridge.notifications import service as notifications_service
from tokbridge.onboarding.service import fresh_shopify_connection, lock_connection
from tokbridge.web.deps import SettingsDep, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
router = APIRouter(include_in_schema=False)

SWITCHES = [("sync_product_info", "Product information", "Title, description, images and attributes."),
            ("sync_price", "Price", "Store price changes, with each template's price rule applied."),
            ("sync_inventory", "Inventory", "Stock changes at your store locations.")]
NOTIFICATIONS = [("on_failed_upload", "A product fails to upload or is refused by TikTok"),
                 ("on_failed_order", "A TikTok order cannot be created in the store"),
                 ("on_plan_limit", "The plan's product or order limit is reached")]
DELETE_CHOICES = [("deactivate", "Deactivate it on TikTok (it can come back)"), ("delete", "Delete it from TikTok")]


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, viewer: ViewerDep, settings: SettingsDep) -> Response:
    db = viewer.db
    sync = ListingRepository(db).sync_settings(viewer.merchant_id, create=False)
    notifications = ActivityRepository(db).notification_settings(viewer.merchant_id, create=False)
    connections = ConnectionRepository(db)
    accounts = connections.for_channel(SHOPIFY, active_only=False) + connections.for_channel(TIKTOK, active_only=False)
    template_rows = templates_service.list_templates(db, viewer.merchant_id)
    mapping = _current_mapping(db, viewer.merchant_id, template_rows)
    store, shop = connections.first(SHOPIFY), connections.first(TIKTOK)
    prices = currency.conversion(db, shop) if shop is not None else None
    db.commit()  # hold no lock while the store and TikTok answer
    locations, warehouses, mapping_problem = _locations_and_warehouses(settings, store, shop)
    return templates.TemplateResponse(request, "settings.html", {
        "viewer": viewer, "sync": sync, "switches": SWITCHES, "notifications": notifications,
        "notification_choices": NOTIFICATIONS, "delete_choices": DELETE_CHOICES,
        "email_configured": notifications_service.email_configured(settings),
        "accounts": accounts, "locations": locations, "warehouses": warehouses, "mapping": mapping,
        "mapping_problem": mapping_problem, "has_templates": bool(template_rows), **read_flash(request),
        "prices": prices, "currency_name": currency.currency_name})


@router.post("/settings/currency")
async def save_price_rate(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    shop = ConnectionRepository(viewer.db).first(TIKTOK)
    if shop is None:
        return redirect_with_error("/settings", "Connect your TikTok shop first.")
    try:
        repriced = currency.set_rate(viewer.db, viewer.merchant_id, shop, str(form.get("rate", "")))
    except currency.RateRefused as refused:
        viewer.db.rollback()
        return redirect_with_error("/settings#currency", refused.message)
    viewer.db.commit()
    resent = f" New prices are on their way for {plural(repriced, 'product')} on TikTok." if repriced else ""
    return redirect_with_notice("/settings#currency", f"Conversion rate saved.{resent}")


@router.post("/settings/sync")
async def save_sync(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    on_delete = str(form.get("on_store_delete", "deactivate"))
    if on_delete not in dict(DELETE_CHOICES):
        log.info("sync settings refused: on_store_delete=%r", on_delete[:40])
        return redirect_with_error("/settings", "Choose what happens on TikTok when a product is deleted in the store.")
    sync = ListingRepository(viewer.db).sync_settings(viewer.merchant_id)
    for name, _label, _help in SWITCHES:
        setattr(sync, name, form.get(name) == "on")
    sync.on_store_delete = on_delete
    viewer.db.commit()
    return redirect_with_notice("/settings", "Sync settings saved. They apply to the next change in your store.")


@router.post("/settings/notifications")
async def save_notifications(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()
    if email and not EMAIL.fullmatch(email):
        log.info("notification settings refused: malformed email")
        return redirect_with_error("/settings", "That email address does not look right; leave it empty to use your sign-in email.")
    notifications = ActivityRepository(viewer.db).notification_settings(viewer.merchant_id)
    notifications.email = email or None
    for name, _label in NOTIFICATIONS:
        setattr(notifications, name, form.get(name) == "on")
    viewer.db.commit()
    return redirect_with_notice("/settings", "Notification settings saved.")


@router.post("/settings/warehouses")
async def save_warehouses(request: Request, viewer: ViewerDep) -> Response:
    """One mapping for the whole account, written into every template's inventory rule."""
    form = await request.form()
    mapping = {key.removeprefix("location:"): str(value) for key, value in form.items()
               if key.startswith("location:") and str(value).strip()}
    db = viewer.db
    rows = templates_service.list_templates(db, viewer.merchant_id)
    if not rows:
        return redirect_with_error("/settings", "Create a category template first: the mapping is part of how templates send stock.")
    for row in rows:
        spec = templates_service.get_template_spec(db, viewer.merchant_id, row.id).model_dump(mode="json")
        spec["inventory"]["warehouse_map"] = mapping
        try:
            template_sync.update_template(db, viewer.merchant_id, row.id, spec)
        except templates_service.TemplateInvalid as invalid:
            db.rollback()
            log.info("warehouse mapping refused: %s", invalid)
            return redirect_with_error("/settings", f"Template “{row.name}” refused the mapping: "
                               + "; ".join(e.message for e in invalid.errors))
    db.commit()
    return redirect_with_notice("/settings", f"Warehouse mapping saved in {plural(len(rows), 'template')}. Stock goes there from the next sync.")


@router.post("/settings/connections/{connection_id}/disconnect")
def disconnect(viewer: ViewerDep, connection_id: str) -> Response:
    """Stop using an account here: its tokens are forgotten, its listings and orders stay on record."""
    db = viewer.db
    connection = lock_connection(db, connection_id)
    if connection is None:
        return redirect_with_error("/settings", "That account is not connected to TokBridge any more.")
    label = "Shopify store" if connection.channel == SHOPIFY else "TikTok shop"
    connection.status = "disconnected"
    connection.access_token = None
    connection.refresh_token = None
    activity.record(db, viewer.merchant_id, "onboarding.disconnected",
                    f"{label} {connection.name or connection.external_id} disconnected", status="info",
                    message="Connect it again from Settings to resume syncing.")
    db.commit()
    return redirect_with_notice("/settings", f"{label} disconnected. Nothing is sent to it or read from it until you connect it again.")


def _current_mapping(db, merchant_id: int, rows) -> dict[str, str]:
    """The mapping the templates use (the first template's; saving here writes the same one to all)."""
    for row in rows:
        return dict(templates_service.get_template_spec(db, merchant_id, row.id).inventory.warehouse_map)
    return {}


def _locations_and_warehouses(settings, store, shop) -> tuple[list[dict], list, str | None]:
    if store is None or shop is None:
        return [], [], "Connect your store and your TikTok shop to map locations to warehouses."
    try:
        locations = [loc for loc in factory.shopify_store(settings, fresh_shopify_connection(settings, store))
                     .locations() if loc.get("isActive", True)]
        client = factory.tiktok_client(settings, get_engine(settings.database_url), shop)
        warehouses = [w for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE"]
    except (ShopifyError, TikTokError) as exc:
        log.info("settings: locations or warehouses unavailable: %s", exc)
        return [], [], "Your store or TikTok did not answer, so the mapping cannot be shown. Reload in a minute."
    return locations, warehouses, None


