"""Currencies on connections: the store's currency as read from the store, and, for a TikTok shop that
sells in another currency, the conversion rate the merchant set (with the currency it converts from and
when it was set). Also the daily listing limit learned from TikTok for the shop, and an index to count
the products a shop created today.

Revision ID: 0015_shop_currency
Revises: 0014_job_upkeep
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_shop_currency"
down_revision = "0014_job_upkeep"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("channel_connection") as table:
        table.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
        table.add_column(sa.Column("price_rate", sa.Numeric(precision=18, scale=6), nullable=True))
        table.add_column(sa.Column("price_rate_from", sa.String(length=3), nullable=True))
        table.add_column(sa.Column("price_rate_set_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("daily_listing_limit", sa.Integer(), nullable=True))
    op.create_index(
        "ix_tiktok_listing_connection_uploaded",
        "tiktok_listing",
        ["merchant_id", "connection_id", "uploaded_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tiktok_listing_connection_uploaded", table_name="tiktok_listing")
    with op.batch_alter_table("channel_connection") as table:
        table.drop_column("daily_listing_limit")
        table.drop_column("price_rate_set_at")
        table.drop_column("price_rate_from")
        table.drop_column("price_rate")
        table.drop_column("currency")
