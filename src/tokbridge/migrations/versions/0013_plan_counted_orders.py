"""tiktok_order.store_created_at becomes plan_counted_at: an order takes its place in the plan's monthly
count when it is sent to the store, not once the store has answered, so orders sent at the same time
cannot together go over the limit.

Revision ID: 0013_plan_counted_orders
Revises: 0012_top_products
"""

from alembic import op

revision = "0013_plan_counted_orders"
down_revision = "0012_top_products"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tiktok_order_merchant_store_created", table_name="tiktok_order")
    # Native on both databases (SQLite since 3.25): no table copy.
    op.execute("ALTER TABLE tiktok_order RENAME COLUMN store_created_at TO plan_counted_at")
    op.create_index(
        "ix_tiktok_order_merchant_plan_counted", "tiktok_order", ["merchant_id", "plan_counted_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tiktok_order_merchant_plan_counted", table_name="tiktok_order")
    op.execute("ALTER TABLE tiktok_order RENAME COLUMN plan_counted_at TO store_created_at")
    op.create_index(
        "ix_tiktok_order_merchant_store_created", "tiktok_order", ["merchant_id", "store_created_at"], unique=False
    )
