"""What an order kept in TokBridge took from the store's stock, recorded before it is taken.

A cancellation puts back exactly that: counting the order's lines again would also give back units of
lines TikTok cancelled before the stock was taken, which never left the store. NULL for orders kept
before this revision (their cancellation counts the lines, as before).

Revision ID: 0026_kept_order_stock_taken
Revises: 0025_audit_trail
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_kept_order_stock_taken"
down_revision = "0025_audit_trail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tiktok_order") as batch:
        batch.add_column(sa.Column("stock_taken", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tiktok_order") as batch:
        batch.drop_column("stock_taken")
