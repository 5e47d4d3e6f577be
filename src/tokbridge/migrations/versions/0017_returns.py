"""Returns: what went wrong with the merchant's last decision on a return (TikTok's refusal in plain
words), and the store refund that records TikTok's refund on the store order (made once).

Revision ID: 0017_returns
Revises: 0016_relist
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_returns"
down_revision = "0016_relist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_return") as batch:
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("store_refund_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_return") as batch:
        batch.drop_column("store_refund_id")
        batch.drop_column("last_error")
