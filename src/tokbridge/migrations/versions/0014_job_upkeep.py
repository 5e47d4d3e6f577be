"""Job table upkeep: a small partial index for jobs waiting for their first run (new webhooks join the
merchant's waiting processing job; the lookup must not walk the merchant's finished jobs), and an index
on finished_at for pruning finished jobs.

Revision ID: 0014_job_upkeep
Revises: 0013_plan_counted_orders
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_job_upkeep"
down_revision = "0013_plan_counted_orders"
branch_labels = None
depends_on = None

WAITING = "state = 'queued' AND attempts = 0"


def upgrade() -> None:
    op.create_index(
        "ix_job_waiting",
        "job",
        ["merchant_id", "kind"],
        unique=False,
        sqlite_where=sa.text(WAITING),
        postgresql_where=sa.text(WAITING),
    )
    op.create_index("ix_job_finished_at", "job", ["finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_finished_at", table_name="job")
    op.drop_index("ix_job_waiting", table_name="job")
