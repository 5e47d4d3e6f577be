"""A merchant's connection to one external account (a Shopify store, a TikTok shop)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, TenantOwned, Timestamped, new_id
from tokbridge.db.encrypted import EncryptedField, encrypted_column


class ChannelConnection(TenantOwned, Timestamped, Base):
    __tablename__ = "channel_connection"
    # An external account belongs to one merchant: webhooks are routed by it.
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(20))  # "shopify", "tiktok", later "etsy", "prestashop"
    external_id: Mapped[str] = mapped_column(String(255))  # shop domain, TikTok shop id
    name: Mapped[str] = mapped_column(String(255), default="")
    region: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, disconnected, expired
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. TikTok's shop cipher
    access_token_ciphertext: Mapped[str | None] = encrypted_column()
    refresh_token_ciphertext: Mapped[str | None] = encrypted_column()
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    # A store: the currency its prices are in, as the store reports it (read at each catalog import).
    currency: Mapped[str | None] = mapped_column(String(3))
    # A TikTok shop selling in another currency than the store: one unit of `price_rate_from` (the store's
    # currency when the merchant set the rate) is worth `price_rate` of the shop's currency.
    price_rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 6))
    price_rate_from: Mapped[str | None] = mapped_column(String(3))
    price_rate_set_at: Mapped[datetime | None]
    # A TikTok shop: the store whose catalog it lists (migration 0021_shop_context).
    store_connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="SET NULL")
    )
    # A TikTok shop: how many products TikTok let it create in one day when it last refused more.
    daily_listing_limit: Mapped[int | None]

    access_token = EncryptedField("access_token_ciphertext")
    refresh_token = EncryptedField("refresh_token_ciphertext")
