"""The store side of a TikTok order: which store holds it, and in what currency and total.

A merchant's TikTok shops sell in their region's currency (a US and a UK shop: dollars and pounds) while
the store they list from keeps one currency. An order now records the store it was created in
(`store_connection_id`), the store order's currency and total as the store reports them, and the rate it
was converted at when the currencies differ (NULL: no conversion). The TikTok side keeps `currency` and
`total_minor` as before.

Revision ID: 0022_orders_store_amounts
Revises: 0021_shop_context
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_orders_store_amounts"
down_revision = "0021_shop_context"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tiktok_order") as batch:
        batch.add_column(sa.Column("store_connection_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("store_currency", sa.String(length=3), nullable=True))
        batch.add_column(sa.Column("store_total_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("store_rate", sa.Numeric(precision=18, scale=6), nullable=True))
        batch.create_foreign_key(
            "fk_tiktok_order_store_connection_id_channel_connection",
            "channel_connection",
            ["store_connection_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("tiktok_order") as batch:
        batch.drop_constraint("fk_tiktok_order_store_connection_id_channel_connection", type_="foreignkey")
        batch.drop_column("store_rate")
        batch.drop_column("store_total_minor")
        batch.drop_column("store_currency")
        batch.drop_column("store_connection_id")
