"""Listings: TikTok bindings of products and SKUs, uploaded images, sync settings, subscriptions.

Revision ID: 0004_listings
Revises: 0003_category_templates
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_listings"
down_revision = "0003_category_templates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("plan_code", sa.String(length=40), nullable=False),
        sa.Column("billing_day", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("external_charge_id", sa.String(length=255), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_subscription_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription")),
        sa.UniqueConstraint("merchant_id", name=op.f("uq_subscription_merchant_id")),
    )
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscription_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "sync_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("sync_product_info", sa.Boolean(), nullable=False),
        sa.Column("sync_price", sa.Boolean(), nullable=False),
        sa.Column("sync_inventory", sa.Boolean(), nullable=False),
        sa.Column("on_store_delete", sa.String(length=20), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_sync_settings_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_settings")),
        sa.UniqueConstraint("merchant_id", name=op.f("uq_sync_settings_merchant_id")),
    )
    with op.batch_alter_table("sync_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_settings_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "tiktok_listing",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tiktok_product_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tiktok_status", sa.String(length=40), nullable=True),
        sa.Column("audit_status", sa.String(length=40), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("review_reasons", sa.JSON(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("pushed_content_hash", sa.String(length=64), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_tiktok_listing_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_tiktok_listing_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_tiktok_listing_product_id_product"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiktok_listing")),
        sa.UniqueConstraint("connection_id", "product_id", name="uq_tiktok_listing_connection_product"),
        sa.UniqueConstraint("connection_id", "tiktok_product_id", name="uq_tiktok_listing_connection_tiktok_product"),
    )
    with op.batch_alter_table("tiktok_listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiktok_listing_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index("ix_tiktok_listing_merchant_status", ["merchant_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_tiktok_listing_product_id"), ["product_id"], unique=False)

    op.create_table(
        "tiktok_uploaded_image",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("source_url_hash", sa.String(length=64), nullable=False),
        sa.Column("use_case", sa.String(length=30), nullable=False),
        sa.Column("uri", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_tiktok_uploaded_image_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_tiktok_uploaded_image_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiktok_uploaded_image")),
        sa.UniqueConstraint(
            "connection_id", "source_url_hash", "use_case", name=op.f("uq_tiktok_uploaded_image_connection_id")
        ),
    )
    with op.batch_alter_table("tiktok_uploaded_image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiktok_uploaded_image_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "tiktok_listing_sku",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("variant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tiktok_sku_id", sa.String(length=64), nullable=False),
        sa.Column("seller_sku", sa.String(length=255), nullable=True),
        sa.Column("pushed_price", sa.String(length=32), nullable=True),
        sa.Column("pushed_quantity", sa.Integer(), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["tiktok_listing.id"],
            name=op.f("fk_tiktok_listing_sku_listing_id_tiktok_listing"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_tiktok_listing_sku_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variant.id"],
            name=op.f("fk_tiktok_listing_sku_variant_id_product_variant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiktok_listing_sku")),
        sa.UniqueConstraint("listing_id", "variant_id", name=op.f("uq_tiktok_listing_sku_listing_id")),
    )
    with op.batch_alter_table("tiktok_listing_sku", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiktok_listing_sku_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tiktok_listing_sku_variant_id"), ["variant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tiktok_listing_sku", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tiktok_listing_sku_variant_id"))
        batch_op.drop_index(batch_op.f("ix_tiktok_listing_sku_merchant_id"))

    op.drop_table("tiktok_listing_sku")
    with op.batch_alter_table("tiktok_uploaded_image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tiktok_uploaded_image_merchant_id"))

    op.drop_table("tiktok_uploaded_image")
    with op.batch_alter_table("tiktok_listing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tiktok_listing_product_id"))
        batch_op.drop_index("ix_tiktok_listing_merchant_status")
        batch_op.drop_index(batch_op.f("ix_tiktok_listing_merchant_id"))

    op.drop_table("tiktok_listing")
    with op.batch_alter_table("sync_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_settings_merchant_id"))

    op.drop_table("sync_settings")
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscription_merchant_id"))

    op.drop_table("subscription")
