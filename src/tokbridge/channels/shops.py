"""The shop context: which TikTok shop (and which store's catalog) a request or a job works for.

A merchant may connect several TikTok shops (a US and a UK shop) and several stores. Nothing picks "the
first connection": the web layer builds a `ShopContext` once per request from the shop the merchant chose
(`web/deps.py`), a job builds it from the `connection_id` in its payload, and every service that reads or
writes per-shop data (templates, listings, sync switches, order settings, counts) is handed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tokbridge.channels.connections import TIKTOK, ConnectionRepository
from tokbridge.channels.models import ChannelConnection
from tokbridge.channels.registry import store_kinds

# What `db.base.new_id` makes: 32 lowercase hex digits.
CONNECTION_ID = re.compile(r"[0-9a-f]{32}")


class NoSuchShop(LookupError):
    """The id names no active TikTok shop of this merchant (another merchant's, disconnected or made up)."""


@dataclass(frozen=True)
class ShopContext:
    """One TikTok shop of one merchant, and the store whose catalog it lists (None until one is linked)."""

    merchant_id: int
    shop: ChannelConnection
    store: ChannelConnection | None

    @property
    def shop_id(self) -> str:
        """The shop's connection id: what payloads, listings and per-shop settings hold."""
        return self.shop.id

    @property
    def store_id(self) -> str | None:
        return self.store.id if self.store is not None else None

    @property
    def label(self) -> str:
        """How pages name the shop: its name and region."""
        name = self.shop.name or self.shop.external_id
        return f"{name} ({self.shop.region})" if self.shop.region else name


def linked_store(session: Session, shop: ChannelConnection) -> ChannelConnection | None:
    """The active store the shop lists from (`store_connection_id`), read in the session's merchant."""
    if not shop.store_connection_id:
        return None
    store = ConnectionRepository(session).get(shop.store_connection_id)
    return store if store is not None and store.status == "active" and store.channel in store_kinds() else None


def shop_context(session: Session, connection_id: str | None) -> ShopContext:
    """The context of the merchant's active TikTok shop `connection_id`. The session must be scoped to the
    merchant (tenancy.scoping), so another merchant's shop is simply not found. Raises NoSuchShop."""
    # Ids come from URLs and request bodies: one that cannot be a connection id is no shop, unread.
    well_formed = connection_id is not None and CONNECTION_ID.fullmatch(connection_id) is not None
    shop = ConnectionRepository(session).get(connection_id) if well_formed and connection_id is not None else None
    if shop is None or shop.channel != TIKTOK or shop.status != "active":
        raise NoSuchShop(connection_id)
    return ShopContext(merchant_id=shop.merchant_id, shop=shop, store=linked_store(session, shop))


def active_shops(session: Session) -> list[ChannelConnection]:
    """The merchant's active TikTok shops, oldest first (the switcher's and the overview's order)."""
    return list(
        session.scalars(
            select(ChannelConnection)
            .where(ChannelConnection.channel == TIKTOK, ChannelConnection.status == "active")
            .order_by(ChannelConnection.created_at, ChannelConnection.id)
        )
    )


def shop_contexts(session: Session) -> list[ShopContext]:
    """A context for each active shop of the merchant: the periodic jobs and the overview go through all."""
    return [
        ShopContext(merchant_id=shop.merchant_id, shop=shop, store=linked_store(session, shop))
        for shop in active_shops(session)
    ]
