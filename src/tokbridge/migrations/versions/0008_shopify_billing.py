"""Plan changes through Shopify's billing: the plan a subscription waits to change to, while the
merchant approves the charge.

Revision ID: 0008_shopify_billing
Revises: 0007_sales_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_shopify_billing"
down_revision = "0007_sales_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_plan_code", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription", schema=None) as batch_op:
        batch_op.drop_column("pending_plan_code")
