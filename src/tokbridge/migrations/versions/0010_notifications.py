"""Notification emails: the events worth an email (notification_event, written with the change that
caused them) and the digest emails made of them (notification_digest); see tokbridge/notifications.

Revision ID: 0010_notifications
Revises: 0009_sales_rollup
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_notifications"
down_revision = "0009_sales_rollup"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _tenant_table(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        *columns,
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f(f"fk_{name}_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_merchant_id"), name, ["merchant_id"], unique=False)


def upgrade() -> None:
    _tenant_table(
        "notification_event",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", BIG_ID, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digest_id", BIG_ID, nullable=True),
    )
    op.create_index(
        "ix_notification_event_unhandled", "notification_event", ["merchant_id", "handled_at"], unique=False
    )
    _tenant_table(
        "notification_digest",
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notification_digest")
    op.drop_index("ix_notification_event_unhandled", table_name="notification_event")
    op.drop_table("notification_event")
