"""Orders: TikTok orders and lines bound to store orders, shipments, cancellations, returns, settings, poll cursor.

Revision ID: 0005_orders
Revises: 0004_listings
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_orders"
down_revision = "0004_listings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_settings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("restock_on_cancel", sa.Boolean(), nullable=False),
        sa.Column("restock_on_return", sa.Boolean(), nullable=False),
        sa.Column("unknown_sku", sa.String(length=20), nullable=False),
        sa.Column("carrier_map", sa.JSON(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_order_settings_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_settings")),
        sa.UniqueConstraint("merchant_id", name=op.f("uq_order_settings_merchant_id")),
    )
    with op.batch_alter_table("order_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_settings_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "order_poll_cursor",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("searched_until", sa.BigInteger(), nullable=False),
        sa.Column("searched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_order_poll_cursor_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_order_poll_cursor_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_poll_cursor")),
        sa.UniqueConstraint("connection_id", name=op.f("uq_order_poll_cursor_connection_id")),
    )
    with op.batch_alter_table("order_poll_cursor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_poll_cursor_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "tiktok_order",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("tiktok_order_id", sa.String(length=64), nullable=False),
        sa.Column("tiktok_status", sa.String(length=40), nullable=False),
        sa.Column("tiktok_update_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("is_on_hold", sa.Boolean(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("store_sync", sa.String(length=30), nullable=False),
        sa.Column("store_order_id", sa.String(length=255), nullable=True),
        sa.Column("store_order_name", sa.String(length=64), nullable=True),
        sa.Column("store_created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_by", sa.String(length=20), nullable=True),
        sa.Column("store_cancelled", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_tiktok_order_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_tiktok_order_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiktok_order")),
        sa.UniqueConstraint("connection_id", "tiktok_order_id", name="uq_tiktok_order_connection_order"),
    )
    with op.batch_alter_table("tiktok_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiktok_order_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index("ix_tiktok_order_merchant_placed", ["merchant_id", "placed_at"], unique=False)
        batch_op.create_index("ix_tiktok_order_merchant_status", ["merchant_id", "status"], unique=False)
        batch_op.create_index("ix_tiktok_order_merchant_store_sync", ["merchant_id", "store_sync"], unique=False)

    op.create_table(
        "order_cancellation",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tiktok_order_id", sa.String(length=64), nullable=False),
        sa.Column("tiktok_cancel_id", sa.String(length=64), nullable=False),
        sa.Column("cancel_type", sa.String(length=40), nullable=True),
        sa.Column("cancel_status", sa.String(length=60), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("tiktok_update_time", sa.BigInteger(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_order_cancellation_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_order_cancellation_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["tiktok_order.id"],
            name=op.f("fk_order_cancellation_order_id_tiktok_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_cancellation")),
        sa.UniqueConstraint("connection_id", "tiktok_cancel_id", name="uq_order_cancellation_cancel"),
    )
    with op.batch_alter_table("order_cancellation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_cancellation_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_cancellation_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_return",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("tiktok_order_id", sa.String(length=64), nullable=False),
        sa.Column("tiktok_return_id", sa.String(length=64), nullable=False),
        sa.Column("return_type", sa.String(length=40), nullable=True),
        sa.Column("return_status", sa.String(length=60), nullable=True),
        sa.Column("refund_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("tiktok_update_time", sa.BigInteger(), nullable=False),
        sa.Column("restocked", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["channel_connection.id"],
            name=op.f("fk_order_return_connection_id_channel_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_order_return_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["tiktok_order.id"], name=op.f("fk_order_return_order_id_tiktok_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_return")),
        sa.UniqueConstraint("connection_id", "tiktok_return_id", name="uq_order_return_return"),
    )
    with op.batch_alter_table("order_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_return_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_return_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_shipment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("store_fulfillment_id", sa.String(length=255), nullable=False),
        sa.Column("tracking_number", sa.String(length=255), nullable=True),
        sa.Column("tracking_company", sa.String(length=255), nullable=True),
        sa.Column("shipping_provider_id", sa.String(length=64), nullable=True),
        sa.Column("store_line_items", sa.JSON(), nullable=False),
        sa.Column("tiktok_line_ids", sa.JSON(), nullable=False),
        sa.Column("tiktok_package_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_order_shipment_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["tiktok_order.id"], name=op.f("fk_order_shipment_order_id_tiktok_order"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipment")),
        sa.UniqueConstraint("order_id", "store_fulfillment_id", name="uq_order_shipment_fulfillment"),
    )
    with op.batch_alter_table("order_shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_shipment_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_shipment_order_id"), ["order_id"], unique=False)

    op.create_table(
        "tiktok_order_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tiktok_line_id", sa.String(length=64), nullable=False),
        sa.Column("tiktok_sku_id", sa.String(length=64), nullable=True),
        sa.Column("tiktok_product_id", sa.String(length=64), nullable=True),
        sa.Column("seller_sku", sa.String(length=255), nullable=True),
        sa.Column("product_name", sa.Text(), nullable=False),
        sa.Column("sku_name", sa.Text(), nullable=True),
        sa.Column("variant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sale_minor", sa.BigInteger(), nullable=False),
        sa.Column("original_minor", sa.BigInteger(), nullable=False),
        sa.Column("display_status", sa.String(length=40), nullable=True),
        sa.Column("package_id", sa.String(length=64), nullable=True),
        sa.Column("tracking_number", sa.String(length=255), nullable=True),
        sa.Column("store_line_item_id", sa.String(length=255), nullable=True),
        sa.Column("shipment_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("merchant_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_tiktok_order_line_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["tiktok_order.id"],
            name=op.f("fk_tiktok_order_line_order_id_tiktok_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["order_shipment.id"],
            name=op.f("fk_tiktok_order_line_shipment_id_order_shipment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["product_variant.id"],
            name=op.f("fk_tiktok_order_line_variant_id_product_variant"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tiktok_order_line")),
        sa.UniqueConstraint("order_id", "tiktok_line_id", name="uq_tiktok_order_line_order_line"),
    )
    with op.batch_alter_table("tiktok_order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tiktok_order_line_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tiktok_order_line_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tiktok_order_line_variant_id"), ["variant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tiktok_order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tiktok_order_line_variant_id"))
        batch_op.drop_index(batch_op.f("ix_tiktok_order_line_order_id"))
        batch_op.drop_index(batch_op.f("ix_tiktok_order_line_merchant_id"))

    op.drop_table("tiktok_order_line")
    with op.batch_alter_table("order_shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_shipment_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_shipment_merchant_id"))

    op.drop_table("order_shipment")
    with op.batch_alter_table("order_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_return_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_return_merchant_id"))

    op.drop_table("order_return")
    with op.batch_alter_table("order_cancellation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_cancellation_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_cancellation_merchant_id"))

    op.drop_table("order_cancellation")
    with op.batch_alter_table("tiktok_order", schema=None) as batch_op:
        batch_op.drop_index("ix_tiktok_order_merchant_store_sync")
        batch_op.drop_index("ix_tiktok_order_merchant_status")
        batch_op.drop_index("ix_tiktok_order_merchant_placed")
        batch_op.drop_index(batch_op.f("ix_tiktok_order_merchant_id"))

    op.drop_table("tiktok_order")
    with op.batch_alter_table("order_poll_cursor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_poll_cursor_merchant_id"))

    op.drop_table("order_poll_cursor")
    with op.batch_alter_table("order_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_settings_merchant_id"))

    op.drop_table("order_settings")
