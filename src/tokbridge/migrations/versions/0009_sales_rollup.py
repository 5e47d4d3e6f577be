"""The dashboard's sales summed per day (sales_day, product_sales_day) and the marks of days whose orders
changed since (sales_day_mark), see orders/sales_rollup.py; an index for the plan's order count.
Every day that has orders is marked here, so the figures stay exact (read live) until the recount job
has summed them.

Revision ID: 0009_sales_rollup
Revises: 0008_shopify_billing
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_sales_rollup"
down_revision = "0008_shopify_billing"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant_table(name: str, *columns: sa.Column, unique: tuple[str, ...] | None = None) -> None:
    constraints = [
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f(f"fk_{name}_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    ]
    if unique:
        constraints.append(sa.UniqueConstraint(*unique, name=op.f(f"uq_{name}")))
    op.create_table(
        name,
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        *columns,
        sa.Column("merchant_id", BIG_ID, nullable=False),
        *constraints,
    )
    op.create_index(op.f(f"ix_{name}_merchant_id"), name, ["merchant_id"], unique=False)


def upgrade() -> None:
    _tenant_table(
        "sales_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        unique=("merchant_id", "day", "currency"),
    )
    _tenant_table(
        "product_sales_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tiktok_product_id", sa.String(length=64), nullable=False),
        sa.Column("product_name", sa.Text(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        unique=("merchant_id", "day", "tiktok_product_id"),
    )
    op.create_index(
        "ix_product_sales_day_top",
        "product_sales_day",
        ["merchant_id", "day", "tiktok_product_id", "units", "amount_minor"],
        unique=False,
    )
    _tenant_table("sales_day_mark", sa.Column("day", sa.Date(), nullable=False))
    op.create_index(
        "ix_tiktok_order_merchant_store_created", "tiktok_order", ["merchant_id", "store_created_at"], unique=False
    )
    op.create_index("ix_sales_day_mark_day", "sales_day_mark", ["merchant_id", "day"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        day = "CAST(timezone('UTC', placed_at) AS DATE)"
    else:
        day = "date(placed_at)"
    op.execute(
        f"INSERT INTO sales_day_mark (merchant_id, day) "
        f"SELECT DISTINCT merchant_id, {day} FROM tiktok_order WHERE placed_at IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_tiktok_order_merchant_store_created", table_name="tiktok_order")
    op.drop_index("ix_sales_day_mark_day", table_name="sales_day_mark")
    op.drop_table("sales_day_mark")
    op.drop_index("ix_product_sales_day_top", table_name="product_sales_day")
    op.drop_table("product_sales_day")
    op.drop_table("sales_day")
