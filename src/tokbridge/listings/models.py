from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned, TenantScoped, Timestamped


class ListingStatus(StrEnum):
    """The six statuses of the dashboard."""

    NOT_UPLOADED = "not_uploaded"
    IN_PROGRESS = "in_progress"  # queued or being sent
    REVIEWING = "reviewing"  # sent, under TikTok's review
    LIVE = "live"  # ACTIVATE
    FAILED = "failed"  # upload error, failed review, platform-deactivated or frozen
    INACTIVE = "inactive"  # deactivated by the merchant


class Listing(TenantOwned, Timestamped, Base):
    """The binding of one catalog product to one TikTok shop (OCA's "binding")."""

    __tablename__ = "tiktok_listing"
    __table_args__ = (
        UniqueConstraint("connection_id", "product_id", name="uq_tiktok_listing_connection_product"),
        UniqueConstraint("connection_id", "tiktok_product_id", name="uq_tiktok_listing_connection_tiktok_product"),
        Index("ix_tiktok_listing_merchant_status", "merchant_id", "status"),
        # Counts by status per shop, and the product list's status filter (migration 0006_merchant_app).
        Index("ix_tiktok_listing_connection_status", "merchant_id", "connection_id", "status", "product_id"),
        # Products created today, for TikTok's daily limit (migration 0015_shop_currency).
        Index("ix_tiktok_listing_connection_uploaded", "merchant_id", "connection_id", "uploaded_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"), index=True)
    tiktok_product_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=ListingStatus.NOT_UPLOADED)
    tiktok_status: Mapped[str | None] = mapped_column(String(40))  # TikTok's own, e.g. PLATFORM_DEACTIVATED
    audit_status: Mapped[str | None] = mapped_column(String(40))
    # Validation problems found before sending: [{code, field, message, fix}].
    problems: Mapped[list] = mapped_column(JSON, default=list)
    # TikTok's reasons for a failed review or a deactivation: [{position, reasons, suggestions}].
    review_reasons: Mapped[list] = mapped_column(JSON, default=list)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Sent with the create call, so a retry after a crash gets the same product back, not a copy.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    pushed_content_hash: Mapped[str | None] = mapped_column(String(64))
    # The store product and template as last sent (create or edit) and answered by TikTok: a failed product
    # whose fingerprint is still the same has nothing new to show TikTok (publisher.fingerprint).
    sent_fingerprint: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime | None]
    status_synced_at: Mapped[datetime | None]


class ListingSku(TenantOwned, Base):
    """The binding of a catalog variant to its TikTok SKU, with what was last sent."""

    __tablename__ = "tiktok_listing_sku"
    __table_args__ = (UniqueConstraint("listing_id", "variant_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    listing_id: Mapped[int] = mapped_column(BigId, ForeignKey("tiktok_listing.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(BigId, ForeignKey("product_variant.id", ondelete="CASCADE"), index=True)
    tiktok_sku_id: Mapped[str] = mapped_column(String(64))
    seller_sku: Mapped[str | None] = mapped_column(String(255))
    pushed_price: Mapped[str | None] = mapped_column(String(32))
    pushed_quantity: Mapped[int | None] = mapped_column(Integer)


class UploadedImage(TenantOwned, Base):
    """A store image already uploaded to a TikTok shop: uploads and retries never send it twice."""

    __tablename__ = "tiktok_uploaded_image"
    __table_args__ = (UniqueConstraint("connection_id", "source_url_hash", "use_case"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"))
    source_url_hash: Mapped[str] = mapped_column(String(64))
    use_case: Mapped[str] = mapped_column(String(30))
    uri: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)


class SyncSettings(TenantOwned, Timestamped, Base):
    """One TikTok shop's continuous-sync switches."""

    __tablename__ = "sync_settings"
    __table_args__ = (UniqueConstraint("connection_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    connection_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("channel_connection.id", ondelete="CASCADE"), index=True
    )
    sync_product_info: Mapped[bool] = mapped_column(Boolean, default=True)
    sync_price: Mapped[bool] = mapped_column(Boolean, default=True)
    sync_inventory: Mapped[bool] = mapped_column(Boolean, default=True)
    # What happens on TikTok when a product is deleted in the store: "deactivate" or "delete".
    on_store_delete: Mapped[str] = mapped_column(String(20), default="deactivate")


# --- the dashboard's counts, kept by database triggers (migration 0011_status_counts) -------------------


class ListingCountDelta(TenantScoped, Base):
    """+1/-1 per listing entering or leaving a (shop, status, product listable) bucket, written by triggers
    on `tiktok_listing` and `product` for every write, ORM or bulk; the counts are their sums. Insert-only,
    so writers never wait on a counter row; `compact_status_counts` folds them into one row per bucket.
    No foreign keys: rows are written while a shop or merchant is being deleted."""

    __tablename__ = "listing_count_delta"
    __table_args__ = (Index("ix_listing_count_delta_shop", "merchant_id", "connection_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(BigId)
    connection_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20))
    product_listable: Mapped[bool] = mapped_column(Boolean)
    n: Mapped[int] = mapped_column(Integer)


class ProductCountDelta(TenantScoped, Base):
    """+1/-1 per catalog product entering or leaving a status (triggers on `product`), like ListingCountDelta."""

    __tablename__ = "product_count_delta"
    __table_args__ = (Index("ix_product_count_delta_merchant", "merchant_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    merchant_id: Mapped[int] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(20))
    n: Mapped[int] = mapped_column(Integer)
