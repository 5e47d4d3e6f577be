"""Jobs: when a job last made progress, so an attempt that got further does not use up the job's
attempts, and a job that only waits (rate limits) without getting anywhere can be told apart.

Revision ID: 0019_job_progress
Revises: 0018_figures
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_job_progress"
down_revision = "0018_figures"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain nullable column: no table copy on SQLite.
    op.add_column("job", sa.Column("progressed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("progressed_at")
