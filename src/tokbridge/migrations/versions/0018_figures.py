"""Billing periods as the store platform counts them: the end of the period a Shopify charge is in
(`currentPeriodEnd`), so the next billing date is Shopify's and not the sign-up day.

Revision ID: 0018_figures
Revises: 0017_returns
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_figures"
down_revision = "0017_returns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.add_column(sa.Column("billing_period_end", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("billing_period_end")
