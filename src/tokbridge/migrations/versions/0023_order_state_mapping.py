"""Order status mapping, for a store whose orders carry a state of its own list.

A shop's order settings name the store state a new TikTok order is created in, the one a delivered order
moves to and the one a cancelled order moves to (NULL: the store's state whose meaning fits). An order
records that its store order was moved to the delivered state, so it is moved once.

Revision ID: 0023_order_state_mapping
Revises: 0022_orders_store_amounts
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_order_state_mapping"
down_revision = "0022_orders_store_amounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_settings") as batch:
        batch.add_column(sa.Column("new_order_state", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("delivered_state", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("cancelled_state", sa.String(length=64), nullable=True))
    with op.batch_alter_table("tiktok_order") as batch:
        batch.add_column(sa.Column("store_delivered", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tiktok_order") as batch:
        batch.drop_column("store_delivered")
    with op.batch_alter_table("order_settings") as batch:
        batch.drop_column("cancelled_state")
        batch.drop_column("delivered_state")
        batch.drop_column("new_order_state")
