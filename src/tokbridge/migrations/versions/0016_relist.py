"""Re-uploads: what TikTok last answered for a listing, so Bulk Upload can leave alone a failed product
that has not changed since TikTok refused it.

Revision ID: 0016_relist
Revises: 0015_shop_currency
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_relist"
down_revision = "0015_shop_currency"
branch_labels = None
depends_on = None


# A plain ADD/DROP COLUMN on both databases: a batch (table copy) on SQLite would drop the count triggers
# of migration 0011 that live on this table.
def upgrade() -> None:
    op.add_column("tiktok_listing", sa.Column("sent_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    op.drop_column("tiktok_listing", "sent_fingerprint")
