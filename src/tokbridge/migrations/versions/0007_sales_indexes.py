"""Covering indexes for the dashboard's sales figures (per day and top products), so they are read
from indexes alone at 100,000 orders (see bench/dashboard.py).

Revision ID: 0007_sales_indexes
Revises: 0006_merchant_app
"""

from alembic import op

revision = "0007_sales_indexes"
down_revision = "0006_merchant_app"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tiktok_order_merchant_placed", table_name="tiktok_order")
    op.create_index(
        "ix_tiktok_order_merchant_sales",
        "tiktok_order",
        ["merchant_id", "placed_at", "status", "currency", "total_minor", "units"],
    )
    # It starts with order_id, so it also serves what the single-column index did.
    op.drop_index("ix_tiktok_order_line_order_id", table_name="tiktok_order_line")
    op.create_index(
        "ix_tiktok_order_line_sales",
        "tiktok_order_line",
        ["order_id", "display_status", "tiktok_product_id", "sale_minor"],
    )


def downgrade() -> None:
    op.drop_index("ix_tiktok_order_line_sales", table_name="tiktok_order_line")
    op.create_index("ix_tiktok_order_line_order_id", "tiktok_order_line", ["order_id"])
    op.drop_index("ix_tiktok_order_merchant_sales", table_name="tiktok_order")
    op.create_index("ix_tiktok_order_merchant_placed", "tiktok_order", ["merchant_id", "placed_at"])
