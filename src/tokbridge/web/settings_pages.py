"""Settings: the three sync switches, store locations to TikTok warehouses, connected accounts
(reconnect, disconnect), email notifications (preferences; sent by tokbridge/notifications, and the page
says so when the server has no SMTP_URL). Order settings live at /settings/orders (web/order_pages.py)."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tokbridge.activity.repository import ActivityRepository
from tokbridge.category_templates import service as templates_service
from tokbridge.channels import factory, registry
from tokbridge.channels.connections import TIKTOK, ConnectionRepository, fresh_store_connection
from tokbridge.channels.shops import ShopContext
from tokbridge.db.engine import get_engine
from tokbridge.kit.errors import ChannelError
from tokbridge.kit.words import plural
from tokbridge.listings import currency, template_sync
from tokbridge.listings import service as listings
from tokbridge.listings.repository import ListingRepository
from tokbridge.notifications import service as notifications_service
from tokbridge.onboarding import service as onboarding
from tokbridge.web.deps import OptionalShopDep, SettingsDep, ShopDep, ViewerDep
from tokbridge.web.flash import read_flash, redirect_with_error, redirect_with_notice
from tokbridge.web.rendering import templates

log = logging.getLogger(__name__)
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
router = APIRouter(include_in_schema=False)

SWITCHES = [
    ("sync_product_info", "Product information", "Title, description, images and attributes."),
    ("sync_price", "Price", "Store price changes, with each template's price rule applied."),
    ("sync_inventory", "Inventory", "Stock changes at your store locations."),
]
NOTIFICATIONS = [
    ("on_failed_upload", "A product fails to upload or is refused by TikTok"),
    ("on_failed_order", "A TikTok order cannot be created in the store"),
    ("on_plan_limit", "The plan's product or order limit is reached"),
]
DELETE_CHOICES = [("deactivate", "Deactivate it on TikTok (it can come back)"), ("delete", "Delete it from TikTok")]


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, viewer: ViewerDep, settings: SettingsDep, shop: OptionalShopDep) -> Response:
    """The account's settings; sync switches, prices and the warehouse mapping are the chosen shop's."""
    db = viewer.db
    sync = ListingRepository(db).sync_settings(viewer.merchant_id, shop.shop_id, create=False) if shop else None
    notifications = ActivityRepository(db).notification_settings(viewer.merchant_id, create=False)
    connections = ConnectionRepository(db)
    accounts = connections.stores(active_only=False) + connections.for_channel(TIKTOK, active_only=False)
    template_rows = _shop_templates(db, shop)
    mapping = _current_mapping(db, shop, template_rows)
    prices = currency.conversion(db, shop.shop) if shop is not None else None
    db.commit()  # hold no lock while the store and TikTok answer
    locations, warehouses, mapping_problem = _locations_and_warehouses(settings, shop)
    return templates.TemplateResponse(
        request,
        "settings.html",
        {
            "viewer": viewer,
            "shop": shop,
            "sync": sync,
            "switches": SWITCHES,
            "notifications": notifications,
            "notification_choices": NOTIFICATIONS,
            "delete_choices": DELETE_CHOICES,
            "email_configured": notifications_service.email_configured(settings),
            "accounts": accounts,
            "locations": locations,
            "warehouses": warehouses,
            "mapping": mapping,
            "mapping_problem": mapping_problem,
            "has_templates": bool(template_rows),
            **read_flash(request),
            "prices": prices,
            "currency_name": currency.currency_name,
            "store_plugins": list(registry.plugins().values()),
            "account_names": {TIKTOK: "TikTok Shop", **{p.kind: p.display_name for p in registry.plugins().values()}},
            "missing_permissions": _missing_permissions(connections.stores()),
        },
    )


@router.post("/settings/currency")
async def save_price_rate(request: Request, viewer: ViewerDep, shop: ShopDep) -> Response:
    form = await request.form()
    try:
        repriced = currency.set_rate(viewer.db, viewer.merchant_id, shop.shop, str(form.get("rate", "")))
    except currency.RateRefused as refused:
        viewer.db.rollback()
        return redirect_with_error("/settings#currency", refused.message)
    viewer.db.commit()
    resent = f" New prices are on their way for {plural(repriced, 'product')} on TikTok." if repriced else ""
    return redirect_with_notice("/settings#currency", f"Conversion rate saved for {shop.label}.{resent}")


@router.post("/settings/sync")
async def save_sync(request: Request, viewer: ViewerDep, shop: ShopDep) -> Response:
    form = await request.form()
    on_delete = str(form.get("on_store_delete", "deactivate"))
    if on_delete not in dict(DELETE_CHOICES):
        log.info("sync settings refused: on_store_delete=%r", on_delete[:40])
        return redirect_with_error("/settings", "Choose what happens on TikTok when a product is deleted in the store.")
    listings.save_sync_settings(
        viewer.db,
        shop,
        {**{name: form.get(name) == "on" for name, _label, _help in SWITCHES}, "on_store_delete": on_delete},
    )
    viewer.db.commit()
    return redirect_with_notice(
        "/settings", f"Sync settings saved for {shop.label}. They apply to the next change in your store."
    )


@router.post("/settings/notifications")
async def save_notifications(request: Request, viewer: ViewerDep) -> Response:
    form = await request.form()
    email = str(form.get("email", "")).strip()
    if email and not EMAIL.fullmatch(email):
        log.info("notification settings refused: malformed email")
        return redirect_with_error(
            "/settings", "That email address does not look right; leave it empty to use your sign-in email."
        )
    notifications = ActivityRepository(viewer.db).notification_settings(viewer.merchant_id)
    notifications.email = email or None
    for name, _label in NOTIFICATIONS:
        setattr(notifications, name, form.get(name) == "on")
    viewer.db.commit()
    return redirect_with_notice("/settings", "Notification settings saved.")


@router.post("/settings/warehouses")
async def save_warehouses(request: Request, viewer: ViewerDep, shop: ShopDep) -> Response:
    """One mapping for the shop, written into the inventory rule of each of the shop's templates."""
    form = await request.form()
    mapping = {
        key.removeprefix("location:"): str(value)
        for key, value in form.items()
        if key.startswith("location:") and str(value).strip()
    }
    db = viewer.db
    rows = _shop_templates(db, shop)
    if not rows:
        return redirect_with_error(
            "/settings", "Create a category template first: the mapping is part of how templates send stock."
        )
    for row in rows:
        spec = templates_service.get_template_spec(db, shop, row.id).model_dump(mode="json")
        spec["inventory"]["warehouse_map"] = mapping
        try:
            template_sync.update_template(db, shop, row.id, spec)
        except templates_service.TemplateInvalid as invalid:
            db.rollback()
            log.info("warehouse mapping refused: %s", invalid)
            return redirect_with_error(
                "/settings",
                f"Template “{row.name}” refused the mapping: " + "; ".join(e.message for e in invalid.errors),
            )
    db.commit()
    return redirect_with_notice(
        "/settings",
        f"Warehouse mapping saved in {plural(len(rows), 'template')} of "
        f"{shop.label}. Stock goes there from the next sync.",
    )


