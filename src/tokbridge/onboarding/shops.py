"""A merchant's TikTok shops and the stores they list from: linking them, and the configuration a
merchant's first shop adopts.

A TikTok shop lists the catalog of one store (`channel_connection.store_connection_id`). When the merchant
has exactly one active store, every shop is linked to it without asking (a shop connected first, or a store
connected after the shops); with several stores the merchant picks on the Shops page (`link_store`).

Configuration written while no shop was connected (category templates, product links, sync switches,
order settings with `connection_id IS NULL`) joins the first shop connected (`adopt_unattached`).
No FastAPI here; the callers commit.
"""

from __future__ import annotations

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from tokbridge.category_templates import service as templates_service
from tokbridge.category_templates.models import CategoryTemplate, ProductTemplateAssignment
from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.registry import store_kinds
from tokbridge.channels.shops import ShopContext
from tokbridge.db.engine import rows_changed
from tokbridge.listings.models import SyncSettings
from tokbridge.orders.models import OrderSettings

# The per-shop configuration tables (migration 0021_shop_context).
PER_SHOP_MODELS = (CategoryTemplate, ProductTemplateAssignment, SyncSettings, OrderSettings)


class LinkRefused(ValueError):
    """The shop or the store is not one of the merchant's active ones: `message` says so in plain words."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def adopt_unattached(session: Session, shop: ShopContext) -> int:
    """Attach the merchant's configuration rows that belong to no shop yet to `shop`, unless that shop
    already has configuration of its own (a shop connected again keeps its own). Templates and their links
    go through the templates' own adoption (names kept unique, products linked). Returns the rows moved."""
    merchant_id, shop_id = shop.merchant_id, shop.shop_id
    if any(
        session.scalar(select(exists().where(model.merchant_id == merchant_id, model.connection_id == shop_id)))
        for model in PER_SHOP_MODELS
    ):
        return 0
    moved = templates_service.adopt_unattached(session, shop)
    for model in (SyncSettings, OrderSettings):
        result = session.execute(
            update(model)
            .where(model.merchant_id == merchant_id, model.connection_id.is_(None))
            .values(connection_id=shop_id)
            .execution_options(synchronize_session=False)
        )
        moved += rows_changed(result)
    return moved


def link_unlinked_shops(session: Session) -> list[ChannelConnection]:
    """When the merchant (the session's) has exactly one active store, link every TikTok shop that lists
    no active store to it. Returns the shops linked now."""
    repository = ConnectionRepository(session)
    stores = repository.stores()
    if len(stores) != 1:
        return []
    [store] = stores
    active_store_ids = {store.id}
    linked = []
    for shop in repository.for_channel(TIKTOK, active_only=False):
        if shop.status == "disconnected" or shop.store_connection_id in active_store_ids:
            continue
        shop.store_connection_id = store.id
        linked.append(shop)
    session.flush()
    return linked


def link_store(session: Session, shop_id: str, store_id: str) -> ChannelConnection:
    """The merchant chose the store a shop lists from. Both must be the merchant's active ones."""
    repository = ConnectionRepository(session)
    shop, store = repository.get(shop_id), repository.get(store_id)
    if shop is None or shop.channel != TIKTOK or shop.status != "active":
        raise LinkRefused("That TikTok shop is not one of your connected shops.")
    if store is None or store.channel not in store_kinds() or store.status != "active":
        raise LinkRefused("That store is not one of your connected stores.")
    shop.store_connection_id = store.id
    session.flush()
    return shop
