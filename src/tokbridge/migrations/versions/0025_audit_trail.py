"""The audit trail (issue #18): one row per change a person or a job made, with the values before and
after; a bulk change's entries point at its head (`change_set_id`), which undo works on. See tokbridge/audit.

Revision ID: 0025_audit_trail
Revises: 0024_api_tokens
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_audit_trail"
down_revision = "0024_api_tokens"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=True),
        sa.Column("actor_type", sa.String(length=10), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("actor_name", sa.String(length=320), nullable=False),
        sa.Column("job_id", BIG_ID, nullable=True),
        sa.Column("triggered_by", sa.String(length=255), nullable=True),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("product_id", BIG_ID, nullable=True),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("change_set_id", BIG_ID, nullable=True),
        sa.Column("undo_of", BIG_ID, nullable=True),
        sa.Column("undone_by", BIG_ID, nullable=True),
        sa.Column("merchant_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchant.id"], name=op.f("fk_audit_entry_merchant_id_merchant"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_merchant_id"), "audit_entry", ["merchant_id"], unique=False)
    op.create_index("ix_audit_entry_merchant_created", "audit_entry", ["merchant_id", "created_at"], unique=False)
    op.create_index("ix_audit_entry_merchant_product", "audit_entry", ["merchant_id", "product_id"], unique=False)
    op.create_index("ix_audit_entry_change_set", "audit_entry", ["change_set_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_entry_change_set", table_name="audit_entry")
    op.drop_index("ix_audit_entry_merchant_product", table_name="audit_entry")
    op.drop_index("ix_audit_entry_merchant_created", table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_merchant_id"), table_name="audit_entry")
    op.drop_table("audit_entry")
