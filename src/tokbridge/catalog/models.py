"""Catalog tables: a local copy of each merchant's store catalog, written by imports.

Natural keys are (merchant_id, channel, external_id) so an import of the same store upserts.
Money and weights are decimal strings: exact on SQLite and PostgreSQL alike, no float rounding.
`synced_at` is the time of the import that last saw the row; rows an import did not see are
swept afterwards (see `tokbridge.catalog.repository`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tokbridge.db.base import Base, BigId, TenantOwned


class CatalogProduct(TenantOwned, Base):
    __tablename__ = "product"
    __table_args__ = (
        UniqueConstraint("merchant_id", "channel", "external_id"),
        # The product list's filters and the dashboard's counts (migration 0006_merchant_app).
        Index("ix_product_merchant_status", "merchant_id", "status"),
        Index("ix_product_merchant_product_type", "merchant_id", "product_type"),
        Index("ix_product_merchant_vendor", "merchant_id", "vendor"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    description_html: Mapped[str] = mapped_column(Text, default="")
    vendor: Mapped[str | None] = mapped_column(String(255))
    product_type: Mapped[str | None] = mapped_column(String(255))
    handle: Mapped[str | None] = mapped_column(String(255))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))  # active, draft, archived; "deleted" once gone from the store
    source_updated_at: Mapped[datetime | None]
    # SHA-256 of the product's own fields and options: tells a listing whether content changed.
    content_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]


class CatalogOption(TenantOwned, Base):
    __tablename__ = "product_option"
    __table_args__ = (UniqueConstraint("product_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    values: Mapped[list] = mapped_column(JSON, default=list)


class CatalogImage(TenantOwned, Base):
    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    alt_text: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)


class CatalogVariant(TenantOwned, Base):
    __tablename__ = "product_variant"
    __table_args__ = (
        UniqueConstraint("merchant_id", "channel", "external_id"),
        Index("ix_product_variant_merchant_sku", "merchant_id", "sku"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    product_id: Mapped[int] = mapped_column(BigId, ForeignKey("product.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str | None] = mapped_column(String(255))
    barcode: Mapped[str | None] = mapped_column(String(255))
    price: Mapped[str] = mapped_column(String(32))
    compare_at_price: Mapped[str | None] = mapped_column(String(32))
    option_values: Mapped[dict] = mapped_column(JSON, default=dict)
    weight_grams: Mapped[str | None] = mapped_column(String(32))  # decimal string
    inventory_item_external_id: Mapped[str | None] = mapped_column(String(255))
    inventory_tracked: Mapped[bool] = mapped_column(Boolean, default=True)
    synced_at: Mapped[datetime]


class CatalogInventoryLevel(TenantOwned, Base):
    __tablename__ = "inventory_level"
    __table_args__ = (UniqueConstraint("variant_id", "location_external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    variant_id: Mapped[int] = mapped_column(BigId, ForeignKey("product_variant.id", ondelete="CASCADE"))
    location_external_id: Mapped[str] = mapped_column(String(255))
    available: Mapped[int] = mapped_column(Integer)
    synced_at: Mapped[datetime]
