"""Merchant app: notification preferences, and indexes for the product list's filters and the
dashboard's counts at 100,000 products (see bench/dashboard.py).

Revision ID: 0006_merchant_app
Revises: 0005_orders
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_merchant_app"
down_revision = "0005_orders"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "notification_settings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("on_failed_upload", sa.Boolean(), nullable=False),
        sa.Column("on_failed_order", sa.Boolean(), nullable=False),
        sa.Column("on_plan_limit", sa.Boolean(), nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_notification_settings_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_settings")),
        sa.UniqueConstraint("merchant_id", name=op.f("uq_notification_settings_merchant_id")),
    )
    with op.batch_alter_table("notification_settings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_settings_merchant_id"), ["merchant_id"], unique=False)
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.create_index("ix_product_merchant_status", ["merchant_id", "status"], unique=False)
        batch_op.create_index("ix_product_merchant_product_type", ["merchant_id", "product_type"], unique=False)
        batch_op.create_index("ix_product_merchant_vendor", ["merchant_id", "vendor"], unique=False)
    with op.batch_alter_table("tiktok_listing", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tiktok_listing_connection_status",
            ["merchant_id", "connection_id", "status", "product_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tiktok_listing", schema=None) as batch_op:
        batch_op.drop_index("ix_tiktok_listing_connection_status")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_index("ix_product_merchant_vendor")
        batch_op.drop_index("ix_product_merchant_product_type")
        batch_op.drop_index("ix_product_merchant_status")
    with op.batch_alter_table("notification_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_settings_merchant_id"))
    op.drop_table("notification_settings")