@router.post("/settings/connections/{connection_id}/disconnect")
def disconnect(viewer: ViewerDep, settings: SettingsDep, connection_id: str) -> Response:
    """Stop using an account here: its tokens are forgotten, its listings and orders stay on record."""
    db = viewer.db
    connection = onboarding.disconnect_account(db, settings, connection_id)
    if connection is None:
        return redirect_with_error("/settings", "That account is not connected to TokBridge any more.")
    label = onboarding.store_label(connection)
    db.commit()
    return redirect_with_notice(
        "/settings", f"{label} disconnected. Nothing is sent to it or read from it until you connect it again."
    )


def _missing_permissions(stores) -> dict[str, list[str]]:
    """The permissions each active store connection lacks, in the connector's words (a merchant may have
    taken some back in the store's admin): reconnecting asks for them again."""
    found = {}
    for connection in stores:
        if not connection.scopes:
            continue  # none recorded (a connection made before TokBridge kept them): nothing to compare
        missing = registry.plugin_of(connection).connector.missing_scopes(list(connection.scopes))
        if missing:
            found[connection.id] = missing
    return found


def _shop_templates(db, shop: ShopContext | None) -> list:
    """The chosen shop's category templates, in priority order; none before a shop is connected."""
    return templates_service.list_templates(db, shop) if shop is not None else []


def _current_mapping(db, shop, rows) -> dict[str, str]:
    """The mapping the shop's templates use (the first template's; saving here writes the same one to all)."""
    for row in rows:
        return dict(templates_service.get_template_spec(db, shop, row.id).inventory.warehouse_map)
    return {}


def _locations_and_warehouses(settings, shop: ShopContext | None) -> tuple[list[dict], list, str | None]:
    if shop is None or shop.store is None:
        return (
            [],
            [],
            (
                "Connect your store and your TikTok shop to map locations to warehouses."
                if shop is None
                else "Link a store to this TikTok shop on the Shops page to map its locations to warehouses."
            ),
        )
    try:
        engine = get_engine(settings.database_url)
        source = registry.store_for(settings, engine, fresh_store_connection(settings, shop.store))
        locations = [loc for loc in source.locations() if loc.get("isActive", True)]
        client = factory.tiktok_client(settings, engine, shop.shop)
        warehouses = [w for w in client.get_warehouses() if w.type == "SALES_WAREHOUSE"]
    except ChannelError as exc:
        log.info("settings: locations or warehouses unavailable: %s", exc)
        return [], [], "Your store or TikTok did not answer, so the mapping cannot be shown. Reload in a minute."
    return locations, warehouses, None
