"""Top products per period snapshotted by the recount job (top_products_snapshot), and an index to read a
few products' totals over a period.

Revision ID: 0012_top_products
Revises: 0011_status_counts
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_top_products"
down_revision = "0011_status_counts"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "top_products_snapshot",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("tiktok_product_id", sa.String(length=64), nullable=False),
        sa.Column("product_name", sa.Text(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"],
            ["merchant.id"],
            name=op.f("fk_top_products_snapshot_merchant_id_merchant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_products_snapshot")),
    )
    op.create_index(op.f("ix_top_products_snapshot_merchant_id"), "top_products_snapshot", ["merchant_id"])
    op.create_index("ix_top_products_snapshot_period", "top_products_snapshot", ["merchant_id", "period_days", "rank"])
    op.create_index(
        "ix_product_sales_day_product",
        "product_sales_day",
        ["merchant_id", "tiktok_product_id", "day", "units", "amount_minor"],
    )


def downgrade() -> None:
    op.drop_index("ix_product_sales_day_product", table_name="product_sales_day")
    op.drop_index("ix_top_products_snapshot_period", table_name="top_products_snapshot")
    op.drop_index(op.f("ix_top_products_snapshot_merchant_id"), table_name="top_products_snapshot")
    op.drop_table("top_products_snapshot")
